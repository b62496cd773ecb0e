"""`mssante account …` and `mssante domain …`."""

from __future__ import annotations

from typing import Annotated

import typer

from crypto import WrongSecret
from mailserver.accounts import KINDS, AccountError
from mailserver.services import MailServices
from mailserver.store import StoreError
from mssante.context import (
    ConfigOption,
    console,
    err,
    fail,
    print_table,
    read_secret,
    with_services,
)

account_app = typer.Typer(help="Manage accounts (mailboxes).", no_args_is_help=True)
domain_app = typer.Typer(help="Manage hosted domains.", no_args_is_help=True)


@account_app.command("add")
def account_add(
    address: str,
    kind: Annotated[str, typer.Option(help=f"Mailbox kind: {'|'.join(KINDS)}")],
    name: Annotated[str, typer.Option("--name", help="Display name")] = "",
    rpps: Annotated[str | None, typer.Option(help="RPPS number (professionals)")] = None,
    ins: Annotated[str | None, typer.Option(help="INS matricule (patients)")] = None,
    liste_rouge: Annotated[bool, typer.Option(help="Never publish in the directory")] = False,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin")] = False,
    no_password: Annotated[bool, typer.Option(
        help="APP accounts only: client-certificate login alone")] = False,
    config: ConfigOption = None,
) -> None:
    """Create an account; prints its recovery key once."""
    password = None if no_password else read_secret("Password", password_stdin)

    async def go(svc: MailServices) -> None:
        try:
            new = await svc.accounts.add(address, kind, password, display_name=name,
                                         rpps=rpps, ins=ins, liste_rouge=liste_rouge)
        except (AccountError, StoreError) as exc:
            fail(exc)
        console.print(f"created {new.account.address} ({new.account.kind})")
        console.print("[bold]Recovery key (shown once, keep it offline):[/bold]")
        print(new.recovery_key)

    with_services(config, go)


@account_app.command("passwd")
def account_passwd(address: str, password_stdin: Annotated[bool, typer.Option(
        help="Read old then new password from stdin, one per line")] = False,
        config: ConfigOption = None) -> None:
    """Change a password (needs the current one; nothing is re-encrypted)."""
    old = read_secret("Current password", password_stdin, confirm=False)
    new = read_secret("New password", password_stdin)

    async def go(svc: MailServices) -> None:
        try:
            await svc.accounts.change_password(address, old, new)
        except (WrongSecret, StoreError) as exc:
            fail(exc)
        console.print("password changed")

    with_services(config, go)


@account_app.command("recover")
def account_recover(address: str, password_stdin: Annotated[bool, typer.Option(
        help="Read the recovery key then the new password from stdin")] = False,
        config: ConfigOption = None) -> None:
    """Set a new password with the recovery key."""
    key = read_secret("Recovery key", password_stdin, confirm=False)
    new = read_secret("New password", password_stdin)

    async def go(svc: MailServices) -> None:
        try:
            await svc.accounts.recover(address, key, new)
        except (WrongSecret, StoreError) as exc:
            fail(exc)
        console.print("password reset with the recovery key")

    with_services(config, go)


@account_app.command("list")
def account_list(config: ConfigOption = None) -> None:
    """List accounts."""
    async def go(svc: MailServices) -> None:
        rows = []
        for a in await svc.store.list_accounts():
            nid = f"{a.national_id_type}:{a.national_id}" if a.national_id else ""
            rows.append([a.address, a.kind, a.display_name, nid, a.state,
                         "yes" if a.liste_rouge else ""])
        print_table(["address", "kind", "name", "national id", "state", "liste rouge"], rows)

    with_services(config, go)


@account_app.command("unlock")
def account_unlock(address: str, config: ConfigOption = None) -> None:
    """Clear the login back-off of an account, on every running server sharing the database."""
    async def go(svc: MailServices) -> None:
        try:
            info = await svc.auth.unlock(address)
        except StoreError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        console.print(f"{info.address}: failed logins forgotten, cached logins dropped")

    with_services(config, go)


def _state_command(name: str, state: str, help_text: str) -> None:
    def command(address: str, config: ConfigOption = None) -> None:
        async def go(svc: MailServices) -> None:
            try:
                info = await svc.accounts.set_state(address, state)
            except StoreError as exc:
                fail(exc)
            console.print(f"{info.address} is now {info.state}")

        with_services(config, go)

    command.__doc__ = help_text
    account_app.command(name)(command)


_state_command("suspend", "suspended", "Suspend an account (logins and mail refused until "
               "activated).")
_state_command("close", "closed", "Close an account for good (mail to it bounces).")
_state_command("activate", "active", "Re-activate a suspended account.")


@domain_app.command("add")
def domain_add(name: str, patient: Annotated[bool, typer.Option(
        help="A patient domain")] = False, config: ConfigOption = None) -> None:
    """Host a new domain (also add it to [server] domains and the trust list)."""
    async def go(svc: MailServices) -> None:
        try:
            await svc.store.add_domain(name, "patient" if patient else "professional")
        except StoreError as exc:
            fail(exc)
        console.print(f"domain {name} added")

    with_services(config, go)


@domain_app.command("list")
def domain_list(config: ConfigOption = None) -> None:
    """List hosted domains."""
    async def go(svc: MailServices) -> None:
        print_table(["domain", "kind"], [[n, k] for n, k in await svc.store.list_domains()])

    with_services(config, go)
