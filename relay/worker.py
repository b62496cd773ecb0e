"""The relay worker: takes due queue entries and delivers them to peer operators.

Per entry: recipients are grouped by destination; a domain outside the trust list fails at
once (no connection, failure DSN); each destination gets one transaction carrying all its
recipients, over a pooled mutual-TLS connection whose peer DN must be listed for every
recipient domain in it. Replies are committed as soon as they arrive. 4xx, network and TLS
failures retry on ``relay.retry_schedule``; a delay DSN goes out after
``relay.delay_notice_after``, a failure DSN after ``relay.max_age`` or at once on a 5xx.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from crypto import open_with_secret
from mailserver.delivery import queue_aad
from mailserver.headers import parse_headers
from mailserver.inbound import RecipientStatus, mail_dsn_options, rcpt_dsn_options, wants
from mailserver.inbound import deliver_dsn as send_dsn
from mailserver.services import MailServices
from mailserver.trust import domain_of, normalize_domain
from relay import queue as q
from relay.client import ConnectionPool, PeerConnection, Reply, TempFailure, client_tls_context
from relay.routes import Hop, RouteError, Router
from relay.signing import DkimSigner
from relay.trustlist import TrustRefresher, own_certificate_listing

log = logging.getLogger(__name__)
MAX_PARALLEL = 32


def node_id_for(services: MailServices) -> str:
    s = services.settings
    text = f"{socket.gethostname()}|{s.config_file}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class RelayWorker:
    def __init__(self, services: MailServices, *, node_id: str | None = None,
                 router: Router | None = None) -> None:
        self.services = services
        self.settings = services.settings
        rs = self.settings.relay
        self.node_id = node_id or node_id_for(services)
        self.router = router or Router(rs.routes)
        self.signer = DkimSigner(rs.dkim_selector, rs.dkim_private_key)
        ctx = client_tls_context(str(self.settings.trust.ca), str(rs.client_certificate),
                                 str(rs.client_private_key))
        self.command_timeout = rs.command_timeout
        self.pool = ConnectionPool(ctx, cap=rs.max_connections_per_destination,
                                   local_hostname=self.settings.server.hostname,
                                   connect_timeout=rs.connect_timeout,
                                   command_timeout=self.command_timeout)
        self.refresher = TrustRefresher(self.settings, services.trust)
        self._task: asyncio.Task[None] | None = None
        self._active: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = False

    # -- lifetime --------------------------------------------------------------------------

    async def start(self) -> None:
        # SQLite: one node per database, so every claim left behind is this node's.
        sqlite = self.services.engine.dialect.name == "sqlite"
        n = await q.release_own_claims(self.services.store, self.node_id, everyone=sqlite)
        if n:
            log.warning("relay: %d entries were being sent when this node stopped; "
                        "they are due again", n)
        self._check_own_certificate()
        self.refresher.start()  # first refresh at once, in the background
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="relay")

    def _check_own_certificate(self) -> None:
        """SELF-LISTING (domain.md §11.6): our DN must be listed; warn 30 days before expiry."""
        try:
            dn, expires, listed = own_certificate_listing(self.settings,
                                                          self.services.trust.current)
        except (OSError, ValueError) as exc:
            log.error("relay: cannot read the operator certificate: %s", exc)
            return
        for d, ok in listed.items():
            if not ok:
                log.error("relay: this node's certificate DN %r is not listed for %s in the "
                          "trust list: peers will refuse its mail", dn, d)
        days = (expires - q.utcnow()).days
        if days < 30:
            log.warning("relay: the operator certificate expires in %d days (%s)", days,
                        expires.date())

    def wake(self) -> None:
        self._wake.set()

    async def close(self, grace: float = 10.0) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._active:
            _done, pending = await asyncio.wait(self._active, timeout=grace)
            for t in pending:
                t.cancel()
            if pending:
                await asyncio.wait(pending, timeout=2)
        await self.pool.close()
        await self.refresher.close()

    async def _loop(self) -> None:
        interval = max(0.05, self.settings.relay.poll_interval)
        while not self._stopping:
            try:
                await self.run_once(wait=False)
                await self.pool.reap()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("relay: polling the queue failed")
            try:
                await asyncio.wait_for(self._wake.wait(), interval)
            except TimeoutError:
                pass
            self._wake.clear()

    async def run_once(self, *, wait: bool = True) -> int:
        """Claim what is due (as many as free slots) and start it; optionally wait."""
        free = MAX_PARALLEL - len(self._active)
        claims = await q.claim_due(self.services.store, self.node_id, free)
        tasks = []
        for c in claims:
            t = asyncio.get_running_loop().create_task(self._guarded(c), name=f"relay-{c.id}")
            self._active.add(t)
            t.add_done_callback(self._active.discard)
            tasks.append(t)
        if wait and tasks:
            await asyncio.gather(*tasks)
        return len(claims)

    async def _guarded(self, claim: q.Claim) -> None:
        try:
            await self.process(claim)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("relay: entry %s failed unexpectedly; retrying later", claim.id)
            try:
                await q.finish(self.services.store, claim.id, self.node_id,
                               recipients=claim.recipients, status=q.QUEUED,
                               attempts=claim.attempts + 1,
                               next_attempt_at=q.utcnow() + timedelta(
                                   seconds=self._retry_delay(claim.attempts + 1)),
                               last_error="internal error (see the server log)",
                               delay_notified=claim.delay_notified, drop_content=False)
            except Exception:
                log.exception("relay: could not release entry %s", claim.id)

    # -- one entry -------------------------------------------------------------------------

    async def process(self, claim: q.Claim) -> None:
        svc = self.services
        raw = open_with_secret(svc.master_key, claim.sealed, queue_aad(claim.id))
        now = q.utcnow()
        recips = claim.recipients
        newly_failed: list[dict[str, Any]] = []
        newly_relayed: list[dict[str, Any]] = []
        errors: list[str] = []

        by_domain: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in recips:
            if r.get("status", q.QUEUED) == q.QUEUED:
                by_domain[domain_of(r["address"])].append(r)

        # Route every domain; outside the trust space: fail now, no connection.
        by_hop: dict[tuple[Hop, ...], list[str]] = defaultdict(list)
        for dom, rs in by_domain.items():
            if not svc.trust.current.is_listed(dom):
                for r in rs:
                    self._mark(r, "failed", "5.7.1", f"550 5.7.1 recipient domain {dom} is not "
                               "in the trust space: no delivery attempted", None, now)
                    newly_failed.append(r)
                continue
            try:
                hops = await self.router.hops(dom)
            except RouteError as exc:
                for r in rs:
                    if exc.permanent:
                        self._mark(r, "failed", "5.1.2", f"550 5.1.2 {exc}", None, now)
                        newly_failed.append(r)
                    else:
                        r["remote"] = f"451 4.4.3 {exc}"
                errors.append(str(exc))
                continue
            by_hop[tuple(hops)].append(dom)
        if newly_failed:
            await q.save_recipients(svc.store, claim.id, self.node_id, recips)

        if by_hop:
            signed = self.signer.sign(raw, self._signing_domain(raw, claim.sender))
            results = await asyncio.gather(*(
                self._deliver(claim, hops, doms, by_domain, signed, now, newly_failed,
                              newly_relayed)
                for hops, doms in by_hop.items()))
            errors += [e for e in results if e]
        await self._conclude(claim, raw, recips, newly_failed, newly_relayed, errors)

    async def _deliver(self, claim: q.Claim, hops: tuple[Hop, ...], doms: list[str],
                       by_domain: dict[str, list[dict[str, Any]]], signed: bytes,
                       now: datetime, newly_failed: list[dict[str, Any]],
                       newly_relayed: list[dict[str, Any]]) -> str | None:
        """One transaction to the first hop that answers; returns an error text or None."""
        trust = self.services.trust.current
        last_error = None
        for hop in hops:
            try:
                async with self.pool.connection(hop) as conn:
                    allowed = [d for d in doms if trust.allows(d, conn.peer_dn)]
                    refused = [d for d in doms if d not in allowed]
                    for d in refused:
                        msg = (f"451 4.7.1 {hop} presented certificate {conn.peer_dn!r}, "
                               f"which is not listed for {d}")
                        for r in by_domain[d]:
                            r["remote"] = msg
                        last_error = msg
                    if not allowed:
                        # Each domain keeps its own "not listed for" reply (a TempFailure
                        # here gave every one the last domain's); the connection is dropped.
                        conn.broken = True
                        log.info("relay: %s: %s", hop, last_error)
                        continue
                    rs = [r for d in allowed for r in by_domain[d]
                          if r.get("status", q.QUEUED) == q.QUEUED]
                    if rs:
                        await self._transaction(claim, conn, rs, signed, now, newly_failed,
                                                newly_relayed)
                # The domains this peer may not serve go on to the next hop.
                doms = refused
                if not doms:
                    return None
            except TempFailure as exc:
                last_error = str(exc)
                log.info("relay: %s: %s", hop, exc)
                for d in doms:
                    for r in by_domain[d]:
                        if r.get("status", q.QUEUED) == q.QUEUED:
                            r["remote"] = _as_temp(str(exc), exc.code)
                continue
        return last_error

    async def _transaction(self, claim: q.Claim, conn: PeerConnection,
                           rs: list[dict[str, Any]], signed: bytes, now: datetime,
                           newly_failed: list[dict[str, Any]],
                           newly_relayed: list[dict[str, Any]]) -> None:
        rcpts = [(r["address"], rcpt_dsn_options(r.get("notify"), r.get("orcpt"))) for r in rs]
        results, data_reply = await conn.transaction(
            claim.sender, mail_dsn_options(dsn_params(claim.params)), rcpts, signed)
        host = conn.hop.host
        for r, res in zip(rs, results, strict=True):
            reply: Reply = res.reply
            if reply.kind == "ok" and data_reply is not None:
                reply = data_reply
            if reply.kind == "ok":
                self._mark(r, "sent", "2.0.0", reply.text, host, now)
                if not conn.supports_dsn and "SUCCESS" in (r.get("notify") or []):
                    newly_relayed.append(r)
            elif reply.kind == "perm":
                self._mark(r, "failed", _enhanced(reply, "5.0.0"), reply.text, host, now)
                newly_failed.append(r)
            else:
                r["remote"] = reply.text
                r["mta"] = host
        # Committed at once: what the peer confirmed is never sent again.
        await q.save_recipients(self.services.store, claim.id, self.node_id, claim.recipients)
        if data_reply is not None and data_reply.kind == "temp":
            raise TempFailure(f"{conn.hop}: {data_reply.text}", code=data_reply.code)

    @staticmethod
    def _mark(r: dict[str, Any], status: str, code: str, remote: str, mta: str | None,
              now: datetime) -> None:
        r["status"] = status
        r["code"] = code
        r["remote"] = remote
        r["mta"] = mta
        r["at"] = now.isoformat()

    def _signing_domain(self, raw: bytes, sender: str) -> str:
        """The From domain when it is ours, else the sender's, else our first domain."""
        trust = self.services.trust
        for cand in (*parse_headers(raw).from_addresses[:1], sender):
            if "@" in cand and trust.is_local(domain_of(cand)):
                return domain_of(cand)
        return normalize_domain(self.settings.local_domains[0])

    def _retry_delay(self, attempts: int) -> int:
        sched = self.settings.relay.retry_schedule or [300]
        return int(sched[min(max(attempts, 1) - 1, len(sched) - 1)])

    async def _conclude(self, claim: q.Claim, raw: bytes, recips: list[dict[str, Any]],
                        newly_failed: list[dict[str, Any]], newly_relayed: list[dict[str, Any]],
                        errors: list[str]) -> None:
        rs = self.settings.relay
        now = q.utcnow()
        attempts = claim.attempts + 1
        pending = [r for r in recips if r.get("status", q.QUEUED) == q.QUEUED]
        age = (now - claim.created_at).total_seconds()
        delay_notified = claim.delay_notified
        if pending and age >= rs.max_age:
            for r in pending:
                last = r.get("remote") or "no answer from the destination"
                self._mark(r, "failed", "4.4.7", f"message expired after {int(age)} s; "
                           f"last error: {last}", r.get("mta"), now)
                newly_failed.append(r)
            pending = []
        # Every outcome not reported yet (also one left over by an interrupted attempt).
        for r in newly_relayed:
            r["relayed"] = True
        unreported_failed = [r for r in recips if r.get("status") == "failed"
                             and not r.get("dsn")]
        unreported_relayed = [r for r in recips if r.get("relayed") and not r.get("dsn")]
        reports: list[tuple[str, list[RecipientStatus]]] = []
        failed = [r for r in unreported_failed if wants(r.get("notify"), "failed")]
        if failed:
            reports.append(("failed", [self._status(r, "failed") for r in failed]))
        relayed = [r for r in unreported_relayed if wants(r.get("notify"), "relayed")]
        if relayed:
            reports.append(("relayed", [self._status(r, "relayed") for r in relayed]))
        next_at = now + timedelta(seconds=self._retry_delay(attempts))
        if pending:
            delay_due = claim.created_at + timedelta(seconds=rs.delay_notice_after)
            if not delay_notified and now >= delay_due:
                delayed = [r for r in pending if wants(r.get("notify"), "delayed")]
                if delayed:
                    until = claim.created_at + timedelta(seconds=rs.max_age)
                    reports.append(("delayed", [self._status(r, "delayed", until)
                                                for r in delayed]))
                delay_notified = True
            elif not delay_notified:
                next_at = min(next_at, delay_due)
            expiry = claim.created_at + timedelta(seconds=rs.max_age)
            next_at = min(next_at, max(expiry, now))
        # DSNs first: if we crash now the sender may get one twice, never zero times.
        for _kind, statuses in reports:
            await send_dsn(self.services, sender=claim.sender, original=raw,
                           statuses=statuses, params=dsn_params(claim.params),
                           arrival=claim.created_at)
        for r in unreported_failed + unreported_relayed:
            r["dsn"] = True
        if pending:
            status = q.QUEUED
        elif any(r.get("status") == "failed" for r in recips):
            status = q.FAILED
        else:
            status = q.DELIVERED
        last_error = "; ".join(dict.fromkeys(errors)) or None
        if not pending and status == q.FAILED:
            last_error = "; ".join(dict.fromkeys(
                r.get("remote") or "" for r in recips if r.get("status") == "failed"))
        await q.finish(self.services.store, claim.id, self.node_id, recipients=recips,
                       status=status, attempts=attempts, next_attempt_at=next_at,
                       last_error=last_error, delay_notified=delay_notified,
                       drop_content=status == q.DELIVERED)
        log.info("relay: entry %s %s (attempt %d)", claim.id, status, attempts)

    def _status(self, r: dict[str, Any], action: str,
                until: datetime | None = None) -> RecipientStatus:
        code = r.get("code") or "2.0.0"
        if action == "delayed":
            remote = r.get("remote") or ""
            code = _enhanced(Reply(450, remote.partition(" ")[2]), "4.4.1") \
                if remote[:1] == "4" else "4.4.1"
        at = r.get("at")
        return RecipientStatus(
            address=r["address"], action=action, status=code,
            diagnostic=r.get("remote"), remote_mta=r.get("mta"), orcpt=r.get("orcpt"),
            last_attempt=datetime.fromisoformat(at) if at else q.utcnow(),
            will_retry_until=until)


def dsn_params(params: dict[str, Any]) -> dict[str, str]:
    """RET and ENVID as the SMTP layer stores them ("ret", "envid", decoded)."""
    out: dict[str, str] = {}
    if params.get("ret"):
        out["ret"] = str(params["ret"]).upper()
    if params.get("envid"):
        out["envid"] = str(params["envid"])
    return out


def _enhanced(reply: Reply, default: str) -> str:
    first = reply.message.split(" ", 1)[0] if reply.message else ""
    parts = first.split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts) and first[0] in "245":
        return first
    return default


def _as_temp(text: str, code: int | None) -> str:
    if code and 400 <= code < 500:
        return text
    return f"451 4.4.1 {text}"
