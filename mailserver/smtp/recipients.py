"""SMTP's view of routing: the policy's decision (`mailserver/policy/routing.py`) with the
reply it gets on the wire."""

from __future__ import annotations

from dataclasses import dataclass

from mailserver.delivery import RemoteRecipient
from mailserver.policy.routing import Decision, route_inbound, route_submission
from mailserver.services import MailServices
from mailserver.smtp import codes
from mailserver.store import AccountInfo


@dataclass(frozen=True)
class Route:
    """A refusal (`reply` not 2xx) or where to deliver."""

    reply: str
    local: AccountInfo | None = None
    remote: RemoteRecipient | None = None

    @property
    def accepted(self) -> bool:
        return self.reply.startswith("2")


def _route(decision: Decision) -> Route:
    if decision.refusal is not None:
        return Route(codes.refusal_reply(decision.refusal, decision.address, decision.domain))
    return Route(codes.RCPT_OK, local=decision.local, remote=decision.remote)


async def submission_route(services: MailServices, address: str,
                           notify: tuple[str, ...] = (), orcpt: str | None = None) -> Route:
    return _route(await route_submission(services, address, notify, orcpt))


async def inbound_route(services: MailServices, address: str) -> Route:
    return _route(await route_inbound(services, address))
