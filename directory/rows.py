"""Turn one split line of a national file into directory rows (pure functions, no I/O)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from directory.formats import MAILBOX_FORMAT, Layout
from directory.models import (
    ENTRY_ACTIVITY,
    ENTRY_COLUMNS,
    ENTRY_MAILBOX,
    MAILBOX_KINDS,
    PRACTITIONER_COLUMNS,
    SOURCE_NATIONAL,
)
from directory.normalize import department_of, joined, norm, search_text

_TRUE = {"true", "vrai", "o", "oui", "y", "yes", "1"}
_FALSE = {"false", "faux", "n", "non", "no", "0"}


class RowError(ValueError):
    """A line that cannot be imported; the message is the reason given in the report."""


def row_hash(values: Sequence[object]) -> str:
    joined = "\x1f".join("" if v is None else str(v) for v in values)
    return hashlib.blake2b(joined.encode("utf-8"), digest_size=12).hexdigest()


def parse_bool(value: str) -> bool | None:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    return None


def _join(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def _city_from_l6(l6: str, postcode: str) -> str:
    """"75011 PARIS" -> "PARIS"; "69003 LYON CEDEX 03" -> "LYON"."""
    city = l6.strip()
    if postcode and city.startswith(postcode):
        city = city[len(postcode):].strip()
    elif city[:5].isdigit():
        city = city[5:].strip()
    upper = city.upper()
    if " CEDEX" in upper:
        city = city[: upper.index(" CEDEX")].strip()
    return city


def _struct_id(finess: str, siret: str, siren: str, tech_id: str) -> str:
    """The national structure identifier: 1+FINESS, 3+SIRET, 2+SIREN, else the technical id."""
    if finess:
        return "1" + finess
    if siret:
        return "3" + siret
    if siren:
        return "2" + siren
    return tech_id


FORMAT_VERSION = "1"  # part of every content hash: bump when the derivation below changes


def line_hash(line: str) -> str:
    """The content hash of a raw line (activities are keyed by it, changes detected by it)."""
    return hashlib.blake2b((FORMAT_VERSION + line).encode("utf-8"), digest_size=12).hexdigest()


def _entry(v: dict[str, str], *, entry_key: str, entry_type: str, content_hash: str,
           national_id: str, civility: str, family: str, given: str, specialty_type: str,
           practice_mode_code: str, practice_mode: str, org_id: str, finess: str,
           finess_ej: str, siret: str, siren: str, sector_code: str, sector_label: str,
           postcode: str, city_code: str, city: str, phone: str, email: str, address: str,
           mailbox_kind: str, service: str, description: str,
           dematerialisation: bool | None) -> tuple[object, ...]:
    """One ``dir_entry`` row, in :data:`ENTRY_COLUMNS` order (checked at import)."""
    get = v.get
    org_name, trade_name = get("org_name", ""), get("trade_name", "")
    profession_label, specialty_label = get("profession_label", ""), get("specialty_label", "")
    org = org_name or trade_name
    family_norm, given_norm = norm(family), norm(given)
    if family or given:
        sort_key = f"{family_norm} {given_norm}".strip()
    else:
        sort_key = norm(f"{service} {org}")
    text = search_text(
        given, family, joined(family), joined(given), org_name, trade_name, service,
        profession_label, specialty_label, city, postcode,
        address.split("@")[0] if address else "",
    )
    address_line = _join(get("l2", ""), get("l3", ""),
                         _join(get("l4_number", ""), get("l4_repeat", ""), get("l4_type", ""),
                               get("l4_street", "")),
                         get("l5", ""))
    return (
        entry_key, entry_type, SOURCE_NATIONAL, content_hash,
        national_id, get("id_type", ""), get("pp_id", ""), civility, family, given, "",
        get("profession_code", ""), profession_label, get("category_code", ""),
        get("category_label", ""), specialty_type, get("specialty_code", ""), specialty_label,
        practice_mode_code, practice_mode,
        org_id, finess, finess_ej, siret, siren, org_name, trade_name, sector_code, sector_label,
        address_line, postcode, city_code, city,
        department_of(postcode, get("department", "")), get("country", ""), phone, email,
        address, mailbox_kind, service, description, dematerialisation, False,
        family_norm, given_norm, norm(org), sort_key, text,
    )


_ENTRY_ORDER = (
    "entry_key", "entry_type", "source", "row_hash", "national_id", "id_type", "pp_id",
    "civility", "family", "given", "display_name", "profession_code", "profession_label",
    "category_code", "category_label", "specialty_type", "specialty_code", "specialty_label",
    "practice_mode_code", "practice_mode", "org_id", "finess", "finess_ej", "siret", "siren",
    "org_name", "trade_name", "sector_code", "sector_label", "address_line", "postcode",
    "city_code", "city", "department", "country", "phone", "email", "address", "mailbox_kind",
    "service", "description", "dematerialisation", "liste_rouge", "family_norm", "given_norm",
    "org_norm", "sort_key", "search_text",
)
assert _ENTRY_ORDER == ENTRY_COLUMNS, "rows._entry no longer matches the dir_entry columns"


def mailbox_row(layout: Layout, f: Sequence[str], line: str) -> tuple[object, ...] | None:
    """An ``Extraction_Correspondance_MSSante`` line -> a ``dir_entry`` row (None: liste rouge)."""
    v = layout.values(f)
    get = v.get
    address = get("address", "").lower()
    if not address:
        raise RowError("empty Adresse BAL")
    local, _, domain = address.partition("@")
    if not local or "." not in domain or " " in address or address.count("@") != 1:
        raise RowError(f"invalid Adresse BAL {address!r}")
    kind = get("kind", "").upper()
    if kind not in MAILBOX_KINDS:
        raise RowError(f"unknown Type de BAL {get('kind', '')!r} (expected PER, ORG, APP or CAB)")
    national_id = get("national_id", "")
    if kind == "PER" and not national_id:
        raise RowError("PER mailbox without Identification nationale PP")
    if parse_bool(get("liste_rouge", "")):
        return None
    postcode = get("postcode", "")
    struct_type, struct_id = get("struct_id_type", ""), get("struct_id", "")
    return _entry(
        v, entry_key=f"M:{address}", entry_type=ENTRY_MAILBOX, content_hash=line_hash(line),
        national_id=national_id, civility=get("civility", ""), family=get("family", ""),
        given=get("given", ""), specialty_type="", practice_mode_code="", practice_mode="",
        org_id=struct_id, finess=struct_id[1:] if struct_type == "1" else "", finess_ej="",
        siret=struct_id[1:] if struct_type == "3" else "",
        siren=struct_id[1:] if struct_type == "2" else "",
        sector_code="", sector_label="", postcode=postcode, city_code="",
        city=_city_from_l6(get("l6", ""), postcode), phone="", email="", address=address,
        mailbox_kind=kind, service=get("service", ""), description=get("description", ""),
        dematerialisation=parse_bool(get("dematerialisation", "")),
    )


def ps_rows(layout: Layout, f: Sequence[str], line: str
            ) -> tuple[tuple[object, ...], tuple[object, ...]]:
    """A ``PS_LibreAcces_Personne_activite`` line -> (``dir_entry``, ``dir_practitioner``) rows."""
    v = layout.values(f)
    get = v.get
    national_id = get("national_id", "")
    if not national_id:
        raise RowError("empty Identification nationale PP")
    if not national_id.isalnum() or len(national_id) > 20:
        raise RowError(f"invalid Identification nationale PP {national_id!r}")
    family, given = get("family", ""), get("given", "")
    if not family and not given:
        raise RowError("empty Nom d'exercice and Prénom d'exercice")
    finess, siret, siren = get("finess", ""), get("siret", ""), get("siren", "")
    postcode = get("postcode", "") or get("cedex", "")[:5]
    id_type, pp_id = get("id_type", ""), get("pp_id", "")
    civility = get("civility", "")
    practice_civility = get("practice_civility", "")
    fields = (national_id, id_type, pp_id, get("civility_code", ""), civility,
              get("practice_civility_code", ""), practice_civility, family, given)
    person = (*fields, row_hash((*fields, "")))
    # an activity has no identifier of its own: its key is its content
    content_hash = line_hash(line)
    entry = _entry(
        v, entry_key="A:" + content_hash, entry_type=ENTRY_ACTIVITY, content_hash=content_hash,
        national_id=national_id, civility=practice_civility or civility, family=family,
        given=given, specialty_type=get("specialty_type", ""),
        practice_mode_code=get("mode_code", ""), practice_mode=get("mode_label", ""),
        org_id=_struct_id(finess, siret, siren, get("tech_id", "")), finess=finess,
        finess_ej=get("finess_ej", ""), siret=siret, siren=siren,
        sector_code=get("sector_code", ""), sector_label=get("sector_label", ""),
        postcode=postcode, city_code=get("city_code", ""),
        city=get("city", "") or _city_from_l6(get("cedex", ""), postcode),
        phone=get("phone", ""), email=get("email", ""), address="", mailbox_kind="",
        service="", description="", dematerialisation=None,
    )
    return entry, person


_PERSON_ORDER = ("national_id", "id_type", "pp_id", "civility_code", "civility",
                 "practice_civility_code", "practice_civility", "family", "given", "row_hash")
assert _PERSON_ORDER == PRACTITIONER_COLUMNS, "rows.ps_rows no longer matches dir_practitioner"


def is_mailbox_layout(layout: Layout) -> bool:
    return layout.format.name == MAILBOX_FORMAT.name  # by name: layouts cross processes


@dataclass
class ParsedBlock:
    """What one block of lines gave: rows to stage and the lines that were not."""

    entries: list[tuple[object, ...]] = field(default_factory=list)  # (line_no, *entry)
    persons: list[tuple[object, ...]] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line_no, reason)
    lines_read: int = 0
    withheld: int = 0


def parse_block(layout: Layout, first_line: int, block: bytes) -> ParsedBlock:
    """Parse consecutive raw lines (``\\n``-separated, the first numbered ``first_line``).

    Pure and picklable both ways, so the importer can run it in worker processes. Blank lines
    are skipped (but numbered); every other line is read, then staged, withheld or rejected.
    """
    out = ParsedBlock()
    lines: list[str | None]
    try:
        lines = list(block.decode("utf-8").split("\n"))
    except UnicodeDecodeError:
        lines = [_decode(piece) for piece in block.split(b"\n")]
    if lines and lines[-1] == "":
        lines.pop()  # the block ends with a newline
    mailbox = is_mailbox_layout(layout)
    columns, trailing = layout.columns, layout.trailing_separator
    entries, persons, rejected = out.entries, out.persons, out.rejected
    line_no = first_line - 1
    for text in lines:
        line_no += 1
        if text is None:
            out.lines_read += 1
            rejected.append((line_no, "not valid UTF-8"))
            continue
        line = text.rstrip("\r\n")
        if not line.strip():
            continue
        out.lines_read += 1
        fields = line.split("|")
        if trailing and len(fields) == columns + 1 and not fields[-1]:
            fields.pop()
        if len(fields) != columns:
            rejected.append((line_no, f"expected {columns} columns, found {len(fields)}"))
            continue
        try:
            if mailbox:
                row = mailbox_row(layout, fields, line)
                if row is None:
                    out.withheld += 1
                    continue
                entries.append((line_no, *row))
            else:
                entry, person = ps_rows(layout, fields, line)
                entries.append((line_no, *entry))
                persons.append(person)
        except RowError as exc:
            rejected.append((line_no, str(exc)))
    return out


def _decode(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
