"""Patient rules at submission (design brief §6): every rule over a real SMTP session."""

from __future__ import annotations

import asyncio
import dataclasses
import smtplib

import aiosmtplib
import pytest

from mailserver.policy.patient import CLOSED, NO_START, TO_PATIENT, WRONG_ADDRESS
from mailserver.services import MailServices
from mailserver.smtp import codes
from tests.conftest import DOCTOR, NURSE, PASSWORD, PATIENT, PATIENT2, WARD
from tests.mailserver.smtp.smtp_helpers import count, message, said, submit, tls_client


async def send(services: MailServices, port: int, user: str, rcpts: list[str],
               msg: bytes) -> dict[str, tuple[int, bytes]]:
    return await asyncio.to_thread(submit, port, tls_client(services.settings), user, user,
                                   rcpts, msg)


def answer(frm: str, to: str, parent: str, subject: str = "Re: Bonjour") -> bytes:
    return message(frm, to, subject, "Merci docteur.",
                   headers={"In-Reply-To": parent, "References": parent})


async def refused_at_rcpt(services: MailServices, port: int, user: str, rcpt: str,
                          msg: bytes) -> tuple[int, bytes]:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as err:
        await send(services, port, user, [rcpt], msg)
    return err.value.recipients[rcpt]


async def test_patient_may_answer_a_professional(services: MailServices,
                                                 ports: dict[str, int]) -> None:
    await send(services, ports["tls"], DOCTOR, [PATIENT],
               message(DOCTOR, PATIENT, msgid="<m1@hopital.test>"))
    assert await count(services, PATIENT) == 1
    await send(services, ports["tls"], PATIENT, [DOCTOR],
               answer(PATIENT, DOCTOR, "<m1@hopital.test>"))
    assert await count(services, DOCTOR) == 1


async def test_patient_cannot_start_a_conversation(services: MailServices,
                                                   ports: dict[str, int]) -> None:
    code, text = await refused_at_rcpt(services, ports["tls"], PATIENT, DOCTOR,
                                       message(PATIENT, DOCTOR))
    assert said(code, text) == codes.PATIENT_REFUSED.format(reason=NO_START)
    assert await count(services, DOCTOR) == 0


async def test_closed_by_x_mss_mes_fin(services: MailServices, ports: dict[str, int]) -> None:
    await send(services, ports["tls"], DOCTOR, [PATIENT],
               message(DOCTOR, PATIENT, msgid="<fin@hopital.test>",
                       headers={"X-MSS-MES": "FIN"}))
    code, text = await refused_at_rcpt(services, ports["tls"], PATIENT, DOCTOR,
                                       answer(PATIENT, DOCTOR, "<fin@hopital.test>"))
    assert said(code, text) == codes.PATIENT_REFUSED.format(reason=CLOSED)
    assert await count(services, DOCTOR) == 0


async def test_closed_by_later_fin_subject(services: MailServices,
                                           ports: dict[str, int]) -> None:
    await send(services, ports["tls"], DOCTOR, [PATIENT],
               message(DOCTOR, PATIENT, msgid="<m1@hopital.test>"))
    await send(services, ports["tls"], DOCTOR, [PATIENT],
               message(DOCTOR, PATIENT, "[FIN]", msgid="<m2@hopital.test>"))
    for parent in ("<m1@hopital.test>", "<m2@hopital.test>"):
        code, text = await refused_at_rcpt(services, ports["tls"], PATIENT, DOCTOR,
                                           answer(PATIENT, DOCTOR, parent))
        assert said(code, text) == codes.PATIENT_REFUSED.format(reason=CLOSED)


async def test_answer_goes_to_reply_to_not_to_original_sender(
        services: MailServices, ports: dict[str, int]) -> None:
    await send(services, ports["tls"], DOCTOR, [PATIENT],
               message(DOCTOR, PATIENT, msgid="<m1@hopital.test>",
                       headers={"Reply-To": WARD}))
    # To the original From: refused (at RCPT nothing is open with the doctor).
    code, text = await refused_at_rcpt(services, ports["tls"], PATIENT, DOCTOR,
                                       answer(PATIENT, DOCTOR, "<m1@hopital.test>"))
    assert said(code, text) == codes.PATIENT_REFUSED.format(reason=NO_START)
    await send(services, ports["tls"], PATIENT, [WARD],
               answer(PATIENT, WARD, "<m1@hopital.test>"))
    assert await count(services, WARD) == 1 and await count(services, DOCTOR) == 0


async def test_after_data_answer_to_wrong_address_refused(
        services: MailServices, ports: dict[str, int]) -> None:
    """Open conversations with both, but this answer's parent says Reply-To the ward."""
    await send(services, ports["tls"], DOCTOR, [PATIENT],
               message(DOCTOR, PATIENT, msgid="<a@hopital.test>", headers={"Reply-To": WARD}))
    await send(services, ports["tls"], NURSE, [PATIENT],
               message(NURSE, PATIENT, msgid="<b@hopital.test>"))
    with pytest.raises(smtplib.SMTPDataError) as err:
        await send(services, ports["tls"], PATIENT, [NURSE],
                   answer(PATIENT, NURSE, "<a@hopital.test>"))
    assert said(err.value.smtp_code, err.value.smtp_error) == \
        codes.PATIENT_REFUSED.format(reason=WRONG_ADDRESS)
    assert await count(services, NURSE) == 0


async def test_patient_never_writes_to_a_patient(services: MailServices,
                                                 ports: dict[str, int]) -> None:
    code, text = await refused_at_rcpt(services, ports["tls"], PATIENT, PATIENT2,
                                       message(PATIENT, PATIENT2))
    assert said(code, text) == codes.PATIENT_REFUSED.format(reason=TO_PATIENT)


async def test_patient_never_writes_outside_the_trust_space(
        services: MailServices, ports: dict[str, int]) -> None:
    code, text = await refused_at_rcpt(services, ports["tls"], PATIENT, "x@outside.example",
                                       message(PATIENT, "x@outside.example"))
    assert said(code, text) == codes.UNTRUSTED_RECIPIENT.format(domain="outside.example")


async def test_message_to_patient_over_patient_limit(services: MailServices,
                                                     ports: dict[str, int]) -> None:
    limits = dataclasses.replace(services.settings.limits, patient_max_message_size=2000)
    object.__setattr__(services.settings, "limits", limits)
    big = message(DOCTOR, PATIENT, body="x" * 500 + "\r\n" + ("y" * 900 + "\r\n") * 3)
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=ports["tls"],
                             tls_context=tls_client(services.settings), use_tls=True)
    async with client:
        # Without SIZE: refused after DATA, for every recipient.
        await client.login(DOCTOR, PASSWORD)
        await client.mail(DOCTOR)
        await client.rcpt(NURSE)
        await client.rcpt(PATIENT)
        with pytest.raises(aiosmtplib.SMTPDataError) as err:
            await client.data(big)
        assert said(err.value.code, err.value.message) == \
            codes.TOO_BIG_FOR_PATIENT.format(limit=2000)
    assert await count(services, NURSE) == 0
    # With SIZE declared: refused at RCPT, and a professional recipient is not affected.
    async with client:
        await client.login(DOCTOR, PASSWORD)
        await client.mail(DOCTOR, options=[f"SIZE={len(big)}"])
        assert (await client.rcpt(NURSE)).code == 250
        with pytest.raises(aiosmtplib.SMTPRecipientRefused) as err2:
            await client.rcpt(PATIENT)
        assert said(err2.value.code, err2.value.message) == \
            codes.TOO_BIG_FOR_PATIENT.format(limit=2000)
        assert (await client.data(big)).code == 250
    assert await count(services, PATIENT) == 0 and await count(services, NURSE) == 1
