"""SMTP command arguments as pure functions: no I/O, no asyncio, no session.

* `parse_path`: the reverse-path / forward-path of MAIL FROM: and RCPT TO: (RFC 5321
  §4.1.2, §3.3), with what follows it (the ESMTP parameters, RFC 5321 §4.1.2
  `Mail-parameters`).
* `parse_params`: `esmtp-param *(SP esmtp-param)` with `esmtp-keyword ["=" esmtp-value]`
  (RFC 5321 §4.1.2), keywords upper-cased.
* `parse_mail_params`: SIZE (RFC 1870), BODY (RFC 6152) and SMTPUTF8 (RFC 6531) of MAIL.

The address itself is read as aiosmtpd 1.4.6 read it (the standard library's RFC 5322
`angle-addr` / `addr-spec` parser), so that moving the grammar here changed no reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from email._header_value_parser import get_addr_spec, get_angle_addr
from email.errors import HeaderParseError
from enum import Enum

MAX_ADDRESS = 254   # RFC 5321 §4.5.3.1.3 path limit (256) minus the angle brackets


class PathError(Enum):
    SYNTAX = "syntax"          # not `FROM:<path>` / `TO:<path>` at all: 501
    MALFORMED = "malformed"    # a path, but not a usable address: 553


@dataclass(frozen=True)
class Path:
    address: str    # "" for the null reverse-path <>
    rest: str       # the text after the path: the ESMTP parameters


def strip_keyword(arg: str, keyword: str) -> str | None:
    """`arg` without its leading `keyword` ("FROM:", "TO:"; any case), or None."""
    if arg[:len(keyword)].upper() == keyword:
        return arg[len(keyword):].strip()
    return None


def read_address(text: str) -> tuple[str, str] | None:
    """(address, rest) from `<addr> rest` or `addr rest`; None if unreadable."""
    if not text:
        return "", ""
    try:
        if text.lstrip().startswith("<"):
            angle, rest = get_angle_addr(text)
            address = angle.addr_spec
        else:
            spec, rest = get_addr_spec(text)
            address = spec.addr_spec
    except (HeaderParseError, IndexError):
        # IndexError: the stdlib parser fails so on e.g. "0@" (aiosmtpd let it escape and
        # answered 451 with a traceback in the log); a malformed address for us.
        return None
    return str(address), str(rest)


def parse_path(arg: str | None, keyword: str, *, null_ok: bool) -> Path | PathError:
    """The path of `MAIL FROM:` (`null_ok`: <> allowed) or `RCPT TO:`."""
    if arg is None:
        return PathError.SYNTAX
    text = strip_keyword(arg, keyword)
    if text is None:
        return PathError.SYNTAX
    if null_ok and text.startswith("<>"):
        return Path("", text[2:])
    read = read_address(text)
    if read is None:
        return PathError.MALFORMED
    address, rest = read
    if not address:
        return PathError.SYNTAX
    if "@" not in address or not address.rpartition("@")[2] or len(address) > MAX_ADDRESS:
        return PathError.MALFORMED
    return Path(address, rest)


def parse_params(text: str) -> dict[str, str] | None:
    """ESMTP parameters by upper-case keyword ("" for a keyword without value), or None
    when one is not `keyword[=value]` with an alphanumeric keyword."""
    out: dict[str, str] = {}
    for token in text.split():
        key, eq, value = token.partition("=")
        if not key.isalnum() or (eq and not value):
            return None
        out[key.upper()] = value
    return out


class MailParamError(Enum):
    BAD_SIZE = "bad-size"            # SIZE is not a number
    TOO_BIG = "too-big"              # SIZE above what we accept
    BAD_BODY = "bad-body"            # BODY neither 7BIT nor 8BITMIME
    SMTPUTF8_VALUE = "smtputf8-value"  # SMTPUTF8 takes no value


@dataclass(frozen=True)
class MailParams:
    size: int | None
    body: str          # "7BIT" or "8BITMIME"
    smtputf8: bool


def parse_mail_params(params: dict[str, str], max_size: int) -> MailParams | MailParamError:
    """SIZE, BODY and SMTPUTF8 of MAIL, checked in that order (first error wins)."""
    size = None
    if "SIZE" in params:
        if not params["SIZE"].isdigit():
            return MailParamError.BAD_SIZE
        size = int(params["SIZE"])
        if size > max_size:
            return MailParamError.TOO_BIG
    body = params.get("BODY", "7BIT").upper()
    if body not in ("7BIT", "8BITMIME"):
        return MailParamError.BAD_BODY
    if params.get("SMTPUTF8"):
        return MailParamError.SMTPUTF8_VALUE
    return MailParams(size, body, "SMTPUTF8" in params)
