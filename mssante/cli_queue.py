"""`mssante queue …`: the outbound relay queue, for operators."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from mailserver.services import MailServices
from mailserver.store.store import list_queue
from mssante.context import ConfigOption, console, err, print_table, with_services

if TYPE_CHECKING:
    from mailserver.store.models import QueueEntry

queue_app = typer.Typer(help="The outbound relay queue.", no_args_is_help=True)


@queue_app.command("list")
def queue_list(status: Annotated[str | None, typer.Option(
        help="Only entries in this status (queued, sending, delivered, failed)")] = None,
        config: ConfigOption = None) -> None:
    """Entries waiting for (or done with) relay to other operators."""
    async def go(svc: MailServices) -> None:
        entries = await list_queue(svc.store, status)
        rows = [[e.id, e.sender, ", ".join(r["address"] for r in e.recipients), str(e.size),
                 e.status, str(e.attempts), e.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S"),
                 e.last_error or ""] for e in entries]
        print_table(["id", "sender", "recipients", "size", "status", "attempts",
                     "next attempt", "last error"], rows)
        console.print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")

    with_services(config, go)


async def _find(svc: MailServices, entry_id: str) -> QueueEntry:
    """The entry `entry_id` names (an id or a unique prefix), or exit 1 with a message."""
    from relay.queue import get_entry

    e = await get_entry(svc.store, entry_id)
    if e is None:
        err.print(f"[red]no queue entry {entry_id} (or the prefix is ambiguous)[/red]")
        raise typer.Exit(1)
    return e


@queue_app.command("show")
def queue_show(entry_id: str, config: ConfigOption = None) -> None:
    """One entry: envelope, DSN parameters, each recipient's state and last reply, and the
    message headers (the body is never shown)."""
    from crypto import open_with_secret
    from mailserver.delivery import queue_aad
    from mailserver.headers import split_headers

    async def go(svc: MailServices) -> None:
        e = await _find(svc, entry_id)
        console.print(f"id:            {e.id}")
        console.print(f"sender:        <{e.sender}>")
        console.print(f"status:        {e.status}")
        console.print(f"size:          {e.size}")
        console.print(f"attempts:      {e.attempts}")
        console.print(f"created:       {e.created_at}")
        console.print(f"next attempt:  {e.next_attempt_at}")
        console.print(f"delay notice:  {'sent' if e.delay_notified else 'not sent'}")
        console.print(f"last error:    {e.last_error or '-'}")
        params = {k: v for k, v in (e.params or {}).items() if k != "claim"}
        console.print(f"DSN params:    {params or '-'}")
        table = Table("recipient", "status", "notify", "orcpt", "last reply")
        for r in e.recipients:
            table.add_row(r["address"], r.get("status", "queued"),
                          ",".join(r.get("notify") or []) or "-", r.get("orcpt") or "-",
                          r.get("remote") or "")
        console.print(table)
        if e.sealed:
            raw = open_with_secret(svc.master_key, e.sealed, queue_aad(e.id))
            console.print("headers:")
            console.print(split_headers(raw).decode("utf-8", "replace").rstrip(),
                          markup=False, highlight=False)
        else:
            console.print("content: removed after delivery")

    with_services(config, go)


@queue_app.command("retry")
def queue_retry(entry_id: str, config: ConfigOption = None) -> None:
    """Make an entry due now (failed recipients are tried again)."""
    from relay.queue import retry_entry

    async def go(svc: MailServices) -> None:
        e = await _find(svc, entry_id)
        try:
            await retry_entry(svc.store, e.id)
        except ValueError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        console.print(f"{e.id} queued for an attempt now")

    with_services(config, go)


@queue_app.command("delete")
def queue_delete(entry_id: str, config: ConfigOption = None,
                 yes: Annotated[bool, typer.Option("--yes", help="Do not ask")] = False
                 ) -> None:
    """Remove an entry from the queue (its recipients will not get it; no DSN is sent)."""
    from relay.queue import delete_entry

    async def go(svc: MailServices) -> None:
        e = await _find(svc, entry_id)
        try:  # refused inside the delete transaction while a worker is sending it
            await delete_entry(svc.store, e.id)
        except ValueError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        except LookupError:
            err.print(f"[red]no queue entry {entry_id}[/red]")
            raise typer.Exit(1) from None
        console.print(f"deleted {e.id}")

    if not yes and not typer.confirm(f"delete queue entry {entry_id}?"):
        raise typer.Exit(1)
    with_services(config, go)
