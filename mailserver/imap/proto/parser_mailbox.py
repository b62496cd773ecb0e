"""Authenticated-state commands on mailboxes (RFC 3501 §6.3) and their extensions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from . import commands as c
from .imapdate import parse_datetime
from .reader import Reader

# RFC 3501 §9 status-att, RFC 7162 §3.1.9 HIGHESTMODSEQ, RFC 7889 §4 APPENDLIMIT
STATUS_ITEMS = frozenset(
    {"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "HIGHESTMODSEQ", "APPENDLIMIT"}
)
# RFC 5258 §6 list-select-base-opt / list-select-mod-opt, RFC 6154 §6
LIST_SELECT_OPTS = frozenset({"SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"})
# RFC 5258 §6 return-option, RFC 6154 §6, RFC 5819 §2
LIST_RETURN_OPTS = frozenset({"SUBSCRIBED", "CHILDREN", "SPECIAL-USE", "STATUS"})


def _one_mailbox(cls: Callable[[str, str], c.Command]) -> Callable[[Reader, str], c.Command]:
    """``NAME SP mailbox`` (DELETE §6.3.4, SUBSCRIBE §6.3.6, UNSUBSCRIBE §6.3.7)."""

    def parse(r: Reader, tag: str) -> c.Command:
        r.sp()
        mailbox = r.mailbox()
        r.end()
        return cls(tag, mailbox)

    return parse


def _select(readonly: bool) -> Callable[[Reader, str], c.Command]:
    """ "SELECT"/"EXAMINE" SP mailbox [SP "(" select-param ")"] (RFC 3501 §9, RFC 7162 §7)."""

    def parse(r: Reader, tag: str) -> c.Command:
        r.sp()
        mailbox = r.mailbox()
        condstore = False
        if r.try_sp():
            for param in r.paren_list("keyword"):
                if param != "CONDSTORE":
                    raise r.error(f"unknown select parameter {param}")
                condstore = True
        r.end()
        cls = c.Examine if readonly else c.Select
        return cls(tag, mailbox, condstore)

    return parse


def _create(r: Reader, tag: str) -> c.Command:
    """ "CREATE" SP mailbox [SP "(" "USE" SP "(" use-attr ... ")" ")"] (RFC 6154 §6)."""
    r.sp()
    mailbox = r.mailbox()
    uses: tuple[str, ...] = ()
    if r.try_sp():
        r.expect(b"(")
        if r.keyword() != "USE":
            raise r.error("unknown CREATE parameter")
        r.sp()
        uses = r.flag_list()
        if not uses or any(not u.startswith("\\") for u in uses):
            raise r.error("invalid USE attribute")
        r.expect(b")")
    r.end()
    return c.Create(tag, mailbox, uses)


def _rename(r: Reader, tag: str) -> c.Command:
    """ "RENAME" SP mailbox SP mailbox (RFC 3501 §9)."""
    r.sp()
    old = r.mailbox()
    r.sp()
    new = r.mailbox()
    r.end()
    return c.Rename(tag, old, new)


def _list(r: Reader, tag: str) -> c.Command:
    """list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
    (RFC 5258 §6; plain RFC 3501 §6.3.8 form when no options)."""
    r.sp()
    selection: tuple[str, ...] = ()
    extended = False
    if r.peek() == 0x28:
        selection = r.paren_list("keyword")
        extended = True
        if any(opt not in LIST_SELECT_OPTS for opt in selection):
            raise r.error("unknown LIST selection option")
        r.sp()
    reference = r.reference()
    r.sp()
    if r.peek() == 0x28:
        r.pos += 1
        extended = True
        patterns = [r.list_mailbox()]
        while r.try_sp():
            patterns.append(r.list_mailbox())
        r.expect(b")")
    else:
        patterns = [r.list_mailbox()]
    return_opts: list[str] = []
    status_items: tuple[str, ...] = ()
    if r.try_sp():
        extended = True
        if r.keyword() != "RETURN":
            raise r.error("expected RETURN")
        r.sp()
        r.expect(b"(")
        while r.peek() != 0x29:
            if return_opts:
                r.sp()
            opt = r.keyword()
            if opt not in LIST_RETURN_OPTS:
                raise r.error(f"unknown LIST return option {opt}")
            if opt == "STATUS":
                r.sp()
                status_items = _status_items(r)
            return_opts.append(opt)
        r.pos += 1
    r.end()
    return c.List(
        tag, reference, tuple(patterns), selection, tuple(return_opts), status_items, extended
    )


def _lsub(r: Reader, tag: str) -> c.Command:
    """ "LSUB" SP mailbox SP list-mailbox (RFC 3501 §9)."""
    r.sp()
    reference = r.reference()
    r.sp()
    pattern = r.list_mailbox()
    r.end()
    return c.Lsub(tag, reference, pattern)


def _status_items(r: Reader) -> tuple[str, ...]:
    """ "(" status-att *(SP status-att) ")" (RFC 3501 §9)."""
    items = r.paren_list("keyword")
    if not items or any(i not in STATUS_ITEMS for i in items):
        raise r.error("invalid STATUS item")
    return items


def _status(r: Reader, tag: str) -> c.Command:
    """ "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")" (RFC 3501 §9)."""
    r.sp()
    mailbox = r.mailbox()
    r.sp()
    items = _status_items(r)
    r.end()
    return c.Status(tag, mailbox, items)


def _append(r: Reader, tag: str) -> c.Command:
    """ "APPEND" SP mailbox [SP flag-list] [SP date-time] SP literal (RFC 3501 §9)."""
    r.sp()
    mailbox = r.mailbox()
    r.sp()
    flags: tuple[str, ...] = ()
    when: datetime | None = None
    if r.peek() == 0x28:
        flags = r.flag_list()
        if "\\*" in flags or "\\Recent" in flags:
            raise r.error("invalid APPEND flag")
        r.sp()
    if r.peek() == 0x22:
        try:
            when = parse_datetime(r.quoted().decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            raise r.error("invalid date-time") from None
        r.sp()
    if r.peek() != 0x7B:
        raise r.error("APPEND needs a literal")
    message = r.literal()
    r.end()
    return c.Append(tag, mailbox, flags, when, message)


MAILBOX_PARSERS: dict[str, Callable[[Reader, str], c.Command]] = {
    "SELECT": _select(False),
    "EXAMINE": _select(True),
    "CREATE": _create,
    "DELETE": _one_mailbox(c.Delete),
    "RENAME": _rename,
    "SUBSCRIBE": _one_mailbox(c.Subscribe),
    "UNSUBSCRIBE": _one_mailbox(c.Unsubscribe),
    "LIST": _list,
    "LSUB": _lsub,
    "STATUS": _status,
    "APPEND": _append,
}
