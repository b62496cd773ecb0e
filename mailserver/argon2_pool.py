"""A bounded pool for the Argon2 work of logins, so logins cannot be turned against the
server: at most `workers` hashes run at once (each takes 64 MiB and ~200 ms of CPU), at
most `queue` more wait, and anything beyond is refused at once (`PoolBusy`) instead of
piling up. argon2-cffi releases the GIL, so threads use every core and never block the
event loop.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class PoolBusy(Exception):
    """Every Argon2 worker is busy and the queue is full: try again later."""


class Argon2Pool:
    def __init__(self, workers: int = 0, queue: int = 16) -> None:
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self.capacity = self.workers + max(0, queue)
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="argon2")
        # Counted until the thread finishes, not until the caller stops waiting: a client
        # that hangs up mid-login does not free a slot its hash still occupies.
        self._pending = 0

    @property
    def pending(self) -> int:
        return self._pending

    async def run(self, fn: Callable[[], T]) -> T:
        if self._pending >= self.capacity:
            raise PoolBusy()
        loop = asyncio.get_running_loop()
        self._pending += 1
        try:
            job: Future[T] = self._executor.submit(fn)
        except BaseException:
            self._pending -= 1
            raise
        job.add_done_callback(lambda _: self._finished(loop))
        return await asyncio.wrap_future(job)

    def _finished(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            loop.call_soon_threadsafe(self._release)
        except RuntimeError:  # the loop is already closed: nothing left to count
            pass

    def _release(self) -> None:
        self._pending -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
