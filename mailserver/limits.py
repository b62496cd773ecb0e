"""Connection accounting for the listeners of one node (SMTP, IMAP): total and per client
address.

The registry also knows every live session, so a shutdown can reach them all.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Hashable
from typing import Generic, Protocol, TypeVar


class Closable(Protocol):
    def begin_shutdown(self) -> None: ...
    def abort(self) -> None: ...


S = TypeVar("S", bound=Hashable)


class ConnectionRegistry(Generic[S]):
    """Live sessions, limited in total and per client address.

    A limit of 0 means "unlimited" (SMTP) unless ``zero_is_unlimited`` is False, when it
    refuses every connection (IMAP's behaviour)."""

    def __init__(self, max_total: int, max_per_client: int,
                 zero_is_unlimited: bool = True) -> None:
        self.max_total = max_total
        self.max_per_client = max_per_client
        self.zero_is_unlimited = zero_is_unlimited
        self._per_client: Counter[str] = Counter()
        self._sessions: dict[S, str] = {}
        self.empty = asyncio.Event()
        self.empty.set()

    def _over(self, limit: int, count: int) -> bool:
        return count >= limit and (limit > 0 or not self.zero_is_unlimited)

    def admit(self, session: S, client: str) -> str | None:
        """Register a new connection; None if admitted, else why not ("total"/"client")."""
        if self._over(self.max_total, len(self._sessions)):
            return "total"
        if self._over(self.max_per_client, self._per_client[client]):
            return "client"
        self._sessions[session] = client
        self._per_client[client] += 1
        self.empty.clear()
        return None

    def release(self, session: S) -> None:
        client = self._sessions.pop(session, None)
        if client is None:
            return
        self._per_client[client] -= 1
        if self._per_client[client] <= 0:
            del self._per_client[client]
        if not self._sessions:
            self.empty.set()

    @property
    def sessions(self) -> list[S]:
        return list(self._sessions)

    def __len__(self) -> int:
        return len(self._sessions)

    def count(self, client: str) -> int:
        return self._per_client.get(client, 0)
