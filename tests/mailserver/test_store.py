"""The store on both databases: accounts, folders, delivery, flags, expunge, isolation."""

from __future__ import annotations

import pytest

from crypto import SealError, WrongSecret, seal
from mailserver.services import MailServices
from mailserver.store import AlreadyExists, MessageAdded, MessagesExpunged, NotFound, copy_aad
from mailserver.store.events import event_from_dict, event_to_dict
from mailserver.store.models import Message, new_id
from tests.conftest import DOCTOR, NURSE, PASSWORD, PATIENT

RAW = (b"From: Dr Jean MARTIN <jean.martin@hopital.test>\r\n"
       b"To: claire.durand@hopital.test\r\n"
       b"Subject: Compte rendu\r\n"
       b"Message-ID: <m1@hopital.test>\r\n\r\n"
       b"Le patient va bien.\r\n")


async def _inbox(services: MailServices, address: str):  # type: ignore[no-untyped-def]
    acc = await services.store.get_account(address)
    assert acc
    folder = await services.store.get_folder(acc.id, "inbox")
    assert folder
    return acc, folder


async def test_account_has_special_folders(services: MailServices, accounts: dict) -> None:
    acc = await services.store.get_account(DOCTOR)
    assert acc and acc.kind == "PER" and acc.national_id == "10001045367"
    names = {f.name: f.special_use for f in await services.store.list_folders(acc.id)}
    assert names == {"INBOX": None, "Sent": "\\Sent", "Drafts": "\\Drafts",
                     "Trash": "\\Trash", "Archive": "\\Archive", "Junk": "\\Junk"}
    with pytest.raises(AlreadyExists):
        await services.accounts.add(DOCTOR, "per", "x")


async def test_deliver_read_flag_expunge(services: MailServices, accounts: dict) -> None:
    doctor = await services.store.get_account(DOCTOR)
    nurse, inbox = await _inbox(services, NURSE)
    await services.delivery.deliver(RAW, mail_from=DOCTOR, recipients=[nurse], sender=doctor)
    msgs = await services.store.list_messages(inbox.id)
    assert [m.uid for m in msgs] == [1]
    key = await services.accounts.unlock_with_password(nurse, PASSWORD)
    blob = await services.store.get_sealed(nurse.id, msgs[0].id)
    assert key.open(blob, copy_aad(nurse.id, msgs[0].id)) == RAW
    # The sender's Sent copy is sealed for the sender, already seen.
    sent = await services.store.get_folder(doctor.id, "Sent")
    smsgs = await services.store.list_messages(sent.id)
    assert len(smsgs) == 1 and "\\Seen" in smsgs[0].flags
    # Flags and CONDSTORE mod-sequences.
    changed, refused = await services.store.store_flags(nurse.id, inbox.id, [1], "add",
                                                        ["\\Seen", "\\Deleted"])
    assert changed[0].modseq > msgs[0].modseq and not refused
    _, refused = await services.store.store_flags(nurse.id, inbox.id, [1], "remove",
                                                  ["\\Seen"], unchangedsince=1)
    assert refused == [1]
    counts = await services.store.folder_counts(inbox.id)
    assert counts.messages == 1 and counts.unseen == 0 and counts.uidnext == 2
    assert await services.store.expunge(nurse.id, inbox.id) == [1]
    assert await services.store.list_messages(inbox.id) == []


async def test_thread_follows_replies(services: MailServices, accounts: dict) -> None:
    nurse, inbox = await _inbox(services, NURSE)
    await services.delivery.deliver(RAW, mail_from=DOCTOR, recipients=[nurse])
    reply = RAW.replace(b"<m1@hopital.test>", b"<m2@hopital.test>\r\nIn-Reply-To: "
                        b"<m1@hopital.test>")
    other = RAW.replace(b"<m1@hopital.test>", b"<m3@hopital.test>")
    await services.delivery.deliver(reply, mail_from=DOCTOR, recipients=[nurse])
    await services.delivery.deliver(other, mail_from=DOCTOR, recipients=[nurse])
    t = [m.thread_id for m in await services.store.list_messages(inbox.id)]
    assert t[0] == t[1] and t[2] != t[0]


async def test_row_swap_fails_to_open(services: MailServices, accounts: dict) -> None:
    nurse, inbox = await _inbox(services, NURSE)
    doctor, dinbox = await _inbox(services, DOCTOR)
    await services.delivery.deliver(RAW, mail_from=DOCTOR, recipients=[nurse, doctor])
    n = (await services.store.list_messages(inbox.id))[0]
    d = (await services.store.list_messages(dinbox.id))[0]
    key = await services.accounts.unlock_with_password(nurse, PASSWORD)
    # Someone copies the doctor's blob into the nurse's row: it must not open.
    async with services.store.write() as s:
        row = await s.get(Message, n.id)
        row.sealed = await services.store.get_sealed(doctor.id, d.id)
    with pytest.raises(SealError):
        key.open(await services.store.get_sealed(nurse.id, n.id), copy_aad(nurse.id, n.id))
    # And a row of another account is never handed out.
    with pytest.raises(NotFound):
        await services.store.get_sealed(nurse.id, d.id)


async def test_password_change_and_recovery(services: MailServices, accounts: dict) -> None:
    nurse = await services.store.get_account(NURSE)
    await services.accounts.change_password(NURSE, PASSWORD, "new secret")
    with pytest.raises(WrongSecret):
        await services.accounts.unlock_with_password(nurse, PASSWORD)
    await services.accounts.unlock_with_password(nurse, "new secret")
    await services.accounts.recover(NURSE, accounts[NURSE].lower(), "third secret")
    key = await services.accounts.unlock_with_password(nurse, "third secret")
    assert key.public_bytes == nurse.public_key


async def test_folder_create_rename_delete(services: MailServices, accounts: dict) -> None:
    nurse, inbox = await _inbox(services, NURSE)
    await services.delivery.deliver(RAW, mail_from=DOCTOR, recipients=[nurse])
    f = await services.store.create_folder(nurse.id, "Projets")
    await services.store.create_folder(nurse.id, "Projets/2026")
    await services.store.rename_folder(nurse.id, "Projets", "Archives projets")
    names = {x.name for x in await services.store.list_folders(nurse.id)}
    assert {"Archives projets", "Archives projets/2026"} <= names
    renamed = await services.store.get_folder(nurse.id, "Archives projets")
    assert renamed.uidvalidity == f.uidvalidity
    # Renaming INBOX moves its messages and leaves an empty INBOX.
    await services.store.rename_folder(nurse.id, "INBOX", "Old")
    assert await services.store.list_messages(inbox.id) == []
    old = await services.store.get_folder(nurse.id, "Old")
    assert len(await services.store.list_messages(old.id)) == 1
    await services.store.delete_folder(nurse.id, "Old")
    assert await services.store.get_folder(nurse.id, "Old") is None


async def test_move_keeps_seal_valid(services: MailServices, accounts: dict) -> None:
    nurse, inbox = await _inbox(services, NURSE)
    await services.delivery.deliver(RAW, mail_from=DOCTOR, recipients=[nurse])
    trash = await services.store.get_folder(nurse.id, "Trash")
    pairs = await services.store.move(nurse.id, inbox.id, [1], trash.id)
    assert pairs == [(1, 1)]
    m = (await services.store.list_messages(trash.id))[0]
    key = await services.accounts.unlock_with_password(nurse, PASSWORD)
    assert key.open(await services.store.get_sealed(nurse.id, m.id),
                    copy_aad(nurse.id, m.id)) == RAW


async def test_concurrent_deliveries_get_distinct_uids(services: MailServices,
                                                       accounts: dict) -> None:
    import asyncio

    nurse, inbox = await _inbox(services, NURSE)
    await asyncio.gather(*(services.delivery.deliver(RAW, mail_from=DOCTOR, recipients=[nurse])
                           for _ in range(40)))
    uids = [m.uid for m in await services.store.list_messages(inbox.id)]
    assert uids == list(range(1, 41))


async def test_patient_account_rules(services: MailServices, accounts: dict) -> None:
    p = await services.store.get_account(PATIENT)
    assert p.kind == "PATIENT" and p.national_id == "279035121518989"
    from mailserver.accounts import AccountError

    with pytest.raises(AccountError):
        await services.accounts.add("12345@patient.test", "patient", "pw")
    with pytest.raises(AccountError):
        await services.accounts.add("x@patient.test", "per", "pw")


async def test_remote_only_delivery_is_queued(services: MailServices, accounts: dict) -> None:
    """A message with no local copy at all (e.g. a DSN to another operator) still commits."""
    from mailserver.delivery import RemoteRecipient
    from mailserver.store.store import list_queue

    await services.delivery.deliver(RAW, mail_from="", recipients=[],
                                    remote=[RemoteRecipient("x@autre.test")])
    (entry,) = await list_queue(services.store)
    assert entry.recipients[0]["address"] == "x@autre.test" and entry.sender == ""


async def test_get_sealed_many_only_returns_own_rows(services: MailServices,
                                                     accounts: dict) -> None:
    nurse, inbox = await _inbox(services, NURSE)
    doctor, dinbox = await _inbox(services, DOCTOR)
    await services.delivery.deliver(RAW, mail_from=DOCTOR, recipients=[nurse, doctor])
    n = (await services.store.list_messages(inbox.id))[0]
    d = (await services.store.list_messages(dinbox.id))[0]
    got = await services.store.get_sealed_many(nurse.id, [n.id, d.id, "missing"])
    assert list(got) == [n.id]
    assert got[n.id] == await services.store.get_sealed(nurse.id, n.id)


async def test_list_messages_since_uid(services: MailServices, accounts: dict) -> None:
    nurse, inbox = await _inbox(services, NURSE)
    for _ in range(3):
        await services.delivery.deliver(RAW, mail_from=DOCTOR, recipients=[nurse])
    assert [m.uid for m in await services.store.list_messages(inbox.id, since_uid=1)] == [2, 3]


async def test_expunge_events_name_the_destroyed_copies(services: MailServices,
                                                        accounts: dict) -> None:
    nurse, inbox = await _inbox(services, NURSE)
    for _ in range(3):
        await services.delivery.deliver(RAW, mail_from=DOCTOR, recipients=[nurse])
    trash = await services.store.get_folder(nurse.id, "Trash")
    ids = {m.uid: m.id for m in await services.store.list_messages(inbox.id)}
    sub = services.store.bus.subscribe(nurse.id)
    try:
        await services.store.store_flags(nurse.id, inbox.id, [1, 3], "add", ["\\Deleted"])
        await services.store.move(nurse.id, inbox.id, [2], trash.id)
        assert await services.store.expunge(nurse.id, inbox.id) == [1, 3]
        events = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
        gone = [e for e in events if isinstance(e, MessagesExpunged)]
        assert [(e.uids, e.copy_ids) for e in gone] == [
            ((2,), ()),  # moved: the copy still exists
            ((1, 3), (ids[1], ids[3]))]
        assert event_from_dict(event_to_dict(gone[1])) == gone[1]
        # deleting a folder destroys its copies too
        await services.store.delete_folder(nurse.id, "Trash")
        gone = [e for e in (sub.queue.get_nowait() for _ in range(sub.queue.qsize()))
                if isinstance(e, MessagesExpunged)]
        assert [(e.folder_id, e.uids, e.copy_ids) for e in gone] == [
            (trash.id, (1,), (ids[2],))]
    finally:
        sub.close()


async def test_copy_adds_new_copies_in_one_transaction(services: MailServices,
                                                       accounts: dict) -> None:
    nurse, inbox = await _inbox(services, NURSE)
    for _ in range(2):
        await services.delivery.deliver(RAW, mail_from=DOCTOR, recipients=[nurse])
    await services.store.store_flags(nurse.id, inbox.id, [2], "add", ["\\Flagged"])
    trash = await services.store.get_folder(nurse.id, "Trash")
    metas = await services.store.list_messages(inbox.id)
    key = await services.accounts.unlock_with_password(nurse, PASSWORD)
    items = []
    for m in metas:
        raw = key.open(await services.store.get_sealed(nurse.id, m.id), copy_aad(nurse.id, m.id))
        copy_id = new_id()
        items.append((m, copy_id, seal(nurse.public_key, raw, copy_aad(nurse.id, copy_id))))
    sub = services.store.bus.subscribe(nurse.id)
    try:
        assert await services.store.copy(nurse.id, trash.id, items) == [(1, 1), (2, 2)]
        events = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
    finally:
        sub.close()
    copies = await services.store.list_messages(trash.id)
    assert [e.uid for e in events if isinstance(e, MessageAdded)] == [1, 2]
    assert [(c.id, c.flags, c.size, c.internal_date, c.thread_id) for c in copies] == [
        (copy_id, m.flags, m.size, m.internal_date, m.thread_id) for m, copy_id, _ in items]
    assert key.open(await services.store.get_sealed(nurse.id, copies[1].id),
                    copy_aad(nurse.id, copies[1].id)) == RAW
    assert len(await services.store.list_messages(inbox.id)) == 2  # sources stay
    with pytest.raises(NotFound):  # another account's folder
        doctor, dinbox = await _inbox(services, DOCTOR)
        await services.store.copy(nurse.id, dinbox.id, [(metas[0], new_id(), b"x")])


async def test_message_counts_match_folder_counts(services: MailServices,
                                                  accounts: dict) -> None:
    nurse, inbox = await _inbox(services, NURSE)
    for _ in range(3):
        await services.delivery.deliver(RAW, mail_from=DOCTOR, recipients=[nurse])
    await services.store.store_flags(nurse.id, inbox.id, [2], "add", ["\\Seen"])
    await services.store.clear_recent(inbox.id)
    await services.delivery.deliver(RAW, mail_from=DOCTOR, recipients=[nurse])
    folders = await services.store.list_folders(nurse.id)
    counts = await services.store.message_counts(nurse.id)
    assert counts == {f.id: await services.store.folder_counts(f.id) for f in folders}
    assert counts[inbox.id].messages == 4 and counts[inbox.id].unseen == 3
    assert counts[inbox.id].recent == 1
