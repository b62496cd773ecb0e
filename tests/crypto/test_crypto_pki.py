import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from crypto import (
    certificate_addresses,
    create_ca,
    issue_client_certificate,
    issue_server_certificate,
    load_certificate,
    load_private_key,
    subject_dn,
    write_pem,
)

CA_CERT, CA_KEY = create_ca()


def test_ca() -> None:
    basic = CA_CERT.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca and basic.path_length == 0
    usage = CA_CERT.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    CA_CERT.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert isinstance(CA_KEY, ec.EllipticCurvePrivateKey)
    CA_CERT.verify_directly_issued_by(CA_CERT)


def test_server_certificate() -> None:
    cert, _ = issue_server_certificate(
        CA_CERT, CA_KEY, "mx.hopital.example", ["mail.hopital.example"], org_unit="12345678901234"
    )
    assert subject_dn(cert) == (
        "CN=mx.hopital.example,OU=12345678901234,O=mssante,ST=Paris (75),C=FR"
    )
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [
        "mx.hopital.example",
        "mail.hopital.example",
        "localhost",
    ]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(eku) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = CA_CERT.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    cert.verify_directly_issued_by(CA_CERT)


def test_client_certificate_and_addresses() -> None:
    cert, _ = issue_client_certificate(CA_CERT, CA_KEY, "Agenda@Clinique.example")
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "Agenda@Clinique.example"
    )
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "mssante"
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert certificate_addresses(cert) == ["agenda@clinique.example"]
    server, _ = issue_server_certificate(CA_CERT, CA_KEY, "mx.example", [])
    assert certificate_addresses(server) == []


def test_addresses_fall_back_to_cn() -> None:
    cert, _ = issue_server_certificate(CA_CERT, CA_KEY, "Robot@Lab.example", [])
    assert certificate_addresses(cert) == ["robot@lab.example"]


def test_pem_files(tmp_path: Path) -> None:
    cert, key = issue_client_certificate(CA_CERT, CA_KEY, "app@example.org")
    cert_path, key_path = tmp_path / "c.pem", tmp_path / "k.pem"
    key_path.write_text("old")
    key_path.chmod(0o644)
    write_pem(cert_path, cert, key_path, key)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in key_path.read_bytes()  # PKCS#8, unencrypted
    assert load_certificate(cert_path) == cert
    loaded = load_private_key(key_path)
    assert loaded.public_key().public_numbers() == key.public_key().public_numbers()
    write_pem(tmp_path / "ca.pem", CA_CERT)
    assert load_certificate(tmp_path / "ca.pem") == CA_CERT
