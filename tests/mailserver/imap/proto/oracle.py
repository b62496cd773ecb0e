"""Grammar oracle: an independent IMAP grammar (``imap-codec``) must accept our responses.

``assert_valid_response(data)`` splits ``data`` into responses (following literals) and
decodes each with ``imap_codec.ResponseCodec``.

imap-codec 0.1.0 does not know some extension syntax that is valid; for exactly those
responses a strict check of our own validates the extension part, which is then removed
and the remainder must still decode with imap-codec:

* FETCH ``MODSEQ (n)`` (RFC 7162 §3.1.4.1)
* SEARCH ``(MODSEQ n)`` trailer (RFC 7162 §3.1.5)
* STATUS ``HIGHESTMODSEQ n`` / ``APPENDLIMIT n`` items (RFC 7162 §3.1.9, RFC 7889 §4)
* LIST extended data ``("CHILDINFO" ("SUBSCRIBED"))`` (RFC 5258 §3.5)
* ``* NAMESPACE`` (RFC 2342 §5), checked entirely by a strict regular expression.
"""

from __future__ import annotations

import re

import imap_codec

_LITERAL_END = re.compile(rb"\{(\d+)\}\r\n\Z")
_QUOTED = rb'"(?:[^"\\\r\n\x80-\xff]|\\["\\])*"'
_NS_DESC = rb"\(" + _QUOTED + rb" (?:NIL|" + _QUOTED + rb")\)"
_NS = rb"(?:NIL|\((?:" + _NS_DESC + rb")+\))"
_NAMESPACE = re.compile(rb"\A\* NAMESPACE " + _NS + rb" " + _NS + rb" " + _NS + rb"\r\n\Z")

# (pattern on the response line, replacement) for the extensions imap-codec 0.1.0 lacks
_REWRITES: list[tuple[re.Pattern[bytes], bytes]] = [
    (re.compile(rb"(?<=[( ])MODSEQ \(\d{1,20}\)(?: (?=[A-Z]))?"), b""),
    (re.compile(rb"\A(\* SEARCH(?: \d+)+) \(MODSEQ \d{1,20}\)(?=\r\n\Z)"), rb"\1"),
    (re.compile(rb"(?<=[( ])(?:HIGHESTMODSEQ|APPENDLIMIT) \d{1,20}(?: (?=[A-Z]))?"), b""),
    (re.compile(rb' \("CHILDINFO" \((?:"[A-Z-]+"(?: "[A-Z-]+")*)\)\)(?=\r\n\Z)'), b""),
]


def split_responses(data: bytes) -> list[list[bytes]]:
    """Each response as its segments: line parts (even index) and literal data (odd)."""
    out: list[list[bytes]] = []
    pos = 0
    while pos < len(data):
        segments: list[bytes] = []
        while True:
            end = data.find(b"\r\n", pos)
            if end < 0:
                raise AssertionError(f"response not terminated by CRLF: {data[pos:]!r}")
            line = data[pos : end + 2]
            pos = end + 2
            segments.append(line)
            m = _LITERAL_END.search(line)
            if m is None:
                break
            size = int(m.group(1))
            if pos + size > len(data):
                raise AssertionError("truncated literal in response")
            segments.append(data[pos : pos + size])
            pos += size
        out.append(segments)
    return out


def _codec_accepts(data: bytes) -> bool:
    """A response, or a greeting (``* PREAUTH``/``* OK``/``* BYE``, RFC 3501 §7.1)."""
    for codec in (imap_codec.ResponseCodec, imap_codec.GreetingCodec):
        try:
            rest, _ = codec.decode(data)
        except imap_codec.DecodeError:
            continue
        if rest == b"":
            return True
    return False


def _rewrite(segments: list[bytes]) -> bytes | None:
    """Strip the extension syntax imap-codec lacks; None if nothing matched."""
    changed = False
    out: list[bytes] = []
    for i, seg in enumerate(segments):
        if i % 2 == 0:
            for pattern, repl in _REWRITES:
                seg, n = pattern.subn(repl, seg)
                changed = changed or n > 0
            seg = seg.replace(b" )", b")")
            seg = re.sub(rb"\A(\* \d+ FETCH \()\)", rb"\1UID 1)", seg)
        out.append(seg)
    return b"".join(out) if changed else None


def assert_valid_response(data: bytes) -> None:
    """Assert that every response in ``data`` is valid IMAP4rev1 server output."""
    assert data, "no response bytes"
    for segments in split_responses(data):
        one = b"".join(segments)
        if _codec_accepts(one):
            continue
        if _NAMESPACE.match(one):
            continue
        rewritten = _rewrite(segments)
        assert rewritten is not None and _codec_accepts(rewritten), (
            f"response rejected by the IMAP grammar: {one!r}"
        )
