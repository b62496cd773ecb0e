"""BODY[section]<partial> contents (RFC 3501 §6.4.5 ``BODY[<section>]<<partial>>``)."""

from __future__ import annotations

from .fetchatt import Section
from .message import header_lines
from .mime import Part, parse_mime


def _subparts(part: Part) -> list[Part]:
    """Numbering context: a multipart's children, else the entity itself is part 1."""
    return part.children if part.is_multipart else [part]


def find_part(root: Part, path: tuple[int, ...]) -> Part | None:
    """The entity named by a section-part path (RFC 3501 §6.4.5), or None."""
    current = root
    for depth, number in enumerate(path):
        if depth > 0 and current.message is not None:
            current = current.message  # parts of an embedded message/rfc822
        subs = _subparts(current)
        if not 1 <= number <= len(subs):
            return None
        current = subs[number - 1]
    return current


def filter_header(header: bytes, names: tuple[str, ...], exclude: bool) -> bytes:
    """HEADER.FIELDS[.NOT] (RFC 3501 §6.4.5): matching fields then the blank line."""
    wanted = {n.lower() for n in names}
    kept = [raw for name, raw in header_lines(header) if (name in wanted) != exclude]
    out = b"".join(line if line.endswith(b"\n") else line + b"\r\n" for line in kept)
    return out + b"\r\n"


def _message_text(entity: Part, section: Section) -> bytes:
    """HEADER / HEADER.FIELDS[.NOT] / TEXT of a message entity."""
    if section.text == "HEADER":
        return entity.header
    if section.text == "TEXT":
        return entity.body
    return filter_header(entity.header, section.fields, section.text == "HEADER.FIELDS.NOT")


def section_of(root: Part, raw: bytes, section: Section) -> bytes | None:
    """Bytes of ``section`` in the parsed message; None when the part does not exist."""
    if not section.part:
        return raw if section.text is None else _message_text(root, section)
    part = find_part(root, section.part)
    if part is None:
        return None
    if section.text is None:
        return part.body
    if section.text == "MIME":
        return part.header
    if part.message is not None:
        return _message_text(part.message, section)
    return b""


def apply_partial(data: bytes, partial: tuple[int, int] | None) -> bytes:
    """``<origin.count>`` substring (RFC 3501 §6.4.5); past the end gives empty."""
    if partial is None:
        return data
    origin, count = partial
    return data[origin : origin + count]


def section_bytes(
    raw: bytes, section: str | Section, partial: tuple[int, int] | None = None
) -> bytes:
    """Contents of ``BODY[section]<partial>`` for a raw message; ``b""`` if absent.

    ``section`` is the text between the brackets (``""``, ``"HEADER"``, ``"1.2.MIME"``,
    ``"HEADER.FIELDS (From To)"``...) or a parsed ``Section``.
    """
    spec = Section.parse(section) if isinstance(section, str) else section
    data = section_of(parse_mime(raw), raw, spec)
    return apply_partial(data or b"", partial)
