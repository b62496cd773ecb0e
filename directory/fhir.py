"""FHIR R4 views of the directory: Practitioner, PractitionerRole, Organization, Bundle.

Mailboxes go in ``telecom`` (system ``email``) with the mailbox metadata extension of the
Annuaire Santé IG (``as-ext-mailbox-mss-metadata``: type PER/ORG/APP/CAB, service,
description, digitization). Liste rouge mailboxes are never stored, so never served.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from directory.normalize import norm, prefix_upper_bound, tokens
from directory.search import in_list, text_condition, visible_people, visible_values

IDNAT_PS = "urn:oid:1.2.250.1.71.4.2.1"
IDNAT_STRUCT = "urn:oid:1.2.250.1.71.4.2.2"
RPPS = "https://rpps.esante.gouv.fr"
FINESS = "https://finess.esante.gouv.fr"
SIRET = "https://sirene.fr/siret"
SIREN = "https://sirene.fr/siren"
MAILBOX_EXT = ("https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/"
               "as-ext-mailbox-mss-metadata")
MAILBOX_TYPE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie"
PROFESSION_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
SPECIALTY_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"
MODE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R23-ModeExercice/FHIR/TRE-R23-ModeExercice"

_ENTRY_COLS = ("id", "entry_type", "national_id", "id_type", "pp_id", "civility", "family",
               "given", "display_name", "profession_code", "profession_label", "specialty_code",
               "specialty_label", "practice_mode_code", "practice_mode", "org_id", "finess",
               "siret", "siren", "org_name", "trade_name", "address_line", "postcode", "city",
               "department", "country", "phone", "email", "address", "mailbox_kind", "service",
               "description", "dematerialisation")
_SELECT = ", ".join(f"e.{c}" for c in _ENTRY_COLS)


# --------------------------------------------------------------------------- builders


def mailbox_telecom(m: Any) -> dict[str, Any]:
    ext: list[dict[str, Any]] = [{"url": "type", "valueCodeableConcept": {"coding": [
        {"system": MAILBOX_TYPE_SYSTEM, "code": m["mailbox_kind"]}]}}]
    if m["service"]:
        ext.append({"url": "service", "valueString": m["service"]})
    if m["description"]:
        ext.append({"url": "description", "valueString": m["description"]})
    if m["dematerialisation"] is not None:
        ext.append({"url": "digitization", "valueBoolean": bool(m["dematerialisation"])})
    ext.append({"url": "listeRouge", "valueBoolean": False})
    return {"system": "email", "value": m["address"], "use": "work",
            "extension": [{"url": MAILBOX_EXT, "extension": ext}]}


def _coding(system: str, code: str, display: str) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding], **({"text": display} if display else {})}


def _address(e: Any) -> dict[str, Any] | None:
    if not (e["address_line"] or e["postcode"] or e["city"]):
        return None
    addr: dict[str, Any] = {"use": "work"}
    if e["address_line"]:
        addr["line"] = [e["address_line"]]
    if e["city"]:
        addr["city"] = e["city"]
    if e["postcode"]:
        addr["postalCode"] = e["postcode"]
    if e["department"]:
        addr["district"] = e["department"]
    addr["country"] = e["country"] or "France"
    return addr


def practitioner_resource(nat: str, person: Any, mailboxes: Sequence[Any]) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Practitioner", "id": nat, "active": True,
                           "identifier": [{"system": IDNAT_PS, "value": nat}]}
    if person["id_type"] == "8" and person["pp_id"]:
        res["identifier"].append({"system": RPPS, "value": person["pp_id"]})
    name: dict[str, Any] = {"use": "official"}
    if person["family"]:
        name["family"] = person["family"]
    if person["given"]:
        name["given"] = [person["given"]]
    civility = person["civility"]
    if civility:
        name["prefix"] = [civility]
    res["name"] = [name]
    if mailboxes:
        res["telecom"] = [mailbox_telecom(m) for m in mailboxes]
    return res


def role_resource(e: Any, mailboxes: Sequence[Any]) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "PractitionerRole", "id": str(e["id"]),
                           "active": True}
    if e["national_id"]:
        res["practitioner"] = {"reference": f"Practitioner/{e['national_id']}",
                               "display": " ".join(p for p in (e["given"], e["family"]) if p)}
    if e["org_id"]:
        res["organization"] = {"reference": f"Organization/{e['org_id']}",
                               "display": e["org_name"] or e["trade_name"] or e["org_id"]}
    codes = []
    if e["profession_code"]:
        codes.append(_coding(PROFESSION_SYSTEM, e["profession_code"], e["profession_label"]))
    if e["practice_mode_code"]:
        codes.append(_coding(MODE_SYSTEM, e["practice_mode_code"], e["practice_mode"]))
    if codes:
        res["code"] = codes
    if e["specialty_code"]:
        res["specialty"] = [_coding(SPECIALTY_SYSTEM, e["specialty_code"],
                                    e["specialty_label"])]
    telecom = [mailbox_telecom(m) for m in mailboxes]
    if e["phone"]:
        telecom.append({"system": "phone", "value": e["phone"], "use": "work"})
    if telecom:
        res["telecom"] = telecom
    return res


def organization_resource(org_id: str, e: Any, mailboxes: Sequence[Any]) -> dict[str, Any]:
    ids = [{"system": IDNAT_STRUCT, "value": org_id}]
    if e["finess"]:
        ids.append({"system": FINESS, "value": e["finess"]})
    if e["siret"]:
        ids.append({"system": SIRET, "value": e["siret"]})
    if e["siren"]:
        ids.append({"system": SIREN, "value": e["siren"]})
    res: dict[str, Any] = {"resourceType": "Organization", "id": org_id, "active": True,
                           "identifier": ids,
                           "name": e["org_name"] or e["trade_name"] or org_id}
    if e["trade_name"] and e["org_name"]:
        res["alias"] = [e["trade_name"]]
    telecom = [mailbox_telecom(m) for m in mailboxes]
    if e["phone"]:
        telecom.append({"system": "phone", "value": e["phone"], "use": "work"})
    if telecom:
        res["telecom"] = telecom
    addr = _address(e)
    if addr:
        res["address"] = [addr]
    return res


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}]}


def bundle(base: str, resources: Sequence[dict[str, Any]], links: dict[str, str]
           ) -> dict[str, Any]:
    return {
        "resourceType": "Bundle", "type": "searchset",
        "link": [{"relation": rel, "url": url} for rel, url in links.items()],
        "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r,
                   "search": {"mode": "match"}} for r in resources],
    }


# --------------------------------------------------------------------------- reads


async def _rows(session: AsyncSession, sql: str, params: dict[str, Any]) -> list[Any]:
    return [r._mapping for r in await session.execute(text(sql), params)]


async def _mailboxes(session: AsyncSession, column: str, keys: Sequence[str], extra: str,
                     visible: frozenset[str] | None) -> dict[str, list[Any]]:
    """The published mailboxes whose ``column`` is one of ``keys`` (one query for a page),
    by key, each list ordered by address; ``visible`` filters them."""
    if not keys:
        return {}
    params: dict[str, Any] = {"f": False}
    rows = await _rows(session, f"SELECT {_SELECT} FROM dir_entry e WHERE e.entry_type = 'M' "
                       f"AND e.{column} IN {in_list('k', keys, params)}{extra} "
                       "AND e.liste_rouge = :f ORDER BY e.address", params)
    out: dict[str, list[Any]] = {}
    for m in rows:
        if visible is None or m["address"] in visible:
            out.setdefault(m[column], []).append(m)
    return out


async def _person_mailboxes(session: AsyncSession, nats: Sequence[str],
                            visible: frozenset[str] | None) -> dict[str, list[Any]]:
    return await _mailboxes(session, "national_id", nats, "", visible)


async def _org_mailboxes(session: AsyncSession, org_ids: Sequence[str],
                         visible: frozenset[str] | None) -> dict[str, list[Any]]:
    return await _mailboxes(session, "org_id", org_ids,
                            " AND e.mailbox_kind IN ('ORG', 'APP')", visible)


async def _may_see_person(session: AsyncSession, nat: str,
                          visible: frozenset[str] | None) -> bool:
    return visible is None or nat in await visible_people(session, visible)


async def _person(session: AsyncSession, nat: str) -> Any | None:
    """The practitioner's row (or, for one known only from a mailbox, its first entry)."""
    person = (await _rows(session, "SELECT national_id, id_type, pp_id, "
                          "COALESCE(NULLIF(practice_civility, ''), civility) AS civility, "
                          "family, given FROM dir_practitioner WHERE national_id = :n",
                          {"n": nat}))
    if not person:
        person = await _rows(session, f"SELECT {_SELECT} FROM dir_entry e WHERE "
                             "e.national_id = :n AND e.liste_rouge = :f ORDER BY e.id LIMIT 1",
                             {"n": nat, "f": False})
    return person[0] if person else None


async def read_practitioner(session: AsyncSession, nat: str,
                            visible: frozenset[str] | None = None) -> dict[str, Any] | None:
    if not await _may_see_person(session, nat, visible):
        return None
    found = await _practitioners(session, [nat], visible)
    return found[0] if found else None


async def _practitioners(session: AsyncSession, nats: Sequence[str],
                         visible: frozenset[str] | None) -> list[dict[str, Any]]:
    """The Practitioners of ``nats`` (unknown ones left out), visibility not checked;
    ``visible`` only filters their mailboxes."""
    people = []
    for nat in nats:
        person = await _person(session, nat)
        if person is not None:
            people.append((nat, person))
    mailboxes = await _person_mailboxes(session, [nat for nat, _ in people], visible)
    return [practitioner_resource(nat, person, mailboxes.get(nat, []))
            for nat, person in people]


_ROLE_WHERE = ("(e.entry_type = 'A' OR e.mailbox_kind IN ('PER', 'CAB')) "
               "AND e.liste_rouge = :f")


async def read_role(session: AsyncSession, role_id: str,
                    visible: frozenset[str] | None = None) -> dict[str, Any] | None:
    if not role_id.isdigit():
        return None
    rows = await _rows(session, f"SELECT {_SELECT} FROM dir_entry e WHERE e.id = :i "
                       f"AND {_ROLE_WHERE}", {"i": int(role_id), "f": False})
    if not rows:
        return None
    e = rows[0]
    if e["entry_type"] == "M":
        if visible is not None and e["address"] not in visible:
            return None
    elif visible is not None and not (
            e["national_id"] and await _may_see_person(session, e["national_id"], visible)):
        return None
    return (await _roles(session, rows, visible))[0]


async def _roles(session: AsyncSession, entries: Sequence[Any],
                 visible: frozenset[str] | None) -> list[dict[str, Any]]:
    nats = sorted({e["national_id"] for e in entries
                   if e["entry_type"] != "M" and e["national_id"]})
    mailboxes = await _person_mailboxes(session, nats, visible)
    return [role_resource(e, [e]) if e["entry_type"] == "M"
            else role_resource(e, mailboxes.get(e["national_id"], [])) for e in entries]


async def roles_of_page(session: AsyncSession, role_ids: Sequence[int],
                        visible: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """The PractitionerRoles of a search page, in its order (ids no longer there left out).

    Visibility is not checked again: the page's query already applied it; ``visible`` only
    filters the mailboxes shown.
    """
    if not role_ids:
        return []
    params: dict[str, Any] = {"f": False}
    rows = await _rows(session, f"SELECT {_SELECT} FROM dir_entry e WHERE e.id IN "
                       f"{in_list('i', role_ids, params)} AND {_ROLE_WHERE}", params)
    by_id = {e["id"]: e for e in rows}
    return await _roles(session, [by_id[i] for i in role_ids if i in by_id], visible)


async def read_organization(session: AsyncSession, org_id: str,
                            visible: frozenset[str] | None = None) -> dict[str, Any] | None:
    if visible is not None and org_id not in await visible_values(session, visible, "org_id"):
        return None
    found = await _organizations(session, [org_id], visible)
    return found[0] if found else None


async def _organizations(session: AsyncSession, org_ids: Sequence[str],
                         visible: frozenset[str] | None) -> list[dict[str, Any]]:
    """The Organizations of ``org_ids`` (unknown ones left out), visibility not checked;
    ``visible`` only filters their mailboxes."""
    found = []
    for org_id in org_ids:
        rows = await _rows(session, f"SELECT {_SELECT} FROM dir_entry e WHERE e.org_id = :o "
                           "AND e.liste_rouge = :f ORDER BY e.entry_type, e.id LIMIT 1",
                           {"o": org_id, "f": False})
        if rows:
            found.append((org_id, rows[0]))
    mailboxes = await _org_mailboxes(session, [org_id for org_id, _ in found], visible)
    return [organization_resource(org_id, e, mailboxes.get(org_id, [])) for org_id, e in found]


# --------------------------------------------------------------------------- searches


def _prefix(column: str, value: str, params: dict[str, Any], name: str) -> str:
    v = norm(value)
    params[f"{name}_lo"], params[f"{name}_hi"] = v, prefix_upper_bound(v)
    return f"(e.{column} >= :{name}_lo AND e.{column} < :{name}_hi)"


def _ident_values(value: str) -> list[str]:
    v = value.split("|", 1)[-1].strip()
    return [v, "8" + v, "0" + v, "1" + v, "3" + v, "2" + v] if v else []


async def search_practitioners(session: AsyncSession, *, name: str = "", family: str = "",
                               given: str = "", identifier: str = "", count: int = 20,
                               offset: int = 0, visible: frozenset[str] | None = None
                               ) -> tuple[list[dict[str, Any]], bool]:
    dialect = session.bind.dialect.name
    params: dict[str, Any] = {"f": False, "lim": count + 1, "off": offset}
    where = ["e.national_id <> ''", "e.liste_rouge = :f"]
    if family:
        where.append(_prefix("family_norm", family, params, "fam"))
    if given:
        toks = tokens(given)
        if toks:
            where.append(text_condition(dialect, toks, params, "given_match"))
        where.append(_prefix("given_norm", given, params, "giv"))
    if name:
        toks = tokens(name)
        if toks:
            where.append(text_condition(dialect, toks, params, "name_match"))
            where.append("(" + " OR ".join(
                [_prefix("family_norm", toks[0], params, "nf"),
                 _prefix("given_norm", toks[0], params, "ng")]) + ")")
    if identifier:
        where.append(f"e.national_id IN {in_list('id', _ident_values(identifier), params)}")
    if visible is not None:
        where.append(f"e.national_id IN "
                     f"{in_list('vp', await visible_people(session, visible), params)}")
    rows = await session.execute(text(
        f"SELECT DISTINCT e.national_id FROM dir_entry e WHERE {' AND '.join(where)} "
        "ORDER BY e.national_id LIMIT :lim OFFSET :off"), params)
    ids = [r[0] for r in rows]
    return await _practitioners(session, ids[:count], visible), len(ids) > count


async def search_organizations(session: AsyncSession, *, name: str = "", identifier: str = "",
                               postcode: str = "", count: int = 20, offset: int = 0,
                               visible: frozenset[str] | None = None
                               ) -> tuple[list[dict[str, Any]], bool]:
    dialect = session.bind.dialect.name
    params: dict[str, Any] = {"f": False, "lim": count + 1, "off": offset}
    where = ["e.org_id <> ''", "e.liste_rouge = :f"]
    if name:
        toks = tokens(name)
        if toks:
            where.append(text_condition(dialect, toks, params, "name_match"))
    if identifier:
        where.append(f"e.org_id IN {in_list('id', _ident_values(identifier), params)}")
    if postcode:
        where.append("e.postcode = :pc")
        params["pc"] = postcode.strip()
    if visible is not None:
        orgs = sorted(await visible_values(session, visible, "org_id"))
        where.append(f"e.org_id IN {in_list('vo', orgs, params)}")
    rows = await session.execute(text(
        f"SELECT DISTINCT e.org_id FROM dir_entry e WHERE {' AND '.join(where)} "
        "ORDER BY e.org_id LIMIT :lim OFFSET :off"), params)
    ids = [r[0] for r in rows]
    return await _organizations(session, ids[:count], visible), len(ids) > count
