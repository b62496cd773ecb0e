"""`mssante queue …`: the outbound relay queue, for operators."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from mailserver.services import MailServices
from mailserver.store.store import list_queue
from mssante.context import ConfigOption, console, with_services

queue_app = typer.Typer(help="The outbound relay queue.", no_args_is_help=True)


@queue_app.command("list")
def queue_list(status: Annotated[str | None, typer.Option(
        help="Only entries in this status (queued, sending, delivered, failed)")] = None,
        config: ConfigOption = None) -> None:
    """Entries waiting for (or done with) relay to other operators."""
    async def go(svc: MailServices) -> None:
        entries = await list_queue(svc.store, status)
        table = Table("id", "sender", "recipients", "size", "status", "attempts", "next attempt",
                      "last error")
        for e in entries:
            table.add_row(e.id, e.sender, ", ".join(r["address"] for r in e.recipients),
                          str(e.size), e.status, str(e.attempts),
                          e.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S"), e.last_error or "")
        console.print(table)
        console.print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")

    with_services(config, go)
