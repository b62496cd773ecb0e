"""Typed IMAP commands (RFC 3501 §6 and the extensions listed in ``parser``).

Every command is a frozen dataclass with a ``tag`` and a class-level ``name`` (the
upper-case command name used for dispatch).  UID variants carry ``uid=True``.
Mailbox names are Unicode (modified UTF-7 decoded, ``INBOX`` normalised).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Literal

from .fetchatt import FetchAtt
from .search import SearchKey
from .seqset import SequenceSet


@dataclass(frozen=True)
class Command:
    """Base class: all commands have a tag."""

    name: ClassVar[str] = ""
    tag: str


# --- RFC 3501 §6.1 any state ------------------------------------------------------------
@dataclass(frozen=True)
class Capability(Command):
    """RFC 3501 §6.1.1."""

    name: ClassVar[str] = "CAPABILITY"


@dataclass(frozen=True)
class Noop(Command):
    """RFC 3501 §6.1.2."""

    name: ClassVar[str] = "NOOP"


@dataclass(frozen=True)
class Logout(Command):
    """RFC 3501 §6.1.3."""

    name: ClassVar[str] = "LOGOUT"


# --- RFC 3501 §6.2 not authenticated -----------------------------------------------------
@dataclass(frozen=True)
class StartTLS(Command):
    """RFC 3501 §6.2.1."""

    name: ClassVar[str] = "STARTTLS"


@dataclass(frozen=True)
class Authenticate(Command):
    """RFC 3501 §6.2.2; ``initial_response`` from SASL-IR (RFC 4959 §3), base64 text.

    ``initial_response`` is ``""`` when the client sent ``=`` (empty response).
    """

    name: ClassVar[str] = "AUTHENTICATE"
    mechanism: str
    initial_response: str | None = None


@dataclass(frozen=True)
class Login(Command):
    """RFC 3501 §6.2.3."""

    name: ClassVar[str] = "LOGIN"
    username: str
    password: str = field(repr=False)


# --- RFC 3501 §6.3 authenticated ---------------------------------------------------------
@dataclass(frozen=True)
class Select(Command):
    """RFC 3501 §6.3.1; ``condstore`` = ``(CONDSTORE)`` select-param (RFC 7162 §3.1.8)."""

    name: ClassVar[str] = "SELECT"
    mailbox: str
    condstore: bool = False


@dataclass(frozen=True)
class Examine(Command):
    """RFC 3501 §6.3.2 (read-only SELECT)."""

    name: ClassVar[str] = "EXAMINE"
    mailbox: str
    condstore: bool = False


@dataclass(frozen=True)
class Create(Command):
    """RFC 3501 §6.3.3; ``special_use`` from ``(USE (...))`` (RFC 6154 §3)."""

    name: ClassVar[str] = "CREATE"
    mailbox: str
    special_use: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delete(Command):
    """RFC 3501 §6.3.4."""

    name: ClassVar[str] = "DELETE"
    mailbox: str


@dataclass(frozen=True)
class Rename(Command):
    """RFC 3501 §6.3.5."""

    name: ClassVar[str] = "RENAME"
    old: str
    new: str


@dataclass(frozen=True)
class Subscribe(Command):
    """RFC 3501 §6.3.6."""

    name: ClassVar[str] = "SUBSCRIBE"
    mailbox: str


@dataclass(frozen=True)
class Unsubscribe(Command):
    """RFC 3501 §6.3.7."""

    name: ClassVar[str] = "UNSUBSCRIBE"
    mailbox: str


@dataclass(frozen=True)
class List(Command):
    """RFC 3501 §6.3.8 and LIST-EXTENDED (RFC 5258 §3).

    ``selection``: upper-case selection options (SUBSCRIBED, REMOTE, RECURSIVEMATCH,
    SPECIAL-USE).  ``return_opts``: upper-case return options (SUBSCRIBED, CHILDREN,
    SPECIAL-USE, STATUS); ``status_items`` for ``RETURN (STATUS (...))`` (RFC 5819).
    ``extended`` is true when any LIST-EXTENDED syntax was used.
    """

    name: ClassVar[str] = "LIST"
    reference: str
    patterns: tuple[str, ...]
    selection: tuple[str, ...] = ()
    return_opts: tuple[str, ...] = ()
    status_items: tuple[str, ...] = ()
    extended: bool = False


@dataclass(frozen=True)
class Lsub(Command):
    """RFC 3501 §6.3.9."""

    name: ClassVar[str] = "LSUB"
    reference: str
    pattern: str


@dataclass(frozen=True)
class Status(Command):
    """RFC 3501 §6.3.10; items upper-case (HIGHESTMODSEQ from RFC 7162 §3.1.9)."""

    name: ClassVar[str] = "STATUS"
    mailbox: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Append(Command):
    """RFC 3501 §6.3.11 (single message)."""

    name: ClassVar[str] = "APPEND"
    mailbox: str
    flags: tuple[str, ...]
    date_time: datetime | None
    message: bytes = field(repr=False)


@dataclass(frozen=True)
class Namespace(Command):
    """RFC 2342 §5."""

    name: ClassVar[str] = "NAMESPACE"


@dataclass(frozen=True)
class Id(Command):
    """RFC 2971 §3.1: ``params`` is None for ``ID NIL``."""

    name: ClassVar[str] = "ID"
    params: tuple[tuple[str, str | None], ...] | None


@dataclass(frozen=True)
class Enable(Command):
    """RFC 5161 §3.1: capability names upper-cased."""

    name: ClassVar[str] = "ENABLE"
    capabilities: tuple[str, ...]


@dataclass(frozen=True)
class Idle(Command):
    """RFC 2177 §3; the terminating ``DONE`` line is parsed by ``parse_idle_done``."""

    name: ClassVar[str] = "IDLE"


# --- RFC 3501 §6.4 selected ------------------------------------------------------------
@dataclass(frozen=True)
class Check(Command):
    """RFC 3501 §6.4.1."""

    name: ClassVar[str] = "CHECK"


@dataclass(frozen=True)
class Close(Command):
    """RFC 3501 §6.4.2."""

    name: ClassVar[str] = "CLOSE"


@dataclass(frozen=True)
class Unselect(Command):
    """RFC 3691 §2."""

    name: ClassVar[str] = "UNSELECT"


@dataclass(frozen=True)
class Expunge(Command):
    """RFC 3501 §6.4.3; ``uids`` set for UID EXPUNGE (RFC 4315 §2.1)."""

    name: ClassVar[str] = "EXPUNGE"
    uids: SequenceSet | None = None

    @property
    def uid(self) -> bool:
        return self.uids is not None


@dataclass(frozen=True)
class Search(Command):
    """RFC 3501 §6.4.4; ``key`` is the AND of all top-level keys."""

    name: ClassVar[str] = "SEARCH"
    charset: str | None
    key: SearchKey
    uid: bool = False


@dataclass(frozen=True)
class Fetch(Command):
    """RFC 3501 §6.4.5; macros expanded into ``items`` (``macro`` keeps the name).

    ``changedsince`` is the CHANGEDSINCE fetch modifier (RFC 7162 §3.1.4).
    """

    name: ClassVar[str] = "FETCH"
    sequence_set: SequenceSet
    items: tuple[FetchAtt, ...]
    uid: bool = False
    macro: str | None = None
    changedsince: int | None = None


StoreMode = Literal["replace", "add", "remove"]


@dataclass(frozen=True)
class Store(Command):
    """RFC 3501 §6.4.6; ``unchangedsince`` from RFC 7162 §3.1.3."""

    name: ClassVar[str] = "STORE"
    sequence_set: SequenceSet
    mode: StoreMode
    silent: bool
    flags: tuple[str, ...]
    uid: bool = False
    unchangedsince: int | None = None


@dataclass(frozen=True)
class Copy(Command):
    """RFC 3501 §6.4.7."""

    name: ClassVar[str] = "COPY"
    sequence_set: SequenceSet
    mailbox: str
    uid: bool = False


@dataclass(frozen=True)
class Move(Command):
    """RFC 6851 §3.1."""

    name: ClassVar[str] = "MOVE"
    sequence_set: SequenceSet
    mailbox: str
    uid: bool = False
