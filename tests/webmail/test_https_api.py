"""The HTTPS app of `mssante serve` with the real login: the directory API behind Basic
authentication, and patients restricted to the professionals of their own conversations."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from mailserver.imap import start_imap
from mailserver.services import MailServices, build_services
from tests.conftest import DOCTOR, NURSE, PASSWORD, PATIENT
from tests.mailserver.imap.imap_wire import Wire, client_context
from webmail import create_app


def client(services: MailServices, user: str | None = None,
           password: str = PASSWORD) -> httpx.AsyncClient:
    auth = (user, password) if user else None
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services)),
                             base_url="https://testserver", auth=auth)


async def names(c: httpx.AsyncClient, q: str) -> set[str]:
    r = await c.get("/api/directory/search", params={"q": q})
    assert r.status_code == 200, r.text
    return {m["address"] for h in r.json()["hits"] for m in h["mailboxes"]} | {
        h.get("address", "") for h in r.json()["hits"]} - {""}


async def test_anonymous_and_wrong_password_refused(services: MailServices,
                                                    accounts: dict) -> None:
    async with client(services) as c:
        r = await c.get("/api/directory/search", params={"q": "martin"})
        assert r.status_code == 401 and "Basic" in r.headers["www-authenticate"]
    async with client(services, DOCTOR, "wrong") as c:
        assert (await c.get("/api/directory/search", params={"q": "x"})).status_code == 401
    async with client(services) as c:
        r = await c.get("/api/directory/search", headers={"Authorization": "Basic !!!"})
        assert r.status_code == 400


async def test_professional_sees_the_directory(services: MailServices, accounts: dict) -> None:
    async with client(services, DOCTOR) as c:
        r = await c.get("/api/directory/search", params={"q": "durand"})
        assert r.status_code == 200
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert NURSE in str(r.json())


async def test_patient_sees_only_own_correspondents(services: MailServices,
                                                    accounts: dict) -> None:
    doctor = await services.store.get_account(DOCTOR)
    patient = await services.store.get_account(PATIENT)
    raw = (f"From: {DOCTOR}\r\nTo: {PATIENT}\r\nSubject: RDV\r\nMessage-ID: <p1@h>\r\n\r\n"
           "Bonjour\r\n").encode()
    await services.delivery.deliver(raw, mail_from=DOCTOR, recipients=[patient],
                                    sender=doctor)
    async with client(services, PATIENT) as c:
        r = await c.get("/api/directory/search", params={"q": "martin"})
        assert r.status_code == 200 and DOCTOR in str(r.json())
        r = await c.get("/api/directory/search", params={"q": "durand"})
        assert r.status_code == 200 and NURSE not in str(r.json())


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_directory_check_is_wired_when_configured(settings, accounts: dict) -> None:  # type: ignore[no-untyped-def]
    strict = dataclasses.replace(settings, directory=dataclasses.replace(
        settings.directory, refuse_unknown_professionals=True))
    services = await build_services(strict)
    try:
        assert services.directory_check is not None
        assert await services.directory_check(DOCTOR)
        assert not await services.directory_check("nobody@autre-hopital.test")
    finally:
        await services.close()


async def test_patient_appended_forgery_adds_no_correspondent(services: MailServices,
                                                              accounts: dict) -> None:
    """Issue 16 item 15: a message the patient APPENDs over IMAP with a forged From and
    Reply-To naming a professional does not make that professional visible to them."""
    doctor = await services.store.get_account(DOCTOR)
    patient = await services.store.get_account(PATIENT)
    assert doctor is not None and patient is not None
    raw = (f"From: {DOCTOR}\r\nTo: {PATIENT}\r\nSubject: RDV\r\nMessage-ID: <p2@h>\r\n\r\n"
           "Bonjour\r\n").encode()
    await services.delivery.deliver(raw, mail_from=DOCTOR, recipients=[patient],
                                    sender=doctor)
    forged = (f"From: {NURSE}\r\nReply-To: {NURSE}\r\nTo: {PATIENT}\r\n"
              "Subject: forged\r\nMessage-ID: <p2@h>\r\n\r\nx\r\n").encode()
    servers = await start_imap(services)
    try:
        assert servers.tls_port is not None
        wire = await Wire.connect(servers.tls_port, client_context(services.settings.tls.client_ca))
        try:
            await wire.login(PATIENT, PASSWORD)
            out = await wire.cmd(b"APPEND INBOX {%d+}\r\n" % len(forged) + forged)
            assert b" OK " in out.splitlines()[-1], out
        finally:
            await wire.close()
    finally:
        await servers.close(grace=1.0)
    async with client(services, PATIENT) as c:
        found = await names(c, "durand")
        assert NURSE not in found
        assert DOCTOR in await names(c, "martin")
