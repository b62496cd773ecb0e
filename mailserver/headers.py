"""Just the headers delivery and policy need, read from raw bytes without the body."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

MSGID_RE = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class MessageHeaders:
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_addresses: tuple[str, ...]
    reply_to: tuple[str, ...]
    mss_mes: str | None
    disposition_notification_to: str | None
    # Addresses of every Sender: field; None when the message has no Sender: at all.
    sender_addresses: tuple[str, ...] | None = None

    @property
    def referenced_ids(self) -> tuple[str, ...]:
        """Ids this message answers, the direct parent first."""
        seen: dict[str, None] = {}
        for mid in (*self.in_reply_to, *reversed(self.references)):
            seen.setdefault(mid, None)
        return tuple(seen)

    @property
    def closes_conversation(self) -> bool:
        """Subject exactly "[FIN]": closes every earlier message of that sender (§6)."""
        return self.subject.strip() == "[FIN]"

    @property
    def no_reply(self) -> bool:
        return (self.mss_mes or "").strip() == "FIN"


def split_headers(raw: bytes) -> bytes:
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    return raw if end < 0 else raw[:end + 2]


def parse_headers(raw: bytes) -> MessageHeaders:
    msg = BytesHeaderParser(policy=compat32).parsebytes(split_headers(raw))

    def text(name: str) -> str:
        value = msg.get(name)
        if value is None:
            return ""
        try:
            return str(make_header(decode_header(str(value))))
        except (UnicodeError, LookupError, ValueError):
            return str(value)

    def ids(name: str) -> tuple[str, ...]:
        return tuple(MSGID_RE.findall(" ".join(str(v) for v in msg.get_all(name, []))))

    def addrs(name: str) -> tuple[str, ...]:
        values = [str(v) for v in msg.get_all(name, [])]
        return tuple(a.lower() for _, a in getaddresses(values) if "@" in a)

    mid = ids("Message-ID")
    dnt = addrs("Disposition-Notification-To")
    return MessageHeaders(
        message_id=mid[0] if mid else None,
        in_reply_to=ids("In-Reply-To"),
        references=ids("References"),
        subject=text("Subject"),
        from_addresses=addrs("From"),
        reply_to=addrs("Reply-To"),
        mss_mes=(str(msg["X-MSS-MES"]).strip() if msg["X-MSS-MES"] is not None else None),
        disposition_notification_to=dnt[0] if dnt else None,
        sender_addresses=addrs("Sender") if msg.get_all("Sender") else None,
    )
