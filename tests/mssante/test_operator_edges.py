"""The operator's rough edges (issue 12), run as a subprocess as an operator would."""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

import pytest

from config import Settings
from mssante.init import initialise
from tests.conftest import free_ports, init_options
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
