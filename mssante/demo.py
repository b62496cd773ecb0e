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
from mailserver.store import AccountInfo
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


def _message(sender: AccountInfo, to: AccountInfo, subject: str, text: str,
             reply_to: EmailMessage | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"{sender.display_name} <{sender.address}>"
    msg["To"] = f"{to.display_name} <{to.address}>"
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=DOMAIN)
    if reply_to is not None:
        msg["In-Reply-To"] = reply_to["Message-ID"]
        msg["References"] = reply_to["Message-ID"]
    msg.set_content(text)
    return msg


async def _send(services: MailServices, msg: EmailMessage, sender: AccountInfo,
                to: AccountInfo) -> None:
    raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    await services.delivery.deliver(raw, mail_from=sender.address, recipients=[to],
                                    sender=sender)


# A one-page PDF ("Compte rendu de consultation"), small enough to live here.
DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
            b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
            b"4 0 obj<</Length 62>>stream\nBT /F1 18 Tf 72 770 Td (Compte rendu de consultation)"
            b" Tj ET\nendstream endobj\n"
            b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


async def _first_conversation(services: MailServices) -> None:
    """Paul VIAL's conversations: one in progress with Dr Martin (Paul answered), a
    report with a PDF, and one that the nurse ended with "[FIN]"."""
    doctor = await services.store.get_account(ACCOUNTS[0][0])
    nurse = await services.store.get_account(ACCOUNTS[1][0])
    patient = await services.store.get_account(PATIENT_ADDRESS)
    assert doctor and nurse and patient
    first = _message(doctor, patient, "Votre consultation de cardiologie du 2 décembre",
                     "Bonjour,\n\nVotre consultation est prévue le 2 décembre à 10 h. "
                     "Merci d'apporter vos derniers résultats d'analyse.\n\nDr Jean MARTIN\n")
    first["X-MSS-NIL"] = "DEMO0001"
    await _send(services, first, doctor, patient)
    answer = _message(patient, doctor, "Re: Votre consultation de cardiologie du 2 décembre",
                      "Bonjour Docteur,\n\nC'est noté, j'apporterai mes résultats.\n\n"
                      "Paul VIAL\n\n> Votre consultation est prévue le 2 décembre à 10 h.\n",
                      reply_to=first)
    await _send(services, answer, patient, doctor)
    report = _message(doctor, patient, "Compte rendu de votre consultation",
                      "Bonjour,\n\nVous trouverez ci-joint le compte rendu de votre "
                      "consultation.\n\nDr Jean MARTIN\n")
    report.add_attachment(DEMO_PDF, maintype="application", subtype="pdf",
                          filename="compte-rendu.pdf")
    await _send(services, report, doctor, patient)
    care = _message(nurse, patient, "Vos soins à domicile",
                    "Bonjour,\n\nLes soins à domicile se terminent cette semaine.\n\n"
                    "Claire DURAND\n")
    await _send(services, care, nurse, patient)
    await _send(services, _message(nurse, patient, "[FIN]",
                                   "Les soins sont terminés : je mets fin à nos échanges.\n",
                                   reply_to=care), nurse, patient)


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
