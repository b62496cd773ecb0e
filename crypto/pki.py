"""Development PKI: a local stand-in for IGC-Santé (test CA, server and client certificates).

ECDSA P-256 everywhere: key generation is instant, which keeps tests and demos fast.
"""

import datetime as dt
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from crypto.errors import CryptoError

__all__ = [
    "PrivateKey",
    "certificate_addresses",
    "create_ca",
    "issue_client_certificate",
    "issue_server_certificate",
    "load_certificate",
    "load_private_key",
    "subject_dn",
    "write_pem",
]

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
StrPath = str | os.PathLike[str]
_SKEW = dt.timedelta(minutes=5)  # tolerate peers whose clock is slightly behind


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _builder(
    subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey, days: int
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _SKEW)
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


def create_ca(
    common_name: str = "mssante test CA", organization: str = "mssante", days: int = 3650
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _new_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        _builder(name, name, key.public_key(), days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _issue(
    ca_cert: x509.Certificate,
    ca_key: PrivateKey,
    subject: x509.Name,
    san: list[x509.GeneralName],
    eku: list[x509.ObjectIdentifier],
    days: int,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _new_key()
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        _builder(subject, ca_cert.subject, key.public_key(), days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage(eku), critical=False)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def issue_server_certificate(
    ca_cert: x509.Certificate,
    ca_key: PrivateKey,
    hostname: str,
    alt_names: list[str],
    *,
    organization: str = "mssante",
    org_unit: str = "00000000000000",
    state: str = "Paris (75)",
    country: str = "FR",
    days: int = 825,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """Operator certificate, for TLS server and mutual-TLS client use alike.

    Subject attributes go in the order C, ST, O, OU, CN so that the RFC 4514 string reads
    ``CN=…,OU=…,O=…,ST=…,C=…``: the DNCertificatOperateur form of the national trust list.
    """
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, state),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, org_unit),
            x509.NameAttribute(NameOID.COMMON_NAME, hostname),
        ]
    )
    names = list(dict.fromkeys([hostname, *alt_names, "localhost"]))
    san: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    san.append(x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")))
    eku = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    return _issue(ca_cert, ca_key, subject, san, eku, days)


def issue_client_certificate(
    ca_cert: x509.Certificate,
    ca_key: PrivateKey,
    address: str,
    days: int = 825,
    *,
    organization: str = "mssante",
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """Client certificate for a mailbox (typically an applicative ``APP`` one)."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, address),
        ]
    )
    san: list[x509.GeneralName] = [x509.RFC822Name(address)]
    return _issue(ca_cert, ca_key, subject, san, [ExtendedKeyUsageOID.CLIENT_AUTH], days)


def write_pem(
    path_cert: StrPath,
    cert: x509.Certificate,
    path_key: StrPath | None = None,
    key: PrivateKey | None = None,
) -> None:
    """Write the certificate, and the key unencrypted as PKCS#8 in a 0600 file."""
    Path(path_cert).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if path_key is None or key is None:
        if (path_key is None) != (key is None):
            raise ValueError("path_key and key go together")
        return
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to an existing file
    with os.fdopen(fd, "wb") as f:
        f.write(pem)


def load_certificate(path: StrPath) -> x509.Certificate:
    return x509.load_pem_x509_certificate(Path(path).read_bytes())


def load_private_key(path: StrPath) -> PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise CryptoError(f"{os.fspath(path)!r}: only EC and RSA keys are supported")
    return key


def subject_dn(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def certificate_addresses(cert: x509.Certificate) -> list[str]:
    """Mail addresses a client certificate vouches for: rfc822Name SANs, else an address CN."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        found = [a.lower() for a in san.get_values_for_type(x509.RFC822Name)]
    except x509.ExtensionNotFound:
        found = []
    if not found:
        for attr in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME):
            value = attr.value
            cn = value if isinstance(value, str) else value.decode("utf-8", "replace")
            if "@" in cn and " " not in cn:
                found.append(cn.lower())
    return list(dict.fromkeys(found))
