"""Tables of the mail store (design brief §5).

Only what the protocols need without a key is in clear: sizes, dates, flags, UIDs,
mod-sequences, folder names, thread ids and the owning account. Headers, bodies, Message-IDs
and correspondents are sealed or stored as keyed digests.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Domain(Base):
    __tablename__ = "domain"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(253), unique=True)
    # "professional" or "patient"
    kind: Mapped[str] = mapped_column(String(16), default="professional")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Account(Base):
    __tablename__ = "account"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"))
    # PER, ORG, CAB, APP, PATIENT, ADMIN
    kind: Mapped[str] = mapped_column(String(8))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    # RPPS, ADELI, FINESS, SIRET or INS
    national_id_type: Mapped[str | None] = mapped_column(String(8), nullable=True)
    national_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # pending, active, suspended, closed
    state: Mapped[str] = mapped_column(String(12), default="active")
    liste_rouge: Mapped[bool] = mapped_column(Boolean, default=False)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    # Which credentials may open the key: {"password": true, "master": true, ...}
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    state_changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class KeyWrap(Base):
    """The account's private key wrapped by one credential (password, recovery, master)."""

    __tablename__ = "key_wrap"
    __table_args__ = (UniqueConstraint("account_id", "kind", "label"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200), default="")
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Folder(Base):
    __tablename__ = "folder"
    __table_args__ = (UniqueConstraint("account_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(1000))
    special_use: Mapped[str | None] = mapped_column(String(16), nullable=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uidnext: Mapped[int] = mapped_column(BigInteger, default=1)
    highestmodseq: Mapped[int] = mapped_column(BigInteger, default=1)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Thread(Base):
    __tablename__ = "thread"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageRef(Base):
    """Keyed digest of a Message-ID seen by an account, to find the thread of a reply."""

    __tablename__ = "message_ref"
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            primary_key=True)
    msgid_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    thread_id: Mapped[str] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))


class Message(Base):
    """One sealed copy of a message in one folder of one account."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("folder_id", "uid"),
        Index("ix_message_account_thread", "account_id", "thread_id"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    folder_id: Mapped[int] = mapped_column(ForeignKey("folder.id", ondelete="CASCADE"))
    uid: Mapped[int] = mapped_column(BigInteger)
    modseq: Mapped[int] = mapped_column(BigInteger)
    # System flags and keywords, space separated, sorted.
    flags: Mapped[str] = mapped_column(Text, default="")
    recent: Mapped[bool] = mapped_column(Boolean, default=True)
    internal_date: Mapped[datetime] = mapped_column(default=utcnow)
    size: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[str | None] = mapped_column(ForeignKey("thread.id", ondelete="SET NULL"),
                                                  nullable=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class PatientCorrespondence(Base):
    """What a patient may answer (design brief §6), as keyed digests of addresses and ids."""

    __tablename__ = "patient_correspondence"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            index=True)
    # Who the patient may answer for this message: Reply-To if present, else From.
    reply_digest: Mapped[str] = mapped_column(String(64), index=True)
    # The professional who sent it (a later "[FIN]" from them closes it).
    sender_digest: Mapped[str] = mapped_column(String(64))
    msgid_digest: Mapped[str] = mapped_column(String(64))
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Dispensation(Base):
    """A pharmacy dispensation record: lets a patient write first to that pharmacy."""

    __tablename__ = "dispensation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            index=True)
    pharmacy_digest: Mapped[str] = mapped_column(String(64))
    dispensed_on: Mapped[date] = mapped_column(Date)


class QueueEntry(Base):
    """A message waiting for the relay, sealed under the server master key."""

    __tablename__ = "queue_entry"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    sender: Mapped[str] = mapped_column(String(320))
    # [{"address": ..., "status": "queued|sent|failed", "notify": [...], "orcpt": ...,
    #   "remote": "last reply"}]
    recipients: Mapped[list[Any]] = mapped_column(JSON)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger)
    # DSN parameters (RFC 3461) and other transaction data: envid, ret, ...
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delay_notified: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEvent(Base):
    """Security-relevant events; never message content or secrets."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    account_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    peer: Mapped[str | None] = mapped_column(String(100), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class WebSession(Base):
    """A webmail login. The account key is here only sealed under a secret that lives in
    the user's cookie alone, so this row (or a copy of the database) opens nothing."""

    __tablename__ = "web_session"
    # SHA-256 of the cookie's session id: the row does not reveal the cookie either.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            index=True)
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
