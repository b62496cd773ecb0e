"""Per-connection and per-transaction state carried between the protocol and the hooks."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from enum import Enum
from typing import Any

from aiosmtpd.smtp import Envelope, Session

from mailserver.auth import Login
from mailserver.delivery import RemoteRecipient
from mailserver.store import AccountInfo


class ListenerKind(Enum):
    MX = "mx"                      # port 25: inbound relay from peer operators
    SUBMISSION_TLS = "submission-tls"        # port 465: implicit TLS
    SUBMISSION_STARTTLS = "submission"       # port 587: STARTTLS required

    @property
    def submission(self) -> bool:
        return self is not ListenerKind.MX


@dataclass(frozen=True)
class TlsInfo:
    version: str
    cipher: str

    def __str__(self) -> str:
        return f"{self.version}:{self.cipher}"


class MssSession(Session):
    """aiosmtpd's session plus what our policy needs. Replaced after STARTTLS (RFC 3207)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self.client_ip: str = ""
        self.tls: TlsInfo | None = None
        self.login: Login | None = None         # from AUTH PLAIN/LOGIN/EXTERNAL
        self.cert_login: Login | None = None    # from the TLS client certificate
        self.cert_checked = False
        self.auth_failures = 0
        # MX: check_peer's verdict per MAIL FROM domain ("" for a null sender).
        self.peer_verdicts: dict[str, str | None] = {}

    # aiosmtpd's property logs a deprecation warning on every successful AUTH.
    @property
    def login_data(self) -> Any:
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value

    @property
    def identity(self) -> Login | None:
        return self.login or self.cert_login


@dataclass
class RecipientResult:
    """What we answered for one RCPT, for the transaction log."""

    shown: str      # the address, or only its domain for a patient
    code: int


class MssEnvelope(Envelope):
    def __init__(self) -> None:
        super().__init__()
        self.tx_id = secrets.token_hex(6)
        self.sender_login: Login | None = None
        self.declared_size: int | None = None
        self.params: dict[str, str] = {}
        self.local: list[AccountInfo] = []
        self.remote: list[RemoteRecipient] = []
        self.to_patient = False
        self.results: list[RecipientResult] = []
        self.sender_code: int | None = None
        # The current RCPT's NOTIFY and ORCPT (RFC 3461), parsed by the protocol for the hook.
        self.rcpt_dsn: tuple[tuple[str, ...], str | None] = ((), None)
        # Local recipients whose sender asked NOTIFY=SUCCESS: account id → (address, ORCPT).
        self.dsn_success: dict[str, tuple[str, str | None]] = {}
