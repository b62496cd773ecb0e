"""Read the TOML file, apply MSSANTE_* overrides, convert and validate every value."""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
import types
import typing
from collections.abc import Callable
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

    var: str  # the variable it came from, named in errors

    def __new__(cls, value: str, var: str) -> _EnvText:
        obj = super().__new__(cls, value)
        obj.var = var
        return obj


def _build_section(section: str, cls: type, values: dict[str, Any], base: Path,
                   file: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        dotted = f"{section}.{key}"
        if key not in known:
            raise ConfigError(f"unknown key {key!r} in [{section}] "
                              f"(known: {', '.join(sorted(known))})", file=file)
        where = getattr(value, "var", None)
        try:
            kwargs[key] = _convert(value, hints[key], base)
            rule = _FIELD_RULES.get(dotted)
            if rule is not None:
                kwargs[key] = rule(kwargs[key])
        except (ValueError, TypeError) as exc:
            origin = f" (from ${where})" if where else ""
            raise ConfigError(f"{exc}{origin}", file=file, key=dotted) from None
    obj = cls(**kwargs)
    # Resolve default relative paths too.
    for f in dataclasses.fields(cls):
        if f.name not in kwargs and hints[f.name] is Path:
            object.__setattr__(obj, f.name, _path(getattr(obj, f.name), base))
    return obj


def _log_level(value: Any) -> str:
    """A `logging` level name, any case (stored upper-case, as `logging` wants it)."""
    level = str(value).upper()
    if level not in _LOG_LEVELS:
        raise ValueError(f"unknown log level {value!r} (use one of: {', '.join(_LOG_LEVELS)})")
    return level


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Checks of one value beyond its type, by "section.key" (cross-field checks are in _validate).
_FIELD_RULES: dict[str, Callable[[Any], Any]] = {
    "server.log_level": _log_level,
}


def _path(value: Path, base: Path) -> Path:
    return value if value.is_absolute() else (base / value)


def _convert(value: Any, hint: Any, base: Path) -> Any:
    """`value` (from TOML, or text from the environment) as the field type `hint`."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return _optional(value, typing.get_args(hint), base)
    if origin in _CONTAINERS:
        return _CONTAINERS[origin](value, typing.get_args(hint), base)
    scalar = _SCALARS.get(hint)
    if scalar is None:
        raise TypeError(f"unsupported setting type {hint!r}")
    return scalar(value, base)


# One converter per field type. Environment values arrive as text (_EnvText) and are parsed;
# TOML values already have a type, which must be the right one.

def _to_bool(value: Any, base: Path) -> bool:
    if isinstance(value, _EnvText):
        low = value.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"expected true or false, got {value!r}")
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _to_int(value: Any, base: Path) -> int:
    if isinstance(value, _EnvText):
        value = _int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r}")
    if value < 0:
        raise ValueError(f"must not be negative, got {value}")
    return int(value)


def _to_float(value: Any, base: Path) -> float:
    if isinstance(value, _EnvText):
        value = _float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def _to_str(value: Any, base: Path) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return str(value)


def _to_path(value: Any, base: Path) -> Path:
    if not isinstance(value, str) or not value:
        raise TypeError(f"expected a file path, got {value!r}")
    return _path(Path(value), base)


def _to_listener(value: Any, base: Path) -> Listener:
    return parse_listener(str(value))


_SCALARS: dict[Any, Callable[[Any, Path], Any]] = {
    bool: _to_bool,
    int: _to_int,
    float: _to_float,
    str: _to_str,
    Path: _to_path,
    Listener: _to_listener,
}


def _optional(value: Any, args: tuple[Any, ...], base: Path) -> Any:
    """`X | None`: an empty string (or nothing) disables the setting."""
    if value in ("", None):
        return None
    inner = [a for a in args if a is not type(None)][0]
    return _convert(value, inner, base)


def _to_list(value: Any, args: tuple[Any, ...], base: Path) -> list[Any]:
    if isinstance(value, _EnvText):  # a JSON list, or comma-separated items
        value = _json(value) if value.startswith("[") else [
            v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {value!r}")
    return [_convert(v, args[0], base) for v in value]


def _to_dict(value: Any, args: tuple[Any, ...], base: Path) -> dict[str, Any]:
    if isinstance(value, _EnvText):  # a JSON object
        value = _json(value)
    if not isinstance(value, dict):
        raise TypeError(f"expected a table, got {value!r}")
    return {str(k): _convert(v, args[1], base) for k, v in value.items()}


_CONTAINERS: dict[Any, Callable[[Any, tuple[Any, ...], Path], Any]] = {
    list: _to_list,
    dict: _to_dict,
}


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"expected an integer, got {text!r}") from None


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg}") from None


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
