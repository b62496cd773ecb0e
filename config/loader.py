"""Read the TOML file, apply MSSANTE_* overrides, convert and validate every value."""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from config.errors import ConfigError
from config.settings import SECTIONS, Listener, Settings

ENV_CONFIG = "MSSANTE_CONFIG"
ENV_PREFIX = "MSSANTE_"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


def load_settings(path: str | os.PathLike[str] | None = None,
                  environ: typing.Mapping[str, str] | None = None) -> Settings:
    """Load and validate the configuration; raise ConfigError naming the file and the key."""
    env = os.environ if environ is None else environ
    if path is None:
        path = env.get(ENV_CONFIG)
        if not path:
            raise ConfigError(f"no configuration file: pass --config FILE or set {ENV_CONFIG}")
    file = Path(path).resolve()
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("file not found", file=str(file)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(file)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=str(file)) from None
    base = file.parent
    sections: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in SECTIONS:
            raise ConfigError(f"unknown section (known: {', '.join(SECTIONS)})",
                              file=str(file), key=name)
        if not isinstance(value, dict):
            raise ConfigError("must be a table", file=str(file), key=name)
    for name, cls in SECTIONS.items():
        values = dict(raw.get(name, {}))
        _apply_env(name, cls, values, env)
        sections[name] = _build_section(name, cls, values, base, str(file))
    settings = Settings(config_file=file, base_dir=base, **sections)
    _validate(settings, str(file))
    return settings


def _apply_env(section: str, cls: type, values: dict[str, Any],
               env: typing.Mapping[str, str]) -> None:
    for f in dataclasses.fields(cls):
        var = f"{ENV_PREFIX}{section.upper()}_{f.name.upper()}"
        if var in env:
            values[f.name] = _EnvText(env[var], var)


class _EnvText(str):
    """A value that came from the environment, as text; converted by field type."""

    def __new__(cls, value: str, var: str) -> _EnvText:
        obj = super().__new__(cls, value)
        obj.var = var  # type: ignore[attr-defined]
        return obj


def _build_section(section: str, cls: type, values: dict[str, Any], base: Path,
                   file: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        dotted = f"{section}.{key}"
        if key not in known:
            raise ConfigError(f"unknown key (known: {', '.join(sorted(known))})",
                              file=file, key=dotted)
        where = getattr(value, "var", None)
        try:
            kwargs[key] = _convert(value, hints[key], base)
        except (ValueError, TypeError) as exc:
            origin = f" (from ${where})" if where else ""
            raise ConfigError(f"{exc}{origin}", file=file, key=dotted) from None
    obj = cls(**kwargs)
    # Resolve default relative paths too.
    for f in dataclasses.fields(cls):
        if f.name not in kwargs and hints[f.name] is Path:
            object.__setattr__(obj, f.name, _path(getattr(obj, f.name), base))
    return obj


def _path(value: Path, base: Path) -> Path:
    return value if value.is_absolute() else (base / value)


def _convert(value: Any, hint: Any, base: Path) -> Any:
    from_env = isinstance(value, _EnvText)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)][0]
        if value in ("", None):
            return None
        return _convert(value, inner, base)
    if hint is Listener:
        return parse_listener(str(value))
    if hint is bool:
        if from_env:
            low = value.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"expected true or false, got {value!r}")
        if not isinstance(value, bool):
            raise TypeError(f"expected true or false, got {value!r}")
        return value
    if hint is int:
        if from_env:
            value = _int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an integer, got {value!r}")
        if value < 0:
            raise ValueError(f"must not be negative, got {value}")
        return value
    if hint is float:
        if from_env:
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise TypeError(f"expected a string, got {value!r}")
        return str(value)
    if hint is Path:
        if not isinstance(value, str) or not value:
            raise TypeError(f"expected a file path, got {value!r}")
        return _path(Path(value), base)
    if origin is list:
        if from_env:
            value = json.loads(value) if value.startswith("[") else [
                v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {value!r}")
        return [_convert(v, args[0], base) for v in value]
    if origin is dict:
        if from_env:
            value = json.loads(value)
        if not isinstance(value, dict):
            raise TypeError(f"expected a table, got {value!r}")
        return {str(k): _convert(v, args[1], base) for k, v in value.items()}
    raise TypeError(f"unsupported setting type {hint!r}")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"expected an integer, got {text!r}") from None


def parse_listener(text: str) -> Listener:
    """Parse "host:port" or "[v6]:port"; ports must be 1..65535."""
    text = text.strip()
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
    else:
        host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"expected host:port, got {text!r}")
    try:
        num = int(port)
    except ValueError:
        raise ValueError(f"bad port {port!r} in {text!r}") from None
    if not 1 <= num <= 65535:
        raise ValueError(f"port {num} is outside 1..65535")
    return Listener(host, num)


def _validate(s: Settings, file: str) -> None:
    for key, path in (("tls.certificate", s.tls.certificate),
                      ("tls.private_key", s.tls.private_key),
                      ("tls.client_ca", s.tls.client_ca),
                      ("trust.ca", s.trust.ca)):
        if not path.is_file():
            raise ConfigError(f"file not found: {path}", file=file, key=key)
    if not s.server.domains:
        raise ConfigError("at least one domain is required", file=file, key="server.domains")
    for d in s.local_domains:
        if "." not in d or "@" in d or " " in d:
            raise ConfigError(f"not a domain name: {d!r}", file=file, key="server.domains")
    _validate_database_url(s.database.url, file)
    if s.relay.dkim_failure not in ("reject", "tag"):
        raise ConfigError("must be 'reject' or 'tag'", file=file, key="relay.dkim_failure")
    for dom, route in s.relay.routes.items():
        try:
            parse_listener(route)
        except ValueError as exc:
            raise ConfigError(f"route for {dom}: {exc}", file=file, key="relay.routes") from None
    seen: dict[tuple[str, int], str] = {}
    for f in dataclasses.fields(s.listeners):
        lis = getattr(s.listeners, f.name)
        if lis is None:
            continue
        k = (lis.host, lis.port)
        if k in seen:
            raise ConfigError(f"same address as listeners.{seen[k]}: {lis}", file=file,
                              key=f"listeners.{f.name}")
        seen[k] = f.name
    if s.limits.max_line_length < 512:
        raise ConfigError("must be at least 512 (RFC 5321)", file=file,
                          key="limits.max_line_length")
    _validate_auth(s, file)


def _validate_auth(s: Settings, file: str) -> None:
    a = s.auth
    for key in ("max_failures_per_client", "max_failures_per_client_account"):
        if getattr(a, key) < 1:
            raise ConfigError("must be at least 1", file=file, key=f"auth.{key}")
    for key in ("login_cache_ttl", "login_cache_size", "argon2_workers", "argon2_queue",
                "failure_window", "failure_delay"):
        if getattr(a, key) < 0:
            raise ConfigError("must not be negative", file=file, key=f"auth.{key}")
    if not 0 < a.backoff_start <= a.backoff_max:
        raise ConfigError("must be above 0 and at most auth.backoff_max", file=file,
                          key="auth.backoff_start")


def _validate_database_url(url: str, file: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"unreadable database URL {url!r}", file=file,
                          key="database.url") from None
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise ConfigError(f"unsupported driver {parsed.drivername!r} "
                          f"(use one of: {', '.join(SUPPORTED_DRIVERS)})",
                          file=file, key="database.url")


def database_url(settings: Settings) -> str:
    """The database URL with a relative SQLite path resolved against the config folder."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database.url)
    if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
        db = Path(url.database)
        if not db.is_absolute():
            url = url.set(database=str(settings.base_dir / db))
    return url.render_as_string(hide_password=False)
