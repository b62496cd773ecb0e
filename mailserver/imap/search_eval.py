"""SEARCH evaluation (RFC 3501 §6.4.4; MODSEQ key RFC 7162 §3.1.5).

Keys are evaluated with three-valued logic: metadata keys (flags, sizes, dates, UIDs) are
answered from the store's clear metadata; header and text keys answer ``None`` ("unknown")
until the message has been decrypted, so a message is only opened when the cheap keys
cannot decide.  String matching is case-insensitive on decoded text (RFC 2047 headers,
Content-Transfer-Encoding and charset of text parts).
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import quopri
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from email.header import decode_header, make_header

from .cache import CachedMessage
from .proto.message import get_header
from .proto.mime import Part
from .proto.search import (
    AllKey,
    AndKey,
    DateKey,
    FlagKey,
    HeaderKey,
    ModSeqKey,
    NotKey,
    OrKey,
    SearchKey,
    SeqKey,
    SizeKey,
    TextKey,
    UidKey,
)
from .proto.seqset import SequenceSet

Tri = bool | None


@dataclass
class Candidate:
    """What the evaluator may know about one message."""

    seq: int
    uid: int
    flags: frozenset[str]
    recent: bool
    modseq: int
    size: int
    internal_date: date
    message: CachedMessage | None = None
    _texts: dict[str, str] = field(default_factory=dict)

    def header_text(self, name: str) -> list[str] | None:
        if self.message is None:
            return None
        headers = self.message.part.headers
        return [decode_words(v) for k, v in headers if k == name.lower()]

    def full_header(self) -> str | None:
        if self.message is None:
            return None
        if "h" not in self._texts:
            self._texts["h"] = decode_words(self.message.part.header).casefold()
        return self._texts["h"]

    def body_text(self) -> str | None:
        if self.message is None:
            return None
        if "b" not in self._texts:
            pieces: list[str] = []
            _collect_text(self.message.part, pieces, top=True)
            self._texts["b"] = "\n".join(pieces).casefold()
        return self._texts["b"]


def decode_words(raw: bytes) -> str:
    """Header bytes with RFC 2047 encoded words decoded (never raises)."""
    text = raw.decode("utf-8", "replace")
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except (ValueError, LookupError, UnicodeError):
        return text


def decode_part_text(part: Part) -> str:
    """A text part's content: transfer encoding and charset undone."""
    cte = (get_header(part.headers, "content-transfer-encoding") or b"").strip().lower()
    data = part.body
    try:
        if cte == b"base64":
            data = base64.b64decode(b"".join(data.split()), validate=False)
        elif cte == b"quoted-printable":
            data = quopri.decodestring(data)
    except (binascii.Error, ValueError):
        pass
    charset = dict(part.params).get(b"charset", b"utf-8").decode("ascii", "replace")
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def _collect_text(part: Part, out: list[str], top: bool = False) -> None:
    if part.is_multipart:
        for child in part.children:
            _collect_text(child, out)
    elif part.message is not None:
        out.append(decode_words(part.message.header))
        _collect_text(part.message, out, top=True)
    elif part.maintype.lower() == b"text":
        out.append(decode_part_text(part))


def any_key(key: SearchKey, pred: Callable[[SearchKey], bool]) -> bool:
    """Whether ``pred`` holds for some key of the tree (NOT, OR and AND walked through)."""
    if pred(key):
        return True
    if isinstance(key, NotKey):
        return any_key(key.key, pred)
    if isinstance(key, OrKey):
        return any_key(key.left, pred) or any_key(key.right, pred)
    if isinstance(key, AndKey):
        return any(any_key(k, pred) for k in key.keys)
    return False


def _content_key(key: SearchKey) -> bool:
    return isinstance(key, (HeaderKey, TextKey)) or (
        isinstance(key, DateKey) and key.field == "sent")


def needs_content(key: SearchKey) -> bool:
    """Some key can only be answered from the decrypted message."""
    return any_key(key, _content_key)


def uses_modseq(key: SearchKey) -> bool:
    """The search has a MODSEQ key (RFC 7162 §3.1.5)."""
    return any_key(key, lambda k: isinstance(k, ModSeqKey))


@dataclass(frozen=True)
class Scope:
    """Numbers ``*`` stands for: the message count and the highest UID."""

    exists: int
    max_uid: int


def evaluate(key: SearchKey, m: Candidate, scope: Scope) -> Tri:
    """True / False, or None when the answer needs the message content."""
    if isinstance(key, AllKey):
        return True
    if isinstance(key, FlagKey):
        has = m.recent if key.flag == "\\Recent" else _has_flag(m.flags, key.flag)
        return has == key.present
    if isinstance(key, SizeKey):
        return m.size > key.size if key.op == "larger" else m.size < key.size
    if isinstance(key, DateKey):
        return _date_match(key, m)
    if isinstance(key, SeqKey):
        return _in_set(key.sequence_set, m.seq, scope.exists)
    if isinstance(key, UidKey):
        return _in_set(key.sequence_set, m.uid, scope.max_uid)
    if isinstance(key, ModSeqKey):
        return m.modseq >= key.modseq
    if isinstance(key, HeaderKey):
        return _header_match(key, m)
    if isinstance(key, TextKey):
        return _text_match(key, m)
    if isinstance(key, NotKey):
        inner = evaluate(key.key, m, scope)
        return None if inner is None else not inner
    if isinstance(key, OrKey):
        return _or(evaluate(key.left, m, scope), lambda: evaluate(key.right, m, scope))
    return _and(key, m, scope)


def _and(key: AndKey, m: Candidate, scope: Scope) -> Tri:
    unknown = False
    for sub in key.keys:
        value = evaluate(sub, m, scope)
        if value is False:
            return False
        if value is None:
            unknown = True
    return None if unknown else True


def _or(left: Tri, right_fn: object) -> Tri:
    if left is True:
        return True
    assert callable(right_fn)
    right: Tri = right_fn()
    if right is True:
        return True
    if left is None or right is None:
        return None
    return False


def _has_flag(flags: frozenset[str], flag: str) -> bool:
    if flag in flags:
        return True
    low = flag.lower()  # flags and keywords are case-insensitive (RFC 3501 §2.3.2)
    return any(f.lower() == low for f in flags)


def _in_set(seqset: SequenceSet, n: int, star: int) -> bool:
    return star > 0 and seqset.contains(n, star)


def _compare(op: str, value: date, wanted: date) -> bool:
    if op == "before":
        return value < wanted
    if op == "on":
        return value == wanted
    return value >= wanted


def _date_match(key: DateKey, m: Candidate) -> Tri:
    if key.field == "internal":
        return _compare(key.op, m.internal_date, key.date)
    values = m.header_text("date")
    if values is None:
        return None
    if not values:
        return False
    try:
        sent = email.utils.parsedate_to_datetime(values[0].strip())
    except (TypeError, ValueError, IndexError):
        return False
    return _compare(key.op, sent.date(), key.date)


def _header_match(key: HeaderKey, m: Candidate) -> Tri:
    values = m.header_text(key.header)
    if values is None:
        return None
    needle = key.value.casefold()
    return any(needle in v.casefold() for v in values)


def _text_match(key: TextKey, m: Candidate) -> Tri:
    needle = key.value.casefold()
    body = m.body_text()
    if body is None:
        return None
    if needle in body:
        return True
    if key.where == "text":
        header = m.full_header()
        return header is not None and needle in header
    return False
