"""The operator's rough edges (issue 12), run as a subprocess as an operator would."""

from __future__ import annotations

import asyncio
import re
import socket
import stat
import uuid
from pathlib import Path

import pytest

from config import Settings
from mssante.init import initialise
from tests.conftest import PG_SKIP, free_ports, init_options
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


@pytest.fixture
def node(tmp_path: Path) -> Settings:
    return asyncio.run(initialise(init_options(tmp_path / "data")))


def _serve_fails(settings: Settings) -> str:
    res = mssante("serve", config=settings.config_file, check=False)
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    assert "serving" not in res.stdout  # no banner: not every listener opened
    (line,) = [ln for ln in res.stderr.splitlines() if ln.startswith("mssante serve:")]
    return line


def test_serve_port_in_use_is_one_line(node: Settings) -> None:
    imap = node.listeners.imap_starttls
    assert imap is not None
    with socket.create_server((imap.host, imap.port)):
        line = _serve_fails(node)
    assert "cannot start IMAP" in line and str(imap.port) in line and "in use" in line


def test_serve_https_port_in_use_is_one_line(node: Settings) -> None:
    https = node.listeners.https
    assert https is not None
    with socket.create_server((https.host, https.port)):
        line = _serve_fails(node)
    assert "cannot start HTTPS" in line and str(https.port) in line


def test_serve_bad_master_key_is_one_line(node: Settings) -> None:
    node.keys.master_key.write_text("short\n")
    assert "bad master key" in _serve_fails(node)


def test_serve_unreadable_certificate_is_one_line(node: Settings) -> None:
    node.tls.certificate.write_text("not a certificate\n")
    line = _serve_fails(node)
    assert "cannot use the TLS certificate" in line and str(node.tls.certificate) in line


def test_serve_database_unreachable_is_one_line(node: Settings) -> None:
    (port,) = free_ports(1)  # nothing listens there
    text = node.config_file.read_text()
    text = re.sub(r'(?m)^url = ".*"$',
                  f'url = "postgresql+asyncpg://nobody@127.0.0.1:{port}/none"', text)
    assert "postgresql" in text
    node.config_file.write_text(text)
    assert "database unreachable" in _serve_fails(node)


def test_version() -> None:
    from importlib.metadata import version

    assert mssante("--version").stdout.strip() == f"mssante {version('mssante')}"


def _left_in(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir()) if parent.exists() else []


@pytest.mark.parametrize("args, message", [
    (["--domain", "not a domain"], "--domain: not a domain name"),
    (["--domain", "h.test", "--port-offset", "70000"], "outside 1..65535"),
    (["--domain", "h.test", "--ca-cert", "/nonexistent.pem"], "go together"),
    (["--domain", "h.test", "--database-url", "mysql://x@y/z"], "unsupported driver"),
])
def test_init_checks_inputs_before_writing(tmp_path: Path, args: list[str],
                                           message: str) -> None:
    res = mssante("init", "--data-dir", str(tmp_path / "srv"), *args, check=False)
    assert res.returncode == 1 and message in res.stderr and "Traceback" not in res.stderr
    assert _left_in(tmp_path) == []


def test_init_failing_late_leaves_nothing(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    res = mssante("init", "--data-dir", str(tmp_path / "srv"), "--domain", "h.test",
                  "--database-url", f"postgresql+asyncpg://nobody@127.0.0.1:{port}/x",
                  check=False)
    assert res.returncode == 1 and "cannot prepare the database" in res.stderr
    assert "Traceback" not in res.stderr
    assert _left_in(tmp_path) == []  # neither the folder nor its temporary twin


@PG_SKIP
@pytest.mark.postgres
def test_init_missing_postgresql_database_says_how_to_create_it(tmp_path: Path) -> None:
    name = f"mssante_missing_{uuid.uuid4().hex[:8]}"
    res = mssante("init", "--data-dir", str(tmp_path / "srv"), "--domain", "h.test",
                  "--database-url", f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}",
                  check=False)
    assert res.returncode == 1
    assert f"createdb -h 127.0.0.1 -p 5432 -U postgres {name}" in res.stderr
    assert _left_in(tmp_path) == []


def test_init_makes_everything_owner_only(node: Settings) -> None:
    data = node.base_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in data.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    assert [p.name for p in data.parent.iterdir()] == ["data"]  # no temporary left
