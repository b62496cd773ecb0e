"""B's MX refuses peers outside the trust space and checks DKIM (issue 5, "Inbound")."""

from __future__ import annotations

import asyncio
import ssl
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosmtplib
import pytest

from crypto import create_ca, issue_server_certificate, write_pem
from mailserver.trust import TrustEntry, render_trust_list
from relay.signing import DkimSigner
from tests.relay.conftest import Operator, make_operator, message, run_cli

pytestmark = pytest.mark.timeout(180)


def _client_ctx(op_ca: Path, cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(cafile=str(op_ca))
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


async def _send(port: int, ctx: ssl.SSLContext | None, mail_from: str, rcpt: str,
                raw: bytes) -> str:
    """Talk to an MX as a peer would; returns the first refusal, or '250' on success."""
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=15)
    await smtp.connect()
    try:
        await smtp.ehlo(hostname="mx.peer.test")
        if ctx is not None:
            await smtp.starttls(tls_context=ctx)
        await smtp.mail(mail_from)
        await smtp.rcpt(rcpt)
        await smtp.data(raw)
        return "250"
    except aiosmtplib.SMTPResponseException as exc:
        return f"{exc.code} {exc.message}"
    except (aiosmtplib.SMTPException, ssl.SSLError, OSError) as exc:
        return f"TLS/connection failure: {exc}"
    finally:
        smtp.close()


async def test_third_servers_refused_and_dkim_checked(pair: tuple[Operator, Operator],
                                                      tmp_path: Path) -> None:
    a, b = pair
    alice, bob = a.address("doctor"), b.address("doctor")
    a_ctx = _client_ctx(a.data / "certs" / "ca.pem", a.data / "certs" / "server.pem",
                        a.data / "certs" / "server.key")
    signer = DkimSigner("mssante", a.settings.relay.dkim_private_key)
    good = signer.sign(message(alice, bob, "signé", msgid="<dk1@hopital-a.test>"),
                       a.domain)

    # A itself, correctly signed: accepted, dkim=pass recorded.
    assert await _send(b.mx_port, a_ctx, alice, bob, good) == "250"
    got = await b.wait_mail(bob, 1)
    assert "dkim=pass" in (got[0]["Authentication-Results"] or "")
    assert "header.d=hopital-a.test" in (got[0]["Authentication-Results"] or "")
    # Altered after signing: 550 5.7.20 (relay.dkim_failure = "reject", the default).
    altered = good.replace(b"Bonjour", b"Bonsoir")
    reply = await _send(b.mx_port, a_ctx, alice, bob, altered)
    assert reply.startswith("550 5.7.20"), reply

    # A third server C, certificate from the same CA but not in the list.
    c = await make_operator(tmp_path, "c", "tiers-c.test", ca_from=a, users=())
    c_ctx = _client_ctx(c.data / "certs" / "ca.pem", c.data / "certs" / "server.pem",
                        c.data / "certs" / "server.key")
    reply = await _send(b.mx_port, c_ctx, "x@tiers-c.test", bob,
                        message("x@tiers-c.test", bob, "c", msgid="<c1@tiers-c.test>"))
    assert reply.startswith("550 5.7.1"), reply
    # C claiming to send for A's domain: its DN is not listed for hopital-a.test.
    reply = await _send(b.mx_port, c_ctx, alice, bob, good)
    assert reply.startswith("550 5.7.1") and "not listed for hopital-a.test" in reply, reply
    # A certificate from another CA, with exactly A's DN.
    rogue_ca, rogue_key = create_ca("rogue CA", "Hopital A")
    cert, key = issue_server_certificate(rogue_ca, rogue_key, "mail.hopital-a.test",
                                         ["hopital-a.test"], organization="Hopital A")
    write_pem(tmp_path / "rogue.pem", cert, tmp_path / "rogue.key", key)
    rogue_ctx = _client_ctx(a.data / "certs" / "ca.pem", tmp_path / "rogue.pem",
                            tmp_path / "rogue.key")
    reply = await _send(b.mx_port, rogue_ctx, alice, bob, good)
    assert not reply.startswith("250"), reply
    # No client certificate at all; no TLS at all.
    plain = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    plain.check_hostname = False
    plain.verify_mode = ssl.CERT_NONE
    reply = await _send(b.mx_port, plain, alice, bob, good)
    assert reply.startswith("550 5.7.1") and "certificate" in reply, reply
    reply = await _send(b.mx_port, None, alice, bob, good)
    assert reply.startswith("530"), reply
    # Only the one good message got in.
    assert len(await b.mailbox(bob)) == 1
    # DSN (RFC 3461) is advertised on the MX and on submission.
    for port in (b.mx_port, b.submission_port):
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=15)
        await smtp.connect()
        await smtp.starttls(tls_context=a_ctx)
        await smtp.ehlo()
        assert smtp.supports_extension("dsn"), port
        smtp.close()


async def test_broken_or_stale_trust_list_keeps_last_good(pair: tuple[Operator, Operator]
                                                          ) -> None:
    a, b = pair
    alice, bob = a.address("doctor"), b.address("doctor")
    b_list = b.data / "trust" / "listeblanche.xml"
    good = b_list.read_bytes()
    b_list.write_bytes(good[: len(good) // 2])  # truncated: does not parse
    await _wait_status(b, "not well-formed")
    stale = render_trust_list([TrustEntry(b.domain, b.dn)],
                              datetime.now(UTC) - timedelta(days=30))
    b_list.write_bytes(stale)  # parses, but older than trust.max_age (and drops A)
    await _wait_status(b, "stale")
    out = await run_cli("trust", "show", config=b.config)
    assert "last error" in out.stdout and "stale" in out.stdout, out.stdout
    # B still trusts A: the last good list is in force.
    await a.submit(alice, [bob], message(alice, bob, "toujours là", msgid="<k1@hopital-a.test>"))
    got = await b.wait_mail(bob, 1)
    assert got[0]["Message-ID"] == "<k1@hopital-a.test>"


async def _wait_status(op: Operator, text: str, timeout: float = 15.0) -> None:  # noqa: ASYNC109
    from relay.trustlist import read_status

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = read_status(op.settings) or {}
        if text in (st.get("trust_list_last_error") or ""):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{op.name}: trust status never reported {text!r}: "
                         f"{read_status(op.settings)}")
