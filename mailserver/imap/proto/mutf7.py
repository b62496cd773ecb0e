"""Mailbox international naming convention: modified UTF-7 (RFC 3501 §5.1.3)."""

from __future__ import annotations

import base64


def _b64_encode(chunk: str) -> str:
    data = chunk.encode("utf-16-be")
    return base64.b64encode(data).decode("ascii").rstrip("=").replace("/", ",")


def encode_mutf7(name: str) -> str:
    """Unicode mailbox name -> modified UTF-7 (``&`` escapes, ``,`` for ``/``)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            out.append("&" + _b64_encode("".join(pending)) + "-")
            pending.clear()

    for ch in name:
        code = ord(ch)
        if 0x20 <= code <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def decode_mutf7(name: str | bytes) -> str:
    """Modified UTF-7 -> Unicode; raises ``ValueError`` on malformed input."""
    text = name.decode("ascii") if isinstance(name, bytes) else name
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if not 0x20 <= ord(ch) <= 0x7E:
            raise ValueError("non-printable character in modified UTF-7")
        if ch != "&":
            out.append(ch)
            i += 1
            continue
        end = text.find("-", i + 1)
        if end < 0:
            raise ValueError("unterminated modified UTF-7 shift")
        chunk = text[i + 1 : end]
        if not chunk:
            out.append("&")
        else:
            out.append(_decode_chunk(chunk))
        i = end + 1
    return "".join(out)


def _decode_chunk(chunk: str) -> str:
    b64 = chunk.replace(",", "/")
    if any(c not in _B64 for c in b64) or len(b64) % 4 == 1:
        raise ValueError("invalid modified base64")
    raw = base64.b64decode(b64 + "=" * (-len(b64) % 4))
    if len(raw) % 2:
        raise ValueError("odd UTF-16 length in modified UTF-7")
    decoded = raw.decode("utf-16-be")  # raises UnicodeDecodeError (a ValueError)
    if any(0x20 <= ord(c) <= 0x7E for c in decoded):
        raise ValueError("printable ASCII must not be base64-encoded")
    return decoded


_B64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def normalise_mailbox(name: str) -> str:
    """``INBOX`` is case-insensitive (RFC 3501 §5.1): any case of it becomes ``INBOX``."""
    return "INBOX" if name.upper() == "INBOX" else name


# Names that are IMAP syntax but not valid modified UTF-7 become this prefix + the raw
# bytes: a control character no stored or creatable name holds, so they name nothing.
UNUSABLE = "\x01"  # not NUL: PostgreSQL text cannot hold it, even in a lookup


def unusable_name(raw: bytes) -> str:
    return UNUSABLE + raw.decode("latin-1")
