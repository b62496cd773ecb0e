"""Importing the national files: both formats, both databases, idempotent, day-after update."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import text

from directory import (
    DirectoryImportError,
    LocalMailbox,
    NotPublishable,
    SearchQuery,
    address_known,
    import_files,
    publish_local_mailbox,
    search,
    stats,
    unpublish_local_mailbox,
)
from directory.synthetic import write_synthetic_files
from tests.directory.conftest import DirDB
from tests.directory.samples import (
    hand_mailbox_lines,
    hand_ps_lines,
    mss_line,
    write_mailbox_file,
    write_ps_file,
)


async def test_hand_written_mailbox_file(dirdb: DirDB, tmp_path: Path) -> None:
    path = write_mailbox_file(tmp_path / "Extraction_Correspondance_MSSante.txt")
    report = await import_files(dirdb.sessions, [path], progress=False)
    f = report.files[0]
    assert f.kind == "Extraction_Correspondance_MSSante"
    assert f.lines_read == 13
    rejected = {r.line: r.reason for r in f.rejected}
    assert rejected == {
        4: "expected 32 columns, found 4",
        6: "duplicate address helene.dupond@medecin.mssante.fr (first on line 2)",
        9: "unknown Type de BAL 'XYZ' (expected PER, ORG, APP or CAB)",
        10: "PER mailbox without Identification nationale PP",
        11: "invalid Adresse BAL 'not-an-address'",
        14: "empty Adresse BAL",
    }
    assert f.withheld == 1
    assert (f.created, f.updated, f.removed) == (6, 0, 0)
    assert report.rejected_count == 6 and report.lines_read == 13
    async with dirdb.sessions() as s:
        assert await address_known(s, "Helene.Dupond@medecin.mssante.fr")
        assert await address_known(s, "cardiologie@ch-lyon.mssante.fr")
        assert not await address_known(s, "secret.person@medecin.mssante.fr")
        assert not await address_known(s, "short.line@medecin.mssante.fr")
        corsica = (await s.execute(text(
            "SELECT department FROM dir_entry WHERE address = 'resultats@labo-ajaccio."
            "mssante.fr'"))).scalar_one()
        assert corsica == "2A"
    st = await stats(dirdb.sessions)
    assert st.mailboxes == {"APP": 1, "CAB": 1, "ORG": 1, "PER": 3}


async def test_liste_rouge_never_served(dirdb: DirDB, tmp_path: Path) -> None:
    path = write_mailbox_file(tmp_path / "mss.txt")
    await import_files(dirdb.sessions, [path], progress=False)
    for q in (SearchQuery(text="secret"), SearchQuery(text="personne"),
              SearchQuery(kind="PER", limit=100), SearchQuery(limit=100)):
        page = await search(dirdb.sessions, q)
        assert all("secret" not in m.address for h in page.hits for m in h.mailboxes)
        assert all(h.family != "SECRET" for h in page.hits)
    # a local mailbox on liste rouge is not published, and publishing it removes the entry
    async with dirdb.sessions() as s:
        mb = LocalMailbox("dr.local@demo.mssante.fr", "PER", "Dr Local", "810000000018",
                          family="LOCAL", given="Louise")
        await publish_local_mailbox(s, mb)
        await s.commit()
        assert await address_known(s, mb.address)
        await publish_local_mailbox(s, LocalMailbox(mb.address, "PER", liste_rouge=True))
        await s.commit()
        assert not await address_known(s, mb.address)
        with pytest.raises(NotPublishable):
            await publish_local_mailbox(s, LocalMailbox("123456789012345@patient.mssante.fr",
                                                        "PATIENT"))


async def test_local_mailboxes_survive_imports(dirdb: DirDB, tmp_path: Path) -> None:
    async with dirdb.sessions() as s:
        await publish_local_mailbox(s, LocalMailbox(
            "urgences@demo.mssante.fr", "ORG", "Urgences — CH Démo", "1750000010",
            organisation="Centre hospitalier Démo", service="Urgences", postcode="75011"))
        await s.commit()
    await import_files(dirdb.sessions, [write_mailbox_file(tmp_path / "m.txt")], progress=False)
    page = await search(dirdb.sessions, SearchQuery(text="urgences demo"))
    assert [m.address for h in page.hits for m in h.mailboxes] == ["urgences@demo.mssante.fr"]
    async with dirdb.sessions() as s:
        await unpublish_local_mailbox(s, "URGENCES@demo.mssante.fr")
        await s.commit()
        assert not await address_known(s, "urgences@demo.mssante.fr")
    assert (await stats(dirdb.sessions)).local_mailboxes == 0


async def test_hand_written_ps_file(dirdb: DirDB, tmp_path: Path) -> None:
    path = write_ps_file(tmp_path / "PS_LibreAcces_Personne_activite.txt")
    report = await import_files(dirdb.sessions, [path], progress=False)
    f = report.files[0]
    assert f.kind == "PS_LibreAcces_Personne_activite"
    assert f.lines_read == 7
    assert {r.line: r.reason for r in f.rejected} == {
        5: "expected 56 columns, found 6",
        6: "empty Identification nationale PP",
        7: "duplicate activity (first on line 4)",
    }
    assert (f.created, f.updated, f.removed) == (3, 0, 0)
    assert (f.activities_created, f.activities_removed) == (4, 0)
    st = await stats(dirdb.sessions)
    assert (st.practitioners, st.activities) == (3, 4)


async def test_idempotent_and_day_after(dirdb: DirDB, tmp_path: Path) -> None:
    day1 = write_mailbox_file(tmp_path / "day1.txt")
    first = await import_files(dirdb.sessions, [day1], progress=False)
    again = await import_files(dirdb.sessions, [day1], progress=False)
    assert (again.created, again.updated, again.removed) == (0, 0, 0)
    async with dirdb.sessions() as s:
        before = (await s.execute(text(
            "SELECT entry_key, row_hash, id FROM dir_entry ORDER BY entry_key"))).all()
    assert len(before) == first.created
    lines = hand_mailbox_lines()
    lines[1] = lines[1].replace("Hôpital Édouard Herriot", "Hospices Civils de Lyon")  # changed
    del lines[3]  # ORG cardiologie removed
    lines.append(mss_line(kind="ORG", address="urgences@ch-nice.mssante.fr", struct="1060000011",
                          struct_type="1", service="Urgences", org="CHU de Nice",
                          postcode="06000", l6="06000 NICE"))  # added
    day2 = write_mailbox_file(tmp_path / "day2.txt", lines)
    report = await import_files(dirdb.sessions, [day2], progress=False)
    assert (report.created, report.updated, report.removed) == (1, 1, 1)
    page = await search(dirdb.sessions, SearchQuery(text="hospices civils"))
    assert [h.family for h in page.hits] == ["D'ARC"]
    assert not (await search(dirdb.sessions, SearchQuery(text="cardiologie service"))).hits
    assert (await search(dirdb.sessions, SearchQuery(text="nice urgences"))).hits
    # the PS file: a person's activity changes, one person leaves, one arrives
    await import_files(dirdb.sessions, [write_ps_file(tmp_path / "ps1.txt")], progress=False)
    ps = hand_ps_lines()
    ps[1] = ps[1].replace("Hôpital Saint-Antoine", "Hôpital Tenon")
    del ps[6]  # the ADELI nurse leaves
    ps.append(ps[2].replace("810001234561", "810001234579").replace("10001234561",
                                                                    "10001234579"))
    report = await import_files(dirdb.sessions, [write_ps_file(tmp_path / "ps2.txt", ps)],
                                progress=False)
    f = report.files[0]
    assert (f.created, f.updated, f.removed) == (1, 1, 1)
    assert (f.activities_created, f.activities_removed) == (2, 2)


async def test_generated_files_txt_and_zip(dirdb: DirDB, tmp_path: Path) -> None:
    txt = write_synthetic_files(tmp_path / "txt", persons=600, mailboxes=300, seed=7)
    report = await import_files(dirdb.sessions, txt, progress=False)
    assert report.lines_read == 900 and report.rejected_count == 0
    st = await stats(dirdb.sessions)
    assert st.activities == 600 and st.total_mailboxes == 300
    zips = write_synthetic_files(tmp_path / "zip", persons=600, mailboxes=300, seed=7,
                                 as_zip=True)
    assert all(zipfile.is_zipfile(z) for z in zips)
    again = await import_files(dirdb.sessions, zips, progress=False)
    assert (again.created, again.updated, again.removed, again.rejected_count) == (0, 0, 0, 0)
    assert [f.name.split(":")[0] for f in again.files] == [z.name for z in zips]
    other = write_synthetic_files(tmp_path / "other", persons=600, mailboxes=300, seed=8)
    changed = await import_files(dirdb.sessions, other, progress=False)
    assert changed.created > 0 and changed.removed > 0
    assert (await stats(dirdb.sessions)).activities == 600


async def test_unknown_files(dirdb: DirDB, tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("a|b|c\n1|2|3\n", encoding="utf-8")
    with pytest.raises(DirectoryImportError):
        await import_files(dirdb.sessions, [bad], progress=False)
    # a ZIP with the other PS_LibreAcces members: those are skipped, not fatal
    z = tmp_path / "PS_LibreAcces_202501150000.zip"
    ps = write_ps_file(tmp_path / "PS_LibreAcces_Personne_activite_202501150000.txt")
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(ps, ps.name)
        zf.writestr("PS_LibreAcces_SavoirFaire_202501150000.txt", "Type|Autre|Chose|\n")
    report = await import_files(dirdb.sessions, [z], progress=False)
    assert [bool(f.skipped) for f in report.files] == [False, True]
    assert report.created == 3


async def test_header_variants_and_unknown_columns(dirdb: DirDB, tmp_path: Path) -> None:
    lines = write_ps_file(tmp_path / "ps.txt").read_text(encoding="utf-8").splitlines()
    header = lines[0].replace("Libellé civilité d'exercice", "Libellé civilité exercice")
    header = header.replace("Code département (coord. structure)", "Code Département (structure)")
    header = header[:-1] + "|Colonne Nouvelle|"
    body = [line[:-1] + "|x|" if line.endswith("|") else line for line in lines[1:]]
    path = tmp_path / "variant.txt"
    path.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
    report = await import_files(dirdb.sessions, [path], progress=False)
    f = report.files[0]
    assert f.unknown_columns == ["Colonne Nouvelle"]
    assert f.created == 3
    page = await search(dirdb.sessions, SearchQuery(text="dupond", department="75"))
    assert page.hits
