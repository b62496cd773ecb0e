"""MX-side checks (mailserver/inbound.py): peer certificate vs trust list, DKIM, DSN params."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from crypto import create_ca, issue_server_certificate, subject_dn
from mailserver.inbound import (
    DkimKeys,
    DsnParamError,
    authentication_results_header,
    check_peer,
    dkim_txt_record,
    parse_mail_dsn,
    parse_rcpt_dsn,
    rcpt_dsn_options,
    verify_dkim,
    xtext_decode,
    xtext_encode,
)
from mailserver.trust import TrustEntry, TrustList, TrustSpace
from relay.signing import DkimSigner


@pytest.fixture(scope="module")
def pki():  # type: ignore[no-untyped-def]
    ca, ca_key = create_ca("trust CA")
    a, _ = issue_server_certificate(ca, ca_key, "mail.hopital-a.test", [], organization="A")
    b, _ = issue_server_certificate(ca, ca_key, "mail.clinique-b.test", [], organization="B")
    other_ca, other_key = create_ca("rogue CA")
    rogue, _ = issue_server_certificate(other_ca, other_key, "mail.hopital-a.test", [],
                                        organization="A")
    return ca, a, b, rogue


def _space(*pairs: tuple[str, str]) -> TrustSpace:
    return TrustSpace(TrustList(generated="2026-01-01T00:00:00Z",
                                entries=[TrustEntry(d, dn) for d, dn in pairs]), [])


def test_check_peer_matrix(pki) -> None:  # type: ignore[no-untyped-def]
    ca, a, b, rogue = pki
    space = _space(("hopital-a.test", subject_dn(a)), ("clinique-b.test", subject_dn(b)))
    cas = [ca]
    assert check_peer(space, a, "hopital-a.test", ca_certs=cas) is None
    assert check_peer(space, a, "HOPITAL-A.test", ca_certs=cas) is None
    # Listed domain, wrong DN.
    assert "not listed for clinique-b.test" in check_peer(space, a, "clinique-b.test",
                                                          ca_certs=cas)
    # Unlisted domain.
    assert "not in the trust list" in check_peer(space, a, "ailleurs.test", ca_certs=cas)
    # Same DN but another CA.
    assert "CA" in check_peer(space, rogue, "hopital-a.test", ca_certs=cas)
    # No certificate, no TLS.
    assert "client certificate" in check_peer(space, _NoCert(), "hopital-a.test")
    assert "TLS" in check_peer(space, None, "hopital-a.test")
    # Null sender: any listed DN.
    assert check_peer(space, b, "", ca_certs=cas) is None
    assert check_peer(_space(("x.test", subject_dn(a))), b, "", ca_certs=cas) is not None


class _NoCert:
    def getpeercert(self, binary_form: bool = False) -> None:
        return None


MSG = (b"From: Dr A <a@hopital-a.test>\r\nTo: b@clinique-b.test\r\nSubject: test\r\n"
       b"Date: Mon, 23 Nov 2026 06:00:00 +0000\r\nMessage-ID: <1@hopital-a.test>\r\n"
       b"X-MSS-NIL: DEV935997\r\nX-MSS-INS: O\r\nX-MSS-CODECDA: 34112-3\r\n"
       b"\r\nBody line\r\n.leading dot\r\n")


@pytest.fixture(scope="module")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("dkim") / "dkim.key"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path


async def test_dkim_pass_fail_none(dkim_key: Path) -> None:
    signed = DkimSigner("mssante", dkim_key).sign(MSG, "hopital-a.test")
    assert signed.endswith(MSG)  # the message itself is untouched
    assert b"x-mss-nil" in signed.split(b"\r\n\r\n")[0].lower()
    keys = DkimKeys({"mssante._domainkey.hopital-a.test": str(dkim_key)})
    ok = await verify_dkim(signed, keys)
    assert ok.result == "pass" and ok.domain == "hopital-a.test" and ok.selector == "mssante"
    hdr = authentication_results_header("mail.clinique-b.test", ok)
    assert hdr.startswith(b"Authentication-Results: mail.clinique-b.test;")
    assert b"dkim=pass" in hdr and b"header.d=hopital-a.test" in hdr
    # Altered body, altered signed header.
    assert (await verify_dkim(signed.replace(b"Body line", b"Body lime"), keys)).result \
        == "fail"
    assert (await verify_dkim(signed.replace(b"X-MSS-INS: O", b"X-MSS-INS: N"), keys)).result \
        == "fail"
    assert (await verify_dkim(MSG, keys)).result == "none"
    # Unknown key: permerror; base64 and TXT forms of a static key work too.
    assert (await verify_dkim(signed, DkimKeys({"x._domainkey.y": "p="}, resolver=_NoDns()))
            ).result in ("permerror", "temperror")
    txt = dkim_txt_record(dkim_key.read_bytes()).decode()
    for value in (txt, txt.split("p=", 1)[1]):
        keys = DkimKeys({"mssante._domainkey.hopital-a.test": value})
        assert (await verify_dkim(signed, keys)).result == "pass"


class _NoDns:
    async def resolve(self, name: str, rdtype: str, lifetime: float = 5) -> None:
        import dns.resolver

        raise dns.resolver.NXDOMAIN()


def test_xtext_round_trip() -> None:
    for text in ("simple", "a+b=c", "é@x", "<id-1@host>"):
        assert xtext_decode(xtext_encode(text)) == text
    assert xtext_decode("a+2Bb") == "a+b"
    with pytest.raises(DsnParamError):
        xtext_decode("bad+zz")


def test_dsn_params() -> None:
    found, rest = parse_mail_dsn(["RET=hdrs", "ENVID=QQ+2B314", "SIZE=100"])
    assert found == {"ret": "HDRS", "envid": "QQ+314"} and rest == ["SIZE=100"]
    notify, orcpt, rest = parse_rcpt_dsn(["NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;b+2Bx@y.test"])
    assert notify == ("SUCCESS", "DELAY") and orcpt == "rfc822;b+x@y.test" and rest == []
    assert parse_rcpt_dsn(["NOTIFY=NEVER"])[0] == ("NEVER",)
    assert rcpt_dsn_options(notify, orcpt) == ["NOTIFY=SUCCESS,DELAY",
                                               "ORCPT=rfc822;b+2Bx@y.test"]
    for bad in (["RET=ALL"], ["RET=FULL", "RET=HDRS"], ["ENVID="]):
        with pytest.raises(DsnParamError):
            parse_mail_dsn(bad)
    for bad in (["NOTIFY=NEVER,SUCCESS"], ["NOTIFY=SOMETIMES"], ["ORCPT=nobody"]):
        with pytest.raises(DsnParamError):
            parse_rcpt_dsn(bad)


async def test_mx_checks_reject_or_tag_and_duplicate_suppression(services, doctor: str,
                                                                 dkim_key: Path) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from mailserver.inbound import MxChecks

    relay = dataclasses.replace(services.settings.relay, dkim_static_keys={
        "mssante._domainkey.hopital-a.test": str(dkim_key)})
    object.__setattr__(services.settings, "relay", relay)
    signed = DkimSigner("mssante", dkim_key).sign(MSG, "hopital-a.test")
    altered = signed.replace(b"Body line", b"Body lime")
    checks = MxChecks(services)
    refused, header, result = await checks.dkim(altered, "mx.test")
    assert refused is not None and refused.startswith("550 5.7.20") and result.result == "fail"
    assert b"dkim=fail" in header
    assert (await checks.dkim(signed, "mx.test"))[0] is None
    object.__setattr__(services.settings, "relay",
                       dataclasses.replace(relay, dkim_failure="tag"))
    refused, header, _ = await MxChecks(services).dkim(altered, "mx.test")
    assert refused is None and b"dkim=fail" in header
    # A mailbox that already holds the Message-ID does not get a second copy.
    acc = await services.store.get_account(doctor)
    assert await checks.not_yet_delivered([acc], signed) == [acc]
    await services.delivery.deliver(signed, mail_from="a@hopital-a.test", recipients=[acc])
    assert await checks.not_yet_delivered([acc], signed) == []
