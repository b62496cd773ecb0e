"""Import the national extraction files: stream, stage, then merge with set-based SQL.

Each file is a complete snapshot. Its lines are read by blocks of about ``BLOCK_BYTES`` and
parsed (:func:`directory.rows.parse_block`): in worker processes for big files, a bounded number
of blocks in flight so memory stays bounded, while this process writes the plain tuples into a
temporary staging table on the import's own connection. Duplicates are dropped and reported,
then the snapshot is merged into ``dir_entry`` / ``dir_practitioner``: rows whose content hash
changed are updated, new ones inserted, national rows absent from the snapshot deleted. Rows
published from local accounts (``source = 'local'``) are never touched by an import.

On SQLite the import connection gets a bigger page cache and ``synchronous=NORMAL`` (its own
values put back, and a last commit made under them, before it returns to the pool), and a
merge that rewrites much of ``dir_entry`` (a first load) runs without its secondary indexes
and FTS5 triggers, which are rebuilt once at the end (:class:`_Bulk`); small day-after merges
keep the triggers.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing as mp
import os
import sys
import time
import zipfile
from collections import deque
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Column, MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.schema import CreateIndex

from directory.formats import MAILBOX_FILE, PS_FILE, Layout, detect
from directory.models import (
    ENTRY_ACTIVITY,
    ENTRY_COLUMNS,
    ENTRY_MAILBOX,
    ENTRY_TABLE,
    PRACTITIONER_COLUMNS,
    DirEntry,
    DirPractitioner,
)
from directory.rows import ParsedBlock, is_mailbox_layout, parse_block
from directory.schema import SQLITE_SEARCH_DDL

log = logging.getLogger("directory.import")

BLOCK_BYTES = 1 << 20  # lines are parsed (and staged) by blocks of about this size
PARALLEL_MIN_BYTES = 8 << 20  # files at least this big are parsed in worker processes
MERGE_CHUNK = 100_000
# SQLite: a merge writing at least BULK_MIN_ROWS rows, and at least BULK_MIN_SHARE of what the
# table holds, drops the secondary indexes and full-text triggers, then builds them once
BULK_MIN_ROWS = 50_000
BULK_MIN_SHARE = 0.5
IMPORT_CACHE_KIB = 128 * 1024  # SQLite page cache of the import connection (main database)
MAX_REJECTED_KEPT = 10_000


@dataclass(frozen=True)
class RejectedLine:
    line: int
    reason: str


@dataclass
class FileReport:
    """What one national file (or one member of a ZIP) did to the directory."""

    name: str
    kind: str = ""
    lines_read: int = 0
    created: int = 0
    updated: int = 0
    removed: int = 0
    withheld: int = 0  # liste rouge: read but never published
    rejected: list[RejectedLine] = field(default_factory=list)
    rejected_count: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    skipped: str = ""  # why a file was not imported at all
    # for the PS file, created/updated/removed count practitioners; these count activities
    activities_created: int = 0
    activities_removed: int = 0
    seconds: float = 0.0

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REJECTED_KEPT:
            self.rejected.append(RejectedLine(line, reason))


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)

    def _sum(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    @property
    def lines_read(self) -> int:
        return self._sum("lines_read")

    @property
    def created(self) -> int:
        return self._sum("created")

    @property
    def updated(self) -> int:
        return self._sum("updated")

    @property
    def removed(self) -> int:
        return self._sum("removed")

    @property
    def withheld(self) -> int:
        return self._sum("withheld")

    @property
    def rejected_count(self) -> int:
        return self._sum("rejected_count")

    def summary(self) -> str:
        return (f"{self.lines_read} lines read, {self.created} created, {self.updated} updated, "
                f"{self.removed} removed, {self.withheld} withheld (liste rouge), "
                f"{self.rejected_count} rejected")


class DirectoryImportError(Exception):
    """A file that cannot be imported at all (unreadable, unknown header)."""


# --------------------------------------------------------------------------- sources


@dataclass
class _Source:
    name: str
    size: int
    open: Any  # () -> binary file object


def _sources(path: Path) -> list[_Source]:
    if not path.exists():
        raise DirectoryImportError(f"{path}: no such file")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            members = [i for i in zf.infolist() if not i.is_dir()
                       and i.filename.lower().endswith((".txt", ".csv"))]
        if not members:
            raise DirectoryImportError(f"{path}: the ZIP holds no .txt file")
        return [_Source(f"{path.name}:{m.filename}", m.file_size,
                        lambda m=m: _open_member(path, m.filename)) for m in members]
    return [_Source(path.name, path.stat().st_size, lambda: path.open("rb"))]


def _open_member(path: Path, member: str) -> IO[bytes]:
    zf = zipfile.ZipFile(path)
    handle = zf.open(member)
    orig_close = handle.close

    def close() -> None:
        orig_close()
        zf.close()

    handle.close = close  # type: ignore[method-assign]
    return handle


# --------------------------------------------------------------------------- progress


class _Progress:
    """A Rich progress bar on a terminal, plain log lines every few seconds otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._stack = ExitStack()
        self._bar: Any = None
        self._task: Any = None
        self._last_log = 0.0

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = self._stack.enter_context(Progress(
                TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                TimeRemainingColumn(), transient=False))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def start(self, name: str, total: int) -> None:
        if self._bar is not None:
            self._task = self._bar.add_task(name, total=total)
        else:
            log.info("importing %s (%d bytes)", name, total)

    def advance(self, done: int, lines: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done)
            return
        now = time.monotonic()
        if now - self._last_log >= 5:
            self._last_log = now
            log.info("%d lines read", lines)

    def phase(self, message: str) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=message)
        else:
            log.info("%s", message)


# --------------------------------------------------------------------------- staging


def _stage_tables() -> tuple[Table, Table]:
    md = MetaData()
    entry_cols = [Column("line_no", DirEntry.__table__.c.id.type, primary_key=True)]
    entry_cols += [Column(c, DirEntry.__table__.c[c].type) for c in ENTRY_COLUMNS]
    entry = Table("dir_stage_entry", md, *entry_cols, prefixes=["TEMPORARY"])
    person_cols = [Column(c, DirPractitioner.__table__.c[c].type,
                          primary_key=(c == "national_id")) for c in PRACTITIONER_COLUMNS]
    person = Table("dir_stage_person", md, *person_cols, prefixes=["TEMPORARY"])
    return entry, person


def _insert_sql(conn: AsyncConnection, table: str, columns: tuple[str, ...],
                conflict: str = "") -> str:
    if conn.dialect.paramstyle == "qmark":
        marks = ", ".join("?" for _ in columns)
    else:
        marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}){conflict}"


async def _prepare_stage(conn: AsyncConnection) -> None:
    await conn.exec_driver_sql("DROP TABLE IF EXISTS dir_stage_entry")
    await conn.exec_driver_sql("DROP TABLE IF EXISTS dir_stage_person")
    entry, person = _stage_tables()

    def create(sync_conn: Any) -> None:
        entry.create(sync_conn)
        person.create(sync_conn)

    await conn.run_sync(create)


def _blocks(handle: IO[bytes], first_line: int) -> Iterator[tuple[int, bytes]]:
    """Blocks of whole lines, about ``BLOCK_BYTES`` each, with the number of their first line."""
    carry = b""
    line_no = first_line
    while True:
        data = handle.read(BLOCK_BYTES)
        if not data:
            if carry:
                yield line_no, carry
            return
        data = carry + data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            carry = data
            continue
        block, carry = data[:cut], data[cut:]
        yield line_no, block
        line_no += block.count(b"\n")


class _Parsers:
    """Worker processes that parse blocks of lines while this process writes (big files)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # fork: the workers start at once and run one pure function (no I/O, no locks);
            # spawn would re-import the caller's __main__ in each worker
            method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
            self._pool = ProcessPoolExecutor(max_workers=parse_workers(),
                                             mp_context=mp.get_context(method))
        return self._pool

    def start(self) -> None:
        self.pool().submit(int).result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def parse_workers() -> int:
    """One parser process per core (at most 4): the writer mostly waits on SQLite."""
    return max(1, min(4, os.cpu_count() or 1))


async def _parsed_blocks(handle: IO[bytes], layout: Layout, first_line: int, parallel: bool,
                         parsers: _Parsers) -> AsyncIterator[tuple[int, ParsedBlock]]:
    """Parsed blocks in file order (with their size); in worker processes when ``parallel``,
    with a bounded number of blocks in flight so that memory stays bounded."""
    if not parallel:
        for line_no, block in _blocks(handle, first_line):
            yield len(block), parse_block(layout, line_no, block)
        return
    pool = parsers.pool()
    pending: deque[tuple[int, asyncio.Future[ParsedBlock]]] = deque()
    limit = 2 * parse_workers() + 1
    try:
        for line_no, block in _blocks(handle, first_line):
            pending.append((len(block), asyncio.wrap_future(
                pool.submit(parse_block, layout, line_no, block))))
            if len(pending) >= limit:
                size, fut = pending.popleft()
                yield size, await fut
        while pending:
            size, fut = pending.popleft()
            yield size, await fut
    finally:
        for _size, fut in pending:
            fut.cancel()


async def _stage_file(conn: AsyncConnection, source: _Source, report: FileReport,
                      progress: _Progress, parsers: _Parsers) -> Layout:
    entry_sql = _insert_sql(conn, "dir_stage_entry", ("line_no",) + ENTRY_COLUMNS)
    person_sql = _insert_sql(conn, "dir_stage_person", PRACTITIONER_COLUMNS,
                             " ON CONFLICT (national_id) DO NOTHING")
    with source.open() as handle:
        header = handle.readline()
        try:
            layout = detect(header.decode("utf-8-sig"))
        except UnicodeDecodeError:
            layout = None
        if layout is None:
            raise DirectoryImportError(
                f"{source.name}: header is neither {MAILBOX_FILE} nor {PS_FILE}")
        report.kind = layout.format.name
        report.unknown_columns = layout.unknown
        if layout.unknown:
            log.warning("%s: unknown columns ignored: %s", source.name, ", ".join(layout.unknown))
        progress.start(source.name, source.size)
        done = len(header)
        parallel = source.size >= PARALLEL_MIN_BYTES
        async for size, parsed in _parsed_blocks(handle, layout, 2, parallel, parsers):
            done += size
            report.lines_read += parsed.lines_read
            report.withheld += parsed.withheld
            for line_no, reason in parsed.rejected:
                report.reject(line_no, reason)
            if parsed.entries:
                await conn.exec_driver_sql(entry_sql, parsed.entries)
            if parsed.persons:
                await conn.exec_driver_sql(person_sql, parsed.persons)
            progress.advance(done, report.lines_read)
    return layout


async def _drop_duplicates(conn: AsyncConnection, report: FileReport, mailbox: bool) -> None:
    await conn.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_dir_stage_entry_key ON dir_stage_entry (entry_key, line_no)")
    dups = (await conn.execute(text(
        "SELECT s.line_no, s.entry_key, f.first FROM dir_stage_entry s JOIN "
        "(SELECT entry_key, MIN(line_no) AS first FROM dir_stage_entry GROUP BY entry_key "
        " HAVING COUNT(*) > 1) f ON f.entry_key = s.entry_key "
        "WHERE s.line_no > f.first ORDER BY s.line_no"))).all()
    if not dups:
        return
    for line_no, key, first in dups:
        what = f"duplicate address {key[2:]}" if mailbox else "duplicate activity"
        report.reject(line_no, f"{what} (first on line {first})")
    lines = [d[0] for d in dups]
    for i in range(0, len(lines), 500):
        chunk = lines[i:i + 500]
        await conn.execute(text("DELETE FROM dir_stage_entry WHERE line_no IN ("
                                + ", ".join(str(int(n)) for n in chunk) + ")"))


async def _scalar(conn: AsyncConnection, sql: str, **params: object) -> int:
    return int((await conn.execute(text(sql), params)).scalar_one())


_NEW_ENTRIES = ("SELECT COUNT(*) FROM dir_stage_entry s WHERE NOT EXISTS "
                "(SELECT 1 FROM dir_entry e WHERE e.entry_key = s.entry_key)")
_CHANGED_ENTRIES = ("SELECT COUNT(*) FROM dir_stage_entry s JOIN dir_entry e "
                    "ON e.entry_key = s.entry_key WHERE e.source = 'national' "
                    "AND e.row_hash <> s.row_hash")
_GONE_ENTRIES = ("SELECT COUNT(*) FROM dir_entry e WHERE e.entry_type = :t "
                 "AND e.source = 'national' AND NOT EXISTS "
                 "(SELECT 1 FROM dir_stage_entry s WHERE s.entry_key = e.entry_key)")


async def _count_changes(conn: AsyncConnection, report: FileReport, mailbox: bool) -> int:
    """Fill the report's counts; returns how many ``dir_entry`` rows the merge will write."""
    etype = ENTRY_MAILBOX if mailbox else ENTRY_ACTIVITY
    if mailbox:
        report.created = await _scalar(conn, _NEW_ENTRIES)
        report.updated = await _scalar(conn, _CHANGED_ENTRIES)
        report.removed = await _scalar(conn, _GONE_ENTRIES, t=etype)
        return report.created + report.updated + report.removed
    report.activities_created = await _scalar(conn, _NEW_ENTRIES)
    report.activities_removed = await _scalar(conn, _GONE_ENTRIES, t=etype)
    report.created = await _scalar(
        conn, "SELECT COUNT(*) FROM dir_stage_person s WHERE NOT EXISTS "
        "(SELECT 1 FROM dir_practitioner p WHERE p.national_id = s.national_id)")
    report.removed = await _scalar(
        conn, "SELECT COUNT(*) FROM dir_practitioner p WHERE NOT EXISTS "
        "(SELECT 1 FROM dir_stage_person s WHERE s.national_id = p.national_id)")
    await conn.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_dir_stage_entry_nat ON dir_stage_entry (national_id)")
    report.updated = await _scalar(
        conn,
        "SELECT COUNT(*) FROM dir_stage_person s JOIN dir_practitioner p "
        "ON p.national_id = s.national_id WHERE p.row_hash <> s.row_hash "
        "OR s.national_id IN (SELECT n.national_id FROM dir_stage_entry n WHERE NOT EXISTS "
        "  (SELECT 1 FROM dir_entry e WHERE e.entry_key = n.entry_key)) "
        "OR s.national_id IN (SELECT e.national_id FROM dir_entry e WHERE e.entry_type = 'A' "
        "  AND e.source = 'national' AND NOT EXISTS "
        "  (SELECT 1 FROM dir_stage_entry n WHERE n.entry_key = e.entry_key))")
    return report.activities_created + report.activities_removed


def _upsert_sql(table: str, columns: tuple[str, ...], key: str, source: str, where: str) -> str:
    cols = ", ".join(columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
    guard = f"{table}.row_hash <> excluded.row_hash"
    if table == "dir_entry":
        guard = f"{table}.source = 'national' AND {guard}"
    return (f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {source} WHERE {where} "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates} WHERE {guard}")


async def _apply(conn: AsyncConnection, mailbox: bool, progress: _Progress) -> None:
    etype = ENTRY_MAILBOX if mailbox else ENTRY_ACTIVITY
    await conn.execute(text(
        "DELETE FROM dir_entry WHERE entry_type = :t AND source = 'national' AND NOT EXISTS "
        "(SELECT 1 FROM dir_stage_entry s WHERE s.entry_key = dir_entry.entry_key)"), {"t": etype})
    if not mailbox:
        await conn.execute(text(
            "DELETE FROM dir_practitioner WHERE NOT EXISTS (SELECT 1 FROM dir_stage_person s "
            "WHERE s.national_id = dir_practitioner.national_id)"))
        await conn.execute(text(_upsert_sql("dir_practitioner", PRACTITIONER_COLUMNS,
                                             "national_id", "dir_stage_person", "1 = 1")))
    await conn.commit()
    bounds = (await conn.execute(text(
        "SELECT MIN(line_no), MAX(line_no) FROM dir_stage_entry"))).one()
    if bounds[0] is None:
        return
    # Changed rows only; merged in chunks, each its own short transaction, so the mail store
    # sharing a SQLite file is never blocked for long by a first full load.
    changed = ("line_no >= :lo AND line_no < :hi AND NOT EXISTS (SELECT 1 FROM dir_entry e "
               "WHERE e.entry_key = dir_stage_entry.entry_key "
               "AND e.row_hash = dir_stage_entry.row_hash)")
    upsert = text(_upsert_sql("dir_entry", ENTRY_COLUMNS, "entry_key", "dir_stage_entry", changed))
    lo, top = int(bounds[0]), int(bounds[1])
    while lo <= top:
        await conn.execute(upsert, {"lo": lo, "hi": lo + MERGE_CHUNK})
        await conn.commit()
        lo += MERGE_CHUNK
        progress.phase(f"merged up to line {min(lo, top)}")


async def _analyze(conn: AsyncConnection) -> None:
    if conn.dialect.name == "sqlite":
        await conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
    await conn.exec_driver_sql("ANALYZE dir_entry")
    await conn.exec_driver_sql("ANALYZE dir_practitioner")
    await conn.commit()


# --------------------------------------------------------------------------- bulk merge (SQLite)

_FTS_TRIGGERS = ("dir_entry_fts_ai", "dir_entry_fts_ad", "dir_entry_fts_au")


class _Bulk:
    """SQLite: a merge that rewrites much of ``dir_entry`` runs without its secondary indexes
    and full-text triggers, then builds them once (sorted index builds, one FTS5 'rebuild').

    Begun at most once per :func:`import_files` call, ended when it returns (or fails). If the
    process dies in between, the next import sees the triggers missing and ends the job.
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.active = False

    async def intact(self) -> bool:
        rows = (await self.conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'dir_entry'")).all()
        return set(_FTS_TRIGGERS) <= {r[0] for r in rows}

    async def begin(self) -> None:
        if self.active:
            return
        self.active = True
        for name in _FTS_TRIGGERS:
            await self.conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        for index in ENTRY_TABLE.indexes:
            await self.conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")
        await self.conn.commit()

    async def end(self, progress: _Progress) -> None:
        if not self.active:
            return
        progress.phase("building the search indexes")
        started = time.monotonic()
        for index in ENTRY_TABLE.indexes:
            await self.conn.execute(CreateIndex(index, if_not_exists=True))
            await self.conn.commit()
        # the full-text index and its triggers in one transaction: no change slips between
        await self.conn.exec_driver_sql("INSERT INTO dir_entry_fts(dir_entry_fts) "
                                        "VALUES ('rebuild')")
        for statement in SQLITE_SEARCH_DDL:
            await self.conn.exec_driver_sql(statement)
        await self.conn.commit()
        self.active = False
        log.info("search indexes built in %.1f s", time.monotonic() - started)


async def _import_source(conn: AsyncConnection, source: _Source, progress: _Progress,
                         parsers: _Parsers, bulk: _Bulk | None, *, in_zip: bool) -> FileReport:
    report = FileReport(source.name)
    started = time.monotonic()
    await _prepare_stage(conn)
    try:
        layout = await _stage_file(conn, source, report, progress, parsers)
    except DirectoryImportError as exc:
        await conn.rollback()
        if not in_zip:
            raise
        report.skipped = str(exc)
        log.info("%s: skipped (not a directory file)", source.name)
        return report
    mailbox = is_mailbox_layout(layout)
    progress.phase(f"{source.name}: merging")
    await _drop_duplicates(conn, report, mailbox)
    writes = await _count_changes(conn, report, mailbox)
    if bulk is not None and not bulk.active:
        existing = await _scalar(conn, "SELECT COUNT(*) FROM dir_entry")
        if (writes >= BULK_MIN_ROWS and writes >= BULK_MIN_SHARE * existing
                or not await bulk.intact()):
            await bulk.begin()
    await _apply(conn, mailbox, progress)
    await conn.exec_driver_sql("DROP TABLE IF EXISTS dir_stage_entry")
    await conn.exec_driver_sql("DROP TABLE IF EXISTS dir_stage_person")
    await conn.commit()
    report.seconds = time.monotonic() - started
    log.info("%s: %d lines read, %d created, %d updated, %d removed, %d withheld, %d rejected "
             "in %.1f s", source.name, report.lines_read, report.created, report.updated,
             report.removed, report.withheld, report.rejected_count, report.seconds)
    return report


_TUNED_PRAGMAS = ("cache_size", "synchronous")


async def _tune(conn: AsyncConnection) -> dict[str, int]:
    """SQLite pragmas for the import connection only; returns the values to put back
    (:func:`_untune`) before it returns to the pool.

    A bigger page cache, and ``synchronous=NORMAL`` while importing (WAL: each commit is still
    atomic; the final commit under the pool's FULL fsyncs the whole log, so the end result is
    durable).
    """
    previous = {name: int((await conn.exec_driver_sql(f"PRAGMA {name}")).scalar_one())
                for name in _TUNED_PRAGMAS}
    await conn.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    await conn.exec_driver_sql("PRAGMA synchronous = NORMAL")
    return previous


async def _untune(conn: AsyncConnection, previous: dict[str, int]) -> None:
    for name, value in previous.items():
        await conn.exec_driver_sql(f"PRAGMA {name} = {int(value)}")


def engine_of(factory: async_sessionmaker[AsyncSession] | AsyncEngine) -> AsyncEngine:
    if isinstance(factory, AsyncEngine):
        return factory
    bind = factory.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        raise TypeError("the session factory must be bound to an AsyncEngine")
    return bind


async def import_files(session_factory: async_sessionmaker[AsyncSession] | AsyncEngine,
                       paths: list[Path], *, progress: bool | None = None) -> ImportReport:
    """Import national files (``.txt`` or the agency's ``.zip``), each a complete snapshot.

    The kind of file is recognised from its header. Raises :class:`DirectoryImportError` for a
    file that is not a directory file at all; bad lines are reported, never fatal.
    """
    engine = engine_of(session_factory)
    if progress is None:
        progress = sys.stdout.isatty()
    report = ImportReport()
    sqlite = engine.dialect.name == "sqlite"
    parsers = _Parsers()
    sources_of = functools.cache(_sources)  # each path (each ZIP) listed once
    if any(source.size >= PARALLEL_MIN_BYTES for p in paths for source in sources_of(Path(p))):
        parsers.start()  # fork the workers now, while this process is small
    with _Progress(progress) as bar:
        async with engine.connect() as conn:
            bulk = _Bulk(conn) if sqlite else None
            tuned = await _tune(conn) if sqlite else {}
            try:
                for path in paths:
                    sources = sources_of(Path(path))
                    in_zip = len(sources) > 1 or sources[0].name != Path(path).name
                    for source in sources:
                        report.files.append(await _import_source(
                            conn, source, bar, parsers, bulk, in_zip=in_zip))
            finally:
                parsers.close()
                try:
                    if bulk is not None and bulk.active:
                        await conn.rollback()
                        await bulk.end(bar)
                finally:
                    if sqlite:
                        await conn.rollback()
                        await _untune(conn, tuned)
            # ANALYZE commits under the pool's synchronous (FULL) again: the import is on disk
            await _analyze(conn)
    return report
