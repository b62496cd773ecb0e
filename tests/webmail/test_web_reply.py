"""Answering from the webmail goes through the submission policy and the delivery service:
the patient answers the professional who wrote, a closed message refuses even a forged
POST, nothing is queued when a recipient is refused, Sent holds one copy."""

from __future__ import annotations

import pytest

from mailserver.auth import Login
from mailserver.services import MailServices
from tests.conftest import DOCTOR, NURSE, PASSWORD, PATIENT, WARD
from tests.webmail.test_web_mail import conversation_ids, logged_in
from tests.webmail.web_client import csrf_token


def message(sender: str, to: str, subject: str, extra: str = "", cc: str = "") -> bytes:
    cc_line = f"Cc: {cc}\r\n" if cc else ""
    return (f'From: "Dr Jean MARTIN" <{sender}>\r\nTo: {to}\r\n{cc_line}Subject: {subject}\r\n'
            f"Message-ID: <{abs(hash(subject))}@hopital.test>\r\n{extra}\r\n"
            "Bonjour, merci de me répondre.\r\n").encode()


async def deliver(services: MailServices, raw: bytes, *to: str) -> None:
    doctor = await services.store.get_account(DOCTOR)
    rcpts = [await services.store.get_account(a) for a in to]
    await services.delivery.deliver(raw, mail_from=DOCTOR, sender=doctor,
                                    recipients=[r for r in rcpts if r is not None])


async def folder(services: MailServices, who: str, name: str) -> list[bytes]:
    login = await services.auth.login_with_password(who, PASSWORD, "127.0.0.1", "imap")
    assert isinstance(login, Login)
    mailbox = services.open_mailbox(login)
    info = await mailbox.get_folder(name)
    assert info is not None
    metas = await mailbox.list_messages(info)
    return list((await mailbox.read_messages([m.id for m in metas])).values())


async def test_patient_answers_the_professional(services: MailServices,
                                                accounts: dict) -> None:
    await deliver(services, message(DOCTOR, PATIENT, "Rendez-vous"), PATIENT)
    async with logged_in(services, PATIENT) as c:
        [copy_id] = conversation_ids((await c.get("/")).text)
        page = await c.get(f"/conversation/{copy_id}")
        assert "Répondre à Dr Jean MARTIN" in page.text
        r = await c.post(f"/conversation/{copy_id}/reply", data={
            "text": "Merci, je serai là.", "csrf_token": csrf_token(page.text)})
        assert r.status_code == 303 and r.headers["location"].endswith("?sent=1")
        done = await c.get(r.headers["location"])
        assert "Message envoyé." in done.text
    [got] = await folder(services, DOCTOR, "INBOX")
    assert got.startswith(f"Return-Path: <{PATIENT}>".encode())
    assert b"Merci, je serai l" in got and b"In-Reply-To: <" in got
    assert b"Subject: Re: Rendez-vous" in got
    sent = await folder(services, PATIENT, "Sent")
    assert len(sent) == 1 and b"Return-Path" not in sent[0]


async def test_closed_message_refuses_even_a_forged_post(services: MailServices,
                                                         accounts: dict) -> None:
    await deliver(services, message(DOCTOR, PATIENT, "Résultat", "X-MSS-MES: FIN\r\n"),
                  PATIENT)
    async with logged_in(services, PATIENT) as c:
        [copy_id] = conversation_ids((await c.get("/")).text)
        page = await c.get(f"/conversation/{copy_id}")
        assert "Répondre à" not in page.text and 'name="text"' not in page.text
        r = await c.post(f"/conversation/{copy_id}/reply", data={
            "text": "Je réponds quand même", "csrf_token": csrf_token(page.text)})
        assert r.status_code == 422
        assert "Rien n&#39;a été envoyé." in r.text or "Rien n'a été envoyé." in r.text
        assert "Le professionnel a mis fin à cet échange" in r.text
    assert await folder(services, DOCTOR, "INBOX") == []
    assert await folder(services, PATIENT, "Sent") == []


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_professional_answers_everyone_and_a_refusal_blocks_all(
        services: MailServices, accounts: dict) -> None:
    await deliver(services, message(DOCTOR, NURSE, "Staff", cc=WARD), NURSE, WARD)
    async with logged_in(services, NURSE) as c:
        [copy_id] = conversation_ids((await c.get("/")).text)
        token = csrf_token((await c.get(f"/conversation/{copy_id}")).text)
        await services.accounts.set_state(WARD, "suspended")
        r = await c.post(f"/conversation/{copy_id}/reply", data={
            "text": "Vu.", "to_all": "true", "csrf_token": token})
        assert r.status_code == 422 and "Cette boîte aux lettres est désactivée." in r.text
        assert await folder(services, DOCTOR, "INBOX") == []   # nothing sent to anyone
        await services.accounts.set_state(WARD, "active")
        r = await c.post(f"/conversation/{copy_id}/reply", data={
            "text": "Vu.", "to_all": "true", "csrf_token": token})
        assert r.status_code == 303
    assert len(await folder(services, DOCTOR, "INBOX")) == 1
    assert len(await folder(services, WARD, "INBOX")) == 2


async def test_reply_needs_the_token_and_an_own_message(services: MailServices,
                                                        accounts: dict) -> None:
    await deliver(services, message(DOCTOR, PATIENT, "Suivi"), PATIENT)
    async with logged_in(services, PATIENT) as c:
        [copy_id] = conversation_ids((await c.get("/")).text)
        r = await c.post(f"/conversation/{copy_id}/reply", data={"text": "x"})
        assert r.status_code == 403
    async with logged_in(services, NURSE) as c:
        token = csrf_token((await c.get("/")).text)
        r = await c.post(f"/conversation/{copy_id}/reply", data={"text": "x",
                                                                 "csrf_token": token})
        assert r.status_code == 404
    assert await folder(services, DOCTOR, "INBOX") == []
