"""Keep the trust list in force up to date: fetch, check, replace, or keep the last good one.

The list comes from a file or an HTTPS URL whose server certificate must chain to the pinned
CA (``trust.ca``; IGC-Santé in production). A list that cannot be fetched, does not parse, is
older than ``trust.max_age`` or older than the list in force never replaces it: the error is
logged, kept in ``TrustSpace.last_error`` and in the metrics (``trust/status.json``, shown by
``mssante trust show``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from config import Settings
from mailserver.trust import (
    MAX_LIST_BYTES,
    TrustList,
    TrustListError,
    TrustSpace,
    parse_trust_list,
    trust_list_path,
)

log = logging.getLogger(__name__)
STATUS_FILE = "status.json"


def status_path(settings: Settings) -> Path:
    return settings.base_dir / "trust" / STATUS_FILE


def parse_generated(text: str) -> datetime | None:
    """DateDeGeneration (ISO-8601, normally UTC with a Z)."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def list_age(trust_list: TrustList, now: datetime | None = None) -> float | None:
    when = parse_generated(trust_list.generated)
    if when is None:
        return None
    return ((now or datetime.now(UTC)) - when).total_seconds()


def check_fresh(trust_list: TrustList, max_age: int, now: datetime | None = None) -> None:
    """Refuse a list without a usable DateDeGeneration, or older than `max_age` seconds."""
    age = list_age(trust_list, now)
    if age is None:
        raise TrustListError(f"DateDeGeneration {trust_list.generated!r} is missing or invalid")
    if max_age and age > max_age:
        raise TrustListError(f"trust list is stale: generated {trust_list.generated}, "
                             f"{int(age)} s ago (trust.max_age = {max_age} s)")


def fetch_https(url: str, ca_file: Path, timeout: float = 30.0) -> bytes:
    """GET the list; the server must present a certificate chaining to the pinned CA only."""
    ctx = ssl.create_default_context(cafile=str(ca_file))  # cafile given: no system store
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    req = urllib.request.Request(url, headers={"User-Agent": "mssante-trustlist/1"})
    with urllib.request.urlopen(req, context=ctx, timeout=timeout) as resp:  # noqa: S310
        if resp.status != 200:
            raise TrustListError(f"{url}: HTTP {resp.status}")
        data = resp.read(MAX_LIST_BYTES + 1)
    if len(data) > MAX_LIST_BYTES:
        raise TrustListError(f"{url}: trust list is too large")
    return bytes(data)


def own_certificate_listing(settings: Settings, trust_list: TrustList
                            ) -> tuple[str, datetime, dict[str, bool]]:
    """This operator's certificate (``relay.client_certificate``): its subject DN, its expiry
    and, for every local domain (the patient domain included), whether the list has it.
    Raises OSError or ValueError when the certificate cannot be read."""
    from crypto import load_certificate, subject_dn

    cert = load_certificate(settings.relay.client_certificate)
    dn = subject_dn(cert)
    return dn, cert.not_valid_after_utc, {d: trust_list.allows(d, dn)
                                          for d in settings.local_domains}


@dataclass
class RefreshStatus:
    source: str
    last_attempt: str = ""
    last_success: str = ""
    last_error: str | None = None
    failures: int = 0


class TrustRefresher:
    """Reload the list on a schedule into a TrustSpace, keeping the last good one."""

    def __init__(self, settings: Settings, space: TrustSpace) -> None:
        self.settings = settings
        self.space = space
        self.status = RefreshStatus(source=settings.trust.list)
        self._task: asyncio.Task[None] | None = None

    async def _read(self) -> bytes:
        ref = self.settings.trust.list
        if ref.startswith("https://"):
            try:
                return await asyncio.to_thread(fetch_https, ref, self.settings.trust.ca)
            except TrustListError:
                raise
            except (OSError, ValueError) as exc:
                raise TrustListError(f"cannot download {ref}: {exc}") from None
        path = trust_list_path(self.settings)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise TrustListError(f"cannot read trust list {path}: {exc.strerror}") from None

    async def refresh(self) -> bool:
        """One attempt; True if the list in force was replaced (or confirmed)."""
        now = datetime.now(UTC)
        self.status.last_attempt = now.isoformat()
        try:
            data = await self._read()
            new = parse_trust_list(data)
            check_fresh(new, self.settings.trust.max_age, now)
            old_when = parse_generated(self.space.current.generated)
            new_when = parse_generated(new.generated)
            if old_when and new_when and new_when < old_when:
                raise TrustListError(f"downloaded list ({new.generated}) is older than the "
                                     f"list in force ({self.space.current.generated})")
        except TrustListError as exc:
            self._failed(str(exc))
            return False
        except Exception as exc:  # never let a bad list stop the refresher
            self._failed(f"{type(exc).__name__}: {exc}")
            return False
        changed = new.generated != self.space.current.generated
        self.space.replace(new)
        self.status.last_success = now.isoformat()
        self.status.last_error = None
        self.status.failures = 0
        if self.settings.trust.list.startswith("https://"):
            _atomic_write(trust_list_path(self.settings), data)
        self._write_status()
        # Said once per new list, not at every refresh.
        log.log(logging.INFO if changed else logging.DEBUG,
                "trust list in force: generated %s, %d domains", new.generated,
                len(new.domains))
        return True

    def _failed(self, reason: str) -> None:
        self.status.last_error = reason
        self.status.failures += 1
        self.space.last_error = reason
        log.error("trust list not replaced, keeping the list generated %s: %s",
                  self.space.current.generated or "(unknown)", reason)
        self._write_status()

    def metrics(self) -> dict[str, Any]:
        cur = self.space.current
        age = list_age(cur)
        return {
            "trust_list_source": self.status.source,
            "trust_list_date_de_generation": cur.generated,
            "trust_list_age_seconds": None if age is None else int(age),
            "trust_list_domains": len(cur.domains),
            "trust_list_entries": len(cur.entries),
            "trust_list_loaded_at": self.space.loaded_at.isoformat(),
            "trust_list_last_attempt": self.status.last_attempt,
            "trust_list_last_success": self.status.last_success,
            "trust_list_last_error": self.status.last_error,
            "trust_list_failures": self.status.failures,
            "trust_list_stale": bool(age is not None and self.settings.trust.max_age
                                     and age > self.settings.trust.max_age),
        }

    def _write_status(self) -> None:
        try:
            _atomic_write(status_path(self.settings),
                          json.dumps(self.metrics(), indent=2).encode())
        except OSError as exc:
            log.warning("cannot write trust status: %s", exc)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="trust-refresh")

    async def _loop(self) -> None:
        interval = max(1, self.settings.trust.refresh_interval)
        while True:
            await self.refresh()
            await asyncio.sleep(interval)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass


def read_status(settings: Settings) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(status_path(settings).read_text(encoding="utf-8"))
        return data
    except (OSError, ValueError):
        return None


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
