"""`make run`'s demo: a data folder with a professional and a patient domain, a few
accounts, a sample directory and a first conversation. Created once, then reused."""

from __future__ import annotations

import argparse
import asyncio
import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from config import load_settings
from crypto import issue_client_certificate, load_certificate, load_private_key, write_pem
from mailserver.services import MailServices, build_services
from mssante.init import InitOptions, initialise, write_owner_only

DOMAIN = "hopital-demo.mssante.test"
PATIENTS = "patient.mssante.test"
# (address, kind, display name, RPPS, password)
ACCOUNTS = [
    (f"dr.martin@{DOMAIN}", "per", "Dr_Jean_MARTIN_Cardiologie", "10003456786", "martin-demo"),
    (f"inf.durand@{DOMAIN}", "per", "Claire_DURAND_Infirmiere", "10008765439", "durand-demo"),
    (f"cardiologie@{DOMAIN}", "org", "Service de cardiologie", None, "cardio-demo"),
    (f"pharmacie@{DOMAIN}", "org", "Pharmacie de l'hôpital", None, "pharma-demo"),
    (f"logiciel@{DOMAIN}", "app", "Logiciel de cabinet", None, None),
    (f"279035121518989@{PATIENTS}", "patient", "Paul VIAL", None, "vial-demo"),
    (f"146026322000196@{PATIENTS}", "patient", "Marie VIAL", None, "marie-demo"),
]
APP_ADDRESS = f"logiciel@{DOMAIN}"
PATIENT_ADDRESS = f"279035121518989@{PATIENTS}"


async def create_demo(data_dir: Path) -> None:
    settings = await initialise(InitOptions(data_dir=data_dir, domain=DOMAIN,
                                            patient_domain=PATIENTS,
                                            hostname=f"mail.{DOMAIN}"))
    services = await build_services(settings)
    try:
        lines = []
        for address, kind, name, rpps, password in ACCOUNTS:
            new = await services.accounts.add(address, kind, password, display_name=name,
                                              rpps=rpps)
            lines.append(f"{address:45} {kind:8} password: {password or '(certificate)'}"
                         f"   recovery key: {new.recovery_key}")
        _issue_app_certificate(settings.base_dir, APP_ADDRESS)
        await _first_conversation(services)
        await _sample_directory(services, settings.base_dir)
        # the demo logins and recovery keys: for the owner only, like the keys
        write_owner_only(settings.base_dir / "DEMO.txt", ("\n".join(lines) + "\n").encode())
    finally:
        await services.close()


def _issue_app_certificate(base: Path, address: str) -> None:
    ca = load_certificate(base / "certs" / "ca.pem")
    ca_key = load_private_key(base / "keys" / "ca.key")
    cert, key = issue_client_certificate(ca, ca_key, address)
    folder = base / "certs" / "clients"
    folder.mkdir(exist_ok=True)
    write_pem(folder / f"{address}.pem", cert, folder / f"{address}.key", key)


async def _first_conversation(services: MailServices) -> None:
    """Dr Martin writes to Paul VIAL before a consultation, so Paul can answer."""
    doctor = await services.store.get_account(ACCOUNTS[0][0])
    patient = await services.store.get_account(PATIENT_ADDRESS)
    assert doctor and patient
    msg = EmailMessage()
    msg["From"] = f"{doctor.display_name} <{doctor.address}>"
    msg["To"] = patient.address
    msg["Subject"] = "Votre consultation de cardiologie du 2 décembre"
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=DOMAIN)
    msg["X-MSS-NIL"] = "DEMO0001"
    msg.set_content("Bonjour,\n\nVotre consultation est prévue le 2 décembre à 10 h. "
                    "Merci d'apporter vos derniers résultats d'analyse.\n\nDr Jean MARTIN\n")
    raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    await services.delivery.deliver(raw, mail_from=doctor.address, recipients=[patient],
                                    sender=doctor)


async def _sample_directory(services: MailServices, base: Path) -> None:
    try:
        from directory import import_files
        from directory.synthetic import write_synthetic_files
    except ImportError:
        return
    files = write_synthetic_files(base / "directory-sample", persons=3000, mailboxes=2000,
                                  seed=2026)
    await import_files(services.store.sessions, files, progress=False)


def print_banner(data_dir: Path) -> None:
    settings = load_settings(data_dir / "mssante.toml")
    lis = settings.listeners
    print("\nmssante demo — data folder:", data_dir)
    print(f"  domains: {', '.join(settings.local_domains)}")
    print(f"  SMTP MX {lis.smtp}   submission TLS {lis.submission_tls}   "
          f"submission STARTTLS {lis.submission_starttls}")
    print(f"  IMAP STARTTLS {lis.imap_starttls}   IMAP TLS {lis.imap_tls}   "
          f"HTTPS https://{lis.https}/")
    print(f"  CA certificate (trust it in your client): {settings.tls.client_ca}")
    print("  demo logins:")
    for line in (data_dir / "DEMO.txt").read_text(encoding="utf-8").splitlines():
        print("   ", line)
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description="Create (once) and describe the demo.")
    parser.add_argument("--data-dir", type=Path, default=Path("var/demo"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    data_dir = args.data_dir.resolve()
    if not (data_dir / "mssante.toml").exists():
        print(f"creating the demo in {data_dir} …")
        asyncio.run(create_demo(data_dir))
    print_banner(data_dir)


if __name__ == "__main__":
    main()
