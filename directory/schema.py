"""Schema helpers: the full-text index beside the tables (FTS5 on SQLite, GIN on PostgreSQL).

The Alembic migration ``0002_directory`` keeps its own frozen copy of this DDL (a migration must
not change when the code does): change one, check the other, so that a schema built with
:func:`create_schema` (tests, tools) and a migrated database stay identical.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from directory.models import Base

SQLITE_SEARCH_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS dir_entry_fts USING fts5("
    "search_text, content='dir_entry', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER IF NOT EXISTS dir_entry_fts_ai AFTER INSERT ON dir_entry BEGIN "
    "INSERT INTO dir_entry_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS dir_entry_fts_ad AFTER DELETE ON dir_entry BEGIN "
    "INSERT INTO dir_entry_fts(dir_entry_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS dir_entry_fts_au AFTER UPDATE OF search_text ON dir_entry "
    "BEGIN INSERT INTO dir_entry_fts(dir_entry_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO dir_entry_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)
POSTGRES_SEARCH_DDL = (
    "CREATE INDEX IF NOT EXISTS ix_dir_entry_fts ON dir_entry "
    "USING gin (to_tsvector('simple'::regconfig, search_text))",
)


def install_search_index(conn: Connection) -> None:
    """Create the full-text index for the dialect of ``conn`` (idempotent)."""
    ddl = SQLITE_SEARCH_DDL if conn.dialect.name == "sqlite" else POSTGRES_SEARCH_DDL
    for statement in ddl:
        conn.execute(text(statement))


def _create(conn: Connection) -> None:
    Base.metadata.create_all(conn)
    install_search_index(conn)


async def create_schema(engine: AsyncEngine) -> None:
    """Create the directory tables and their search index (tests, tools; deployments migrate)."""
    async with engine.begin() as conn:
        await conn.run_sync(_create)
