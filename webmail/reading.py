"""A decrypted message made safe to show: summary, escaped text, sanitized HTML, parts.

Everything a message holds is untrusted. Plain text is escaped and linkified piece by
piece (a link is built from the escaped URL, so a URL cannot carry markup). HTML goes
through nh3 once, with an allow-list: no script, no event handler, no form, no remote
resource (an ``img`` keeps only the message's own inline ``cid:`` images, turned into
``data:`` URIs inside the sanitizer's attribute filter), no ``position`` in styles; the
result is served only inside a sandboxed frame with its own Content-Security-Policy.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html import unescape

import nh3
from markupsafe import Markup, escape

SNIPPET = 160
MAX_INLINE_IMAGE = 2 * 1024 * 1024  # a cid: image bigger than this is not inlined
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# Types we may let the browser preview (in a sandboxed frame); anything else downloads.
PREVIEW_TYPES = INLINE_IMAGE_TYPES | {"application/pdf"}
URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)

HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col", "colgroup",
    "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "ins", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
HTML_ATTRIBUTES = {
    "*": {"style", "title", "align", "dir", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "font": {"color", "face", "size"},
    "td": {"colspan", "rowspan", "valign", "width", "bgcolor"},
    "th": {"colspan", "rowspan", "valign", "width", "bgcolor"},
    "table": {"width", "border", "cellpadding", "cellspacing", "bgcolor"},
}
# CSS properties that style text and boxes; nothing that positions, overlays or loads.
STYLE_PROPERTIES = {
    "color", "background-color", "font", "font-family", "font-size", "font-style",
    "font-weight", "text-align", "text-decoration", "text-indent", "text-transform",
    "line-height", "letter-spacing", "white-space", "vertical-align", "margin",
    "margin-top", "margin-right", "margin-bottom", "margin-left", "padding", "padding-top",
    "padding-right", "padding-bottom", "padding-left", "border", "border-top",
    "border-right", "border-bottom", "border-left", "border-color", "border-style",
    "border-width", "border-collapse", "border-spacing", "width", "max-width", "height",
    "list-style-type",
}


@dataclass(frozen=True)
class Person:
    name: str
    address: str

    @property
    def label(self) -> str:
        return self.name or self.address


@dataclass(frozen=True)
class Attachment:
    index: int          # position among the message's leaf parts, used in URLs
    filename: str
    content_type: str   # as declared (shown, never served as is for active types)
    size: int

    @property
    def previewable(self) -> bool:
        return self.content_type in PREVIEW_TYPES


@dataclass(frozen=True)
class Summary:
    subject: str
    sender: Person | None
    to: tuple[Person, ...]
    cc: tuple[Person, ...]
    date: datetime | None
    snippet: str
    no_reply: bool          # X-MSS-MES: FIN
    ends_conversation: bool  # subject "[FIN]"
    read_receipt_to: str | None
    has_attachments: bool


@dataclass(frozen=True)
class Reading:
    summary: Summary
    text: Markup | None       # escaped, linkified plain text (quoted blocks folded)
    has_html: bool
    attachments: tuple[Attachment, ...]


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot decode
        return ""
    # Header values may hold CR/LF after decoding: they never reach a page as such.
    return " ".join(str(value).split()) if value is not None else ""


def _people(message: Message, name: str) -> tuple[Person, ...]:
    try:
        values = [str(v) for v in message.get_all(name, [])]
    except (ValueError, IndexError, TypeError):
        return ()
    return tuple(Person(" ".join(n.split()), a.strip().lower())
                 for n, a in getaddresses(values) if "@" in a)


def _date(message: Message) -> datetime | None:
    try:
        return parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None


def _leaves(message: EmailMessage) -> list[EmailMessage]:
    return [p for p in message.walk() if not p.is_multipart()]


def _is_attachment(part: EmailMessage) -> bool:
    if part.get_content_disposition() == "attachment" or part.get_filename():
        return True
    return part.get_content_maintype() not in ("text", "multipart")


def _text_of(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _body_part(message: EmailMessage, subtype: str) -> EmailMessage | None:
    for part in _leaves(message):
        if part.get_content_type() == f"text/{subtype}" and not _is_attachment(part):
            return part
    return None


def attachments(message: EmailMessage) -> tuple[Attachment, ...]:
    found = []
    for index, part in enumerate(_leaves(message)):
        if not _is_attachment(part):
            continue
        payload = part.get_payload(decode=True)
        found.append(Attachment(index=index, filename=_filename(part, index),
                                content_type=part.get_content_type(),
                                size=len(payload) if isinstance(payload, bytes) else 0))
    return tuple(found)


def _filename(part: EmailMessage, index: int) -> str:
    try:
        name = part.get_filename() or ""
    except (ValueError, IndexError, TypeError):
        name = ""
    # Only the last path component, no control characters: a file name is shown and sent
    # back in Content-Disposition.
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).replace("\\", "/").rsplit("/", 1)[-1]
    return name.strip() or f"piece-jointe-{index}"


def summarise(message: EmailMessage) -> Summary:
    senders = _people(message, "From")
    plain = _body_part(message, "plain")
    text = _text_of(plain) if plain is not None else ""
    if not text:
        html = _body_part(message, "html")
        # Tags become spaces (block ends must not glue words), entities become text.
        text = (unescape(nh3.clean(_text_of(html).replace("<", " <"), tags=set()))
                if html is not None else "")
    receipt = _people(message, "Disposition-Notification-To")
    return Summary(
        subject=_header(message, "Subject"),
        sender=senders[0] if senders else None,
        to=_people(message, "To"), cc=_people(message, "Cc"),
        date=_date(message),
        snippet=" ".join(text.split())[:SNIPPET],
        no_reply=_header(message, "X-MSS-MES").upper() == "FIN",
        ends_conversation=_header(message, "Subject") == "[FIN]",
        read_receipt_to=receipt[0].address if receipt else None,
        has_attachments=any(_is_attachment(p) for p in _leaves(message)))


def read(raw: bytes) -> Reading:
    message = parse(raw)
    plain = _body_part(message, "plain")
    html = _body_part(message, "html")
    text = text_to_html(_text_of(plain)) if plain is not None else None
    return Reading(summary=summarise(message), text=text, has_html=html is not None,
                   attachments=attachments(message))


# -- plain text ---------------------------------------------------------------------------

def linkify(line: str) -> Markup:
    out = Markup()
    last = 0
    for m in URL.finditer(line):
        out += escape(line[last:m.start()])
        url = escape(m.group(0))
        out += Markup('<a href="%s" rel="noopener noreferrer" target="_blank">%s</a>') % (
            url, url)
        last = m.end()
    return out + escape(line[last:])


def text_to_html(text: str) -> Markup:
    """Paragraphs of escaped text; quoted lines (">") folded in a ``details`` block."""
    out: list[Markup] = []
    quoted: list[Markup] = []

    def flush() -> None:
        if quoted:
            folded = Markup('<details class="quoted"><summary>…</summary>'
                            '<blockquote>%s</blockquote></details>')
            out.append(folded % Markup("<br>").join(quoted))
            quoted.clear()

    for line in text.splitlines():
        if line.startswith(">"):
            quoted.append(linkify(line.lstrip("> ")))
            continue
        flush()
        out.append(linkify(line))
    flush()
    return Markup('<div class="plain">%s</div>') % Markup("<br>\n").join(out)


# -- HTML -------------------------------------------------------------------------------

def _inline_images(message: EmailMessage) -> dict[str, str]:
    images = {}
    for part in _leaves(message):
        cid = _header(part, "Content-ID").strip("<> ")
        payload = part.get_payload(decode=True)
        if (cid and part.get_content_type() in INLINE_IMAGE_TYPES
                and isinstance(payload, bytes) and len(payload) <= MAX_INLINE_IMAGE):
            images[cid] = (f"data:{part.get_content_type()};base64,"
                           + base64.b64encode(payload).decode())
    return images


def sanitized_html(raw: bytes) -> str | None:
    """The message's HTML body through nh3, for the sandboxed frame (None: no HTML)."""
    message = parse(raw)
    part = _body_part(message, "html")
    if part is None:
        return None
    images = _inline_images(message)

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            # Never a remote image (tracking, leaks): only this message's own parts.
            if value.lower().startswith("cid:"):
                return images.get(value[4:].strip("<> "))
            return None
        return value

    return nh3.clean(_text_of(part), tags=HTML_TAGS, attributes=HTML_ATTRIBUTES,
                     attribute_filter=keep, url_schemes={"http", "https", "mailto", "cid"},
                     clean_content_tags={"script", "style", "title", "head"},
                     filter_style_properties=STYLE_PROPERTIES,
                     set_tag_attribute_values={"a": {"target": "_blank"}})


def part_bytes(raw: bytes, index: int) -> tuple[Attachment, bytes] | None:
    """One attachment (by its index among leaf parts) and its decoded content."""
    message = parse(raw)
    for found in attachments(message):
        if found.index == index:
            part = _leaves(message)[index]
            payload = part.get_payload(decode=True)
            return found, payload if isinstance(payload, bytes) else b""
    return None
