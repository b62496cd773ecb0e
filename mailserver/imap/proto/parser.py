"""``parse_command``: one framed command -> typed ``Command`` (RFC 3501 §9 ``command``).

Extensions: UIDPLUS (RFC 4315), MOVE (RFC 6851), UNSELECT (RFC 3691), NAMESPACE (RFC 2342),
ID (RFC 2971), ENABLE (RFC 5161), SPECIAL-USE (RFC 6154), LIST-EXTENDED (RFC 5258),
LIST-STATUS (RFC 5819), LITERAL+ (RFC 7888), SASL-IR (RFC 4959), CONDSTORE (RFC 7162),
IDLE (RFC 2177).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from . import commands as c
from .errors import ParseError
from .parser_mailbox import MAILBOX_PARSERS
from .parser_selected import SELECTED_PARSERS, UID_PARSERS
from .reader import Reader

# RFC 3501 §9: commands taking no argument
_NO_ARGS: dict[str, Callable[[str], c.Command]] = {
    "CAPABILITY": c.Capability,
    "NOOP": c.Noop,
    "LOGOUT": c.Logout,
    "STARTTLS": c.StartTLS,
    "CHECK": c.Check,
    "CLOSE": c.Close,
    "UNSELECT": c.Unselect,  # RFC 3691 §2
    "EXPUNGE": c.Expunge,
    "IDLE": c.Idle,  # RFC 2177 §3
    "NAMESPACE": c.Namespace,  # RFC 2342 §5
}

_BASE64 = re.compile(rb"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")


def parse_command(raw: bytes) -> c.Command:
    """Parse one complete command (as framed by ``CommandFramer``, CRLF optional).

    Raises ``ParseError`` (tag set once it was read) for any malformed input.
    """
    r = Reader(raw)
    tag = r.read_tag()
    r.sp()
    name = r.keyword()
    if name in _NO_ARGS:
        r.end()
        return _NO_ARGS[name](tag)
    if name == "UID":
        r.sp()
        sub = r.keyword()
        parser = UID_PARSERS.get(sub)
        if parser is None:
            raise r.error(f"unknown UID command {sub}")
        return parser(r, tag)
    parser = _PARSERS.get(name) or MAILBOX_PARSERS.get(name) or SELECTED_PARSERS.get(name)
    if parser is None:
        raise r.error(f"unknown command {name}")
    return parser(r, tag)


def parse_idle_done(raw: bytes) -> bool:
    """``idle = "IDLE" CRLF *(...) "DONE"`` (RFC 2177 §4): is this line ``DONE``?"""
    line = raw.rstrip(b"\r\n")
    return line.upper() == b"DONE"


def parse_sasl_response(raw: bytes) -> bytes | None:
    """A client SASL line (RFC 3501 §6.2.2): base64 -> bytes; ``None`` for ``*`` (cancel).

    Raises ``ParseError`` (no tag) when the line is not base64.
    """
    import base64

    line = raw.rstrip(b"\r\n")
    if line == b"*":
        return None
    if not _BASE64.match(line):
        raise ParseError(None, "invalid base64 in SASL response")
    return base64.b64decode(line)


def _authenticate(r: Reader, tag: str) -> c.Command:
    """ "AUTHENTICATE" SP auth-type [SP (base64 / "=")] (RFC 3501 §9, RFC 4959 §7)."""
    r.sp()
    mechanism = r.keyword()
    initial: str | None = None
    if r.try_sp():
        rest = r.data[r.pos :]
        if rest == b"=":
            initial = ""
        elif rest and _BASE64.match(rest):
            initial = rest.decode("ascii")
        else:
            raise r.error("invalid SASL initial response")
        r.pos = len(r.data)
    r.end()
    return c.Authenticate(tag, mechanism, initial)


def _login(r: Reader, tag: str) -> c.Command:
    """ "LOGIN" SP userid SP password (RFC 3501 §9)."""
    r.sp()
    user = r.text_astring()
    r.sp()
    password = r.text_astring()
    r.end()
    return c.Login(tag, user, password)


def _id(r: Reader, tag: str) -> c.Command:
    """id = "ID" SP id-params-list (RFC 2971 §4)."""
    r.sp()
    if r.peek_word_ci(b"NIL"):
        r.pos += 3
        r.end()
        return c.Id(tag, None)
    r.expect(b"(")
    params: list[tuple[str, str | None]] = []
    while r.peek() != 0x29:
        if params:
            r.sp()
        key = r.string().decode("utf-8", "replace")
        r.sp()
        value = r.nstring_or_nil()
        params.append((key, None if value is None else value.decode("utf-8", "replace")))
        if len(params) > 30:
            raise r.error("too many ID parameters")
    r.expect(b")")
    r.end()
    return c.Id(tag, tuple(params))


def _enable(r: Reader, tag: str) -> c.Command:
    """ "ENABLE" 1*(SP capability) (RFC 5161 §4)."""
    caps: list[str] = []
    while r.try_sp():
        caps.append(r.keyword())
    if not caps:
        raise r.error("ENABLE needs a capability")
    r.end()
    return c.Enable(tag, tuple(caps))


_PARSERS: dict[str, Callable[[Reader, str], c.Command]] = {
    "AUTHENTICATE": _authenticate,
    "LOGIN": _login,
    "ID": _id,
    "ENABLE": _enable,
}
