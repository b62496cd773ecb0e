"""ENVELOPE and BODYSTRUCTURE over the wire for the corpus of real-world shapes (nested
multiparts, message/rfc822, encoded words, a zip, RFC 2231 names, missing headers...),
delivered sealed through the delivery service and read back decrypted."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailserver.imap.proto.envelope import envelope
from mailserver.imap.proto.mime import bodystructure
from mailserver.imap.proto.wire import encode_literal, encode_value
from mailserver.services import MailServices
from tests.conftest import DOCTOR
from tests.mailserver.imap.conftest import deliver
from tests.mailserver.imap.imap_wire import Wire

CORPUS = Path(__file__).parent / "proto" / "corpus"
FILES = sorted(CORPUS.glob("*.eml"))


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_corpus_over_the_wire(doctor: Wire, services: MailServices) -> None:
    raws = [p.read_bytes() for p in FILES]
    for raw in raws:
        await deliver(services, raw, DOCTOR)
    await doctor.cmd("EXAMINE INBOX")
    for seq, (path, raw) in enumerate(zip(FILES, raws, strict=True), start=1):
        out = await doctor.cmd(f"FETCH {seq} (RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE BODY[])")
        expected = (
            b"* %d FETCH (RFC822.SIZE %d ENVELOPE " % (seq, len(raw))
            + encode_value(envelope(raw).to_wire())
            + b" BODY " + encode_value(bodystructure(raw, False))
            + b" BODYSTRUCTURE " + encode_value(bodystructure(raw, True))
            + b" BODY[] " + encode_literal(raw) + b")\r\n"
        )
        assert out.split(b"\r\n" + b"t", 1)[0] + b"\r\n" == expected, path.name


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_nested_message_sections(doctor: Wire, services: MailServices) -> None:
    raw = (CORPUS / "rfc822_attachment.eml").read_bytes()
    await deliver(services, raw, DOCTOR)
    await doctor.cmd("EXAMINE INBOX")
    out = await doctor.cmd("FETCH 1 (BODY[2.HEADER] BODY[2.1] BODY[1.MIME])")
    assert out.startswith(b"* 1 FETCH (BODY[2.HEADER] {")
    assert b" BODY[2.1] {" in out and b" BODY[1.MIME] {" in out
