"""DKIM signature of outgoing mail (dkimpy): a header is prepended, the body is never touched."""

from __future__ import annotations

import re
from pathlib import Path

import dkim

from mailserver.headers import split_headers

# Signed when present (RFC 6376 §5.4.1 recommendations, plus the MSSanté X-MSS-* headers).
SIGNED = ("from", "sender", "reply-to", "to", "cc", "subject", "date", "message-id",
          "in-reply-to", "references", "mime-version", "content-type",
          "content-transfer-encoding", "disposition-notification-to")
_LINE_END = re.compile(rb"\r\n|\r|\n")
_HEADER_NAME = re.compile(rb"^([!-9;-~]+)[ \t]*:", re.MULTILINE)


def crlf(raw: bytes) -> bytes:
    """What goes on the wire anyway (aiosmtplib normalises line endings the same way)."""
    return _LINE_END.sub(b"\r\n", raw)


def headers_to_sign(raw: bytes) -> list[bytes]:
    present = [m.group(1).decode("ascii").lower()
               for m in _HEADER_NAME.finditer(split_headers(raw))]
    names = [h for h in SIGNED if h in present]
    names += sorted({h for h in present if h.startswith("x-mss-")})
    return [n.encode() for n in names]


class DkimSigner:
    def __init__(self, selector: str, key_file: Path) -> None:
        self.selector = selector.encode()
        self.key = Path(key_file).read_bytes()

    def sign(self, raw: bytes, domain: str) -> bytes:
        """`raw` with a DKIM-Signature for `domain` in front (line endings made CRLF)."""
        raw = crlf(raw)
        include = headers_to_sign(raw)
        if b"from" not in include:
            return raw  # RFC 6376 requires From; an unsigned message is verified as "none"
        sig: bytes = dkim.sign(raw, self.selector, domain.encode("idna"), self.key,
                              canonicalize=(b"relaxed", b"simple"), include_headers=include)
        return sig + raw
