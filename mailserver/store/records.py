"""Plain, immutable views of store rows handed to the protocols (no ORM objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

ACCOUNT_KINDS = ("PER", "ORG", "CAB", "APP", "PATIENT", "ADMIN")
ACCOUNT_STATES = ("pending", "active", "suspended", "closed")
SPECIAL_FOLDERS = (("Sent", "\\Sent"), ("Drafts", "\\Drafts"), ("Trash", "\\Trash"),
                   ("Archive", "\\Archive"), ("Junk", "\\Junk"))


@dataclass(frozen=True)
class AccountInfo:
    id: str
    address: str
    kind: str
    display_name: str
    national_id_type: str | None
    national_id: str | None
    state: str
    liste_rouge: bool
    public_key: bytes
    settings: dict[str, Any]
    created_at: datetime

    @property
    def is_patient(self) -> bool:
        return self.kind == "PATIENT"

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


@dataclass(frozen=True)
class FolderInfo:
    id: int
    account_id: str
    name: str
    special_use: str | None
    uidvalidity: int
    uidnext: int
    highestmodseq: int
    subscribed: bool


@dataclass(frozen=True)
class MessageMeta:
    id: str
    folder_id: int
    uid: int
    modseq: int
    flags: frozenset[str]
    internal_date: datetime
    size: int
    thread_id: str | None
    recent: bool


@dataclass(frozen=True)
class FolderCounts:
    messages: int
    recent: int
    unseen: int
    uidnext: int
    uidvalidity: int
    highestmodseq: int


@dataclass(frozen=True)
class QueueInfo:
    id: str
    sender: str
    recipients: list[dict[str, Any]]
    size: int
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_error: str | None
    params: dict[str, Any]


class StoreError(Exception):
    """A store operation refused for a reason the protocol reports to the client."""


class AlreadyExists(StoreError):
    pass


class NotFound(StoreError):
    pass


def flags_to_text(flags: frozenset[str] | set[str]) -> str:
    return " ".join(sorted(flags))


def flags_from_text(text: str) -> frozenset[str]:
    return frozenset(text.split())


def copy_aad(account_id: str, copy_id: str) -> bytes:
    """Additional data that binds a sealed copy to its account and copy id."""
    return f"mssante/copy/v1|{account_id}|{copy_id}".encode()
