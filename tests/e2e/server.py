"""The real HTTPS webmail for browser tests: a data folder made by `mssante init`, the wired
services and uvicorn with the server certificate, in a thread with its own event loop
(Playwright's sync API drives the browser from the test thread)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from mailserver.services import MailServices, build_services
from mssante.init import initialise
from tests.conftest import free_ports, init_options
from webmail import create_app
from webmail.settings import WebmailSettings

Setup = Callable[[MailServices], Awaitable[None]]


@dataclass
class LiveWebmail:
    data_dir: Path
    setup: Setup
    settings: WebmailSettings = field(default_factory=WebmailSettings)
    base_url: str = ""
    services: MailServices | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _server: uvicorn.Server | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _error: BaseException | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="webmail-e2e", daemon=True)
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the webmail did not start within 60 s")
        if self._error is not None:
            raise RuntimeError("the webmail failed to start") from self._error

    def run(self, coro: Awaitable[Any]) -> Any:
        """Run a coroutine on the server's loop (to deliver mail, read the store…)."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(60)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(30)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the test thread by start()
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        settings = await initialise(init_options(self.data_dir))
        services = await build_services(settings)
        self.services = services
        try:
            await self.setup(services)
            port = free_ports(1)[0]
            config = uvicorn.Config(create_app(services, self.settings), host="127.0.0.1",
                                    port=port, ssl_certfile=str(settings.tls.certificate),
                                    ssl_keyfile=str(settings.tls.private_key),
                                    log_level="warning", lifespan="off", access_log=False)
            self._server = uvicorn.Server(config)
            task = asyncio.create_task(self._server.serve())
            # uvicorn exposes readiness only as a flag, so poll it (bounded by serve's outcome).
            while not self._server.started and not task.done():  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            self.base_url = f"https://127.0.0.1:{port}"
            self._ready.set()
            await task
        finally:
            await services.close()
