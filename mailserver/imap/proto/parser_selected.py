"""Selected-state commands (RFC 3501 §6.4) and their UID forms (§6.4.8, RFC 4315 §2.1)."""

from __future__ import annotations

from collections.abc import Callable

from . import commands as c
from .fetchatt import MACROS, FetchAtt, parse_fetch_att
from .reader import Reader
from .search import charset_decoder, parse_search_program

Parser = Callable[[Reader, str], c.Command]


def _search(uid: bool) -> Parser:
    """ "SEARCH" [SP "CHARSET" SP astring] 1*(SP search-key) (RFC 3501 §9)."""

    def parse(r: Reader, tag: str) -> c.Command:
        r.sp()
        charset: str | None = None
        if r.peek_word_ci(b"CHARSET"):
            r.pos += len(b"CHARSET")
            r.sp()
            charset = r.text_astring().upper()
            r.sp()
        key = parse_search_program(r, charset_decoder(charset, tag))
        r.end()
        return c.Search(tag, charset, key, uid)

    return parse


def _fetch(uid: bool) -> Parser:
    """ "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att /
    "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers] (RFC 3501 §9, RFC 7162 §7)."""

    def parse(r: Reader, tag: str) -> c.Command:
        r.sp()
        seqset = r.sequence_set()
        r.sp()
        macro: str | None = None
        items: list[FetchAtt] = []
        if r.peek() == 0x28:
            r.pos += 1
            items.append(parse_fetch_att(r))
            while r.try_sp():
                items.append(parse_fetch_att(r))
            r.expect(b")")
        else:
            for name in MACROS:
                if r.peek_word_ci(name.encode()):
                    r.pos += len(name)
                    macro = name
                    items = [FetchAtt(n) for n in MACROS[name]]
                    break
            else:
                items.append(parse_fetch_att(r))
        changedsince: int | None = None
        if r.try_sp():
            changedsince = _modifier(r, "CHANGEDSINCE")
        r.end()
        if uid and not any(i.name == "UID" and i.section is None for i in items):
            items.append(FetchAtt("UID"))  # RFC 3501 §6.4.8: UID FETCH implies UID
        if changedsince is not None and not any(i.name == "MODSEQ" for i in items):
            items.append(FetchAtt("MODSEQ"))  # RFC 7162 §3.1.4.1
        return c.Fetch(tag, seqset, tuple(items), uid, macro, changedsince)

    return parse


def _modifier(r: Reader, name: str) -> int:
    """ "(" name SP mod-sequence-value ")" (RFC 7162 §7 fetch/store modifiers)."""
    r.expect(b"(")
    if r.keyword() != name:
        raise r.error(f"expected {name}")
    r.sp()
    value = r.number64()
    r.expect(b")")
    return value


def _store(uid: bool) -> Parser:
    """ "STORE" SP sequence-set [store-modifiers] SP store-att-flags (RFC 3501 §9,
    RFC 7162 §7); store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP
    (flag-list / (flag *(SP flag)))."""

    def parse(r: Reader, tag: str) -> c.Command:
        r.sp()
        seqset = r.sequence_set()
        r.sp()
        unchangedsince: int | None = None
        if r.peek() == 0x28:
            unchangedsince = _modifier(r, "UNCHANGEDSINCE")
            r.sp()
        mode: c.StoreMode = "replace"
        if r.peek() in (0x2B, 0x2D):
            mode = "add" if r.peek() == 0x2B else "remove"
            r.pos += 1
        word = r.keyword()
        if word not in ("FLAGS", "FLAGS.SILENT"):
            raise r.error("expected FLAGS")
        r.sp()
        if r.peek() == 0x28:
            flags = r.flag_list()
        else:
            flag_items = [r.flag()]
            while r.try_sp():
                flag_items.append(r.flag())
            flags = tuple(flag_items)
        if "\\*" in flags:
            raise r.error("invalid flag \\*")
        r.end()
        return c.Store(tag, seqset, mode, word.endswith(".SILENT"), flags, uid, unchangedsince)

    return parse


def _copy_like(cls: type[c.Copy] | type[c.Move], uid: bool) -> Parser:
    """ "COPY"/"MOVE" SP sequence-set SP mailbox (RFC 3501 §9, RFC 6851 §4)."""

    def parse(r: Reader, tag: str) -> c.Command:
        r.sp()
        seqset = r.sequence_set()
        r.sp()
        mailbox = r.mailbox()
        r.end()
        return cls(tag, seqset, mailbox, uid)

    return parse


def _uid_expunge(r: Reader, tag: str) -> c.Command:
    """uid-expunge = "UID" SP "EXPUNGE" SP sequence-set (RFC 4315 §3)."""
    r.sp()
    seqset = r.sequence_set()
    r.end()
    return c.Expunge(tag, seqset)


SELECTED_PARSERS: dict[str, Parser] = {
    "SEARCH": _search(False),
    "FETCH": _fetch(False),
    "STORE": _store(False),
    "COPY": _copy_like(c.Copy, False),
    "MOVE": _copy_like(c.Move, False),
}

UID_PARSERS: dict[str, Parser] = {
    "SEARCH": _search(True),
    "FETCH": _fetch(True),
    "STORE": _store(True),
    "COPY": _copy_like(c.Copy, True),
    "MOVE": _copy_like(c.Move, True),
    "EXPUNGE": _uid_expunge,
}
