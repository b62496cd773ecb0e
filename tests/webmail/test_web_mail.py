"""Reading mail in the webmail over the real app: conversations, the sandboxed message
frame, attachments, flags and Trash, patient notices, CSRF and cross-account ids."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from mailserver.services import MailServices
from tests.conftest import DOCTOR, NURSE, PASSWORD, PATIENT
from tests.webmail.web_client import csrf_token, log_in, web_client

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def hostile(subject: str = "Résultats", extra: str = "") -> bytes:
    return (f'From: "Dr Jean MARTIN" <{DOCTOR}>\r\nTo: {PATIENT}\r\nSubject: {subject}\r\n'
            f"Message-ID: <{abs(hash(subject + extra))}@hopital.test>\r\n{extra}"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
            "--zz\r\nContent-Type: multipart/alternative; boundary=yy\r\n\r\n"
            "--yy\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            'Voir https://example.test/"><script>alert(1)</script> bien.\r\n> cité\r\n'
            "--yy\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            "<p onclick=alert(1) style='position:fixed;top:0'>Bonjour"
            "<img src=https://tracker.example/p.gif><script>alert(2)</script>"
            "<a href='javascript:alert(3)'>x</a></p>\r\n--yy--\r\n"
            "--zz\r\nContent-Type: application/pdf\r\n"
            'Content-Disposition: attachment; filename="<img src=x onerror=alert(5)>ordo.pdf"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
            + __import__("base64").b64encode(PDF).decode() + "\r\n"
            "--zz\r\nContent-Type: text/html\r\n"
            'Content-Disposition: attachment; filename="page.html"\r\n\r\n'
            "<script>alert(4)</script>\r\n--zz--\r\n").encode()


async def deliver(services: MailServices, raw: bytes, to: str = PATIENT) -> None:
    doctor = await services.store.get_account(DOCTOR)
    rcpt = await services.store.get_account(to)
    assert rcpt is not None
    await services.delivery.deliver(raw, mail_from=DOCTOR, recipients=[rcpt], sender=doctor)


def conversation_ids(html: str) -> list[str]:
    return re.findall(r'href="/conversation/([0-9a-f-]+)"', html)


@asynccontextmanager
async def logged_in(services: MailServices, who: str) -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(services) as c:
        r = await log_in(c, who, PASSWORD)
        assert r.status_code == 303, r.text
        yield c


async def test_patient_reads_a_conversation_safely(services: MailServices,
                                                   accounts: dict) -> None:
    await deliver(services, hostile())
    async with logged_in(services, PATIENT) as c:
        inbox = await c.get("/")
        assert inbox.status_code == 200
        assert "Dr Jean MARTIN" in inbox.text and "Résultats" in inbox.text
        assert "Non lu" in inbox.text and "Pièce jointe" in inbox.text
        [copy_id] = conversation_ids(inbox.text)
        page = await c.get(f"/conversation/{copy_id}")
        assert page.status_code == 200
        assert "<script>" not in page.text
        assert "&lt;img src=x onerror=alert(5)&gt;ordo.pdf" in page.text
        assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page.text
        frame = await c.get(f"/messages/{copy_id}/html")
        csp = frame.headers["content-security-policy"]
        assert csp.startswith("default-src 'none'") and "script" not in csp
        for bad in ("<script", "onclick", "javascript:", "tracker.example", "position"):
            assert bad not in frame.text, bad
        assert "Bonjour" in frame.text
        pdf = await c.get(f"/messages/{copy_id}/parts/2")
        assert pdf.content == PDF and pdf.headers["content-type"] == "application/octet-stream"
        assert pdf.headers["content-disposition"].startswith("attachment;")
        shown = await c.get(f"/messages/{copy_id}/parts/2?view=1")
        assert shown.headers["content-type"] == "application/pdf"
        assert shown.headers["content-disposition"].startswith("inline;")
        page_html = await c.get(f"/messages/{copy_id}/parts/3?view=1")  # never served as HTML
        assert page_html.headers["content-type"] == "application/octet-stream"
        assert page_html.headers["content-disposition"].startswith("attachment;")
        again = await c.get("/")
        assert "Non lu" not in again.text   # opening marked it read


async def test_fin_notices(services: MailServices, accounts: dict) -> None:
    await deliver(services, hostile("Compte rendu", "X-MSS-MES: FIN\r\n"))
    async with logged_in(services, PATIENT) as c:
        [copy_id] = conversation_ids((await c.get("/")).text)
        page = await c.get(f"/conversation/{copy_id}")
        assert "Ce message n'autorise pas la réponse." in page.text
    await deliver(services, hostile("[FIN]"))
    async with logged_in(services, PATIENT) as c:
        ids = conversation_ids((await c.get("/")).text)
        texts = [(await c.get(f"/conversation/{i}")).text for i in ids]
        assert any("Dr Jean MARTIN a mis fin à vos échanges." in t for t in texts)


async def test_flags_and_trash(services: MailServices, accounts: dict) -> None:
    await deliver(services, hostile())
    async with logged_in(services, PATIENT) as c:
        [copy_id] = conversation_ids((await c.get("/")).text)
        page = await c.get(f"/conversation/{copy_id}")
        token = csrf_token(page.text)
        r = await c.post(f"/messages/{copy_id}/flags", data={"action": "unread",
                                                             "csrf_token": token})
        assert r.status_code == 303
        assert "Non lu" in (await c.get("/")).text
        r = await c.post(f"/messages/{copy_id}/trash", data={"csrf_token": token})
        assert r.status_code == 303
        assert conversation_ids((await c.get("/")).text) == []
        trash = await c.get("/mail/Trash")
        [in_trash] = conversation_ids(trash.text)
        r = await c.post(f"/messages/{in_trash}/trash", data={"csrf_token": token})
        assert r.status_code == 303
        assert conversation_ids((await c.get("/mail/Trash")).text) == []


async def test_state_changes_need_the_csrf_token(services: MailServices,
                                                 accounts: dict) -> None:
    await deliver(services, hostile())
    async with logged_in(services, PATIENT) as c:
        [copy_id] = conversation_ids((await c.get("/")).text)
        for path, data in ((f"/messages/{copy_id}/flags", {"action": "flag"}),
                           (f"/messages/{copy_id}/trash", {})):
            assert (await c.post(path, data=data)).status_code == 403
            forged = {**data, "csrf_token": "forged"}
            assert (await c.post(path, data=forged)).status_code == 403
        assert len(conversation_ids((await c.get("/")).text)) == 1


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_another_accounts_ids_are_not_found(services: MailServices,
                                                  accounts: dict) -> None:
    await deliver(services, hostile())
    async with logged_in(services, PATIENT) as patient:
        [copy_id] = conversation_ids((await patient.get("/")).text)
    async with logged_in(services, NURSE) as nurse:
        token = csrf_token((await nurse.get("/")).text)
        for path in (f"/conversation/{copy_id}", f"/messages/{copy_id}/html",
                     f"/messages/{copy_id}/parts/2", "/mail/Secret"):
            r = await nurse.get(path)
            assert r.status_code == 404, path
            assert "ordo" not in r.text
        for path, data in ((f"/messages/{copy_id}/flags", {"action": "flag"}),
                           (f"/messages/{copy_id}/trash", {})):
            r = await nurse.post(path, data={**data, "csrf_token": token})
            assert r.status_code == 404, path
    async with logged_in(services, PATIENT) as patient:
        assert conversation_ids((await patient.get("/")).text) == [copy_id]


async def test_plain_text_is_escaped_and_linkified(services: MailServices,
                                                   accounts: dict) -> None:
    raw = (f"From: {DOCTOR}\r\nTo: {PATIENT}\r\nSubject: Lien\r\n"
           "Message-ID: <plain@hopital.test>\r\n\r\n"
           'Voir https://example.test/"><script>alert(1)</script> bien.\r\n'
           "> ancien message\r\n").encode()
    await deliver(services, raw)
    async with logged_in(services, PATIENT) as c:
        [copy_id] = conversation_ids((await c.get("/")).text)
        page = (await c.get(f"/conversation/{copy_id}")).text
        assert '<a href="https://example.test/" rel="noopener noreferrer"' in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
        assert '<details class="quoted">' in page and "ancien message" in page
