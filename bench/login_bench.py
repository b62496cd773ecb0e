#!/usr/bin/env python3
"""Login benchmark: what an IMAP login costs when Argon2 runs (cold) and when the login
cache answers (cached), over real IMAPS LOGIN and AUTHENTICATE PLAIN on loopback.

Each phase runs C concurrent clients for a bounded time; a client connects (implicit TLS),
logs in (alternating LOGIN and AUTHENTICATE PLAIN with SASL-IR), logs out, and starts
again. Printed per phase: logins/s, p50/p95 login latency (command sent → tagged OK), and
the server's CPU per login read from /proc (psutil) over the phase. The cold phase runs a
server with `[auth] login_cache_ttl = 0`; the cached phase a server with the default cache,
after one warm-up login per user. When Debian's Dovecot is installed the same cycles run
against it in the same run (its passwords are {PLAIN}: no KDF), as the baseline, with its
CPU use printed beside ours.

    .venv/bin/python bench/login_bench.py                 # about 45 s
    .venv/bin/python bench/login_bench.py --duration 5 --clients 2 --kdf test

Everything is bounded (`--duration` per phase, a 55 s overall deadline) and loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import shutil
import ssl
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import imap_load  # noqa: E402  (a sibling script, not a package)
from imap_load import Conn, percentile, process_tree_cpu, quote  # noqa: E402

DEADLINE = 55.0


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu: float = 0.0

    def row(self) -> str:
        n = len(self.latencies)
        rate = n / self.seconds if self.seconds else 0.0
        p50 = percentile(self.latencies, 50) * 1000
        p95 = percentile(self.latencies, 95) * 1000
        cpu = self.cpu / n * 1000 if n else float("nan")
        return (f"{self.name:34} {n:7d} {rate:9.1f} {p50:8.1f} {p95:8.1f} {cpu:10.1f} "
                f"{self.cpu / self.seconds * 100 if self.seconds else 0:7.0f}% {self.errors:6d}")


HEADER = (f"{'phase':34} {'logins':>7} {'logins/s':>9} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'CPU ms/login':>10} {'CPU':>8} {'errors':>6}")


async def one_login(host: str, port: int, ctx: ssl.SSLContext, user: str, password: str,
                    sasl: bool) -> float:
    conn = await Conn.open(host, port, "implicit", ctx)
    try:
        if sasl:
            blob = base64.b64encode(f"\0{user}\0{password}".encode())
            text = b"AUTHENTICATE PLAIN " + blob
        else:
            text = b"LOGIN " + quote(user) + b" " + quote(password)
        t0 = time.perf_counter()
        status, lines = await conn.command(text)
        took = time.perf_counter() - t0
        if status != "OK":
            raise imap_load.ImapError(lines[-1].decode(errors="replace").strip())
        await conn.command(b"LOGOUT")
        return took
    finally:
        await conn.close()


async def run_phase(name: str, host: str, port: int, ctx: ssl.SSLContext,
                    users: list[tuple[str, str]], pid: int, clients: int,
                    duration: float) -> Phase:
    phase = Phase(name)
    stop = time.monotonic() + duration

    async def client(i: int) -> None:
        k = i
        while time.monotonic() < stop:
            user, password = users[k % len(users)]
            k += clients
            try:
                phase.latencies.append(await one_login(host, port, ctx, user, password,
                                                       sasl=k % 2 == 0))
            except (OSError, TimeoutError, imap_load.ImapError) as exc:
                phase.errors += 1
                if phase.errors <= 3:
                    print(f"  [{name}] error: {exc}", flush=True)

    cpu0, t0 = process_tree_cpu(pid), time.monotonic()
    await asyncio.gather(*(client(i) for i in range(clients)))
    phase.seconds = time.monotonic() - t0
    phase.cpu = process_tree_cpu(pid) - cpu0
    print(phase.row(), flush=True)
    return phase


def set_cache(config: Path, ttl: int) -> None:
    import tomli_w

    data = tomllib.loads(config.read_text())
    data.setdefault("auth", {})["login_cache_ttl"] = ttl
    config.write_text(tomli_w.dumps(data))


async def ours(config: Path, users: list[tuple[str, str]], args: argparse.Namespace,
               ctx: ssl.SSLContext, port: int) -> list[Phase]:
    phases = []
    for name, ttl in (("mssante cold (Argon2 every login)", 0),
                      ("mssante cached (login cache)", 900)):
        set_cache(config, ttl)
        proc = imap_load.start_ours(config, [port], "imap-only")
        try:
            if ttl:
                for user, password in users:   # warm-up: one Argon2 per user
                    await one_login("127.0.0.1", port, ctx, user, password, sasl=False)
            phases.append(await run_phase(name, "127.0.0.1", port, ctx, users, proc.pid,
                                          args.clients, args.duration))
        finally:
            imap_load.stop_process(proc)
    return phases


async def baseline(users: list[tuple[str, str]], args: argparse.Namespace, settings: object,
                   ctx: ssl.SSLContext) -> Phase | None:
    import dovecot

    if args.no_dovecot or not dovecot.available():
        print("Dovecot baseline: skipped (" + ("--no-dovecot" if args.no_dovecot else
                                              "dovecot is not installed") + ")")
        return None
    tls = settings.tls  # type: ignore[attr-defined]
    d = dovecot.Dovecot(dict(users), {}, cert=tls.certificate, key=tls.private_key,
                        cafile=tls.client_ca)
    d.start()
    try:
        return await run_phase("dovecot ({PLAIN} passwords)", "127.0.0.1", d.imaps_port, ctx,
                               users, d.pid, args.clients, args.duration)
    finally:
        d.stop()


async def main_async(args: argparse.Namespace) -> int:
    users = [(f"medecin{i}@bench.test", f"mot-de-passe-{i}") for i in range(1, args.users + 1)]
    work = Path(tempfile.mkdtemp(prefix="login-bench-"))
    try:
        async with asyncio.timeout(DEADLINE):
            t0 = time.perf_counter()
            config = await imap_load.seed_ours(work / "data", users,
                                               {u: [] for u, _ in users}, args.kdf)
            print(f"seeded {len(users)} accounts (Argon2: {args.kdf} parameters) in "
                  f"{time.perf_counter() - t0:.1f} s; {args.clients} clients, "
                  f"{args.duration:.0f} s per phase, {os.cpu_count()} cores", flush=True)
            from config import load_settings

            settings = load_settings(config)
            listener = settings.listeners.imap_tls
            assert listener is not None
            ctx = ssl.create_default_context(cafile=str(settings.tls.client_ca))
            ctx.check_hostname = False
            print(HEADER, flush=True)
            cold, cached = await ours(config, users, args, ctx, listener.port)
            dove = await baseline(users, args, settings, ctx)
        print()
        rate = [len(p.latencies) / p.seconds if p.seconds else 0.0 for p in (cold, cached)]
        if rate[0]:
            print(f"cached / cold logins per second: {rate[1] / rate[0]:.1f}x")
        if dove is not None and dove.seconds and dove.latencies:
            drate = len(dove.latencies) / dove.seconds
            print(f"cached / dovecot logins per second: {rate[1] / drate:.2f} "
                  f"(dovecot CPU {dove.cpu / dove.seconds * 100:.0f}% of one core, "
                  f"{dove.cpu / len(dove.latencies) * 1000:.2f} ms per login)")
        return 1 if cold.errors or cached.errors else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--duration", type=float, default=8.0, help="seconds per phase")
    p.add_argument("--users", type=int, default=8)
    p.add_argument("--kdf", choices=["prod", "test"], default="prod",
                   help="prod: the default Argon2id cost (t=3, 64 MiB); test: t=1, 1 MiB")
    p.add_argument("--no-dovecot", action="store_true")
    args = p.parse_args(argv)
    args.duration = min(args.duration, 12.0)   # stay under the overall deadline
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main_async(parse_args())))
