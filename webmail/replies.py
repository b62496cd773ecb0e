"""Answering a message from the webmail, under the same rules as SMTP submission.

The reply is built here (From is always the logged-in account), then every recipient is
asked of the same policy SMTP asks — routing (`mailserver/policy/routing.py`) and, for a
patient, the Mon Espace Santé rules (`PatientRules.check`, with the reply's own headers).
If any recipient is refused, nothing is sent and each refusal is shown with its reason.
Otherwise it goes through the delivery service: recipients' copies, the relay queue for
other operators, and one copy in the sender's Sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from mailserver.auth import Login
from mailserver.delivery import RemoteRecipient, return_path
from mailserver.headers import parse_headers
from mailserver.policy import patient as patient_rules
from mailserver.policy.routing import Refusal, route_submission
from mailserver.services import MailServices
from mailserver.store import AccountInfo
from webmail.reading import Summary, parse, summarise

MAX_TEXT = 1024 * 1024  # a typed answer; attachments are not offered yet


class Reason:
    """Why a recipient is refused, as catalogue message ids (translated by the page)."""

    ROUTING = {
        Refusal.UNKNOWN_USER: "No mailbox has this address.",
        Refusal.MAILBOX_DISABLED: "This mailbox is disabled.",
        Refusal.UNTRUSTED_RECIPIENT: "This address is outside the health trust space.",
        Refusal.UNKNOWN_PROFESSIONAL: "This address is not in the national directory.",
        Refusal.RELAY_DENIED: "This address cannot be reached from here.",
    }
    PATIENT = {
        patient_rules.NO_START: "You may only answer a professional who wrote to you.",
        patient_rules.CLOSED: "The professional ended this conversation: it accepts no answer.",
        patient_rules.TO_PATIENT: "Patients cannot write to other patients.",
        patient_rules.WRONG_ADDRESS: "Answers to this message go to another address.",
    }
    TOO_BIG = "The message is too long."
    EMPTY = "Write your answer before sending it."


@dataclass(frozen=True)
class Refused:
    address: str
    reason: str  # a catalogue message id


@dataclass(frozen=True)
class Sent:
    message_id: str
    recipients: tuple[str, ...]


def reply_addresses(original: Summary, reply_to: tuple[str, ...], me: str,
                    to_all: bool) -> list[str]:
    """Reply-To if given, else From; reply-all adds To and Cc; never oneself, no twice."""
    first = list(reply_to) or ([original.sender.address] if original.sender else [])
    others = [p.address for p in (*original.to, *original.cc)] if to_all else []
    out: list[str] = []
    for address in (*first, *others):
        a = address.lower()
        if a != me.lower() and a not in out:
            out.append(a)
    return out


def build_reply(account: AccountInfo, original_raw: bytes, recipients: list[str],
                text: str) -> EmailMessage:
    original = parse(original_raw)
    summary = summarise(original)
    headers = parse_headers(original_raw)
    msg = EmailMessage()
    msg["From"] = formataddr((account.display_name, account.address))
    msg["To"] = ", ".join(recipients)
    subject = summary.subject
    msg["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=account.domain)
    if headers.message_id:
        msg["In-Reply-To"] = headers.message_id   # ids keep their <>
        msg["References"] = " ".join([*headers.references, headers.message_id][-20:])
    msg.set_content(text)
    return msg


def as_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


async def may_answer(services: MailServices, login: Login, original_raw: bytes) -> bool:
    """Does the policy let this account answer this message at all (patients only are
    restricted)? Asked with the headers the answer would carry."""
    account = login.account
    if not account.is_patient:
        return True
    summary = summarise(parse(original_raw))
    targets = reply_addresses(summary, parse_headers(original_raw).reply_to, account.address,
                              to_all=False)
    if not targets:
        return False
    probe = as_bytes(build_reply(account, original_raw, targets, "."))
    headers = parse_headers(probe)
    for target in targets:
        if await services.patients.check(account, target, headers) is not None:
            return False
    return True


async def send_reply(services: MailServices, login: Login, original_raw: bytes, text: str,
                     to_all: bool) -> Sent | list[Refused]:
    account = login.account
    if not text.strip():
        return [Refused("", Reason.EMPTY)]
    summary = summarise(parse(original_raw))
    recipients = reply_addresses(summary, parse_headers(original_raw).reply_to,
                                 account.address, to_all)
    msg = build_reply(account, original_raw, recipients, text)
    raw = as_bytes(msg)
    limits = services.settings.limits
    limit = limits.patient_max_message_size if account.is_patient else limits.max_message_size
    if len(text) > MAX_TEXT or len(raw) > limit:
        return [Refused("", Reason.TOO_BIG)]
    headers = parse_headers(raw)
    refused: list[Refused] = []
    local: list[AccountInfo] = []
    remote: list[RemoteRecipient] = []
    for address in recipients:
        decision = await route_submission(services, address)
        if decision.refusal is not None:
            refused.append(Refused(address, Reason.ROUTING[decision.refusal]))
            continue
        if account.is_patient:
            why = await services.patients.check(account, address, headers)
            if why is not None:
                refused.append(Refused(address, Reason.PATIENT.get(why, why)))
                continue
        if decision.local is not None:
            local.append(decision.local)
        if decision.remote is not None:
            remote.append(decision.remote)
    if refused or not recipients:
        return refused or [Refused("", Reason.PATIENT[patient_rules.NO_START])]
    await services.delivery.deliver(raw, mail_from=account.address, recipients=local,
                                    remote=remote or None, sender=account, headers=headers,
                                    final_trace=return_path(account.address))
    return Sent(message_id=headers.message_id or "", recipients=tuple(recipients))
