"""Trust list refresh: a list that fails to download, parse, or is stale never replaces the
last good one (domain.md §11.1)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config import Settings
from mailserver.trust import TrustEntry, TrustSpace, load_trust_list, render_trust_list
from relay.trustlist import TrustRefresher, check_fresh, read_status, status_path

DN_A = "CN=mail.hopital-a.test,OU=00000000000000,O=A,ST=Paris (75),C=FR"
DN_B = "CN=mail.clinique-b.test,OU=00000000000000,O=B,ST=Paris (75),C=FR"
DN_B2 = "CN=mx2.clinique-b.test,OU=1,O=B2,ST=Paris (75),C=FR"


def _settings(tmp_path: Path, **trust: object) -> Settings:
    from config.settings import Settings, TrustSettings

    (tmp_path / "trust").mkdir(exist_ok=True)
    t = TrustSettings(list=str(tmp_path / "trust" / "listeblanche.xml"), **trust)  # type: ignore[arg-type]
    return Settings(config_file=tmp_path / "mssante.toml", base_dir=tmp_path, trust=t)


def _write(path: Path, entries: list[TrustEntry], when: datetime | None = None) -> None:
    path.write_bytes(render_trust_list(entries, when))


async def test_good_list_replaces_and_merges_duplicate_domains(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    path = Path(s.trust.list)
    _write(path, [TrustEntry("hopital-a.test", DN_A)])
    space = TrustSpace(load_trust_list(path), ["hopital-a.test"])
    _write(path, [TrustEntry("hopital-a.test", DN_A), TrustEntry("clinique-b.test", DN_B),
                  TrustEntry("Clinique-B.test", DN_B2)])
    ref = TrustRefresher(s, space)
    assert await ref.refresh()
    assert space.current.dns_for("clinique-b.test") == {DN_B, DN_B2}
    assert space.current.allows("CLINIQUE-B.TEST", DN_B2)
    m = ref.metrics()
    assert m["trust_list_last_error"] is None
    assert m["trust_list_domains"] == 2
    assert m["trust_list_age_seconds"] is not None and m["trust_list_age_seconds"] < 60
    assert json.loads(status_path(s).read_text())["trust_list_date_de_generation"]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "missing", "wrong-root", "stale",
                                    "older"])
async def test_bad_list_keeps_last_good(tmp_path: Path, damage: str) -> None:
    s = _settings(tmp_path, max_age=3600)
    path = Path(s.trust.list)
    _write(path, [TrustEntry("hopital-a.test", DN_A), TrustEntry("clinique-b.test", DN_B)])
    space = TrustSpace(load_trust_list(path), ["hopital-a.test"])
    good = space.current
    if damage == "garbage":
        path.write_bytes(b"\x00\xffnot xml at all")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    elif damage == "missing":
        path.unlink()
    elif damage == "wrong-root":
        path.write_bytes(b'<?xml version="1.0"?><Other xmlns="urn:x"/>')
    elif damage == "stale":
        _write(path, [TrustEntry("evil.test", DN_B)], datetime.now(UTC) - timedelta(days=2))
    elif damage == "older":
        _write(path, [TrustEntry("evil.test", DN_B)], datetime.now(UTC) - timedelta(minutes=30))
    ref = TrustRefresher(s, space)
    assert not await ref.refresh()
    assert space.current is good
    assert space.current.is_listed("clinique-b.test")
    assert not space.current.is_listed("evil.test")
    assert space.last_error
    status = read_status(s)
    assert status is not None and status["trust_list_last_error"] == space.last_error
    assert status["trust_list_failures"] == 1
    # A good list afterwards is taken again and clears the alert.
    _write(path, [TrustEntry("hopital-a.test", DN_A)],
           datetime.now(UTC) + timedelta(seconds=1))
    assert await ref.refresh()
    assert not space.current.is_listed("clinique-b.test")
    assert space.last_error is None


def test_check_fresh_needs_a_date() -> None:
    from mailserver.trust import TrustList, TrustListError

    with pytest.raises(TrustListError):
        check_fresh(TrustList(generated=""), 3600)
    check_fresh(TrustList(generated=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")), 3600)


async def test_https_list_verified_against_pinned_ca(tmp_path: Path) -> None:
    """The list is downloaded over HTTPS from a server whose certificate chains to the
    pinned CA; a server with a certificate from another CA is refused."""
    import asyncio
    import ssl

    from crypto import create_ca, issue_server_certificate, write_pem

    ca, ca_key = create_ca("trust CA")
    write_pem(tmp_path / "ca.pem", ca)
    cert, key = issue_server_certificate(ca, ca_key, "localhost", ["localhost"])
    write_pem(tmp_path / "srv.pem", cert, tmp_path / "srv.key", key)
    other, other_key = create_ca("other CA")
    cert2, key2 = issue_server_certificate(other, other_key, "localhost", ["localhost"])
    write_pem(tmp_path / "srv2.pem", cert2, tmp_path / "srv2.key", key2)
    body = render_trust_list([TrustEntry("clinique-b.test", DN_B)])

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
                         b"Content-Length: " + str(len(body)).encode() +
                         b"\r\nConnection: close\r\n\r\n" + body)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def serve(cert_file: str, key_file: str) -> tuple[asyncio.Server, int]:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert_file, key_file)
        srv = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
        return srv, srv.sockets[0].getsockname()[1]

    good_srv, good_port = await serve(str(tmp_path / "srv.pem"), str(tmp_path / "srv.key"))
    bad_srv, bad_port = await serve(str(tmp_path / "srv2.pem"), str(tmp_path / "srv2.key"))
    try:
        (tmp_path / "trust").mkdir()
        base = _settings(tmp_path)
        space = TrustSpace(load_trust_list(_dummy(tmp_path)), [])
        s = dataclasses.replace(base, trust=dataclasses.replace(
            base.trust, list=f"https://localhost:{bad_port}/listeblanchemssante.xml",
            ca=tmp_path / "ca.pem"))
        ref = TrustRefresher(s, space)
        assert not await ref.refresh()
        assert "certificate" in (space.last_error or "").lower()
        assert not space.current.is_listed("clinique-b.test")
        s = dataclasses.replace(s, trust=dataclasses.replace(
            s.trust, list=f"https://localhost:{good_port}/listeblanchemssante.xml"))
        ref = TrustRefresher(s, space)
        assert await ref.refresh(), space.last_error
        assert space.current.is_listed("clinique-b.test")
        # The downloaded list is cached where a restart starts from.
        assert load_trust_list(tmp_path / "trust" / "listeblanche.xml").is_listed(
            "clinique-b.test")
    finally:
        good_srv.close()
        bad_srv.close()


def _dummy(tmp_path: Path) -> Path:
    p = tmp_path / "dummy.xml"
    _write(p, [TrustEntry("hopital-a.test", DN_A)], datetime.now(UTC) - timedelta(hours=1))
    return p
