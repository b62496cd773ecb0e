import asyncio
import asyncio.sslproto
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from crypto import (
    client_context,
    create_ca,
    issue_client_certificate,
    issue_server_certificate,
    peer_certificate,
    peer_subject_dn,
    server_context,
    shrink_tls_read_buffer,
    write_pem,
)
from crypto.tls import TLS12_CIPHERS

CLIENT_ADDRESS = "app@clinique.example"
CLIENT_DN = "CN=app@clinique.example,O=mssante"


def make_pki(tmp_path: Path, name: str) -> dict[str, Path]:
    ca_cert, ca_key = create_ca(f"{name} CA")
    server_cert, server_key = issue_server_certificate(ca_cert, ca_key, "mx.example", [])
    client_cert, client_key = issue_client_certificate(ca_cert, ca_key, CLIENT_ADDRESS)
    paths = {k: tmp_path / f"{name}-{k}.pem" for k in ("ca", "sc", "sk", "cc", "ck")}
    write_pem(paths["ca"], ca_cert)
    write_pem(paths["sc"], server_cert, paths["sk"], server_key)
    write_pem(paths["cc"], client_cert, paths["ck"], client_key)
    return paths


@asynccontextmanager
async def tls_server(ctx: ssl.SSLContext, seen: "asyncio.Queue[str | None]") -> AsyncIterator[int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await seen.put(peer_subject_dn(writer.get_extra_info("ssl_object")))
        writer.write(b"hello\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def talk(port: int, ctx: ssl.SSLContext) -> bytes:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=ctx, server_hostname="mx.example"
    )
    try:
        return await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()


async def test_mutual_tls_handshake(tmp_path: Path) -> None:
    p = make_pki(tmp_path, "trust")
    sctx = server_context(p["sc"], p["sk"], p["ca"], require_client_cert=True)
    cctx = client_context(p["ca"], p["cc"], p["ck"])
    seen: asyncio.Queue[str | None] = asyncio.Queue()
    async with tls_server(sctx, seen) as port:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=cctx, server_hostname="mx.example"
        )
        assert await asyncio.wait_for(reader.readline(), 5) == b"hello\n"
        ssl_object = writer.get_extra_info("ssl_object")
        assert peer_subject_dn(ssl_object) == (
            "CN=mx.example,OU=00000000000000,O=mssante,ST=Paris (75),C=FR"
        )
        cert = peer_certificate(ssl_object)
        assert cert is not None
        writer.close()
    assert await asyncio.wait_for(seen.get(), 5) == CLIENT_DN


async def test_optional_client_certificate(tmp_path: Path) -> None:
    p = make_pki(tmp_path, "trust")
    sctx = server_context(p["sc"], p["sk"], p["ca"])
    assert sctx.verify_mode == ssl.CERT_OPTIONAL
    seen: asyncio.Queue[str | None] = asyncio.Queue()
    async with tls_server(sctx, seen) as port:
        assert await talk(port, client_context(p["ca"])) == b"hello\n"
    assert await asyncio.wait_for(seen.get(), 5) is None


async def _refused(port: int, ctx: ssl.SSLContext) -> None:
    # Under TLS 1.3 the client may finish its handshake before the server rejects its
    # certificate, so the refusal can surface on the first read instead of on connect.
    try:
        line = await talk(port, ctx)
    except (ssl.SSLError, ConnectionError, asyncio.IncompleteReadError):
        return
    assert line == b"", "the server should not have talked to this client"


async def test_client_certificate_from_another_ca_is_refused(tmp_path: Path) -> None:
    trusted, foreign = make_pki(tmp_path, "trust"), make_pki(tmp_path, "foreign")
    sctx = server_context(trusted["sc"], trusted["sk"], trusted["ca"], require_client_cert=True)
    # The client trusts our server but presents a certificate from another CA.
    cctx = client_context(trusted["ca"], foreign["cc"], foreign["ck"])
    seen: asyncio.Queue[str | None] = asyncio.Queue()
    async with tls_server(sctx, seen) as port:
        await _refused(port, cctx)
        await _refused(port, client_context(trusted["ca"]))  # and no certificate at all
    assert seen.empty()


async def test_server_from_another_ca_is_refused(tmp_path: Path) -> None:
    trusted, foreign = make_pki(tmp_path, "trust"), make_pki(tmp_path, "foreign")
    seen: asyncio.Queue[str | None] = asyncio.Queue()
    async with tls_server(server_context(foreign["sc"], foreign["sk"]), seen) as port:
        with pytest.raises(ssl.SSLCertVerificationError):
            await talk(port, client_context(trusted["ca"]))


def tls11_client() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let OpenSSL 3 even try TLS 1.1
    ctx.minimum_version = ssl.TLSVersion.TLSv1_1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    return ctx


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
async def test_tls11_client_is_refused(tmp_path: Path) -> None:
    p = make_pki(tmp_path, "trust")
    seen: asyncio.Queue[str | None] = asyncio.Queue()
    # Control: this OpenSSL can still speak TLS 1.1 to a permissive server, so the refusal
    # below comes from our server, not from the client library.
    lax = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    lax.load_cert_chain(p["sc"], p["sk"])
    lax.set_ciphers("DEFAULT:@SECLEVEL=0")
    lax.minimum_version = ssl.TLSVersion.TLSv1_1
    async with tls_server(lax, seen) as port:
        try:
            await talk(port, tls11_client())
        except (ssl.SSLError, ConnectionError):
            pytest.skip("this OpenSSL build cannot speak TLS 1.1 at all")
    await seen.get()
    async with tls_server(server_context(p["sc"], p["sk"]), seen) as port:
        with pytest.raises((ssl.SSLError, ConnectionError)):
            await talk(port, tls11_client())
    assert seen.empty()


def test_context_settings(tmp_path: Path) -> None:
    p = make_pki(tmp_path, "trust")
    sctx = server_context(p["sc"], p["sk"])
    assert sctx.minimum_version == ssl.TLSVersion.TLSv1_2
    assert sctx.options & ssl.OP_NO_COMPRESSION
    assert sctx.options & ssl.OP_CIPHER_SERVER_PREFERENCE
    assert sctx.verify_mode == ssl.CERT_NONE
    tls12 = {c["name"] for c in sctx.get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert tls12 == set(TLS12_CIPHERS.split(":"))
    cctx = client_context(p["ca"], check_hostname=False)
    assert cctx.minimum_version == ssl.TLSVersion.TLSv1_2
    assert cctx.verify_mode == ssl.CERT_REQUIRED and not cctx.check_hostname
    assert cctx.cert_store_stats()["x509_ca"] == 1  # only our CA, no system store
    with pytest.raises(ValueError):
        server_context(p["sc"], p["sk"], require_client_cert=True)


async def test_shrink_tls_read_buffer(tmp_path: Path) -> None:
    before = asyncio.sslproto.SSLProtocol.max_size
    try:
        shrink_tls_read_buffer()
        shrink_tls_read_buffer()
        assert asyncio.sslproto.SSLProtocol.max_size == 4 * 1024
        # Data larger than the buffer still flows both ways.
        p = make_pki(tmp_path, "trust")
        payload = bytes(range(256)) * 1024  # 256 KiB

        async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(await reader.readexactly(len(payload)))
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(
            echo, "127.0.0.1", 0, ssl=server_context(p["sc"], p["sk"])
        )
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_context(p["ca"]), server_hostname="mx.example"
        )
        writer.write(payload)
        assert await asyncio.wait_for(reader.readexactly(len(payload)), 10) == payload
        writer.close()
        server.close()
        await server.wait_closed()
    finally:
        asyncio.sslproto.SSLProtocol.max_size = before
