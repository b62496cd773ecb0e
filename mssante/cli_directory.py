"""``mssante directory …``: import the national files, search, statistics."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import typer

from mssante.context import ConfigOption, console, fail, print_table, run, settings_or_exit

directory_app = typer.Typer(help="The practitioner directory: import national files, search.",
                            no_args_is_help=True)


def _with_directory(config: Path | None, fn: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run ``fn(session_factory)`` on the configured database, the engine disposed after."""
    from config.loader import database_url
    from mailserver.store.engine import create_engine, session_factory

    settings = settings_or_exit(config)
    engine = create_engine(database_url(settings), pool_size=settings.database.pool_size)

    async def main() -> Any:
        try:
            return await fn(session_factory(engine))
        finally:
            await engine.dispose()

    return run(main())


@directory_app.command("import")
def import_cmd(
    files: list[Path] = typer.Argument(..., help="National files (.txt or .zip)", exists=True,
                                       dir_okay=False),
    config: ConfigOption = None,
    show_rejected: int = typer.Option(20, help="How many rejected lines to list"),
) -> None:
    """Import Extraction_Correspondance_MSSante and/or PS_LibreAcces files (full snapshots)."""
    from directory import DirectoryImportError, import_files

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        report = _with_directory(config, lambda sessions: import_files(sessions, files))
    except DirectoryImportError as exc:
        fail(exc)
    for f in report.files:
        if f.skipped:
            console.print(f"{f.name}: skipped ({f.skipped})")
            continue
        console.print(f"[bold]{f.name}[/bold] ({f.kind}): {f.lines_read} lines read, "
                      f"{f.created} created, {f.updated} updated, {f.removed} removed, "
                      f"{f.withheld} withheld (liste rouge), {f.rejected_count} rejected "
                      f"in {f.seconds:.1f} s")
        if f.unknown_columns:
            console.print(f"  unknown columns ignored: {', '.join(f.unknown_columns)}")
        for r in f.rejected[:show_rejected]:
            console.print(f"  line {r.line}: {r.reason}")
        if f.rejected_count > show_rejected:
            console.print(f"  … and {f.rejected_count - show_rejected} more rejected lines")


@directory_app.command("search")
def search_cmd(
    text: str = typer.Argument("", help="Free text: name, organisation, city, specialty…"),
    profession: str | None = typer.Option(None, help="Profession code (10 = médecin)"),
    specialty: str | None = typer.Option(None, help="Savoir-faire code (SM04 = cardiologie)"),
    postcode: str | None = typer.Option(None, help="Postcode or its first digits"),
    department: str | None = typer.Option(None, help="Département code"),
    kind: str | None = typer.Option(None, help="Mailbox kind: PER, ORG, APP, CAB"),
    organisation: str | None = typer.Option(None, help="FINESS, SIRET or SIREN"),
    limit: int = typer.Option(20, min=1, max=100),
    offset: int = typer.Option(0, min=0),
    config: ConfigOption = None,
) -> None:
    """Search the directory as the webmail's address completion does."""
    from directory import SearchQuery, search

    page = _with_directory(config, lambda sessions: search(sessions, SearchQuery(
        text=text, profession=profession, specialty=specialty, postcode=postcode,
        department=department, kind=kind, organisation=organisation, limit=limit,
        offset=offset)))
    # Through print_table: tab-separated when piped, so addresses are never cut.
    print_table(["name", "profession / specialty", "organisation", "place", "mailboxes"],
                [[h.name, " / ".join(p for p in (h.profession, h.specialty) if p),
                  " — ".join(p for p in (h.service, h.organisation) if p),
                  f"{h.postcode} {h.city}".strip(),
                  ", ".join(f"{m.address} ({m.kind})" for m in h.mailboxes)]
                 for h in page.hits])
    if page.has_more:
        console.print(f"more: --offset {page.next_offset}")


@directory_app.command("stats")
def stats_cmd(config: ConfigOption = None) -> None:
    """Counts of practitioners, activities and mailboxes by kind."""
    from directory import stats

    st = _with_directory(config, stats)
    rows = [["practitioners", str(st.practitioners)], ["activities", str(st.activities)]]
    rows += [[f"mailboxes {kind}", str(n)] for kind, n in st.mailboxes.items()]
    rows.append(["mailboxes (local)", str(st.local_mailboxes)])
    print_table(["what", "count"], rows)
