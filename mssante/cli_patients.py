"""`mssante patient …`: records that shape what patients may do (design brief §6)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from mailserver.services import MailServices
from mssante.context import ConfigOption, console, err, with_services

patient_app = typer.Typer(help="Patient messaging records.", no_args_is_help=True)


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}") from None


@patient_app.command("dispensation")
def dispensation(
    patient: Annotated[str | None, typer.Argument(help="Patient address")] = None,
    pharmacy: Annotated[str | None, typer.Argument(help="Pharmacy (ORG) mailbox")] = None,
    on: Annotated[str | None, typer.Option(help="Dispensation date, YYYY-MM-DD")] = None,
    file: Annotated[Path | None, typer.Option(
        help="CSV file with columns patient,pharmacy,date (header line required)")] = None,
    config: ConfigOption = None,
) -> None:
    """Record a pharmacy dispensation: the patient may then write first to that pharmacy
    for a year (Mon Espace Santé rule). One record, or many from a CSV file."""
    rows: list[tuple[int, str, str, str]] = []
    if file is not None:
        with file.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or not {"patient", "pharmacy", "date"} <= set(
                    reader.fieldnames):
                err.print("[red]the CSV header must name patient, pharmacy and date[/red]")
                raise typer.Exit(2)
            for n, row in enumerate(reader, start=2):
                rows.append((n, row["patient"] or "", row["pharmacy"] or "", row["date"] or ""))
    elif patient and pharmacy and on:
        rows.append((0, patient, pharmacy, on))
    else:
        err.print("[red]give PATIENT PHARMACY --on DATE, or --file FILE[/red]")
        raise typer.Exit(2)

    async def go(svc: MailServices) -> None:
        added, rejected = 0, []
        for line, who, where, when in rows:
            where_ = f"line {line}: " if line else ""
            acc = await svc.store.get_account(who.strip())
            if acc is None or not acc.is_patient:
                rejected.append(f"{where_}{who!r} is not a patient account here")
                continue
            pharmacy_acc = await svc.store.get_account(where.strip())
            if pharmacy_acc is not None and pharmacy_acc.kind != "ORG":
                rejected.append(f"{where_}{where!r} is not an ORG (pharmacy) mailbox")
                continue
            try:
                day = _parse_day(when)
            except ValueError as exc:
                rejected.append(f"{where_}{exc}")
                continue
            await svc.patients.add_dispensation(acc, where.strip(), day)
            added += 1
        console.print(f"{added} dispensation record(s) added")
        for reason in rejected:
            err.print(f"[yellow]rejected[/yellow] {reason}")
        if rejected and not added:
            raise typer.Exit(1)

    with_services(config, go)
