"""CommandFramer: lines, synchronising / non-synchronising literals, limits."""

from __future__ import annotations

from mailserver.imap.proto import (
    CommandFramer,
    CompleteCommand,
    FramingError,
    NeedContinuation,
    parse_command,
)
from mailserver.imap.proto import commands as c


def events(framer: CommandFramer, data: bytes) -> list[object]:
    framer.feed(data)
    return list(framer)


def test_simple_lines_and_pipelining() -> None:
    f = CommandFramer()
    assert events(f, b"a NOOP\r\nb CAPA") == [CompleteCommand(b"a NOOP\r\n")]
    assert events(f, b"BILITY\r\n") == [CompleteCommand(b"b CAPABILITY\r\n")]
    assert not f.in_command


def test_synchronising_literal_owes_continuation() -> None:
    f = CommandFramer()
    assert events(f, b"a LOGIN {3}\r\n") == [NeedContinuation(3)]
    assert f.in_command
    assert events(f, b"jo") == []
    assert events(f, b"e {2}\r\n") == [NeedContinuation(2)]
    out = events(f, b"pw\r\n")
    assert out == [CompleteCommand(b"a LOGIN {3}\r\njoe {2}\r\npw\r\n", (b"joe", b"pw"))]
    assert parse_command(out[0].raw) == c.Login("a", "joe", "pw")  # type: ignore[attr-defined]


def test_non_synchronising_literal_needs_no_continuation() -> None:
    f = CommandFramer()
    raw = b"a APPEND INBOX {5+}\r\nhe\r\no\r\n"
    out = events(f, raw)
    assert out == [CompleteCommand(raw, (b"he\r\no",))]


def test_byte_by_byte() -> None:
    f = CommandFramer()
    stream = b"a LOGIN {3}\r\njoe pw\r\nb APPEND x {2+}\r\nhi\r\n"
    got: list[object] = []
    for i in range(len(stream)):
        got.extend(events(f, stream[i : i + 1]))
    assert got == [
        NeedContinuation(3),
        CompleteCommand(b"a LOGIN {3}\r\njoe pw\r\n", (b"joe",)),
        CompleteCommand(b"b APPEND x {2+}\r\nhi\r\n", (b"hi",)),
    ]


def test_zero_length_literals() -> None:
    f = CommandFramer()
    assert events(f, b"a LOGIN {0}\r\n") == [NeedContinuation(0)]
    assert events(f, b" {0+}\r\n\r\n") == [
        CompleteCommand(b"a LOGIN {0}\r\n {0+}\r\n\r\n", (b"", b""))
    ]


def test_oversize_sync_literal_is_rejected_without_continuation() -> None:
    f = CommandFramer(max_literal_size=10)
    out = events(f, b"a APPEND INBOX {11}\r\nb NOOP\r\n")
    assert out == [FramingError("a", "literal too big", "TOOBIG"), CompleteCommand(b"b NOOP\r\n")]


def test_oversize_non_sync_literal_is_discarded() -> None:
    f = CommandFramer(max_literal_size=10)
    out = events(f, b"a APPEND INBOX {20+}\r\n" + b"x" * 12)
    assert out == [FramingError("a", "literal too big", "TOOBIG")]
    assert f._buf == bytearray()  # nothing of the literal is kept
    out = events(f, b"y" * 8 + b" trailing {3+}\r\nabc\r\nb NOOP\r\n")
    assert out == [CompleteCommand(b"b NOOP\r\n")]


def test_line_too_long() -> None:
    f = CommandFramer(max_line_length=20)
    out = events(f, b"tag1 LOGIN " + b"x" * 30)
    assert out == [FramingError("tag1", "line too long")]
    assert len(f._buf) == 0
    assert events(f, b"y" * 50) == []
    assert events(f, b"\r\nb NOOP\r\n") == [CompleteCommand(b"b NOOP\r\n")]


def test_line_too_long_in_one_chunk_with_non_sync_literal() -> None:
    f = CommandFramer(max_line_length=20)
    out = events(f, b"t " + b"x" * 30 + b" {4+}\r\nabcd\r\nc NOOP\r\n")
    assert out == [FramingError("t", "line too long"), CompleteCommand(b"c NOOP\r\n")]


def test_command_size_limit() -> None:
    f = CommandFramer(max_line_length=100, max_literal_size=10, max_command_size=15)
    out = events(f, b"a LOGIN {8}\r\n")
    assert out == [FramingError("a", "literal too big", "TOOBIG")]


def test_untagged_garbage_gets_no_tag() -> None:
    f = CommandFramer(max_line_length=5)
    assert events(f, b"(((((((((((") == [FramingError(None, "line too long")]
