"""Directory benchmark: import of the national files, then search latency.

    python bench/directory_bench.py --persons 1000000 --mailboxes 500000   # full size
    python bench/directory_bench.py --persons 20000 --mailboxes 10000      # quick

Steps: generate synthetic files (in a child process, so its memory is not counted), import
them into a fresh SQLite database (or --url), report the time and the peak RSS of this process,
then time a query mix (name prefix, name + city, specialty + département) in-process and
through the HTTP API (FastAPI app on an httpx ASGI transport). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402

from directory import SearchQuery, import_files, search, stats  # noqa: E402
from directory.api import build_router  # noqa: E402
from directory.communes import COMMUNES  # noqa: E402
from directory.normalize import department_of, norm  # noqa: E402
from directory.schema import create_schema  # noqa: E402
from directory.synthetic import FAMILY, SPECIALTIES  # noqa: E402
from mailserver.store.engine import create_engine, session_factory  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_rss_mb() -> float:
    """The biggest child process so far (the generator, then the importer's parser workers)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def query_mix(n: int, seed: int) -> list[SearchQuery]:
    r = random.Random(seed)
    queries = []
    for i in range(n):
        family = norm(r.choice(FAMILY))
        kind = i % 3
        if kind == 0:
            queries.append(SearchQuery(text=family[: r.randint(3, max(3, len(family)))]))
        elif kind == 1:
            _pc, _insee, city = r.choice(COMMUNES)
            queries.append(SearchQuery(text=f"{family} {city}"))
        else:
            spec = r.choice(SPECIALTIES)[0]
            pc, _insee, _city = r.choice(COMMUNES)
            dept = department_of(pc)
            queries.append(SearchQuery(specialty=spec, department=dept))
    return queries


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    s = sorted(samples)
    p50 = statistics.median(s)
    p99 = s[min(len(s) - 1, int(len(s) * 0.99))]
    return p50 * 1000, p99 * 1000, s[-1] * 1000


async def bench_search(sessions: Any, queries: list[SearchQuery]) -> list[float]:
    times = []
    async with sessions() as session:
        for q in queries:
            t = time.perf_counter()
            await search(session, q)
            times.append(time.perf_counter() - t)
    return times


class Pro:
    address, kind = "bench@demo.mssante.fr", "PER"

    async def correspondents(self) -> set[str]:
        return set()


async def authenticate(request: Request) -> Pro:
    return Pro()


async def bench_http(sessions: Any, queries: list[SearchQuery]) -> list[float]:
    app = FastAPI()
    app.include_router(build_router(sessions, authenticate))
    times = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for q in queries:
            params = {k: v for k, v in (("q", q.text), ("specialty", q.specialty),
                                        ("department", q.department)) if v}
            t = time.perf_counter()
            r = await client.get("/api/directory/search", params=params)
            times.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text
    return times


def generate(args: argparse.Namespace, work: Path) -> Path:
    data = work / "files"
    if not data.exists() or args.regenerate:
        started = time.monotonic()
        subprocess.run([sys.executable, str(ROOT / "bench" / "gen_directory.py"), str(data),
                        "--persons", str(args.persons), "--mailboxes", str(args.mailboxes),
                        "--seed", str(args.seed)], check=True, stdout=subprocess.DEVNULL)
        print(f"generated {args.persons} PS + {args.mailboxes} mailbox lines "
              f"in {time.monotonic() - started:.1f} s")
    return data


async def run(args: argparse.Namespace, work: Path, data: Path) -> None:
    files = sorted(data.glob("*.txt"))
    url = args.url or f"sqlite+aiosqlite:///{work / 'directory.db'}"
    engine = create_engine(url)
    sessions = session_factory(engine)
    if not args.search_only:
        if url.startswith("sqlite"):
            for suffix in ("", "-wal", "-shm"):
                Path(str(work / "directory.db") + suffix).unlink(missing_ok=True)
        await create_schema(engine)
        rss_before = peak_rss_mb()
        started = time.monotonic()
        report = await import_files(sessions, files, progress=False)
        elapsed = time.monotonic() - started
        print(f"import: {report.summary()}")
        print(f"import: {elapsed:.1f} s, peak RSS {peak_rss_mb():.0f} MB "
              f"(before import {rss_before:.0f} MB; largest child process "
              f"{children_peak_rss_mb():.0f} MB)")
        started = time.monotonic()
        again = await import_files(sessions, files, progress=False)
        print(f"re-import (nothing changed): {time.monotonic() - started:.1f} s, "
              f"{again.created} created / {again.updated} updated / {again.removed} removed")
    print(f"stats: {await stats(sessions)}")
    queries = query_mix(args.queries, args.seed)
    await bench_search(sessions, queries[:30])  # warm the caches
    for label, fn in (("in-process", bench_search), ("HTTP API", bench_http)):
        times = await fn(sessions, queries)
        p50, p99, worst = percentiles(times)
        print(f"search {label}: {len(times)} queries, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
              f"max {worst:.1f} ms")
        for kind, name in enumerate(("name prefix", "name + city", "specialty + dept")):
            sub = times[kind::3]
            p50, p99, _ = percentiles(sub)
            print(f"  {name:17s} p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"peak RSS {peak_rss_mb():.0f} MB; database {work / 'directory.db'} "
          f"({os.path.getsize(work / 'directory.db') / 1e6:.0f} MB)" if url.startswith("sqlite")
          else f"peak RSS {peak_rss_mb():.0f} MB")
    await engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--persons", type=int, default=1_000_000)
    p.add_argument("--mailboxes", type=int, default=500_000)
    p.add_argument("--queries", type=int, default=600)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--work", help="working folder (default: a new temporary one)")
    p.add_argument("--url", help="database URL (default: SQLite in the working folder)")
    p.add_argument("--regenerate", action="store_true")
    p.add_argument("--search-only", action="store_true",
                   help="reuse the database of a previous run in --work")
    args = p.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="dirbench-"))
    data = generate(args, work)
    asyncio.run(run(args, work, data))


if __name__ == "__main__":
    main()
