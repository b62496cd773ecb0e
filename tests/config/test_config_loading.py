"""Configuration validation: every error names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, Listener, load_settings
from config.loader import database_url


@pytest.fixture
def data(tmp_path: Path) -> Path:
    (tmp_path / "certs").mkdir()
    for name in ("server.pem", "server.key", "ca.pem"):
        (tmp_path / "certs" / name).write_text("x")
    return tmp_path


def write(data: Path, text: str) -> Path:
    path = data / "mssante.toml"
    path.write_text('[server]\ndomains = ["hopital.test"]\n' + text)
    return path


def test_defaults_and_relative_paths(data: Path) -> None:
    s = load_settings(write(data, ""), environ={})
    assert s.tls.certificate == data / "certs" / "server.pem"
    assert s.listeners.smtp == Listener("127.0.0.1", 2525)
    assert database_url(s) == f"sqlite+aiosqlite:///{data}/mssante.db"


def test_unknown_key_names_file_and_key(data: Path) -> None:
    path = write(data, "[limits]\nmax_recipient = 3\n")
    with pytest.raises(ConfigError) as e:
        load_settings(path, environ={})
    assert "unknown key 'max_recipient' in [limits]" in str(e.value)
    assert str(path) in str(e.value)


def test_unknown_section(data: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[smpt\] unknown section"):
        load_settings(write(data, "[smpt]\nx = 1\n"), environ={})


@pytest.mark.parametrize("value, message", [
    ('"127.0.0.1:70000"', "outside 1..65535"),
    ('"127.0.0.1:abc"', "bad port"),
    ('"nohost"', "expected host:port"),
])
def test_bad_port(data: Path, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"listeners.smtp.*" + message):
        load_settings(write(data, f"[listeners]\nsmtp = {value}\n"), environ={})


def test_missing_certificate(data: Path) -> None:
    (data / "certs" / "server.pem").unlink()
    with pytest.raises(ConfigError, match=r"\[tls.certificate\] file not found"):
        load_settings(write(data, ""), environ={})


@pytest.mark.parametrize("url, message", [
    ("not a url", "unreadable database URL"),
    ("mysql://root@localhost/x", "unsupported driver"),
])
def test_bad_database_url(data: Path, url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"database.url.*" + message):
        load_settings(write(data, f'[database]\nurl = "{url}"\n'), environ={})


def test_environment_overrides(data: Path) -> None:
    env = {"MSSANTE_LIMITS_MAX_RECIPIENTS": "7", "MSSANTE_LISTENERS_HTTPS": "",
           "MSSANTE_SERVER_DOMAINS": "a.test,b.test", "MSSANTE_AUTH_FAILURE_DELAY": "0.5",
           "MSSANTE_RELAY_ROUTES": '{"b.test": "127.0.0.1:2526"}'}
    s = load_settings(write(data, ""), environ=env)
    assert s.limits.max_recipients == 7 and s.listeners.https is None
    assert s.server.domains == ["a.test", "b.test"] and s.auth.failure_delay == 0.5
    assert s.relay.routes == {"b.test": "127.0.0.1:2526"}


def test_bad_environment_value_names_variable(data: Path) -> None:
    with pytest.raises(ConfigError, match=r"limits.max_recipients.*MSSANTE_LIMITS_MAX_RECIP"):
        load_settings(write(data, ""), environ={"MSSANTE_LIMITS_MAX_RECIPIENTS": "lots"})


def test_wrong_types(data: Path) -> None:
    with pytest.raises(ConfigError, match="expected an integer"):
        load_settings(write(data, '[limits]\nmax_recipients = "ten"\n'), environ={})
    with pytest.raises(ConfigError, match="expected true or false"):
        load_settings(write(data, '[relay]\nenabled = "yes"\n'), environ={})


def test_invalid_toml_and_missing_file(data: Path) -> None:
    path = data / "mssante.toml"
    path.write_text("[server\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path, environ={})
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(data / "nope.toml", environ={})
    with pytest.raises(ConfigError, match="MSSANTE_CONFIG"):
        load_settings(None, environ={})


def test_duplicate_listener_address(data: Path) -> None:
    text = '[listeners]\nsmtp = "127.0.0.1:2000"\nimap_tls = "127.0.0.1:2000"\n'
    with pytest.raises(ConfigError, match="listeners.imap_tls"):
        load_settings(write(data, text), environ={})


def test_domains_required(data: Path) -> None:
    path = data / "mssante.toml"
    path.write_text("")
    with pytest.raises(ConfigError, match="server.domains"):
        load_settings(path, environ={})


def test_log_level_checked_at_load_and_any_case(data: Path) -> None:
    s = load_settings(write(data, 'log_level = "debug"\n'), environ={})
    assert s.server.log_level == "DEBUG"
    with pytest.raises(ConfigError, match=r"\[server.log_level\] unknown log level 'loud'"):
        load_settings(write(data, 'log_level = "loud"\n'), environ={})


def test_bad_environment_json_names_variable(data: Path) -> None:
    with pytest.raises(ConfigError, match=r"relay.routes.*not valid JSON.*MSSANTE_RELAY_ROUTES"):
        load_settings(write(data, ""), environ={"MSSANTE_RELAY_ROUTES": "{oops"})
