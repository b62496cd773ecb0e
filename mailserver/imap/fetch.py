"""FETCH response building (RFC 3501 §6.4.5, §7.4.2; MODSEQ RFC 7162 §3.1.4).

Flags, UIDs and mod-sequences come from the view; size and internal date from the store's
clear metadata; only ENVELOPE, BODY[STRUCTURE] and body sections decrypt the message.
"""

from __future__ import annotations

from .cache import CachedMessage
from .proto.envelope import envelope_from_headers
from .proto.fetchatt import FetchAtt
from .proto.mime import body_structure
from .proto.responses import (
    FetchItem,
    fetch_body,
    fetch_flags,
    fetch_internaldate,
    fetch_modseq,
    fetch_size,
    fetch_uid,
    fetch_value,
)
from .proto.sections import apply_partial, section_of
from .view import Detail, SelectedView

CONTENT = frozenset({"ENVELOPE", "BODY", "BODYSTRUCTURE", "RFC822", "RFC822.HEADER",
                     "RFC822.TEXT"})
DETAILS = frozenset({"INTERNALDATE", "RFC822.SIZE"})


def needs_content(att: FetchAtt) -> bool:
    return att.section is not None or att.name in CONTENT


def needs_details(att: FetchAtt) -> bool:
    return att.name in DETAILS or needs_content(att)


def order_items(items: tuple[FetchAtt, ...], add_flags: bool) -> list[FetchAtt]:
    """UID first (as most servers do), the rest in the requested order, no duplicates."""
    out: list[FetchAtt] = []
    for att in sorted(items, key=lambda a: 0 if (a.name == "UID" and a.section is None) else 1):
        if att not in out:
            out.append(att)
    if add_flags and not any(a.name == "FLAGS" for a in out):
        out.append(FetchAtt("FLAGS"))
    return out


def build_items(view: SelectedView, uid: int, atts: list[FetchAtt],
                meta: Detail | None, message: CachedMessage | None) -> list[FetchItem]:
    """The msg-att items of one message (content items need ``message``)."""
    items: list[FetchItem] = []
    for att in atts:
        if att.section is not None:
            assert message is not None
            data = section_of(message.part, message.raw, att.section) or b""
            items.append(fetch_body(att, apply_partial(data, att.partial)))
        elif att.name == "UID":
            items.append(fetch_uid(uid))
        elif att.name == "FLAGS":
            items.append(fetch_flags(view.flags_of(uid)))
        elif att.name == "MODSEQ":
            items.append(fetch_modseq(view.modseq(uid)))
        elif att.name == "INTERNALDATE":
            assert meta is not None
            items.append(fetch_internaldate(meta.internal_date))
        elif att.name == "RFC822.SIZE":
            assert meta is not None
            items.append(fetch_size(meta.size))
        else:
            assert message is not None
            items.append(_content_item(att.name, message))
    return items


def _content_item(name: str, message: CachedMessage) -> FetchItem:
    part = message.part
    if name == "ENVELOPE":
        return fetch_value(name, envelope_from_headers(part.headers).to_wire())
    if name == "BODY":
        return fetch_value(name, body_structure(part, False))
    if name == "BODYSTRUCTURE":
        return fetch_value(name, body_structure(part, True))
    if name == "RFC822":
        return fetch_body(name, message.raw)
    if name == "RFC822.HEADER":
        return fetch_body(name, part.header)
    return fetch_body(name, part.body)  # RFC822.TEXT
