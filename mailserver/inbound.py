"""MX-side checks for mail from peer operators (design brief §3 flow 2, domain.md §11.3-4, 21).

Plain functions, called by the SMTP layer:

* ``check_peer``: a peer must present a certificate chaining to the pinned CA whose subject DN
  is listed in the trust list for the domain it sends from;
* ``verify_dkim`` / ``authentication_results_header``: the DKIM check and its record;
* ``parse_mail_dsn`` / ``parse_rcpt_dsn``: the RFC 3461 DSN parameters of MAIL and RCPT.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import ssl
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from crypto import peer_certificate, subject_dn
from mailserver.headers import MessageHeaders, parse_headers, split_headers
from mailserver.services import MailServices
from mailserver.store import AccountInfo
from mailserver.trust import TrustSpace

if TYPE_CHECKING:
    from mailserver.smtp.state import MssEnvelope

log = logging.getLogger(__name__)

# -- peer certificate and trust list ---------------------------------------------------------


def load_ca_bundle(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(Path(path).read_bytes())


def _as_certificate(peer: object) -> x509.Certificate | None:
    if peer is None:
        return None
    if isinstance(peer, x509.Certificate):
        return peer
    if isinstance(peer, bytes):
        return x509.load_der_x509_certificate(peer)
    if getattr(peer, "getpeercert", None) is None:
        raise TypeError(f"not an SSL object or certificate: {type(peer).__name__}")
    return peer_certificate(cast(ssl.SSLObject, peer))  # an SSL object (or look-alike)


def _chains_to(cert: x509.Certificate, cas: list[x509.Certificate]) -> bool:
    """Is `cert` issued by one of the pinned CA certificates (and within its validity)?"""
    now = datetime.now(UTC)
    if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
        return False
    for ca in cas:
        if ca.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(ca)
        except Exception:  # InvalidSignature, unsupported key types
            continue
        return True
    return False


def check_peer(trust: TrustSpace, peer: ssl.SSLObject | x509.Certificate | object | None,
               mail_from_domain: str, *, ca_certs: list[x509.Certificate] | None = None,
               ) -> str | None:
    """Why this peer may not send for `mail_from_domain` (None: it may).

    `peer` is the TLS connection's SSL object (or the certificate itself). The TLS layer
    verified the chain (CERT_OPTIONAL against the pinned CA); with `ca_certs` the chain is
    checked again here, so a listener configured with another CA cannot let a peer in. An
    empty domain (null reverse-path, a DSN) needs a DN listed for some domain of the list.
    """
    if peer is None:
        return "TLS is required between operators"
    try:
        cert = _as_certificate(peer)
    except (TypeError, ValueError) as exc:
        return f"unreadable client certificate: {exc}"
    if cert is None:
        return "a client certificate from the trust space's CA is required"
    if ca_certs is not None and not _chains_to(cert, ca_certs):
        return "client certificate does not chain to the trust space's CA"
    dn = subject_dn(cert)
    lst = trust.current
    if not mail_from_domain:
        if lst.lists_dn(dn):
            return None
        return f"certificate DN {dn!r} is not in the trust list"
    if not lst.is_listed(mail_from_domain):
        return f"domain {mail_from_domain} is not in the trust list"
    if not lst.allows(mail_from_domain, dn):
        return f"certificate DN {dn!r} is not listed for {mail_from_domain}"
    return None


# -- DKIM -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DkimResult:
    """RFC 8601 result: pass, fail, none, neutral, temperror or permerror."""

    result: str
    domain: str | None = None
    selector: str | None = None
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.result == "pass"


class DkimKeys:
    """Public keys by "selector._domainkey.domain": static ones first, then DNS TXT."""

    def __init__(self, static: Mapping[str, str] | None = None, *, base_dir: Path | None = None,
                 resolver: object | None = None, timeout: float = 5.0) -> None:
        self.static = {k.lower().rstrip("."): v for k, v in (static or {}).items()}
        self.base_dir = base_dir
        self.resolver = resolver
        self.timeout = timeout
        self._records: dict[str, bytes] = {}   # static keys, read and parsed once

    async def txt(self, name: str) -> bytes | None:
        """The TXT record for `name` (None: no such key). Raises TimeoutError if DNS fails."""
        key = name.lower().rstrip(".")
        if key in self.static:
            record = self._records.get(key)
            if record is None:
                record = self._records[key] = static_key_record(self.static[key],
                                                                self.base_dir)
            return record
        return await self._dns(key)

    async def _dns(self, name: str) -> bytes | None:
        import dns.asyncresolver
        import dns.exception
        import dns.resolver

        if self.resolver is None:  # made at the first lookup, then kept
            self.resolver = dns.asyncresolver.Resolver()
        try:
            answer = await self.resolver.resolve(name, "TXT", lifetime=self.timeout)  # type: ignore[attr-defined]
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        except (dns.exception.Timeout, dns.resolver.NoNameservers) as exc:
            raise TimeoutError(f"DNS lookup of {name} failed: {exc}") from None
        for rr in answer:
            return b"".join(rr.strings)
        return None


def static_key_record(value: str, base_dir: Path | None = None) -> bytes:
    """A configured key as a DKIM TXT record: a PEM file (public, or private: its public
    half), a TXT record text ("v=DKIM1; k=rsa; p=..."), or the base64 public key alone."""
    text = value.strip()
    path = Path(text)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    if "\n" not in text and not text.startswith("v=") and _is_file(path):
        pem = path.read_bytes()
        return dkim_txt_record(pem)
    if text.startswith("v=DKIM1") or "p=" in text:
        return text.encode()
    return b"v=DKIM1; k=rsa; p=" + "".join(text.split()).encode()


def _is_file(path: Path) -> bool:
    # A base64 key is not a path, but may look like one: a 300-character "component"
    # between its slashes makes is_file() raise ENAMETOOLONG instead of answering False.
    try:
        return path.is_file()
    except OSError:
        return False


def dkim_txt_record(pem: bytes) -> bytes:
    """The TXT record to publish for a PEM key (private or public)."""
    if b"PRIVATE KEY" in pem:
        public = serialization.load_pem_private_key(pem, password=None).public_key()
    else:
        public = serialization.load_pem_public_key(pem)
    der = public.public_bytes(serialization.Encoding.DER,
                              serialization.PublicFormat.SubjectPublicKeyInfo)
    return b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def _first_signature(raw: bytes) -> dict[bytes, bytes] | None:
    import dkim
    from dkim.util import parse_tag_value

    try:
        headers, _ = dkim.rfc822_parse(raw)
    except Exception:
        return None
    for name, value in headers:
        if name.lower() == b"dkim-signature":
            try:
                tags: dict[bytes, bytes] = parse_tag_value(value)  # dkimpy is untyped
            except Exception:
                return {}
            return tags
    return None


async def verify_dkim(raw: bytes, keys: DkimKeys) -> DkimResult:
    """Verify the first DKIM-Signature of `raw`."""
    import dkim

    tags = _first_signature(raw)
    if tags is None:
        return DkimResult("none", reason="no signature")
    domain = tags.get(b"d", b"").decode("ascii", "replace").strip() or None
    selector = tags.get(b"s", b"").decode("ascii", "replace").strip() or None
    if not domain or not selector:
        return DkimResult("permerror", domain, selector, "signature lacks d= or s=")
    name = f"{selector}._domainkey.{domain}"
    try:
        record = await keys.txt(name)
    except TimeoutError as exc:
        return DkimResult("temperror", domain, selector, str(exc))
    except (OSError, ValueError) as exc:
        return DkimResult("temperror", domain, selector, f"key {name}: {exc}")
    if record is None:
        return DkimResult("permerror", domain, selector, f"no key at {name}")

    def run() -> DkimResult:
        d = dkim.DKIM(raw, minkey=1024)
        try:
            ok = d.verify(dnsfunc=lambda _name, timeout=5: record)
        except dkim.KeyFormatError as exc:
            return DkimResult("permerror", domain, selector, f"bad key: {exc}")
        except dkim.DKIMException as exc:
            return DkimResult("fail", domain, selector, str(exc))
        if ok:
            return DkimResult("pass", domain, selector)
        return DkimResult("fail", domain, selector, "signature did not verify")

    if len(raw) > 256 * 1024:
        return await asyncio.to_thread(run)
    return run()


def authentication_results_header(hostname: str, result: DkimResult) -> bytes:
    """``Authentication-Results: host; dkim=pass header.d=… header.s=…`` (RFC 8601)."""
    parts = [f"dkim={result.result}"]
    if result.reason and result.result != "pass":
        reason = result.reason.replace("\\", "").replace('"', "'").replace("\r", " ") \
            .replace("\n", " ")[:200]
        parts.append(f'reason="{reason}"')
    if result.domain:
        parts.append(f"header.d={result.domain}")
    if result.selector:
        parts.append(f"header.s={result.selector}")
    return f"Authentication-Results: {hostname};\r\n\t{' '.join(parts)}\r\n".encode(
        "ascii", "replace")


# -- DSN parameters (RFC 3461) ----------------------------------------------------------------


class DsnParamError(ValueError):
    """A malformed DSN parameter: answer 501 5.5.4 with this text."""


_XCHAR = re.compile(r"^[\x21-\x2a\x2c-\x3c\x3e-\x7e]$")
NOTIFY_VALUES = {"SUCCESS", "FAILURE", "DELAY"}


def xtext_decode(text: str) -> str:
    out, i = bytearray(), 0
    while i < len(text):
        ch = text[i]
        if ch == "+":
            pair = text[i + 1:i + 3]
            if len(pair) != 2 or not re.fullmatch(r"[0-9A-F]{2}", pair):
                raise DsnParamError(f"bad xtext escape in {text!r}")
            out.append(int(pair, 16))
            i += 3
            continue
        if not ("\x21" <= ch <= "\x7e") or ch == "=":
            raise DsnParamError(f"bad xtext character in {text!r}")
        out.append(ord(ch))
        i += 1
    return out.decode("utf-8", "replace")


def xtext_encode(text: str) -> str:
    data = text.encode("utf-8")
    return "".join(chr(b) if _XCHAR.match(chr(b)) else f"+{b:02X}" for b in data)


def _split(options: Iterable[str]) -> list[tuple[str, str]]:
    out = []
    for opt in options:
        key, sep, value = opt.partition("=")
        out.append((key.upper(), value if sep else ""))
    return out


def parse_mail_dsn(options: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """RET and ENVID from MAIL FROM parameters: ({"ret":…, "envid":…}, other options)."""
    found: dict[str, str] = {}
    rest: list[str] = []
    options = list(options)
    for opt, (key, value) in zip(options, _split(options), strict=True):
        if key == "RET":
            if "ret" in found:
                raise DsnParamError("RET given twice")
            if value.upper() not in ("FULL", "HDRS"):
                raise DsnParamError("RET must be FULL or HDRS")
            found["ret"] = value.upper()
        elif key == "ENVID":
            if "envid" in found:
                raise DsnParamError("ENVID given twice")
            envid = xtext_decode(value)
            if not envid or len(envid) > 100:
                raise DsnParamError("ENVID must be 1 to 100 characters")
            found["envid"] = envid
        else:
            rest.append(opt)
    return found, rest


def parse_rcpt_dsn(options: Iterable[str]) -> tuple[tuple[str, ...], str | None, list[str]]:
    """NOTIFY and ORCPT from RCPT TO parameters: (notify, "type;address" or None, others)."""
    notify: tuple[str, ...] | None = None
    orcpt: str | None = None
    rest: list[str] = []
    options = list(options)
    for opt, (key, value) in zip(options, _split(options), strict=True):
        if key == "NOTIFY":
            if notify is not None:
                raise DsnParamError("NOTIFY given twice")
            values = [v.strip().upper() for v in value.split(",") if v.strip()]
            if values == ["NEVER"]:
                notify = ("NEVER",)
            elif values and all(v in NOTIFY_VALUES for v in values) \
                    and len(set(values)) == len(values):
                notify = tuple(values)
            else:
                raise DsnParamError("NOTIFY must be NEVER or SUCCESS, FAILURE, DELAY")
        elif key == "ORCPT":
            if orcpt is not None:
                raise DsnParamError("ORCPT given twice")
            addr_type, sep, addr = value.partition(";")
            if not sep or not addr_type or not addr:
                raise DsnParamError("ORCPT must be addr-type;xtext")
            orcpt = f"{addr_type.lower()};{xtext_decode(addr)}"
            if len(orcpt) > 500:
                raise DsnParamError("ORCPT too long")
        else:
            rest.append(opt)
    return notify or (), orcpt, rest


def mail_dsn_options(params: Mapping[str, object]) -> list[str]:
    """MAIL FROM parameters to pass DSN requests on to the next hop."""
    out = []
    if params.get("ret"):
        out.append(f"RET={params['ret']}")
    if params.get("envid"):
        out.append(f"ENVID={xtext_encode(str(params['envid']))}")
    return out


def rcpt_dsn_options(notify: Iterable[str] | None, orcpt: str | None) -> list[str]:
    out = []
    notify = list(notify or ())
    if notify:
        out.append("NOTIFY=" + ",".join(notify))
    if orcpt:
        addr_type, _, addr = orcpt.partition(";")
        out.append(f"ORCPT={addr_type};{xtext_encode(addr)}")
    return out


# -- what the MX handler calls ----------------------------------------------------------------


class MxChecks:
    """The MX policy of issue 5 in three calls, each answering with a full SMTP reply.

    * ``peer_refusal(ssl_object, domain)`` at MAIL FROM: 550 5.7.1 unless the peer's
      certificate chains to the pinned CA and its DN is listed for the sender's domain;
    * ``dkim(raw)`` after DATA: (refusal or None, Authentication-Results header to prepend);
      ``relay.dkim_failure`` = "reject" (default) answers 550 5.7.20 to a failed signature,
      "tag" only records it;
    * ``not_yet_delivered(accounts, raw)``: the recipients that do not hold this Message-ID
      yet. A peer that never saw our 250 (crash, lost connection) sends again; the copy it
      already delivered is not stored twice.
    """

    def __init__(self, services: MailServices, *, resolver: object | None = None) -> None:
        self.services = services
        self.settings = services.settings
        self.keys = DkimKeys(self.settings.relay.dkim_static_keys,
                             base_dir=self.settings.base_dir, resolver=resolver)
        self._cas: list[x509.Certificate] | None = None

    def ca_certs(self) -> list[x509.Certificate]:
        if self._cas is None:
            self._cas = load_ca_bundle(self.settings.trust.ca)
        return self._cas

    def peer_refusal(self, peer: object, domain: str) -> str | None:
        reason = check_peer(self.services.trust, peer, domain, ca_certs=self.ca_certs())
        if reason is None:
            return None
        log.warning("mx: refused peer %s for %r: %s", _dn_or_dash(peer), domain, reason)
        return f"550 5.7.1 {reason}"

    async def dkim(self, raw: bytes, hostname: str) -> tuple[str | None, bytes, DkimResult]:
        result = await verify_dkim(raw, self.keys)
        header = authentication_results_header(hostname, result)
        if self.settings.relay.dkim_failure == "reject":
            if result.result in ("fail", "permerror"):
                return (f"550 5.7.20 DKIM signature check failed ({result.result}: "
                        f"{_one_line(result.reason)})", header, result)
            if result.result == "temperror":
                return ("451 4.7.5 DKIM key lookup failed, try again later", header, result)
        return None, header, result

    async def not_yet_delivered(self, accounts: list[AccountInfo], raw: bytes,
                                headers: MessageHeaders | None = None) -> list[AccountInfo]:
        """`headers`: the message's, when the caller parsed them already."""
        from sqlalchemy import select

        from mailserver.store.models import MessageRef

        mid = (headers or parse_headers(raw)).message_id
        if not mid or not accounts:
            return accounts
        digest = self.services.delivery.digest(mid)
        async with self.services.store.read() as s:
            rows = await s.scalars(select(MessageRef.account_id).where(
                MessageRef.account_id.in_([a.id for a in accounts]),
                MessageRef.msgid_digest == digest))
            have = set(rows)
        if have:
            log.info("mx: %d recipient(s) already hold this message; not stored again",
                     len(have))
        return [a for a in accounts if a.id not in have]


def _dn_or_dash(peer: object) -> str:
    try:
        cert = _as_certificate(peer)
    except (TypeError, ValueError):
        return "-"
    return subject_dn(cert) if cert is not None else "-"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:120]


# -- delivery status notifications (RFC 3464) ------------------------------------------------
# Built here so that local delivery (SMTP) and the relay (relay/) make the same reports.

DSN_ACTIONS = {"failed": "FAILURE", "delayed": "DELAY", "delivered": "SUCCESS",
           "relayed": "SUCCESS", "expanded": "SUCCESS"}


@dataclass(frozen=True)
class RecipientStatus:
    address: str
    action: str  # failed, delayed, delivered, relayed
    status: str  # 5.1.1, 4.4.1, 2.0.0 ...
    diagnostic: str | None = None  # the remote reply, "smtp; 550 5.1.1 ..."
    remote_mta: str | None = None
    orcpt: str | None = None
    last_attempt: datetime | None = None
    will_retry_until: datetime | None = None


def wants(notify: Iterable[str] | None, action: str) -> bool:
    """RFC 3461 §4.1: without NOTIFY, report failures and delays (not successes)."""
    notify = [n.upper() for n in (notify or ())]
    if "NEVER" in notify:
        return False
    if not notify:
        return action in ("failed", "delayed")
    return DSN_ACTIONS[action] in notify


def _fold_text(text: str) -> str:
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())


def build_dsn(*, reporting_mta: str, postmaster: str, recipient: str, original: bytes,
              statuses: list[RecipientStatus], params: Mapping[str, object] | None = None,
              arrival: datetime | None = None, now: datetime) -> bytes:
    """The report for `recipient` (the original sender). RET=HDRS returns only headers."""
    params = params or {}
    kinds = {s.action for s in statuses}
    if "failed" in kinds:
        subject = "Undelivered Mail Returned to Sender"
        human = ("Your message could not be delivered to one or more recipients.\r\n"
                 "This is a permanent error; the reply of the remote server, if any,"
                 " is below.\r\n")
    elif "delayed" in kinds:
        subject = "Delivery Status Notification (Delay)"
        human = ("Your message has not been delivered yet to one or more recipients.\r\n"
                 "Delivery will be attempted again; you do not need to resend it.\r\n")
    else:
        subject = "Delivery Status Notification (Success)"
        human = "Your message was delivered to the following recipients.\r\n"
    lines = [human, "\r\n"]
    for s in statuses:
        lines.append(f"<{s.address}>: {s.action}")
        if s.diagnostic:
            lines.append(f"; {_fold_text(s.diagnostic)}")
        lines.append("\r\n")
    human_text = "".join(lines)

    per_msg = [f"Reporting-MTA: dns; {reporting_mta}"]
    if params.get("envid"):
        per_msg.insert(0, f"Original-Envelope-Id: {params['envid']}")
    if arrival is not None:
        per_msg.append(f"Arrival-Date: {format_datetime(arrival)}")
    blocks = ["\r\n".join(per_msg)]
    for s in statuses:
        fields = []
        if s.orcpt:
            fields.append(f"Original-Recipient: {s.orcpt}")
        fields += [f"Final-Recipient: rfc822; {s.address}", f"Action: {s.action}",
                   f"Status: {s.status}"]
        if s.remote_mta:
            fields.append(f"Remote-MTA: dns; {s.remote_mta}")
        if s.diagnostic:
            fields.append(f"Diagnostic-Code: smtp; {_fold_text(s.diagnostic)}")
        if s.last_attempt is not None:
            fields.append(f"Last-Attempt-Date: {format_datetime(s.last_attempt)}")
        if s.will_retry_until is not None:
            fields.append(f"Will-Retry-Until: {format_datetime(s.will_retry_until)}")
        blocks.append("\r\n".join(fields))
    delivery_status = "\r\n\r\n".join(blocks) + "\r\n"

    headers_only = str(params.get("ret", "")).upper() == "HDRS" or kinds == {"delayed"} \
        or kinds <= {"delivered", "relayed"}
    boundary = f"=_dsn_{uuid.uuid4().hex}"
    out = [
        f"From: Mail Delivery System <{postmaster}>",
        f"To: <{recipient}>",
        f"Subject: {subject}",
        f"Date: {format_datetime(now)}",
        f"Message-ID: <{uuid.uuid4().hex}@{reporting_mta}>",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status;\r\n'
        f' boundary="{boundary}"',
        "",
        "This is a MIME-encapsulated delivery status notification.",
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        human_text,
        f"--{boundary}",
        "Content-Type: message/delivery-status",
        "",
        delivery_status,
        f"--{boundary}",
    ]
    head = "\r\n".join(out).encode("utf-8")
    if headers_only:
        part = b"Content-Type: text/rfc822-headers\r\n\r\n" + _crlf_end(split_headers(original))
    else:
        part = b"Content-Type: message/rfc822\r\n\r\n" + _crlf_end(original)
    return head + b"\r\n" + part + f"--{boundary}--\r\n".encode()


def _crlf_end(data: bytes) -> bytes:
    return data if data.endswith(b"\n") else data + b"\r\n"


async def deliver_dsn(services: MailServices, *, sender: str, original: bytes,
                      statuses: list[RecipientStatus], params: Mapping[str, object] | None = None,
                      arrival: datetime | None = None) -> bool:
    """Send a report to `sender`: into their mailbox when local (sealed like any message),
    else through the relay queue with a null sender. False when there is nobody to tell
    (null sender: a report is never reported on)."""
    from mailserver.delivery import RemoteRecipient

    if not sender or not statuses:
        return False
    settings = services.settings
    local = services.is_local(sender)
    domain = sender.rpartition("@")[2].lower()
    postmaster = f"postmaster@{domain if local else settings.server.domains[0]}"
    report = build_dsn(reporting_mta=settings.server.hostname, postmaster=postmaster,
                       recipient=sender, original=original, statuses=statuses,
                       params=params, arrival=arrival, now=datetime.now(UTC))
    if local:
        account = await services.store.get_account(sender)
        if account is None:
            log.warning("DSN for %s dropped: no such local account", sender)
            return False
        await services.delivery.deliver(report, mail_from="", recipients=[account])
    else:
        await services.delivery.deliver(report, mail_from="", recipients=[],
                                        remote=[RemoteRecipient(sender, notify=("NEVER",))])
    log.info("DSN (%s) sent to %s", ",".join(sorted({s.action for s in statuses})), sender)
    return True


def note_success_request(dsn_success: dict[str, tuple[str, str | None]],
                         account: AccountInfo | None, address: str,
                         notify: Iterable[str], orcpt: str | None) -> None:
    """At RCPT: remember (in `dsn_success`, the envelope's) a local recipient whose sender
    asked NOTIFY=SUCCESS; `notify` and `orcpt` as parse_rcpt_dsn gave them."""
    if account is not None and "SUCCESS" in notify:
        dsn_success[account.id] = (address, orcpt)


async def success_notices(services: MailServices, envelope: MssEnvelope, raw: bytes) -> None:
    """After a local delivery: "delivered" reports for the recipients that asked for one."""
    wanted = envelope.dsn_success
    delivered = {a.id for a in envelope.local}
    statuses = [RecipientStatus(address=addr, action="delivered", status="2.0.0",
                                orcpt=orcpt, last_attempt=datetime.now(UTC))
                for acc_id, (addr, orcpt) in wanted.items() if acc_id in delivered]
    if not statuses:
        return
    try:
        await deliver_dsn(services, sender=envelope.mail_from or "",
                          original=raw, statuses=statuses,
                          params={"envid": envelope.params.get("envid"), "ret": "HDRS"})
    except Exception:  # a success report must never turn a delivery into a failure
        log.exception("success DSN not sent")
