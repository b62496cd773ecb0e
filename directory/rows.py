"""Turn one split line of a national file into directory rows (pure functions, no I/O)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

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


def _finish(row: dict[str, object], content_hash: str) -> tuple[object, ...]:
    family = str(row["family"])
    given = str(row["given"])
    org = str(row["org_name"] or row["trade_name"])
    row["family_norm"] = norm(family)
    row["given_norm"] = norm(given)
    row["org_norm"] = norm(org)
    if family or given:
        sort_key = f"{row['family_norm']} {row['given_norm']}".strip()
    else:
        sort_key = norm(f"{row['service']} {org}")
    row["sort_key"] = sort_key
    row["search_text"] = search_text(
        given, family, joined(family), joined(given), str(row["org_name"]),
        str(row["trade_name"]), str(row["service"]),
        str(row["profession_label"]), str(row["specialty_label"]), str(row["city"]),
        str(row["postcode"]), str(row["address"]).split("@")[0] if row["address"] else "",
    )
    row["row_hash"] = content_hash
    return tuple(row[c] for c in ENTRY_COLUMNS)


def mailbox_row(layout: Layout, f: Sequence[str], line: str) -> tuple[object, ...] | None:
    """An ``Extraction_Correspondance_MSSante`` line -> a ``dir_entry`` row (None: liste rouge)."""
    ix = layout.index

    def g(name: str) -> str:
        pos = ix.get(name)
        return f[pos].strip() if pos is not None else ""

    address = g("address").lower()
    if not address:
        raise RowError("empty Adresse BAL")
    local, _, domain = address.partition("@")
    if not local or "." not in domain or " " in address or address.count("@") != 1:
        raise RowError(f"invalid Adresse BAL {address!r}")
    kind = g("kind").upper()
    if kind not in MAILBOX_KINDS:
        raise RowError(f"unknown Type de BAL {g('kind')!r} (expected PER, ORG, APP or CAB)")
    national_id = g("national_id")
    if kind == "PER" and not national_id:
        raise RowError("PER mailbox without Identification nationale PP")
    if parse_bool(g("liste_rouge")):
        return None
    postcode = g("postcode")
    l6 = g("l6")
    struct_type, struct_id = g("struct_id_type"), g("struct_id")
    row: dict[str, object] = {
        "entry_key": f"M:{address}", "entry_type": ENTRY_MAILBOX, "source": SOURCE_NATIONAL,
        "national_id": national_id, "id_type": g("id_type"), "pp_id": g("pp_id"),
        "civility": g("civility"), "family": g("family"), "given": g("given"),
        "display_name": "",
        "profession_code": g("profession_code"), "profession_label": g("profession_label"),
        "category_code": g("category_code"), "category_label": g("category_label"),
        "specialty_type": "", "specialty_code": g("specialty_code"),
        "specialty_label": g("specialty_label"),
        "practice_mode_code": "", "practice_mode": "",
        "org_id": struct_id, "finess": struct_id[1:] if struct_type == "1" else "",
        "finess_ej": "", "siret": struct_id[1:] if struct_type == "3" else "",
        "siren": struct_id[1:] if struct_type == "2" else "",
        "org_name": g("org_name"), "trade_name": g("trade_name"),
        "sector_code": "", "sector_label": "",
        "address_line": _join(g("l2"), g("l3"),
                              _join(g("l4_number"), g("l4_repeat"), g("l4_type"), g("l4_street")),
                              g("l5")),
        "postcode": postcode, "city_code": "", "city": _city_from_l6(l6, postcode),
        "department": department_of(postcode, g("department")), "country": g("country"),
        "phone": "", "email": "",
        "address": address, "mailbox_kind": kind, "service": g("service"),
        "description": g("description"),
        "dematerialisation": parse_bool(g("dematerialisation")), "liste_rouge": False,
    }
    return _finish(row, line_hash(line))


def ps_rows(layout: Layout, f: Sequence[str], line: str
            ) -> tuple[tuple[object, ...], tuple[object, ...]]:
    """A ``PS_LibreAcces_Personne_activite`` line -> (``dir_entry``, ``dir_practitioner``) rows."""
    ix = layout.index

    def g(name: str) -> str:
        pos = ix.get(name)
        return f[pos].strip() if pos is not None else ""

    national_id = g("national_id")
    if not national_id:
        raise RowError("empty Identification nationale PP")
    if not national_id.isalnum() or len(national_id) > 20:
        raise RowError(f"invalid Identification nationale PP {national_id!r}")
    family, given = g("family"), g("given")
    if not family and not given:
        raise RowError("empty Nom d'exercice and Prénom d'exercice")
    finess, siret, siren = g("finess"), g("siret"), g("siren")
    postcode = g("postcode") or g("cedex")[:5]
    person = {
        "national_id": national_id, "id_type": g("id_type"), "pp_id": g("pp_id"),
        "civility_code": g("civility_code"), "civility": g("civility"),
        "practice_civility_code": g("practice_civility_code"),
        "practice_civility": g("practice_civility"), "family": family, "given": given,
        "row_hash": "",
    }
    person["row_hash"] = row_hash([person[c] for c in PRACTITIONER_COLUMNS])
    row: dict[str, object] = {
        "entry_type": ENTRY_ACTIVITY, "source": SOURCE_NATIONAL,
        "national_id": national_id, "id_type": g("id_type"), "pp_id": g("pp_id"),
        "civility": g("practice_civility") or g("civility"), "family": family, "given": given,
        "display_name": "",
        "profession_code": g("profession_code"), "profession_label": g("profession_label"),
        "category_code": g("category_code"), "category_label": g("category_label"),
        "specialty_type": g("specialty_type"), "specialty_code": g("specialty_code"),
        "specialty_label": g("specialty_label"),
        "practice_mode_code": g("mode_code"), "practice_mode": g("mode_label"),
        "org_id": _struct_id(finess, siret, siren, g("tech_id")), "finess": finess,
        "finess_ej": g("finess_ej"), "siret": siret, "siren": siren,
        "org_name": g("org_name"), "trade_name": g("trade_name"),
        "sector_code": g("sector_code"), "sector_label": g("sector_label"),
        "address_line": _join(g("l2"), g("l3"),
                              _join(g("l4_number"), g("l4_repeat"), g("l4_type"), g("l4_street")),
                              g("l5")),
        "postcode": postcode, "city_code": g("city_code"),
        "city": g("city") or _city_from_l6(g("cedex"), postcode),
        "department": department_of(postcode, g("department")), "country": g("country"),
        "phone": g("phone"), "email": g("email"),
        "address": "", "mailbox_kind": "", "service": "", "description": "",
        "dematerialisation": None, "liste_rouge": False,
    }
    # an activity has no identifier of its own: its key is its content
    content_hash = line_hash(line)
    row["entry_key"] = "A:" + content_hash
    return _finish(row, content_hash), tuple(person[c] for c in PRACTITIONER_COLUMNS)


def is_mailbox_layout(layout: Layout) -> bool:
    return layout.format is MAILBOX_FORMAT
