"""What a transaction leaves behind besides the message: a Received header and a log line.

Neither holds a password, a subject or a body. Patient addresses are personal health data:
the log shows only their domain, and a patient's own submission gets a Received header
without their address, IP or HELO name.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime

from mailserver.smtp.state import MssEnvelope, MssSession, RecipientResult

log = logging.getLogger("mailserver.smtp")
MAX_LOGGED_RECIPIENTS = 20


def shown_address(address: str, is_patient: Callable[[str], bool]) -> str:
    """An address as it may appear in logs: a patient's becomes "*@domain"."""
    if address and is_patient(address):
        return "*@" + address.rpartition("@")[2]
    return address or "<>"


def with_keyword(session: MssSession, authenticated: bool) -> str:
    """RFC 3848 protocol type."""
    base = "ESMTP" if session.extended_smtp else "SMTP"
    if session.tls is not None:
        base += "S"
    if authenticated:
        base += "A"
    return base


def received_header(*, by: str, session: MssSession, tx_id: str, authenticated: bool,
                    hide_client: bool) -> bytes:
    parts = []
    if not hide_client:
        helo = _clean(session.host_name or "unknown")
        parts.append(f"from {helo} ([{session.client_ip}])")
    parts.append(f"by {by} (mssante) with {with_keyword(session, authenticated)}")
    notes = []
    if session.tls is not None:
        notes.append(f"({session.tls.version}:{session.tls.cipher})")
    if authenticated:
        notes.append("(authenticated)")
    notes.append(f"id {tx_id}")
    parts.append(" ".join(notes))
    # An aware UTC time prints "+0000": "-0000" would say the zone is unknown (RFC 5322).
    value = "\r\n\t".join(parts) + ";\r\n\t" + format_datetime(datetime.now(UTC))
    return f"Received: {value}\r\n".encode()


def _clean(text: str) -> str:
    """A HELO name is client input: keep it to printable characters outside comments."""
    kept = "".join(c for c in text if 32 < ord(c) < 127 and c not in "()\\;")
    return kept[:255] or "unknown"


def recipients_summary(results: list[RecipientResult]) -> str:
    """The first `MAX_LOGGED_RECIPIENTS` as address:code, then only counts per code: a
    client sending thousands of refused RCPTs must not make one huge log line."""
    out = ",".join(f"{r.shown}:{r.code}" for r in results[:MAX_LOGGED_RECIPIENTS]) or "-"
    rest = results[MAX_LOGGED_RECIPIENTS:]
    if rest:
        counts = Counter(r.code for r in rest)
        out += f",+{len(rest)} more (" + " ".join(
            f"{code}x{n}" for code, n in sorted(counts.items())) + ")"
    return out


def log_transaction(listener: str, session: MssSession, envelope: MssEnvelope, result: str,
                    size: int | None, is_patient: Callable[[str], bool],
                    sender: str | None = None) -> None:
    """One line per transaction, whatever its outcome."""
    login = envelope.sender_login or session.identity
    who = shown_address(login.account.address, is_patient) if login else "-"
    mail_from = sender if sender is not None else (envelope.mail_from or "")
    rcpts = recipients_summary(envelope.results)
    log.info("smtp tx=%s listener=%s peer=%s tls=%s auth=%s from=%s rcpt=%s size=%s "
             "result=%r", envelope.tx_id, listener, session.client_ip,
             session.tls or "none", who, shown_address(mail_from, is_patient), rcpts,
             size if size is not None else "-", result[:120])
