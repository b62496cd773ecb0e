"""What richer clients lean on, through `imapclient`/`imaplib`: IDLE, CONDSTORE, ID, ENABLE,
AUTHENTICATE PLAIN, multipart BODYSTRUCTURE and partial/section fetches, LIST-STATUS."""

from __future__ import annotations

import asyncio
import base64
import imaplib
import time
from email.message import EmailMessage
from typing import Any

from imapclient import IMAPClient
from interop_support import SENDER, Target, make_message

from tests.conftest import DOCTOR, PASSWORD

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def multipart() -> bytes:
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = DOCTOR
    msg["Subject"] = "=?utf-8?q?Compte_rendu_op=C3=A9ratoire?="
    msg["Message-ID"] = "<multipart-1@clinique.test>"
    msg.set_content("Voir la pièce jointe.\n")
    msg.add_alternative("<p>Voir la <b>pièce jointe</b>.</p>\n", subtype="html")
    msg.add_attachment(PDF, maintype="application", subtype="pdf",
                       filename="compte-rendu opératoire.pdf")
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def _connect(t: Target) -> IMAPClient:
    c = IMAPClient(t.host, t.tls_port, ssl=True, ssl_context=t.ssl_context(), timeout=10)
    c.login(DOCTOR, PASSWORD)
    return c


def _idle(t: Target, loop: asyncio.AbstractEventLoop, deliver: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with _connect(t) as c:
        c.select_folder("INBOX")
        c.idle()
        asyncio.run_coroutine_threadsafe(deliver(), loop).result(10)
        t0 = time.monotonic()
        responses: list[Any] = []
        while time.monotonic() - t0 < 1.0 and not any(r[1] == b"EXISTS" for r in responses
                                                      if len(r) > 1):
            responses += c.idle_check(timeout=max(0.01, 1.0 - (time.monotonic() - t0)))
        out["woken_after"] = time.monotonic() - t0
        out["responses"] = responses
        out["done"] = c.idle_done()
        out["after"] = c.search("ALL")
    return out


async def test_imapclient_idle(target: Target) -> None:
    await target.deliver(DOCTOR, make_message(1))
    loop = asyncio.get_running_loop()
    out = await asyncio.to_thread(_idle, target, loop,
                                  lambda: target.deliver(DOCTOR, make_message(2)))
    assert (2, b"EXISTS") in out["responses"], out
    assert out["woken_after"] < 1.0
    assert len(out["after"]) == 2


def _condstore(t: Target) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with _connect(t) as c:
        out["caps"] = set(c.capabilities())
        out["enable"] = c.enable("CONDSTORE")
        out["id"] = c.id_({"name": "interop-test", "version": "1"})
        sel = c.select_folder("INBOX")
        out["highest"] = sel.get(b"HIGHESTMODSEQ")
        uids = c.search("ALL")
        first = c.fetch(uids, ["MODSEQ", "FLAGS"])
        out["modseqs"] = {u: v[b"MODSEQ"][0] for u, v in first.items()}
        c.add_flags(uids[0], [b"\\Seen"])
        out["changed"] = c.fetch("1:*", ["FLAGS"], modifiers=[f"CHANGEDSINCE {out['highest']}"])
        out["search_modseq"] = c.search(["MODSEQ", str(out["highest"] + 1)])
        out["status"] = c.folder_status("INBOX", [b"HIGHESTMODSEQ", b"MESSAGES"])
        # UNCHANGEDSINCE with a stale modseq: refused for that message ([MODIFIED]).
        tag = c._imap._command("UID", "STORE", str(uids[0]),
                               f"(UNCHANGEDSINCE {out['modseqs'][uids[0]]})",
                               "+FLAGS.SILENT", "(\\Flagged)")
        out["unchangedsince"] = c._imap._command_complete("STORE", tag)
        out["flags_after"] = c.get_flags(uids[0])
    return out


async def test_imapclient_condstore_and_id(target: Target) -> None:
    for i in range(3):
        await target.deliver(DOCTOR, make_message(i))
    out = await asyncio.to_thread(_condstore, target)
    assert b"CONDSTORE" in out["caps"]
    assert out["enable"] == [b"CONDSTORE"]
    assert out["id"] and b"name" in out["id"][0]
    assert isinstance(out["highest"], int) and out["highest"] > 0
    assert all(0 < m <= out["highest"] for m in out["modseqs"].values())
    assert list(out["changed"]) == [1], out["changed"]
    assert out["search_modseq"] and out["search_modseq"][0] == min(out["modseqs"])
    assert out["status"][b"HIGHESTMODSEQ"] > out["highest"]
    typ, data = out["unchangedsince"]
    assert typ == "OK" and b"MODIFIED" in b" ".join(d for d in data if isinstance(d, bytes))
    assert b"\\Flagged" not in out["flags_after"][min(out["modseqs"])]


def _authenticate_plain(t: Target) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with imaplib.IMAP4_SSL(t.host, t.tls_port, ssl_context=t.ssl_context(), timeout=10) as c:
        out["caps"] = set(c.capabilities)
        token = f"\0{DOCTOR}\0{PASSWORD}".encode()
        out["auth"] = c.authenticate("PLAIN", lambda _: token)
        out["state"] = c.state
        out["select"] = c.select("INBOX", readonly=True)
        c.logout()
    # SASL-IR: the initial response on the command line (RFC 4959).
    with imaplib.IMAP4_SSL(t.host, t.tls_port, ssl_context=t.ssl_context(), timeout=10) as c:
        ir = base64.b64encode(f"\0{DOCTOR}\0{PASSWORD}".encode()).decode()
        tag = c._command("AUTHENTICATE", "PLAIN", ir)
        out["sasl_ir"] = c._command_complete("AUTHENTICATE", tag)
        c.logout()
    return out


async def test_imaplib_authenticate_plain(target: Target) -> None:
    out = await asyncio.to_thread(_authenticate_plain, target)
    assert "AUTH=PLAIN" in out["caps"]
    assert out["auth"][0] == "OK" and out["state"] == "AUTH"
    assert out["select"][0] == "OK"
    assert out["sasl_ir"][0] == "OK"


def _multipart(t: Target) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with _connect(t) as c:
        c.capabilities()  # imapclient 3.0.1 needs them cached before sending a literal
        c.select_folder("INBOX")
        (uid,) = c.search(["HEADER", "Message-ID", "multipart-1"])
        data = c.fetch(uid, ["BODYSTRUCTURE", "ENVELOPE", "BODY.PEEK[1.1]", "BODY.PEEK[2]",
                             "BODY.PEEK[2.MIME]", "BODY.PEEK[]<0.20>", "BODY.PEEK[TEXT]<5.10>",
                             "BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT FROM TO DATE)]",
                             "RFC822.HEADER", "RFC822.SIZE"])[uid]
        out.update({k.decode(): v for k, v in data.items()})
        out["search_body"] = c.search(["BODY", "pièce"], charset="UTF-8")
        out["search_subject"] = c.search(["SUBJECT", "opératoire"], charset="UTF-8")
    return out


async def test_imapclient_multipart_sections(target: Target) -> None:
    raw = multipart()
    await target.deliver(DOCTOR, raw)
    out = await asyncio.to_thread(_multipart, target)
    bs = out["BODYSTRUCTURE"]
    assert bs.is_multipart
    parts, subtype = bs[0], bs[1]
    assert subtype.lower() == b"mixed"
    alternative = parts[0]
    assert alternative.is_multipart and alternative[1].lower() == b"alternative"
    attachment = parts[1]
    assert attachment[0].lower() == b"application" and attachment[1].lower() == b"pdf"
    assert attachment[5].lower() == b"base64"
    assert out["BODY[1.1]"].replace(b"\r\n", b"\n").strip() == "Voir la pièce jointe.".encode()
    assert base64.b64decode(out["BODY[2]"]) == PDF
    assert b"Content-Type: application/pdf" in out["BODY[2.MIME]"]
    assert out["BODY[]<0>"] == raw[:20]
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert out["BODY[TEXT]<5>"] == body[5:15]
    assert b"Subject" not in out["BODY[HEADER.FIELDS.NOT (SUBJECT FROM TO DATE)]"]
    assert b"Message-ID" in out["BODY[HEADER.FIELDS.NOT (SUBJECT FROM TO DATE)]"]
    assert out["RFC822.HEADER"] == raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    assert out["RFC822.SIZE"] == len(raw)
    subject = next(line for line in raw.split(b"\r\n") if line.startswith(b"Subject: "))
    assert out["ENVELOPE"].subject == subject[len(b"Subject: "):]  # encoded word, as sent
    assert len(out["search_body"]) == 1
    assert len(out["search_subject"]) == 1
