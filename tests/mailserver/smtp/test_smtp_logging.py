"""Logs of expected failures at the wire (issue 16 item 14): a failed STARTTLS handshake is
one short line without a traceback; a run of refused RCPTs does not make a huge line."""

from __future__ import annotations

import asyncio
import logging

import pytest

from mailserver.services import MailServices
from mailserver.smtp import codes
from tests.mailserver.smtp.smtp_helpers import RawClient, peer_tls
from tests.mailserver.smtp.wire import SmtpWire


async def test_failed_starttls_handshake_is_one_line(
        services: MailServices, ports: dict[str, int],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    wire = await SmtpWire.connect(ports["mx"], peer_tls(services.settings))
    await wire.play(["S: 220 {host} ESMTP mssante", "C: STARTTLS",
                     "S: 220 2.0.0 Ready to start TLS"],
                    host=services.settings.server.hostname)
    await wire.send(b"this is not a TLS ClientHello\r\n" * 4)
    assert await wire.reader.read() == b""        # closed, nothing said in clear
    await wire.close()
    await asyncio.sleep(0.1)
    assert not [r for r in caplog.records if r.exc_info or r.exc_text]
    lines = [r.getMessage() for r in caplog.records if "handshake" in r.getMessage()]
    assert len(lines) == 1 and len(lines[0]) < 300, lines
    # The listener still serves.
    c = await asyncio.to_thread(RawClient, ports["mx"])
    assert await asyncio.to_thread(c.cmd, "NOOP") == codes.OK.encode()
    c.close()


async def test_many_refused_recipients_make_a_bounded_log_line(
        services: MailServices, ports: dict[str, int],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    n = 150

    def run() -> list[bytes]:
        c = RawClient.mx(ports["mx"], services.settings)
        c.cmd("MAIL FROM:<chef@hopital.test>")
        c.send(b"".join(f"RCPT TO:<nobody{i}@hopital.test>\r\n".encode() for i in range(n)))
        out = [c.reply() for _ in range(n)]
        out.append(c.cmd("RSET"))
        c.close()
        return out
    replies = await asyncio.to_thread(run)
    assert replies[0] == codes.UNKNOWN_USER.format(address="nobody0@hopital.test").encode()
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("smtp tx=")]
    assert len(line) < 2000, len(line)
    assert f"+{n - 20} more (550x{n - 20})" in line
