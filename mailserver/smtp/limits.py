"""Connection accounting for every SMTP listener of one node: total and per client address.

The registry also knows every live session, so a shutdown can reach them all.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Protocol


class Closable(Protocol):
    def begin_shutdown(self) -> None: ...
    def abort(self) -> None: ...


class ConnectionRegistry:
    def __init__(self, max_total: int, max_per_client: int) -> None:
        self.max_total = max_total
        self.max_per_client = max_per_client
        self._per_client: Counter[str] = Counter()
        self._sessions: dict[Closable, str] = {}
        self.empty = asyncio.Event()
        self.empty.set()

    def admit(self, session: Closable, client: str) -> str | None:
        """Register a new connection; None if admitted, else why not ("total"/"client")."""
        if self.max_total and len(self._sessions) >= self.max_total:
            return "total"
        if self.max_per_client and self._per_client[client] >= self.max_per_client:
            return "client"
        self._sessions[session] = client
        self._per_client[client] += 1
        self.empty.clear()
        return None

    def release(self, session: Closable) -> None:
        client = self._sessions.pop(session, None)
        if client is None:
            return
        self._per_client[client] -= 1
        if self._per_client[client] <= 0:
            del self._per_client[client]
        if not self._sessions:
            self.empty.set()

    @property
    def sessions(self) -> list[Closable]:
        return list(self._sessions)

    def __len__(self) -> int:
        return len(self._sessions)

    def count(self, client: str) -> int:
        return self._per_client.get(client, 0)
