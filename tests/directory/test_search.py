"""Search semantics: accents, prefixes, specialty labels, filters, ranking, stable paging."""

from __future__ import annotations

from pathlib import Path

import pytest

from directory import SearchQuery, address_known, import_files, search
from directory.normalize import department_of, luhn_valid, norm
from directory.synthetic import write_synthetic_files
from tests.directory.conftest import DirDB
from tests.directory.samples import write_mailbox_file, write_ps_file


@pytest.fixture
async def loaded(dirdb: DirDB, tmp_path: Path) -> DirDB:
    ps, mss = write_synthetic_files(tmp_path / "gen", persons=1500, mailboxes=700, seed=11)
    # each file is a full snapshot of its kind: add the hand-written lines to the generated ones
    hand_ps = write_ps_file(tmp_path / "ps.txt").read_text(encoding="utf-8").split("\n", 1)[1]
    with ps.open("a", encoding="utf-8") as f:
        f.write(hand_ps)
    hand = write_mailbox_file(tmp_path / "mss.txt").read_text(encoding="utf-8").splitlines()[1:]
    lines = mss.read_text(encoding="utf-8").splitlines()
    lines[0] += "|Liste rouge"
    lines[1:] = [line + "|False" for line in lines[1:]] + hand
    mss.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = await import_files(dirdb.sessions, [ps, mss], progress=False)
    assert report.lines_read == 1500 + 7 + 700 + 13
    return dirdb


def test_normalisation() -> None:
    assert norm("Hélène D'ARC-Œuvre") == "helene d arc oeuvre"
    assert department_of("20000") == "2A" and department_of("20200") == "2B"
    assert department_of("97411") == "974" and department_of("75011", "75") == "75"
    assert luhn_valid("10003456789") is False or luhn_valid("10003456789") is True
    from directory.synthetic import _with_luhn

    assert luhn_valid(_with_luhn("1000000001"))


async def test_accents_and_case(loaded: DirDB) -> None:
    page = await search(loaded.sessions, SearchQuery(text="hélène dupond"))
    assert page.hits[0].family == "DUPOND" and page.hits[0].given == "Helene"
    assert {m.address for m in page.hits[0].mailboxes} == {"helene.dupond@medecin.mssante.fr"}
    for q in ("eloise d'arc", "ÉLOÏSE", "darc", "d arc", "herriot"):
        hits = (await search(loaded.sessions, SearchQuery(text=q))).hits
        assert any(h.family == "D'ARC" for h in hits), q


async def test_prefixes_and_specialty_label(loaded: DirDB) -> None:
    hits = (await search(loaded.sessions, SearchQuery(text="dupo"))).hits
    assert any(h.family == "DUPOND" for h in hits)
    card = (await search(loaded.sessions, SearchQuery(text="card", limit=100))).hits
    assert card and any(h.specialty_code == "SM04" for h in card)
    cardiologists = (await search(loaded.sessions, SearchQuery(text="card",
                                                               entry_type="practitioner",
                                                               limit=100))).hits
    assert all("card" in norm(h.specialty + " " + h.name + " " + h.organisation)
               for h in cardiologists)
    lyon = (await search(loaded.sessions, SearchQuery(text="eloise lyon"))).hits
    assert lyon and all(h.city.lower().startswith("lyon") for h in lyon)


async def test_filters(loaded: DirDB) -> None:
    s = loaded.sessions
    spec = (await search(s, SearchQuery(specialty="SM04", department="69", limit=100))).hits
    assert spec and all(h.specialty_code == "SM04" and h.department == "69" for h in spec)
    orgs = (await search(s, SearchQuery(kind="ORG", limit=100))).hits
    assert orgs and all(m.kind == "ORG" for h in orgs for m in h.mailboxes)
    by_org = (await search(s, SearchQuery(organisation="690000015", limit=100))).hits
    assert {h.entry_type for h in by_org} == {"practitioner", "mailbox"}
    pc = (await search(s, SearchQuery(postcode="69003", limit=100))).hits
    assert pc and all(h.postcode == "69003" for h in pc)
    prefix = (await search(s, SearchQuery(postcode="690", limit=100))).hits
    assert all(h.postcode.startswith("690") for h in prefix)
    nurses = (await search(s, SearchQuery(profession="60", limit=50))).hits
    assert nurses and all(h.profession_code == "60" for h in nurses)
    assert not (await search(s, SearchQuery(text="zzzzzz"))).hits


async def test_exact_name_first(loaded: DirDB) -> None:
    page = await search(loaded.sessions, SearchQuery(text="martin", limit=50))
    assert page.hits[0].family == "MARTIN"
    exact = [h.family == "MARTIN" for h in page.hits]
    # all exact matches come before any other
    assert exact == sorted(exact, reverse=True)


async def test_paging_is_stable(loaded: DirDB) -> None:
    full = await search(loaded.sessions, SearchQuery(text="m", limit=100))
    assert full.has_more
    seen: list[int] = []
    offset: int | None = 0
    while offset is not None and offset < 100:
        page = await search(loaded.sessions, SearchQuery(text="m", limit=7, offset=offset))
        seen += [h.id for h in page.hits]
        offset = page.next_offset
    assert seen[:100] == [h.id for h in full.hits]
    assert len(set(seen)) == len(seen)


async def test_patient_visibility(loaded: DirDB) -> None:
    visible = frozenset({"helene.dupond@medecin.mssante.fr"})
    hits = (await search(loaded.sessions, SearchQuery(limit=100,
                                                      visible_addresses=visible))).hits
    assert hits and {h.national_id for h in hits} == {"810003456789"}
    nothing = await search(loaded.sessions, SearchQuery(text="d'arc",
                                                        visible_addresses=frozenset()))
    assert not nothing.hits


async def test_address_known(loaded: DirDB) -> None:
    async with loaded.sessions() as s:
        assert await address_known(s, " ELOISE.DARC@ch-lyon.mssante.fr ")
        assert not await address_known(s, "nobody@nowhere.mssante.fr")
