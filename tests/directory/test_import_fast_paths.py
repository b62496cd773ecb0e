"""The import's fast paths: parsing in worker processes by small blocks (lines cut across
reads), and the SQLite bulk merge (indexes and full-text triggers dropped, then rebuilt).

The thresholds are lowered so that the hand-written and generated files take these paths; the
same assertions as ``test_import`` must hold.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from directory import SearchQuery, import_files, importer, search
from directory.models import DirEntry
from directory.synthetic import write_synthetic_files
from tests.directory import test_import as base
from tests.directory.conftest import DirDB


@pytest.fixture(autouse=True)
def _fast_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(importer, "BLOCK_BYTES", 700)
    monkeypatch.setattr(importer, "BULK_MIN_ROWS", 0)
    monkeypatch.setattr(importer, "BULK_MIN_SHARE", 0.0)


test_hand_written_mailbox_file = base.test_hand_written_mailbox_file
test_liste_rouge_never_served = base.test_liste_rouge_never_served
test_local_mailboxes_survive_imports = base.test_local_mailboxes_survive_imports
test_hand_written_ps_file = base.test_hand_written_ps_file
test_idempotent_and_day_after = base.test_idempotent_and_day_after
test_generated_files_txt_and_zip = base.test_generated_files_txt_and_zip


async def _sqlite_objects(dirdb: DirDB) -> set[str]:
    async with dirdb.engine.connect() as conn:
        rows = (await conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE tbl_name = 'dir_entry' "
            "AND type IN ('index', 'trigger')")).all()
    return {r[0] for r in rows}


async def test_bulk_merge_restores_indexes_and_triggers(dirdb: DirDB, tmp_path: Path) -> None:
    if dirdb.dialect != "sqlite":
        pytest.skip("the bulk merge is SQLite's")
    before = await _sqlite_objects(dirdb)
    assert {i.name for i in DirEntry.__table__.indexes} <= before
    assert {"dir_entry_fts_ai", "dir_entry_fts_ad", "dir_entry_fts_au"} <= before
    files = write_synthetic_files(tmp_path / "gen", persons=200, mailboxes=100, seed=3)
    await import_files(dirdb.sessions, files, progress=False)
    assert await _sqlite_objects(dirdb) == before
    async with dirdb.engine.connect() as conn:
        # the full-text index agrees with its content table
        await conn.exec_driver_sql(
            "INSERT INTO dir_entry_fts(dir_entry_fts, rank) VALUES ('integrity-check', 1)")
        family = (await conn.execute(text(
            "SELECT family_norm FROM dir_entry WHERE family_norm <> '' LIMIT 1"))).scalar_one()
    async with dirdb.sessions() as s:
        page = await search(s, SearchQuery(text=family))
    assert page.hits


async def test_interrupted_bulk_merge_is_finished_by_the_next_import(
        dirdb: DirDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if dirdb.dialect != "sqlite":
        pytest.skip("the bulk merge is SQLite's")
    before = await _sqlite_objects(dirdb)
    files = write_synthetic_files(tmp_path / "gen", persons=100, mailboxes=50, seed=4)
    await import_files(dirdb.sessions, files, progress=False)
    async with dirdb.engine.begin() as conn:  # as if the process died in the middle
        await conn.exec_driver_sql("DROP TRIGGER dir_entry_fts_ai")
        await conn.exec_driver_sql("DROP INDEX ix_dir_entry_org")
        await conn.exec_driver_sql("INSERT INTO dir_entry_fts(dir_entry_fts) VALUES ('delete-all')")
    # not a big change: only the missing trigger forces the bulk path
    monkeypatch.setattr(importer, "BULK_MIN_ROWS", 10**9)
    again = await import_files(dirdb.sessions, files, progress=False)
    assert (again.created, again.updated, again.removed) == (0, 0, 0)
    assert await _sqlite_objects(dirdb) == before
    async with dirdb.engine.connect() as conn:
        await conn.exec_driver_sql(
            "INSERT INTO dir_entry_fts(dir_entry_fts, rank) VALUES ('integrity-check', 1)")
        indexed = (await conn.exec_driver_sql(
            "SELECT COUNT(*) FROM dir_entry_fts WHERE dir_entry_fts MATCH 'a*'")).scalar_one()
    assert indexed > 0
