"""Where each recipient goes: a local mailbox, the relay queue, or a refusal and its reason.

The decisions are typed and say nothing about any protocol: SMTP turns a `Refusal` into a
reply (`mailserver/smtp/codes.py`, `refusal_reply`), the webmail into a message of its
catalogue. Both call the same router, so a recipient refused at RCPT is refused before the
webmail sends too.

* `route_recipient(sender_login, address)`: submission (design brief §3, flow 1), for an
  authenticated account, patient rules of §6 included (the "is any conversation open"
  check; the answer-specific one needs the headers: `check_answers`).
* `route_inbound(address)`: a peer operator delivering to us (flow 2): our mailboxes only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from mailserver.addresses import domain_of
from mailserver.auth import Login
from mailserver.headers import MessageHeaders
from mailserver.policy import patient
from mailserver.policy.patient import PatientRules
from mailserver.store import AccountInfo, Store
from mailserver.trust import TrustSpace

AddressCheck = Callable[[str], Awaitable[bool]]


class RefusalReason(StrEnum):
    """Why a recipient is refused (values are stable: logs and the webmail may show them)."""

    UNKNOWN_USER = "unknown-user"                  # no such mailbox in our domains
    MAILBOX_DISABLED = "mailbox-disabled"          # the account is not active
    UNTRUSTED_DOMAIN = "untrusted-domain"          # outside the MSSanté trust space
    UNKNOWN_PROFESSIONAL = "unknown-professional"  # not in the national directory
    RELAY_DENIED = "relay-denied"                  # a peer asked us to relay elsewhere
    PATIENT_NO_START = "patient-no-start"          # §6: a patient cannot write first
    PATIENT_CLOSED = "patient-closed"              # §6: the professional ended it
    PATIENT_TO_PATIENT = "patient-to-patient"      # §6: never patient to patient
    PATIENT_WRONG_ADDRESS = "patient-wrong-address"  # §6: answers go to the Reply-To


# The patient rules answer with their explanation; each names one reason.
_PATIENT_REASONS: dict[str, RefusalReason] = {
    patient.NO_START: RefusalReason.PATIENT_NO_START,
    patient.CLOSED: RefusalReason.PATIENT_CLOSED,
    patient.TO_PATIENT: RefusalReason.PATIENT_TO_PATIENT,
    patient.WRONG_ADDRESS: RefusalReason.PATIENT_WRONG_ADDRESS,
}
# And back: the explanation a patient refusal gives (the SMTP reply text).
PATIENT_EXPLANATIONS: dict[RefusalReason, str] = {v: k for k, v in _PATIENT_REASONS.items()}


@dataclass(frozen=True)
class LocalDelivery:
    """Deliver into this account's mailbox."""

    address: str
    account: AccountInfo


@dataclass(frozen=True)
class Relay:
    """Queue for the relay: `domain` is an operator of the trust space."""

    address: str
    domain: str


@dataclass(frozen=True)
class Refusal:
    """Do not take this recipient, for `reason`. `address` as the client wrote it."""

    address: str
    domain: str
    reason: RefusalReason


Decision = LocalDelivery | Relay | Refusal


class RecipientRouter:
    """Routing decisions over the store, the trust space, the directory and patient rules."""

    def __init__(self, store: Store, trust: TrustSpace, patients: PatientRules,
                 directory_check: AddressCheck | None = None) -> None:
        self.store = store
        self.trust = trust
        self.patients = patients
        # Is this professional address in the national directory? None: do not check.
        self.directory_check = directory_check

    async def route_recipient(self, sender_login: Login, address: str) -> Decision:
        """Submission by `sender_login`'s account to `address`: a local mailbox, the relay
        queue, or a refusal. A patient sender is also held to the patient rules (§6) as far
        as they can be judged without the message: call `check_answers` once it is known."""
        decision = await self._route(address)
        if isinstance(decision, Refusal) or not sender_login.account.is_patient:
            return decision
        reason = await self.patients.check(sender_login.account, address.lower(), None)
        if reason is not None:
            return Refusal(address, decision.domain if isinstance(decision, Relay)
                           else domain_of(address), _PATIENT_REASONS[reason])
        return decision

    async def check_answers(self, sender_login: Login, addresses: list[str],
                            headers: MessageHeaders) -> Refusal | None:
        """With the message's headers: may this patient send this answer to every one of
        `addresses` (an open message it answers, sent to its Reply-To)? None when allowed,
        and always None for a sender who is not a patient."""
        account = sender_login.account
        if not account.is_patient:
            return None
        for address in addresses:
            reason = await self.patients.check(account, address.lower(), headers)
            if reason is not None:
                return Refusal(address, domain_of(address), _PATIENT_REASONS[reason])
        return None

    async def route_inbound(self, address: str) -> Decision:
        """A peer operator delivering to `address`: our own active mailboxes only."""
        domain = domain_of(address)
        if not self.trust.is_local(domain):
            return Refusal(address, domain, RefusalReason.RELAY_DENIED)
        return await self._local(address, domain)

    async def _route(self, address: str) -> Decision:
        domain = domain_of(address)
        if self.trust.is_local(domain):
            return await self._local(address, domain)
        if not self.trust.current.is_listed(domain):
            return Refusal(address, domain, RefusalReason.UNTRUSTED_DOMAIN)
        check = self.directory_check
        if check is not None and not await check(address.lower()):
            return Refusal(address, domain, RefusalReason.UNKNOWN_PROFESSIONAL)
        return Relay(address, domain)

    async def _local(self, address: str, domain: str) -> Decision:
        account = await self.store.lookup_account(address.lower())
        if account is None:
            return Refusal(address, domain, RefusalReason.UNKNOWN_USER)
        if account.state != "active":
            return Refusal(address, domain, RefusalReason.MAILBOX_DISABLED)
        return LocalDelivery(address, account)
