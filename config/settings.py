"""Typed settings. Every field here is documented in docs/configuration.md.

Paths are resolved against the folder of the configuration file, so a data folder can be
moved as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MIB = 1024 * 1024


@dataclass(frozen=True)
class Listener:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class ServerSettings:
    hostname: str = "localhost"
    domains: list[str] = field(default_factory=list)
    patient_domain: str = ""
    log_level: str = "INFO"


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite+aiosqlite:///mssante.db"
    pool_size: int = 10


@dataclass(frozen=True)
class TLSSettings:
    certificate: Path = Path("certs/server.pem")
    private_key: Path = Path("certs/server.key")
    client_ca: Path = Path("certs/ca.pem")


@dataclass(frozen=True)
class ListenerSettings:
    """Each listener is "host:port"; an empty string disables it."""

    smtp: Listener | None = Listener("127.0.0.1", 2525)
    submission_tls: Listener | None = Listener("127.0.0.1", 2465)
    submission_starttls: Listener | None = Listener("127.0.0.1", 2587)
    imap_starttls: Listener | None = Listener("127.0.0.1", 2143)
    imap_tls: Listener | None = Listener("127.0.0.1", 2993)
    https: Listener | None = Listener("127.0.0.1", 8443)


@dataclass(frozen=True)
class LimitSettings:
    max_message_size: int = 50 * MIB
    patient_max_message_size: int = 25 * MIB
    max_line_length: int = 1000
    max_recipients: int = 100
    max_connections: int = 2000
    max_connections_per_client: int = 50
    smtp_timeout: int = 300
    imap_max_line_length: int = 65536
    imap_max_literal: int = 50 * MIB
    imap_commands_per_second: int = 500
    imap_idle_timeout: int = 1800
    imap_idle_command_timeout: int = 1740


@dataclass(frozen=True)
class AuthSettings:
    """Failed logins are throttled per (client address, account) and per client address,
    with exponential back-off; never per account alone (that would let anyone lock a user
    out). Successful password logins are remembered in memory for `login_cache_ttl`."""

    max_failures_per_client: int = 30
    max_failures_per_client_account: int = 5
    failure_window: int = 300
    failure_delay: float = 1.0
    backoff_start: float = 2.0
    backoff_max: int = 900
    login_cache_ttl: int = 900
    login_cache_size: int = 10000
    argon2_workers: int = 0
    argon2_queue: int = 16


@dataclass(frozen=True)
class Argon2Settings:
    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 2


@dataclass(frozen=True)
class KeySettings:
    master_key: Path = Path("keys/master.key")


@dataclass(frozen=True)
class TrustSettings:
    list: str = "trust/listeblanche.xml"
    ca: Path = Path("certs/ca.pem")
    refresh_interval: int = 3600
    max_age: int = 7 * 24 * 3600


@dataclass(frozen=True)
class RelaySettings:
    enabled: bool = True
    routes: dict[str, str] = field(default_factory=dict)
    client_certificate: Path = Path("certs/server.pem")
    client_private_key: Path = Path("certs/server.key")
    retry_schedule: list[int] = field(default_factory=lambda: [60, 300, 900, 1800, 3600])
    delay_notice_after: int = 4 * 3600
    max_age: int = 5 * 24 * 3600
    max_connections_per_destination: int = 4
    poll_interval: float = 1.0
    connect_timeout: float = 30.0
    # Per SMTP command when relaying (RFC 5321 §4.5.3.2 suggests up to 10 min after DATA).
    command_timeout: float = 300.0
    dkim_selector: str = "mssante"
    dkim_private_key: Path = Path("keys/dkim.key")
    dkim_static_keys: dict[str, str] = field(default_factory=dict)
    dkim_failure: str = "reject"


@dataclass(frozen=True)
class DirectorySettings:
    refuse_unknown_professionals: bool = False


@dataclass(frozen=True)
class Settings:
    config_file: Path
    base_dir: Path
    server: ServerSettings = field(default_factory=ServerSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    tls: TLSSettings = field(default_factory=TLSSettings)
    listeners: ListenerSettings = field(default_factory=ListenerSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    argon2: Argon2Settings = field(default_factory=Argon2Settings)
    keys: KeySettings = field(default_factory=KeySettings)
    trust: TrustSettings = field(default_factory=TrustSettings)
    relay: RelaySettings = field(default_factory=RelaySettings)
    directory: DirectorySettings = field(default_factory=DirectorySettings)

    @property
    def local_domains(self) -> list[str]:
        """Every domain this server hosts, professional and patient."""
        doms = list(self.server.domains)
        if self.server.patient_domain:
            doms.append(self.server.patient_domain)
        return doms


SECTIONS: dict[str, type] = {
    "server": ServerSettings,
    "database": DatabaseSettings,
    "tls": TLSSettings,
    "listeners": ListenerSettings,
    "limits": LimitSettings,
    "auth": AuthSettings,
    "argon2": Argon2Settings,
    "keys": KeySettings,
    "trust": TrustSettings,
    "relay": RelaySettings,
    "directory": DirectorySettings,
}
