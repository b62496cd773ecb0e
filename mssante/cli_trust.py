"""`mssante trust …`: the trust space (authorized-domain list) of this node."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from config import Settings
from mailserver.trust import (
    TrustEntry,
    TrustList,
    TrustListError,
    load_trust_list,
    normalize_dn,
    normalize_domain,
    render_trust_list,
    trust_list_path,
)
from mssante.context import ConfigOption, console, err, run, settings_or_exit

trust_app = typer.Typer(help="The trust space: authorized domains and operator certificates.",
                        no_args_is_help=True)


def _load(settings: Settings) -> tuple[Path, TrustList]:

    path = trust_list_path(settings)
    try:
        return path, load_trust_list(path)
    except TrustListError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


def _editable(settings: Settings) -> None:
    if settings.trust.list.startswith("https://"):
        err.print("[red]the trust list comes from "
                  f"{settings.trust.list}: it is published by the trust space's authority, "
                  "not edited here[/red]")
        raise typer.Exit(2)


def _write(path: Path, entries: list[TrustEntry]) -> None:
    from relay.trustlist import _atomic_write

    _atomic_write(path, render_trust_list(entries))


@trust_app.command("show")
def trust_show(config: ConfigOption = None) -> None:
    """The list in force: generation date, age, entries, refresh errors, own listing."""
    from relay.trustlist import check_fresh, list_age, own_certificate_listing, read_status

    settings = settings_or_exit(config)
    path, lst = _load(settings)
    age = list_age(lst)
    console.print(f"source:            {settings.trust.list}")
    console.print(f"local copy:        {path}")
    console.print(f"CA (pinned):       {settings.trust.ca}")
    console.print(f"DateDeGeneration:  {lst.generated or '(missing)'}")
    console.print(f"age:               {'?' if age is None else f'{int(age)} s'}")
    try:
        check_fresh(lst, settings.trust.max_age)
        console.print("state:             [green]fresh[/green]")
    except TrustListError as exc:
        console.print(f"state:             [red]{exc}[/red]")
    status = read_status(settings)
    if status is not None:
        console.print(f"last refresh:      {status.get('trust_list_last_attempt') or '-'}")
        error = status.get("trust_list_last_error")
        if error:
            console.print(f"last error:        [red]{error}[/red] (the last good list stays "
                          "in force)")
        else:
            console.print("last error:        none")
    table = Table("domain", "certificate DN", "description")
    for e in sorted(lst.entries, key=lambda e: (normalize_domain(e.domain), e.dn)):
        table.add_row(e.domain, e.dn, e.description)
    console.print(table)
    console.print(f"{len(lst.domains)} domains, {len(lst.entries)} entries")
    try:
        own, expires, listed = own_certificate_listing(settings, lst)
    except (OSError, ValueError):
        return
    if own:
        console.print(f"this operator's certificate DN: {own}")
        days = (expires - datetime.now(UTC)).days
        colour = "red" if days < 30 else "green"
        console.print(f"  expires {expires.date()} "
                      f"([{colour}]in {days} days[/{colour}])")
        for d, ok in listed.items():
            mark = "[green]listed[/green]" if ok \
                else "[red]NOT listed (peers will refuse this node's mail)[/red]"
            console.print(f"  {d}: {mark}")


@trust_app.command("add-domain")
def trust_add_domain(
    domain: str,
    dn: Annotated[str, typer.Option("--dn", help="Subject DN of the operator's server "
                                    "certificate, e.g. 'CN=mail.x.fr,OU=…,O=…,ST=…,C=FR'")],
    description: Annotated[str, typer.Option(help="Free text")] = "",
    contact: Annotated[str, typer.Option(help="ResponsableContact")] = "",
    support: Annotated[str, typer.Option(help="SupportContact")] = "",
    config: ConfigOption = None,
) -> None:
    """Allow certificate DN to send and receive for DOMAIN (test trust spaces)."""
    settings = settings_or_exit(config)
    _editable(settings)
    path, lst = _load(settings)
    if "=" not in dn:
        err.print("[red]--dn must be a subject DN such as 'CN=mail.example.fr,O=…,C=FR'[/red]")
        raise typer.Exit(2)
    if lst.allows(domain, dn):
        console.print(f"{domain} already lists {dn}")
        return
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = list(lst.entries) + [TrustEntry(
        domain=normalize_domain(domain), dn=dn,
        description=description or f"Domaine de messagerie MSSanté {domain}",
        contact=contact, support=support, updated=now)]
    _write(path, entries)
    console.print(f"added {domain} ← {dn} ({path})")


@trust_app.command("remove-domain")
def trust_remove_domain(
    domain: str,
    dn: Annotated[str | None, typer.Option("--dn", help="Remove only this DN")] = None,
    config: ConfigOption = None,
) -> None:
    """Remove DOMAIN from the list (every DN, or only --dn)."""
    settings = settings_or_exit(config)
    _editable(settings)
    path, lst = _load(settings)
    dom = normalize_domain(domain)
    keep = [e for e in lst.entries if not (
        normalize_domain(e.domain) == dom and (dn is None or normalize_dn(e.dn)
                                               == normalize_dn(dn)))]
    removed = len(lst.entries) - len(keep)
    if not removed:
        err.print(f"[red]{domain} is not in the list{'' if dn is None else ' with that DN'}"
                  "[/red]")
        raise typer.Exit(1)
    _write(path, keep)
    console.print(f"removed {removed} entr{'y' if removed == 1 else 'ies'} for {domain}")


@trust_app.command("check")
def trust_check(domain: str, config: ConfigOption = None) -> None:
    """Is DOMAIN in the trust space? Which DNs, and where would mail for it go?"""
    from relay.routes import RouteError, Router

    settings = settings_or_exit(config)
    _path, lst = _load(settings)
    if not lst.is_listed(domain):
        console.print(f"{domain}: [red]not in the trust list[/red] (mail to it fails at once, "
                      "mail from it is refused)")
        raise typer.Exit(1)
    console.print(f"{domain}: [green]listed[/green]")
    for dn in sorted(lst.dns_for(domain)):
        console.print(f"  allowed certificate: {dn}")

    async def route() -> None:
        try:
            hops = await Router(settings.relay.routes, timeout=5).hops(domain)
            console.print(f"  route: {', '.join(str(h) for h in hops)}")
        except RouteError as exc:
            console.print(f"  route: [yellow]{exc}[/yellow]")

    run(route())


@trust_app.command("dkim-record")
def trust_dkim_record(config: ConfigOption = None) -> None:
    """The DNS TXT record peers need to verify this node's DKIM signatures."""
    from mailserver.inbound import dkim_txt_record

    settings = settings_or_exit(config)
    record = dkim_txt_record(settings.relay.dkim_private_key.read_bytes()).decode()
    for d in settings.server.domains:
        print(f'{settings.relay.dkim_selector}._domainkey.{d}. IN TXT "{record}"')
