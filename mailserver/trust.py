"""The trust space: the national authorized-domain list (ListeBlancheMSSante XML).

Per domain, one entry per certificate subject DN allowed to send or receive for it; a
domain with several entries keeps every DN (domain.md §1.2, WL-MODEL).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from config import Settings

NS = "https://listeblanche.mssante.fr/schema"
MAX_LIST_BYTES = 64 * 1024 * 1024


class TrustListError(Exception):
    pass


@dataclass(frozen=True)
class TrustEntry:
    domain: str
    dn: str
    description: str = ""
    contact: str = ""
    support: str = ""
    updated: str = ""


@dataclass
class TrustList:
    generated: str = ""
    entries: list[TrustEntry] = field(default_factory=list)
    _dns: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def __post_init__(self) -> None:
        self._all_dns: set[str] = set()   # every DN of the list, for lists_dn
        for e in self.entries:
            dn = normalize_dn(e.dn)
            self._dns[normalize_domain(e.domain)].add(dn)
            self._all_dns.add(dn)

    def lists_dn(self, dn: str) -> bool:
        """Is this certificate DN listed for any domain at all?"""
        return normalize_dn(dn) in self._all_dns

    def is_listed(self, domain: str) -> bool:
        return normalize_domain(domain) in self._dns

    def dns_for(self, domain: str) -> set[str]:
        return set(self._dns.get(normalize_domain(domain), set()))

    def allows(self, domain: str, dn: str) -> bool:
        """Is a peer presenting this certificate DN allowed to act for this domain?"""
        return normalize_dn(dn) in self._dns.get(normalize_domain(domain), set())

    @property
    def domains(self) -> list[str]:
        return sorted(self._dns)


def domain_of(address: str) -> str:
    """The normalised domain of an address (IDNA, lower case, no trailing dot)."""
    return normalize_domain(address.rpartition("@")[2])


def normalize_domain(domain: str) -> str:
    domain = domain.strip().rstrip(".").lower()
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def normalize_dn(dn: str) -> str:
    """Compare DNs on their RDNs, ignoring spaces around separators and attribute case."""
    parts = []
    for rdn in _split_dn(dn):
        key, _, value = rdn.partition("=")
        parts.append(f"{key.strip().upper()}={value.strip()}")
    return ",".join(parts)


def _split_dn(dn: str) -> list[str]:
    out, cur, esc = [], [], False
    for ch in dn:
        if esc:
            cur.append(ch)
            esc = False
        elif ch == "\\":
            cur.append(ch)
            esc = True
        elif ch == ",":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur))
    return [p for p in out if p.strip()]


def parse_trust_list(data: bytes) -> TrustList:
    if len(data) > MAX_LIST_BYTES:
        raise TrustListError("trust list is too large")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise TrustListError("trust list must not contain a DTD or entities")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise TrustListError(f"trust list is not well-formed XML: {exc}") from None
    if root.tag != f"{{{NS}}}ListeBlancheMSSante":
        raise TrustListError(f"root element must be ListeBlancheMSSante in namespace {NS}")
    generated = (root.findtext(f"{{{NS}}}DateDeGeneration") or "").strip()
    entries = []
    for dom in root.iter(f"{{{NS}}}Domaine"):
        name = (dom.findtext(f"{{{NS}}}Nom") or "").strip()
        dn = (dom.findtext(f"{{{NS}}}DNCertificatOperateur") or "").strip()
        if not name or not dn:
            raise TrustListError("every Domaine needs a Nom and a DNCertificatOperateur")
        entries.append(TrustEntry(
            domain=name, dn=dn,
            description=(dom.findtext(f"{{{NS}}}Description") or "").strip(),
            contact=(dom.findtext(f"{{{NS}}}ResponsableContact") or "").strip(),
            support=(dom.findtext(f"{{{NS}}}SupportContact") or "").strip(),
            updated=(dom.findtext(f"{{{NS}}}DateMAJ") or "").strip()))
    return TrustList(generated=generated, entries=entries)


def trust_list_path(settings: Settings) -> Path:
    """The local copy of the list: the configured file, or the cache of the HTTPS list
    (fetching it is the relay's job)."""
    ref = settings.trust.list
    if ref.startswith("https://"):
        return settings.base_dir / "trust" / "listeblanche.xml"
    path = Path(ref)
    return path if path.is_absolute() else settings.base_dir / path


def load_trust_list(path: Path) -> TrustList:
    try:
        return parse_trust_list(path.read_bytes())
    except OSError as exc:
        raise TrustListError(f"cannot read trust list {path}: {exc.strerror}") from None


def render_trust_list(entries: list[TrustEntry], generated: datetime | None = None) -> bytes:
    """Write a list in the national format (used by `mssante init` and `mssante trust`)."""
    ET.register_namespace("", NS)
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = ET.Element(f"{{{NS}}}ListeBlancheMSSante")
    ET.SubElement(root, f"{{{NS}}}DateDeGeneration").text = when
    doms = ET.SubElement(root, f"{{{NS}}}ListeDomaines")
    for e in entries:
        d = ET.SubElement(doms, f"{{{NS}}}Domaine")
        for tag, value in (("Nom", e.domain), ("Description", e.description),
                           ("DNCertificatOperateur", e.dn), ("ResponsableContact", e.contact),
                           ("SupportContact", e.support), ("DateMAJ", e.updated or when)):
            ET.SubElement(d, f"{{{NS}}}{tag}").text = value
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"


class TrustSpace:
    """Holds the list in force; a failed reload keeps the last good list."""

    def __init__(self, trust_list: TrustList, local_domains: list[str]) -> None:
        self.current = trust_list
        self.local_domains = {normalize_domain(d) for d in local_domains}
        self.last_error: str | None = None
        self.loaded_at = datetime.now(UTC)

    def replace(self, trust_list: TrustList) -> None:
        self.current = trust_list
        self.last_error = None
        self.loaded_at = datetime.now(UTC)

    def is_local(self, domain: str) -> bool:
        return normalize_domain(domain) in self.local_domains

    def is_trusted(self, domain: str) -> bool:
        return self.is_local(domain) or self.current.is_listed(domain)
