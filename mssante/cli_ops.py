"""`mssante cert …`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crypto import issue_client_certificate, load_certificate, load_private_key, write_pem
from mailserver.services import MailServices
from mssante.context import ConfigOption, console, err, settings_or_exit, with_services

cert_app = typer.Typer(help="Development PKI: client certificates.", no_args_is_help=True)


@cert_app.command("issue")
def cert_issue(address: str, out: Annotated[Path | None, typer.Option(
        help="Folder for ADDRESS.pem and ADDRESS.key (default: <data>/certs/clients)")] = None,
        config: ConfigOption = None) -> None:
    """Issue a client certificate for an application (APP) account, signed by the local CA."""
    settings = settings_or_exit(config)
    ca_key_path = settings.base_dir / "keys" / "ca.key"
    if not ca_key_path.is_file():
        err.print(f"[red]no CA key at {ca_key_path}: this data folder does not run the CA[/red]")
        raise typer.Exit(1)

    async def check(svc: MailServices) -> None:
        acc = await svc.store.get_account(address)
        if acc is None or not acc.settings.get("certificate"):
            err.print(f"[red]{address} is not an account allowed to log in with a "
                      "certificate (create it with --kind app)[/red]")
            raise typer.Exit(1)

    with_services(config, check)
    folder = out or settings.base_dir / "certs" / "clients"
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = issue_client_certificate(load_certificate(settings.tls.client_ca),
                                         load_private_key(ca_key_path), address.lower())
    cert_path, key_path = folder / f"{address.lower()}.pem", folder / f"{address.lower()}.key"
    write_pem(cert_path, cert, key_path, key)
    console.print(f"certificate: {cert_path}\nprivate key: {key_path}")
