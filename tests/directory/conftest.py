"""Fixtures: a fresh directory database on SQLite and, when it answers, on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from directory.schema import create_schema
from mailserver.store.engine import create_engine, session_factory

PG_HOST, PG_PORT = "127.0.0.1", 5432
# one database per test run: other suites may share this server at the same time
PG_DB = f"mssante_dir_test_{os.getpid()}"
PG_ADMIN_URL = f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/test"
PG_URL = f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{PG_DB}"


def postgres_answers() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=0.5):
            return True
    except OSError:
        return False


_PG_SKIP = f"PostgreSQL does not answer at {PG_HOST}:{PG_PORT}"


async def ensure_pg_database(name: str = PG_DB) -> None:
    import asyncpg

    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="test")
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="test")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session", autouse=True)
def _drop_pg_database_at_end() -> object:
    yield None
    if postgres_answers():
        asyncio.run(drop_pg_database(PG_DB))


async def reset_pg(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.exec_driver_sql(
            "DROP TABLE IF EXISTS dir_entry, dir_practitioner, alembic_version CASCADE")


@dataclass
class DirDB:
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


def database_params() -> list[object]:
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not postgres_answers(), reason=_PG_SKIP)]),
    ]


@pytest.fixture(params=database_params())
async def db_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'dir.db'}"
        return
    await ensure_pg_database()
    engine = create_engine(PG_URL)
    await reset_pg(engine)
    await engine.dispose()
    yield PG_URL


@pytest.fixture
async def dirdb(db_url: str) -> AsyncIterator[DirDB]:
    engine = create_engine(db_url)
    await create_schema(engine)
    yield DirDB(db_url, engine, session_factory(engine))
    await engine.dispose()
