"""Byte-exact transcripts: scripted client bytes -> expected server bytes, on the real
encrypted store (mail delivered by the delivery service, sealed per account).

Only UIDVALIDITY, internal dates and APPENDLIMIT are normalised (``imap_wire.normalise``).
"""

from __future__ import annotations

import pytest

from mailserver.services import MailServices
from tests.conftest import DOCTOR, PASSWORD
from tests.mailserver.imap.conftest import SQLITE_ONLY, Connect, deliver
from tests.mailserver.imap.imap_wire import Wire, exchange

M1 = (b"Date: Mon, 3 Mar 2025 10:15:00 +0100\r\n"
      b"From: Claire DURAND <claire.durand@hopital.test>\r\n"
      b"To: jean.martin@hopital.test\r\n"
      b"Subject: Rendez-vous\r\n"
      b"Message-ID: <m1@hopital.test>\r\n"
      b"\r\n"
      b"Bonjour, le patient est attendu mardi.\r\n")
M2 = (b"Date: Tue, 4 Mar 2025 08:00:00 +0100\r\n"
      b"From: cardiologie@hopital.test\r\n"
      b"To: jean.martin@hopital.test\r\n"
      b"Subject: =?utf-8?q?R=C3=A9sultats?=\r\n"
      b"Message-ID: <m2@hopital.test>\r\n"
      b"MIME-Version: 1.0\r\n"
      b"Content-Type: multipart/mixed; boundary=b1\r\n"
      b"\r\n"
      b"--b1\r\n"
      b"Content-Type: text/plain; charset=utf-8\r\n"
      b"Content-Transfer-Encoding: quoted-printable\r\n"
      b"\r\n"
      b"Troponine normale, =C3=A9lectrocardiogramme sans anomalie.\r\n"
      b"--b1\r\n"
      b"Content-Type: application/pdf; name=resultats.pdf\r\n"
      b"Content-Disposition: attachment; filename=resultats.pdf\r\n"
      b"Content-Transfer-Encoding: base64\r\n"
      b"\r\n"
      b"JVBERi0xLjQK\r\n"
      b"--b1--\r\n")


@pytest.fixture
async def box(doctor: Wire, services: MailServices) -> Wire:
    """The doctor, logged in, with M1 and M2 in INBOX (not selected yet)."""
    await deliver(services, M1, DOCTOR)
    await deliver(services, M2, DOCTOR)
    return doctor


SELECT_INBOX = r"""
* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
* 2 EXISTS
* 2 RECENT
* OK [UNSEEN 1] First unseen: 1
* OK [UIDVALIDITY <v>] UIDs valid
* OK [UIDNEXT 3] Predicted next UID
* OK [HIGHESTMODSEQ 3] Highest
s OK [READ-WRITE] SELECT completed
"""


async def selected(box: Wire) -> Wire:
    await exchange(box, "s SELECT INBOX", SELECT_INBOX)
    return box


@SQLITE_ONLY
async def test_greeting_and_capability_implicit_tls(connect: Connect) -> None:
    wire = await connect()
    assert wire.greeting == (
        b"* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE AUTH=PLAIN]"
        b" mssante IMAP4rev1 ready\r\n")
    await exchange(wire, "a CAPABILITY", """
* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE AUTH=PLAIN
a OK CAPABILITY completed
""")


@SQLITE_ONLY
async def test_starttls_port_refuses_login_in_clear(connect: Connect) -> None:
    wire = await connect(tls=False)
    assert b"STARTTLS LOGINDISABLED]" in wire.greeting
    await exchange(wire, f'a LOGIN {DOCTOR} "{PASSWORD}"',
                   "a NO [PRIVACYREQUIRED] Use STARTTLS first")
    await exchange(wire, "b AUTHENTICATE PLAIN AGpAaABw",
                   "b NO [PRIVACYREQUIRED] Use STARTTLS first")
    await exchange(wire, "c SELECT INBOX", "c BAD SELECT not allowed now")


@SQLITE_ONLY
async def test_login(connect: Connect) -> None:
    wire = await connect()
    await exchange(wire, f'a LOGIN {DOCTOR} "wrong"',
                   "a NO [AUTHENTICATIONFAILED] Authentication failed")
    await exchange(wire, f'b LOGIN {DOCTOR} "{PASSWORD}"', """
b OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT \
CHILDREN SPECIAL-USE CREATE-SPECIAL-USE LIST-EXTENDED LIST-STATUS CONDSTORE APPENDLIMIT=<n>] \
Logged in
""".replace("\\\n", ""))
    await exchange(wire, f'c LOGIN {DOCTOR} "{PASSWORD}"', "c BAD LOGIN not allowed now")


@SQLITE_ONLY
async def test_authenticate_plain(connect: Connect) -> None:
    import base64

    token = base64.b64encode(f"\0{DOCTOR}\0{PASSWORD}".encode()).decode()
    wire = await connect()
    await exchange(wire, "a AUTHENTICATE PLAIN", "+ ")
    await exchange(wire, "*", "a BAD Authentication cancelled")
    await exchange(wire, "b AUTHENTICATE PLAIN", "+ ")
    await exchange(wire, "%%%", "b BAD invalid base64")
    await exchange(wire, "c AUTHENTICATE CRAM-MD5", "c NO Unsupported mechanism")
    await exchange(wire, "d AUTHENTICATE PLAIN", "+ ")
    out = await exchange(wire, token, "d OK [CAPABILITY x] Logged in".replace(
        "[CAPABILITY x]", "[CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE "
        "UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE CREATE-SPECIAL-USE LIST-EXTENDED "
        "LIST-STATUS CONDSTORE APPENDLIMIT=<n>]"))
    assert out.startswith(b"d OK")
    wire2 = await connect()
    await exchange(wire2, f"a AUTHENTICATE PLAIN {token}", "a OK [CAPABILITY x] Logged in"
                   .replace("[CAPABILITY x]", "[CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID "
                            "ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE "
                            "CREATE-SPECIAL-USE LIST-EXTENDED LIST-STATUS CONDSTORE "
                            "APPENDLIMIT=<n>]"))


@SQLITE_ONLY
async def test_any_state_commands(doctor: Wire) -> None:
    await exchange(doctor, "a NOOP", "a OK NOOP completed")
    await exchange(doctor, 'b ID ("name" "test")', """
* ID ("name" "mssante" "vendor" "mssante")
b OK ID completed
""")
    await exchange(doctor, "c NAMESPACE", """
* NAMESPACE (("" "/")) NIL NIL
c OK NAMESPACE completed
""")
    await exchange(doctor, "d ENABLE CONDSTORE X-UNKNOWN", """
* ENABLED CONDSTORE
d OK ENABLE completed
""")
    await exchange(doctor, "e LOGOUT", """
* BYE Logging out
e OK LOGOUT completed
""")


async def test_select_and_examine(box: Wire) -> None:
    await selected(box)
    await exchange(box, "e EXAMINE INBOX", r"""
* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
* OK [PERMANENTFLAGS ()] Flags permitted
* 2 EXISTS
* 0 RECENT
* OK [UNSEEN 1] First unseen: 1
* OK [UIDVALIDITY <v>] UIDs valid
* OK [UIDNEXT 3] Predicted next UID
* OK [HIGHESTMODSEQ 3] Highest
e OK [READ-ONLY] EXAMINE completed
""")
    await exchange(box, "f STORE 1 +FLAGS (\\Seen)", "f NO [READ-ONLY] Mailbox is read-only")
    await exchange(box, "g SELECT Nowhere", "g NO [NONEXISTENT] No such mailbox")
    await exchange(box, "h FETCH 1 FLAGS", "h BAD FETCH not allowed now")


async def test_fetch_items(box: Wire) -> None:
    await selected(box)
    await exchange(box, "a FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)", r"""
* 1 FETCH (UID 1 FLAGS (\Recent) RFC822.SIZE 213 INTERNALDATE "<date>")
* 2 FETCH (UID 2 FLAGS (\Recent) RFC822.SIZE 560 INTERNALDATE "<date>")
a OK FETCH completed
""")
    await exchange(box, "b FETCH 1 ENVELOPE", """
* 1 FETCH (ENVELOPE ("Mon, 3 Mar 2025 10:15:00 +0100" "Rendez-vous" (("Claire DURAND" NIL \
"claire.durand" "hopital.test")) (("Claire DURAND" NIL "claire.durand" "hopital.test")) \
(("Claire DURAND" NIL "claire.durand" "hopital.test")) ((NIL NIL "jean.martin" \
"hopital.test")) NIL NIL NIL "<m1@hopital.test>"))
b OK FETCH completed
""".replace("\\\n", ""))
    await exchange(box, "c FETCH 2 (BODY BODYSTRUCTURE)", """
* 2 FETCH (BODY (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 58 1)\
("application" "pdf" ("name" "resultats.pdf") NIL NIL "base64" 12) "mixed") BODYSTRUCTURE \
(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 58 1 NIL NIL NIL NIL)\
("application" "pdf" ("name" "resultats.pdf") NIL NIL "base64" 12 NIL ("attachment" \
("filename" "resultats.pdf")) NIL NIL) "mixed" ("boundary" "b1") NIL NIL NIL))
c OK FETCH completed
""".replace("\\\n", ""))
    await exchange(box, "d UID FETCH 2 (BODY.PEEK[HEADER.FIELDS (Subject)] BODY.PEEK[1]<0.9>)",
                   """
* 2 FETCH (UID 2 BODY[HEADER.FIELDS (Subject)] {39}
Subject: =?utf-8?q?R=C3=A9sultats?=

 BODY[1]<0> {9}
Troponine)
d OK FETCH completed
""")
    await exchange(box, "e FETCH 1 (FLAGS)", r"""
* 1 FETCH (FLAGS (\Recent))
e OK FETCH completed
""")
    # BODY[TEXT] without PEEK sets \Seen, and the new flags come with the data
    await exchange(box, "f FETCH 1 BODY[TEXT]", r"""
* 1 FETCH (BODY[TEXT] {40}
Bonjour, le patient est attendu mardi.
 FLAGS (\Seen \Recent))
f OK FETCH completed
""")
    await exchange(box, "g FETCH 1 FAST", r"""
* 1 FETCH (FLAGS (\Seen \Recent) INTERNALDATE "<date>" RFC822.SIZE 213)
g OK FETCH completed
""")
    await exchange(box, "h FETCH 1 RFC822.HEADER", """
* 1 FETCH (RFC822.HEADER {173}
Date: Mon, 3 Mar 2025 10:15:00 +0100
From: Claire DURAND <claire.durand@hopital.test>
To: jean.martin@hopital.test
Subject: Rendez-vous
Message-ID: <m1@hopital.test>

)
h OK FETCH completed
""")
    await exchange(box, "i FETCH 3 FLAGS", "i BAD Invalid message sequence number")
    await exchange(box, "j UID FETCH 3:* FLAGS", r"""
* 2 FETCH (UID 2 FLAGS (\Recent))
j OK FETCH completed
""")
    await exchange(box, "k UID FETCH 7 FLAGS", "k OK FETCH completed")
    await exchange(box, "l FETCH 1 (BODY[5] BODY[2.MIME])", """
* 1 FETCH (BODY[5] {0}
 BODY[2.MIME] {0}
)
l OK FETCH completed
""")
    await exchange(box, "m FETCH 1 (BODY[HEADER.FIELDS.NOT (Date From To Message-ID)])", """
* 1 FETCH (BODY[HEADER.FIELDS.NOT (Date From To Message-ID)] {24}
Subject: Rendez-vous

)
m OK FETCH completed
""")


async def test_store(box: Wire) -> None:
    await selected(box)
    await exchange(box, "a STORE 1 +FLAGS (\\Flagged \\Seen)", r"""
* 1 FETCH (UID 1 FLAGS (\Flagged \Seen \Recent))
a OK STORE completed
""")
    await exchange(box, "b STORE 1:2 -FLAGS.SILENT (\\Flagged)", "b OK STORE completed")
    await exchange(box, "c UID STORE 2 FLAGS ($Urgent \\Answered)", r"""
* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Urgent)
* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Urgent \*)] Flags permitted
* 2 FETCH (UID 2 FLAGS ($Urgent \Answered \Recent))
c OK STORE completed
""")
    await exchange(box, "d STORE 1 +FLAGS (\\Bogus)", "d BAD Unknown system flag")
    await exchange(box, "e STORE 1 FLAGS (\\Recent)", r"""
* 1 FETCH (UID 1 FLAGS (\Recent))
e OK STORE completed
""")


async def test_condstore(box: Wire) -> None:
    await exchange(box, "a ENABLE CONDSTORE", "* ENABLED CONDSTORE\na OK ENABLE completed")
    await selected(box)
    await exchange(box, "b FETCH 1:2 (MODSEQ)", """
* 1 FETCH (MODSEQ (2))
* 2 FETCH (MODSEQ (3))
b OK FETCH completed
""")
    await exchange(box, "c STORE 1 (UNCHANGEDSINCE 2) +FLAGS (\\Seen)", r"""
* 1 FETCH (UID 1 FLAGS (\Seen \Recent) MODSEQ (4))
c OK STORE completed
""")
    await exchange(box, "d STORE 1:2 (UNCHANGEDSINCE 3) +FLAGS.SILENT (\\Flagged)", """
* 2 FETCH (UID 2 MODSEQ (5))
d OK [MODIFIED 1] Conditional STORE failed
""")
    await exchange(box, "e UID FETCH 1:* (FLAGS) (CHANGEDSINCE 4)", r"""
* 2 FETCH (UID 2 FLAGS (\Flagged \Recent) MODSEQ (5))
e OK FETCH completed
""")
    await exchange(box, "f SEARCH MODSEQ 5", """
* SEARCH 2 (MODSEQ 5)
f OK SEARCH completed
""")
    await exchange(box, "g STATUS INBOX (HIGHESTMODSEQ MESSAGES)", """
* STATUS INBOX (HIGHESTMODSEQ 5 MESSAGES 2)
g OK STATUS completed
""")


async def test_search(box: Wire) -> None:
    await selected(box)
    await exchange(box, "a STORE 2 +FLAGS.SILENT (\\Seen)", "a OK STORE completed")
    cases = [
        ("ALL", "1 2"), ("SEEN", "2"), ("UNSEEN", "1"), ("NEW", "1"), ("OLD", ""),
        ("RECENT", "1 2"), ("SUBJECT rendez", "1"), ("SUBJECT résultats", "2"),
        ("FROM durand", "1"), ("TO jean.martin", "1 2"), ("BODY troponine", "2"),
        ("BODY électrocardiogramme", "2"), ("TEXT m1@hopital", "1"),
        ("HEADER Message-ID m2", "2"), ("HEADER X-Nothing \"\"", ""),
        ("LARGER 300", "2"), ("SMALLER 300", "1"), ("SENTON 4-Mar-2025", "2"),
        ("SENTBEFORE 4-Mar-2025", "1"), ("SENTSINCE 1-Jan-2030", ""), ("SINCE 1-Jan-2000", "1 2"),
        ("BEFORE 1-Jan-2000", ""), ("NOT SEEN", "1"), ("OR SEEN FROM durand", "1 2"),
        ("1:*", "1 2"), ("*", "2"), ("UID 1", "1"), ("(SEEN LARGER 1) UNDELETED", "2"),
        ("KEYWORD $Urgent", ""), ("UNKEYWORD $Urgent", "1 2"), ("DRAFT", ""),
    ]
    for i, (query, result) in enumerate(cases):
        tag = f"s{i}"
        want = "* SEARCH" + (" " + result if result else "")
        wire_query = query.encode("utf-8")
        charset = b"CHARSET UTF-8 " if not query.isascii() else b""
        if not query.isascii():
            word = query.split(" ", 1)[1].encode()
            wire_query = query.split(" ", 1)[0].encode() + b" {%d+}\r\n" % len(word) + word
        await exchange(box, tag.encode() + b" SEARCH " + charset + wire_query + b"\r\n",
                       f"{want}\n{tag} OK SEARCH completed")
    await exchange(box, "u UID SEARCH SUBJECT rendez", "* SEARCH 1\nu OK SEARCH completed")
    await exchange(box, "v SEARCH CHARSET X-NOPE ALL",
                   "v NO [BADCHARSET (UTF-8 US-ASCII)] unsupported charset X-NOPE")
    await exchange(box, "w SEARCH FOO", "w BAD expected ' '")


async def test_copy_move_expunge(box: Wire) -> None:
    await selected(box)
    await exchange(box, "a COPY 1:2 Archive", "a OK [COPYUID <v> 1:2 1:2] COPY completed")
    await exchange(box, "b UID COPY 2 Nowhere", "b NO [TRYCREATE] No such mailbox")
    await exchange(box, "c UID MOVE 1 Trash", """
* OK [COPYUID <v> 1 1] Moved
* 1 EXPUNGE
c OK MOVE completed
""")
    await exchange(box, "d STORE 1 +FLAGS.SILENT (\\Deleted)", "d OK STORE completed")
    await exchange(box, "e EXPUNGE", "* 1 EXPUNGE\ne OK EXPUNGE completed")
    await exchange(box, "f STATUS Archive (MESSAGES UIDNEXT UNSEEN RECENT)", """
* STATUS Archive (MESSAGES 2 UIDNEXT 3 UNSEEN 2 RECENT 2)
f OK STATUS completed
""")
    await exchange(box, "g SELECT Archive", r"""
* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
* 2 EXISTS
* 2 RECENT
* OK [UNSEEN 1] First unseen: 1
* OK [UIDVALIDITY <v>] UIDs valid
* OK [UIDNEXT 3] Predicted next UID
* OK [HIGHESTMODSEQ 3] Highest
g OK [READ-WRITE] SELECT completed
""")
    # the copy was re-sealed under its own id and still opens
    await exchange(box, "h FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]", """
* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {24}
Subject: Rendez-vous

)
h OK FETCH completed
""")
    await exchange(box, "i STORE 1:2 +FLAGS.SILENT (\\Deleted)", "i OK STORE completed")
    await exchange(box, "j UID EXPUNGE 2", "* 2 EXPUNGE\nj OK EXPUNGE completed")
    await exchange(box, "k CLOSE", "k OK CLOSE completed")
    await exchange(box, "l STATUS Archive (MESSAGES)", """
* STATUS Archive (MESSAGES 0)
l OK STATUS completed
""")
    await exchange(box, "m CHECK", "m BAD CHECK not allowed now")


async def test_mailbox_management(doctor: Wire) -> None:
    await exchange(doctor, "a CREATE Patients/Dupont", "a OK CREATE completed")
    await exchange(doctor, "b CREATE Patients", "b NO [ALREADYEXISTS] Mailbox exists")
    await exchange(doctor, "c CREATE inbox", "c NO [ALREADYEXISTS] Mailbox exists")
    await exchange(doctor, "d CREATE a%b", "d BAD unexpected extra arguments")
    await exchange(doctor, 'd CREATE "a%b"', "d NO [CANNOT] Invalid character in mailbox name")
    await exchange(doctor, 'e LIST "" *', r"""
* LIST (\HasNoChildren) "/" INBOX
* LIST (\HasNoChildren \Archive) "/" Archive
* LIST (\HasNoChildren \Drafts) "/" Drafts
* LIST (\HasNoChildren \Junk) "/" Junk
* LIST (\HasChildren) "/" Patients
* LIST (\HasNoChildren) "/" Patients/Dupont
* LIST (\HasNoChildren \Sent) "/" Sent
* LIST (\HasNoChildren \Trash) "/" Trash
e OK LIST completed
""")
    await exchange(doctor, 'f LIST "" %', r"""
* LIST (\HasNoChildren) "/" INBOX
* LIST (\HasNoChildren \Archive) "/" Archive
* LIST (\HasNoChildren \Drafts) "/" Drafts
* LIST (\HasNoChildren \Junk) "/" Junk
* LIST (\HasChildren) "/" Patients
* LIST (\HasNoChildren \Sent) "/" Sent
* LIST (\HasNoChildren \Trash) "/" Trash
f OK LIST completed
""")
    await exchange(doctor, 'g LIST Patients/ %', r"""
* LIST (\HasNoChildren) "/" Patients/Dupont
g OK LIST completed
""")
    await exchange(doctor, 'h LIST "" ""', r"""
* LIST (\Noselect) "/" ""
h OK LIST completed
""")
    await exchange(doctor, "i RENAME Patients Dossiers", "i OK RENAME completed")
    await exchange(doctor, "j UNSUBSCRIBE Dossiers", "j OK UNSUBSCRIBE completed")
    await exchange(doctor, 'k LSUB "" Doss*', r"""
* LSUB () "/" Dossiers/Dupont
k OK LSUB completed
""")
    await exchange(doctor, 'l LSUB "" %', r"""
* LSUB () "/" INBOX
* LSUB () "/" Archive
* LSUB (\Noselect) "/" Dossiers
* LSUB () "/" Drafts
* LSUB () "/" Junk
* LSUB () "/" Sent
* LSUB () "/" Trash
l OK LSUB completed
""")
    await exchange(doctor, 'm LIST (SUBSCRIBED RECURSIVEMATCH) "" Doss%', r"""
* LIST (\HasChildren) "/" Dossiers ("CHILDINFO" ("SUBSCRIBED"))
m OK LIST completed
""")
    await exchange(doctor, 'n LIST (SPECIAL-USE) "" * RETURN (SUBSCRIBED)', r"""
* LIST (\HasNoChildren \Subscribed \Archive) "/" Archive
* LIST (\HasNoChildren \Subscribed \Drafts) "/" Drafts
* LIST (\HasNoChildren \Subscribed \Junk) "/" Junk
* LIST (\HasNoChildren \Subscribed \Sent) "/" Sent
* LIST (\HasNoChildren \Subscribed \Trash) "/" Trash
n OK LIST completed
""")
    await exchange(doctor, 'o LIST "" (INBOX Drafts) RETURN (STATUS (MESSAGES UNSEEN))', r"""
* LIST (\HasNoChildren) "/" INBOX
* STATUS INBOX (MESSAGES 0 UNSEEN 0)
* LIST (\HasNoChildren \Drafts) "/" Drafts
* STATUS Drafts (MESSAGES 0 UNSEEN 0)
o OK LIST completed
""")
    await exchange(doctor, "p DELETE Dossiers", "p OK DELETE completed")
    await exchange(doctor, 'q LIST "" Doss*', r"""
* LIST (\Noselect \HasChildren) "/" Dossiers
* LIST (\HasNoChildren) "/" Dossiers/Dupont
q OK LIST completed
""")
    await exchange(doctor, "r DELETE INBOX", "r NO [CANNOT] INBOX cannot be deleted")
    await exchange(doctor, "s DELETE Nowhere", "s NO [NONEXISTENT] No such mailbox")
    await exchange(doctor, "t CREATE Notes (USE (\\Flagged))", "t OK CREATE completed")
    await exchange(doctor, 'u LIST "" Notes', r"""
* LIST (\HasNoChildren \Flagged) "/" Notes
u OK LIST completed
""")
    await exchange(doctor, 'v CREATE "&AMk-t&AOk-"', "v OK CREATE completed")
    await exchange(doctor, 'w LIST "" &AMk-*', r"""
* LIST (\HasNoChildren) "/" &AMk-t&AOk-
w OK LIST completed
""")
    await exchange(doctor, "x STATUS Nowhere (MESSAGES)", "x NO [NONEXISTENT] No such mailbox")


async def test_append(doctor: Wire) -> None:
    msg = b"Subject: note\r\n\r\nhello\r\n"
    await exchange(doctor, b'a APPEND Drafts (\\Draft $Todo) "05-Mar-2025 09:00:00 +0100" {%d}\r\n'
                   % len(msg), "+ Ready for literal data")
    await exchange(doctor, msg + b"\r\n", "a OK [APPENDUID <v> 1] APPEND completed")
    await exchange(doctor, b"b APPEND Drafts {%d+}\r\n" % len(msg) + msg + b"\r\n",
                   "b OK [APPENDUID <v> 2] APPEND completed")
    await exchange(doctor, b"c APPEND Nowhere {%d+}\r\n" % len(msg) + msg + b"\r\n",
                   "c NO [TRYCREATE] No such mailbox")
    await exchange(doctor, "d EXAMINE Drafts", r"""
* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Todo)
* OK [PERMANENTFLAGS ()] Flags permitted
* 2 EXISTS
* 0 RECENT
* OK [UNSEEN 1] First unseen: 1
* OK [UIDVALIDITY <v>] UIDs valid
* OK [UIDNEXT 3] Predicted next UID
* OK [HIGHESTMODSEQ 3] Highest
d OK [READ-ONLY] EXAMINE completed
""")
    out = await exchange(doctor, "e FETCH 1 (FLAGS INTERNALDATE BODY[])", """
* 1 FETCH (FLAGS ($Todo \\Draft) INTERNALDATE "<date>" BODY[] {24}
Subject: note

hello
)
e OK FETCH completed
""")
    assert b'"05-Mar-2025 08:00:00 +0000"' in out


async def test_append_to_selected_mailbox_announces_exists(box: Wire) -> None:
    await selected(box)
    msg = b"Subject: self\r\n\r\nx\r\n"
    await exchange(box, b"a APPEND INBOX {%d+}\r\n" % len(msg) + msg + b"\r\n", """
* 3 EXISTS
* 3 RECENT
a OK [APPENDUID <v> 3] APPEND completed
""")


@SQLITE_ONLY
async def test_unselect_and_errors(box: Wire) -> None:
    await selected(box)
    await exchange(box, "a UNSELECT", "a OK UNSELECT completed")
    await exchange(box, "b FETCH 1 FLAGS", "b BAD FETCH not allowed now")
    await exchange(box, "c FROB", "c BAD unknown command FROB")
    await exchange(box, "\r\n", "* BAD missing or invalid tag")
    await exchange(box, "(bad", "* BAD missing or invalid tag")
    await exchange(box, "d SELECT", "d BAD expected ' '")
    await exchange(box, "e NOOP", "e OK NOOP completed")


async def test_idle(box: Wire, services: MailServices) -> None:
    await selected(box)
    await exchange(box, "a IDLE", "+ idling")
    await deliver(services, b"Subject: new\r\n\r\nnew\r\n", DOCTOR)
    await exchange(box, b"", "* 3 EXISTS\n* 3 RECENT")
    await exchange(box, "DONE", "a OK IDLE terminated")
    await exchange(box, "b IDLE", "+ idling")
    await exchange(box, "NOPE", "b BAD Expected DONE")
    await exchange(box, "c NOOP", "c OK NOOP completed")
