"""Where each recipient goes: a local mailbox, the relay queue, or a refusal (and why)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mailserver.delivery import RemoteRecipient
from mailserver.services import MailServices
from mailserver.smtp import codes
from mailserver.store import AccountInfo
from mailserver.trust import normalize_domain

log = logging.getLogger("mailserver.smtp")


@dataclass(frozen=True)
class Route:
    """A refusal (`reply` not 2xx) or where to deliver."""

    reply: str
    local: AccountInfo | None = None
    remote: RemoteRecipient | None = None

    @property
    def accepted(self) -> bool:
        return self.reply.startswith("2")


def domain_of(address: str) -> str:
    return normalize_domain(address.rpartition("@")[2])


async def local_route(services: MailServices, address: str) -> Route:
    account = await services.store.lookup_account(address.lower())
    if account is None:
        return Route(codes.UNKNOWN_USER.format(address=address))
    if account.state != "active":
        return Route(codes.MAILBOX_DISABLED.format(address=address))
    return Route(codes.RCPT_OK, local=account)


async def submission_route(services: MailServices, address: str,
                           notify: tuple[str, ...] = (), orcpt: str | None = None) -> Route:
    """Flow 1 (design brief §3): local delivery, relay queue, or refusal."""
    domain = domain_of(address)
    if services.trust.is_local(domain):
        return await local_route(services, address)
    if not services.trust.current.is_listed(domain):
        return Route(codes.UNTRUSTED_RECIPIENT.format(domain=domain))
    check = services.directory_check
    if check is not None and not await check(address.lower()):
        return Route(codes.UNKNOWN_PROFESSIONAL.format(address=address))
    # relay (issue 5): NOTIFY and ORCPT as parse_rcpt_dsn gave them (ORCPT xtext-decoded).
    return Route(codes.RCPT_OK, remote=RemoteRecipient(
        address=address, notify=notify, orcpt=orcpt))


async def inbound_route(services: MailServices, address: str) -> Route:
    """Flow 2: a peer operator may only reach our own mailboxes."""
    domain = domain_of(address)
    if not services.trust.is_local(domain):
        return Route(codes.RELAY_DENIED.format(domain=domain))
    return await local_route(services, address)
