"""Two operators on one machine exchange mail through the relay (issue 5)."""

from __future__ import annotations

import asyncio

import pytest

from tests.relay.conftest import Operator, message

pytestmark = pytest.mark.timeout(180)


async def test_a_writes_b_answers_threads_on_both_sides(pair: tuple[Operator, Operator]
                                                         ) -> None:
    a, b = pair
    alice, bob = a.address("doctor"), b.address("doctor")
    first = message(alice, bob, "Patient VIAL", "Pouvez-vous le voir ?\r\n",
                    msgid="<q1@hopital-a.test>")
    await a.submit(alice, [bob], first, mail_options=["RET=HDRS", "ENVID=q1"],
                   rcpt_options=["NOTIFY=SUCCESS,FAILURE", f"ORCPT=rfc822;{bob}"])
    got = await b.wait_mail(bob, 1, what="(A's message)")
    assert got[0]["Message-ID"] == "<q1@hopital-a.test>"
    assert got[0].raw.endswith(first.split(b"\r\n\r\n", 1)[1])
    assert "dkim=pass" in (got[0]["Authentication-Results"] or "")

    reply = message(bob, alice, "Re: Patient VIAL", "Oui, demain.\r\n",
                    msgid="<r1@clinique-b.test>", in_reply_to="<q1@hopital-a.test>")
    # NOTIFY=SUCCESS crossed the relay: B reports the delivery back to alice (RFC 3464).
    [dsn] = await a.wait_mail(alice, 1, what="(success DSN from B)")
    report = dsn.raw.decode()
    assert dsn.msg.get_content_type() == "multipart/report"
    assert "Action: delivered" in report and "Original-Envelope-Id: q1" in report
    assert f"Original-Recipient: rfc822;{bob}" in report
    assert "Reporting-MTA: dns; mail.clinique-b.test" in report

    await b.submit(bob, [alice], reply)
    inbox_a = await a.wait_mail(alice, 2, what="(B's answer)")
    [got_a] = [m for m in inbox_a if m["Message-ID"] == "<r1@clinique-b.test>"]
    got_a = [got_a]
    sent_a = await a.mailbox(alice, "Sent")
    assert [m["Message-ID"] for m in sent_a] == ["<q1@hopital-a.test>"]
    # Same thread on A: the question in Sent, the answer in INBOX.
    assert got_a[0].thread_id == sent_a[0].thread_id
    sent_b = await b.mailbox(bob, "Sent")
    inbox_b = await b.mailbox(bob)
    assert inbox_b[0].thread_id == sent_b[0].thread_id
    # Queues drained: each entry delivered once.
    for op, n in ((a, 1), (b, 2)):  # B also relayed its success report
        q = await op.queue()
        assert [e.status for e in q] == ["delivered"] * n


async def test_b_down_delay_dsn_then_delivered_exactly_once(pair: tuple[Operator, Operator]
                                                            ) -> None:
    a, b = pair
    alice, bob = a.address("doctor"), b.address("doctor")
    b.stop()
    await a.submit(alice, [bob], message(alice, bob, "Résultats", msgid="<wait1@hopital-a.test>"),
                   rcpt_options=["NOTIFY=FAILURE,DELAY"])
    # Waits in A's queue; after relay.delay_notice_after (3 s) a delay DSN reaches alice.
    dsn = (await a.wait_mail(alice, 1, timeout=30, what="(delay DSN)"))[0]
    assert dsn.msg.get_content_type() == "multipart/report"
    assert dsn.msg.get_param("report-type") == "delivery-status"
    status = dsn.raw.decode()
    assert "Action: delayed" in status and f"Final-Recipient: rfc822; {bob}" in status
    assert "Will-Retry-Until:" in status
    q = await a.queue()
    assert len(q) == 1 and q[0].status in ("queued", "sending") and q[0].attempts >= 1
    b.start()
    got = await b.wait_mail(bob, 1, timeout=30, what="(after restart)")
    assert got[0]["Message-ID"] == "<wait1@hopital-a.test>"
    for _ in range(20):
        if [e.status for e in await a.queue()] == ["delivered"]:
            break
        await asyncio.sleep(0.2)
    assert [e.status for e in await a.queue()] == ["delivered"]
    await asyncio.sleep(1.5)  # a few more polls: nothing is sent again
    assert len(await b.mailbox(bob)) == 1
    assert len(await a.mailbox(alice)) == 1  # the delay DSN only, no failure DSN


async def test_unknown_recipient_failure_dsn(pair: tuple[Operator, Operator]) -> None:
    a, b = pair
    alice, bob = a.address("doctor"), b.address("doctor")
    nobody = b.address("personne")
    raw = message(alice, f"{bob}, {nobody}", "Compte rendu", msgid="<fail1@hopital-a.test>")
    await a.submit(alice, [bob, nobody], raw, mail_options=["ENVID=env+2B1"],
                   rcpt_options=["NOTIFY=FAILURE"])
    await b.wait_mail(bob, 1)
    dsn = (await a.wait_mail(alice, 1, what="(failure DSN)"))[0]
    assert dsn.msg.get_content_type() == "multipart/report"
    parts = dsn.msg.get_payload()
    assert isinstance(parts, list) and len(parts) == 3
    report = parts[1].as_string()
    assert "Action: failed" in report and f"Final-Recipient: rfc822; {nobody}" in report
    assert "Diagnostic-Code: smtp; 550 5.1.1" in report
    assert "Status: 5.1.1" in report and "Original-Envelope-Id: env+1" in report
    assert f"rfc822; {bob}" not in report  # delivered, NOTIFY=FAILURE only
    returned = parts[2]
    assert returned.get_content_type() == "message/rfc822"
    original = returned.get_payload()[0]
    assert original["Message-ID"] == "<fail1@hopital-a.test>"
    assert original["Subject"] == "Compte rendu"
    q = await a.queue()
    assert [e.status for e in q] == ["failed"]
    assert {r["address"]: r["status"] for r in q[0].recipients} == {bob: "sent",
                                                                    nobody: "failed"}


XDM = bytes(range(256)) * 64  # stands for IHE_XDM.ZIP: any bytes, base64 on the wire


async def test_mss_headers_and_xdm_attachment_byte_for_byte(pair: tuple[Operator, Operator]
                                                            ) -> None:
    import base64

    a, b = pair
    alice, bob = a.address("doctor"), b.address("doctor")
    b64 = base64.encodebytes(XDM).replace(b"\n", b"\r\n")
    raw = (f"From: {alice}\r\nTo: {bob}\r\n"
           "Subject: XDM/1.0/DDM+CR d'examens biologiques VIAL Paul 26/11/1978\r\n"
           "Date: Mon, 23 Nov 2026 08:00:00 +0100\r\nMessage-ID: <xdm1@hopital-a.test>\r\n"
           "X-MSS-NIL: DEV935997\r\nX-MSS-INS: O\r\nX-MSS-CODECDA: 34112-3,PRESC-BIO\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
           "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\nCompte rendu joint.\r\n"
           ".ligne qui commence par un point\r\n--b1\r\n"
           "Content-Type: application/zip; name=IHE_XDM.ZIP\r\n"
           "Content-Disposition: attachment; filename=IHE_XDM.ZIP\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n").encode() + b64 + b"--b1--\r\n"
    await a.submit(alice, [bob], raw)
    got = (await b.wait_mail(bob, 1))[0]
    assert got.raw.endswith(raw)  # everything A's user sent, untouched
    msg = got.msg
    assert msg["X-MSS-NIL"] == "DEV935997" and msg["X-MSS-INS"] == "O"
    assert msg["X-MSS-CODECDA"] == "34112-3,PRESC-BIO"
    att = [p for p in msg.walk() if p.get_filename() == "IHE_XDM.ZIP"][0]
    assert att.get_payload(decode=True) == XDM
    assert "dkim=pass" in (got["Authentication-Results"] or "")



