"""MIME tree and BODY / BODYSTRUCTURE (RFC 3501 §7.4.2 ``body``, RFC 2045, RFC 2046).

``parse_mime(raw)`` builds a ``Part`` tree that never fails on malformed input;
``body_structure(part, extended)`` gives the wire value of BODY (``extended=False``) or
BODYSTRUCTURE (``extended=True``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .envelope import envelope_from_headers
from .message import (
    Headers,
    count_lines,
    get_header,
    parse_headers,
    parse_params,
    split_message,
    split_multipart,
)
from .wire import Concat, PList, Str, Value

MAX_DEPTH = 32


@dataclass
class Part:
    """One MIME entity: its header block, body, type and sub-entities."""

    header: bytes
    body: bytes
    headers: Headers
    maintype: bytes
    subtype: bytes
    params: list[tuple[bytes, bytes]]
    default_type: bool = False
    children: list[Part] = field(default_factory=list)
    message: Part | None = None  # the embedded message of a message/rfc822 part

    @property
    def is_multipart(self) -> bool:
        return self.maintype.lower() == b"multipart"


Params = list[tuple[bytes, bytes]]


def _content_type(headers: Headers, default: bytes) -> tuple[bytes, bytes, Params, bool]:
    """Content-Type (RFC 2045 §5.2 default ``text/plain; charset=us-ascii``)."""
    value = get_header(headers, "content-type")
    if value is not None:
        mtype, params = parse_params(value)
        main, sep, sub = mtype.partition(b"/")
        main, sub = main.strip(), sub.strip()
        if sep and main and sub and b" " not in main and b" " not in sub:
            return main, sub, params, False
    main, sub = default.split(b"/")
    params = [(b"charset", b"us-ascii")] if main == b"text" else []
    return main, sub, params, True


def parse_mime(raw: bytes, default: bytes = b"text/plain", depth: int = 0) -> Part:
    """Parse an entity (header + body) recursively (RFC 2046 §5)."""
    header, body = split_message(raw)
    headers = parse_headers(header)
    main, sub, params, defaulted = _content_type(headers, default)
    part = Part(header, body, headers, main, sub, params, defaulted)
    if depth >= MAX_DEPTH:
        if part.is_multipart or main.lower() == b"message":
            part.maintype, part.subtype = b"application", b"octet-stream"
        return part
    if part.is_multipart:
        boundary = dict(params).get(b"boundary")
        pieces = split_multipart(body, boundary) if boundary else []
        child_default = b"message/rfc822" if sub.lower() == b"digest" else b"text/plain"
        part.children = [parse_mime(p, child_default, depth + 1) for p in pieces]
        if not part.children:  # no usable boundary: one text part holding the body
            part.children = [parse_mime(b"\r\n" + body, b"text/plain", depth + 1)]
    elif main.lower() == b"message" and sub.lower() == b"rfc822":
        part.message = parse_mime(body, b"text/plain", depth + 1)
    return part


def _nstr(value: bytes | None) -> Value:
    return None if value is None else Str(value)


def _params(params: list[tuple[bytes, bytes]]) -> Value:
    """body-fld-param = "(" string SP string *(SP string SP string) ")" / nil."""
    if not params:
        return None
    return PList(tuple(Str(x) for pair in params for x in pair))


def _disposition(part: Part) -> Value:
    """body-fld-dsp = "(" string SP body-fld-param ")" / nil (RFC 3501 §9, RFC 2183)."""
    value = get_header(part.headers, "content-disposition")
    if value is None:
        return None
    kind, params = parse_params(value)
    if not kind:
        return None
    return PList((Str(kind), _params(params)))


def _language(part: Part) -> Value:
    """body-fld-lang = nstring / "(" string *(SP string) ")" (RFC 3501 §9, RFC 3282)."""
    value = get_header(part.headers, "content-language")
    if value is None:
        return None
    tags = [t.strip() for t in value.split(b",") if t.strip()]
    if not tags:
        return None
    return Str(tags[0]) if len(tags) == 1 else PList(tuple(Str(t) for t in tags))


def _extension(part: Part) -> tuple[Value, ...]:
    """body-fld-dsp SP body-fld-lang SP body-fld-loc (RFC 3501 §9)."""
    location = _nstr(get_header(part.headers, "content-location"))
    return (_disposition(part), _language(part), location)


def body_structure(part: Part, extended: bool = True) -> Value:
    """``body`` (RFC 3501 §9): BODYSTRUCTURE when ``extended``, BODY otherwise."""
    if part.is_multipart:
        children = Concat(tuple(body_structure(c, extended) for c in part.children))
        items: list[Value] = [children, Str(part.subtype)]
        if extended:  # body-ext-mpart
            items.append(_params(part.params))
            items.extend(_extension(part))
        return PList(tuple(items))
    encoding = get_header(part.headers, "content-transfer-encoding") or b"7BIT"
    fields: list[Value] = [
        Str(part.maintype),
        Str(part.subtype),
        _params(part.params),
        _nstr(get_header(part.headers, "content-id")),
        _nstr(get_header(part.headers, "content-description")),
        Str(encoding),
        len(part.body),
    ]
    if part.message is not None:  # body-type-msg
        inner = part.message
        fields.append(envelope_from_headers(inner.headers).to_wire())
        fields.append(body_structure(inner, extended))
        fields.append(count_lines(part.body))
    elif part.maintype.lower() == b"text":  # body-type-text
        fields.append(count_lines(part.body))
    if extended:  # body-ext-1part: md5 then dsp, lang, loc
        fields.append(None)
        fields.extend(_extension(part))
    return PList(tuple(fields))


def bodystructure(raw: bytes, extended: bool = True) -> Value:
    """BODYSTRUCTURE (or BODY) wire value of a raw message."""
    return body_structure(parse_mime(raw), extended)
