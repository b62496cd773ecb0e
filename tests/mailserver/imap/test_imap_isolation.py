"""Cross-user isolation: no command sequence reaches another account's folders or mail."""

from __future__ import annotations

import pytest

from mailserver.mailbox import StoreMailbox
from mailserver.services import MailServices
from mailserver.store import NotFound
from tests.conftest import DOCTOR, NURSE, PASSWORD
from tests.mailserver.imap.conftest import Connect, account, deliver
from tests.mailserver.imap.imap_wire import Wire, exchange

SECRET = b"Subject: secret of the nurse\r\n\r\nconfidential NURSE-ONLY\r\n"


@pytest.fixture
async def nurse_has_mail(services: MailServices, connect: Connect) -> Wire:
    await deliver(services, SECRET, NURSE)
    nurse = await connect()
    await nurse.login(NURSE, PASSWORD)
    await nurse.cmd("CREATE Private")
    await nurse.cmd("CREATE Shared/Only-Nurse")
    return nurse


async def test_names_of_the_other_account_do_not_exist(nurse_has_mail: Wire,
                                                       doctor: Wire) -> None:
    await exchange(doctor, "a SELECT Private", "a NO [NONEXISTENT] No such mailbox")
    await exchange(doctor, "b EXAMINE Shared/Only-Nurse", "b NO [NONEXISTENT] No such mailbox")
    await exchange(doctor, "c STATUS Private (MESSAGES)", "c NO [NONEXISTENT] No such mailbox")
    await exchange(doctor, 'd LIST "" *Nurse*', "d OK LIST completed")
    await exchange(doctor, 'e LIST "" Priv*', "e OK LIST completed")
    await exchange(doctor, "f DELETE Private", "f NO [NONEXISTENT] No such mailbox")
    await exchange(doctor, "g RENAME Private Mine", "g NO [NONEXISTENT] No such mailbox")
    await exchange(doctor, "h SUBSCRIBE Private", "h NO [NONEXISTENT] No such mailbox")
    await exchange(doctor, b"i APPEND Private {3+}\r\nx\r\n\r\n",
                   "i NO [TRYCREATE] No such mailbox")
    await exchange(doctor, "j STATUS INBOX (MESSAGES)", """
* STATUS INBOX (MESSAGES 0)
j OK STATUS completed
""")


async def test_uid_guessing_and_copy_reach_nothing(nurse_has_mail: Wire, doctor: Wire,
                                                   services: MailServices) -> None:
    await exchange(doctor, "s SELECT INBOX", r"""
* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
* 0 EXISTS
* 0 RECENT
* OK [UIDVALIDITY <v>] UIDs valid
* OK [UIDNEXT 1] Predicted next UID
* OK [HIGHESTMODSEQ 1] Highest
s OK [READ-WRITE] SELECT completed
""")
    for cmd in ("UID FETCH 1:* (BODY[])", "UID FETCH 1 FLAGS", "UID STORE 1 +FLAGS (\\Seen)",
                "UID COPY 1:* Archive", "UID MOVE 1 Archive", "UID EXPUNGE 1:*",
                "UID SEARCH TEXT NURSE-ONLY", "SEARCH TEXT NURSE-ONLY"):
        out = await doctor.cmd(cmd)
        assert b"NURSE-ONLY" not in out and b"* 1 FETCH" not in out
        assert out.splitlines()[-1].split(b" ")[1] in (b"OK", b"BAD"), out
    await exchange(doctor, "t FETCH 1 BODY[]", "t BAD Invalid message sequence number")
    # the nurse's message is untouched and still unread
    await exchange(nurse_has_mail, "n EXAMINE INBOX", r"""
* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
* OK [PERMANENTFLAGS ()] Flags permitted
* 1 EXISTS
* 0 RECENT
* OK [UNSEEN 1] First unseen: 1
* OK [UIDVALIDITY <v>] UIDs valid
* OK [UIDNEXT 2] Predicted next UID
* OK [HIGHESTMODSEQ 2] Highest
n OK [READ-ONLY] EXAMINE completed
""")


async def test_backend_refuses_foreign_folders_and_messages(services: MailServices,
                                                            accounts: dict[str, str]) -> None:
    """Even a buggy session could not reach across: the adapter checks ownership."""
    await deliver(services, SECRET, NURSE)
    nurse = await account(services, NURSE)
    login = await services.auth.password_login(DOCTOR, PASSWORD, "127.0.0.1", "imap")
    assert login is not None
    backend = StoreMailbox(services.store, login.account, login.key)
    foreign = await services.store.get_folder(nurse.id, "INBOX")
    assert foreign is not None
    meta = (await services.store.list_messages(foreign.id))[0]
    for call in (backend.list_messages(foreign), backend.folder_counts(foreign),
                 backend.expunge(foreign), backend.clear_recent(foreign),
                 backend.read_message(meta)):
        with pytest.raises(NotFound):
            await call
    own = await backend.get_folder("INBOX")
    assert own is not None
    with pytest.raises(NotFound):
        await backend.copy([meta], own)
    with pytest.raises(NotFound):
        await backend.move(own, [meta.uid], foreign)


async def test_events_of_the_other_account_are_not_seen(nurse_has_mail: Wire, doctor: Wire,
                                                        services: MailServices) -> None:
    await doctor.cmd("SELECT INBOX")
    await exchange(doctor, "i IDLE", "+ idling")
    await deliver(services, SECRET, NURSE)
    await exchange(nurse_has_mail, "n NOOP", "n OK NOOP completed")
    await exchange(doctor, "DONE", "i OK IDLE terminated")
