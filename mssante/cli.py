"""The `mssante` command line."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from mssante.cli_accounts import account_app, domain_app
from mssante.cli_directory import directory_app
from mssante.cli_ops import cert_app
from mssante.cli_patients import patient_app
from mssante.cli_queue import queue_app
from mssante.cli_trust import trust_app
from mssante.context import ConfigOption, console, fail, run, settings_or_exit

app = typer.Typer(help="mssante: secure health messaging server.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.add_typer(account_app, name="account")
app.add_typer(domain_app, name="domain")
app.add_typer(cert_app, name="cert")
app.add_typer(patient_app, name="patient")
app.add_typer(queue_app, name="queue")

app.add_typer(directory_app, name="directory")
app.add_typer(trust_app, name="trust")


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"mssante {version('mssante')}")
        raise typer.Exit()


@app.callback()
def _options(version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print the version and exit.")] = False) -> None:
    """mssante: secure health messaging server."""


@app.command()
def init(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Folder to create")],
    domain: Annotated[str, typer.Option(help="Professional mail domain hosted here")],
    patient_domain: Annotated[str, typer.Option(help="Patient domain (optional)")] = "",
    port_offset: Annotated[int, typer.Option(help="Added to every default port")] = 0,
    hostname: Annotated[str, typer.Option(help="Server host name (default mail.DOMAIN)")] = "",
    database_url: Annotated[str, typer.Option(help="Database URL (default: SQLite in "
                                              "the data folder)")] = "",
    ca_cert: Annotated[Path | None, typer.Option(help="Existing CA certificate (join a "
                                                 "test trust space)")] = None,
    ca_key: Annotated[Path | None, typer.Option(help="Its private key")] = None,
    organization: Annotated[str, typer.Option(help="O= of the server certificate")]
    = "mssante",
) -> None:
    """Create a data folder: configuration, database, keys, certificates, trust list."""
    from mssante.init import InitError, InitOptions, initialise

    try:
        settings = run(initialise(InitOptions(
            data_dir=data_dir, domain=domain, patient_domain=patient_domain,
            port_offset=port_offset, hostname=hostname, database_url=database_url,
            ca_cert=ca_cert, ca_key=ca_key, organization=organization)))
    except InitError as exc:
        fail(exc)
    console.print(f"initialised {settings.base_dir}")
    console.print(f"configuration: {settings.config_file}")
    console.print(f"next: mssante account add ADDRESS --kind per "
                  f"--config {settings.config_file}")


@app.command("serve")
def serve_command(config: ConfigOption = None) -> None:
    """Run every listener and the relay worker in one process (stop with Ctrl-C/SIGTERM)."""
    from mssante.serve import Node, StartupError, serve

    settings = settings_or_exit(config)
    logging.basicConfig(level=settings.server.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def ready(node: Node) -> None:  # called once every listener is open
        console.print(f"[bold]mssante[/bold] serving {', '.join(settings.local_domains)}")
        for line in node.banner:
            console.print("  " + line)

    try:
        run(serve(settings, on_ready=ready))
    except StartupError as exc:
        fail(exc, prefix="mssante serve:")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
