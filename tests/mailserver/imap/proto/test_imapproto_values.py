"""Sequence sets (RFC 3501 §9), modified UTF-7 (§5.1.3), dates (§9 date-time)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailserver.imap.proto import SequenceSet
from mailserver.imap.proto.imapdate import format_datetime, parse_date, parse_datetime
from mailserver.imap.proto.mutf7 import decode_mutf7, encode_mutf7, normalise_mailbox


def test_seqset_parse_and_str() -> None:
    s = SequenceSet.parse("1,3:5,7:*,*,9:8")
    assert str(s) == "1,3:5,7:*,*,9:8"
    assert s.uses_star and s.largest_explicit() == 9


def test_seqset_resolve_any_order_and_star() -> None:
    assert SequenceSet.parse("5:2").resolve(10) == [2, 3, 4, 5]
    assert SequenceSet.parse("*").resolve(7) == [7]
    assert SequenceSet.parse("*:4,1").resolve(6) == [1, 4, 5, 6]
    assert SequenceSet.parse("1:*").resolve(0) == []
    # RFC 3501 §6.4.8: 559:* includes the highest UID even when it is below 559
    assert SequenceSet.parse("559:*").resolve(100) == [100]
    assert SequenceSet.parse("200:300").resolve(100) == []


def test_seqset_contains_and_filter() -> None:
    s = SequenceSet.parse("2:4,10:*")
    assert s.contains(3, 20) and s.contains(25, 25) and not s.contains(5, 20)
    assert s.filter([1, 3, 11, 40], star_value=40) == [3, 11, 40]


def test_seqset_from_numbers() -> None:
    assert str(SequenceSet.from_numbers([5, 1, 2, 3, 9, 10])) == "1:3,5,9:10"


@pytest.mark.parametrize("bad", ["", "0", "1:", ":1", "1,,2", "a", "1:2:3", "4294967296", "01"])
def test_seqset_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        SequenceSet.parse(bad)


@given(st.lists(st.integers(1, 500), min_size=1))
def test_seqset_roundtrip(numbers: list[int]) -> None:
    s = SequenceSet.from_numbers(numbers)
    assert s.resolve(500) == sorted(set(numbers))
    assert SequenceSet.parse(str(s)) == s


@pytest.mark.parametrize(
    ("text", "wire"),
    [
        ("INBOX", "INBOX"),
        ("Envoyés", "Envoy&AOk-s"),
        ("a&b", "a&-b"),
        ("日本語", "&ZeVnLIqe-"),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
    ],
)
def test_mutf7(text: str, wire: str) -> None:
    assert encode_mutf7(text) == wire
    assert decode_mutf7(wire) == text


@pytest.mark.parametrize("bad", ["&", "&Jjo", "&AGE-", "&U,BTF2XlZyyKng-x&!-", "é"])
def test_mutf7_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        decode_mutf7(bad)


@given(st.text())
def test_mutf7_roundtrip(text: str) -> None:
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    assert decode_mutf7(encode_mutf7(text)) == text


def test_inbox_normalisation() -> None:
    assert normalise_mailbox("iNbOx") == "INBOX"
    assert normalise_mailbox("inbox/x") == "inbox/x"


def test_dates() -> None:
    assert parse_date("1-Feb-2025") == date(2025, 2, 1)
    when = parse_datetime("17-Jul-1996 02:44:25 -0700")
    assert when == datetime(1996, 7, 17, 2, 44, 25, tzinfo=timezone(-timedelta(hours=7)))
    assert format_datetime(when) == "17-Jul-1996 02:44:25 -0700"
    assert format_datetime(datetime(2025, 3, 5, 9, 0, 0)) == "05-Mar-2025 09:00:00 +0000"
    for bad in ("32-Jan-2020", "1-Foo-2020", "1-Jan-20"):
        with pytest.raises(ValueError):
            parse_date(bad)
