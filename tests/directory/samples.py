"""Hand-written national-file lines covering every tricky case (built from named fields)."""

from __future__ import annotations

from pathlib import Path

from directory.formats import MAILBOX_HEADER, PS_HEADER


def mss_line(**values: str) -> str:
    names = {
        "kind": "Type de BAL", "address": "Adresse BAL", "id_type": "Type Identifiant PP",
        "pp_id": "Identifiant PP", "nat": "Identification nationale PP",
        "struct_type": "Type identifiant structure", "struct": "Identification Structure",
        "service": "Service de rattachement", "civ": "Civilité d'exercice",
        "family": "Nom d'exercice", "given": "Prénom d'exercice",
        "prof": "Code Profession", "prof_label": "Libellé Profession",
        "spec": "Code savoir-faire", "spec_label": "Libellé savoir-faire",
        "demat": "Dématérialisation", "org": "Raison Sociale structure BAL",
        "l6": "L6LIGNEACHEMINEMENT structure BAL", "postcode": "Code postal structure BAL",
        "dept": "Département structure BAL",
    }
    by_header = {names[k]: v for k, v in values.items() if k in names}
    fields = [by_header.get(h, "") for h in MAILBOX_HEADER]
    fields.append(values.get("liste_rouge", "False"))
    return "|".join(fields)


# the national 31 columns plus the "Liste rouge" variant column
MSS_HEADER = "|".join(MAILBOX_HEADER) + "|Liste rouge"


def hand_mailbox_lines() -> list[str]:
    """Line numbers in the file = index + 2 (line 1 is the header)."""
    return [
        # 2: plain PER, no accents in the file
        mss_line(kind="PER", address="helene.dupond@medecin.mssante.fr", id_type="8",
                 pp_id="10003456789", nat="810003456789", struct_type="1", struct="1750000010",
                 civ="DR", family="DUPOND", given="Helene", prof="10", prof_label="Médecin",
                 spec="SM54", spec_label="Médecine Générale", demat="True",
                 org="Cabinet Dupond", l6="75011 PARIS", postcode="75011", dept="75"),
        # 3: accents everywhere, cardiologist
        mss_line(kind="PER", address="Eloise.DArc@CH-Lyon.mssante.fr", id_type="8",
                 pp_id="10001234561", nat="810001234561", struct_type="1", struct="1690000015",
                 civ="DR", family="D'ARC", given="Éloïse", prof="10", prof_label="Médecin",
                 spec="SM04", spec_label="Cardiologie et maladies vasculaires",
                 demat="False", org="Hôpital Édouard Herriot", l6="69003 LYON CEDEX 03",
                 postcode="69003", dept="69"),
        # 4: too few columns
        "PER|short.line@medecin.mssante.fr|8|10000000009",
        # 5: ORG mailbox without any person
        mss_line(kind="ORG", address="cardiologie@ch-lyon.mssante.fr", struct_type="1",
                 struct="1690000015", service="Service de cardiologie",
                 org="Hôpital Édouard Herriot", l6="69003 LYON", postcode="69003", dept="69",
                 demat="True"),
        # 6: duplicate of line 2 (upper case)
        mss_line(kind="PER", address="HELENE.DUPOND@medecin.mssante.fr", id_type="8",
                 pp_id="10003456789", nat="810003456789", family="DUPOND", given="Helene"),
        # 7: empty fields: no given name, no place
        mss_line(kind="PER", address="martin@infirmier.mssante.fr", id_type="8",
                 pp_id="10009999996", nat="810009999996", family="MARTIN", prof="60",
                 prof_label="Infirmier"),
        # 8: liste rouge: never published
        mss_line(kind="PER", address="secret.person@medecin.mssante.fr", id_type="8",
                 pp_id="10007777770", nat="810007777770", family="SECRET", given="Personne",
                 prof="10", prof_label="Médecin", liste_rouge="True"),
        # 9: unknown mailbox kind
        mss_line(kind="XYZ", address="what@ch-lyon.mssante.fr"),
        # 10: PER without a national identifier
        mss_line(kind="PER", address="noid@medecin.mssante.fr", family="SANSID"),
        # 11: not an address
        mss_line(kind="ORG", address="not-an-address", org="Nowhere"),
        # 12: CAB mailbox
        mss_line(kind="CAB", address="cabinet.saint-jean@medecin.mssante.fr", id_type="8",
                 pp_id="10005555551", nat="810005555551", family="SAINT-JEAN",
                 given="Noël", org="Cabinet Saint-Jean", l6="13001 MARSEILLE",
                 postcode="13001", dept="13"),
        # 13: APP mailbox of a lab, Corsican postcode, no département given
        mss_line(kind="APP", address="resultats@labo-ajaccio.mssante.fr", struct_type="3",
                 struct="312345678900019", service="Résultats", org="Laboratoire Œnone",
                 l6="20000 AJACCIO", postcode="20000"),
        # 14: empty address
        mss_line(kind="PER", address="", nat="810000000000", family="VIDE"),
    ]


def write_mailbox_file(path: Path, lines: list[str] | None = None) -> Path:
    body = "\n".join([MSS_HEADER, *(hand_mailbox_lines() if lines is None else lines)])
    path.write_text(body + "\r\n", encoding="utf-8")
    return path


def ps_line(**values: str) -> str:
    names = {
        "id_type": "Type d'identifiant PP", "pp_id": "Identifiant PP",
        "nat": "Identification nationale PP", "civ_ex": "Code civilité d'exercice",
        "civ_ex_label": "Libellé civilité d'exercice", "family": "Nom d'exercice",
        "given": "Prénom d'exercice", "prof": "Code profession",
        "prof_label": "Libellé profession", "spec": "Code savoir-faire",
        "spec_label": "Libellé savoir-faire", "mode": "Code mode exercice",
        "finess": "Numéro FINESS site", "siret": "Numéro SIRET site",
        "org": "Raison sociale site", "postcode": "Code postal (coord. structure)",
        "city": "Libellé commune (coord. structure)",
        "dept": "Code département (coord. structure)",
    }
    by_header = {names[k]: v for k, v in values.items() if k in names}
    return "|".join(by_header.get(h, "") for h in PS_HEADER) + "|"


def hand_ps_lines() -> list[str]:
    return [
        # 2, 3: one person, two activities
        ps_line(id_type="8", pp_id="10003456789", nat="810003456789", civ_ex="DR",
                civ_ex_label="Docteur", family="DUPOND", given="Helene", prof="10",
                prof_label="Médecin", spec="SM54", spec_label="Médecine Générale", mode="L",
                siret="12345678900011", org="Cabinet Dupond", postcode="75011", city="Paris",
                dept="75"),
        ps_line(id_type="8", pp_id="10003456789", nat="810003456789", civ_ex="DR",
                family="DUPOND", given="Helene", prof="10", prof_label="Médecin",
                spec="SM54", spec_label="Médecine Générale", mode="S", finess="750000010",
                org="Hôpital Saint-Antoine", postcode="75012", city="Paris", dept="75"),
        # 4: accents, cardiologist
        ps_line(id_type="8", pp_id="10001234561", nat="810001234561", civ_ex="DR",
                family="D'ARC", given="Éloïse", prof="10", prof_label="Médecin", spec="SM04",
                spec_label="Cardiologie et maladies vasculaires", mode="S",
                finess="690000015", org="Hôpital Édouard Herriot", postcode="69003",
                city="Lyon", dept="69"),
        # 5: too few columns
        "8|10000000009|810000000009|DR|Docteur|",
        # 6: no national identifier
        ps_line(family="ANONYME", given="Sans", prof="60"),
        # 7: exact duplicate of line 4
        ps_line(id_type="8", pp_id="10001234561", nat="810001234561", civ_ex="DR",
                family="D'ARC", given="Éloïse", prof="10", prof_label="Médecin", spec="SM04",
                spec_label="Cardiologie et maladies vasculaires", mode="S",
                finess="690000015", org="Hôpital Édouard Herriot", postcode="69003",
                city="Lyon", dept="69"),
        # 8: ADELI nurse, no structure at all
        ps_line(id_type="0", pp_id="756012345", nat="0756012345", family="LEFÈVRE",
                given="Jean-Pierre", prof="60", prof_label="Infirmier", mode="L"),
    ]


def write_ps_file(path: Path, lines: list[str] | None = None) -> Path:
    body = "\n".join(["|".join(PS_HEADER) + "|", *(hand_ps_lines() if lines is None
                                                    else lines)])
    path.write_text(body + "\n", encoding="utf-8")
    return path
