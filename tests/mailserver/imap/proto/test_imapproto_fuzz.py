"""Hypothesis: random and mutated input never raises anything but ParseError / FramingError,
and the MIME helpers never fail and always produce grammar-valid output."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailserver.imap.proto import (
    CommandFramer,
    CompleteCommand,
    FramingError,
    NeedContinuation,
    ParseError,
    parse_command,
)
from mailserver.imap.proto.envelope import envelope
from mailserver.imap.proto.mime import bodystructure
from mailserver.imap.proto.responses import FetchResp, fetch_value
from mailserver.imap.proto.sections import section_bytes
from mailserver.imap.proto.wire import Str
from tests.mailserver.imap.proto.oracle import assert_valid_response
from tests.mailserver.imap.proto.test_imapproto_parser import CASES

VALID = [raw if raw.endswith(b"\n") else raw + b"\r\n" for raw, _ in CASES]
CORPUS = [p.read_bytes() for p in sorted((Path(__file__).parent / "corpus").glob("*.eml"))]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_stream(data: bytes, chunk: int) -> None:
    framer = CommandFramer(max_line_length=200, max_literal_size=64)
    for i in range(0, len(data), chunk):
        framer.feed(data[i : i + chunk])
        for event in framer:
            assert isinstance(event, (CompleteCommand, NeedContinuation, FramingError))
            if isinstance(event, CompleteCommand):
                try:
                    parse_command(event.raw)
                except ParseError:
                    pass
        assert len(framer._buf) <= chunk + 200 + 64


@FUZZ
@given(st.binary(max_size=600), st.integers(1, 64))
def test_random_bytes(data: bytes, chunk: int) -> None:
    run_stream(data, chunk)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "dup"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] = draw(st.sampled_from(b' ()[]{}<>"\\*%+-.:,0123456789\r\n\x00\xffAZ'))
        elif op == "insert":
            data[pos:pos] = draw(
                st.sampled_from(
                    [
                        b" ",
                        b"(",
                        b")",
                        b"{5}\r\n",
                        b"{2+}\r\n",
                        b'"',
                        b"NIL",
                        b"\r\n",
                        b"*",
                        b"\xc3",
                    ]
                )
            )
        elif op == "delete" and data:
            del data[pos]
        elif op == "truncate":
            del data[pos:]
        elif op == "dup":
            data[pos:pos] = data[pos : pos + 8]
    return bytes(data)


@FUZZ
@given(st.lists(mutated(), min_size=1, max_size=4), st.integers(1, 32))
def test_mutated_commands(commands: list[bytes], chunk: int) -> None:
    run_stream(b"".join(commands), chunk)
    for raw in commands:
        try:
            parse_command(raw)
        except ParseError:
            pass


@st.composite
def mutated_message(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        piece = draw(
            st.sampled_from(
                [
                    b"\r\n",
                    b"\n",
                    b"--",
                    b";",
                    b":",
                    b'"',
                    b"<",
                    b"(",
                    b"",
                    b"Content-Type: multipart/mixed; boundary=x\r\n",
                    b"\r\n--x\r\n",
                    b"=?",
                    b"\xff\xfe",
                    b"\x00",
                ]
            )
        )
        cut = draw(st.integers(0, 12))
        data[pos : pos + cut] = piece
    return bytes(data)


def check_message(raw: bytes) -> None:
    wire = FetchResp(
        1,
        (
            fetch_value("ENVELOPE", envelope(raw).to_wire()),
            fetch_value("BODYSTRUCTURE", bodystructure(raw)),
            fetch_value("BODY", bodystructure(raw, False)),
        ),
    ).to_bytes()
    assert_valid_response(wire)
    for section in ("", "HEADER", "TEXT", "1", "1.MIME", "2.1", "1.HEADER.FIELDS (From)"):
        assert isinstance(section_bytes(raw, section, (1, 10)), bytes)


@FUZZ
@given(mutated_message())
def test_mutated_messages(raw: bytes) -> None:
    check_message(raw)


@FUZZ
@given(st.binary(max_size=400))
def test_random_messages(raw: bytes) -> None:
    check_message(raw)


@FUZZ
@given(st.binary(max_size=200))
def test_any_string_is_valid_on_the_wire(data: bytes) -> None:
    assert_valid_response(FetchResp(1, (fetch_value("BODY[]", Str(data)),)).to_bytes())
