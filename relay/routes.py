"""Recipient domain → relay hosts: static routes from the configuration, else DNS MX."""

from __future__ import annotations

from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.resolver

from mailserver.trust import normalize_domain

SMTP_PORT = 25


@dataclass(frozen=True)
class Hop:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class RouteError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def parse_hop(text: str) -> Hop:
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":") or str(SMTP_PORT)
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, str(SMTP_PORT)
    return Hop(host, int(port))


class Router:
    def __init__(self, routes: dict[str, str], *, resolver: object | None = None,
                 timeout: float = 10.0) -> None:
        self.routes = {normalize_domain(k) if k != "*" else "*": parse_hop(v)
                       for k, v in routes.items()}
        self._resolver = resolver
        self.timeout = timeout

    @property
    def resolver(self) -> object:
        """The resolver given, else one made at the first DNS lookup and kept."""
        if self._resolver is None:
            self._resolver = dns.asyncresolver.Resolver()
        return self._resolver

    async def hops(self, domain: str) -> list[Hop]:
        """Hosts to try in order (static route, else MX by preference, else the A record)."""
        dom = normalize_domain(domain)
        if dom in self.routes:
            return [self.routes[dom]]
        if "*" in self.routes:
            return [self.routes["*"]]
        try:
            answer = await self.resolver.resolve(dom, "MX", lifetime=self.timeout)  # type: ignore[attr-defined]
        except dns.resolver.NXDOMAIN:
            raise RouteError(f"domain {dom} does not exist (DNS)", permanent=True) from None
        except dns.resolver.NoAnswer:
            return [Hop(dom, SMTP_PORT)]  # RFC 5321 §5.1: implicit MX
        except (dns.exception.Timeout, dns.resolver.NoNameservers) as exc:
            raise RouteError(f"DNS MX lookup for {dom} failed: {exc}",
                             permanent=False) from None
        mxs = sorted((rr.preference, rr.exchange.to_text().rstrip(".")) for rr in answer)
        if len(mxs) == 1 and mxs[0][1] in ("", "."):
            raise RouteError(f"domain {dom} accepts no mail (null MX)", permanent=True)
        return [Hop(host, SMTP_PORT) for _, host in mxs if host]
