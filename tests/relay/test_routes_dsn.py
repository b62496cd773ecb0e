"""Routing (static routes before DNS MX) and the RFC 3464 report format."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes

import dns.exception
import dns.resolver
import pytest

from mailserver.inbound import RecipientStatus, build_dsn, wants
from relay.routes import Hop, RouteError, Router


class _MX:
    def __init__(self, pref: int, host: str) -> None:
        self.preference = pref
        self.exchange = dns.name.from_text(host)


class FakeResolver:
    def __init__(self, answers: dict[str, object]) -> None:
        self.answers = answers

    async def resolve(self, name: str, rdtype: str, lifetime: float = 5) -> object:
        answer = self.answers[name]
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_static_route_then_mx_by_preference() -> None:
    resolver = FakeResolver({
        "clinique-b.test": [_MX(20, "mx2.clinique-b.test."), _MX(10, "mx1.clinique-b.test.")],
        "sans-mx.test": dns.resolver.NoAnswer(),
        "inconnu.test": dns.resolver.NXDOMAIN(),
        "lent.test": dns.exception.Timeout(),
    })
    r = Router({"hopital-a.test": "127.0.0.1:2525", "Autre.test": "[::1]:26"},
               resolver=resolver)
    assert await r.hops("HOPITAL-A.test") == [Hop("127.0.0.1", 2525)]
    assert await r.hops("autre.test") == [Hop("::1", 26)]
    assert await r.hops("clinique-b.test") == [Hop("mx1.clinique-b.test", 25),
                                               Hop("mx2.clinique-b.test", 25)]
    assert await r.hops("sans-mx.test") == [Hop("sans-mx.test", 25)]
    with pytest.raises(RouteError) as err:
        await r.hops("inconnu.test")
    assert err.value.permanent
    with pytest.raises(RouteError) as err:
        await r.hops("lent.test")
    assert not err.value.permanent


def test_notify_rules() -> None:
    assert wants((), "failed") and wants((), "delayed") and not wants((), "delivered")
    assert not wants(("NEVER",), "failed")
    assert wants(("SUCCESS",), "delivered") and not wants(("SUCCESS",), "failed")
    assert wants(("DELAY",), "delayed")


def test_failure_report_format() -> None:
    original = (b"From: a@hopital-a.test\r\nTo: b@clinique-b.test\r\nSubject: CR\r\n"
                b"Message-ID: <m1@hopital-a.test>\r\n\r\nsecret body\r\n")
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    st = RecipientStatus("b@clinique-b.test", "failed", "5.1.1",
                         diagnostic="550 5.1.1 No such mailbox here: b@clinique-b.test",
                         remote_mta="mail.clinique-b.test", orcpt="rfc822;b@clinique-b.test",
                         last_attempt=now)
    for ret, kind in (("FULL", "message/rfc822"), ("HDRS", "text/rfc822-headers")):
        raw = build_dsn(reporting_mta="mail.hopital-a.test", postmaster="postmaster@x",
                        recipient="a@hopital-a.test", original=original, statuses=[st],
                        params={"ret": ret, "envid": "E-1"}, arrival=now, now=now)
        msg = message_from_bytes(raw)
        assert msg.get_content_type() == "multipart/report"
        assert msg.get_param("report-type") == "delivery-status"
        human, status, returned = msg.get_payload()
        assert status.get_content_type() == "message/delivery-status"
        text = raw.decode()
        for line in ("Reporting-MTA: dns; mail.hopital-a.test", "Original-Envelope-Id: E-1",
                     "Final-Recipient: rfc822; b@clinique-b.test", "Action: failed",
                     "Status: 5.1.1", "Remote-MTA: dns; mail.clinique-b.test",
                     "Diagnostic-Code: smtp; 550 5.1.1 No such mailbox here",
                     "Original-Recipient: rfc822;b@clinique-b.test"):
            assert line in text
        assert returned.get_content_type() == kind
        assert (b"secret body" in raw) == (ret == "FULL")
        assert b"Subject: CR" in raw
