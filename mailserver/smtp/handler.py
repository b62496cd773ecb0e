"""The aiosmtpd handler hooks: every policy decision of a mail transaction, and delivery.

`MssSMTP` (protocol.py) parses the commands and calls these hooks; they answer with one of
the named replies of `codes.py`. The only way from SMTP to the store is `deliver()`, and
"250" is said only after it returns (the copies are then committed durably).
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from config import LimitSettings
from mailserver.delivery import return_path
from mailserver.headers import MessageHeaders, parse_headers, split_headers
from mailserver.inbound import MxChecks, note_success_request, success_notices
from mailserver.services import MailServices
from mailserver.smtp import codes
from mailserver.smtp.hooks import Connection
from mailserver.smtp.recipients import Route, inbound_route, submission_route
from mailserver.smtp.state import MssEnvelope, MssSession, RecipientResult
from mailserver.smtp.trace import received_header, shown_address
from mailserver.trust import domain_of

log = logging.getLogger("mailserver.smtp")


class BaseHandler:
    def __init__(self, services: MailServices) -> None:
        self.services = services

    @property
    def limits(self) -> LimitSettings:
        return self.services.settings.limits

    def is_patient(self, address: str) -> bool:
        return self.services.patients.is_patient_address(address)

    async def handle_exception(self, error: Exception) -> str:
        log.error("smtp session error: %s", error.__class__.__name__, exc_info=error)
        return codes.TEMPORARY_FAILURE

    def record(self, envelope: MssEnvelope, address: str, reply: str) -> str:
        envelope.results.append(RecipientResult(shown_address(address, self.is_patient),
                                                codes.code_of(reply)))
        return reply

    def accept(self, envelope: MssEnvelope, address: str, route: Route) -> str:
        envelope.rcpt_tos.append(address)
        if route.local is not None:
            if all(a.id != route.local.id for a in envelope.local):
                envelope.local.append(route.local)
            envelope.to_patient = envelope.to_patient or route.local.is_patient
        if route.remote is not None and all(r.address.lower() != address.lower()
                                            for r in envelope.remote):
            envelope.remote.append(route.remote)
        return self.record(envelope, address, route.reply)

    def patient_size_refusal(self, envelope: MssEnvelope, address: str) -> str | None:
        """552 at RCPT when SIZE= promised more than a patient may receive."""
        limit = self.limits.patient_max_message_size
        if self.is_patient(address) and envelope.declared_size is not None \
                and envelope.declared_size > limit:
            return codes.TOO_BIG_FOR_PATIENT.format(limit=limit)
        return None

    def too_big_for_patient(self, envelope: MssEnvelope, raw: bytes) -> str | None:
        limit = self.limits.patient_max_message_size
        if envelope.to_patient and len(raw) > limit:
            return codes.TOO_BIG_FOR_PATIENT.format(limit=limit)
        return None

    async def deliver(self, envelope: MssEnvelope, raw: bytes, **kw: Any) -> str:
        try:
            await self.services.delivery.deliver(
                raw, mail_from=envelope.mail_from or "", recipients=envelope.local,
                final_trace=return_path(envelope.mail_from or ""),
                remote=envelope.remote or None, params=dict(envelope.params) or None, **kw)
        except Exception:
            log.exception("smtp tx=%s delivery failed", envelope.tx_id)
            return codes.TEMPORARY_FAILURE
        await success_notices(self.services, envelope, raw)  # relay (issue 5): NOTIFY=SUCCESS
        return f"250 2.0.0 OK: queued as {envelope.tx_id}"


class SubmissionHandler(BaseHandler):
    """Ports 465/587: an authenticated account sends as itself (flow 1)."""

    async def handle_MAIL(self, server: Connection, session: MssSession, envelope: MssEnvelope,
                          address: str, mail_options: list[str]) -> str:
        login = envelope.sender_login
        assert login is not None   # the protocol asks for a login before calling us
        if address.lower() != login.account.address:
            return codes.NOT_YOUR_SENDER.format(address=login.account.address)
        envelope.mail_from = address
        return codes.SENDER_OK

    async def handle_RCPT(self, server: Connection, session: MssSession, envelope: MssEnvelope,
                          address: str, rcpt_options: list[str]) -> str:
        login = envelope.sender_login
        assert login is not None
        if any(a.lower() == address.lower() for a in envelope.rcpt_tos):
            return self.record(envelope, address, codes.RCPT_OK)
        notify, orcpt = envelope.rcpt_dsn   # parsed by the protocol
        route = await submission_route(self.services, address, notify, orcpt)
        if not route.accepted:
            return self.record(envelope, address, route.reply)
        if login.account.is_patient:
            reason = await self.services.patients.check(login.account, address.lower(), None)
            if reason is not None:
                return self.record(envelope, address,
                                   codes.PATIENT_REFUSED.format(reason=reason))
        refused = self.patient_size_refusal(envelope, address)
        if refused is not None:
            return self.record(envelope, address, refused)
        note_success_request(envelope.dsn_success, route.local, address, notify,
                             orcpt)  # relay (issue 5)
        return self.accept(envelope, address, route)

    async def handle_DATA(self, server: Connection, session: MssSession,
                          envelope: MssEnvelope) -> str:
        login = envelope.sender_login
        assert login is not None and isinstance(envelope.original_content, bytes)
        raw = envelope.original_content
        headers = parse_headers(raw)
        account = login.account
        if not headers.from_addresses or any(a != account.address
                                             for a in headers.from_addresses):
            return codes.NOT_YOUR_FROM.format(address=account.address)
        # RFC 5322 §3.6.2: Sender names who actually sent it; only the account itself may.
        if headers.sender_addresses is not None and (
                not headers.sender_addresses
                or any(a != account.address for a in headers.sender_addresses)):
            return codes.NOT_YOUR_SENDER_HEADER.format(address=account.address)
        if account.is_patient:
            refused = await self.patient_refusal(envelope, headers)
            if refused is not None:
                return refused
        too_big = self.too_big_for_patient(envelope, raw)
        if too_big is not None:
            return too_big
        trace = received_header(by=server.hostname, session=session, tx_id=envelope.tx_id,
                                authenticated=True, hide_client=account.is_patient)
        raw = trace + self.complete_headers(raw, headers, server.hostname)
        # Parsed once: delivery reuses them unless a Message-ID was just added.
        return await self.deliver(envelope, raw, sender=account,
                                  headers=headers if headers.message_id else None)

    async def patient_refusal(self, envelope: MssEnvelope,
                              headers: MessageHeaders) -> str | None:
        """With the headers known: is this an answer to an open message, to its Reply-To?"""
        login = envelope.sender_login
        assert login is not None
        for address in envelope.rcpt_tos:
            reason = await self.services.patients.check(login.account, address.lower(), headers)
            if reason is not None:
                return codes.PATIENT_REFUSED.format(reason=reason)
        return None

    @staticmethod
    def complete_headers(raw: bytes, headers: MessageHeaders, hostname: str) -> bytes:
        """RFC 6409 §8: a submission server may add a missing Message-ID and Date."""
        head = split_headers(raw).lower()
        extra = b""
        if headers.message_id is None:
            extra += f"Message-ID: <{secrets.token_hex(12)}@{hostname}>\r\n".encode()
        if not head.startswith(b"date:") and b"\ndate:" not in head:
            extra += f"Date: {format_datetime(datetime.now(UTC))}\r\n".encode()
        return extra + raw


class InboundHandler(BaseHandler):
    """Port 25: a peer operator of the trust space delivers to our mailboxes (flow 2)."""

    def __init__(self, services: MailServices) -> None:
        super().__init__(services)
        self.mx_checks = MxChecks(services)  # relay (issue 5): mailserver/inbound.py

    async def check_peer(self, server: Connection, session: MssSession,
                         domain: str) -> str | None:
        """Is the TLS peer allowed to send for `domain`? Its certificate must chain to the
        pinned CA and its DN be listed for the domain ("" for a null sender: any domain)."""
        # The certificate cannot change within a TLS session: decide once per domain.
        verdicts = session.peer_verdicts
        if domain not in verdicts:
            verdicts[domain] = self.mx_checks.peer_refusal(server.ssl_object(), domain)
        return verdicts[domain]

    async def handle_MAIL(self, server: Connection, session: MssSession, envelope: MssEnvelope,
                          address: str, mail_options: list[str]) -> str:
        # relay (issue 5): a null sender ("" domain) still needs a listed certificate.
        domain = domain_of(address) if address else ""
        if domain and not self.services.trust.is_trusted(domain):
            return codes.UNTRUSTED_SENDER.format(domain=domain)
        refused = await self.check_peer(server, session, domain)
        if refused is not None:
            return refused
        envelope.mail_from = address
        return codes.SENDER_OK

    async def handle_RCPT(self, server: Connection, session: MssSession, envelope: MssEnvelope,
                          address: str, rcpt_options: list[str]) -> str:
        if any(a.lower() == address.lower() for a in envelope.rcpt_tos):
            return self.record(envelope, address, codes.RCPT_OK)
        route = await inbound_route(self.services, address)
        if not route.accepted:
            return self.record(envelope, address, route.reply)
        refused = self.patient_size_refusal(envelope, address)
        if refused is not None:
            return self.record(envelope, address, refused)
        notify, orcpt = envelope.rcpt_dsn   # parsed by the protocol
        note_success_request(envelope.dsn_success, route.local, address, notify,
                             orcpt)  # relay (issue 5)
        return self.accept(envelope, address, route)

    async def handle_DATA(self, server: Connection, session: MssSession,
                          envelope: MssEnvelope) -> str:
        assert isinstance(envelope.original_content, bytes)
        raw = envelope.original_content
        headers = parse_headers(raw)   # once: duplicate check and delivery use them too
        if not envelope.mail_from:
            # A bounce (null sender): its From: must still come from the trust space.
            for address in headers.from_addresses[:1] or ["@"]:
                domain = domain_of(address)
                if not self.services.trust.is_trusted(domain):
                    return codes.UNTRUSTED_SENDER.format(domain=domain or "(none)")
        too_big = self.too_big_for_patient(envelope, raw)
        if too_big is not None:
            return too_big
        # relay (issue 5): DKIM verified and recorded; a copy a mailbox already holds (the
        # peer never saw our 250 and sent again) is not stored twice.
        refused, auth_results, _ = await self.mx_checks.dkim(raw, server.hostname)
        if refused is not None:
            return refused
        envelope.local = await self.mx_checks.not_yet_delivered(envelope.local, raw, headers)
        if not envelope.local and not envelope.remote:
            return f"250 2.0.0 OK: already delivered ({envelope.tx_id})"
        trace = received_header(by=server.hostname, session=session, tx_id=envelope.tx_id,
                                authenticated=False, hide_client=False)
        # The Received and Authentication-Results lines added in front change no field
        # that MessageHeaders holds: the headers parsed above are still the message's.
        return await self.deliver(envelope, trace + auth_results + raw, headers=headers)
