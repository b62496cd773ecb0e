"""Shared fixtures: a fresh data folder made by `mssante init`, and the wired services.

Storage tests run on SQLite and, when 127.0.0.1:5432 answers, on PostgreSQL too (the
`db_url` fixture is parametrised; PostgreSQL cases are skipped with a visible reason).
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from mailserver.services import MailServices, build_services
from mssante.init import BASE_PORTS, InitOptions, initialise

PG_HOST, PG_PORT = "127.0.0.1", 5432
PASSWORD = "correct horse battery staple"


def postgres_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=0.5):
            return True
    except OSError:
        return False


PG_SKIP = pytest.mark.skipif(not postgres_reachable(),
                             reason="PostgreSQL is not reachable at 127.0.0.1:5432")


def free_ports(n: int) -> list[int]:
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


async def _create_pg_database() -> str:
    import asyncpg

    name = f"mssante_t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=[PG_SKIP,
                                                                     pytest.mark.postgres])])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(db_kind: str) -> Iterator[str]:
    """An empty database URL of each kind ("" means SQLite inside the data folder)."""
    if db_kind == "sqlite":
        yield ""
        return
    name = asyncio.run(_create_pg_database())
    yield f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    asyncio.run(drop_pg_database(name))


def init_options(data_dir: Path, database_url: str = "", **kw: object) -> InitOptions:
    ports = dict(zip(BASE_PORTS, free_ports(len(BASE_PORTS)), strict=True))
    return InitOptions(data_dir=data_dir, domain="hopital.test", patient_domain="patient.test",
                       ports=ports, database_url=database_url, argon2_memory_kib=1024,
                       argon2_time_cost=1, **kw)  # type: ignore[arg-type]


@pytest.fixture
async def settings(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    return await initialise(init_options(tmp_path / "data", db_url))


@pytest.fixture
async def services(settings) -> AsyncIterator[MailServices]:  # type: ignore[no-untyped-def]
    svc = await build_services(settings)
    object.__setattr__(svc.auth.settings, "failure_delay", 0.05)
    try:
        yield svc
    finally:
        await svc.close()


# Demo-like accounts used across suites.
DOCTOR = "jean.martin@hopital.test"
NURSE = "claire.durand@hopital.test"
WARD = "cardiologie@hopital.test"
APP = "logiciel@hopital.test"
PATIENT = "279035121518989@patient.test"
PATIENT2 = "146026322000196@patient.test"


@pytest.fixture
async def accounts(services: MailServices) -> dict[str, str]:
    """Create the usual cast; returns address -> recovery key."""
    recovery = {}
    for address, kind, name in ((DOCTOR, "per", "Dr Jean MARTIN"),
                                (NURSE, "per", "Claire DURAND"),
                                (WARD, "org", "Cardiologie"),
                                (PATIENT, "patient", "Paul VIAL"),
                                (PATIENT2, "patient", "Marie VIAL")):
        new = await services.accounts.add(address, kind, PASSWORD, display_name=name,
                                          rpps="10001045367" if address == DOCTOR else None)
        recovery[address] = new.recovery_key
    new = await services.accounts.add(APP, "app", None, display_name="Logiciel de cabinet")
    recovery[APP] = new.recovery_key
    return recovery
