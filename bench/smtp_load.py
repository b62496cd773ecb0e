#!/usr/bin/env python3
"""SMTP load benchmark: messages/s accepted *and durably stored*, against a bare baseline.

N concurrent sessions each send M messages of S bytes, over submission (STARTTLS + AUTH
PLAIN, one login per session) and over the MX port (STARTTLS with a peer certificate, as
the MX requires of operators), first against a bare
aiosmtpd server that counts and discards, then against mssante. Each server runs in its own
process (the load generator in this one), so on a 2-core machine each side has a core.

    .venv/bin/python bench/smtp_load.py                        # defaults: 20 x 50 x 10 KiB
    .venv/bin/python bench/smtp_load.py -n 50 -m 40 -s 102400
    .venv/bin/python bench/smtp_load.py --host mail.example --submission-port 587 \\
        --mx-port 25 --user u@dom --password ... --rcpt r@dom --cafile ca.pem

mssante says "250" only once the message is committed (sealed, stored, fsynced), so its
rate is the stored rate; the script re-counts the stored copies at the end to prove it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import socket
import ssl
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SENDER = "bench.sender@hopital.test"
RECIPIENTS = [f"bench.r{i}@hopital.test" for i in range(4)]
MX_SENDER = "peer@hopital.test"
PASSWORD = "bench password 1234"


# -- the load generator -------------------------------------------------------------------

class SmtpError(Exception):
    pass


class Client:
    """A lean pipelining SMTP client, so the client costs little next to the server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.r, self.w = reader, writer

    @classmethod
    async def open(cls, host: str, port: int, *, tls: ssl.SSLContext | None,
                   user: str | None, password: str | None) -> Client:
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
        c = cls(reader, writer)
        await c.expect(220)
        await c.cmd(b"EHLO bench.client", 250)
        if tls is not None:
            await c.cmd(b"STARTTLS", 220)
            await writer.start_tls(tls, server_hostname=host)
            await c.cmd(b"EHLO bench.client", 250)
        if user is not None:
            token = base64.b64encode(f"\0{user}\0{password}".encode())
            await c.cmd(b"AUTH PLAIN " + token, 235)
        return c

    async def reply(self) -> tuple[int, bytes]:
        lines = []
        while True:
            line = await self.r.readline()
            if not line:
                raise SmtpError("connection closed")
            lines.append(line)
            if line[3:4] != b"-":
                return int(line[:3]), b"".join(lines)

    async def expect(self, code: int) -> None:
        got, text = await self.reply()
        if got != code:
            raise SmtpError(f"expected {code}, got {text!r}")

    async def cmd(self, line: bytes, code: int) -> None:
        self.w.write(line + b"\r\n")
        await self.expect(code)

    async def send(self, mail_from: str, rcpt: str, body: bytes) -> float:
        start = time.perf_counter()
        self.w.write(f"MAIL FROM:<{mail_from}> SIZE={len(body)}\r\nRCPT TO:<{rcpt}>\r\n"
                     f"DATA\r\n".encode())
        for code in (250, 250, 354):
            await self.expect(code)
        self.w.write(body + b".\r\n")
        await self.expect(250)
        return time.perf_counter() - start

    async def close(self) -> None:
        try:
            self.w.write(b"QUIT\r\n")
            await self.reply()
        except (SmtpError, ConnectionError):
            pass
        self.w.close()


def make_body(sender: str, rcpt: str, size: int, n: int) -> bytes:
    head = (f"From: {sender}\r\nTo: {rcpt}\r\nSubject: Bench {n}\r\n"
            f"Message-ID: <bench.{n}.{os.getpid()}.{time.time_ns()}@bench.test>\r\n\r\n")
    line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod t\r\n"
    body = head.encode()
    return body + line * max(1, (size - len(body)) // len(line))


@dataclass
class Target:
    name: str
    host: str
    submission_port: int | None
    mx_port: int | None
    user: str
    password: str
    sender: str
    mx_sender: str
    recipients: list[str]
    tls: ssl.SSLContext
    mx_tls: ssl.SSLContext | None = None   # MX: STARTTLS with a peer certificate


@dataclass
class Result:
    target: str
    mode: str
    sessions: int
    messages: int
    size: int
    elapsed: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000


async def run_load(t: Target, mode: str, sessions: int, messages: int, size: int) -> Result:
    port = t.submission_port if mode == "submission" else t.mx_port
    assert port is not None
    tls = t.tls if mode == "submission" else t.mx_tls
    user = t.user if mode == "submission" else None
    sender = t.sender if mode == "submission" else t.mx_sender
    clients = await asyncio.gather(*(Client.open(t.host, port, tls=tls, user=user,
                                                 password=t.password)
                                     for _ in range(sessions)))
    bodies = [[make_body(sender, t.recipients[(i + j) % len(t.recipients)], size,
                         i * messages + j) for j in range(messages)] for i in range(sessions)]
    result = Result(t.name, mode, sessions, sessions * messages, size, 0.0)

    async def one(i: int, c: Client) -> None:
        for j, body in enumerate(bodies[i]):
            rcpt = t.recipients[(i + j) % len(t.recipients)]
            try:
                result.latencies.append(await c.send(sender, rcpt, body))
            except SmtpError as exc:
                result.errors += 1
                print(f"  error: {exc}", file=sys.stderr)
                return

    start = time.perf_counter()
    await asyncio.gather(*(one(i, c) for i, c in enumerate(clients)))
    result.elapsed = time.perf_counter() - start
    await asyncio.gather(*(c.close() for c in clients))
    return result


# -- servers, each in a child process ----------------------------------------------------

async def child_mssante(config: str, store: str = "store") -> None:
    from config.loader import load_settings
    from mailserver.services import build_services
    from mailserver.smtp import ListenerKind, start_smtp

    svc = await build_services(load_settings(config))
    if store == "no-store":
        # Diagnostic: mssante's SMTP layer with delivery replaced by a no-op.
        async def discard(raw: bytes, **_: object) -> None:
            return None
        svc.delivery.deliver = discard  # type: ignore[method-assign,assignment]
    servers = await start_smtp(svc)
    print("READY " + json.dumps({"submission": servers.port(ListenerKind.SUBMISSION_STARTTLS),
                                 "mx": servers.port(ListenerKind.MX)}), flush=True)
    await _until_signal()
    await servers.close(5.0)
    await svc.close()
    print("DONE {}", flush=True)


async def child_bare(cert: str, key: str, ca: str = "") -> None:
    """aiosmtpd as it comes: count and discard. Same TLS context as mssante's."""
    from aiosmtpd.smtp import SMTP, AuthResult

    from crypto import server_context

    class Counter:
        n = 0

        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            Counter.n += 1
            return "250 OK"

    def accept_all(*_: object) -> AuthResult:
        return AuthResult(success=True)

    import logging
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    loop = asyncio.get_running_loop()
    ctx = server_context(cert, key)
    mx_ctx = server_context(cert, key, ca) if ca else ctx
    handler = Counter()
    sub = await loop.create_server(lambda: SMTP(
        handler, tls_context=ctx, require_starttls=True, authenticator=accept_all,
        auth_required=True, hostname="bare.test", loop=loop), "127.0.0.1", 0)
    mx = await loop.create_server(lambda: SMTP(
        handler, tls_context=mx_ctx, require_starttls=True, hostname="bare.test", loop=loop),
        "127.0.0.1", 0)
    print("READY " + json.dumps({"submission": sub.sockets[0].getsockname()[1],
                                 "mx": mx.sockets[0].getsockname()[1]}), flush=True)
    await _until_signal()
    sub.close()
    mx.close()
    print("DONE " + json.dumps({"count": Counter.n}), flush=True)


async def _until_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


class Child:
    def __init__(self, *args: str, profile: str | None = None) -> None:
        self.args = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
        if profile:
            spy = str(Path(sys.executable).with_name("py-spy"))
            self.args = [spy, "record", "-r", "200", "--threads", "-f", "raw", "-o", profile, "--",
                         *self.args]
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> dict[str, int]:
        self.proc = await asyncio.create_subprocess_exec(
            *self.args, stdout=asyncio.subprocess.PIPE, cwd=str(ROOT))
        assert self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                raise RuntimeError("server process died before it was ready")
            if line.startswith(b"READY "):
                return dict(json.loads(line[6:]))

    async def stop(self) -> dict[str, int]:
        assert self.proc is not None and self.proc.stdout is not None
        if self.args[0].endswith("py-spy"):
            # py-spy forwards nothing: signal the Python child, py-spy then writes its file.
            pid = self.proc.pid
            for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
                os.kill(int(child), signal.SIGTERM)
        else:
            self.proc.send_signal(signal.SIGTERM)
        out: dict[str, int] = {}
        async for line in self.proc.stdout:
            if line.startswith(b"DONE "):
                out = dict(json.loads(line[5:]))
        await self.proc.wait()
        return out


# -- set-up of an in-process mssante data folder ------------------------------------------

def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


async def make_data_folder(base: Path, database_url: str) -> Path:
    from mailserver.services import build_services
    from mssante.init import BASE_PORTS, InitOptions, initialise

    ports = dict(zip(BASE_PORTS, free_ports(len(BASE_PORTS)), strict=True))
    settings = await initialise(InitOptions(
        data_dir=base / "data", domain="hopital.test", patient_domain="patient.test",
        ports=ports, database_url=database_url))
    svc = await build_services(settings)
    svc.accounts.on_change = None   # directory publication plays no part here
    try:
        for address in [SENDER, *RECIPIENTS]:
            await svc.accounts.add(address, "per", PASSWORD, display_name=address)
    finally:
        await svc.close()
    return settings.config_file


async def count_stored(config: Path) -> dict[str, int]:
    from config.loader import load_settings
    from mailserver.services import build_services

    svc = await build_services(load_settings(config))
    try:
        out = {}
        for address, folder in [(r, "INBOX") for r in RECIPIENTS] + [(SENDER, "Sent")]:
            acc = await svc.store.get_account(address)
            assert acc is not None
            info = await svc.store.get_folder(acc.id, folder)
            assert info is not None
            out[f"{address}/{folder}"] = len(await svc.store.list_messages(info.id))
        return out
    finally:
        await svc.close()


# -- main ---------------------------------------------------------------------------------

def client_tls(cafile: str | None, cert: str | None = None,
               key: str | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()
    ctx.check_hostname = False
    if not cafile:
        ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def print_results(results: list[Result]) -> None:
    print(f"{'server':<10}{'mode':<12}{'sessions':>9}{'msgs':>7}{'size':>8}{'msg/s':>9}"
          f"{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for r in results:
        print(f"{r.target:<10}{r.mode:<12}{r.sessions:>9}{len(r.latencies):>7}{r.size:>8}"
              f"{r.rate:>9.1f}{r.pct(0.5):>9.1f}{r.pct(0.99):>9.1f}{r.errors:>8}")
    by = {(r.target, r.mode): r for r in results}
    for mode in ("submission", "mx"):
        ours, bare = by.get(("mssante", mode)), by.get(("bare", mode))
        if ours and bare and bare.rate:
            verdict = "OK" if ours.rate >= bare.rate / 2 else "BELOW TARGET"
            print(f"ratio {mode}: mssante/bare = {ours.rate / bare.rate:.2f} "
                  f"(target >= 0.50: {verdict})")


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--sessions", type=int, default=20)
    ap.add_argument("-m", "--messages", type=int, default=50, help="per session")
    ap.add_argument("-s", "--size", type=int, default=10 * 1024, help="bytes per message")
    ap.add_argument("--modes", default="submission,mx")
    ap.add_argument("--database-url", default="", help="default: SQLite in a temp folder")
    ap.add_argument("--host", help="bench a running server instead of starting one")
    ap.add_argument("--submission-port", type=int)
    ap.add_argument("--mx-port", type=int)
    ap.add_argument("--user", default=SENDER)
    ap.add_argument("--password", default=PASSWORD)
    ap.add_argument("--rcpt", action="append", help="recipient(s) on the remote server")
    ap.add_argument("--cafile", help="CA for the remote server's certificate")
    ap.add_argument("--mx-cert", help="client certificate for the MX (a listed peer's)")
    ap.add_argument("--mx-key")
    ap.add_argument("--mx-sender", default=MX_SENDER)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--profile", metavar="FILE",
                    help="record the mssante server with py-spy (raw collapsed stacks)")
    ap.add_argument("--smtp-only", action="store_true",
                    help="also run mssante with delivery replaced by a no-op (diagnostic)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        kind, *rest = args.child
        await (child_mssante(*rest) if kind == "mssante" else child_bare(*rest))
        return 0

    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="mssante-bench-") as tmp:
        config = None
        cert = key = cafile = None
        if args.host is None:
            config = await make_data_folder(Path(tmp), args.database_url)
            data = config.parent
            cert, key = str(data / "certs/server.pem"), str(data / "certs/server.key")
            cafile = str(data / "certs/ca.pem")
        else:
            cafile = args.cafile
        tls = client_tls(cafile)
        # The MX asks a peer operator for a certificate listed in the trust list: in-process,
        # our own server certificate is (`mssante init` lists it for our domains).
        mx_tls = client_tls(cafile, args.mx_cert or cert, args.mx_key or key) \
            if (args.mx_cert or cert) else tls

        if not args.no_baseline:
            if cert is None:
                from crypto import create_ca, issue_server_certificate, write_pem
                ca, ca_key = create_ca("bench CA", "bench")
                c, k = issue_server_certificate(ca, ca_key, "localhost", ["localhost"])
                cert, key = f"{tmp}/bare.pem", f"{tmp}/bare.key"
                write_pem(cert, c, key, k)
            bare = Child("bare", cert, key or "", cafile or "")
            ports = await bare.start()
            t = Target("bare", "127.0.0.1", ports["submission"], ports["mx"], "any", "any",
                       SENDER, MX_SENDER, RECIPIENTS, tls, mx_tls)
            for mode in modes:
                results.append(await run_load(t, mode, args.sessions, args.messages,
                                              args.size))
            counted = (await bare.stop()).get("count", 0)
            print(f"bare server counted {counted} messages", file=sys.stderr)

        if args.smtp_only and args.host is None:
            nostore = Child("mssante", str(config), "no-store",
                            profile=args.profile and args.profile + ".smtp-only")
            ports = await nostore.start()
            t0 = Target("smtp-only", "127.0.0.1", ports["submission"], ports["mx"], SENDER,
                        PASSWORD, SENDER, MX_SENDER, RECIPIENTS, tls, mx_tls)
            for mode in modes:
                results.append(await run_load(t0, mode, args.sessions, args.messages,
                                              args.size))
            await nostore.stop()
        if args.host is None:
            assert config is not None
            ours = Child("mssante", str(config), profile=args.profile)
            ports = await ours.start()
            t = Target("mssante", "127.0.0.1", ports["submission"], ports["mx"], SENDER,
                       PASSWORD, SENDER, MX_SENDER, RECIPIENTS, tls, mx_tls)
        else:
            ours = None
            t = Target("mssante", args.host, args.submission_port, args.mx_port, args.user,
                       args.password, args.user, args.mx_sender, args.rcpt or [args.user],
                       tls, mx_tls)
        accepted = 0
        for mode in modes:
            r = await run_load(t, mode, args.sessions, args.messages, args.size)
            results.append(r)
            accepted += len(r.latencies) * (2 if mode == "submission" else 1)
        if ours is not None:
            await ours.stop()
            stored = await count_stored(config)  # type: ignore[arg-type]
            total = sum(stored.values())
            print(f"stored copies after the run: {total} (expected {accepted}: one per "
                  f"recipient, plus a Sent copy per submitted message)", file=sys.stderr)
            if total != accepted:
                print("MISMATCH: acknowledged messages missing from the store",
                      file=sys.stderr)
                print_results(results)
                return 1
    print_results(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
