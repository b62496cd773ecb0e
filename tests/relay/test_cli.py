"""`mssante trust …` and `mssante queue …` as an operator types them."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailserver.delivery import RemoteRecipient
from mailserver.services import build_services
from tests.relay.conftest import make_operator, message, run_cli

pytestmark = pytest.mark.timeout(180)
DN_B = "CN=mail.clinique-b.test,OU=00000000000000,O=Clinique B,ST=Paris (75),C=FR"


async def test_trust_commands(tmp_path: Path) -> None:
    a = await make_operator(tmp_path, "a", "hopital-a.test", users=())
    out = await run_cli("trust", "show", config=a.config)
    assert out.returncode == 0, out.stderr
    assert a.dn in out.stdout and "hopital-a.test: listed" in out.stdout
    assert "fresh" in out.stdout
    assert (await run_cli("trust", "check", "clinique-b.test", config=a.config)).returncode == 1
    out = await run_cli("trust", "add-domain", "clinique-b.test", "--dn", DN_B, config=a.config)
    assert out.returncode == 0, out.stderr
    out = await run_cli("trust", "check", "clinique-b.test", config=a.config)
    assert out.returncode == 0 and DN_B in out.stdout
    # A second DN for the same domain is merged, not overwritten.
    dn2 = DN_B.replace("CN=mail.", "CN=mx2.")
    await run_cli("trust", "add-domain", "clinique-b.test", "--dn", dn2, config=a.config)
    out = await run_cli("trust", "check", "clinique-b.test", config=a.config)
    assert DN_B in out.stdout and dn2 in out.stdout
    out = await run_cli("trust", "remove-domain", "clinique-b.test", config=a.config)
    assert out.returncode == 0 and "2 entries" in out.stdout
    assert (await run_cli("trust", "check", "clinique-b.test", config=a.config)).returncode == 1
    out = await run_cli("trust", "dkim-record", config=a.config)
    assert out.stdout.startswith("mssante._domainkey.hopital-a.test. IN TXT \"v=DKIM1; k=rsa;")


async def test_queue_commands(tmp_path: Path) -> None:
    a = await make_operator(tmp_path, "a", "hopital-a.test")
    alice = a.address("doctor")
    svc = await build_services(a.settings)
    try:
        acc = await svc.store.get_account(alice)
        await svc.delivery.deliver(
            message(alice, "x@clinique-b.test", "Sujet secret", "corps secret\r\n",
                    msgid="<cli1@hopital-a.test>"),
            mail_from=alice, recipients=[], sender=acc,
            remote=[RemoteRecipient("x@clinique-b.test", notify=("FAILURE",),
                                    orcpt="rfc822;x@clinique-b.test")],
            params={"envid": "E1"})
    finally:
        await svc.close()
    [entry] = await a.queue()
    entry_id = entry.id
    out = await run_cli("queue", "list", config=a.config)
    assert entry_id in out.stdout and "queued" in out.stdout
    out = await run_cli("queue", "show", entry_id[:8], config=a.config)
    assert out.returncode == 0, out.stderr
    assert "x@clinique-b.test" in out.stdout and "FAILURE" in out.stdout
    assert "Message-ID: <cli1@hopital-a.test>" in out.stdout
    assert "corps secret" not in out.stdout  # headers only, never the body
    out = await run_cli("queue", "retry", entry_id, config=a.config)
    assert out.returncode == 0, out.stderr
    out = await run_cli("queue", "delete", entry_id, "--yes", config=a.config)
    assert out.returncode == 0 and "deleted" in out.stdout
    assert await a.queue() == []
    assert (await run_cli("queue", "show", entry_id, config=a.config)).returncode == 1
