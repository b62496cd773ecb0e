"""`mssante init`: a data folder with its configuration, database, keys and certificates."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import tomli_w
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from config import Settings, load_settings
from config.loader import database_url
from crypto import (
    create_ca,
    issue_server_certificate,
    load_certificate,
    load_private_key,
    subject_dn,
    write_master_key,
    write_pem,
)
from mailserver.store.migrate import upgrade
from mailserver.trust import TrustEntry, render_trust_list

BASE_PORTS = {
    "smtp": 2525,
    "submission_tls": 2465,
    "submission_starttls": 2587,
    "imap_starttls": 2143,
    "imap_tls": 2993,
    "https": 8443,
}


class InitError(Exception):
    pass


@dataclass(frozen=True)
class InitOptions:
    data_dir: Path
    domain: str
    patient_domain: str = ""
    port_offset: int = 0
    hostname: str = ""
    host: str = "127.0.0.1"
    database_url: str = ""
    ca_cert: Path | None = None  # share one CA between several operators (trust space)
    ca_key: Path | None = None
    organization: str = "mssante"
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3
    ports: dict[str, int] | None = None  # explicit ports (tests pick free ones)


async def initialise(opts: InitOptions) -> Settings:
    """Create everything; refuse to overwrite an existing data folder."""
    data = opts.data_dir.resolve()
    config_file = data / "mssante.toml"
    if config_file.exists():
        raise InitError(f"{config_file} already exists: this folder is initialised")
    domain = opts.domain.lower()
    hostname = opts.hostname or f"mail.{domain}"
    for sub in ("certs", "keys", "trust"):
        (data / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(data / "keys", 0o700)
    _make_pki(data, opts, hostname, domain)
    write_master_key(data / "keys" / "master.key")
    _make_dkim_key(data / "keys" / "dkim.key")
    own_dn = subject_dn(load_certificate(data / "certs" / "server.pem"))
    domains = [domain] + ([opts.patient_domain.lower()] if opts.patient_domain else [])
    entries = [TrustEntry(domain=d, dn=own_dn,
                          description=f"Domaine de messagerie MSSanté {d} (local)")
               for d in domains]
    (data / "trust" / "listeblanche.xml").write_bytes(render_trust_list(entries))
    config = _config_dict(opts, hostname, domain)
    config_file.write_text(tomli_w.dumps(config), encoding="utf-8")
    settings = load_settings(config_file)
    await upgrade(database_url(settings))
    await _add_domains(settings)
    return settings


def _make_pki(data: Path, opts: InitOptions, hostname: str, domain: str) -> None:
    certs = data / "certs"
    if opts.ca_cert and opts.ca_key:
        ca_cert, ca_key = load_certificate(opts.ca_cert), load_private_key(opts.ca_key)
        write_pem(certs / "ca.pem", ca_cert)
    else:
        ca_cert, ca_key = create_ca(f"{opts.organization} test CA", opts.organization)
        write_pem(certs / "ca.pem", ca_cert, data / "keys" / "ca.key", ca_key)
    alt = [domain, "localhost"]
    if opts.patient_domain:
        alt.append(opts.patient_domain.lower())
    cert, key = issue_server_certificate(ca_cert, ca_key, hostname, alt,
                                         organization=opts.organization)
    write_pem(certs / "server.pem", cert, certs / "server.key", key)


def _make_dkim_key(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    os.chmod(path, 0o600)


def _config_dict(opts: InitOptions, hostname: str, domain: str) -> dict[str, object]:
    ports = opts.ports or {n: p + opts.port_offset for n, p in BASE_PORTS.items()}
    listeners = {name: f"{opts.host}:{port}" for name, port in ports.items()}
    return {
        "server": {"hostname": hostname, "domains": [domain],
                   "patient_domain": opts.patient_domain.lower()},
        "database": {"url": opts.database_url or "sqlite+aiosqlite:///mssante.db"},
        "tls": {"certificate": "certs/server.pem", "private_key": "certs/server.key",
                "client_ca": "certs/ca.pem"},
        "listeners": listeners,
        "keys": {"master_key": "keys/master.key"},
        "argon2": {"memory_kib": opts.argon2_memory_kib, "time_cost": opts.argon2_time_cost},
        "trust": {"list": "trust/listeblanche.xml", "ca": "certs/ca.pem"},
        "relay": {"dkim_private_key": "keys/dkim.key"},
    }


async def _add_domains(settings: Settings) -> None:
    from mailserver.store import Store, create_engine, session_factory

    engine = create_engine(database_url(settings))
    try:
        store = Store(session_factory(engine))
        existing = {name for name, _ in await store.list_domains()}
        for d in settings.server.domains:
            if d not in existing:
                await store.add_domain(d, "professional")
        if settings.server.patient_domain and settings.server.patient_domain not in existing:
            await store.add_domain(settings.server.patient_domain, "patient")
    finally:
        await engine.dispose()
