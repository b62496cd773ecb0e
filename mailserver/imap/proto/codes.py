"""Response codes (RFC 3501 §7.1, RFC 5530, RFC 4315 §3, RFC 7162 §3.1, RFC 4469...)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .seqset import SequenceSet


@dataclass(frozen=True)
class ResponseCode:
    """``[NAME]`` or ``[NAME args]`` (RFC 3501 §9 ``resp-text-code``)."""

    name: str
    args: str | None = None

    def to_bytes(self) -> bytes:
        inner = self.name if self.args is None else f"{self.name} {self.args}"
        return b"[" + inner.encode("ascii") + b"]"


# RFC 3501 §7.1
ALERT = ResponseCode("ALERT")
PARSE = ResponseCode("PARSE")
READ_ONLY = ResponseCode("READ-ONLY")
READ_WRITE = ResponseCode("READ-WRITE")
TRYCREATE = ResponseCode("TRYCREATE")
# RFC 7162 §3.1.2 / §3.2.10 / RFC 7162 §3.2.11 (QRESYNC CLOSED, also used by RFC 9051)
NOMODSEQ = ResponseCode("NOMODSEQ")
CLOSED = ResponseCode("CLOSED")
# RFC 4469 §4 / RFC 7889 §4
TOOBIG = ResponseCode("TOOBIG")
# RFC 5530 §3
UNAVAILABLE = ResponseCode("UNAVAILABLE")
AUTHENTICATIONFAILED = ResponseCode("AUTHENTICATIONFAILED")
AUTHORIZATIONFAILED = ResponseCode("AUTHORIZATIONFAILED")
EXPIRED = ResponseCode("EXPIRED")
PRIVACYREQUIRED = ResponseCode("PRIVACYREQUIRED")
CONTACTADMIN = ResponseCode("CONTACTADMIN")
NOPERM = ResponseCode("NOPERM")
INUSE = ResponseCode("INUSE")
EXPUNGEISSUED = ResponseCode("EXPUNGEISSUED")
CORRUPTION = ResponseCode("CORRUPTION")
SERVERBUG = ResponseCode("SERVERBUG")
CLIENTBUG = ResponseCode("CLIENTBUG")
CANNOT = ResponseCode("CANNOT")
LIMIT = ResponseCode("LIMIT")
OVERQUOTA = ResponseCode("OVERQUOTA")
ALREADYEXISTS = ResponseCode("ALREADYEXISTS")
NONEXISTENT = ResponseCode("NONEXISTENT")


def capability(caps: Iterable[str]) -> ResponseCode:
    """``[CAPABILITY ...]`` (RFC 3501 §7.1)."""
    return ResponseCode("CAPABILITY", " ".join(caps))


def permanentflags(flags: Iterable[str]) -> ResponseCode:
    """``[PERMANENTFLAGS (...)]`` (RFC 3501 §7.1); include ``\\*`` for keywords."""
    return ResponseCode("PERMANENTFLAGS", "(" + " ".join(flags) + ")")


def badcharset(charsets: Iterable[str] = ("UTF-8", "US-ASCII")) -> ResponseCode:
    """``[BADCHARSET (...)]`` (RFC 3501 §7.1)."""
    return ResponseCode("BADCHARSET", "(" + " ".join(charsets) + ")")


def uidvalidity(n: int) -> ResponseCode:
    """``[UIDVALIDITY n]`` (RFC 3501 §7.1)."""
    return ResponseCode("UIDVALIDITY", str(n))


def uidnext(n: int) -> ResponseCode:
    """``[UIDNEXT n]`` (RFC 3501 §7.1)."""
    return ResponseCode("UIDNEXT", str(n))


def unseen(n: int) -> ResponseCode:
    """``[UNSEEN n]`` (RFC 3501 §7.1): first unseen sequence number."""
    return ResponseCode("UNSEEN", str(n))


def appenduid(uidvalidity: int, uids: int | SequenceSet) -> ResponseCode:
    """``[APPENDUID uidvalidity uid-set]`` (RFC 4315 §3)."""
    return ResponseCode("APPENDUID", f"{uidvalidity} {uids}")


def copyuid(uidvalidity: int, source: SequenceSet, dest: SequenceSet) -> ResponseCode:
    """``[COPYUID uidvalidity source-uids dest-uids]`` (RFC 4315 §3)."""
    return ResponseCode("COPYUID", f"{uidvalidity} {source} {dest}")


def highestmodseq(n: int) -> ResponseCode:
    """``[HIGHESTMODSEQ n]`` (RFC 7162 §3.1.2.1)."""
    return ResponseCode("HIGHESTMODSEQ", str(n))


def modified(uids: SequenceSet) -> ResponseCode:
    """``[MODIFIED set]`` (RFC 7162 §3.1.3)."""
    return ResponseCode("MODIFIED", str(uids))
