"""The mailbox seam on the real store: one account's mail, threads, and nothing of another's."""

from __future__ import annotations

import pytest

from mailserver.auth import Login
from mailserver.services import MailServices
from mailserver.store import NotFound
from tests.conftest import DOCTOR, NURSE, PASSWORD

FIRST = (f"From: {NURSE}\r\nTo: {DOCTOR}\r\nSubject: Avis\r\n"
         "Message-ID: <t1@hopital.test>\r\n\r\nPremier message\r\n").encode()
REPLY = (f"From: {NURSE}\r\nTo: {DOCTOR}\r\nSubject: Re: Avis\r\n"
         "Message-ID: <t2@hopital.test>\r\nIn-Reply-To: <t1@hopital.test>\r\n"
         "References: <t1@hopital.test>\r\n\r\nSuite\r\n").encode()
OTHER = (f"From: {NURSE}\r\nTo: {DOCTOR}\r\nSubject: Autre\r\n"
         "Message-ID: <t3@hopital.test>\r\n\r\nSans rapport\r\n").encode()


async def _login(services: MailServices, address: str) -> Login:
    login = await services.auth.login_with_password(address, PASSWORD, "127.0.0.1", "imap")
    assert isinstance(login, Login)
    return login


async def _deliver(services: MailServices, raw: bytes, to: str) -> None:
    sender = await services.store.get_account(NURSE)
    rcpt = await services.store.get_account(to)
    assert rcpt is not None
    await services.delivery.deliver(raw, mail_from=NURSE, recipients=[rcpt], sender=sender)


async def test_thread_and_find_read_through_the_seam(services: MailServices,
                                                     accounts: dict[str, str]) -> None:
    for raw in (FIRST, REPLY, OTHER):
        await _deliver(services, raw, DOCTOR)
    mailbox = services.open_mailbox(await _login(services, DOCTOR))
    inbox = await mailbox.get_folder("INBOX")
    assert inbox is not None
    metas = await mailbox.list_messages(inbox)
    assert len(metas) == 3
    first, reply, other = metas
    assert first.thread_id is not None and first.thread_id == reply.thread_id
    assert other.thread_id != first.thread_id
    thread = await mailbox.thread(first.thread_id)
    assert [m.id for m in thread] == [first.id, reply.id]
    assert await mailbox.find(reply.id) == reply
    assert (await mailbox.read_messages([first.id]))[first.id] == FIRST
    assert await mailbox.read_message(other) == OTHER


async def test_another_accounts_ids_are_not_found(services: MailServices,
                                                  accounts: dict[str, str]) -> None:
    await _deliver(services, FIRST, NURSE)
    nurse = services.open_mailbox(await _login(services, NURSE))
    doctor = services.open_mailbox(await _login(services, DOCTOR))
    nurse_inbox = await nurse.get_folder("INBOX")
    assert nurse_inbox is not None
    secret = (await nurse.list_messages(nurse_inbox))[0]
    assert secret.thread_id is not None
    assert await doctor.find(secret.id) is None
    assert await doctor.thread(secret.thread_id) == []
    assert await doctor.read_messages([secret.id]) == {}
    with pytest.raises(NotFound):
        await doctor.read_message(secret)
    with pytest.raises(NotFound):
        await doctor.list_messages(nurse_inbox)
    own = await doctor.get_folder("INBOX")
    assert own is not None
    with pytest.raises(NotFound):
        await doctor.copy([secret], own)
    assert await nurse.read_message(secret) == FIRST  # untouched
