"""RFC 5322 / RFC 2045 message splitting on bytes, tolerant of malformed input.

Header/body split (RFC 5322 §2.1), header unfolding (§2.2.3), MIME header parameters
(RFC 2045 §5.1), multipart body splitting (RFC 2046 §5.1.1).  Bare LF line endings and
missing pieces are accepted: nothing here raises on any input.
"""

from __future__ import annotations

import re

_BLANK = re.compile(rb"\r?\n\r?\n")
_FOLD = re.compile(rb"\r?\n(?=[ \t])")
_LINE = re.compile(rb"[^\n]*\n|[^\n]+")

Headers = list[tuple[str, bytes]]


def split_message(raw: bytes) -> tuple[bytes, bytes]:
    """(header block including the blank line, body) - RFC 5322 §2.1.

    A message starting with an empty line has no header; a message without an empty line
    is all header when its first line looks like a header field, all body otherwise.
    """
    if raw.startswith(b"\r\n"):
        return b"\r\n", raw[2:]
    if raw.startswith(b"\n"):
        return b"\n", raw[1:]
    m = _BLANK.search(raw)
    if m is not None:
        return raw[: m.end()], raw[m.end() :]
    if _looks_like_header(raw):
        return raw, b""
    return b"", raw


def _looks_like_header(raw: bytes) -> bool:
    first = raw.split(b"\n", 1)[0]
    name, sep, _ = first.partition(b":")
    return bool(sep) and bool(name) and all(33 <= b <= 126 and b != 0x3A for b in name)


def parse_headers(header: bytes) -> Headers:
    """Header fields as (lower-case name, unfolded raw value) in order (RFC 5322 §2.2)."""
    out: Headers = []
    for line in _FOLD.sub(b"", header).splitlines():
        name, sep, value = line.partition(b":")
        if not sep or not name or name[:1] in (b" ", b"\t"):
            continue
        out.append((name.strip().decode("ascii", "replace").lower(), value.strip()))
    return out


def header_lines(header: bytes) -> list[tuple[str, bytes]]:
    """Each raw field (folding kept, line ending included) with its lower-case name."""
    fields: list[tuple[str, bytes]] = []
    for line in _LINE.findall(header):
        if line.strip() == b"":
            continue
        if line[:1] in (b" ", b"\t") and fields:
            name, raw = fields[-1]
            fields[-1] = (name, raw + line)
            continue
        name = line.partition(b":")[0].strip().decode("ascii", "replace").lower()
        fields.append((name, line))
    return fields


def get_header(headers: Headers, name: str) -> bytes | None:
    """First value of ``name`` (lower-case) or None."""
    for key, value in headers:
        if key == name:
            return value
    return None


_TOKEN = re.compile(rb'\s*(?:"((?:[^"\\]|\\.)*)"?|([^;=\s"]+)|(=)|(;))', re.S)
_COMMENT = re.compile(rb"\((?:[^()\\]|\\.)*\)")


def parse_params(value: bytes) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """``type/subtype; a=b; c="d"`` -> (first token, [(name, value)]) (RFC 2045 §5.1).

    Parameter names are lower-cased; values are unquoted but otherwise raw (RFC 2231
    encodings and continuations are passed through, as clients expect).
    """
    text = _COMMENT.sub(b"", value)
    head, _, rest = text.partition(b";")
    params: list[tuple[bytes, bytes]] = []
    for piece in _split_semicolons(rest):
        name, sep, val = piece.partition(b"=")
        name = name.strip().lower()
        if not sep or not name:
            continue
        val = val.strip()
        if val.startswith(b'"'):
            val = re.sub(rb"\\(.)", rb"\1", val[1:-1] if val.endswith(b'"') else val[1:])
        params.append((name, val))
    return head.strip(), params


def _split_semicolons(text: bytes) -> list[bytes]:
    """Split on ``;`` outside quoted strings."""
    out: list[bytes] = []
    current = bytearray()
    quoted = escaped = False
    for b in text:
        if escaped:
            escaped = False
        elif b == 0x5C and quoted:
            escaped = True
        elif b == 0x22:
            quoted = not quoted
        elif b == 0x3B and not quoted:
            out.append(bytes(current))
            current.clear()
            continue
        current.append(b)
    out.append(bytes(current))
    return out


def split_multipart(body: bytes, boundary: bytes) -> list[bytes]:
    """Body parts between ``--boundary`` lines (RFC 2046 §5.1.1).

    The line break before a delimiter belongs to the delimiter.  A missing closing
    delimiter ends the last part at the end of the body.
    """
    delimiter = b"--" + boundary
    parts: list[bytes] = []
    start: int | None = None
    pos = 0
    for line in _LINE.findall(body):
        content = line.rstrip(b"\r\n").rstrip(b" \t")
        if content in (delimiter, delimiter + b"--"):
            if start is not None:
                end = pos
                if end > start and body[end - 1 : end] == b"\n":
                    end -= 2 if body[end - 2 : end] == b"\r\n" else 1
                parts.append(body[start : max(end, start)])
            if content.endswith(b"--") and content != delimiter:
                return parts
            start = pos + len(line)
        pos += len(line)
    if start is not None:
        parts.append(body[start:])
    return parts


def count_lines(body: bytes) -> int:
    """body-fld-lines (RFC 3501 §7.4.2): text lines in the body."""
    n = body.count(b"\n")
    return n + 1 if body and not body.endswith(b"\n") else n
