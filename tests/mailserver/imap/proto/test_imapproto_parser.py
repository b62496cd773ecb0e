"""parse_command: every command form of RFC 3501 and the extensions -> typed dataclasses."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from mailserver.imap.proto import ParseError, SequenceSet, parse_command
from mailserver.imap.proto import commands as c
from mailserver.imap.proto.errors import BadCharset
from mailserver.imap.proto.fetchatt import FetchAtt, Section
from mailserver.imap.proto.parser import parse_idle_done, parse_sasl_response
from mailserver.imap.proto.search import (
    AllKey,
    AndKey,
    DateKey,
    FlagKey,
    HeaderKey,
    ModSeqKey,
    NotKey,
    OrKey,
    SeqKey,
    SizeKey,
    TextKey,
    UidKey,
)

S = SequenceSet.parse
F = FetchAtt
UTC1 = timezone(timedelta(hours=1))

CASES: list[tuple[bytes, c.Command]] = [
    (b"a1 CAPABILITY\r\n", c.Capability("a1")),
    (b"a2 noop", c.Noop("a2")),
    (b"a3 LOGOUT\r\n", c.Logout("a3")),
    (b"a4 STARTTLS\r\n", c.StartTLS("a4")),
    (b"a5 AUTHENTICATE PLAIN\r\n", c.Authenticate("a5", "PLAIN")),
    (b"a5 AUTHENTICATE plain AGpvZQBwdw==\r\n", c.Authenticate("a5", "PLAIN", "AGpvZQBwdw==")),
    (b"a5 AUTHENTICATE PLAIN =\r\n", c.Authenticate("a5", "PLAIN", "")),
    (b"a6 LOGIN joe secret\r\n", c.Login("a6", "joe", "secret")),
    (b'a6 LOGIN "jo e" "p\\"w"\r\n', c.Login("a6", "jo e", 'p"w')),
    (b"a6 LOGIN {3}\r\njoe {3+}\r\np\xc3\xa9\r\n", c.Login("a6", "joe", "p\xe9")),
    (b"a7 SELECT inbox\r\n", c.Select("a7", "INBOX")),
    (b"a7 SELECT INBOX (CONDSTORE)\r\n", c.Select("a7", "INBOX", True)),
    (b'a8 EXAMINE "Envoy&AOk-s"\r\n', c.Examine("a8", "Envoy\xe9s")),
    (b"a9 CREATE Projets/2025\r\n", c.Create("a9", "Projets/2025")),
    (b"a9 CREATE Sent (USE (\\Sent))\r\n", c.Create("a9", "Sent", ("\\Sent",))),
    (b"b1 DELETE foo\r\n", c.Delete("b1", "foo")),
    (b"b2 RENAME foo bar\r\n", c.Rename("b2", "foo", "bar")),
    (b"b3 SUBSCRIBE foo\r\n", c.Subscribe("b3", "foo")),
    (b"b4 UNSUBSCRIBE foo\r\n", c.Unsubscribe("b4", "foo")),
    (b'b5 LIST "" *\r\n', c.List("b5", "", ("*",))),
    (b'b5 LIST "" %/%\r\n', c.List("b5", "", ("%/%",))),
    (b'b5 LIST "" ""\r\n', c.List("b5", "", ("",))),
    (
        b'b5 LIST (SUBSCRIBED) "" ("INBOX" "Sent*")\r\n',
        c.List("b5", "", ("INBOX", "Sent*"), ("SUBSCRIBED",), extended=True),
    ),
    (
        b'b5 LIST "" "*" RETURN (SPECIAL-USE)\r\n',
        c.List("b5", "", ("*",), (), ("SPECIAL-USE",), extended=True),
    ),
    (
        b'b5 LIST (SPECIAL-USE) "" * RETURN (SUBSCRIBED CHILDREN STATUS (MESSAGES UNSEEN))\r\n',
        c.List(
            "b5",
            "",
            ("*",),
            ("SPECIAL-USE",),
            ("SUBSCRIBED", "CHILDREN", "STATUS"),
            ("MESSAGES", "UNSEEN"),
            True,
        ),
    ),
    (b'b6 LSUB "" *\r\n', c.Lsub("b6", "", "*")),
    (
        b"b7 STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ)\r\n",
        c.Status(
            "b7",
            "INBOX",
            ("MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "HIGHESTMODSEQ"),
        ),
    ),
    (b"b8 APPEND Drafts {5}\r\nhello\r\n", c.Append("b8", "Drafts", (), None, b"hello")),
    (
        b'b8 APPEND INBOX (\\Seen $Label) " 1-Feb-2025 10:00:00 +0100" {3+}\r\n\xe9\r\n\r\n',
        c.Append(
            "b8",
            "INBOX",
            ("\\Seen", "$Label"),
            datetime(2025, 2, 1, 10, 0, 0, tzinfo=UTC1),
            b"\xe9\r\n",
        ),
    ),
    (b"b9 CHECK\r\n", c.Check("b9")),
    (b"c1 CLOSE\r\n", c.Close("c1")),
    (b"c2 UNSELECT\r\n", c.Unselect("c2")),
    (b"c3 EXPUNGE\r\n", c.Expunge("c3")),
    (b"c3 UID EXPUNGE 3:5,9\r\n", c.Expunge("c3", S("3:5,9"))),
    (b"c4 SEARCH ALL\r\n", c.Search("c4", None, AllKey())),
    (b"c5 FETCH 1 FLAGS\r\n", c.Fetch("c5", S("1"), (F("FLAGS"),))),
    (
        b"c5 FETCH 2:4 ALL\r\n",
        c.Fetch(
            "c5",
            S("2:4"),
            (F("FLAGS"), F("INTERNALDATE"), F("RFC822.SIZE"), F("ENVELOPE")),
            macro="ALL",
        ),
    ),
    (
        b"c5 FETCH * fast\r\n",
        c.Fetch("c5", S("*"), (F("FLAGS"), F("INTERNALDATE"), F("RFC822.SIZE")), macro="FAST"),
    ),
    (
        b"c5 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)\r\n",
        c.Fetch("c5", S("1:*"), (F("FLAGS"), F("UID"), F("MODSEQ")), True, None, 12345),
    ),
    (b"c6 STORE 1 FLAGS (\\Seen)\r\n", c.Store("c6", S("1"), "replace", False, ("\\Seen",))),
    (
        b"c6 STORE 1:3 -FLAGS.SILENT \\Deleted $Junk\r\n",
        c.Store("c6", S("1:3"), "remove", True, ("\\Deleted", "$Junk")),
    ),
    (
        b"c6 UID STORE 7 (UNCHANGEDSINCE 9) +FLAGS ()\r\n",
        c.Store("c6", S("7"), "add", False, (), True, 9),
    ),
    (b"c7 COPY 1:2 Archive\r\n", c.Copy("c7", S("1:2"), "Archive")),
    (b"c7 UID COPY 5:2 Archive\r\n", c.Copy("c7", S("5:2"), "Archive", True)),
    (b"c8 MOVE 1 Trash\r\n", c.Move("c8", S("1"), "Trash")),
    (b"c8 UID MOVE 1,3 Trash\r\n", c.Move("c8", S("1,3"), "Trash", True)),
    (b"c9 IDLE\r\n", c.Idle("c9")),
    (b"d1 NAMESPACE\r\n", c.Namespace("d1")),
    (b"d2 ID NIL\r\n", c.Id("d2", None)),
    (
        b'd2 ID ("name" "Thunderbird" "version" NIL)\r\n',
        c.Id("d2", (("name", "Thunderbird"), ("version", None))),
    ),
    (b"d3 ENABLE CONDSTORE utf8=accept\r\n", c.Enable("d3", ("CONDSTORE", "UTF8=ACCEPT"))),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_command_table(raw: bytes, expected: c.Command) -> None:
    assert parse_command(raw) == expected


def test_command_names_for_dispatch() -> None:
    assert parse_command(b"a UID FETCH 1 UID").name == "FETCH"
    assert parse_command(b"a UID EXPUNGE 1").name == "EXPUNGE"
    assert parse_command(b"a EXAMINE x").name == "EXAMINE"


def test_fetch_every_attribute() -> None:
    cmd = parse_command(
        b"t FETCH 1 (FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT ENVELOPE"
        b" BODY BODYSTRUCTURE UID MODSEQ BODY[] BODY.PEEK[HEADER]<0.512> BODY[TEXT]"
        b' BODY[1.2] BODY[1.2.MIME] BODY[3.HEADER] BODY.PEEK[HEADER.FIELDS (From "To")]'
        b" BODY[2.HEADER.FIELDS.NOT (Received)] BODY[4.TEXT]<10.20>)\r\n"
    )
    assert isinstance(cmd, c.Fetch)
    names = [a.response_name() for a in cmd.items]
    assert names == [
        "FLAGS", "INTERNALDATE", "RFC822", "RFC822.HEADER", "RFC822.SIZE", "RFC822.TEXT",
        "ENVELOPE", "BODY", "BODYSTRUCTURE", "UID", "MODSEQ", "BODY[]", "BODY[HEADER]<0>",
        "BODY[TEXT]", "BODY[1.2]", "BODY[1.2.MIME]", "BODY[3.HEADER]",
        "BODY[HEADER.FIELDS (From To)]", "BODY[2.HEADER.FIELDS.NOT (Received)]",
        "BODY[4.TEXT]<10>",
    ]  # fmt: skip
    assert cmd.items[12] == F("BODY", Section((), "HEADER"), (0, 512), peek=True)
    assert cmd.items[17].section == Section((), "HEADER.FIELDS", ("From", "To"))
    assert [a.sets_seen for a in cmd.items[11:13]] == [True, False]


def test_search_every_key() -> None:
    cmd = parse_command(
        b"s SEARCH ANSWERED BCC b BEFORE 1-Feb-2025 BODY x CC c DELETED DRAFT FLAGGED"
        b' FROM "f g" HEADER X-Prio 1 KEYWORD $Work LARGER 100 NEW NOT SEEN OLD'
        b' ON "02-Mar-2025" OR RECENT UNSEEN SENTBEFORE 1-Jan-2020 SENTON 2-Jan-2020'
        b" SENTSINCE 3-Jan-2020 SINCE 4-Jan-2020 SMALLER 5 SUBJECT s TEXT t TO t UID 1:*"
        b" UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNKEYWORD $x 1,3:* (ALL (SEEN))"
        b' MODSEQ 5 MODSEQ "/flags/\\\\Draft" all 6\r\n'
    )
    assert isinstance(cmd, c.Search)
    assert isinstance(cmd.key, AndKey)
    assert cmd.key.keys == (
        FlagKey("\\Answered", True),
        HeaderKey("BCC", "b"),
        DateKey("internal", "before", date(2025, 2, 1)),
        TextKey("body", "x"),
        HeaderKey("CC", "c"),
        FlagKey("\\Deleted", True),
        FlagKey("\\Draft", True),
        FlagKey("\\Flagged", True),
        HeaderKey("FROM", "f g"),
        HeaderKey("X-PRIO", "1"),
        FlagKey("$Work", True),
        SizeKey("larger", 100),
        AndKey((FlagKey("\\Recent", True), FlagKey("\\Seen", False))),
        NotKey(FlagKey("\\Seen", True)),
        FlagKey("\\Recent", False),
        DateKey("internal", "on", date(2025, 3, 2)),
        OrKey(FlagKey("\\Recent", True), FlagKey("\\Seen", False)),
        DateKey("sent", "before", date(2020, 1, 1)),
        DateKey("sent", "on", date(2020, 1, 2)),
        DateKey("sent", "since", date(2020, 1, 3)),
        DateKey("internal", "since", date(2020, 1, 4)),
        SizeKey("smaller", 5),
        HeaderKey("SUBJECT", "s"),
        TextKey("text", "t"),
        HeaderKey("TO", "t"),
        UidKey(S("1:*")),
        FlagKey("\\Answered", False),
        FlagKey("\\Deleted", False),
        FlagKey("\\Draft", False),
        FlagKey("\\Flagged", False),
        FlagKey("$x", False),
        SeqKey(S("1,3:*")),
        AndKey((AllKey(), AndKey((FlagKey("\\Seen", True),)))),
        ModSeqKey(5),
        ModSeqKey(6, "/flags/\\Draft", "all"),
    )


def test_search_charset() -> None:
    cmd = parse_command(b"s UID SEARCH CHARSET UTF-8 SUBJECT {3}\r\n\xc3\xa9t\r\n")
    assert cmd == c.Search("s", "UTF-8", HeaderKey("SUBJECT", "\xe9t"), True)
    with pytest.raises(BadCharset) as info:
        parse_command(b"s SEARCH CHARSET X-NOPE ALL\r\n")
    assert info.value.tag == "s" and info.value.code == "BADCHARSET"


BAD: list[tuple[bytes, str | None]] = [
    (b"", None),
    (b"\r\n", None),
    (b"+ NOOP\r\n", None),
    (b"(a) NOOP\r\n", None),
    (b"a\r\n", "a"),
    (b"a FOO\r\n", "a"),
    (b"a NOOP extra\r\n", "a"),
    (b"a  NOOP\r\n", "a"),
    (b"a LOGIN joe\r\n", "a"),
    (b'a LOGIN joe "unterminated\r\n', "a"),
    (b"a LOGIN {10}\r\nshort\r\n", "a"),
    (b"a SELECT\r\n", "a"),
    (b"a SELECT x (FOO)\r\n", "a"),
    (b"a FETCH 0 FLAGS\r\n", "a"),
    (b"a FETCH 1 (FLAGS\r\n", "a"),
    (b"a FETCH 1 BODY[1.MIME\r\n", "a"),
    (b"a FETCH 1 BODY[MIME]\r\n", "a"),
    (b"a FETCH 1 BODY[0]\r\n", "a"),
    (b"a FETCH 1 BODY[]<1>\r\n", "a"),
    (b"a FETCH 1 NOPE\r\n", "a"),
    (b"a FETCH 1:2:3 FLAGS\r\n", "a"),
    (b"a STORE 1 FLAGS.LOUD (\\Seen)\r\n", "a"),
    (b"a STORE 1 +FLAGS (\\*)\r\n", "a"),
    (b"a SEARCH\r\n", "a"),
    (b"a SEARCH OR SEEN\r\n", "a"),
    (b"a SEARCH BEFORE 31-Foo-2020\r\n", "a"),
    (b"a SEARCH (SEEN\r\n", "a"),
    (b"a SEARCH LARGER 99999999999\r\n", "a"),
    (b"a UID NOOP\r\n", "a"),
    (b"a APPEND INBOX hello\r\n", "a"),
    (b'a APPEND INBOX "bad date" {1}\r\nx\r\n', "a"),
    (b"a STATUS INBOX (FOO)\r\n", "a"),
    (b"a STATUS INBOX ()\r\n", "a"),
    (b'a LIST (BOGUS) "" *\r\n', "a"),
    (b'a LIST "" * RETURN (BOGUS)\r\n', "a"),
    (b"a ENABLE\r\n", "a"),
    (b'a ID ("k")\r\n', "a"),
    (b"a AUTHENTICATE PLAIN !!!\r\n", "a"),
    (b"a CREATE x (USE (Sent))\r\n", "a"),
]


@pytest.mark.parametrize(("raw", "tag"), BAD)
def test_bad_commands_carry_the_tag(raw: bytes, tag: str | None) -> None:
    with pytest.raises(ParseError) as info:
        parse_command(raw)
    assert info.value.tag == tag


def test_search_depth_is_bounded() -> None:
    with pytest.raises(ParseError):
        parse_command(b"a SEARCH " + b"NOT " * 500 + b"ALL\r\n")
    with pytest.raises(ParseError):
        parse_command(b"a SEARCH " + b"(" * 500 + b"ALL" + b")" * 500 + b"\r\n")


def test_idle_done_and_sasl() -> None:
    assert parse_idle_done(b"DONE\r\n") and parse_idle_done(b"done\n")
    assert not parse_idle_done(b"a NOOP\r\n")
    assert parse_sasl_response(b"AGpvZQBwdw==\r\n") == b"\x00joe\x00pw"
    assert parse_sasl_response(b"*\r\n") is None
    assert parse_sasl_response(b"\r\n") == b""
    with pytest.raises(ParseError):
        parse_sasl_response(b"not base64!\r\n")


@pytest.mark.parametrize("raw", [b"&Jjo", b"&,,,-", b"\"Essai \xc3\xbc\"", b"&AGE-"])
def test_names_not_in_canonical_modified_utf7_parse_to_an_unusable_name(raw: bytes) -> None:
    """Valid syntax, not a usable name (issue 16 item 1): no BAD; the name holds a
    control character, so it names no mailbox and CREATE refuses it."""
    cmd = parse_command(b"a SELECT " + raw + b"\r\n")
    assert isinstance(cmd, c.Select) and cmd.mailbox.startswith("\x01")


def test_canonical_modified_utf7_decodes() -> None:
    cmd = parse_command(b"a SELECT &AOk-t&AOk-\r\n")
    assert isinstance(cmd, c.Select) and cmd.mailbox == "\u00e9t\u00e9"
