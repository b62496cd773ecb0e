"""``mssante directory import|search|stats`` against a SQLite configuration."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from directory.schema import create_schema
from mailserver.store.engine import create_engine
from mssante.cli_directory import directory_app
from tests.directory.samples import write_mailbox_file, write_ps_file


def test_cli_import_search_stats(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    cfg = tmp_path / "mssante.toml"
    (tmp_path / "certs").mkdir()
    for name in ("server.pem", "server.key", "ca.pem"):
        (tmp_path / "certs" / name).write_text("placeholder\n", encoding="utf-8")
    cfg.write_text(f'[server]\ndomains = ["demo.mssante.fr"]\n\n'
                   f'[database]\nurl = "sqlite+aiosqlite:///{db}"\n', encoding="utf-8")

    async def schema() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{db}")
        await create_schema(engine)
        await engine.dispose()

    asyncio.run(schema())
    runner = CliRunner(env={"COLUMNS": "250"})
    ps, mss = write_ps_file(tmp_path / "ps.txt"), write_mailbox_file(tmp_path / "mss.txt")
    result = runner.invoke(directory_app, ["import", str(ps), str(mss), "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert "line 4: expected 32 columns, found 4" in result.output
    assert "6 created" in result.output
    result = runner.invoke(directory_app, ["search", "hélène dupond", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert "helene.dupond@medecin.mssante.fr" in result.output
    result = runner.invoke(directory_app, ["search", "", "--kind", "ORG", "--config", str(cfg)])
    assert "cardiologie@ch-lyon.mssante.fr" in result.output
    result = runner.invoke(directory_app, ["stats"],
                           env={"MSSANTE_CONFIG": str(cfg), "COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "practitioners" in result.output and "3" in result.output
    bad = tmp_path / "bad.txt"
    bad.write_text("x|y\n", encoding="utf-8")
    result = runner.invoke(directory_app, ["import", str(bad), "--config", str(cfg)])
    assert result.exit_code == 1
