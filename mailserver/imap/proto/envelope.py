"""ENVELOPE (RFC 3501 §7.4.2 ``envelope``) from raw header bytes.

Values are the raw (unfolded) header bytes: encoded words are left as they are.
Addresses follow RFC 5322 §3.4 (groups, angle addresses, routes, old-style comments).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .message import Headers, get_header, parse_headers, split_message
from .wire import PList, Str, Value

MISSING_MAILBOX = b"MISSING_MAILBOX"
MISSING_DOMAIN = b"MISSING_DOMAIN"


@dataclass(frozen=True)
class Address:
    """address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")" (RFC 3501 §9).

    A group start has ``host=None`` and the group name as ``mailbox``; a group end has
    every field None (RFC 3501 §7.4.2).
    """

    name: bytes | None
    adl: bytes | None
    mailbox: bytes | None
    host: bytes | None

    def to_wire(self) -> Value:
        fields = (self.name, self.adl, self.mailbox, self.host)
        return PList(tuple(None if f is None else Str(f) for f in fields))


@dataclass(frozen=True)
class Envelope:
    """The ten ENVELOPE fields (RFC 3501 §7.4.2)."""

    date: bytes | None
    subject: bytes | None
    from_: tuple[Address, ...]
    sender: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    in_reply_to: bytes | None
    message_id: bytes | None

    def to_wire(self) -> Value:
        def addrs(items: tuple[Address, ...]) -> Value:
            return PList(tuple(a.to_wire() for a in items), compact=True) if items else None

        def text(v: bytes | None) -> Value:
            return None if v is None else Str(v)

        return PList(
            (
                text(self.date),
                text(self.subject),
                addrs(self.from_),
                addrs(self.sender),
                addrs(self.reply_to),
                addrs(self.to),
                addrs(self.cc),
                addrs(self.bcc),
                text(self.in_reply_to),
                text(self.message_id),
            )
        )


def envelope_from_headers(headers: Headers) -> Envelope:
    """Build the envelope; Sender and Reply-To default to From (RFC 3501 §7.4.2)."""

    def addresses(name: str) -> tuple[Address, ...]:
        value = get_header(headers, name)
        return () if value is None else tuple(parse_address_list(value))

    from_ = addresses("from")
    return Envelope(
        date=get_header(headers, "date"),
        subject=get_header(headers, "subject"),
        from_=from_,
        sender=addresses("sender") or from_,
        reply_to=addresses("reply-to") or from_,
        to=addresses("to"),
        cc=addresses("cc"),
        bcc=addresses("bcc"),
        in_reply_to=get_header(headers, "in-reply-to"),
        message_id=get_header(headers, "message-id"),
    )


def envelope(raw: bytes) -> Envelope:
    """ENVELOPE of a raw message."""
    return envelope_from_headers(parse_headers(split_message(raw)[0]))


# --- RFC 5322 §3.4 address-list -------------------------------------------------------
_TOKENS = re.compile(
    rb'"(?P<q>(?:[^"\\]|\\.)*)"?'  # quoted-string (unterminated tolerated)
    rb"|(?P<c>\((?:[^()\\]|\\.|\([^()]*\))*\)?)"  # comment (one nesting level)
    rb"|(?P<s>[,:;@<>])"  # specials that structure the list
    rb"|(?P<a>[^\s\",:;@<>()]+)"  # atoms, dot-atoms, anything else
    rb"|\s+",
    re.S,
)

Token = tuple[str, bytes]


def _tokens(value: bytes) -> list[Token]:
    out: list[Token] = []
    for m in _TOKENS.finditer(value):
        kind = m.lastgroup
        if kind == "q":
            out.append(("q", re.sub(rb"\\(.)", rb"\1", m.group("q"), flags=re.S)))
        elif kind == "c":
            out.append(("c", m.group("c").strip(b"()").strip()))
        elif kind in ("s", "a"):
            out.append((kind, m.group(kind)))
    return out


def parse_address_list(value: bytes) -> list[Address]:
    """address-list / mailbox-list with groups (RFC 5322 §3.4); never raises."""
    tokens = _tokens(value)
    out: list[Address] = []
    current: list[Token] = []
    in_group = False
    depth = 0
    for tok in tokens:
        kind, text = tok
        if kind == "s" and text == b"<":
            depth += 1
        elif kind == "s" and text == b">":
            depth = max(depth - 1, 0)
        if kind == "s" and depth == 0 and text == b":" and not in_group and not _has_at(current):
            out.append(Address(None, None, _phrase(current) or b"", None))
            in_group, current = True, []
            continue
        if kind == "s" and depth == 0 and text in (b",", b";"):
            out.extend(_mailbox(current))
            current = []
            if text == b";" and in_group:
                out.append(Address(None, None, None, None))
                in_group = False
            continue
        current.append(tok)
    out.extend(_mailbox(current))
    if in_group:
        out.append(Address(None, None, None, None))
    return out


def _has_at(tokens: list[Token]) -> bool:
    return any(t == ("s", b"@") or t == ("s", b"<") for t in tokens)


def _phrase(tokens: list[Token]) -> bytes | None:
    words = [t for k, t in tokens if k in ("q", "a")]
    return b" ".join(words) if words else None


def _mailbox(tokens: list[Token]) -> list[Address]:
    """mailbox = name-addr / addr-spec (RFC 5322 §3.4); empty -> nothing."""
    if not any(k in ("q", "a") for k, _ in tokens):
        return []
    if ("s", b"<") in tokens:
        i = tokens.index(("s", b"<"))
        name = _phrase(tokens[:i])
        inner = [t for t in tokens[i + 1 :] if t != ("s", b">")]
        adl: bytes | None = None
        if ("s", b":") in inner and inner and inner[0] == ("s", b"@"):
            j = inner.index(("s", b":"))
            adl = b"".join(t for k, t in inner[:j] if k != "c")
            inner = inner[j + 1 :]
        return [_addr_spec(inner, name, adl)]
    comments = [t for k, t in tokens if k == "c"]
    return [_addr_spec(tokens, comments[-1] if comments and comments[-1] else None, None)]


def _addr_spec(tokens: list[Token], name: bytes | None, adl: bytes | None) -> Address:
    """addr-spec = local-part "@" domain (RFC 5322 §3.4.1)."""
    words = [(k, t) for k, t in tokens if k != "c"]
    if ("s", b"@") in words:
        i = len(words) - 1 - words[::-1].index(("s", b"@"))
        local = b"".join(t for _, t in words[:i])
        domain = b"".join(t for _, t in words[i + 1 :])
    else:
        local, domain = b"".join(t for _, t in words), b""
    return Address(name, adl, local or MISSING_MAILBOX, domain or MISSING_DOMAIN)
