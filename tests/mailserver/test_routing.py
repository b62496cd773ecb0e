"""Recipient routing as typed decisions (mailserver/policy/routing.py), without SMTP."""

from __future__ import annotations

from mailserver.auth import Login
from mailserver.headers import parse_headers
from mailserver.policy import LocalDelivery, Refusal, RefusalReason, Relay
from mailserver.services import MailServices
from mailserver.smtp import codes
from mailserver.trust import TrustEntry, TrustList
from tests.conftest import DOCTOR, NURSE, PASSWORD, PATIENT, PATIENT2


async def login(services: MailServices, address: str) -> Login:
    acc = await services.store.get_account(address)
    assert acc is not None
    key = await services.accounts.unlock_with_password(acc, PASSWORD)
    return Login(account=acc, key=key, method="password")


async def test_submission_decisions(services: MailServices, accounts: dict[str, str]) -> None:
    router = services.routing
    doctor = await login(services, DOCTOR)
    local = await router.route_recipient(doctor, NURSE.upper())
    assert isinstance(local, LocalDelivery) and local.account.address == NURSE
    assert local.address == NURSE.upper()
    assert await router.route_recipient(doctor, "nobody@hopital.test") == Refusal(
        "nobody@hopital.test", "hopital.test", RefusalReason.UNKNOWN_USER)
    assert await router.route_recipient(doctor, "x@outside.example") == Refusal(
        "x@outside.example", "outside.example", RefusalReason.UNTRUSTED_DOMAIN)
    services.trust.replace(TrustList(entries=[*services.trust.current.entries,
                                              TrustEntry("autre-hopital.test", "CN=x")]))
    assert await router.route_recipient(doctor, "dr.x@Autre-Hopital.test") == Relay(
        "dr.x@Autre-Hopital.test", "autre-hopital.test")
    await services.accounts.set_state(NURSE, "suspended")
    assert await router.route_recipient(doctor, NURSE) == Refusal(
        NURSE, "hopital.test", RefusalReason.MAILBOX_DISABLED)


async def test_patient_rules_are_part_of_the_decision(services: MailServices,
                                                      accounts: dict[str, str]) -> None:
    router = services.routing
    patient = await login(services, PATIENT)
    assert await router.route_recipient(patient, DOCTOR) == Refusal(
        DOCTOR, "hopital.test", RefusalReason.PATIENT_NO_START)
    assert await router.route_recipient(patient, PATIENT2) == Refusal(
        PATIENT2, "patient.test", RefusalReason.PATIENT_TO_PATIENT)
    # Routing refusals come first: outside the trust space is said as such.
    refused = await router.route_recipient(patient, "x@outside.example")
    assert isinstance(refused, Refusal) and refused.reason is RefusalReason.UNTRUSTED_DOMAIN
    raw = b"From: " + PATIENT.encode() + b"\r\nIn-Reply-To: <none@x>\r\n\r\nMerci\r\n"
    answer = await router.check_answers(patient, [DOCTOR], parse_headers(raw))
    assert answer is not None and answer.reason is RefusalReason.PATIENT_NO_START
    doctor = await login(services, DOCTOR)
    assert await router.check_answers(doctor, [PATIENT], parse_headers(raw)) is None


async def test_inbound_decisions(services: MailServices, accounts: dict[str, str]) -> None:
    router = services.routing
    assert isinstance(await router.route_inbound(NURSE), LocalDelivery)
    assert await router.route_inbound("x@outside.example") == Refusal(
        "x@outside.example", "outside.example", RefusalReason.RELAY_DENIED)


def test_every_reason_has_a_reply() -> None:
    assert set(codes.REFUSAL_REPLIES) == set(RefusalReason)
    reply = codes.refusal_reply(Refusal("Bob@Ext.test", "ext.test",
                                        RefusalReason.UNTRUSTED_DOMAIN))
    assert reply == codes.UNTRUSTED_RECIPIENT.format(domain="ext.test")
    assert codes.refusal_reply(Refusal("a@b", "b", RefusalReason.UNKNOWN_USER)) == \
        codes.UNKNOWN_USER.format(address="a@b")
