"""Shared CLI plumbing: --config resolution, settings loading, services lifetime."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from config import ENV_CONFIG, ConfigError, Settings, load_settings
from mailserver.services import MailServices, build_services

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", envvar=ENV_CONFIG, help="Configuration file "
                 f"(default: ${ENV_CONFIG}).", show_default=False),
]


def fail(message: object, code: int = 1, *, prefix: str = "") -> NoReturn:
    """Print one red line on stderr and exit with `code`.

    The message is escaped: Rich would otherwise eat "[listeners.smtp]" as a style tag.
    """
    text = escape(str(message))
    err.print(f"[red]{escape(prefix)}[/red] {text}" if prefix else f"[red]{text}[/red]")
    raise typer.Exit(code)


def settings_or_exit(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as exc:
        fail(exc, 2, prefix="configuration error:")


@asynccontextmanager
async def services_for(config: Path | None) -> AsyncIterator[MailServices]:
    settings = settings_or_exit(config)
    svc = await build_services(settings)
    try:
        yield svc
    finally:
        await svc.close()


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


def with_services(config: Path | None, fn: Callable[[MailServices], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with services_for(config) as svc:
            return await fn(svc)

    return run(main())


def read_secret(prompt: str, from_stdin: bool, confirm: bool = True) -> str:
    """A password from stdin (one line) or an interactive prompt; never from argv."""
    if from_stdin:
        line = sys.stdin.readline()
        value = line.rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            err.print("[red]no terminal to ask for the password: use --password-stdin[/red]")
            raise typer.Exit(2)
        value = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    if not value:
        err.print("[red]empty password refused[/red]")
        raise typer.Exit(2)
    return value


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    """A Rich table on a terminal; tab-separated lines when piped, so nothing is cut."""
    if console.is_terminal:
        from rich.table import Table

        table = Table(*headers)
        for row in rows:
            table.add_row(*row)
        console.print(table)
    else:
        print("\t".join(headers))
        for row in rows:
            print("\t".join(row))
