"""The two national extraction files: their columns, known header variants, and detection.

Columns are found by header name (normalised: case, accents and punctuation ignored), never by
position, because the agency's layouts drift. Each field below lists every spelling seen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import Any

from directory.normalize import norm

MAILBOX_FILE = "Extraction_Correspondance_MSSante"
PS_FILE = "PS_LibreAcces_Personne_activite"


@dataclass(frozen=True)
class FileFormat:
    name: str
    # field -> accepted header spellings (first = current layout)
    fields: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    # columns we know and deliberately ignore (not reported as unknown)
    ignored: tuple[str, ...] = ()
    lookup: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        table: dict[str, str] = {}
        for name, spellings in self.fields.items():
            for spelling in spellings:
                table[norm(spelling)] = name
        for spelling in self.ignored:
            table.setdefault(norm(spelling), "")
        object.__setattr__(self, "lookup", table)


MAILBOX_FORMAT = FileFormat(
    name=MAILBOX_FILE,
    fields={
        "kind": ("Type de BAL",),
        "address": ("Adresse BAL",),
        "id_type": ("Type Identifiant PP", "Type d'identifiant PP"),
        "pp_id": ("Identifiant PP",),
        "national_id": ("Identification nationale PP",),
        "struct_id_type": ("Type identifiant structure",),
        "struct_id": ("Identification Structure", "Identifiant structure"),
        "service": ("Service de rattachement",),
        "civility": ("Civilité d'exercice", "Civilite d'exercice"),
        "family": ("Nom d'exercice",),
        "given": ("Prénom d'exercice",),
        "category_code": ("Catégorie profession", "Code catégorie profession"),
        "category_label": ("Libellé de catégorie profession", "Libellé catégorie profession"),
        "profession_code": ("Code Profession",),
        "profession_label": ("Libellé Profession",),
        "specialty_code": ("Code savoir-faire",),
        "specialty_label": ("Libellé savoir-faire",),
        "dematerialisation": ("Dématérialisation",),
        "org_name": ("Raison Sociale structure BAL",),
        "trade_name": ("Enseigne commerciale structure BAL",),
        "l2": ("L2COMPLEMENTLOCALISATION structure BAL",),
        "l3": ("L3COMPLEMENTDISTRIBUTION structure BAL",),
        "l4_number": ("L4NUMEROVOIE structure BAL",),
        "l4_repeat": ("L4COMPLEMENTNUMEROVOIE structure BAL",),
        "l4_type": ("NL4TYPEVOIE structure BAL", "L4TYPEVOIE structure BAL"),
        "l4_street": ("L4LIBELLEVOIE structure BAL",),
        "l5": ("L5LIEUDITMENTION structure BAL",),
        "l6": ("L6LIGNEACHEMINEMENT structure BAL",),
        "postcode": ("Code postal structure BAL",),
        "department": ("Département structure BAL",),
        "country": ("Pays structure BAL",),
        # variants: some extractions carry these; liste rouge rows are never published
        "liste_rouge": ("Liste rouge", "listeRouge"),
        "description": ("Description BAL", "Description"),
    },
    required=("kind", "address"),
)

PS_FORMAT = FileFormat(
    name=PS_FILE,
    fields={
        "id_type": ("Type d'identifiant PP",),
        "pp_id": ("Identifiant PP",),
        "national_id": ("Identification nationale PP",),
        "practice_civility_code": ("Code civilité d'exercice",),
        "practice_civility": ("Libellé civilité d'exercice", "Libellé civilité exercice"),
        "civility_code": ("Code civilité",),
        "civility": ("Libellé civilité",),
        "family": ("Nom d'exercice",),
        "given": ("Prénom d'exercice",),
        "profession_code": ("Code profession",),
        "profession_label": ("Libellé profession",),
        "category_code": ("Code catégorie professionnelle",),
        "category_label": ("Libellé catégorie professionnelle",),
        "specialty_type": ("Code type savoir-faire",),
        "specialty_type_label": ("Libellé type savoir-faire",),
        "specialty_code": ("Code savoir-faire",),
        "specialty_label": ("Libellé savoir-faire",),
        "mode_code": ("Code mode exercice",),
        "mode_label": ("Libellé mode exercice",),
        "siret": ("Numéro SIRET site",),
        "siren": ("Numéro SIREN site",),
        "finess": ("Numéro FINESS site",),
        "finess_ej": ("Numéro FINESS établissement juridique",),
        "tech_id": ("Identifiant technique de la structure",),
        "org_name": ("Raison sociale site",),
        "trade_name": ("Enseigne commerciale site",),
        "l2": ("Complément destinataire (coord. structure)",),
        "l3": ("Complément point géographique (coord. structure)",),
        "l4_number": ("Numéro Voie (coord. structure)",),
        "l4_repeat": ("Indice répétition voie (coord. structure)",),
        "l4_type_code": ("Code type de voie (coord. structure)",),
        "l4_type": ("Libellé type de voie (coord. structure)",),
        "l4_street": ("Libellé Voie (coord. structure)",),
        "l5": ("Mention distribution (coord. structure)",),
        "cedex": ("Bureau cedex (coord. structure)",),
        "postcode": ("Code postal (coord. structure)",),
        "city_code": ("Code commune (coord. structure)",),
        "city": ("Libellé commune (coord. structure)",),
        "country_code": ("Code pays (coord. structure)",),
        "country": ("Libellé pays (coord. structure)",),
        "phone": ("Téléphone (coord. structure)",),
        "email": ("Adresse e-mail (coord. structure)",),
        "department": ("Code département (coord. structure)", "Code Département (structure)"),
        "department_label": ("Libellé département (coord. structure)",
                             "Libellé Département (structure)"),
        "sector_code": ("Code secteur d'activité",),
        "sector_label": ("Libellé secteur d'activité",),
    },
    required=("national_id", "family"),
    ignored=(
        "Téléphone 2 (coord. structure)", "Télécopie (coord. structure)",
        "Ancien identifiant de la structure", "Autorité d'enregistrement",
        "Code section tableau pharmaciens", "Libellé section tableau pharmaciens",
        "Code fonction", "Libellé fonction", "Code genre d'activité", "Libellé genre d'activité",
    ),
)

# The exact current headers, in order (used by the synthetic generator and the tests).
MAILBOX_HEADER: tuple[str, ...] = tuple(
    spellings[0] for name, spellings in MAILBOX_FORMAT.fields.items()
    if name not in ("liste_rouge", "description")
)
PS_HEADER: tuple[str, ...] = (
    "Type d'identifiant PP", "Identifiant PP", "Identification nationale PP",
    "Code civilité d'exercice", "Libellé civilité d'exercice", "Code civilité",
    "Libellé civilité", "Nom d'exercice", "Prénom d'exercice", "Code profession",
    "Libellé profession", "Code catégorie professionnelle", "Libellé catégorie professionnelle",
    "Code type savoir-faire", "Libellé type savoir-faire", "Code savoir-faire",
    "Libellé savoir-faire", "Code mode exercice", "Libellé mode exercice", "Numéro SIRET site",
    "Numéro SIREN site", "Numéro FINESS site", "Numéro FINESS établissement juridique",
    "Identifiant technique de la structure", "Raison sociale site", "Enseigne commerciale site",
    "Complément destinataire (coord. structure)",
    "Complément point géographique (coord. structure)", "Numéro Voie (coord. structure)",
    "Indice répétition voie (coord. structure)", "Code type de voie (coord. structure)",
    "Libellé type de voie (coord. structure)", "Libellé Voie (coord. structure)",
    "Mention distribution (coord. structure)", "Bureau cedex (coord. structure)",
    "Code postal (coord. structure)", "Code commune (coord. structure)",
    "Libellé commune (coord. structure)", "Code pays (coord. structure)",
    "Libellé pays (coord. structure)", "Téléphone (coord. structure)",
    "Téléphone 2 (coord. structure)", "Télécopie (coord. structure)",
    "Adresse e-mail (coord. structure)", "Code département (coord. structure)",
    "Libellé département (coord. structure)", "Ancien identifiant de la structure",
    "Autorité d'enregistrement", "Code secteur d'activité", "Libellé secteur d'activité",
    "Code section tableau pharmaciens", "Libellé section tableau pharmaciens", "Code fonction",
    "Libellé fonction", "Code genre d'activité", "Libellé genre d'activité",
)


@dataclass
class Layout:
    """How one file's header maps to our fields."""

    format: FileFormat
    columns: int
    index: dict[str, int]
    unknown: list[str]
    trailing_separator: bool

    @cached_property
    def _picker(self) -> tuple[tuple[str, ...], Callable[[Sequence[str]], Any]]:
        names = tuple(self.index)
        return names, itemgetter(*(self.index[n] for n in names))

    def values(self, fields: Sequence[str]) -> dict[str, str]:
        """The stripped value of every known field of a split line, by field name."""
        names, pick = self._picker
        if len(names) == 1:
            return {names[0]: pick(fields).strip()}
        return dict(zip(names, map(str.strip, pick(fields)), strict=True))


def detect(header_line: str) -> Layout | None:
    """Recognise a national file from its header line; None when it is neither."""
    header = header_line.rstrip("\r\n").lstrip("\ufeff")
    trailing = header.endswith("|")
    if trailing:
        header = header[:-1]
    names = header.split("|")
    normalised = [norm(n) for n in names]
    for fmt in (MAILBOX_FORMAT, PS_FORMAT):
        index: dict[str, int] = {}
        unknown: list[str] = []
        for pos, (raw, key) in enumerate(zip(names, normalised, strict=True)):
            name = fmt.lookup.get(key)
            if name is None:
                unknown.append(raw)
            elif name and name not in index:
                index[name] = pos
        if all(r in index for r in fmt.required) and len(index) >= len(fmt.required) + 3:
            if fmt is PS_FORMAT and any(
                MAILBOX_FORMAT.lookup.get(k) == "address" for k in normalised
            ):
                continue
            return Layout(fmt, len(names), index, unknown, trailing)
    return None
