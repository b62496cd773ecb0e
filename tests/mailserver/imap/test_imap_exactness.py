"""Regressions found by an independent IMAP compliance run (issue 16): UIDVALIDITY of a
re-created name, MOVE into the selected mailbox."""

from __future__ import annotations

import re

import pytest

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


@pytest.mark.parametrize("name", ["&Jjo", "\"!#$&'+,-.0123456789:;<=>?@^_`|[}\"", "&,,,-",
                                  "\"Essai \xfc\""])
async def test_names_that_are_not_modified_utf7_name_nothing(doctor: Wire, name: str) -> None:
    """Item 1: valid IMAP syntax that is not canonical modified UTF-7 (or raw 8-bit, as
    UTF8=ACCEPT is not offered) is a name of no mailbox: NO or an empty LIST, never BAD."""
    await exchange(doctor, f"a SELECT {name}", "a NO [NONEXISTENT] No such mailbox")
    await exchange(doctor, f"b EXAMINE {name}", "b NO [NONEXISTENT] No such mailbox")
    await exchange(doctor, f"c STATUS {name} (MESSAGES)", "c NO [NONEXISTENT] No such mailbox")
    await exchange(doctor, f'd LIST "" {name}', "d OK LIST completed")
    out = await doctor.cmd(f"CREATE {name}")
    assert out.split(b" ")[1] == b"NO", out
    await exchange(doctor, 'e LIST "" *', r"""
* LIST (\HasNoChildren) "/" INBOX
* LIST (\HasNoChildren \Archive) "/" Archive
* LIST (\HasNoChildren \Drafts) "/" Drafts
* LIST (\HasNoChildren \Junk) "/" Junk
* LIST (\HasNoChildren \Sent) "/" Sent
* LIST (\HasNoChildren \Trash) "/" Trash
e OK LIST completed
""")
