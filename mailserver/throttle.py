"""Login throttling, checked before any password hash runs.

Failures are counted per (client address, account) and per client address, never per
account alone: an attacker at one address must not be able to lock the real user out from
another. Past a free allowance each further failure doubles the wait (exponential
back-off, capped). State lives in this process's memory, bounded in size; `mssante account
unlock` reaches it through a stamp in the account's settings (see `Authenticator`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from config import AuthSettings

# Keys remembered per tracker at most; beyond, the oldest failures are forgotten first.
MAX_KEYS = 100_000


@dataclass
class _Record:
    failures: int
    last: float        # monotonic time of the last failure
    since: float       # wall-clock time of the first failure (compared with unlock stamps)


class Backoff:
    """Failures per key; `retry_after(key)` > 0 while the key must wait."""

    def __init__(self, free: int, start: float, cap: float, forget: float,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS) -> None:
        self.free = max(1, free)
        self.start = start
        self.cap = cap
        self.forget = forget
        self.clock = clock
        self.max_keys = max_keys
        self._records: OrderedDict[Hashable, _Record] = OrderedDict()

    def _wait(self, rec: _Record) -> float:
        over = rec.failures - self.free
        if over < 0:
            return 0.0
        return float(min(self.cap, self.start * 2 ** min(over, 40)))

    def _live(self, key: Hashable, now: float) -> _Record | None:
        rec = self._records.get(key)
        if rec is not None and now > rec.last + self._wait(rec) + self.forget:
            del self._records[key]
            return None
        return rec

    def retry_after(self, key: Hashable) -> float:
        now = self.clock()
        rec = self._live(key, now)
        if rec is None:
            return 0.0
        wait = self._wait(rec)
        return min(wait, max(0.0, rec.last + wait - now))  # min(): float rounding

    def failing_since(self, key: Hashable) -> float | None:
        """Wall-clock time of the first failure counted against `key`, if any."""
        rec = self._live(key, self.clock())
        return rec.since if rec is not None else None

    def fail(self, key: Hashable) -> None:
        now = self.clock()
        rec = self._live(key, now)
        if rec is None:
            rec = self._records[key] = _Record(0, now, time.time())
        rec.failures += 1
        rec.last = now
        self._records.move_to_end(key)
        while len(self._records) > self.max_keys:
            self._records.popitem(last=False)

    def clear(self, key: Hashable) -> None:
        self._records.pop(key, None)

    def clear_where(self, match: Callable[[Hashable], bool]) -> list[Hashable]:
        gone = [k for k in self._records if match(k)]
        for k in gone:
            del self._records[k]
        return gone

    def __len__(self) -> int:
        return len(self._records)


class LoginThrottle:
    """The two trackers a password login consults: (client, account) and client."""

    def __init__(self, settings: AuthSettings,
                 clock: Callable[[], float] = time.monotonic) -> None:
        start, cap, forget = settings.backoff_start, settings.backoff_max, settings.failure_window
        self.pairs = Backoff(settings.max_failures_per_client_account, start, cap, forget, clock)
        self.clients = Backoff(settings.max_failures_per_client, start, cap, forget, clock)

    def retry_after(self, client: str, address: str) -> float:
        """Seconds this client must wait before trying this account again (0: go ahead)."""
        return max(self.pairs.retry_after((client, address)), self.clients.retry_after(client))

    def pair_failing_since(self, client: str, address: str) -> float | None:
        return self.pairs.failing_since((client, address))

    def failed(self, client: str, address: str) -> None:
        self.pairs.fail((client, address))
        self.clients.fail(client)

    def succeeded(self, client: str, address: str) -> None:
        # The per-client count is kept: a valid login to one's own account must not reset
        # the failures an address piled up on other accounts.
        self.pairs.clear((client, address))

    def unlock(self, address: str) -> int:
        """Forget every client's failures on this account; returns how many were cleared."""
        return len(self.pairs.clear_where(
            lambda k: isinstance(k, tuple) and len(k) == 2 and k[1] == address))
