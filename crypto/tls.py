"""TLS contexts for our listeners and for mutual TLS between operators."""

import asyncio.sslproto
import os
import ssl

from cryptography import x509

__all__ = [
    "TLS12_CIPHERS",
    "client_context",
    "peer_certificate",
    "peer_subject_dn",
    "server_context",
    "shrink_tls_read_buffer",
]

StrPath = str | os.PathLike[str]

# TLS 1.2 suites: forward secrecy (ECDHE) and AEAD only. The RSA ones are the MSSanté list;
# the ECDSA ones serve our dev PKI (and operators with EC certificates). TLS 1.3 suites are
# all AEAD and keep OpenSSL's defaults.
TLS12_CIPHERS = ":".join(
    [
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
    ]
)
# Read buffer per TLS connection (see shrink_tls_read_buffer).
_TLS_READ_BUFFER = 4 * 1024


def _harden(ctx: ssl.SSLContext) -> None:
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_COMPRESSION  # CRIME
    ctx.set_ciphers(TLS12_CIPHERS)


def server_context(
    cert_file: StrPath,
    key_file: StrPath,
    client_ca_file: StrPath | None = None,
    *,
    require_client_cert: bool = False,
) -> ssl.SSLContext:
    """Context for our listeners; with ``client_ca_file``, ask peers for a certificate.

    CERT_OPTIONAL by default: one port serves password users and certificate users alike;
    the caller decides what a missing certificate means.
    """
    if require_client_cert and client_ca_file is None:
        raise ValueError("require_client_cert needs client_ca_file")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _harden(ctx)
    ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    ctx.load_cert_chain(cert_file, key_file)
    if client_ca_file is not None:
        ctx.load_verify_locations(cafile=client_ca_file)
        ctx.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    return ctx


def client_context(
    ca_file: StrPath,
    cert_file: StrPath | None = None,
    key_file: StrPath | None = None,
    *,
    check_hostname: bool = True,
) -> ssl.SSLContext:
    """Context for connecting to a peer: trusts ONLY ``ca_file`` (the trust space's CA)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # no system store is loaded
    _harden(ctx)
    ctx.check_hostname = check_hostname
    ctx.verify_mode = ssl.CERT_REQUIRED  # even without hostname checks, the chain must verify
    ctx.load_verify_locations(cafile=ca_file)
    if cert_file is not None:
        ctx.load_cert_chain(cert_file, key_file)
    return ctx


def peer_certificate(ssl_object: ssl.SSLObject | ssl.SSLSocket) -> x509.Certificate | None:
    der = ssl_object.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der) if der else None


def peer_subject_dn(ssl_object: ssl.SSLObject | ssl.SSLSocket) -> str | None:
    cert = peer_certificate(ssl_object)
    return cert.subject.rfc4514_string() if cert is not None else None


def shrink_tls_read_buffer() -> None:
    """Make asyncio allocate 4 KiB instead of 256 KiB per TLS connection (brief §9).

    asyncio's SSLProtocol gives each connection a read buffer of ``max_size`` bytes
    (256 KiB), so an idle TLS connection costs about 280 KB. The buffer only bounds how
    much ciphertext one read takes from the socket: OpenSSL reassembles a record (at most
    16 KiB) across reads. 16 KiB brings an idle connection to about 42 KB; 4 KiB saves
    12 KB more per connection (measured with bench/imap_load.py, 1,000 idle IMAP
    connections) for a few more reads on bulk transfers. Class-wide and idempotent: call
    once at start-up, before listening.
    """
    asyncio.sslproto.SSLProtocol.max_size = _TLS_READ_BUFFER
