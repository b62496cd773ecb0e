"""The MX port: trust space, unknown users, relaying."""

from __future__ import annotations

import asyncio
import smtplib

import pytest

from mailserver.services import MailServices
from mailserver.smtp import codes
from tests.conftest import NURSE, PATIENT
from tests.mailserver.smtp.smtp_helpers import (
    count,
    mailbox,
    message,
    peer_tls,
    said,
    tls_client,
)


def deliver(services: MailServices, port: int, frm: str, rcpts: list[str], msg: bytes
            ) -> dict[str, tuple[int, bytes]]:
    """As a listed peer operator: STARTTLS with a certificate the trust list names."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        c.ehlo("mx.peer.test")
        c.starttls(context=peer_tls(services.settings))
        c.ehlo("mx.peer.test")
        return c.sendmail(frm, rcpts, msg)


async def test_trusted_sender_delivered_with_starttls(services: MailServices,
                                                      ports: dict[str, int]) -> None:
    msg = message("secretariat@hopital.test", [NURSE, PATIENT])
    assert await asyncio.to_thread(deliver, services, ports["mx"], "secretariat@hopital.test",
                                   [NURSE, PATIENT], msg) == {}
    [got] = await mailbox(services, NURSE)
    return_path, rest = got.split(b"\r\n", 1)
    assert return_path == b"Return-Path: <secretariat@hopital.test>"
    assert rest.startswith(b"Received: from mx.peer.test ([127.0.0.1])") and b"ESMTPS" in got
    assert await count(services, PATIENT) == 1


async def test_untrusted_sender_refused(services: MailServices, ports: dict[str, int]) -> None:
    with pytest.raises(smtplib.SMTPSenderRefused) as err:
        await asyncio.to_thread(deliver, services, ports["mx"], "spam@outside.example", [NURSE],
                                message("spam@outside.example", NURSE))
    assert said(err.value.smtp_code, err.value.smtp_error) == \
        codes.UNTRUSTED_SENDER.format(domain="outside.example")
    assert await count(services, NURSE) == 0


async def test_null_sender_needs_a_trusted_from(services: MailServices,
                                                ports: dict[str, int]) -> None:
    with pytest.raises(smtplib.SMTPDataError) as err:
        await asyncio.to_thread(deliver, services, ports["mx"], "", [NURSE],
                                message("mailer-daemon@outside.example", NURSE))
    assert said(err.value.smtp_code, err.value.smtp_error) == \
        codes.UNTRUSTED_SENDER.format(domain="outside.example")
    await asyncio.to_thread(deliver, services, ports["mx"], "", [NURSE],
                            message("mailer-daemon@hopital.test", NURSE))
    assert await count(services, NURSE) == 1


async def test_unknown_recipient_and_relaying(services: MailServices,
                                              ports: dict[str, int]) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as err:
        await asyncio.to_thread(deliver, services, ports["mx"], "a@hopital.test",
                                ["nobody@hopital.test", "x@outside.example",
                                 "y@patient.test"], message("a@hopital.test", "x"))
    got = err.value.recipients
    assert said(*got["nobody@hopital.test"]) == \
        codes.UNKNOWN_USER.format(address="nobody@hopital.test")
    assert said(*got["x@outside.example"]) == \
        codes.RELAY_DENIED.format(domain="outside.example")
    assert said(*got["y@patient.test"]) == codes.UNKNOWN_USER.format(address="y@patient.test")


async def test_mx_offers_starttls_but_no_auth(services: MailServices,
                                              ports: dict[str, int]) -> None:
    def run() -> tuple[dict[str, str], dict[str, str]]:
        with smtplib.SMTP("127.0.0.1", ports["mx"], timeout=10) as c:
            c.ehlo("x")
            before = dict(c.esmtp_features)
            c.starttls(context=tls_client(services.settings))
            c.ehlo("x")
            return before, dict(c.esmtp_features)
    before, after = await asyncio.to_thread(run)
    assert "starttls" in before and "auth" not in before
    assert "starttls" not in after and "auth" not in after
