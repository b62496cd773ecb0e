"""Shared by the interop tests: the server under test (`Target`) and sample messages."""

from __future__ import annotations

import os
import shutil
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.conftest import DOCTOR

ROOT = Path(__file__).resolve().parents[2]
TARGET = os.environ.get("MSSANTE_INTEROP_TARGET", "mssante")
SENDER = "secretariat@clinique.test"


@dataclass
class Target:
    kind: str
    host: str
    starttls_port: int
    tls_port: int
    cafile: Path
    users: dict[str, str]
    deliver_fn: Callable[[str, list[bytes]], Awaitable[None]]
    extra: dict[str, object] = field(default_factory=dict)

    async def deliver(self, user: str, *raws: bytes) -> None:
        """Deliver messages to `user`'s INBOX (concurrently, in order of UID not promised)."""
        await self.deliver_fn(user, list(raws))

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cafile))


def make_message(i: int, *, to: str = DOCTOR, subject: str | None = None,
                 body: str | None = None, sender: str = SENDER) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Secrétariat <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject if subject is not None else f"Compte rendu {i:04d}"
    msg["Date"] = format_datetime(datetime(2024, 1, 1, 8, tzinfo=UTC) + timedelta(minutes=i))
    msg["Message-ID"] = f"<interop-{i:04d}.{to.partition('@')[0]}@clinique.test>"
    msg.set_content(body if body is not None else
                    f"Bonjour,\n\nVoici le compte rendu numéro {i}.\n\nCordialement\n")
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def need_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (make test-deps / scripts/install-test-deps.sh "
                    f"installs it)")
    return path
