"""Realistic synthetic national files (no real person's data), reproducible by seed.

``write_synthetic_files(out_dir, persons=N, mailboxes=M, seed=S)`` writes
``PS_LibreAcces_Personne_activite_<ts>.txt`` with N lines (activities; about one person in
seven has two) and ``Extraction_Correspondance_MSSante_<ts>.txt`` with M lines (PER mailboxes of
those persons, then ORG mailboxes of structures), streamed to disk in the exact national
layouts: French names, real profession and specialty codes, RPPS/ADELI, FINESS, SIRET and
SIREN with valid Luhn check digits, real postcodes and communes.
"""

from __future__ import annotations

import random
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from directory.communes import COMMUNES
from directory.formats import MAILBOX_HEADER, PS_HEADER
from directory.normalize import department_of, luhn_check_digit, norm

TIMESTAMP = "202501150000"

FAMILY = (
    "MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU LAURENT SIMON MICHEL "
    "LEFEBVRE LEROY ROUX DAVID BERTRAND MOREL FOURNIER GIRARD BONNET DUPONT LAMBERT FONTAINE "
    "ROUSSEAU VINCENT MULLER LEFEVRE FAURE ANDRE MERCIER BLANC GUERIN BOYER GARNIER CHEVALIER "
    "FRANCOIS LEGRAND GAUTHIER GARCIA PERRIN ROBIN CLEMENT MORIN NICOLAS HENRY ROUSSEL MATHIEU "
    "GAUTIER MASSON MARCHAND DUVAL DENIS DUMONT MARIE LEMAIRE NOEL MEYER DUFOUR MEUNIER BRUN "
    "BLANCHARD GIRAUD JOLY RIVIERE LUCAS BRUNET GAILLARD BARBIER ARNAUD MARTINEZ GERARD ROCHE "
    "RENARD SCHMITT ROY LEROUX COLIN VIDAL CARON PICARD ROGER FABRE AUBERT LEMOINE RENAUD "
    "DUMAS LACROIX OLIVIER PHILIPPE BOURGEOIS PIERRE BENOIT REY LECLERC PAYET ROLLAND LECLERCQ "
    "GUILLAUME LECOMTE LOPEZ JEAN DUPUY GUILLOT HUBERT BERGER CARPENTIER SANCHEZ DUPUIS "
    "MOULIN LOUIS DESCHAMPS HUET VASSEUR PEREZ BOUCHER FLEURY ROYER KLEIN JACQUET ADAM PARIS "
    "POIRIER MARTY AUBRY GUYOT CARRE CHARLES RENAULT CHARPENTIER MENARD MAILLARD BARON "
    "BERTIN BAILLY HERVE SCHNEIDER FERNANDEZ LE_GALL COLLET LEGER BOUVIER JULIEN PREVOST "
    "MILLET PERROT DANIEL LE_ROUX COUSIN GERMAIN BRETON BESSON LANGLOIS REMY LE_GOFF PELLETIER "
    "LEVEQUE PERRIER LEBLANC BARRE LEBRUN MARCHAL WEBER MALLET HAMON BOULANGER JACOB MONNIER "
    "MICHAUD RODRIGUEZ GUICHARD GILLET ETIENNE GRONDIN POULAIN TESSIER CHEVALLIER COLLIN "
    "CHAUVIN DA_SILVA BOUCHET GAY LEMAITRE BENARD MARECHAL HUMBERT REYNAUD ANTOINE HOARAU "
    "PERRET BARTHELEMY CORDIER PICHON LEJEUNE GILBERT LAMY DELAUNAY PASQUIER CARLIER LAPORTE "
    "DUPOND D'ALMEIDA N'DIAYE LEFÈVRE BÉNARD MÉNARD GÉRARD HÉBERT LÉGER FRÉMONT ÉTIENNE "
    "CHÂTELAIN BOËLLE DE_LA_FONTAINE SAINT-JEAN LE_BRIS KERGOAT"
).replace("_", " ").split()

GIVEN_F = (
    "Marie Nathalie Isabelle Sylvie Catherine Françoise Christine Anne Valérie Sandrine "
    "Véronique Stéphanie Céline Sophie Julie Aurélie Camille Émilie Hélène Laure Claire Élodie "
    "Caroline Virginie Mélanie Pauline Léa Manon Chloé Inès Clémence Agnès Béatrice Noémie "
    "Anaïs Maëlle Zoé Margaux Océane Joëlle Mathilde Charlotte Lucie Juliette Sarah Laëtitia"
).split()
GIVEN_M = (
    "Jean Pierre Michel Philippe Alain Nicolas Christophe Patrick Laurent Frédéric Stéphane "
    "Sébastien Olivier David Éric Julien Thomas François Jérôme Vincent Antoine Guillaume "
    "Maxime Benoît Hugo Lucas Louis Mathieu Raphaël Gaël Loïc Yannick Hervé Thierry Rémi "
    "Jean-Pierre Jean-Marc Pierre-Yves Marc-Antoine Noël Joël Cédric Grégoire Aurélien Théo"
).split()

# (profession code, label, share, category) ; specialties only for physicians
PROFESSIONS = (
    ("10", "Médecin", 30), ("60", "Infirmier", 28), ("70", "Masseur-Kinésithérapeute", 10),
    ("21", "Pharmacien", 9), ("40", "Chirurgien-Dentiste", 6), ("50", "Sage-Femme", 3),
    ("91", "Orthophoniste", 3), ("80", "Pédicure-Podologue", 2), ("92", "Orthoptiste", 1),
    ("26", "Audioprothésiste", 1), ("28", "Opticien-Lunetier", 3), ("94", "Ergothérapeute", 1),
    ("95", "Diététicien", 1), ("96", "Psychomotricien", 1), ("98", "Manipulateur ERM", 1),
)
SPECIALTIES = (
    ("SM54", "Médecine Générale", 40), ("SM04", "Cardiologie et maladies vasculaires", 5),
    ("SM15", "Dermatologie et vénéréologie", 3), ("SM02", "Anesthésie-réanimation", 5),
    ("SM38", "Pédiatrie", 4), ("SM40", "Psychiatrie", 5), ("SM36", "Ophtalmologie", 3),
    ("SM20", "Gynécologie-obstétrique", 3), ("SM42", "Radio-diagnostic", 3),
    ("SM44", "Radio-diagnostic et imagerie médicale", 3), ("SM31", "Neurologie", 2),
    ("SM39", "Pneumologie", 2), ("SM23", "Gastro-entérologie et hépatologie", 2),
    ("SM46", "Rhumatologie", 2), ("SM29", "Néphrologie", 1), ("SM25", "Médecine interne", 2),
    ("SM08", "Chirurgie orthopédique et traumatologie", 2), ("SM16",
     "Endocrinologie et métabolisme", 1), ("SM18", "Gériatrie", 2),
    ("SM33", "O.R.L et chirurgie cervico faciale", 2), ("SM03", "Biologie médicale", 2),
)
STREET_TYPES = (("R", "Rue"), ("AV", "Avenue"), ("BD", "Boulevard"), ("PL", "Place"),
                ("CHE", "Chemin"), ("ALL", "Allée"), ("IMP", "Impasse"), ("QU", "Quai"))
STREETS = ("de la République", "Victor Hugo", "Jean Jaurès", "du Général de Gaulle",
           "Pasteur", "de la Gare", "des Écoles", "Gambetta", "Jules Ferry", "de l'Église",
           "du Maréchal Foch", "Émile Zola", "des Tilleuls", "de la Liberté", "Saint-Martin",
           "Carnot", "Voltaire", "de Verdun", "de la Paix", "Anatole France")
SERVICES = ("Cardiologie", "Urgences", "Pédiatrie", "Maternité", "Radiologie", "Laboratoire",
            "Pharmacie", "Secrétariat médical", "Oncologie", "Gériatrie", "Bloc opératoire",
            "Psychiatrie adulte", "Néphrologie", "Consultations externes", "Médecine interne")
DEPT_NAMES = {
    "01": "Ain", "02": "Aisne", "03": "Allier", "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes", "06": "Alpes-Maritimes", "07": "Ardèche", "08": "Ardennes",
    "09": "Ariège", "10": "Aube", "11": "Aude", "12": "Aveyron", "13": "Bouches-du-Rhône",
    "14": "Calvados", "15": "Cantal", "16": "Charente", "17": "Charente-Maritime",
    "18": "Cher", "19": "Corrèze", "2A": "Corse-du-Sud", "2B": "Haute-Corse",
    "21": "Côte-d'Or", "22": "Côtes-d'Armor", "23": "Creuse", "24": "Dordogne", "25": "Doubs",
    "26": "Drôme", "27": "Eure", "28": "Eure-et-Loir", "29": "Finistère", "30": "Gard",
    "31": "Haute-Garonne", "32": "Gers", "33": "Gironde", "34": "Hérault",
    "35": "Ille-et-Vilaine", "36": "Indre", "37": "Indre-et-Loire", "38": "Isère",
    "39": "Jura", "40": "Landes", "41": "Loir-et-Cher", "42": "Loire", "43": "Haute-Loire",
    "44": "Loire-Atlantique", "45": "Loiret", "46": "Lot", "47": "Lot-et-Garonne",
    "48": "Lozère", "49": "Maine-et-Loire", "50": "Manche", "51": "Marne",
    "52": "Haute-Marne", "53": "Mayenne", "54": "Meurthe-et-Moselle", "55": "Meuse",
    "56": "Morbihan", "57": "Moselle", "58": "Nièvre", "59": "Nord", "60": "Oise",
    "61": "Orne", "62": "Pas-de-Calais", "63": "Puy-de-Dôme", "64": "Pyrénées-Atlantiques",
    "65": "Hautes-Pyrénées", "66": "Pyrénées-Orientales", "67": "Bas-Rhin", "68": "Haut-Rhin",
    "69": "Rhône", "70": "Haute-Saône", "71": "Saône-et-Loire", "72": "Sarthe",
    "73": "Savoie", "74": "Haute-Savoie", "75": "Paris", "76": "Seine-Maritime",
    "77": "Seine-et-Marne", "78": "Yvelines", "79": "Deux-Sèvres", "80": "Somme",
    "81": "Tarn", "82": "Tarn-et-Garonne", "83": "Var", "84": "Vaucluse", "85": "Vendée",
    "86": "Vienne", "87": "Haute-Vienne", "88": "Vosges", "89": "Yonne",
    "90": "Territoire de Belfort", "91": "Essonne", "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis", "94": "Val-de-Marne", "95": "Val-d'Oise",
    "971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion",
    "976": "Mayotte",
}


def _with_luhn(body: str) -> str:
    return body + luhn_check_digit(body)


class _Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.prof_weights = [p[2] for p in PROFESSIONS]
        self.spec_weights = [s[2] for s in SPECIALTIES]
        # Zipf-like surname frequencies, as in the real population
        self.family_weights = [1.0 / (i + 5) for i in range(len(FAMILY))]
        self.rpps_serial = 0
        self.struct_serial = 0

    def rpps(self) -> str:
        self.rpps_serial += 1
        return _with_luhn(f"1{self.rpps_serial * 7919 % 1_000_000_000:09d}")

    def adeli(self, dept: str, prof: str) -> str:
        self.rpps_serial += 1
        d = dept if dept.isdigit() else "20"
        return _with_luhn(f"{d[:2]}{prof[:2]}{self.rpps_serial % 10000:04d}")

    def place(self) -> tuple[str, str, str]:
        return self.r.choice(COMMUNES)

    def structure(self, kind: str, place: tuple[str, str, str]) -> dict[str, str]:
        """A cabinet, a pharmacy or a hospital at a place, with consistent identifiers."""
        self.struct_serial += 1
        postcode, insee, city = place
        dept = department_of(postcode)
        siren = _with_luhn(f"{(self.struct_serial * 104729) % 100_000_000:08d}")
        siret = _with_luhn(f"{siren}{self.struct_serial % 10000:04d}")
        finess = ""
        if kind in ("hospital", "pharmacy", "lab"):
            finess = _with_luhn(f"{dept[:2] if dept[:2].isdigit() else '20'}"
                                f"{self.struct_serial % 1_000_000:06d}")
        r = self.r
        street_type = r.choice(STREET_TYPES)
        return {
            "siret": siret, "siren": siren, "finess": finess,
            "finess_ej": finess and _with_luhn(
                finess[:2] + f"{(int(finess[2:8]) + 1) % 1000000:06d}"),
            "tech_id": f"R{self.struct_serial:010d}", "postcode": postcode, "insee": insee,
            "city": city, "dept": dept, "number": str(r.randint(1, 180)),
            "street_type_code": street_type[0], "street_type": street_type[1],
            "street": r.choice(STREETS), "phone": f"0{r.randint(1, 5)}{r.randint(0, 99999999):08d}",
        }

    def name(self) -> tuple[str, str, str, str]:
        female = self.r.random() < 0.55
        given = self.r.choice(GIVEN_F if female else GIVEN_M)
        family = self.r.choices(FAMILY, self.family_weights)[0]
        return ("MME" if female else "M", "Madame" if female else "Monsieur", given, family)


def _ps_line(g: _Gen, nat: tuple[str, str, str], person: tuple[str, str, str, str],
             prof: tuple[str, str, int], spec: tuple[str, str, int] | None, liberal: bool,
             st: dict[str, str], org_name: str, sector: tuple[str, str]) -> str:
    id_type, pp_id, national_id = nat
    civ_code, civ_label, given, family = person
    doctor = prof[0] in ("10", "40")
    values = [
        id_type, pp_id, national_id, "DR" if doctor else "", "Docteur" if doctor else "",
        civ_code, civ_label, family, given, prof[0], prof[1], "C", "Civil",
        "S" if spec else "", "Spécialité ordinale" if spec else "", spec[0] if spec else "",
        spec[1] if spec else "", "L" if liberal else "S", "Libéral" if liberal else "Salarié",
        st["siret"], st["siren"], st["finess"], st["finess_ej"], st["tech_id"], org_name, "",
        "", "", st["number"], "", st["street_type_code"], st["street_type"], st["street"], "",
        "", st["postcode"], st["insee"], st["city"], "99000", "France", st["phone"], "", "",
        "", st["dept"], DEPT_NAMES.get(st["dept"], ""), "", "ARS/ONI", sector[0], sector[1],
        "", "", "", "", "", "",
    ]
    return "|".join(values) + "|\n"


def _mailbox_line(kind: str, address: str, nat: tuple[str, str, str] | None,
                  person: tuple[str, str, str, str] | None, prof: tuple[str, str, int] | None,
                  spec: tuple[str, str, int] | None, st: dict[str, str], org_name: str,
                  service: str, demat: bool) -> str:
    id_type, pp_id, national_id = nat or ("", "", "")
    _civ, _label, given, family = person or ("", "", "", "")
    struct_type, struct_id = ("1", "1" + st["finess"]) if st["finess"] else ("3", "3" + st["siret"])
    values = [
        kind, address, id_type, pp_id, national_id, struct_type, struct_id, service,
        ("DR" if prof and prof[0] == "10" else "") if person else "", family, given,
        "C" if person else "", "Civil" if person else "", prof[0] if prof else "",
        prof[1] if prof else "", spec[0] if spec else "", spec[1] if spec else "",
        "True" if demat else "False", org_name, "", "", "",
        st["number"], "", st["street_type"], st["street"], "",
        f"{st['postcode']} {norm(st['city']).upper()}", st["postcode"], st["dept"], "France",
    ]
    return "|".join(values) + "\n"


def _domain(prof: tuple[str, str, int] | None, st: dict[str, str]) -> str:
    if prof is not None and prof[0] == "10":
        return "medecin.mssante.fr"
    if prof is not None and prof[0] == "21":
        return "pharmacien.mssante.fr"
    if prof is not None and prof[0] == "60":
        return "infirmier.mssante.fr"
    return f"ch-{norm(st['city']).replace(' ', '-')}.mssante.fr"


def _local(given: str, family: str) -> str:
    return ".".join(norm(p).replace(" ", "-") for p in (given, family))


def generate(persons: int, mailboxes: int, seed: int) -> Iterator[tuple[str, str]]:
    """Yield ("ps", line) and ("mss", line) pairs; no header lines."""
    g = _Gen(seed)
    r = g.r
    per_target = min(int(mailboxes * 0.85), persons)
    used: dict[str, int] = {}
    rows = 0
    person_index = 0
    while rows < persons:
        person = g.name()
        prof = r.choices(PROFESSIONS, g.prof_weights)[0]
        spec = r.choices(SPECIALTIES, g.spec_weights)[0] if prof[0] == "10" else None
        place = g.place()
        if r.random() < 0.05 and prof[0] not in ("10", "21", "40", "50"):
            adeli = g.adeli(department_of(place[0]), prof[0])
            nat = ("0", adeli, "0" + adeli)
        else:
            rpps = g.rpps()
            nat = ("8", rpps, "8" + rpps)
        activities = 2 if r.random() < 0.15 and rows + 2 <= persons else 1
        first_struct: dict[str, str] | None = None
        first_org = ""
        for a in range(activities):
            liberal = r.random() < (0.6 if a == 0 else 0.3)
            if prof[0] == "21":
                st = g.structure("pharmacy", place if a == 0 else g.place())
                org = f"Pharmacie {r.choice(STREETS)}"
                sector = ("SA33", "Officine")
            elif liberal:
                st = g.structure("cabinet", place if a == 0 else g.place())
                org = f"Cabinet {'du Dr ' if prof[0] == '10' else ''}{person[3]}"
                sector = ("SA07", "Cabinet individuel")
            else:
                st = g.structure("hospital", place if a == 0 else g.place())
                org = f"Centre hospitalier de {st['city']}"
                sector = ("SA01", "Etablissement public de santé")
            yield "ps", _ps_line(g, nat, person, prof, spec, liberal, st, org, sector)
            if first_struct is None:
                first_struct, first_org = st, org
        rows += activities
        # exactly per_target PER mailboxes, spread evenly over the persons
        person_index += 1
        if (person_index * per_target) // max(persons, 1) > ((person_index - 1) * per_target
                                                              ) // max(persons, 1):
            assert first_struct is not None
            base = f"{_local(person[2], person[3])}@{_domain(prof, first_struct)}"
            n = used.get(base, 0)
            used[base] = n + 1
            address = base if n == 0 else base.replace("@", f"{n + 1}@")
            yield "mss", _mailbox_line("PER", address, nat, person, prof, spec, first_struct,
                                       first_org, "", r.random() < 0.7)
    produced_per = min(per_target, person_index * per_target // max(persons, 1))
    org_count = max(0, mailboxes - produced_per)
    for i in range(org_count):
        st = g.structure("hospital", g.place())
        service = r.choice(SERVICES)
        org = f"Centre hospitalier de {st['city']}"
        address = f"{norm(service).replace(' ', '-')}.{i}@{_domain(None, st)}"
        yield "mss", _mailbox_line("ORG", address, None, None, None, None, st, org, service,
                                   r.random() < 0.5)


def write_synthetic_files(out_dir: Path, persons: int = 2000, mailboxes: int = 1000,
                          seed: int = 1, *, as_zip: bool = False,
                          timestamp: str = TIMESTAMP) -> list[Path]:
    """Write both national files (``persons`` PS lines, ``mailboxes`` mailbox lines).

    Returns their paths; with ``as_zip`` each file is wrapped in the agency's ZIP naming.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ps_path = out_dir / f"PS_LibreAcces_Personne_activite_{timestamp}.txt"
    mss_path = out_dir / f"Extraction_Correspondance_MSSante_{timestamp}.txt"
    with ps_path.open("w", encoding="utf-8", newline="") as ps, \
            mss_path.open("w", encoding="utf-8", newline="") as mss:
        ps.write("|".join(PS_HEADER) + "|\n")
        mss.write("|".join(MAILBOX_HEADER) + "\n")
        targets: dict[str, IO[str]] = {"ps": ps, "mss": mss}
        buffers: dict[str, list[str]] = {"ps": [], "mss": []}
        for which, line in generate(persons, mailboxes, seed):
            buf = buffers[which]
            buf.append(line)
            if len(buf) >= 10000:
                targets[which].write("".join(buf))
                buf.clear()
        for which, buf in buffers.items():
            targets[which].write("".join(buf))
    if not as_zip:
        return [ps_path, mss_path]
    zips = []
    for path, stem in ((ps_path, f"PS_LibreAcces_{timestamp}"),
                       (mss_path, f"Extraction_Correspondance_MSSante_{timestamp}")):
        zpath = out_dir / f"{stem}.zip"
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(path, path.name)
        path.unlink()
        zips.append(zpath)
    return zips
