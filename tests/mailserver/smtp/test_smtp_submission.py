"""Submission over real sockets: implicit TLS, STARTTLS, AUTH, certificates, recipients."""

from __future__ import annotations

import asyncio
import smtplib

import aiosmtplib
import pytest

from crypto import issue_client_certificate, load_certificate, load_private_key, write_pem
from mailserver.services import MailServices
from mailserver.smtp import codes
from mailserver.trust import TrustEntry, TrustList
from tests.conftest import APP, DOCTOR, NURSE, PASSWORD, WARD
from tests.mailserver.smtp.smtp_helpers import (
    RawClient,
    count,
    mailbox,
    message,
    said,
    submit,
    tls_client,
)


async def test_implicit_tls_submission_stores_for_recipient_and_sender(
        services: MailServices, ports: dict[str, int]) -> None:
    ctx = tls_client(services.settings)
    msg = message(DOCTOR, NURSE, "Compte rendu", "Le patient va bien.")
    refused = await asyncio.to_thread(submit, ports["tls"], ctx, DOCTOR, DOCTOR, [NURSE], msg)
    assert refused == {}
    [got] = await mailbox(services, NURSE)
    assert got.endswith(msg)
    # RFC 5321 §4.4: final delivery puts the envelope sender on top (issue 16 item 8)
    return_path, received = got.split(b"\r\n", 1)
    assert return_path == f"Return-Path: <{DOCTOR}>".encode()
    assert received.startswith(b"Received: from client.test ([127.0.0.1])")
    assert b"(authenticated)" in got and b"TLSv1." in got and PASSWORD.encode() not in got
    stamp = received.split(b";", 1)[1].split(b"\r\n\r\n")[0].split(b"\r\n")[1]
    assert stamp.rstrip().endswith(b"+0000"), stamp   # a real offset, not "-0000"
    [sent] = await mailbox(services, DOCTOR, "Sent")
    assert sent.endswith(msg) and b"Return-Path" not in sent   # Sent is not delivered mail


async def test_starttls_submission_with_aiosmtplib(services: MailServices,
                                                   ports: dict[str, int]) -> None:
    ctx = tls_client(services.settings)
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=ports["starttls"], tls_context=ctx,
                             start_tls=True)
    async with client:
        await client.ehlo()
        assert "starttls" not in client.esmtp_extensions
        for ext in ("size", "8bitmime", "smtputf8", "pipelining", "enhancedstatuscodes"):
            assert ext in client.esmtp_extensions, ext
        assert client.server_auth_methods == ["login", "plain"]
        await client.login(DOCTOR, PASSWORD)
        errors, reply = await client.sendmail(DOCTOR, [NURSE, WARD],
                                              message(DOCTOR, [NURSE, WARD]))
        assert errors == {} and reply.startswith("2.0.0 OK")
    assert await count(services, NURSE) == 1
    assert await count(services, WARD) == 1
    assert await count(services, DOCTOR, "Sent") == 1


async def test_starttls_port_requires_tls_before_mail(services: MailServices,
                                                      ports: dict[str, int]) -> None:
    def run() -> tuple[bytes, bytes, bytes]:
        c = RawClient(ports["starttls"])
        ehlo = c.cmd("EHLO client.test")
        mail = c.cmd(f"MAIL FROM:<{DOCTOR}>")
        auth = c.cmd("AUTH PLAIN AGpAZXhhbXBsZQBwYXNz")
        c.close()
        return ehlo, mail, auth
    ehlo, mail, auth = await asyncio.to_thread(run)
    assert b"STARTTLS" in ehlo and b"AUTH" not in ehlo
    assert mail == codes.STARTTLS_REQUIRED.encode()
    assert auth == codes.ENCRYPTION_REQUIRED.encode()


async def test_auth_before_tls_refused_on_mx_port_too(services: MailServices,
                                                      ports: dict[str, int]) -> None:
    def run() -> bytes:
        c = RawClient(ports["mx"])
        c.cmd("EHLO client.test")
        r = c.cmd("AUTH LOGIN")
        c.close()
        return r
    assert (await asyncio.to_thread(run)) == codes.AUTH_UNAVAILABLE.encode()


async def test_wrong_password_refused_without_saying_why(services: MailServices,
                                                         ports: dict[str, int]) -> None:
    ctx = tls_client(services.settings)
    for user in (DOCTOR, "nobody@hopital.test"):
        with pytest.raises(smtplib.SMTPAuthenticationError) as err:
            await asyncio.to_thread(submit, ports["tls"], ctx, user, user, [NURSE],
                                    message(user, NURSE), password="wrong")
        assert said(err.value.smtp_code, err.value.smtp_error) == codes.AUTH_FAILED


async def test_login_throttled_after_repeated_failures(services: MailServices,
                                                       ports: dict[str, int]) -> None:
    limit = services.settings.auth.max_failures_per_client_account
    ctx = tls_client(services.settings)
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=ports["tls"], tls_context=ctx,
                             use_tls=True)
    got = []
    for _ in range(limit + 1):
        async with client:
            await client.ehlo()
            try:
                await client.auth_plain(NURSE, "wrong")
            except aiosmtplib.SMTPAuthenticationError as exc:
                got.append(exc.code)
    assert got[:limit - 1] == [codes.code_of(codes.AUTH_FAILED)] * (limit - 1)
    assert got[-1] == codes.code_of(codes.AUTH_THROTTLED)
    # Throttled: even the right password is refused for now.
    async with client:
        await client.ehlo()
        with pytest.raises(aiosmtplib.SMTPAuthenticationError) as err:
            await client.auth_plain(NURSE, PASSWORD)
        assert said(err.value.code, err.value.message) == codes.AUTH_THROTTLED


async def test_three_failures_close_the_session(services: MailServices,
                                                ports: dict[str, int]) -> None:
    def run() -> list[bytes]:
        c = RawClient(ports["tls"], tls_client(services.settings))
        c.cmd("EHLO client.test")
        out = [c.cmd("AUTH PLAIN AG5vYm9keUBob3BpdGFsLnRlc3QAeA==") for _ in range(3)]
        out.append(c.pending(1.0))
        c.close()
        return out
    replies = await asyncio.to_thread(run)
    assert replies[:3] == [codes.AUTH_FAILED.encode()] * 3
    assert replies[3].startswith(codes.TOO_MANY_AUTH_FAILURES.encode())


def _app_certificate(services: MailServices, tmp: object) -> tuple[str, str]:
    from pathlib import Path

    data = services.settings.base_dir
    ca_cert = load_certificate(data / "certs" / "ca.pem")
    ca_key = load_private_key(data / "keys" / "ca.key")
    cert, key = issue_client_certificate(ca_cert, ca_key, APP)
    base = Path(str(tmp))
    write_pem(base / "app.pem", cert, base / "app.key", key)
    return str(base / "app.pem"), str(base / "app.key")


async def test_certificate_login_for_application(services: MailServices, ports: dict[str, int],
                                                 tmp_path: object) -> None:
    cert, key = _app_certificate(services, tmp_path)
    ctx = tls_client(services.settings, cert, key)
    msg = message(APP, NURSE, "Rappel de rendez-vous", "Demain 9h.")
    # No AUTH at all: the certificate identifies the application's mailbox.
    assert await asyncio.to_thread(submit, ports["tls"], ctx, None, APP, [NURSE], msg) == {}
    # AUTH EXTERNAL over STARTTLS works too.
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=ports["starttls"], tls_context=ctx,
                             start_tls=True)
    async with client:
        await client.ehlo()
        assert "external" in client.server_auth_methods
        reply = await client.execute_command(b"AUTH", b"EXTERNAL", b"=")
        assert reply.code == 235
        _, reply2 = await client.sendmail(APP, [NURSE], msg)
    got = await mailbox(services, NURSE)
    assert len(got) == 2 and all(g.endswith(msg) for g in got)


async def test_certificate_does_not_let_app_send_as_someone_else(
        services: MailServices, ports: dict[str, int], tmp_path: object) -> None:
    cert, key = _app_certificate(services, tmp_path)
    ctx = tls_client(services.settings, cert, key)
    with pytest.raises(smtplib.SMTPSenderRefused) as err:
        await asyncio.to_thread(submit, ports["tls"], ctx, None, DOCTOR, [NURSE],
                                message(DOCTOR, NURSE))
    assert said(err.value.smtp_code, err.value.smtp_error) == \
        codes.NOT_YOUR_SENDER.format(address=APP)


async def test_mail_without_login_refused(services: MailServices,
                                          ports: dict[str, int]) -> None:
    ctx = tls_client(services.settings)
    with pytest.raises(smtplib.SMTPSenderRefused) as err:
        await asyncio.to_thread(submit, ports["tls"], ctx, None, DOCTOR, [NURSE],
                                message(DOCTOR, NURSE))
    assert said(err.value.smtp_code, err.value.smtp_error) == codes.AUTH_REQUIRED


async def test_sender_and_from_must_be_the_account(services: MailServices,
                                                   ports: dict[str, int]) -> None:
    ctx = tls_client(services.settings)
    with pytest.raises(smtplib.SMTPSenderRefused) as err:
        await asyncio.to_thread(submit, ports["tls"], ctx, DOCTOR, NURSE, [WARD],
                                message(NURSE, WARD))
    assert said(err.value.smtp_code, err.value.smtp_error) == \
        codes.NOT_YOUR_SENDER.format(address=DOCTOR)
    with pytest.raises(smtplib.SMTPDataError) as err2:
        await asyncio.to_thread(submit, ports["tls"], ctx, DOCTOR, DOCTOR, [WARD],
                                message(NURSE, WARD))
    assert said(err2.value.smtp_code, err2.value.smtp_error) == \
        codes.NOT_YOUR_FROM.format(address=DOCTOR)
    assert await count(services, WARD) == 0


@pytest.mark.parametrize("sender", [NURSE, f'"Dr Jean MARTIN" <{NURSE}>', "nobody"])
async def test_sender_header_naming_someone_else_refused(
        services: MailServices, ports: dict[str, int], sender: str) -> None:
    """Issue 16 item 9: a Sender: field that is not the authenticated account is refused."""
    ctx = tls_client(services.settings)
    msg = message(DOCTOR, WARD, headers={"Sender": sender})
    with pytest.raises(smtplib.SMTPDataError) as err:
        await asyncio.to_thread(submit, ports["tls"], ctx, DOCTOR, DOCTOR, [WARD], msg)
    expected = codes.NOT_YOUR_SENDER_HEADER.format(address=DOCTOR)
    assert f"{err.value.smtp_code} {err.value.smtp_error.decode()}" == expected
    assert await count(services, WARD) == 0
    own = message(DOCTOR, WARD, headers={"Sender": DOCTOR})
    assert await asyncio.to_thread(submit, ports["tls"], ctx, DOCTOR, DOCTOR, [WARD], own) == {}
    assert await count(services, WARD) == 1


async def test_recipients_local_unknown_disabled_trusted_remote_and_outside(
        services: MailServices, ports: dict[str, int]) -> None:
    services.trust.replace(TrustList(entries=[*services.trust.current.entries,
                                              TrustEntry("autre-hopital.test", "CN=x")]))
    await services.accounts.set_state(WARD, "suspended")
    ctx = tls_client(services.settings)
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=ports["tls"], tls_context=ctx,
                             use_tls=True)
    async with client:
        await client.login(DOCTOR, PASSWORD)
        await client.mail(DOCTOR)
        replies = {}
        for rcpt in (NURSE, "personne@hopital.test", WARD, "dr.x@autre-hopital.test",
                     "someone@outside.example"):
            try:
                r = await client.rcpt(rcpt)
                replies[rcpt] = (r.code, r.message)
            except aiosmtplib.SMTPRecipientRefused as exc:
                replies[rcpt] = (exc.code, exc.message)
        r = await client.data(message(DOCTOR, [NURSE, "dr.x@autre-hopital.test"]))
        assert r.code == 250
    assert said(*replies[NURSE]) == codes.RCPT_OK
    assert said(*replies["personne@hopital.test"]) == \
        codes.UNKNOWN_USER.format(address="personne@hopital.test")
    assert said(*replies[WARD]) == codes.MAILBOX_DISABLED.format(address=WARD)
    assert said(*replies["dr.x@autre-hopital.test"]) == codes.RCPT_OK
    assert said(*replies["someone@outside.example"]) == \
        codes.UNTRUSTED_RECIPIENT.format(domain="outside.example")
    assert await count(services, NURSE) == 1
    from mailserver.store.store import list_queue
    [entry] = await list_queue(services.store)
    assert [r["address"] for r in entry.recipients] == ["dr.x@autre-hopital.test"]


async def test_directory_check_refuses_unknown_remote_professional(
        services: MailServices, ports: dict[str, int]) -> None:
    services.trust.replace(TrustList(entries=[*services.trust.current.entries,
                                              TrustEntry("autre-hopital.test", "CN=x")]))

    async def known(address: str) -> bool:
        return address == "known@autre-hopital.test"

    services.directory_check = known
    ctx = tls_client(services.settings)
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=ports["tls"], tls_context=ctx,
                             use_tls=True)
    async with client:
        await client.login(DOCTOR, PASSWORD)
        await client.mail(DOCTOR)
        assert (await client.rcpt("known@autre-hopital.test")).code == 250
        with pytest.raises(aiosmtplib.SMTPRecipientRefused) as err:
            await client.rcpt("unknown@autre-hopital.test")
        assert said(err.value.code, err.value.message) == \
            codes.UNKNOWN_PROFESSIONAL.format(address="unknown@autre-hopital.test")


async def test_too_many_recipients(services: MailServices, ports: dict[str, int]) -> None:
    object.__setattr__(services.settings.limits, "max_recipients", 2)
    ctx = tls_client(services.settings)
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=ports["tls"], tls_context=ctx,
                             use_tls=True)
    async with client:
        await client.login(DOCTOR, PASSWORD)
        await client.mail(DOCTOR)
        await client.rcpt(NURSE)
        await client.rcpt(WARD)
        with pytest.raises(aiosmtplib.SMTPRecipientRefused) as err:
            await client.rcpt(DOCTOR)
        assert said(err.value.code, err.value.message) == codes.TOO_MANY_RECIPIENTS


async def test_every_reply_has_an_enhanced_status_code(services: MailServices,
                                                       ports: dict[str, int]) -> None:
    def run() -> list[bytes]:
        c = RawClient(ports["tls"], tls_client(services.settings))
        out = [c.cmd(x) for x in ("NOOP", "MAIL FROM:<a@b>", "EHLO x")]
        out += [c.cmd(x) for x in ("BOGUS", "RCPT TO:<x@y>", "DATA", "RSET", "VRFY x",
                                   "MAIL FROM:<" + "a" * 2000 + "@x>", "QUIT")]
        c.close()
        return out
    replies = await asyncio.to_thread(run)
    for r in replies[:2] + replies[3:]:
        assert r[3:4] == b" " and r[4:5] in b"245" and r[5:6] == b".", r
