"""Regressions found by an independent IMAP compliance run (issue 16): UIDVALIDITY of a
re-created name, MOVE into the selected mailbox."""

from __future__ import annotations

import re

from mailserver.services import MailServices
from tests.conftest import DOCTOR
from tests.mailserver.imap.conftest import deliver
from tests.mailserver.imap.imap_wire import Wire, exchange

MSG = b"Subject: un\r\nFrom: a@hopital.test\r\n\r\ncorps\r\n"


def uidvalidity(response: bytes) -> int:
    found = re.search(rb"UIDVALIDITY (\d+)", response)
    assert found, response
    return int(found.group(1))


async def test_uidvalidity_changes_when_a_name_is_deleted_and_created_again(
        doctor: Wire) -> None:
    """RFC 3501 §2.3.1.1: UIDs restart at 1, so UIDVALIDITY must strictly change, even
    within the same second (item 6)."""
    seen = []
    for _ in range(3):
        await doctor.cmd("CREATE Essai")
        seen.append(uidvalidity(await doctor.cmd("STATUS Essai (UIDVALIDITY)")))
        await doctor.cmd("DELETE Essai")
    assert seen[0] < seen[1] < seen[2], seen


async def test_move_into_the_selected_mailbox(doctor: Wire, services: MailServices) -> None:
    """RFC 6851 §3.3 (item 3): new UIDs, COPYUID, EXPUNGE of the originals."""
    await deliver(services, MSG, DOCTOR)
    await deliver(services, MSG, DOCTOR)
    await doctor.cmd("SELECT INBOX")
    await exchange(doctor, "m UID MOVE 1 INBOX", """
* OK [COPYUID <v> 1 3] Moved
* 1 EXPUNGE
* 2 EXISTS
* 2 RECENT
m OK MOVE completed
""")
    await exchange(doctor, "f UID FETCH 1:* (UID)",
                   "* 1 FETCH (UID 2)\n* 2 FETCH (UID 3)\nf OK FETCH completed")
