"""ENVELOPE, BODY/BODYSTRUCTURE and BODY[section] on a corpus of real-world shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailserver.imap.proto.envelope import envelope
from mailserver.imap.proto.mime import bodystructure
from mailserver.imap.proto.sections import section_bytes
from mailserver.imap.proto.wire import encode_value
from tests.mailserver.imap.proto.oracle import assert_valid_response

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.eml"))


def load(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def env(name: str) -> bytes:
    return encode_value(envelope(load(name)).to_wire())


def bs(name: str, extended: bool = True) -> bytes:
    return encode_value(bodystructure(load(name), extended))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_corpus_accepted_by_oracle(path: Path) -> None:
    raw = path.read_bytes()
    wire = (
        b"* 1 FETCH (ENVELOPE " + encode_value(envelope(raw).to_wire())
        + b" BODYSTRUCTURE " + encode_value(bodystructure(raw))
        + b" BODY " + encode_value(bodystructure(raw, False))
        + b" BODY[] " + encode_value(None) + b")\r\n"
    )  # fmt: skip
    assert_valid_response(wire)


def test_nested_alternative() -> None:
    assert bs("nested_alternative.eml") == (
        b'((("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 33 2 NIL NIL NIL NIL)'
        b'("text" "html" ("charset" "utf-8") NIL NIL "quoted-printable" 26 1 NIL NIL NIL NIL)'
        b' "alternative" ("boundary" "inner") NIL NIL NIL)'
        b'("application" "pdf" ("name" "cr.pdf") "<cr@hopital.test>" "Compte rendu" "base64" 12'
        b' NIL ("attachment" ("filename" "cr.pdf")) NIL NIL) "mixed" ("boundary" "outer")'
        b" NIL NIL NIL)"
    )
    assert bs("nested_alternative.eml", extended=False) == (
        b'((("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 33 2)'
        b'("text" "html" ("charset" "utf-8") NIL NIL "quoted-printable" 26 1) "alternative")'
        b'("application" "pdf" ("name" "cr.pdf") "<cr@hopital.test>" "Compte rendu" "base64" 12)'
        b' "mixed")'
    )
    assert env("nested_alternative.eml") == (
        b'("Mon, 3 Mar 2025 10:15:00 +0100" "Compte rendu"'
        b' (("Dr Jean MARTIN" NIL "jean.martin" "hopital.test"))'
        b' (("Dr Jean MARTIN" NIL "jean.martin" "hopital.test"))'
        b' (("Dr Jean MARTIN" NIL "jean.martin" "hopital.test"))'
        b' ((NIL NIL "claire.durand" "hopital.test")("Durand, Paul" NIL "paul.durand"'
        b' "clinique.test")) ((NIL NIL "secretariat" "hopital.test")) NIL NIL "<m1@hopital.test>")'
    )


def test_message_rfc822_part() -> None:
    assert bs("rfc822_attachment.eml") == (
        b'(("text" "plain" NIL NIL NIL "7BIT" 13 1 NIL NIL NIL NIL)'
        b'("message" "rfc822" NIL NIL NIL "7BIT" 369 ("Tue, 4 Mar 2025 08:00:00 +0000" "results"'
        b' (("Lab" NIL "lab" "labo.test")) (("Lab" NIL "lab" "labo.test"))'
        b' (("Lab" NIL "lab" "labo.test")) ((NIL NIL "alice" "example.test")) NIL NIL NIL'
        b' "<orig@example.test>")'
        b' (("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 19 1 NIL NIL NIL NIL)'
        b'("text" "html" ("charset" "us-ascii") NIL NIL "7BIT" 26 1 NIL NIL NIL NIL)'
        b' "alternative" ("boundary" "b2") NIL NIL NIL) 17 NIL ("inline" NIL) NIL NIL)'
        b' "mixed" ("boundary" "b1") NIL NIL NIL)'
    )


def test_encoded_words_left_raw() -> None:
    assert env("encoded_words.eml") == (
        b'("Wed, 5 Mar 2025 09:30:00 +0100"'
        b' "=?UTF-8?B?UsOpc3VsdGF0cyBkJ2FuYWx5c2U=?= =?UTF-8?Q?_suite?="'
        b' (("=?UTF-8?B?w4lsb2RpZSBHYXJuaWVy?=" NIL "elodie" "hopital.test"))'
        b' (("=?UTF-8?B?w4lsb2RpZSBHYXJuaWVy?=" NIL "elodie" "hopital.test"))'
        b' (("=?UTF-8?B?w4lsb2RpZSBHYXJuaWVy?=" NIL "elodie" "hopital.test"))'
        b' (("=?ISO-8859-1?Q?Fran=E7ois?=" NIL "francois" "hopital.test")) NIL NIL NIL'
        b' "<enc@hopital.test>")'
    )
    start = b'("text" "plain" ("charset" "utf-8") NIL NIL "8bit" '
    assert bs("encoded_words.eml").startswith(start)


def test_zip_and_rfc2231() -> None:
    assert b'("application" "zip" ("name" "dossier.zip") NIL NIL "base64" 32 NIL' in bs(
        "zip_attachment.eml"
    )
    assert bs("rfc2231_filename.eml") == (
        b'(("text" "plain" ("charset" "utf-8") NIL NIL "7BIT" 18 1 NIL NIL ("fr" "en") NIL)'
        b'("application" "octet-stream" ("name*" "UTF-8\'\'ordonnance%20%C3%A9t%C3%A9.bin")'
        b' NIL NIL "base64" 8 NIL ("attachment" ("filename*0*" "UTF-8\'\'ordonnance%20"'
        b' "filename*1*" "%C3%A9t%C3%A9.bin")) NIL "http://example.test/o.bin")'
        b' "mixed" ("boundary" "=_sep") NIL "fr" NIL)'
    )


def test_groups_routes_and_defaults() -> None:
    assert env("groups.eml") == (
        b'(NIL "groups" (("Secr\\"etariat" NIL "secr" "hopital.test"))'
        b' ((NIL NIL "robot" "hopital.test")) ((NIL NIL "reply" "hopital.test"))'
        b' ((NIL NIL "Equipe" NIL)(NIL NIL "a" "hopital.test")("B B" NIL "b" "hopital.test")'
        b'(NIL NIL NIL NIL)(NIL NIL "solo" "hopital.test"))'
        b' ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL))'
        b' ((NIL "@relay.test" "hidden" "hopital.test")) NIL "<grp@hopital.test>")'
    )
    assert env("missing_headers.eml") == b'(NIL "only a subject" NIL NIL NIL NIL NIL NIL NIL NIL)'
    assert env("no_headers.eml") == b"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"


def test_defaults_and_malformed() -> None:
    assert bs("no_content_type.eml") == (
        b'("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 25 2 NIL NIL NIL NIL)'
    )
    assert bs("bare_lf.eml") == (
        b'(("text" "plain" NIL NIL NIL "7BIT" 17 2 NIL NIL NIL NIL)'
        b'("application" "octet-stream" NIL NIL NIL "7BIT" 3 NIL NIL NIL NIL)'
        b' "mixed" ("boundary" "LF") NIL NIL NIL)'
    )
    assert bs("broken_multipart.eml").endswith(b' "mixed" NIL NIL NIL NIL)')
    assert bs("unterminated_multipart.eml").startswith(b'(("text" "plain" ("charset" "x-unknown")')


@pytest.mark.parametrize(
    ("name", "section", "expected"),
    [
        ("rfc822_attachment.eml", "1", b"See attached."),
        ("rfc822_attachment.eml", "1.MIME", b"Content-Type: text/plain\r\n\r\n"),
        ("rfc822_attachment.eml", "2.HEADER.FIELDS (subject)", b"Subject: results\r\n\r\n"),
        ("rfc822_attachment.eml", "2.1", b"Results are normal."),
        ("rfc822_attachment.eml", "2.2.MIME", b"Content-Type: text/html; charset=us-ascii\r\n\r\n"),
        ("rfc822_attachment.eml", "2.3", b""),
        ("rfc822_attachment.eml", "7", b""),
        ("nested_alternative.eml", "1.1", b"Le patient va bien.\r\nCordialement"),
        ("nested_alternative.eml", "2", b"JVBERi0xLjQK"),
        (
            "nested_alternative.eml",
            "HEADER.FIELDS (To Subject)",
            (
                b'To: claire.durand@hopital.test, "Durand, Paul" <paul.durand@clinique.test>\r\n'
                b"Subject: Compte rendu\r\n\r\n"
            ),
        ),
        (
            "encoded_words.eml",
            "HEADER.FIELDS (SUBJECT)",
            (b"Subject: =?UTF-8?B?UsOpc3VsdGF0cyBkJ2FuYWx5c2U=?=\r\n =?UTF-8?Q?_suite?=\r\n\r\n"),
        ),
        ("encoded_words.eml", "1", "Bonjour François, voici les résultats.\r\n".encode()),
        ("bare_lf.eml", "1", b"line one\nline two"),
        ("no_headers.eml", "HEADER", b"\r\n"),
        ("missing_headers.eml", "TEXT", b"No From, no Date, no Message-ID.\r\n"),
    ],  # fmt: skip
)
def test_sections(name: str, section: str, expected: bytes) -> None:
    assert section_bytes(load(name), section) == expected


def test_whole_message_sections_and_partial() -> None:
    raw = load("rfc822_attachment.eml")
    header = section_bytes(raw, "HEADER")
    assert raw == header + section_bytes(raw, "TEXT") == section_bytes(raw, "")
    assert header.endswith(b"\r\n\r\n")
    assert section_bytes(raw, "", (0, 5)) == b"From:"
    assert section_bytes(raw, "", (len(raw) + 10, 5)) == b""
    inner = section_bytes(raw, "2")
    assert inner == section_bytes(raw, "2.HEADER") + section_bytes(raw, "2.TEXT")
    without = section_bytes(raw, "HEADER.FIELDS.NOT (From To Subject Message-ID In-Reply-To)")
    assert without == b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
