"""Responses -> exact bytes, each accepted by the grammar oracle."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mailserver.imap.proto import SequenceSet
from mailserver.imap.proto import codes as rc
from mailserver.imap.proto import responses as r
from mailserver.imap.proto.fetchatt import FetchAtt, Section
from mailserver.imap.proto.wire import Atom, PList, Str, encode_astring, encode_string
from tests.mailserver.imap.proto.oracle import assert_valid_response

S = SequenceSet.parse

CASES: list[tuple[r.Response, bytes]] = [
    (r.Tagged("a1", "OK", "LOGIN completed"), b"a1 OK LOGIN completed\r\n"),
    (r.Tagged("a1", "OK"), b"a1 OK completed\r\n"),
    (r.Tagged("a2", "BAD", "bad\r\nline"), b"a2 BAD bad??line\r\n"),
    (r.Tagged("a3", "NO", "[x] y"), b"a3 NO  x] y\r\n".replace(b"  ", b" ")),
    (r.Untagged("OK", "IMAP4rev1 ready"), b"* OK IMAP4rev1 ready\r\n"),
    (r.Untagged("PREAUTH", "hi"), b"* PREAUTH hi\r\n"),
    (r.bye(), b"* BYE Logging out\r\n"),
    (r.Continuation(), b"+ Ready\r\n"),
    (r.Continuation(data=b""), b"+ \r\n"),
    (r.Continuation(data=b"\x00chal"), b"+ AGNoYWw=\r\n"),
    (r.Exists(23), b"* 23 EXISTS\r\n"),
    (r.Recent(0), b"* 0 RECENT\r\n"),
    (r.ExpungeResp(4), b"* 4 EXPUNGE\r\n"),
    (
        r.Flags(("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "$Label1")),
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1)\r\n",
    ),
    (
        r.Capabilities(("IMAP4rev1", "IDLE", "LITERAL+", "AUTH=PLAIN", "APPENDLIMIT=1000")),
        b"* CAPABILITY IMAP4rev1 IDLE LITERAL+ AUTH=PLAIN APPENDLIMIT=1000\r\n",
    ),
    (r.Enabled(("CONDSTORE",)), b"* ENABLED CONDSTORE\r\n"),
    (r.Enabled(()), b"* ENABLED\r\n"),
    (r.ListResp(("\\HasNoChildren",), "/", "INBOX"), b'* LIST (\\HasNoChildren) "/" INBOX\r\n'),
    (
        r.ListResp(("\\HasNoChildren", "\\Sent"), "/", "Envoyés"),
        b'* LIST (\\HasNoChildren \\Sent) "/" Envoy&AOk-s\r\n',
    ),
    (r.ListResp(("\\Noselect",), "/", ""), b'* LIST (\\Noselect) "/" ""\r\n'),
    (r.ListResp((), None, "a b", kind="LSUB"), b'* LSUB () NIL "a b"\r\n'),
    (
        r.ListResp(("\\NonExistent",), "/", "x", childinfo=("SUBSCRIBED",)),
        b'* LIST (\\NonExistent) "/" x ("CHILDINFO" ("SUBSCRIBED"))\r\n',
    ),
    (
        r.StatusResp("INBOX", (("MESSAGES", 2), ("UIDNEXT", 9), ("HIGHESTMODSEQ", 7))),
        b"* STATUS INBOX (MESSAGES 2 UIDNEXT 9 HIGHESTMODSEQ 7)\r\n",
    ),
    (r.StatusResp("Mes dossiers", (("UNSEEN", 0),)), b'* STATUS "Mes dossiers" (UNSEEN 0)\r\n'),
    (r.SearchResp((2, 3, 9)), b"* SEARCH 2 3 9\r\n"),
    (r.SearchResp(()), b"* SEARCH\r\n"),
    (r.SearchResp((4,), modseq=917), b"* SEARCH 4 (MODSEQ 917)\r\n"),
    (r.NamespaceResp((("", "/"),)), b'* NAMESPACE (("" "/")) NIL NIL\r\n'),
    (
        r.NamespaceResp((("", "/"),), (("~", "/"),), (("#shared/", None),)),
        b'* NAMESPACE (("" "/")) (("~" "/")) (("#shared/" NIL))\r\n',
    ),
    (r.IdResp(None), b"* ID NIL\r\n"),
    (r.IdResp((("name", "mssante"), ("os", None))), b'* ID ("name" "mssante" "os" NIL)\r\n'),
]

CODES: list[tuple[rc.ResponseCode, bytes]] = [
    (rc.ALERT, b"[ALERT]"),
    (
        rc.capability(["IMAP4rev1", "STARTTLS", "LOGINDISABLED"]),
        b"[CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED]",
    ),
    (rc.permanentflags(["\\Seen", "\\Deleted", "\\*"]), b"[PERMANENTFLAGS (\\Seen \\Deleted \\*)]"),
    (rc.permanentflags([]), b"[PERMANENTFLAGS ()]"),
    (rc.uidvalidity(3857529045), b"[UIDVALIDITY 3857529045]"),
    (rc.uidnext(4392), b"[UIDNEXT 4392]"),
    (rc.unseen(12), b"[UNSEEN 12]"),
    (rc.READ_ONLY, b"[READ-ONLY]"),
    (rc.READ_WRITE, b"[READ-WRITE]"),
    (rc.TRYCREATE, b"[TRYCREATE]"),
    (rc.appenduid(38505, 3955), b"[APPENDUID 38505 3955]"),
    (rc.copyuid(38505, S("304,319:320"), S("3956:3958")), b"[COPYUID 38505 304,319:320 3956:3958]"),
    (rc.highestmodseq(715194045007), b"[HIGHESTMODSEQ 715194045007]"),
    (rc.NOMODSEQ, b"[NOMODSEQ]"),
    (rc.modified(S("7,9")), b"[MODIFIED 7,9]"),
    (rc.CLOSED, b"[CLOSED]"),
    (rc.TOOBIG, b"[TOOBIG]"),
    (rc.AUTHENTICATIONFAILED, b"[AUTHENTICATIONFAILED]"),
    (rc.UNAVAILABLE, b"[UNAVAILABLE]"),
    (rc.NONEXISTENT, b"[NONEXISTENT]"),
    (rc.ALREADYEXISTS, b"[ALREADYEXISTS]"),
    (rc.CANNOT, b"[CANNOT]"),
    (rc.LIMIT, b"[LIMIT]"),
    (rc.PRIVACYREQUIRED, b"[PRIVACYREQUIRED]"),
    (rc.CONTACTADMIN, b"[CONTACTADMIN]"),
    (rc.INUSE, b"[INUSE]"),
    (rc.SERVERBUG, b"[SERVERBUG]"),
    (rc.badcharset(), b"[BADCHARSET (UTF-8 US-ASCII)]"),
    (rc.EXPUNGEISSUED, b"[EXPUNGEISSUED]"),
    (rc.OVERQUOTA, b"[OVERQUOTA]"),
]


@pytest.mark.parametrize(("response", "wire"), CASES)
def test_response_bytes(response: r.Response, wire: bytes) -> None:
    assert r.serialize(response) == wire
    assert_valid_response(wire)


@pytest.mark.parametrize(("code", "wire"), CODES)
def test_response_codes(code: rc.ResponseCode, wire: bytes) -> None:
    tagged = r.Tagged("t1", "NO", "text", code).to_bytes()
    assert tagged == b"t1 NO " + wire + b" text\r\n"
    assert_valid_response(tagged)
    untagged = r.Untagged("OK", "text", code).to_bytes()
    assert_valid_response(untagged)


def test_fetch_response() -> None:
    att = FetchAtt("BODY", Section((1, 2), "MIME"), (0, 5), peek=True)
    when = datetime(2025, 3, 5, 9, 30, 1, tzinfo=timezone(timedelta(hours=1)))
    resp = r.FetchResp(
        12,
        (
            r.fetch_uid(4827313),
            r.fetch_flags(["\\Seen", "$Work"]),
            r.fetch_internaldate(when),
            r.fetch_size(44827),
            r.fetch_modseq(12121231000),
            r.fetch_body(att, b"h\xe9llo"),
            r.fetch_body("RFC822.HEADER", b"Subject: x\r\n\r\n"),
            r.fetch_body("BODY[99]", None),
        ),
    )
    wire = resp.to_bytes()
    assert wire == (
        b'* 12 FETCH (UID 4827313 FLAGS (\\Seen $Work) INTERNALDATE "05-Mar-2025 09:30:01 +0100"'
        b" RFC822.SIZE 44827 MODSEQ (12121231000) BODY[1.2.MIME]<0> {5}\r\nh\xe9llo"
        b" RFC822.HEADER {14}\r\nSubject: x\r\n\r\n BODY[99] NIL)\r\n"
    )
    assert_valid_response(wire)
    assert_valid_response(r.FetchResp(1, (r.fetch_modseq(5),)).to_bytes())


def test_strings() -> None:
    assert encode_string(None) == b"NIL"
    assert encode_string("a b") == b'"a b"'
    assert encode_string(b'say "hi" \\o/') == b'"say \\"hi\\" \\\\o/"'
    assert encode_string(b"two\r\nlines") == b"{10}\r\ntwo\r\nlines"
    assert encode_string("été") == b"{5}\r\n\xc3\xa9t\xc3\xa9"
    assert encode_string(b"x" * 2000).startswith(b"{2000}\r\n")
    assert encode_astring("INBOX") == b"INBOX"
    assert encode_astring("nil") == b'"nil"'
    assert encode_astring("a]b") == b'"a]b"'


def test_values_in_fetch() -> None:
    value = PList((Str(b"x"), None, 3, Atom("\\Seen"), PList(())))
    wire = r.FetchResp(1, (r.fetch_value("X-TEST", value),)).to_bytes()
    assert wire == b'* 1 FETCH (X-TEST ("x" NIL 3 \\Seen ()))\r\n'
