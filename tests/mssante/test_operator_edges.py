"""The operator's rough edges (issue 12), run as a subprocess as an operator would."""

from __future__ import annotations

from pathlib import Path

from tests.mssante.serverproc import mssante


def test_configuration_error_names_section_and_key_on_the_terminal(tmp_path: Path) -> None:
    cfg = tmp_path / "mssante.toml"
    cfg.write_text('[listeners]\nsmtp = "127.0.0.1:70000"\n')
    res = mssante("account", "list", config=cfg, check=False)
    assert res.returncode == 2
    assert "[listeners.smtp] port 70000 is outside 1..65535" in res.stderr
    assert "Traceback" not in res.stderr
    cfg.write_text('[listeners]\npot = "127.0.0.1:2525"\n')
    res = mssante("account", "list", config=cfg, check=False)
    assert res.returncode == 2 and "unknown key 'pot' in [listeners]" in res.stderr
