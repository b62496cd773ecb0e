"""The relay worker against a scripted peer (in process, SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import ssl
from pathlib import Path

import pytest

from crypto import (
    create_ca,
    issue_server_certificate,
    load_certificate,
    load_private_key,
    server_context,
    subject_dn,
    write_pem,
)
from mailserver.delivery import RemoteRecipient
from mailserver.services import MailServices
from mailserver.store.store import list_queue
from mailserver.trust import TrustEntry, TrustList
from relay.worker import RelayWorker
from tests.conftest import DOCTOR, PASSWORD
from tests.relay.fakepeer import FakePeer

PEER = "clinique-b.test"


def _peer_ctx(services: MailServices, tmp: Path, *, own_ca: bool = False,
              dn_domain: str = PEER) -> tuple[ssl.SSLContext, str]:
    data = services.settings.base_dir
    if own_ca:
        ca, key = create_ca("rogue CA")
    else:
        ca, key = load_certificate(data / "certs" / "ca.pem"), load_private_key(
            data / "keys" / "ca.key")
    cert, ckey = issue_server_certificate(ca, key, f"mail.{dn_domain}", [dn_domain],
                                          organization="B")
    write_pem(tmp / "peer.pem", cert, tmp / "peer.key", ckey)
    return server_context(tmp / "peer.pem", tmp / "peer.key"), subject_dn(cert)


def _trust(services: MailServices, *pairs: tuple[str, str]) -> None:
    own = list(services.trust.current.entries)
    services.trust.replace(TrustList(generated=services.trust.current.generated,
                                     entries=own + [TrustEntry(d, dn) for d, dn in pairs]))


def _worker(services: MailServices, port: int, **relay: object) -> RelayWorker:
    rs = dataclasses.replace(services.settings.relay, routes={PEER: f"127.0.0.1:{port}"},
                             retry_schedule=[60], connect_timeout=5.0, command_timeout=5.0,
                             **relay)  # type: ignore[arg-type]
    object.__setattr__(services.settings, "relay", rs)
    return RelayWorker(services, node_id="test")


async def _queue(services: MailServices, rcpts: list[str], n: int = 1) -> None:
    sender = await services.store.get_account(DOCTOR)
    for i in range(n):
        raw = (f"From: {DOCTOR}\r\nTo: {', '.join(rcpts)}\r\nSubject: t{i}\r\n"
               f"Message-ID: <t{i}@hopital.test>\r\n\r\nbody {i}\r\n").encode()
        await services.delivery.deliver(raw, mail_from=DOCTOR, recipients=[], sender=sender,
                                        remote=[RemoteRecipient(r) for r in rcpts])


async def _inbox(services: MailServices, address: str) -> list[bytes]:
    from mailserver.store import copy_aad

    acc = await services.store.get_account(address)
    key = await services.accounts.unlock_with_password(acc, PASSWORD)
    f = await services.store.get_folder(acc.id, "INBOX")
    return [key.open(await services.store.get_sealed(acc.id, m.id), copy_aad(acc.id, m.id))
            for m in await services.store.list_messages(f.id)]


async def test_domain_outside_trust_list_fails_at_once_without_connecting(
        services: MailServices, doctor: str) -> None:
    peer = FakePeer(None)
    port = await peer.start()
    try:
        worker = _worker(services, port)
        await _queue(services, ["someone@ailleurs.test"])
        assert await worker.run_once() == 1
        assert peer.connections == 0 and worker.pool.opened == 0
        [dsn] = await _inbox(services, DOCTOR)
        assert b"multipart/report" in dsn and b"Action: failed" in dsn
        assert b"not in the trust space" in dsn
        [e] = await list_queue(services.store)
        assert e.status == "failed"
        await worker.close()
    finally:
        await peer.close()


@pytest.mark.parametrize("case", ["dn-not-listed", "other-ca", "no-starttls"])
async def test_untrusted_peer_gets_nothing(services: MailServices, doctor: str,
                                           tmp_path: Path, case: str) -> None:
    ctx, dn = _peer_ctx(services, tmp_path, own_ca=case == "other-ca",
                        dn_domain="imposteur.test")
    if case == "dn-not-listed":
        _trust(services, (PEER, "CN=mail.clinique-b.test,O=B,C=FR"), ("imposteur.test", dn))
    else:
        _trust(services, (PEER, dn))
    peer = FakePeer(None if case == "no-starttls" else ctx)
    port = await peer.start()
    try:
        worker = _worker(services, port)
        await _queue(services, [f"x@{PEER}"])
        await worker.run_once()
        assert "MAIL" not in peer.commands and not peer.messages
        [e] = await list_queue(services.store)
        assert e.status == "queued" and e.attempts == 1
        assert e.recipients[0]["status"] == "queued"
        expect = {"dn-not-listed": "not listed", "other-ca": "certificate",
                  "no-starttls": "STARTTLS"}[case]
        assert expect in (e.last_error or ""), e.last_error
        assert await _inbox(services, DOCTOR) == []  # a retry, not a bounce
        await worker.close()
    finally:
        await peer.close()


async def test_one_transaction_per_destination_connections_reused_and_capped(
        services: MailServices, doctor: str, tmp_path: Path) -> None:
    ctx, dn = _peer_ctx(services, tmp_path)
    _trust(services, (PEER, dn))
    peer = FakePeer(ctx, rcpt_reply={f"gone@{PEER}": "550 5.1.1 no such user"})
    port = await peer.start()
    try:
        worker = _worker(services, port, max_connections_per_destination=2)
        await _queue(services, [f"a@{PEER}", f"b@{PEER}", f"gone@{PEER}"], n=12)
        assert await worker.run_once() == 12
        assert len(peer.messages) == 12
        assert all(sorted(r) == [f"a@{PEER}", f"b@{PEER}"] for _, r, _ in peer.messages)
        assert peer.max_concurrent <= 2 and peer.connections <= 2
        assert all(m.startswith(b"DKIM-Signature:") for _, _, m in peer.messages)
        entries = await list_queue(services.store)
        assert {e.status for e in entries} == {"failed"}
        dsns = await _inbox(services, DOCTOR)
        assert len(dsns) == 12 and all(b"550 5.1.1 no such user" in d for d in dsns)
        await worker.close()
    finally:
        await peer.close()


async def test_temporary_failure_retries_then_expires(services: MailServices,
                                                      doctor: str,
                                                      tmp_path: Path) -> None:
    ctx, dn = _peer_ctx(services, tmp_path)
    _trust(services, (PEER, dn))
    peer = FakePeer(ctx, data_reply="451 4.3.0 try later")
    port = await peer.start()
    try:
        worker = _worker(services, port, max_age=0)
        await _queue(services, [f"a@{PEER}"])
        await worker.run_once()
        [e] = await list_queue(services.store)
        assert e.status == "failed" and "expired" in e.recipients[0]["remote"]
        [dsn] = await _inbox(services, DOCTOR)
        assert b"Status: 4.4.7" in dsn and b"451 4.3.0 try later" in dsn
        await worker.close()
    finally:
        await peer.close()


async def test_peer_refused_for_two_domains_each_keeps_its_own_reply(
        services: MailServices, doctor: str, tmp_path: Path) -> None:
    other = "centre-c.test"
    ctx, dn = _peer_ctx(services, tmp_path, dn_domain="imposteur.test")
    _trust(services, (PEER, "CN=mail.clinique-b.test,O=B,C=FR"),
           (other, "CN=mail.centre-c.test,O=C,C=FR"), ("imposteur.test", dn))
    peer = FakePeer(ctx)
    port = await peer.start()
    try:
        _worker(services, port)  # the relay settings, then both domains to the same peer
        rs = dataclasses.replace(services.settings.relay, routes={
            PEER: f"127.0.0.1:{port}", other: f"127.0.0.1:{port}"})
        object.__setattr__(services.settings, "relay", rs)
        worker = RelayWorker(services, node_id="test")
        await _queue(services, [f"x@{PEER}", f"y@{other}"])
        await worker.run_once()
        assert "MAIL" not in peer.commands and not peer.messages
        [e] = await list_queue(services.store)
        assert e.status == "queued"
        by_addr = {r["address"]: r["remote"] for r in e.recipients}
        for address, dom in ((f"x@{PEER}", PEER), (f"y@{other}", other)):
            assert by_addr[address].startswith("451 4.7.1 "), by_addr[address]
            assert by_addr[address].endswith(f"not listed for {dom}"), by_addr[address]
        await worker.close()
    finally:
        await peer.close()


async def test_claim_due_reads_first_and_delete_refuses_an_entry_being_sent(
        services: MailServices, doctor: str) -> None:
    from relay import queue as q

    assert await q.claim_due(services.store, "n1", 5) == []
    await _queue(services, [f"x@{PEER}"])
    [claim] = await q.claim_due(services.store, "n1", 5)
    assert await q.claim_due(services.store, "n2", 5) == []   # leased to n1
    with pytest.raises(ValueError, match="being sent"):
        await q.delete_entry(services.store, claim.id)
    assert await q.save_recipients(services.store, claim.id, "n2", claim.recipients) is False
    assert await q.finish(services.store, claim.id, "n1", recipients=claim.recipients,
                          status=q.QUEUED, attempts=1, next_attempt_at=q.utcnow(),
                          last_error=None, delay_notified=False, drop_content=False)
    await q.delete_entry(services.store, claim.id)
    assert await list_queue(services.store) == []
    with pytest.raises(LookupError):
        await q.delete_entry(services.store, claim.id)
