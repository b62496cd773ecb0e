"""Wire values for responses (RFC 3501 §4 data formats, §9 ``string``, ``nstring``).

``Value`` is what response bodies are built from: ``None`` is NIL, ``int`` a number,
``Atom`` is sent verbatim, ``Str`` is a string sent quoted when safe and as a literal
otherwise, ``Literal`` is always a literal, ``PList`` a parenthesised list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Union

from .mutf7 import encode_mutf7

QUOTED_MAX = 1024  # longer strings go as literals


@dataclass(frozen=True)
class Atom:
    """Sent verbatim (flags, keywords, response names): caller guarantees validity."""

    text: str


@dataclass(frozen=True)
class Str:
    """A string (RFC 3501 §4.3): quoted when possible, literal otherwise."""

    data: bytes


@dataclass(frozen=True)
class Literal:
    """A string always sent as a literal ``{N}`` CRLF data (RFC 3501 §4.3)."""

    data: bytes


@dataclass(frozen=True)
class PList:
    """A parenthesised list (RFC 3501 §4.4).

    ``compact`` lists have no separator: ``1*address`` (RFC 3501 §9 ``env-from``...).
    """

    items: tuple[Value, ...]
    compact: bool = False


@dataclass(frozen=True)
class Concat:
    """Values written back to back, no parentheses: ``1*body`` of ``body-type-mpart``."""

    items: tuple[Value, ...]


Value = Union[None, int, Atom, Str, Literal, PList, Concat]  # noqa: UP007 - recursive alias


def plist(items: Iterable[Value]) -> PList:
    return PList(tuple(items))


def atoms(names: Iterable[str]) -> PList:
    return PList(tuple(Atom(n) for n in names))


def _quotable(data: bytes) -> bool:
    """quoted = DQUOTE *QUOTED-CHAR DQUOTE: 7-bit TEXT-CHARs only, no NUL (RFC 3501 §9)."""
    return len(data) <= QUOTED_MAX and all(0 < b < 0x80 and b not in (0x0A, 0x0D) for b in data)


def encode_literal(data: bytes) -> bytes:
    """literal = "{" number "}" CRLF *CHAR8 (RFC 3501 §9).

    CHAR8 excludes NUL: NUL bytes are sent as 0x80 (as Dovecot does), keeping the length.
    """
    return b"{%d}\r\n" % len(data) + data.replace(b"\x00", b"\x80")


def encode_string(data: bytes | str | None) -> bytes:
    """nstring (RFC 3501 §9): NIL, quoted (escaping ``"`` and ``\\``), or literal."""
    if data is None:
        return b"NIL"
    if isinstance(data, str):
        data = data.encode("utf-8")
    if _quotable(data):
        return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    return encode_literal(data)


_ATOM_SPECIALS = frozenset(b'(){ %*"\\]')


def encode_astring(data: bytes | str) -> bytes:
    """astring (RFC 3501 §9): bare atom when every byte is ATOM-CHAR (and not NIL)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if (
        data
        and data.upper() != b"NIL"
        and all(0x20 < b < 0x7F and b not in _ATOM_SPECIALS for b in data)
    ):
        return data
    return encode_string(data)


def encode_mailbox(name: str) -> bytes:
    """mailbox (RFC 3501 §9) in modified UTF-7 (§5.1.3); always quoted or literal-safe."""
    return encode_string(encode_mutf7(name))


def encode_value(value: Value) -> bytes:
    """Serialise one wire value."""
    if value is None:
        return b"NIL"
    if isinstance(value, bool):
        raise TypeError("bool is not an IMAP value")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("IMAP numbers are unsigned")
        return str(value).encode("ascii")
    if isinstance(value, Atom):
        return value.text.encode("ascii")
    if isinstance(value, Str):
        return encode_string(value.data)
    if isinstance(value, Literal):
        return encode_literal(value.data)
    if isinstance(value, Concat):
        return b"".join(encode_value(v) for v in value.items)
    sep = b"" if value.compact else b" "
    return b"(" + sep.join(encode_value(v) for v in value.items) + b")"
