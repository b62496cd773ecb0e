"""`mssante init`: a data folder with its configuration, database, keys and certificates."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import tomli_w
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from config import Settings, load_settings
from config.loader import SUPPORTED_DRIVERS, database_url
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
    """Create everything, or nothing: inputs are checked first, the folder is built under a
    temporary name beside the target and renamed at the end (removed on any failure).

    Refuses to overwrite an existing data folder."""
    data = opts.data_dir.resolve()
    _check_options(opts, data)
    domain = opts.domain.lower()
    hostname = opts.hostname or f"mail.{domain}"
    data.parent.mkdir(parents=True, exist_ok=True)
    # mkdtemp: 0700, and on the same file system as the target, so the rename is atomic
    work = Path(tempfile.mkdtemp(prefix=f".{data.name}.init-", dir=data.parent))
    try:
        _build(work, opts, hostname, domain)
        settings = load_settings(work / CONFIG_NAME)
        try:
            await upgrade(database_url(settings))
        except Exception as exc:
            raise InitError(_database_problem(settings, exc)) from exc
        await _add_domains(settings)
        _owner_only(work)
        work.rename(data)  # rename(2) replaces an empty folder (checked above) atomically
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return load_settings(data / CONFIG_NAME)


CONFIG_NAME = "mssante.toml"


def _check_options(opts: InitOptions, data: Path) -> None:
    """Every input checked before anything is written."""
    if (data / CONFIG_NAME).exists():
        raise InitError(f"{data / CONFIG_NAME} already exists: this folder is initialised")
    if data.exists() and (not data.is_dir() or any(data.iterdir())):
        raise InitError(f"{data} already exists and is not an empty folder")
    for label, name in (("--domain", opts.domain), ("--patient-domain", opts.patient_domain),
                        ("--hostname", opts.hostname)):
        if name and not _DOMAIN_RE.fullmatch(name):
            raise InitError(f"{label}: not a domain name: {name!r}")
    if opts.patient_domain and opts.patient_domain.lower() == opts.domain.lower():
        raise InitError("--patient-domain must differ from --domain")
    ports = opts.ports or {n: p + opts.port_offset for n, p in BASE_PORTS.items()}
    for name, port in ports.items():
        if not 1 <= port <= 65535:
            raise InitError(f"--port-offset {opts.port_offset}: the {name} port {port} is "
                            "outside 1..65535")
    if (opts.ca_cert is None) != (opts.ca_key is None):
        raise InitError("--ca-cert and --ca-key go together")
    for label, path in (("--ca-cert", opts.ca_cert), ("--ca-key", opts.ca_key)):
        if path is not None and not path.is_file():
            raise InitError(f"{label}: no such file: {path}")
    if opts.database_url:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            driver = make_url(opts.database_url).drivername
        except ArgumentError:
            raise InitError(f"--database-url: unreadable URL {opts.database_url!r}") from None
        if driver not in SUPPORTED_DRIVERS:
            raise InitError(f"--database-url: unsupported driver {driver!r} "
                            f"(use one of: {', '.join(SUPPORTED_DRIVERS)})")


_DOMAIN_RE = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
                        re.IGNORECASE)


def _build(work: Path, opts: InitOptions, hostname: str, domain: str) -> None:
    for sub in ("certs", "keys", "trust"):
        (work / sub).mkdir(mode=0o700)
    if opts.ca_cert and opts.ca_key:
        try:
            load_certificate(opts.ca_cert)
            load_private_key(opts.ca_key)
        except (ValueError, TypeError, OSError) as exc:
            raise InitError(f"--ca-cert/--ca-key: unreadable: {exc}") from None
    _make_pki(work, opts, hostname, domain)
    write_master_key(work / "keys" / "master.key")
    _make_dkim_key(work / "keys" / "dkim.key")
    own_dn = subject_dn(load_certificate(work / "certs" / "server.pem"))
    domains = [domain] + ([opts.patient_domain.lower()] if opts.patient_domain else [])
    entries = [TrustEntry(domain=d, dn=own_dn,
                          description=f"Domaine de messagerie MSSanté {d} (local)")
               for d in domains]
    (work / "trust" / "listeblanche.xml").write_bytes(render_trust_list(entries))
    write_owner_only(work / CONFIG_NAME,  # may hold a database password
                   tomli_w.dumps(_config_dict(opts, hostname, domain)).encode())


def _database_problem(settings: Settings, exc: Exception) -> str:
    """One line for a database that cannot be prepared, with the fix when it is known."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database.url)
    cause = getattr(exc, "orig", None) or exc
    text = " ".join(str(cause).split())
    if "does not exist" in text and url.drivername.startswith("postgresql") and url.database:
        user = f" -U {url.username}" if url.username else ""
        return (f"the PostgreSQL database {url.database!r} does not exist; create it with: "
                f"createdb -h {url.host or 'localhost'} -p {url.port or 5432}{user} "
                f"{url.database}")
    return f"cannot prepare the database: {text[:300]}"


def _owner_only(data: Path) -> None:
    """The data folder and everything in it for the owner alone (0700 folders, 0600 files)."""
    for folder, _dirs, files in os.walk(data):
        os.chmod(folder, 0o700)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o600)


def write_owner_only(path: Path, content: bytes) -> None:
    """Create `path` (it must not exist) readable by the owner alone, from the first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(content)


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
    write_owner_only(path, key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))


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
