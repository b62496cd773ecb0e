"""Typed server responses -> bytes (RFC 3501 §7 and the extensions' responses).

Every response class has ``to_bytes()``; ``serialize`` accepts any of them.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Union
from typing import Literal as TLiteral

from .codes import ResponseCode
from .fetchatt import FetchAtt
from .imapdate import format_datetime
from .mutf7 import encode_mutf7
from .wire import (
    Literal,
    PList,
    Str,
    Value,
    atoms,
    encode_astring,
    encode_mailbox,
    encode_string,
)
from .wire import encode_value as _value

CRLF = b"\r\n"
Status = TLiteral["OK", "NO", "BAD"]
UntaggedStatus = TLiteral["OK", "NO", "BAD", "PREAUTH", "BYE"]


def _text(text: str, default: str) -> bytes:
    """text = 1*TEXT-CHAR (RFC 3501 §9): no CR/LF, not empty, no leading ``[``."""
    clean = "".join(ch if ch.isprintable() and ord(ch) < 0x80 else "?" for ch in text).strip()
    if not clean:
        clean = default
    if clean.startswith("["):
        clean = " " + clean[1:] if len(clean) > 1 else default
        clean = clean.strip() or default
    return clean.encode("ascii")


def _resp_text(code: ResponseCode | None, text: str, default: str) -> bytes:
    """resp-text = ["[" resp-text-code "]" SP] text (RFC 3501 §9)."""
    body = _text(text, default)
    return code.to_bytes() + b" " + body if code is not None else body


@dataclass(frozen=True)
class Tagged:
    """response-tagged = tag SP resp-cond-state CRLF (RFC 3501 §7.1)."""

    tag: str
    status: Status
    text: str = ""
    code: ResponseCode | None = None

    def to_bytes(self) -> bytes:
        default = "completed" if self.status == "OK" else "failed"
        text = _resp_text(self.code, self.text, default)
        return f"{self.tag} {self.status} ".encode("ascii") + text + CRLF


@dataclass(frozen=True)
class Untagged:
    """``* OK/NO/BAD/PREAUTH/BYE [code] text`` (RFC 3501 §7.1)."""

    status: UntaggedStatus
    text: str = ""
    code: ResponseCode | None = None

    def to_bytes(self) -> bytes:
        return b"* " + self.status.encode() + b" " + _resp_text(self.code, self.text, "ok") + CRLF


def bye(text: str = "Logging out", code: ResponseCode | None = None) -> Untagged:
    """resp-cond-bye (RFC 3501 §7.1.5)."""
    return Untagged("BYE", text, code)


@dataclass(frozen=True)
class Continuation:
    """continue-req = "+" SP (resp-text / base64) CRLF (RFC 3501 §7.5).

    ``data`` (a SASL challenge) is sent base64-encoded; otherwise ``text``.
    """

    text: str = "Ready"
    data: bytes | None = None

    def to_bytes(self) -> bytes:
        if self.data is not None:
            return b"+ " + base64.b64encode(self.data) + CRLF
        return b"+ " + _text(self.text, "Ready") + CRLF


@dataclass(frozen=True)
class _Number:
    """``* n KEYWORD`` (message-data / mailbox-data numbers, RFC 3501 §9)."""

    number: int
    keyword: ClassVar[str] = ""

    def to_bytes(self) -> bytes:
        return b"* %d " % self.number + self.keyword.encode() + CRLF


@dataclass(frozen=True)
class Exists(_Number):
    """``* n EXISTS`` (RFC 3501 §7.3.1)."""

    keyword: ClassVar[str] = "EXISTS"


@dataclass(frozen=True)
class Recent(_Number):
    """``* n RECENT`` (RFC 3501 §7.3.2)."""

    keyword: ClassVar[str] = "RECENT"


@dataclass(frozen=True)
class ExpungeResp(_Number):
    """``* n EXPUNGE`` (RFC 3501 §7.4.1)."""

    keyword: ClassVar[str] = "EXPUNGE"


@dataclass(frozen=True)
class Flags:
    """``* FLAGS (...)`` (RFC 3501 §7.2.6)."""

    flags: tuple[str, ...]

    def to_bytes(self) -> bytes:
        return b"* FLAGS " + _value(atoms(self.flags)) + CRLF


@dataclass(frozen=True)
class Capabilities:
    """``* CAPABILITY IMAP4rev1 ...`` (RFC 3501 §7.2.1)."""

    capabilities: tuple[str, ...]

    def to_bytes(self) -> bytes:
        return b"* CAPABILITY " + " ".join(self.capabilities).encode("ascii") + CRLF


@dataclass(frozen=True)
class Enabled:
    """``* ENABLED ...`` (RFC 5161 §3.2)."""

    capabilities: tuple[str, ...]

    def to_bytes(self) -> bytes:
        caps = "".join(" " + c for c in self.capabilities)
        return b"* ENABLED" + caps.encode("ascii") + CRLF


@dataclass(frozen=True)
class ListResp:
    """``* LIST (attrs) "delim" name [extended]`` (RFC 3501 §7.2.2, RFC 5258 §3.4).

    ``childinfo`` adds the ``("CHILDINFO" ("SUBSCRIBED"))`` extended item (RFC 5258 §3.5).
    ``kind`` is ``LIST`` or ``LSUB`` (RFC 3501 §7.2.3).
    """

    attributes: tuple[str, ...]
    delimiter: str | None
    mailbox: str
    childinfo: tuple[str, ...] = ()
    kind: TLiteral["LIST", "LSUB"] = "LIST"

    def to_bytes(self) -> bytes:
        delim = encode_string(self.delimiter)
        out = b"* " + self.kind.encode() + b" " + _value(atoms(self.attributes))
        out += b" " + delim + b" " + encode_astring(encode_mutf7(self.mailbox))
        if self.childinfo:
            info = PList((Str(b"CHILDINFO"), PList(tuple(Str(x.encode()) for x in self.childinfo))))
            out += b" " + _value(info)
        return out + CRLF


@dataclass(frozen=True)
class StatusResp:
    """``* STATUS mailbox (MESSAGES n ...)`` (RFC 3501 §7.2.4, RFC 7162 §3.1.9)."""

    mailbox: str
    items: tuple[tuple[str, int], ...]

    def to_bytes(self) -> bytes:
        body = " ".join(f"{name} {value}" for name, value in self.items)
        name = encode_astring(encode_mutf7(self.mailbox))
        return b"* STATUS " + name + b" (" + body.encode() + b")" + CRLF


@dataclass(frozen=True)
class SearchResp:
    """``* SEARCH n...`` with optional ``(MODSEQ n)`` (RFC 3501 §7.2.5, RFC 7162 §3.1.5)."""

    numbers: tuple[int, ...]
    modseq: int | None = None

    def to_bytes(self) -> bytes:
        out = b"* SEARCH" + b"".join(b" %d" % n for n in self.numbers)
        if self.modseq is not None and self.numbers:
            out += b" (MODSEQ %d)" % self.modseq
        return out + CRLF


Namespaces = tuple[tuple[str, str | None], ...] | None


def _namespace(spaces: Namespaces) -> bytes:
    """Namespace = nil / "(" 1*( "(" string SP (DQUOTE char DQUOTE / nil) ")" ) ")"."""
    if not spaces:
        return b"NIL"
    inner = b"".join(b"(" + encode_mailbox(p) + b" " + encode_string(d) + b")" for p, d in spaces)
    return b"(" + inner + b")"


@dataclass(frozen=True)
class NamespaceResp:
    """``* NAMESPACE personal other shared`` (RFC 2342 §5)."""

    personal: Namespaces
    other: Namespaces = None
    shared: Namespaces = None

    def to_bytes(self) -> bytes:
        parts = (_namespace(self.personal), _namespace(self.other), _namespace(self.shared))
        return b"* NAMESPACE " + b" ".join(parts) + CRLF


@dataclass(frozen=True)
class IdResp:
    """``* ID (...)`` or ``* ID NIL`` (RFC 2971 §3.2)."""

    params: tuple[tuple[str, str | None], ...] | None

    def to_bytes(self) -> bytes:
        if not self.params:
            return b"* ID NIL" + CRLF
        body = b" ".join(encode_string(k) + b" " + encode_string(v) for k, v in self.params)
        return b"* ID (" + body + b")" + CRLF


FetchItem = tuple[str, Value]


@dataclass(frozen=True)
class FetchResp:
    """``* n FETCH (name value ...)`` (RFC 3501 §7.4.2); items built with ``fetch_*``."""

    seq: int
    items: tuple[FetchItem, ...]

    def to_bytes(self) -> bytes:
        body = b" ".join(name.encode("ascii") + b" " + _value(v) for name, v in self.items)
        return b"* %d FETCH (" % self.seq + body + b")" + CRLF


def fetch_flags(flags: Iterable[str]) -> FetchItem:
    return ("FLAGS", atoms(flags))


def fetch_uid(uid: int) -> FetchItem:
    return ("UID", uid)


def fetch_size(size: int) -> FetchItem:
    return ("RFC822.SIZE", size)


def fetch_modseq(modseq: int) -> FetchItem:
    """``MODSEQ (n)`` (RFC 7162 §3.1.4.1)."""
    return ("MODSEQ", PList((modseq,)))


def fetch_internaldate(when: datetime) -> FetchItem:
    return ("INTERNALDATE", Str(format_datetime(when).encode("ascii")))


def fetch_body(att: FetchAtt | str, data: bytes | None) -> FetchItem:
    """``BODY[section]<origin> data`` / ``RFC822* data``: content always as a literal."""
    name = att if isinstance(att, str) else att.response_name()
    return (name, None if data is None else Literal(data))


def fetch_value(name: str, value: Value) -> FetchItem:
    """Any other item (ENVELOPE, BODY, BODYSTRUCTURE values from ``envelope``/``mime``)."""
    return (name, value)


Response = Union[  # noqa: UP007
    Tagged,
    Untagged,
    Continuation,
    Exists,
    Recent,
    ExpungeResp,
    Flags,
    Capabilities,
    Enabled,
    ListResp,
    StatusResp,
    SearchResp,
    NamespaceResp,
    IdResp,
    FetchResp,
]


def serialize(response: Response) -> bytes:
    """Bytes for any response."""
    return response.to_bytes()
