"""The operator's command line, run as a subprocess like an operator would."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cryptography import x509

from mssante.init import initialise
from tests.conftest import init_options
from tests.mssante.serverproc import mssante

ADDR = "a.petit@hopital.test"


def test_account_lifecycle_and_operator_commands(tmp_path: Path) -> None:
    settings = asyncio.run(initialise(init_options(tmp_path / "data")))
    cfg = settings.config_file
    out = mssante("account", "add", ADDR, "--kind", "per", "--name", "Dr A PETIT", "--rpps",
                  "10001045367", "--password-stdin", config=cfg, stdin="first\n").stdout
    recovery = out.strip().splitlines()[-1]
    assert len(recovery.replace("-", "")) == 52
    # Wrong current password: refused, nothing changed.
    res = mssante("account", "passwd", ADDR, "--password-stdin", config=cfg,
                  stdin="wrong\nsecond\n", check=False)
    assert res.returncode == 1 and "wrong password" in res.stderr
    mssante("account", "passwd", ADDR, "--password-stdin", config=cfg, stdin="first\nsecond\n")
    res = mssante("account", "recover", ADDR, "--password-stdin", config=cfg,
                  stdin=recovery.lower() + "\nthird\n")
    assert "recovery key" in res.stdout
    # Bad input gets a clear error, not a traceback.
    res = mssante("account", "add", "bad address", "--kind", "per", "--password-stdin",
                  config=cfg, stdin="x\n", check=False)
    assert res.returncode == 1 and "not a valid address" in res.stderr
    res = mssante("account", "add", "x@patient.test", "--kind", "patient", "--password-stdin",
                  config=cfg, stdin="x\n", check=False)
    assert res.returncode == 1 and "INS" in res.stderr
    mssante("account", "suspend", ADDR, config=cfg)
    assert "suspended" in mssante("account", "list", config=cfg).stdout
    mssante("account", "activate", ADDR, config=cfg)
    mssante("account", "close", ADDR, config=cfg)
    res = mssante("account", "activate", ADDR, config=cfg, check=False)
    assert res.returncode == 1 and "closed" in res.stderr
    # Domains.
    mssante("domain", "add", "clinique.test", config=cfg)
    listed = mssante("domain", "list", config=cfg).stdout
    assert "clinique.test\tprofessional" in listed and "patient.test\tpatient" in listed
    # Queue (empty) and a missing configuration.
    assert "0 entries" in mssante("queue", "list", config=cfg).stdout
    res = mssante("account", "list", "--config", str(tmp_path / "nope.toml"), check=False)
    assert res.returncode == 2 and "file not found" in res.stderr


def test_client_certificate_only_for_application_accounts(tmp_path: Path) -> None:
    settings = asyncio.run(initialise(init_options(tmp_path / "data")))
    cfg = settings.config_file
    mssante("account", "add", "dpi@hopital.test", "--kind", "app", "--no-password", config=cfg)
    mssante("account", "add", ADDR, "--kind", "per", "--password-stdin", config=cfg,
            stdin="pw\n")
    res = mssante("cert", "issue", ADDR, config=cfg, check=False)
    assert res.returncode == 1 and "--kind app" in res.stderr
    mssante("cert", "issue", "dpi@hopital.test", config=cfg)
    pem = settings.base_dir / "certs" / "clients" / "dpi@hopital.test.pem"
    cert = x509.load_pem_x509_certificate(pem.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == ["dpi@hopital.test"]
    # A person's account needs a password.
    res = mssante("account", "add", "b@hopital.test", "--kind", "per", "--no-password",
                  config=cfg, check=False)
    assert res.returncode == 1 and "password is required" in res.stderr


def test_init_refuses_an_existing_folder(tmp_path: Path) -> None:
    settings = asyncio.run(initialise(init_options(tmp_path / "data")))
    res = mssante("init", "--data-dir", str(settings.base_dir), "--domain", "x.test",
                  check=False)
    assert res.returncode == 1 and "already exists" in res.stderr
