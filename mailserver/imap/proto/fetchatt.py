"""FETCH attributes and body sections (RFC 3501 §6.4.5, §9 ``fetch-att``, ``section``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import ParseError

if TYPE_CHECKING:
    from .reader import Reader

SIMPLE_ATTS = frozenset(
    {
        "ENVELOPE",
        "FLAGS",
        "INTERNALDATE",
        "RFC822",
        "RFC822.HEADER",
        "RFC822.SIZE",
        "RFC822.TEXT",
        "BODY",
        "BODYSTRUCTURE",
        "UID",
        "MODSEQ",  # RFC 7162 §3.1.4.1
    }
)

# RFC 3501 §6.4.5 macros
MACROS: dict[str, tuple[str, ...]] = {
    "ALL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"),
    "FAST": ("FLAGS", "INTERNALDATE", "RFC822.SIZE"),
    "FULL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"),
}

_MSGTEXT = ("HEADER.FIELDS.NOT", "HEADER.FIELDS", "HEADER", "TEXT", "MIME")


@dataclass(frozen=True)
class Section:
    """section-spec (RFC 3501 §9): part path then optional text specifier.

    ``text`` is one of HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME or None;
    ``fields`` holds the header-list for HEADER.FIELDS[.NOT].
    """

    part: tuple[int, ...] = ()
    text: str | None = None
    fields: tuple[str, ...] = ()

    def spec(self) -> str:
        """The text between the brackets, as echoed in the FETCH response."""
        pieces = [".".join(str(p) for p in self.part)] if self.part else []
        if self.text:
            pieces.append(self.text)
        out = ".".join(pieces)
        if self.fields:
            out += " (" + " ".join(_field_wire(f) for f in self.fields) + ")"
        return out

    @classmethod
    def parse(cls, text: str) -> Section:
        """Parse a section-spec without brackets, e.g. ``1.2.HEADER.FIELDS (From)``."""
        from .reader import Reader

        reader = Reader(b"[" + text.encode("utf-8") + b"]")
        section = parse_section(reader)
        reader.end()
        return section


def _field_wire(name: str) -> str:
    if name and all(33 <= ord(c) < 127 and c not in '(){ %*"\\]' for c in name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class FetchAtt:
    """One fetch-att (RFC 3501 §9).  ``BODY[...]``/``BODY.PEEK[...]`` have a section."""

    name: str
    section: Section | None = None
    partial: tuple[int, int] | None = None
    peek: bool = False

    def response_name(self) -> str:
        """msg-att name in the response: ``BODY[spec]<origin>`` (RFC 3501 §7.4.2)."""
        if self.section is None:
            return self.name
        out = f"BODY[{self.section.spec()}]"
        if self.partial is not None:
            out += f"<{self.partial[0]}>"
        return out

    @property
    def sets_seen(self) -> bool:
        """Fetching it implicitly sets \\Seen (RFC 3501 §6.4.5)."""
        if self.section is not None:
            return not self.peek
        return self.name in ("RFC822", "RFC822.TEXT")


def parse_section(r: Reader) -> Section:
    """section = "[" [section-spec] "]" (RFC 3501 §9)."""
    r.expect(b"[")
    part: list[int] = []
    text: str | None = None
    fields: tuple[str, ...] = ()
    need_text = False
    while (c := r.peek()) is not None and 0x30 <= c <= 0x39:
        part.append(r.nz_number())
        if not r.peek_is(b"."):
            break
        r.pos += 1
        nxt = r.peek()
        if nxt is None or not 0x30 <= nxt <= 0x39:
            need_text = True
            break
    if need_text or (not part and r.peek() != 0x5D):
        text = _section_text(r, bool(part))
        if text.startswith("HEADER.FIELDS"):
            r.sp()
            fields = _header_list(r)
    r.expect(b"]")
    return Section(tuple(part), text, fields)


def _section_text(r: Reader, has_part: bool) -> str:
    """section-msgtext / "MIME" (MIME only after a part number; RFC 3501 §9)."""
    for name in _MSGTEXT:
        if r.data[r.pos : r.pos + len(name)].upper() == name.encode():
            after = r.data[r.pos + len(name) : r.pos + len(name) + 1]
            if after in (b"", b"]", b" "):
                if name == "MIME" and not has_part:
                    break
                r.pos += len(name)
                return name
    raise r.error("invalid section text")


def _header_list(r: Reader) -> tuple[str, ...]:
    """header-list = "(" header-fld-name *(SP header-fld-name) ")" (RFC 3501 §9)."""
    r.expect(b"(")
    names = [r.text_astring()]
    while r.try_sp():
        names.append(r.text_astring())
    r.expect(b")")
    return tuple(names)


def parse_fetch_att(r: Reader) -> FetchAtt:
    """fetch-att (RFC 3501 §9; MODSEQ from RFC 7162 §3.1.4.1)."""
    start = r.pos
    while (c := r.peek()) is not None and c not in b" ()[]":
        r.pos += 1
    word = r.data[start : r.pos].decode("ascii", "replace").upper()
    if word in ("BODY", "BODY.PEEK") and r.peek() == 0x5B:
        section = parse_section(r)
        partial: tuple[int, int] | None = None
        if r.peek_is(b"<"):
            r.pos += 1
            origin = r.number()
            r.expect(b".")
            count = r.nz_number()
            r.expect(b">")
            partial = (origin, count)
        return FetchAtt("BODY", section, partial, peek=word == "BODY.PEEK")
    if word in SIMPLE_ATTS:
        return FetchAtt(word)
    raise ParseError(r.tag, f"unknown fetch attribute {word!r}")
