"""The directory's tables: its own declarative base and metadata, every table prefixed ``dir_``.

``dir_entry`` is the searchable projection: one row per *activity* of a practitioner (from
``PS_LibreAcces_Personne_activite``, entry type ``A``) and one row per *secure mailbox* (from
``Extraction_Correspondance_MSSante`` or published from a local account, entry type ``M``).
``dir_practitioner`` holds one row per person of the PS file. Normalised columns (``*_norm``,
``sort_key``, ``search_text``) are lower-case ASCII so that search is accent- and
case-insensitive on both SQLite (FTS5 over ``search_text``) and PostgreSQL (GIN full text).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ENTRY_ACTIVITY = "A"
ENTRY_MAILBOX = "M"
SOURCE_NATIONAL = "national"
SOURCE_LOCAL = "local"
MAILBOX_KINDS = ("PER", "ORG", "APP", "CAB")


def _key(length: int) -> String:
    """A normalised key column: byte order ("C" collation) on PostgreSQL for prefix ranges."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData()


class DirPractitioner(Base):
    """A person of the RPPS/ADELI file, keyed by the national identifier (8+RPPS or 0+ADELI)."""

    __tablename__ = "dir_practitioner"

    national_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    id_type: Mapped[str] = mapped_column(String(2), default="")
    pp_id: Mapped[str] = mapped_column(String(20), default="")
    civility_code: Mapped[str] = mapped_column(String(10), default="")
    civility: Mapped[str] = mapped_column(String(60), default="")
    practice_civility_code: Mapped[str] = mapped_column(String(10), default="")
    practice_civility: Mapped[str] = mapped_column(String(60), default="")
    family: Mapped[str] = mapped_column(String(200), default="")
    given: Mapped[str] = mapped_column(String(200), default="")
    row_hash: Mapped[str] = mapped_column(String(32), default="")


class DirEntry(Base):
    """One searchable row: an activity of a practitioner at a place, or a secure mailbox."""

    __tablename__ = "dir_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_key: Mapped[str] = mapped_column(String(340), unique=True)
    entry_type: Mapped[str] = mapped_column(String(1))
    source: Mapped[str] = mapped_column(String(10), default=SOURCE_NATIONAL)
    row_hash: Mapped[str] = mapped_column(String(32), default="")
    # the person
    national_id: Mapped[str] = mapped_column(String(20), default="", index=True)
    id_type: Mapped[str] = mapped_column(String(2), default="")
    pp_id: Mapped[str] = mapped_column(String(20), default="")
    civility: Mapped[str] = mapped_column(String(60), default="")
    family: Mapped[str] = mapped_column(String(200), default="")
    given: Mapped[str] = mapped_column(String(200), default="")
    display_name: Mapped[str] = mapped_column(String(300), default="")
    # the profession
    profession_code: Mapped[str] = mapped_column(String(10), default="")
    profession_label: Mapped[str] = mapped_column(String(120), default="")
    category_code: Mapped[str] = mapped_column(String(10), default="")
    category_label: Mapped[str] = mapped_column(String(120), default="")
    specialty_type: Mapped[str] = mapped_column(String(10), default="")
    specialty_code: Mapped[str] = mapped_column(String(20), default="")
    specialty_label: Mapped[str] = mapped_column(String(200), default="")
    practice_mode_code: Mapped[str] = mapped_column(String(10), default="")
    practice_mode: Mapped[str] = mapped_column(String(60), default="")
    # the structure and its place
    org_id: Mapped[str] = mapped_column(String(40), default="")
    finess: Mapped[str] = mapped_column(String(20), default="")
    finess_ej: Mapped[str] = mapped_column(String(20), default="")
    siret: Mapped[str] = mapped_column(String(20), default="")
    siren: Mapped[str] = mapped_column(String(20), default="")
    org_name: Mapped[str] = mapped_column(String(300), default="")
    trade_name: Mapped[str] = mapped_column(String(300), default="")
    sector_code: Mapped[str] = mapped_column(String(10), default="")
    sector_label: Mapped[str] = mapped_column(String(200), default="")
    address_line: Mapped[str] = mapped_column(String(400), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    department: Mapped[str] = mapped_column(String(3), default="")
    country: Mapped[str] = mapped_column(String(60), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    # the mailbox (entry type M)
    address: Mapped[str] = mapped_column(String(320), default="")
    mailbox_kind: Mapped[str] = mapped_column(String(3), default="")
    service: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(String(500), default="")
    dematerialisation: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    liste_rouge: Mapped[bool] = mapped_column(Boolean, default=False)
    # normalised search columns
    family_norm: Mapped[str] = mapped_column(_key(200), default="", index=True)
    given_norm: Mapped[str] = mapped_column(_key(200), default="")
    org_norm: Mapped[str] = mapped_column(_key(300), default="")
    sort_key: Mapped[str] = mapped_column(_key(500), default="", index=True)
    search_text: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_dir_entry_org", "org_id"),
        Index("ix_dir_entry_spec_dept", "specialty_code", "department", "sort_key"),
        Index("ix_dir_entry_prof_dept", "profession_code", "department", "sort_key"),
        Index("ix_dir_entry_dept", "department", "sort_key"),
        Index("ix_dir_entry_postcode", "postcode", "sort_key"),
        Index("ix_dir_entry_kind", "mailbox_kind", "sort_key"),
    )


# The Table object itself: declarative types ``__table__`` as a FromClause, which has no indexes.
ENTRY_TABLE: Table = Base.metadata.tables[DirEntry.__tablename__]

# Columns that the importers fill, in this order (everything but the surrogate id).
ENTRY_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in DirEntry.__table__.columns if c.name != "id"
)
PRACTITIONER_COLUMNS: tuple[str, ...] = tuple(c.name for c in DirPractitioner.__table__.columns)
