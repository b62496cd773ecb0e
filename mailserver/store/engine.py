"""Database engines: SQLite (WAL, durable commits) by default, PostgreSQL through the URL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool


def is_sqlite(url: str) -> bool:
    return make_url(url).drivername.startswith("sqlite")


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """Create the async engine; SQLite gets WAL and synchronous=FULL so a commit is durable."""
    if is_sqlite(url):
        engine = create_async_engine(url, poolclass=NullPool if ":memory:" in url else None,
                                     connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size,
                               pool_pre_ping=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: the WAL is fsynced at every commit, so "250 OK" really means on disk.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def sqlite_sync_engine(url: str) -> Engine:
    """A synchronous engine on the same SQLite file, for code that runs a whole transaction
    in a worker thread (the delivery writer). Same pragmas: WAL and durable commits."""
    sync_url = make_url(url).set(drivername="sqlite")
    engine = create_sync_engine(sync_url, connect_args={"timeout": 30,
                                                        "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine
