"""SEARCH keys: typed AST and parser (RFC 3501 §6.4.4, §9 ``search-key``; RFC 7162 §3.1.5).

Shorthands are normalised: ``NEW`` = ``RECENT UNSEEN``, ``OLD`` = ``NOT RECENT``, the
system-flag keys become ``FlagKey``, FROM/TO/CC/BCC/SUBJECT become ``HeaderKey``.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal, Union

from .errors import BadCharset
from .imapdate import parse_date
from .seqset import SequenceSet

if TYPE_CHECKING:
    from .reader import Reader


@dataclass(frozen=True)
class AllKey:
    """ALL."""


@dataclass(frozen=True)
class FlagKey:
    """A flag set (``present``) or unset: ANSWERED/UNANSWERED…, KEYWORD/UNKEYWORD."""

    flag: str
    present: bool


@dataclass(frozen=True)
class DateKey:
    """BEFORE/ON/SINCE (internal date) and SENTBEFORE/SENTON/SENTSINCE (Date header)."""

    field: Literal["internal", "sent"]
    op: Literal["before", "on", "since"]
    date: date


@dataclass(frozen=True)
class SizeKey:
    """LARGER n / SMALLER n (RFC822.SIZE)."""

    op: Literal["larger", "smaller"]
    size: int


@dataclass(frozen=True)
class HeaderKey:
    """HEADER name value; FROM/TO/CC/BCC/SUBJECT x is HeaderKey(NAME, x)."""

    header: str
    value: str


@dataclass(frozen=True)
class TextKey:
    """BODY x (``where="body"``) or TEXT x (``where="text"``: headers and body)."""

    where: Literal["body", "text"]
    value: str


@dataclass(frozen=True)
class SeqKey:
    """A bare sequence-set: message sequence numbers."""

    sequence_set: SequenceSet


@dataclass(frozen=True)
class UidKey:
    """UID sequence-set."""

    sequence_set: SequenceSet


@dataclass(frozen=True)
class ModSeqKey:
    """MODSEQ [entry-name entry-type] n (RFC 7162 §3.1.5)."""

    modseq: int
    entry_name: str | None = None
    entry_type: str | None = None


@dataclass(frozen=True)
class NotKey:
    """NOT key."""

    key: SearchKey


@dataclass(frozen=True)
class OrKey:
    """OR key1 key2."""

    left: SearchKey
    right: SearchKey


@dataclass(frozen=True)
class AndKey:
    """A parenthesised list (or the top-level list): all keys must match."""

    keys: tuple[SearchKey, ...]


SearchKey = Union[  # noqa: UP007 - recursive alias
    AllKey,
    FlagKey,
    DateKey,
    SizeKey,
    HeaderKey,
    TextKey,
    SeqKey,
    UidKey,
    ModSeqKey,
    NotKey,
    OrKey,
    AndKey,
]

_FLAG_KEYS = {
    "ANSWERED": ("\\Answered", True),
    "DELETED": ("\\Deleted", True),
    "DRAFT": ("\\Draft", True),
    "FLAGGED": ("\\Flagged", True),
    "SEEN": ("\\Seen", True),
    "RECENT": ("\\Recent", True),
    "UNANSWERED": ("\\Answered", False),
    "UNDELETED": ("\\Deleted", False),
    "UNDRAFT": ("\\Draft", False),
    "UNFLAGGED": ("\\Flagged", False),
    "UNSEEN": ("\\Seen", False),
}
_HEADER_KEYS = ("FROM", "TO", "CC", "BCC", "SUBJECT")
_DATE_KEYS: dict[str, tuple[Literal["internal", "sent"], Literal["before", "on", "since"]]] = {
    "BEFORE": ("internal", "before"),
    "ON": ("internal", "on"),
    "SINCE": ("internal", "since"),
    "SENTBEFORE": ("sent", "before"),
    "SENTON": ("sent", "on"),
    "SENTSINCE": ("sent", "since"),
}
MAX_DEPTH = 64

Decoder = Callable[[bytes], str]


def charset_decoder(charset: str | None, tag: str | None) -> Decoder:
    """A decoder for search strings in ``charset`` (RFC 3501 §6.4.4 CHARSET)."""
    name = charset or "us-ascii"
    try:
        codecs.lookup(name)
    except LookupError:
        raise BadCharset(tag, f"unsupported charset {name}", "BADCHARSET") from None

    def decode(raw: bytes) -> str:
        # US-ASCII default: clients commonly send UTF-8 anyway, so fall back to it.
        try:
            return raw.decode(name)
        except UnicodeDecodeError:
            return raw.decode("utf-8", "replace")

    return decode


def parse_search_program(r: Reader, decode: Decoder) -> SearchKey:
    """1*(SP search-key) after the optional CHARSET: the implicit AND (RFC 3501 §9)."""
    keys = [parse_search_key(r, decode, 0)]
    while r.try_sp():
        keys.append(parse_search_key(r, decode, 0))
    return keys[0] if len(keys) == 1 else AndKey(tuple(keys))


def _date(r: Reader) -> date:
    """date = date-text / DQUOTE date-text DQUOTE (RFC 3501 §9)."""
    quoted = r.peek() == 0x22
    raw = r.quoted() if quoted else r.atom().encode()
    try:
        return parse_date(raw.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        raise r.error("invalid date") from None


def parse_search_key(r: Reader, decode: Decoder, depth: int) -> SearchKey:
    """search-key (RFC 3501 §9; MODSEQ from RFC 7162 §3.1.5)."""
    if depth > MAX_DEPTH:
        raise r.error("search key nested too deeply")
    c = r.peek()
    if c == 0x28:
        r.pos += 1
        keys = [parse_search_key(r, decode, depth + 1)]
        while r.try_sp():
            keys.append(parse_search_key(r, decode, depth + 1))
        r.expect(b")")
        return AndKey(tuple(keys))
    if c is not None and (0x30 <= c <= 0x39 or c == 0x2A):
        return SeqKey(r.sequence_set())
    word = r.keyword()
    if word in _FLAG_KEYS:
        flag, present = _FLAG_KEYS[word]
        return FlagKey(flag, present)
    if word == "ALL":
        return AllKey()
    if word == "NEW":
        return AndKey((FlagKey("\\Recent", True), FlagKey("\\Seen", False)))
    if word == "OLD":
        return FlagKey("\\Recent", False)
    r.sp()
    return _key_with_argument(r, word, decode, depth)


def _key_with_argument(r: Reader, word: str, decode: Decoder, depth: int) -> SearchKey:
    if word in _HEADER_KEYS:
        return HeaderKey(word, decode(r.astring()))
    if word in _DATE_KEYS:
        field, op = _DATE_KEYS[word]
        return DateKey(field, op, _date(r))
    if word in ("KEYWORD", "UNKEYWORD"):
        return FlagKey(r.atom(), word == "KEYWORD")
    if word == "HEADER":
        name = r.text_astring()
        r.sp()
        return HeaderKey(name.upper(), decode(r.astring()))
    if word in ("BODY", "TEXT"):
        return TextKey("body" if word == "BODY" else "text", decode(r.astring()))
    if word in ("LARGER", "SMALLER"):
        return SizeKey("larger" if word == "LARGER" else "smaller", r.number())
    if word == "UID":
        return UidKey(r.sequence_set())
    if word == "NOT":
        return NotKey(parse_search_key(r, decode, depth + 1))
    if word == "OR":
        left = parse_search_key(r, decode, depth + 1)
        r.sp()
        return OrKey(left, parse_search_key(r, decode, depth + 1))
    if word == "MODSEQ":
        return _modseq(r)
    raise r.error(f"unknown search key {word}")


def _modseq(r: Reader) -> ModSeqKey:
    """ "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer (RFC 7162 §7)."""
    if r.peek() == 0x22:
        entry = r.quoted().decode("utf-8", "replace")
        r.sp()
        entry_type = r.keyword().lower()
        if entry_type not in ("priv", "shared", "all"):
            raise r.error("invalid MODSEQ entry type")
        r.sp()
        return ModSeqKey(r.number64(), entry, entry_type)
    return ModSeqKey(r.number64())
