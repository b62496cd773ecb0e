#!/usr/bin/env python3
"""IMAP load benchmark: concurrent clients doing a realistic mix, and the server's memory
per idle (IDLE) connection. Points at any IMAP server, or `--self-test` compares ours with
Debian's Dovecot on the same machine in the same run.

The mix (one "cycle"; with `--rounds K` the middle part repeats K times per login):

    LOGIN, SELECT INBOX,
      FETCH the newest 20 headers (FLAGS, RFC822.SIZE, INTERNALDATE, 5 header fields),
      FETCH 2 whole bodies (BODY.PEEK[]), STORE +/-\\Seen and +/-\\Flagged,
      SEARCH UNSEEN, SEARCH SUBJECT "...", APPEND a 3-20 KB message, UID STORE \\Deleted
      on it, UID EXPUNGE it (EXPUNGE without UIDPLUS),
    LOGOUT

Each command's latency is measured from the first byte sent to its tagged completion.
Loops are bounded by `--duration`; everything talks to loopback only in `--self-test`.

    python bench/imap_load.py --self-test                  # ours vs Dovecot (if installed)
    python bench/imap_load.py --host 127.0.0.1 --port 2993 --tls implicit \\
        --cafile var/demo/certs/ca.pem --user dr.martin@hopital-demo.mssante.test:martin-demo \\
        --duration 20 --clients 10 --idle 1000 --server-pid $(pgrep -f 'mssante serve')
"""

from __future__ import annotations

import argparse
import asyncio
import asyncio.sslproto
import contextlib
import os
import random
import re
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Our client holds up to 1,000 TLS connections: 16 KiB read buffers instead of 256 KiB.
asyncio.sslproto.SSLProtocol.max_size = 16 * 1024  # type: ignore[attr-defined]

LITERAL_AT_END = re.compile(rb"\{(\d+)\+?\}\r\n$")
HEADER_FIELDS = "(FROM TO SUBJECT DATE MESSAGE-ID)"


class ImapError(Exception):
    pass


# -- a small asyncio IMAP client -------------------------------------------------------------

class Conn:
    """Just enough IMAP: tagged commands, literals both ways, STARTTLS, IDLE."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.r, self.w = reader, writer
        self.n = 0
        self.caps: set[str] = set()

    @classmethod
    async def open(cls, host: str, port: int, mode: str,
                   ctx: ssl.SSLContext | None, wait: float = 30.0) -> Conn:
        if mode == "implicit":
            r, w = await asyncio.wait_for(asyncio.open_connection(
                host, port, ssl=ctx, server_hostname=host, limit=1 << 20), wait)
        else:
            r, w = await asyncio.wait_for(asyncio.open_connection(host, port, limit=1 << 20),
                                          wait)
        c = cls(r, w)
        greeting = await asyncio.wait_for(c.r.readline(), wait)
        if not greeting.startswith(b"* OK"):
            raise ImapError(f"greeting: {greeting!r}")
        if mode == "starttls":
            status, _ = await c.command(b"STARTTLS")
            if status != "OK":
                raise ImapError("STARTTLS refused")
            await asyncio.wait_for(w.start_tls(ctx, server_hostname=host), wait)
        return c

    async def read_response(self) -> bytes:
        """One response line with its literals inlined."""
        line = await self.r.readline()
        if not line:
            raise ImapError("connection closed by server")
        parts = [line]
        while (m := LITERAL_AT_END.search(line)) is not None:
            parts.append(await self.r.readexactly(int(m.group(1))))
            line = await self.r.readline()
            parts.append(line)
        return b"".join(parts)

    async def command(self, text: bytes, literal: bytes | None = None,
                      wait: float = 60.0) -> tuple[str, list[bytes]]:
        self.n += 1
        tag = b"b%d" % self.n
        if literal is None:
            self.w.write(tag + b" " + text + b"\r\n")
        else:
            self.w.write(tag + b" " + text + b" {%d}\r\n" % len(literal))
        lines: list[bytes] = []
        async with asyncio.timeout(wait):
            while True:
                line = await self.read_response()
                if line.startswith(b"+") and literal is not None:
                    self.w.write(literal + b"\r\n")
                    literal = None
                    continue
                if line.startswith(tag + b" "):
                    status = line[len(tag) + 1:].split(b" ", 1)[0].decode().upper()
                    lines.append(line)
                    return status, lines
                lines.append(line)
                if line.startswith(b"* CAPABILITY ") or b"[CAPABILITY " in line:
                    self._caps(line)

    def _caps(self, line: bytes) -> None:
        text = line.decode(errors="replace")
        body = text.split("CAPABILITY ", 1)[1].split("]", 1)[0]
        self.caps = {c.upper() for c in body.split()}

    async def close(self) -> None:
        self.w.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.w.wait_closed(), 2)


def quote(s: str) -> bytes:
    return b'"' + s.replace("\\", "\\\\").replace('"', '\\"').encode() + b'"'


# -- statistics ------------------------------------------------------------------------------

@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    transcripts: list[str] = field(default_factory=list)

    def record(self, label: str, seconds: float) -> None:
        self.latencies[label].append(seconds)

    def fail(self, label: str, detail: str) -> None:
        self.errors[label] += 1
        if len(self.transcripts) < 8:
            self.transcripts.append(f"{label}: {detail}")


def percentile(values: Sequence[float], p: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = min(len(s) - 1, max(0, int(round(p / 100 * (len(s) - 1)))))
    return s[k]


@dataclass
class LoadResult:
    name: str
    elapsed: float
    stats: Stats
    clients: int
    rounds: int
    server_cpu: float | None = None  # CPU seconds the server used during the run

    @property
    def total(self) -> int:
        return sum(len(v) for k, v in self.stats.latencies.items() if k != "connect")

    @property
    def ops(self) -> float:
        return self.total / self.elapsed

    def table(self) -> str:
        order = ["connect", "LOGIN", "SELECT", "FETCH headers", "FETCH body", "STORE flags",
                 "SEARCH flags", "SEARCH text", "APPEND", "STORE deleted", "EXPUNGE", "LOGOUT"]
        labels = [k for k in order if k in self.stats.latencies] + sorted(
            k for k in self.stats.latencies if k not in order)
        out = [f"{'command':15} {'count':>7} {'ops/s':>8} {'p50 ms':>8} {'p99 ms':>8}"]
        for k in labels:
            v = self.stats.latencies[k]
            out.append(f"{k:15} {len(v):7d} {len(v) / self.elapsed:8.1f} "
                       f"{percentile(v, 50) * 1000:8.2f} {percentile(v, 99) * 1000:8.2f}")
        every = [x for k, v in self.stats.latencies.items() if k != "connect" for x in v]
        out.append(f"{'ALL COMMANDS':15} {self.total:7d} {self.ops:8.1f} "
                   f"{percentile(every, 50) * 1000:8.2f} {percentile(every, 99) * 1000:8.2f}")
        if self.server_cpu is not None:
            out.append(f"server CPU: {self.server_cpu:.1f} s in {self.elapsed:.1f} s "
                       f"({self.server_cpu / self.elapsed:.0%} of one core), "
                       f"{self.server_cpu / max(1, self.total) * 1000:.2f} ms per command")
        if self.stats.errors:
            out.append("errors: " + ", ".join(f"{k}={n}" for k, n in
                                              sorted(self.stats.errors.items())))
            out.extend("  " + t for t in self.stats.transcripts)
        return "\n".join(out)


# -- the mix ---------------------------------------------------------------------------------

@dataclass
class Target:
    name: str
    host: str
    port: int
    mode: str  # implicit | starttls | none
    ctx: ssl.SSLContext | None
    users: list[tuple[str, str]]
    rss: Callable[[], tuple[int, int]] | None = None  # (rss, pss) bytes of the server
    pid: int | None = None
    heap_dir: Path | None = None  # --trace-memory: where the server dumps heap snapshots


def bench_message(rng: random.Random, n: int, to: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Laboratoire <resultats@labo.test>"
    msg["To"] = to
    msg["Subject"] = f"Résultats d'analyse {n:05d}"
    msg["Date"] = format_datetime(datetime(2024, 3, 1, tzinfo=UTC) + timedelta(minutes=n))
    msg["Message-ID"] = f"<bench-{n}-{rng.getrandbits(48):x}@labo.test>"
    words = ["patient", "bilan", "glycémie", "créatinine", "normal", "contrôle", "dossier",
             "ordonnance", "traitement", "consultation", "résultat", "hémoglobine"]
    size = rng.choice([1500, 3000, 6000, 12000, 20000])
    text = []
    while sum(len(w) + 1 for w in text) < size:
        text.append(rng.choice(words))
    lines = [" ".join(text[i:i + 12]) for i in range(0, len(text), 12)]
    msg.set_content("Bonjour,\n\n" + "\n".join(lines) + "\n\nCordialement\n")
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


async def timed(stats: Stats, label: str, conn: Conn, text: bytes,
                literal: bytes | None = None) -> list[bytes]:
    t0 = time.perf_counter()
    status, lines = await conn.command(text, literal)
    stats.record(label, time.perf_counter() - t0)
    if status != "OK":
        stats.fail(label, f"C: {text[:120]!r} S: {lines[-1][:200]!r}")
    return lines


def _exists(lines: list[bytes]) -> int:
    for line in lines:
        m = re.match(rb"\* (\d+) EXISTS", line)
        if m:
            return int(m.group(1))
    return 0


async def cycle(t: Target, user: str, password: str, rng: random.Random, stats: Stats,
                rounds: int, seq: list[int], deadline: float = float("inf")) -> None:
    t0 = time.perf_counter()
    conn = await Conn.open(t.host, t.port, t.mode, t.ctx)
    stats.record("connect", time.perf_counter() - t0)
    try:
        await timed(stats, "LOGIN", conn, b"LOGIN " + quote(user) + b" " + quote(password))
        if not conn.caps:
            _, lines = await conn.command(b"CAPABILITY")
            for line in lines:
                if line.startswith(b"* CAPABILITY"):
                    conn._caps(line)
        exists = _exists(await timed(stats, "SELECT", conn, b"SELECT INBOX"))
        stable = max(1, exists - 32)  # seeded messages; others' appends come and go
        uidplus = "UIDPLUS" in conn.caps
        for r in range(rounds):
            if r and time.monotonic() >= deadline:
                break  # time is up: finish this session with LOGOUT
            lo = max(1, stable - 19)
            if exists:  # an empty INBOX (e.g. a fresh demo account) has nothing to fetch
                await timed(stats, "FETCH headers", conn,
                            f"FETCH {lo}:{stable} (UID FLAGS RFC822.SIZE INTERNALDATE "
                            f"BODY.PEEK[HEADER.FIELDS {HEADER_FIELDS}])".encode())
                for _ in range(2):
                    await timed(stats, "FETCH body", conn,
                                f"FETCH {rng.randint(1, stable)} (BODY.PEEK[])".encode())
                sign = rng.choice("+-")
                flag = rng.choice(["\\Seen", "\\Flagged"])
                await timed(stats, "STORE flags", conn,
                            f"STORE {rng.randint(1, stable)} {sign}FLAGS.SILENT ({flag})"
                            .encode())
            await timed(stats, "SEARCH flags", conn, b"UID SEARCH UNSEEN")
            await timed(stats, "SEARCH text", conn,
                        f'UID SEARCH SUBJECT "{rng.randint(0, 199):05d}"'.encode())
            seq[0] += 1
            token = f"{os.getpid()}-{seq[0]}-{rng.getrandbits(32):x}"
            raw = bench_message(rng, 10000 + seq[0], user).replace(
                b"\r\n\r\n", f"\r\nX-Bench-Token: {token}\r\n\r\n".encode(), 1)
            lines = await timed(stats, "APPEND", conn, b"APPEND INBOX (\\Seen)", raw)
            m = re.search(rb"\[APPENDUID \d+ (\d+)\]", lines[-1])
            if m:
                uid = m.group(1).decode()
            else:
                found = await timed(stats, "SEARCH text", conn,
                                    f'UID SEARCH HEADER X-Bench-Token "{token}"'.encode())
                ids = [x for line in found if line.startswith(b"* SEARCH")
                       for x in line.split()[2:]]
                if not ids:
                    stats.fail("APPEND", "appended message not found")
                    continue
                uid = ids[0].decode()
            await timed(stats, "STORE deleted", conn,
                        f"UID STORE {uid} +FLAGS.SILENT (\\Deleted)".encode())
            if uidplus:
                await timed(stats, "EXPUNGE", conn, f"UID EXPUNGE {uid}".encode())
            else:
                await timed(stats, "EXPUNGE", conn, b"EXPUNGE")
        await timed(stats, "LOGOUT", conn, b"LOGOUT")
    finally:
        await conn.close()


async def run_load(t: Target, *, clients: int, duration: float, rounds: int,
                   seed: int = 1) -> LoadResult:
    stats = Stats()
    deadline = time.monotonic() + duration
    seq = [0]

    async def worker(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        user, password = t.users[i % len(t.users)]
        while time.monotonic() < deadline:
            try:
                await cycle(t, user, password, rng, stats, rounds, seq, deadline)
            except (ImapError, OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
                stats.fail("session", f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(0.2)

    cpu0 = process_tree_cpu(t.pid) if t.pid else None
    start = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(clients)))
    elapsed = time.perf_counter() - start
    cpu = process_tree_cpu(t.pid) - cpu0 if t.pid and cpu0 is not None else None
    return LoadResult(t.name, elapsed, stats, clients, rounds, cpu)


# -- idle connections ------------------------------------------------------------------------

@dataclass
class IdleResult:
    name: str
    opened: int
    wanted: int
    before: tuple[int, int]
    after: tuple[int, int]
    seconds: float
    failures: list[str]
    mode: str = "implicit"

    @property
    def per_conn(self) -> float:
        return (self.after[0] - self.before[0]) / max(1, self.opened)

    @property
    def per_conn_pss(self) -> float:
        return (self.after[1] - self.before[1]) / max(1, self.opened)

    def text(self) -> str:
        mb = 1024 * 1024
        how = {"implicit": "implicit TLS", "starttls": "STARTTLS", "none": "cleartext"}
        out = [f"{self.opened}/{self.wanted} connections in IDLE over "
               f"{how.get(self.mode, self.mode)} (opened in {self.seconds:.1f} s)",
               f"server RSS before {self.before[0] / mb:8.1f} MB, after "
               f"{self.after[0] / mb:8.1f} MB -> {self.per_conn / 1024:6.1f} KB per idle "
               f"connection (PSS: {self.per_conn_pss / 1024:6.1f} KB)"]
        if self.failures:
            out.append(f"failures: {len(self.failures)}; first: {self.failures[0]}")
        return "\n".join(out)


async def idle_phase(t: Target, n: int, *, parallel: int = 16) -> IdleResult:
    assert t.rss is not None, "memory needs the server pid (--server-pid)"
    # One warm-up session so lazily loaded code and caches are not counted per connection.
    warm = await Conn.open(t.host, t.port, t.mode, t.ctx)
    u, p = t.users[0]
    await warm.command(b"LOGIN " + quote(u) + b" " + quote(p))
    await warm.command(b"SELECT INBOX")
    await warm.command(b"LOGOUT")
    await warm.close()
    await asyncio.sleep(1.0)
    await heap_snapshot(t, 1)
    before = t.rss()
    conns: list[Conn] = []
    failures: list[str] = []
    sem = asyncio.Semaphore(parallel)

    async def one(i: int) -> None:
        user, password = t.users[i % len(t.users)]
        async with sem:
            try:
                c = await Conn.open(t.host, t.port, t.mode, t.ctx, wait=60)
                status, lines = await c.command(b"LOGIN " + quote(user) + b" " +
                                                quote(password), wait=120)
                if status != "OK":
                    raise ImapError(f"LOGIN: {lines[-1]!r}")
                status, lines = await c.command(b"SELECT INBOX")
                if status != "OK":
                    raise ImapError(f"SELECT: {lines[-1]!r}")
                c.w.write(b"idle IDLE\r\n")
                async with asyncio.timeout(30):
                    while not (line := await c.read_response()).startswith(b"+"):
                        if line.startswith(b"idle "):
                            raise ImapError(f"IDLE: {line!r}")
                conns.append(c)
            except Exception as exc:  # noqa: BLE001 - reported, not fatal
                failures.append(f"{type(exc).__name__}: {exc}")

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    seconds = time.perf_counter() - start
    await asyncio.sleep(2.0)
    after = t.rss()
    await heap_snapshot(t, 2)
    if t.heap_dir is not None:
        print(heap_diff(t.heap_dir, len(conns)), flush=True)
    for c in conns:
        with contextlib.suppress(Exception):
            c.w.write(b"DONE\r\nz LOGOUT\r\n")
    await asyncio.sleep(0.5)
    await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
    return IdleResult(t.name, len(conns), n, before, after, seconds, failures, t.mode)


async def heap_snapshot(t: Target, n: int) -> None:
    if t.heap_dir is None or t.pid is None:
        return
    os.kill(t.pid, signal.SIGUSR1)
    path = t.heap_dir / f"heap-{n}.snap"
    for _ in range(600):
        await asyncio.sleep(0.1)
        if path.exists() and path.stat().st_size:
            await asyncio.sleep(0.5)
            return


def heap_diff(folder: Path, conns: int, top: int = 20) -> str:
    """Python-heap growth between the two snapshots, by allocation site, per connection."""
    import tracemalloc

    a = tracemalloc.Snapshot.load(str(folder / "heap-1.snap"))
    b = tracemalloc.Snapshot.load(str(folder / "heap-2.snap"))
    stats = b.compare_to(a, "lineno")
    total = sum(s.size_diff for s in stats)
    out = [f"Python heap (tracemalloc) grew {total / 1024 / max(1, conns):.1f} KB per "
           f"connection; largest sites (bytes per connection):"]
    for s in stats[:top]:
        frame = s.traceback[0]
        name = frame.filename
        for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
            if marker in name:
                name = name.split(marker, 1)[1]
        out.append(f"  {s.size_diff / max(1, conns):9.0f}  {s.count_diff / max(1, conns):6.1f} "
                   f"blocks  {name}:{frame.lineno}")
    return "\n".join(out)


def process_tree_cpu(pid: int) -> float:
    """CPU seconds of a process, its live descendants and the children it has reaped."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for i, p in enumerate(procs):
        try:
            c = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += c.user + c.system
        if i == 0:
            total += c.children_user + c.children_system
    return total


def process_tree_memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) summed over a process and its descendants."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0
    rss = pss = 0
    for p in procs:
        try:
            full = p.memory_full_info()
            rss += full.rss
            pss += getattr(full, "pss", full.rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return rss, pss


# -- profiling (optional) --------------------------------------------------------------------

def start_profile(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not os.path.exists(spy):
        print("py-spy not found: no profile", file=sys.stderr)
        return None
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
                             "--format", "raw", "--output", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise_profile(path: Path, top: int = 25) -> str:
    """Self and inclusive sample shares per function from py-spy's collapsed stacks."""
    if not path.exists():
        return "(no profile written)"
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [re.sub(r" \(.*?:\d+\)$", "", f).strip() + _loc(f)
                  for f in stack.split(";") if f]
        if frames:
            own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    if not total:
        return "(empty profile)"
    out = [f"py-spy: {total} samples; top self time:"]
    out += [f"  {n / total:6.1%}  {f}" for f, n in own.most_common(top)]
    out.append("top inclusive (our code):")
    ours = [(f, n) for f, n in incl.most_common() if "mailserver" in f or "crypto" in f]
    out += [f"  {n / total:6.1%}  {f}" for f, n in ours[:top]]
    return "\n".join(out)


def _loc(frame: str) -> str:
    m = re.search(r"\((.*?):\d+\)$", frame)
    if not m:
        return ""
    path = m.group(1)
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f" [{path}]"


# -- self-test: our server and Dovecot on the same mailboxes -----------------------------------

def free_ports(n: int) -> list[int]:
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


async def seed_ours(folder: Path, users: list[tuple[str, str]],
                    contents: dict[str, list[bytes]], kdf: str) -> Path:
    sys.path.insert(0, str(ROOT))
    import tomllib

    import tomli_w

    from mailserver.services import build_services
    from mssante.init import BASE_PORTS, InitOptions, initialise

    ports = dict(zip(BASE_PORTS, free_ports(len(BASE_PORTS)), strict=True))
    fast = {"argon2_memory_kib": 1024, "argon2_time_cost": 1} if kdf == "test" else {}
    settings = await initialise(InitOptions(data_dir=folder, domain="bench.test", ports=ports,
                                            **fast))  # type: ignore[arg-type]
    config = folder / "mssante.toml"
    data = tomllib.loads(config.read_text())
    data["limits"] = {"max_connections": 5000, "max_connections_per_client": 5000,
                      "imap_commands_per_second": 100000}
    data.setdefault("relay", {})["enabled"] = False
    config.write_text(tomli_w.dumps(data))
    services = await build_services(settings)
    try:
        with contextlib.suppress(Exception):
            from sqlalchemy import inspect
            async with services.engine.connect() as conn:
                tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            if "dir_entry" not in tables:
                services.accounts.on_change = None
        for address, password in users:
            await services.accounts.add(address, "per", password, display_name=address)
        for address, _ in users:
            info = await services.store.get_account(address)
            assert info is not None
            raws = contents[address]
            for start in range(0, len(raws), 64):  # concurrent: committed in groups
                await asyncio.gather(*(services.delivery.deliver(
                    raw, mail_from="resultats@labo.test", recipients=[info])
                    for raw in raws[start:start + 64]))
    finally:
        await services.close()
    return config


async def serve_imap_only(config: Path) -> None:
    """The IMAP part of `mssante serve` alone (what `start_node` does for IMAP), so the
    memory figures are the IMAP server's; stops on SIGTERM."""
    sys.path.insert(0, str(ROOT))
    from config import load_settings
    from crypto import shrink_tls_read_buffer
    from mailserver.imap import start_imap
    from mailserver.services import build_services

    shrink_tls_read_buffer()
    services = await build_services(load_settings(config), cross_node=True)
    servers = await start_imap(services)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if os.environ.get("IMAP_BENCH_TRACEMALLOC"):
        import tracemalloc

        snaps = [0]

        def snapshot() -> None:  # SIGUSR1: dump the Python heap for --trace-memory
            snaps[0] += 1
            tracemalloc.take_snapshot().dump(str(config.parent / f"heap-{snaps[0]}.snap"))

        loop.add_signal_handler(signal.SIGUSR1, snapshot)
    try:
        await stop.wait()
    finally:
        await servers.close()
        await services.close()


def start_ours(config: Path, ports: list[int], how: str, trace: bool = False
               ) -> subprocess.Popen[bytes]:
    log = open(config.parent / "serve.log", "ab")  # noqa: SIM115 - closed with the process
    env = dict(os.environ, MSSANTE_CONFIG=str(config))
    if trace:
        env.update(IMAP_BENCH_TRACEMALLOC="1", PYTHONTRACEMALLOC="8")
    if how == "serve":
        cmd = [str(Path(sys.executable).parent / "mssante"), "serve", "--config", str(config)]
    else:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--serve-imap-only", str(config)]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("mssante serve exited:\n" +
                               (config.parent / "serve.log").read_text()[-3000:])
        try:
            for port in ports:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    pass
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("mssante serve did not listen")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def measure(t: Target, args: argparse.Namespace, profile_dir: Path | None = None
                  ) -> tuple[list[LoadResult], IdleResult | None]:
    idle = None
    if args.idle and t.rss is not None:
        print(f"[{t.name}] opening {args.idle} IDLE connections...", flush=True)
        idle = await idle_phase(t, args.idle)
        print(idle.text(), flush=True)
    results = []
    for rounds in args.rounds:
        print(f"[{t.name}] load: {args.clients} clients, {args.duration:.0f} s, "
              f"{rounds} round(s) per login...", flush=True)
        spy = None
        if profile_dir is not None and t.pid is not None:
            out = profile_dir / f"profile-{t.name}-r{rounds}.txt"
            spy = start_profile(t.pid, args.duration, out)
        res = await run_load(t, clients=args.clients, duration=args.duration, rounds=rounds)
        if spy is not None:
            try:
                spy.wait(30)
            except subprocess.TimeoutExpired:
                spy.kill()
        print(res.table(), flush=True)
        if spy is not None:
            print(summarise_profile(profile_dir / f"profile-{t.name}-r{rounds}.txt"))
        results.append(res)
    return results, idle


def make_contents(users: list[tuple[str, str]], per_user: int) -> dict[str, list[bytes]]:
    rng = random.Random(42)
    return {u: [bench_message(rng, i, u) for i in range(per_user)] for u, _ in users}


async def self_test(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(HERE))
    import dovecot

    users = [(f"medecin{i}@bench.test", f"mot-de-passe-{i}") for i in range(1, args.users + 1)]
    contents = make_contents(users, args.messages)
    work = Path(tempfile.mkdtemp(prefix="imap-bench-"))
    try:
        profile_dir = work if args.profile else None
        print(f"seeding {len(users)} accounts x {args.messages} messages "
              f"(Argon2: {args.kdf} parameters) in {work} ...", flush=True)
        t0 = time.perf_counter()
        config = await seed_ours(work / "data", users, contents, args.kdf)
        print(f"seeded in {time.perf_counter() - t0:.1f} s", flush=True)
        sys.path.insert(0, str(ROOT))
        from config import load_settings

        settings = load_settings(config)
        ca = ssl.create_default_context(cafile=str(settings.tls.client_ca))
        listener = settings.listeners.imap_tls if args.tls == "implicit" else \
            settings.listeners.imap_starttls
        assert listener is not None
        ours_results: list[LoadResult] = []
        dove_results: list[LoadResult] = []
        ours_idle = dove_idle = None
        proc = start_ours(config, [listener.port], args.server, args.trace_memory)
        try:
            ours = Target("mssante", "127.0.0.1", listener.port, args.tls, ca, users,
                          lambda: process_tree_memory(proc.pid), proc.pid,
                          config.parent if args.trace_memory else None)
            ours_results, ours_idle = await measure(ours, args, profile_dir)
        finally:
            stop_process(proc)
        if args.no_dovecot or not dovecot.available():
            print("Dovecot baseline: skipped (" + ("--no-dovecot" if args.no_dovecot else
                                                  "dovecot is not installed") + ")")
        else:
            boxes = {u: {"INBOX": raws} for u, raws in contents.items()}
            d = dovecot.Dovecot(dict(users), boxes,
                                cert=settings.tls.certificate, key=settings.tls.private_key,
                                cafile=settings.tls.client_ca,
                                max_connections=max(2000, args.idle + 100))
            d.start()
            try:
                port = d.imaps_port if args.tls == "implicit" else d.imap_port
                dov = Target("dovecot", "127.0.0.1", port, args.tls, ca, users,
                             lambda: process_tree_memory(d.pid), d.pid)
                dove_results, dove_idle = await measure(dov, args)
            finally:
                d.stop()
        print()
        print(summary(args, ours_results, dove_results, ours_idle, dove_idle))
        return 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def summary(args: argparse.Namespace, ours: list[LoadResult], dove: list[LoadResult],
            ours_idle: IdleResult | None, dove_idle: IdleResult | None) -> str:
    out = [f"== summary ({os.cpu_count()} cores, {args.clients} clients, {args.duration:.0f} s "
           f"per mix, TLS {args.tls}, Argon2 {args.kdf}) =="]
    for i, res in enumerate(ours):
        line = f"mix {res.rounds:>2} round(s)/login: mssante {res.ops:7.1f} commands/s"
        if i < len(dove):
            ratio = res.ops / dove[i].ops
            line += (f", dovecot {dove[i].ops:7.1f} -> ratio {ratio:.2f} "
                     f"(target >= 0.50: {'met' if ratio >= 0.5 else 'MISSED'})")
        out.append(line)
    if ours_idle:
        kb = ours_idle.per_conn / 1024
        line = (f"idle memory: mssante {kb:.1f} KB/connection (target <= 50 KB: "
                f"{'met' if kb <= 50 else 'MISSED'})")
        if dove_idle:
            line += (f"; dovecot {dove_idle.per_conn / 1024:.1f} KB RSS "
                     f"({dove_idle.per_conn_pss / 1024:.1f} KB PSS)")
        out.append(line)
    return "\n".join(out)


# -- command line ----------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--self-test", action="store_true",
                   help="start our server (and Dovecot when installed) on loopback, compare")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2993)
    p.add_argument("--tls", choices=["implicit", "starttls", "none"], default="implicit")
    p.add_argument("--cafile", help="CA to trust (default: system store)")
    p.add_argument("--insecure", action="store_true", help="do not verify the certificate")
    p.add_argument("--user", action="append", default=[], metavar="ADDRESS:PASSWORD",
                   help="account to use (repeat; clients take them in turn)")
    p.add_argument("--duration", type=float, default=15.0, help="seconds per mix")
    p.add_argument("--clients", type=int, default=10)
    p.add_argument("--rounds", type=lambda s: [int(x) for x in s.split(",")], default=[1, 10],
                   help="work rounds per login, comma-separated mixes (default 1,10)")
    p.add_argument("--idle", type=int, default=None,
                   help="idle connections for the memory figure (self-test default 1000)")
    p.add_argument("--server-pid", type=int, help="server pid whose memory to sample")
    p.add_argument("--users", type=int, default=4, help="self-test: accounts")
    p.add_argument("--messages", type=int, default=200, help="self-test: messages per INBOX")
    p.add_argument("--kdf", choices=["production", "test"], default="production",
                   help="self-test: Argon2 parameters of the seeded accounts")
    p.add_argument("--no-dovecot", action="store_true", help="self-test: skip the baseline")
    p.add_argument("--profile", action="store_true",
                   help="self-test: py-spy profile of our server during each load mix")
    p.add_argument("--keep", action="store_true", help="self-test: keep the temp folder")
    p.add_argument("--trace-memory", action="store_true",
                   help="self-test: tracemalloc in our server; print the heap growth per idle "
                        "connection by allocation site (slows the server: not for figures)")
    p.add_argument("--server", choices=["imap-only", "serve"], default="imap-only",
                   help="self-test: run our IMAP listeners alone in a subprocess (default) "
                        "or the whole `mssante serve` node")
    p.add_argument("--serve-imap-only", type=Path, metavar="CONFIG", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.idle is None:
        args.idle = 1000 if args.self_test else 0
    return args


def raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(need, soft)), hard))


async def external(args: argparse.Namespace) -> int:
    users = []
    for item in args.user:
        address, sep, password = item.partition(":")
        if not sep:
            raise SystemExit(f"--user wants ADDRESS:PASSWORD, got {item!r}")
        users.append((address, password))
    if not users:
        raise SystemExit("give at least one --user ADDRESS:PASSWORD (or --self-test)")
    ctx = None
    if args.tls != "none":
        ctx = ssl.create_default_context(cafile=args.cafile)
        if args.insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
    pid = args.server_pid
    t = Target(f"{args.host}:{args.port}", args.host, args.port, args.tls, ctx, users,
               (lambda: process_tree_memory(pid)) if pid else None, pid)
    if args.idle and pid is None:
        print("--idle needs --server-pid to sample memory: skipped", file=sys.stderr)
    await measure(t, args)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_fd_limit(4 * (args.idle or 0) + 1024)
    if args.serve_imap_only:
        raise_fd_limit(16384)
        asyncio.run(serve_imap_only(args.serve_imap_only))
        return 0
    print(f"imap_load: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}", flush=True)
    return asyncio.run(self_test(args) if args.self_test else external(args))


if __name__ == "__main__":
    sys.exit(main())
