"""`mssante patient dispensation`: the records behind the pharmacy exception (§6)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

from mailserver.services import build_services
from mssante.init import initialise
from tests.conftest import init_options
from tests.mssante.serverproc import mssante

PATIENT = "279035121518989@patient.test"
PHARMACY = "pharmacie@hopital.test"
DOCTOR = "dr@hopital.test"


def test_dispensation_records_open_first_contact(tmp_path: Path) -> None:
    settings = asyncio.run(initialise(init_options(tmp_path / "data")))
    cfg = settings.config_file
    for address, kind in ((PATIENT, "patient"), (PHARMACY, "org"), (DOCTOR, "per")):
        mssante("account", "add", address, "--kind", kind, "--password-stdin", config=cfg,
                stdin="pw\n")
    recent = (date.today() - timedelta(days=20)).isoformat()
    out = mssante("patient", "dispensation", PATIENT, PHARMACY, "--on", recent, config=cfg)
    assert "1 dispensation record(s) added" in out.stdout
    csv_file = tmp_path / "dispensations.csv"
    csv_file.write_text("patient,pharmacy,date\n"
                        f"{PATIENT},{DOCTOR},{recent}\n"          # not a pharmacy mailbox
                        f"{DOCTOR},{PHARMACY},{recent}\n"          # not a patient
                        f"{PATIENT},{PHARMACY},23/11/2026\n"       # bad date
                        f"{PATIENT},pharma@autre.test,{recent}\n")  # a remote pharmacy
    res = mssante("patient", "dispensation", "--file", str(csv_file), config=cfg)
    assert "1 dispensation record(s) added" in res.stdout
    assert "line 2:" in res.stderr and "line 3:" in res.stderr and "line 4:" in res.stderr

    async def allowed(to: str) -> str | None:
        services = await build_services(settings)
        try:
            patient = await services.store.get_account(PATIENT)
            return await services.patients.check(patient, to, None)
        finally:
            await services.close()

    assert asyncio.run(allowed(PHARMACY)) is None
    assert asyncio.run(allowed("pharma@autre.test")) is None
    assert asyncio.run(allowed(DOCTOR)) is not None  # no dispensation: no first contact
    res = mssante("patient", "dispensation", config=cfg, check=False)
    assert res.returncode == 2
