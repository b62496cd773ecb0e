"""Byte-exact SMTP transcripts over real sockets: EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA and
the errors of each, on the MX and both submission ports (first-party client: wire.py)."""

from __future__ import annotations

import base64

from mailserver.services import MailServices
from tests.conftest import DOCTOR, NURSE, PASSWORD
from tests.mailserver.smtp.smtp_helpers import count, peer_tls, tls_client
from tests.mailserver.smtp.wire import SmtpWire

EXTENSIONS = ["S: 250-{host}", "S: 250-SIZE {size}", "S: 250-8BITMIME", "S: 250-SMTPUTF8",
              "S: 250-PIPELINING", "S: 250-ENHANCEDSTATUSCODES"]


def fields(services: MailServices) -> dict[str, str]:
    s = services.settings
    return {"host": s.server.hostname, "size": str(s.limits.max_message_size)}


def plain(user: str, password: str) -> str:
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


async def test_mx_transcript(services: MailServices, ports: dict[str, int]) -> None:
    wire = await SmtpWire.connect(ports["mx"], peer_tls(services.settings))
    await wire.play([
        "S: 220 {host} ESMTP mssante",
        "C: MAIL FROM:<chef@hopital.test>",
        "S: 530 5.7.0 Must issue a STARTTLS command first",
        "C: EHLO peer.test", *EXTENSIONS, "S: 250-DSN", "S: 250 STARTTLS",
        "C: STARTTLS x", "S: 501 5.5.4 Syntax: STARTTLS",
        "C: STARTTLS", "S: 220 2.0.0 Ready to start TLS", "TLS",
        "C: MAIL FROM:<chef@hopital.test>", "S: 503 5.5.1 Send EHLO first",
        "C: EHLO peer.test", *EXTENSIONS, "S: 250 DSN",
        "C: STARTTLS", "S: 503 5.5.1 TLS already active",
        "C: AUTH PLAIN", "S: 502 5.5.1 AUTH is not available on this port",
        "C: RCPT TO:<" + NURSE + ">", "S: 503 5.5.1 Need MAIL command",
        "C: MAIL FROM:<spam@outside.example>",
        "S: 550 5.7.1 Sender domain outside.example is not in the MSSanté trust space",
        "C: MAIL FROM:<chef@hopital.test> BODY=8BITMIME", "S: 250 2.1.0 Sender OK",
        "C: MAIL FROM:<chef@hopital.test>", "S: 503 5.5.1 Nested MAIL command",
        "C: RCPT TO:<nobody@hopital.test>",
        "S: 550 5.1.1 No such mailbox here: nobody@hopital.test",
        "C: RCPT TO:<x@outside.example>",
        "S: 550 5.7.1 Relaying denied: outside.example is not a domain of this server",
        "C: RCPT TO:<" + NURSE + "> FOO=1", "S: 555 5.5.4 Unsupported parameter: FOO",
        "C: RCPT TO:<" + NURSE + ">", "S: 250 2.1.5 Recipient OK",
        "C: DATA", "S: 354 End data with <CR><LF>.<CR><LF>",
        "C: From: chef@hopital.test", "C: Subject: transcript", "C: ", "C: ..dot", "C: .",
        "S: 250 2.0.0 OK: queued as <id>",
        "C: QUIT", "S: 221 2.0.0 Bye",
    ], **fields(services))
    await wire.close()
    assert await count(services, NURSE) == 1


async def test_submission_starttls_auth_transcript(services: MailServices,
                                                   ports: dict[str, int]) -> None:
    wire = await SmtpWire.connect(ports["starttls"], tls_client(services.settings))
    await wire.play([
        "S: 220 {host} ESMTP mssante",
        "C: HELO", "S: 501 5.5.4 Syntax: HELO hostname",
        "C: EHLO", "S: 501 5.5.4 Syntax: EHLO hostname",
        "C: EHLO client.test", *EXTENSIONS, "S: 250-DSN", "S: 250 STARTTLS",
        "C: AUTH PLAIN " + plain(DOCTOR, PASSWORD),
        "S: 538 5.7.11 Encryption required for requested authentication mechanism",
        "C: MAIL FROM:<" + DOCTOR + ">", "S: 530 5.7.0 Must issue a STARTTLS command first",
        "C: STARTTLS", "S: 220 2.0.0 Ready to start TLS", "TLS",
        "C: EHLO client.test", *EXTENSIONS, "S: 250-DSN", "S: 250 AUTH LOGIN PLAIN",
        "C: MAIL FROM:<" + DOCTOR + ">", "S: 530 5.7.0 Authentication required",
        "C: AUTH CRAM-MD5", "S: 504 5.5.4 Unrecognized authentication type",
        "C: AUTH PLAIN " + plain(DOCTOR, "wrong"),
        "S: 535 5.7.8 Authentication credentials invalid",
        "C: AUTH PLAIN !!", "S: 501 5.5.2 Cannot decode base64",
        "C: AUTH LOGIN", "S: 334 VXNlciBOYW1lAA==",
        "C: " + base64.b64encode(DOCTOR.encode()).decode(), "S: 334 UGFzc3dvcmQA",
        "C: " + base64.b64encode(PASSWORD.encode()).decode(),
        "S: 235 2.7.0 Authentication successful",
        "C: AUTH PLAIN " + plain(DOCTOR, PASSWORD), "S: 503 5.5.1 Already authenticated",
        "C: MAIL FROM:<" + NURSE + ">",
        "S: 550 5.7.1 Envelope sender must be your authenticated address <" + DOCTOR + ">",
        "C: MAIL FROM:<" + DOCTOR + "> SIZE=abc", "S: 501 5.5.4 SIZE needs a number",
        "C: MAIL FROM:<" + DOCTOR + "> SIZE=999999999999",
        "S: 552 5.3.4 Message too big: this server accepts at most {size} bytes",
        "C: MAIL FROM:<" + DOCTOR + "> BODY=BINARYMIME",
        "S: 501 5.5.4 BODY must be 7BIT or 8BITMIME",
        "C: MAIL FROM:<" + DOCTOR + "> SMTPUTF8=yes", "S: 501 5.5.4 SMTPUTF8 takes no value",
        "C: MAIL FROM:<" + DOCTOR + "> X-Y=1", "S: 501 5.5.4 Syntax: MAIL FROM:<address> "
                                             "[parameters]",
        "C: MAIL TO:<" + DOCTOR + ">", "S: 501 5.5.4 Syntax: MAIL FROM:<address> [parameters]",
        "C: MAIL FROM:<" + DOCTOR + "> SIZE=100", "S: 250 2.1.0 Sender OK",
        "C: AUTH PLAIN " + plain(DOCTOR, PASSWORD), "S: 503 5.5.1 Already authenticated",
        "C: DATA", "S: 554 5.5.1 No valid recipients",
        "C: RCPT TO:", "S: 501 5.5.4 Syntax: RCPT TO:<address> [parameters]",
        "C: RCPT TO:<nobody>", "S: 553 5.1.3 Malformed address",
        "C: RCPT TO:0@", "S: 553 5.1.3 Malformed address",
        "C: RCPT TO:<x@outside.example>",
        "S: 550 5.7.1 Recipient domain outside.example is not in the MSSanté trust space",
        "C: RCPT TO:<" + NURSE + ">", "S: 250 2.1.5 Recipient OK",
        "C: RCPT TO:<" + NURSE + ">", "S: 250 2.1.5 Recipient OK",
        "C: DATA now", "S: 501 5.5.4 Syntax: DATA",
        "C: DATA", "S: 354 End data with <CR><LF>.<CR><LF>",
        "C: From: " + NURSE, "C: ", "C: body", "C: .",
        "S: 550 5.7.1 From: header must be your authenticated address <" + DOCTOR + ">",
        "C: RCPT TO:<" + NURSE + ">", "S: 503 5.5.1 Need MAIL command",
        "C: BOGUS", 'S: 500 5.5.2 Error: command "BOGUS" not recognized',
        "C: RSET x", "S: 501 5.5.4 Syntax: RSET",
        "C: RSET", "S: 250 2.0.0 Reset",
        "C: QUIT", "S: 221 2.0.0 Bye",
    ], **fields(services))
    await wire.close()
    assert await count(services, NURSE) == 0


async def test_implicit_tls_submission_transcript(services: MailServices,
                                                  ports: dict[str, int]) -> None:
    wire = await SmtpWire.connect(ports["tls"], tls_client(services.settings), implicit=True)
    await wire.play([
        "S: 220 {host} ESMTP mssante",
        "C: EHLO client.test", *EXTENSIONS, "S: 250-DSN", "S: 250 AUTH LOGIN PLAIN",
        "C: STARTTLS", "S: 503 5.5.1 TLS already active",
        "C: AUTH PLAIN " + plain(DOCTOR, PASSWORD), "S: 235 2.7.0 Authentication successful",
        "C: MAIL FROM:<" + DOCTOR + ">", "S: 250 2.1.0 Sender OK",
        "C: RCPT TO:<" + NURSE + "> NOTIFY=NEVER", "S: 250 2.1.5 Recipient OK",
        "C: DATA", "S: 354 End data with <CR><LF>.<CR><LF>",
        "C: From: " + DOCTOR, "C: Subject: transcript", "C: ", "C: body", "C: .",
        "S: 250 2.0.0 OK: queued as <id>",
        "C: NOOP", "S: 250 2.0.0 OK",
        "C: QUIT", "S: 221 2.0.0 Bye",
    ], **fields(services))
    await wire.close()
    assert await count(services, NURSE) == 1
