"""The Alembic migration 0002 builds the same directory as the models, on both databases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from directory import SearchQuery, import_files, search
from mailserver.store.engine import create_engine, session_factory
from tests.directory.conftest import PG_HOST, PG_PORT, database_params, drop_pg_database
from tests.directory.samples import write_mailbox_file, write_ps_file

migrate = pytest.importorskip("mailserver.store.migrate",
                              reason="mailserver.store.migrate is not available")


MIGRATION_DB = f"mssante_dir_migration_test_{os.getpid()}"


@pytest.fixture(params=database_params())
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    import asyncpg

    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="test")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{MIGRATION_DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{MIGRATION_DB}"')
    finally:
        await conn.close()
    return f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{MIGRATION_DB}"


async def test_migrated_database_works(empty_url: str, tmp_path: Path) -> None:
    db_url = empty_url
    await migrate.upgrade(db_url)
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))
                       ).scalar_one()
        assert version >= "0002"
        sessions = session_factory(engine)
        report = await import_files(sessions, [write_ps_file(tmp_path / "ps.txt"),
                                               write_mailbox_file(tmp_path / "m.txt")],
                                    progress=False)
        assert report.created == 9
        page = await search(sessions, SearchQuery(text="hélène dupond"))
        assert page.hits[0].family == "DUPOND"
    finally:
        await engine.dispose()
        if db_url.startswith("postgresql"):
            await drop_pg_database(MIGRATION_DB)
