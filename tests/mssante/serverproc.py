"""Run `mssante` commands and a real `mssante serve` subprocess, as an operator would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "mssante"


def mssante(*args: str, config: Path | None = None, stdin: str | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if config is not None:
        env["MSSANTE_CONFIG"] = str(config)
    return subprocess.run([str(BIN), *args], input=stdin, text=True, capture_output=True,
                          env=env, check=check, timeout=120)


def wait_port(host: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port}")


class ServerProcess:
    def __init__(self, config: Path, ports: list[tuple[str, int]]) -> None:
        self.config = config
        self.ports = ports
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = config.parent / "serve.log"

    def start(self) -> ServerProcess:
        env = dict(os.environ, MSSANTE_CONFIG=str(self.config))
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([str(BIN), "serve"], stdout=log,
                                         stderr=subprocess.STDOUT, env=env)
        try:
            for host, port in self.ports:
                wait_port(host, port)
        except TimeoutError:
            self.stop()
            raise AssertionError("server did not start:\n" + self.log.read_text()) from None
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()
