"""Two (or more) operators on one machine, as real `mssante serve` processes.

Each operator has its own data folder, domain and free ports; all share one test CA (B is
initialised with A's CA, as `mssante init --ca-cert --ca-key` does) and one trust list naming
every operator's domain with its certificate DN. Static routes point each domain at the other
operator's MX port on 127.0.0.1; retry schedules are short.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
import tomli_w

from config import Settings, load_settings
from crypto import load_certificate, subject_dn
from mailserver.inbound import dkim_txt_record
from mailserver.services import build_services
from mailserver.store import copy_aad
from mailserver.trust import TrustEntry, render_trust_list
from mssante.init import BASE_PORTS, InitOptions, initialise
from tests.conftest import PASSWORD, free_ports

ROOT = Path(__file__).resolve().parents[2]
MSSANTE = ROOT / ".venv" / "bin" / "mssante"
if not MSSANTE.exists():  # pragma: no cover - run from another venv
    MSSANTE = Path(sys.executable).with_name("mssante")

RELAY_TEST_SETTINGS: dict[str, Any] = {
    "retry_schedule": [1, 1, 2],
    "delay_notice_after": 3,
    "max_age": 120,
    "poll_interval": 0.1,
    "connect_timeout": 5.0,
    "command_timeout": 20.0,
}


@dataclass
class Operator:
    name: str
    domain: str
    data: Path
    settings: Settings
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.settings.config_file

    @property
    def mx_port(self) -> int:
        assert self.settings.listeners.smtp is not None
        return self.settings.listeners.smtp.port

    @property
    def submission_port(self) -> int:
        assert self.settings.listeners.submission_starttls is not None
        return self.settings.listeners.submission_starttls.port

    @property
    def dn(self) -> str:
        return subject_dn(load_certificate(self.data / "certs" / "server.pem"))

    def address(self, local: str) -> str:
        return f"{local}@{self.domain}"

    def reload(self) -> None:
        self.settings = load_settings(self.config)

    def edit_config(self, section: str, **values: Any) -> None:
        raw = tomllib.loads(self.config.read_text())
        raw.setdefault(section, {}).update(values)
        self.config.write_text(tomli_w.dumps(raw))
        self.reload()

    # -- process -------------------------------------------------------------------------

    def start(self, wait: bool = True) -> None:
        assert self.proc is None or self.proc.poll() is not None
        env = dict(os.environ, **self.extra_env)
        env.pop("MSSANTE_CONFIG", None)
        # The editable install may predate relay/ and webmail/ having an __init__.py (then
        # they import as namespace packages): put the source tree first.
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([str(MSSANTE), "serve", "--config", str(self.config)],
                                         stdout=log, stderr=subprocess.STDOUT, env=env,
                                         cwd=ROOT)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-4000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.mx_port), timeout=0.5):
                    pass
                with socket.create_connection(("127.0.0.1", self.submission_port),
                                              timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready:\n{self.log.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None

    # -- mail ----------------------------------------------------------------------------

    def tls_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.data / "certs" / "ca.pem"))
        ctx.check_hostname = False
        return ctx

    async def submit(self, sender: str, recipients: list[str], raw: bytes, *,
                     mail_options: list[str] | None = None,
                     rcpt_options: list[str] | None = None) -> None:
        """Submit on port 587 (STARTTLS, AUTH PLAIN) as `sender`."""
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=self.submission_port,
                               start_tls=True, tls_context=self.tls_context(), timeout=30)
        await smtp.connect()
        try:
            await smtp.login(sender, PASSWORD)
            await smtp.mail(sender, options=mail_options or [])
            for r in recipients:
                await smtp.rcpt(r, options=rcpt_options or [])
            await smtp.data(raw)
        finally:
            await smtp.quit()

    async def mailbox(self, address: str, folder: str = "INBOX") -> list[Mail]:
        """Every message of a folder, decrypted with the account's password."""
        svc = await build_services(self.settings)
        try:
            acc = await svc.store.get_account(address)
            assert acc is not None, address
            key = await svc.accounts.unlock_with_password(acc, PASSWORD)
            f = await svc.store.get_folder(acc.id, folder)
            if f is None:
                return []
            out = []
            for meta in await svc.store.list_messages(f.id):
                blob = await svc.store.get_sealed(acc.id, meta.id)
                raw = key.open(blob, copy_aad(acc.id, meta.id))
                out.append(Mail(raw, meta.thread_id, meta.uid))
            return out
        finally:
            await svc.close()

    async def wait_mail(self, address: str, n: int = 1, *, folder: str = "INBOX",
                        timeout: float = 30.0, what: str = "") -> list[Mail]:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        got: list[Mail] = []
        while time.monotonic() < deadline:
            got = await self.mailbox(address, folder)
            if len(got) >= n:
                return got
            await asyncio.sleep(0.3)
        raise AssertionError(f"{address} {folder}: {len(got)} messages, expected {n} {what}\n"
                             f"--- {self.name} log ---\n{self.log.read_text()[-3000:]}")

    async def queue(self) -> list[Any]:
        from mailserver.store.store import list_queue

        svc = await build_services(self.settings)
        try:
            return await list_queue(svc.store)
        finally:
            await svc.close()


def cli_env() -> dict[str, str]:
    env = dict(os.environ, COLUMNS="250")  # rich tables: no wrapping of ids and DNs
    env.pop("MSSANTE_CONFIG", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep)
    return env


async def run_cli(*args: str, config: Path, stdin: str | None = None
                  ) -> subprocess.CompletedProcess[str]:
    """`mssante ARGS --config CONFIG`, as an operator types it."""
    return await asyncio.to_thread(
        subprocess.run, [str(MSSANTE), *args, "--config", str(config)], input=stdin,
        capture_output=True, text=True, cwd=ROOT, env=cli_env(), timeout=120)


@dataclass
class Mail:
    raw: bytes
    thread_id: str | None
    uid: int

    @property
    def msg(self) -> Message:
        return message_from_bytes(self.raw)

    def __getitem__(self, name: str) -> str | None:
        v = self.msg[name]
        return None if v is None else str(v)


def trust_entries(*ops: Operator) -> list[TrustEntry]:
    return [TrustEntry(domain=o.domain, dn=o.dn,
                       description=f"Domaine de messagerie MSSanté {o.domain}") for o in ops]


def write_trust_list(entries: list[TrustEntry], *ops: Operator) -> None:
    data = render_trust_list(entries)
    for o in ops:
        (o.data / "trust" / "listeblanche.xml").write_bytes(data)


async def make_operator(root: Path, name: str, domain: str, *, ca_from: Operator | None = None,
                        organization: str | None = None, database_url: str = "",
                        users: tuple[str, ...] = ("doctor",)) -> Operator:
    data = root / name
    ports = dict(zip(BASE_PORTS, free_ports(len(BASE_PORTS)), strict=True))
    ca = {} if ca_from is None else {"ca_cert": ca_from.data / "certs" / "ca.pem",
                                     "ca_key": ca_from.data / "keys" / "ca.key"}
    settings = await initialise(InitOptions(
        data_dir=data, domain=domain, ports=ports, organization=organization or name.upper(),
        database_url=database_url, argon2_memory_kib=1024, argon2_time_cost=1,
        **ca))  # type: ignore[arg-type]
    op = Operator(name, domain, data, settings, root / f"{name}.log")
    op.edit_config("relay", **RELAY_TEST_SETTINGS)
    op.edit_config("trust", refresh_interval=1)
    svc = await build_services(op.settings)
    svc.accounts.on_change = None  # the directory publication is not what is tested here
    try:
        for u in users:
            await svc.accounts.add(op.address(u), "per", PASSWORD, display_name=u.title())
    finally:
        await svc.close()
    return op


def link(*ops: Operator) -> None:
    """One trust list naming every operator; static routes and DKIM keys for each other."""
    write_trust_list(trust_entries(*ops), *ops)
    for o in ops:
        routes = {p.domain: f"127.0.0.1:{p.mx_port}" for p in ops if p is not o}
        keys = {f"{p.settings.relay.dkim_selector}._domainkey.{p.domain}":
                dkim_txt_record(p.settings.relay.dkim_private_key.read_bytes()).decode()
                for p in ops if p is not o}
        o.edit_config("relay", routes=routes, dkim_static_keys=keys)


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Operator, Operator]]:
    """Operators A (hopital-a.test) and B (clinique-b.test), linked, started."""
    a = await make_operator(tmp_path, "a", "hopital-a.test", organization="Hopital A")
    b = await make_operator(tmp_path, "b", "clinique-b.test", ca_from=a,
                            organization="Clinique B")
    link(a, b)
    try:
        a.start(wait=False)
        b.start(wait=False)
        a.wait_ready()
        b.wait_ready()
        yield a, b
    finally:
        a.stop()
        b.stop()


def message(sender: str, to: str, subject: str, body: str = "Bonjour,\r\n", *,
            msgid: str, in_reply_to: str | None = None, extra: str = "") -> bytes:
    head = (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: Mon, 23 Nov 2026 08:00:00 +0100\r\nMessage-ID: {msgid}\r\n")
    if in_reply_to:
        head += f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n"
    head += extra
    return (head + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + body).encode()


@pytest.fixture
async def doctor(services):  # type: ignore[no-untyped-def]
    """The sender of the worker tests (directory publication left out: not tested here)."""
    from tests.conftest import DOCTOR

    services.accounts.on_change = None
    await services.accounts.add(DOCTOR, "per", PASSWORD, display_name="Dr Jean MARTIN")
    return DOCTOR
