"""Recipient routing as typed policy decisions (no sockets): what SMTP and the webmail ask."""

from __future__ import annotations

from mailserver.policy.routing import Refusal, route_inbound, route_submission
from mailserver.services import MailServices
from mailserver.smtp import codes
from mailserver.trust import TrustEntry, TrustList
from tests.conftest import NURSE, WARD

PEER = "dr.x@autre-hopital.test"


async def test_submission_decisions(services: MailServices, accounts: dict[str, str]) -> None:
    services.trust.replace(TrustList(entries=[*services.trust.current.entries,
                                              TrustEntry("autre-hopital.test", "CN=x")]))
    await services.accounts.set_state(WARD, "suspended")
    local = await route_submission(services, NURSE.upper())
    assert local.accepted and local.local is not None and local.local.address == NURSE
    assert (await route_submission(services, "personne@hopital.test")).refusal \
        is Refusal.UNKNOWN_USER
    assert (await route_submission(services, WARD)).refusal is Refusal.MAILBOX_DISABLED
    remote = await route_submission(services, PEER, ("FAILURE",), "rfc822;" + PEER)
    assert remote.accepted and remote.remote is not None
    assert remote.remote.notify == ("FAILURE",) and remote.local is None
    outside = await route_submission(services, "x@gmail.example")
    assert outside.refusal is Refusal.UNTRUSTED_RECIPIENT
    assert codes.refusal_reply(outside.refusal, outside.address, outside.domain) == \
        codes.UNTRUSTED_RECIPIENT.format(domain="gmail.example")


async def test_inbound_never_relays(services: MailServices, accounts: dict[str, str]) -> None:
    assert (await route_inbound(services, PEER)).refusal is Refusal.RELAY_DENIED
    assert (await route_inbound(services, NURSE)).accepted
    assert set(codes.REFUSALS) == set(Refusal)   # every reason has its reply
