"""Settings: one TOML file plus MSSANTE_* environment overrides, validated at start."""

from config.errors import ConfigError
from config.loader import ENV_CONFIG, load_settings
from config.settings import (
    Argon2Settings,
    AuthSettings,
    DatabaseSettings,
    LimitSettings,
    Listener,
    ListenerSettings,
    RelaySettings,
    Settings,
    TLSSettings,
    TrustSettings,
)

__all__ = [
    "ENV_CONFIG",
    "Argon2Settings",
    "AuthSettings",
    "ConfigError",
    "DatabaseSettings",
    "LimitSettings",
    "Listener",
    "ListenerSettings",
    "RelaySettings",
    "Settings",
    "TLSSettings",
    "TrustSettings",
    "load_settings",
]
