"""Patient messaging rules (design brief §6) at the policy level, on both databases."""

from __future__ import annotations

from datetime import date, timedelta

from mailserver.headers import parse_headers
from mailserver.policy.patient import CLOSED, NO_START, TO_PATIENT, WRONG_ADDRESS
from mailserver.services import MailServices
from tests.conftest import DOCTOR, NURSE, PATIENT, PATIENT2, WARD


def mail(sender: str, to: str, mid: str, *, subject: str = "Consultation",
         extra: str = "") -> bytes:
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{mid}>\r\n"
            f"{extra}\r\nBonjour\r\n").encode()


def reply(to: str, parent: str) -> bytes:
    return (f"From: {PATIENT}\r\nTo: {to}\r\nSubject: Re: x\r\nMessage-ID: <r-{parent}>\r\n"
            f"In-Reply-To: <{parent}>\r\nReferences: <{parent}>\r\n\r\nMerci\r\n").encode()


async def _deliver(services: MailServices, raw: bytes, sender: str) -> None:
    patient = await services.store.get_account(PATIENT)
    await services.delivery.deliver(raw, mail_from=sender, recipients=[patient])


async def check(services: MailServices, to: str, raw: bytes | None = None) -> str | None:
    patient = await services.store.get_account(PATIENT)
    return await services.patients.check(patient, to, parse_headers(raw) if raw else None)


async def test_no_first_contact(services: MailServices, accounts: dict) -> None:
    assert await check(services, DOCTOR) == NO_START
    assert await check(services, PATIENT2) == TO_PATIENT


async def test_answer_to_professional_who_wrote(services: MailServices, accounts: dict) -> None:
    await _deliver(services, mail(DOCTOR, PATIENT, "m1@h"), DOCTOR)
    assert await check(services, DOCTOR) is None
    assert await check(services, DOCTOR, reply(DOCTOR, "m1@h")) is None
    assert await check(services, NURSE) == NO_START  # someone else: still no


async def test_reply_to_becomes_the_correspondent(services: MailServices, accounts: dict) -> None:
    await _deliver(services, mail(DOCTOR, PATIENT, "m2@h", extra=f"Reply-To: {WARD}\r\n"),
                   DOCTOR)
    assert await check(services, WARD, reply(WARD, "m2@h")) is None
    assert await check(services, DOCTOR, reply(DOCTOR, "m2@h")) == WRONG_ADDRESS
    assert await check(services, DOCTOR) == NO_START


async def test_closed_by_x_mss_mes_fin(services: MailServices, accounts: dict) -> None:
    await _deliver(services, mail(DOCTOR, PATIENT, "m3@h", extra="X-MSS-MES: FIN\r\n"), DOCTOR)
    assert await check(services, DOCTOR, reply(DOCTOR, "m3@h")) == CLOSED
    assert await check(services, DOCTOR) == CLOSED
    # A later, open message from the same professional can be answered.
    await _deliver(services, mail(DOCTOR, PATIENT, "m4@h"), DOCTOR)
    assert await check(services, DOCTOR, reply(DOCTOR, "m4@h")) is None
    assert await check(services, DOCTOR, reply(DOCTOR, "m3@h")) == CLOSED


async def test_closed_by_later_fin_subject(services: MailServices, accounts: dict) -> None:
    await _deliver(services, mail(DOCTOR, PATIENT, "m5@h"), DOCTOR)
    await _deliver(services, mail(NURSE, PATIENT, "n1@h"), NURSE)
    await _deliver(services, mail(DOCTOR, PATIENT, "m6@h", subject="[FIN]"), DOCTOR)
    assert await check(services, DOCTOR, reply(DOCTOR, "m5@h")) == CLOSED
    assert await check(services, DOCTOR, reply(DOCTOR, "m6@h")) == CLOSED
    assert await check(services, DOCTOR) == CLOSED
    # Only that professional's messages are closed.
    assert await check(services, NURSE, reply(NURSE, "n1@h")) is None


async def test_pharmacy_dispensation_allows_first_contact(services: MailServices,
                                                          accounts: dict) -> None:
    patient = await services.store.get_account(PATIENT)
    await services.patients.add_dispensation(patient, WARD, date.today() - timedelta(days=400))
    assert await check(services, WARD) == NO_START  # more than a year ago
    await services.patients.add_dispensation(patient, WARD, date.today() - timedelta(days=30))
    assert await check(services, WARD) is None
