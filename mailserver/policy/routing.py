"""Where a recipient goes, as a typed decision: a local mailbox, the relay queue, or a
refusal with its reason. SMTP turns reasons into replies (`mailserver/smtp/codes.py`);
the webmail asks the same questions before it sends anything."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from mailserver.delivery import RemoteRecipient
from mailserver.store import AccountInfo
from mailserver.trust import domain_of

if TYPE_CHECKING:
    from mailserver.services import MailServices


class Refusal(StrEnum):
    UNKNOWN_USER = "unknown-user"                  # a local address with no mailbox
    MAILBOX_DISABLED = "mailbox-disabled"          # suspended, closed or not yet active
    UNTRUSTED_RECIPIENT = "untrusted-recipient"    # a domain outside the trust space
    UNKNOWN_PROFESSIONAL = "unknown-professional"  # not in the national directory
    RELAY_DENIED = "relay-denied"                  # a peer asked us to relay elsewhere


@dataclass(frozen=True)
class Decision:
    address: str
    refusal: Refusal | None = None
    local: AccountInfo | None = None
    remote: RemoteRecipient | None = None

    @property
    def accepted(self) -> bool:
        return self.refusal is None

    @property
    def domain(self) -> str:
        return domain_of(self.address)


async def local_decision(services: MailServices, address: str) -> Decision:
    account = await services.store.lookup_account(address.lower())
    if account is None:
        return Decision(address, Refusal.UNKNOWN_USER)
    if account.state != "active":
        return Decision(address, Refusal.MAILBOX_DISABLED)
    return Decision(address, local=account)


async def route_submission(services: MailServices, address: str,
                           notify: tuple[str, ...] = (), orcpt: str | None = None
                           ) -> Decision:
    """Flow 1 (design brief §3), for an authenticated sender: local, relay or refused.
    NOTIFY and ORCPT (RFC 3461) travel with a relayed recipient."""
    domain = domain_of(address)
    if services.trust.is_local(domain):
        return await local_decision(services, address)
    if not services.trust.current.is_listed(domain):
        return Decision(address, Refusal.UNTRUSTED_RECIPIENT)
    check = services.directory_check
    if check is not None and not await check(address.lower()):
        return Decision(address, Refusal.UNKNOWN_PROFESSIONAL)
    return Decision(address, remote=RemoteRecipient(address=address, notify=notify,
                                                    orcpt=orcpt))


async def route_inbound(services: MailServices, address: str) -> Decision:
    """Flow 2: a peer operator may only reach our own mailboxes."""
    if not services.trust.is_local(domain_of(address)):
        return Decision(address, Refusal.RELAY_DENIED)
    return await local_decision(services, address)
