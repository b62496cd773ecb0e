"""HTTP API: JSON search, FHIR R4 resources (validated with fhir.resources), authorisation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Request
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole

from directory import import_files
from directory.api import build_router
from directory.fhir import MAILBOX_EXT
from tests.directory.conftest import DirDB
from tests.directory.samples import write_mailbox_file, write_ps_file


@dataclass
class User:
    address: str
    kind: str
    contacts: set[str] = field(default_factory=set)

    async def correspondents(self) -> set[str]:
        return set(self.contacts)


USERS = {
    "pro": User("dr.who@demo.mssante.fr", "PER"),
    "patient": User("123456789012345@patient.mssante.fr", "PATIENT",
                    {"helene.dupond@medecin.mssante.fr", "cardiologie@ch-lyon.mssante.fr"}),
}


async def authenticate(request: Request) -> User:
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    user = USERS.get(token)
    if user is None:
        raise HTTPException(401, "authentication required",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


@pytest.fixture
async def client(dirdb: DirDB, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    await import_files(dirdb.sessions, [write_ps_file(tmp_path / "ps.txt"),
                                        write_mailbox_file(tmp_path / "mss.txt")],
                       progress=False)
    app = FastAPI()
    app.include_router(build_router(dirdb.sessions, authenticate))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


PRO = {"Authorization": "Bearer pro"}
PATIENT = {"Authorization": "Bearer patient"}


async def test_anonymous_refused(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/directory/search", params={"q": "dupond"})
    assert r.status_code == 401
    r = await client.get("/fhir/Practitioner", params={"name": "dupond"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/fhir+json")
    assert r.headers["www-authenticate"] == "Bearer"
    outcome = OperationOutcome.model_validate(r.json())
    assert outcome.issue[0].code == "login"


async def test_json_search_and_openapi(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/directory/search", params={"q": "hélène dupond"}, headers=PRO)
    assert r.status_code == 200
    body = r.json()
    assert body["hits"][0]["family"] == "DUPOND"
    assert body["hits"][0]["mailboxes"] == [
        {"address": "helene.dupond@medecin.mssante.fr", "kind": "PER"}]
    r = await client.get("/api/directory/search", params={"kind": "BAD"}, headers=PRO)
    assert r.status_code == 422
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/api/directory/search" in paths
    schema = paths["/api/directory/search"]["get"]["responses"]["200"]["content"]
    assert "SearchResponse" in str(schema)


async def test_fhir_reads_validate(client: httpx.AsyncClient) -> None:
    r = await client.get("/fhir/Practitioner/810001234561", headers=PRO)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/fhir+json")
    prac = Practitioner.model_validate(r.json())
    assert prac.name[0].family == "D'ARC"
    telecom = prac.telecom[0]
    assert telecom.system == "email" and telecom.value == "eloise.darc@ch-lyon.mssante.fr"
    meta = telecom.extension[0]
    assert meta.url == MAILBOX_EXT
    kind = next(e for e in meta.extension if e.url == "type")
    assert kind.valueCodeableConcept.coding[0].code == "PER"

    r = await client.get("/fhir/Organization/1690000015", headers=PRO)
    org = Organization.model_validate(r.json())
    assert org.name == "Hôpital Édouard Herriot"
    assert [t.value for t in org.telecom if t.system == "email"] == [
        "cardiologie@ch-lyon.mssante.fr"]

    r = await client.get("/fhir/PractitionerRole", params={"practitioner": "810003456789"},
                         headers=PRO)
    bundle = Bundle.model_validate(r.json())
    assert bundle.type == "searchset" and len(bundle.entry) == 2
    role_id = bundle.entry[0].resource.id
    r = await client.get(f"/fhir/PractitionerRole/{role_id}", headers=PRO)
    role = PractitionerRole.model_validate(r.json())
    assert role.practitioner.reference == "Practitioner/810003456789"
    assert role.code[0].coding[0].code == "10"


async def test_fhir_errors_are_operation_outcomes(client: httpx.AsyncClient) -> None:
    for path in ("/fhir/Practitioner/899999999999", "/fhir/Organization/nope",
                 "/fhir/PractitionerRole/abc"):
        r = await client.get(path, headers=PRO)
        assert r.status_code == 404, path
        assert OperationOutcome.model_validate(r.json()).issue[0].code == "not-found"
    r = await client.get("/fhir/Practitioner", params={"_count": "many"}, headers=PRO)
    assert r.status_code == 400
    assert OperationOutcome.model_validate(r.json()).issue[0].code == "invalid"


async def test_fhir_bundle_paging(client: httpx.AsyncClient) -> None:
    r = await client.get("/fhir/Practitioner", params={"_count": 2}, headers=PRO)
    first = Bundle.model_validate(r.json())
    links = {link.relation: link.url for link in first.link}
    assert set(links) == {"self", "next"}
    ids = [e.resource.id for e in first.entry]
    nxt = urlparse(links["next"])
    r = await client.get(nxt.path, params={k: v[0] for k, v in parse_qs(nxt.query).items()},
                         headers=PRO)
    second = Bundle.model_validate(r.json())
    links2 = {link.relation: link.url for link in second.link}
    assert "previous" in links2 and parse_qs(urlparse(links2["previous"]).query)["_offset"] == ["0"]
    ids2 = [e.resource.id for e in second.entry]
    assert len(ids2) == 2 and not set(ids) & set(ids2)
    by_name = Bundle.model_validate((await client.get(
        "/fhir/Practitioner", params={"family": "dup", "given": "hél"}, headers=PRO)).json())
    assert [e.resource.id for e in by_name.entry] == ["810003456789"]
    ident = Bundle.model_validate((await client.get(
        "/fhir/Practitioner", params={"identifier": f"{'urn:oid:1.2.250.1.71.4.2.1'}|810001234561"},
        headers=PRO)).json())
    assert [e.resource.id for e in ident.entry] == ["810001234561"]
    orgs = Bundle.model_validate((await client.get(
        "/fhir/Organization", params={"name": "herriot"}, headers=PRO)).json())
    assert [e.resource.id for e in orgs.entry] == ["1690000015"]


async def test_patient_sees_only_own_correspondents(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/directory/search", params={"limit": 100}, headers=PATIENT)
    names = {h["family"] or h["organisation"] for h in r.json()["hits"]}
    assert names == {"DUPOND", "Hôpital Édouard Herriot"}
    assert not (await client.get("/api/directory/search", params={"q": "d'arc"},
                                 headers=PATIENT)).json()["hits"]
    assert (await client.get("/fhir/Practitioner/810001234561", headers=PATIENT)
            ).status_code == 404
    assert (await client.get("/fhir/Practitioner/810003456789", headers=PATIENT)
            ).status_code == 200
    bundle = Bundle.model_validate((await client.get("/fhir/Practitioner", headers=PATIENT)
                                    ).json())
    assert [e.resource.id for e in bundle.entry] == ["810003456789"]
    orgs = Bundle.model_validate((await client.get("/fhir/Organization", headers=PATIENT)
                                  ).json())
    # the hospital of the ORG mailbox, and the structure of Dr Dupond's own mailbox
    assert [e.resource.id for e in orgs.entry] == ["1690000015", "1750000010"]
