"""DATA over raw sockets: smuggling attempts, STARTTLS injection, disconnects, limits."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from mailserver.services import MailServices
from mailserver.smtp import SmtpServers, codes
from tests.conftest import DOCTOR, NURSE, WARD
from tests.mailserver.smtp.smtp_helpers import (
    RawClient,
    count,
    mailbox,
    peer_tls,
    tls_client,
)

SENDER = "chef@hopital.test"   # a trusted domain (ours) as seen by the MX port


def smuggle(sep: bytes) -> bytes:
    """A message that, to a lax server, ends at `sep` and is followed by a second one."""
    return (b"From: " + DOCTOR.encode() + b"\r\nSubject: one\r\n\r\nfirst" + sep
            + b"MAIL FROM:<" + DOCTOR.encode() + b">\r\nRCPT TO:<" + WARD.encode()
            + b">\r\nDATA\r\nFrom: " + DOCTOR.encode() + b"\r\nSubject: smuggled\r\n\r\n"
            + b"second\r\n")


@pytest.mark.parametrize("sep", [b"\n.\n", b"\r.\r", b"\r\n.\n", b"\n.\r\n", b"\r.\r\n"],
                         ids=["LF.LF", "CR.CR", "CRLF.LF", "LF.CRLF", "CR.CRLF"])
async def test_smuggling_attempt_refused_and_nothing_stored(
        services: MailServices, ports: dict[str, int], sep: bytes) -> None:
    def run() -> tuple[bytes, bytes, bytes]:
        c = RawClient.mx(ports["mx"], services.settings)
        assert c.cmd(f"MAIL FROM:<{SENDER}>") == codes.SENDER_OK.encode()
        assert c.cmd(f"RCPT TO:<{NURSE}>") == codes.RCPT_OK.encode()
        assert c.cmd("DATA").startswith(b"354")
        c.send(smuggle(sep) + b".\r\n")
        end = c.reply()
        extra = c.pending(0.3)      # nothing more: no reply to a smuggled command
        noop = c.cmd("NOOP")
        c.close()
        return end, extra, noop
    end, extra, noop = await asyncio.to_thread(run)
    assert end == codes.BARE_NEWLINE.encode(), end
    assert extra == b""
    assert noop == b"250 2.0.0 OK"
    assert await count(services, NURSE) == 0 and await count(services, WARD) == 0


@pytest.mark.parametrize("body", [b"first\0\r\n", b"a\r\n\0.\r\n", b"\0"],
                         ids=["end-of-line", "before-dot", "alone"])
async def test_nul_byte_in_data_refused_and_nothing_stored(
        services: MailServices, ports: dict[str, int], body: bytes) -> None:
    """Issue 16 item 10: a NUL is refused like a bare CR/LF, and the session goes on."""
    def run() -> tuple[bytes, bytes]:
        c = RawClient.mx(ports["mx"], services.settings)
        assert c.cmd(f"MAIL FROM:<{SENDER}>") == codes.SENDER_OK.encode()
        assert c.cmd(f"RCPT TO:<{NURSE}>") == codes.RCPT_OK.encode()
        assert c.cmd("DATA").startswith(b"354")
        c.send(b"From: " + SENDER.encode() + b"\r\nSubject: nul\r\n\r\n" + body
               + b"\r\n.\r\n")
        end = c.reply()
        noop = c.cmd("NOOP")
        c.close()
        return end, noop
    end, noop = await asyncio.to_thread(run)
    assert end.decode() == codes.NUL_IN_DATA
    assert noop == b"250 2.0.0 OK"
    assert await count(services, NURSE) == 0


async def test_smuggling_through_submission_refused(services: MailServices,
                                                    ports: dict[str, int]) -> None:
    import base64

    from tests.conftest import PASSWORD

    token = base64.b64encode(f"\0{DOCTOR}\0{PASSWORD}".encode()).decode()

    def run() -> bytes:
        c = RawClient(ports["tls"], tls_client(services.settings))
        c.cmd("EHLO client.test")
        assert c.cmd(f"AUTH PLAIN {token}") == codes.AUTH_OK.encode()
        c.cmd(f"MAIL FROM:<{DOCTOR}>")
        c.cmd(f"RCPT TO:<{NURSE}>")
        c.cmd("DATA")
        c.send(smuggle(b"\r\n.\n") + b".\r\n")
        r = c.reply()
        c.close()
        return r
    assert (await asyncio.to_thread(run)) == codes.BARE_NEWLINE.encode()
    assert await count(services, NURSE) == 0 and await count(services, WARD) == 0
    assert await count(services, DOCTOR, "Sent") == 0


async def test_dot_stuffing_and_only_crlf_dot_crlf_ends_data(
        services: MailServices, ports: dict[str, int]) -> None:
    body = (b"From: " + SENDER.encode() + b"\r\nSubject: dots\r\n\r\n"
            b"..leading dot\r\n. not the end\r\n.x\r\nlast\r\n")

    def run() -> bytes:
        c = RawClient.mx(ports["mx"], services.settings)
        c.cmd(f"MAIL FROM:<{SENDER}>")
        c.cmd(f"RCPT TO:<{NURSE}>")
        c.cmd("DATA")
        c.send(body + b".\r\n")
        r = c.reply()
        c.close()
        return r
    assert (await asyncio.to_thread(run)).startswith(b"250 2.0.0")
    [got] = await mailbox(services, NURSE)
    assert got.endswith(b"\r\n\r\n.leading dot\r\n not the end\r\nx\r\nlast\r\n")


@pytest.mark.parametrize("port_name", ["mx", "starttls"])
async def test_commands_pipelined_with_starttls_are_discarded(
        services: MailServices, ports: dict[str, int], port_name: str) -> None:
    def run() -> tuple[bytes, bytes, bytes]:
        c = RawClient(ports[port_name])
        c.cmd("EHLO client.test")
        c.send(b"STARTTLS\r\nNOOP\r\nMAIL FROM:<" + SENDER.encode() + b">\r\n")
        ready = c.reply()
        assert c.buf == b""
        c.starttls(peer_tls(services.settings))
        injected = c.pending(0.5)
        ehlo = c.cmd("EHLO client.test")
        mail = c.cmd(f"MAIL FROM:<{SENDER}>")
        c.close()
        return ready, injected, ehlo + b"\n" + mail
    ready, injected, after = await asyncio.to_thread(run)
    assert ready == b"220 2.0.0 Ready to start TLS"
    assert injected == b""          # neither NOOP nor MAIL was answered inside TLS
    assert after.startswith(b"250-")
    if port_name == "mx":            # MAIL was not run before: no "nested MAIL"
        assert after.endswith(b"250 2.1.0 Sender OK")


async def test_client_disconnecting_mid_data_stores_nothing(
        services: MailServices, ports: dict[str, int], smtp: SmtpServers) -> None:
    def run() -> None:
        c = RawClient.mx(ports["mx"], services.settings)
        c.cmd(f"MAIL FROM:<{SENDER}>")
        c.cmd(f"RCPT TO:<{NURSE}>")
        c.cmd("DATA")
        c.send(b"From: " + SENDER.encode() + b"\r\nSubject: cut\r\n\r\nhalf a mess")
        c.close()
    await asyncio.to_thread(run)
    for _ in range(50):
        if smtp.sessions == 0:
            break
        await asyncio.sleep(0.02)
    assert smtp.sessions == 0
    assert await count(services, NURSE) == 0

    def again() -> bytes:      # the server still serves
        c = RawClient.mx(ports["mx"], services.settings)
        c.cmd(f"MAIL FROM:<{SENDER}>")
        c.cmd(f"RCPT TO:<{NURSE}>")
        c.cmd("DATA")
        r = c.cmd(b"From: " + SENDER.encode() + b"\r\n\r\nwhole\r\n.")
        c.close()
        return r
    assert (await asyncio.to_thread(again)).startswith(b"250")
    assert await count(services, NURSE) == 1


async def test_oversize_message_refused(services: MailServices, ports: dict[str, int]) -> None:
    limits = dataclasses.replace(services.settings.limits, max_message_size=4000)
    object.__setattr__(services.settings, "limits", limits)

    def run() -> tuple[bytes, bytes, bytes]:
        c = RawClient.mx(ports["mx"], services.settings)
        ehlo = c.cmd("EHLO peer.test")
        declared = c.cmd(f"MAIL FROM:<{SENDER}> SIZE=5000")
        c.cmd(f"MAIL FROM:<{SENDER}>")
        c.cmd(f"RCPT TO:<{NURSE}>")
        c.cmd("DATA")
        c.send(b"Subject: big\r\n\r\n" + b"0123456789" * 90 + b"\r\n")
        r = c.cmd(b"\r\n".join([b"x" * 900] * 5) + b"\r\n.")
        c.close()
        return ehlo, declared, r
    ehlo, declared, data = await asyncio.to_thread(run)
    assert b"250-SIZE 4000" in ehlo
    assert declared == codes.TOO_BIG.format(limit=4000).encode()
    assert data == codes.TOO_BIG.format(limit=4000).encode()
    assert await count(services, NURSE) == 0


async def test_line_too_long_refused(services: MailServices, ports: dict[str, int]) -> None:
    def run() -> tuple[bytes, bytes]:
        c = RawClient.mx(ports["mx"], services.settings)
        c.cmd(f"MAIL FROM:<{SENDER}>")
        c.cmd(f"RCPT TO:<{NURSE}>")
        c.cmd("DATA")
        r = c.cmd(b"Subject: long\r\n\r\n" + b"z" * 5000 + b"\r\n.")
        long_cmd = c.cmd(b"NOOP " + b"n" * 3000)
        c.close()
        return r, long_cmd
    data, cmd = await asyncio.to_thread(run)
    assert data == codes.LINE_TOO_LONG.encode()
    assert cmd.startswith(b"500 5.5.2")
    assert await count(services, NURSE) == 0


async def test_pipelined_transaction(services: MailServices, ports: dict[str, int]) -> None:
    def run() -> list[bytes]:
        c = RawClient.mx(ports["mx"], services.settings)
        c.send(f"MAIL FROM:<{SENDER}>\r\nRCPT TO:<{NURSE}>\r\nRCPT TO:<nobody@hopital.test>"
               f"\r\nRCPT TO:<{WARD}>\r\nDATA\r\n".encode())
        out = [c.reply() for _ in range(5)]
        out.append(c.cmd(b"From: " + SENDER.encode() + b"\r\n\r\nhi\r\n."))
        out.append(c.cmd("QUIT"))
        c.close()
        return out
    replies = await asyncio.to_thread(run)
    assert [r[:3] for r in replies] == [b"250", b"250", b"550", b"250", b"354", b"250",
                                        b"221"]
    assert await count(services, NURSE) == 1 and await count(services, WARD) == 1
