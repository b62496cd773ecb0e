"""Accounts check national identifiers with their keys (RPPS Luhn, INS key 97)."""

from __future__ import annotations

import pytest

from directory.identifiers import ins_key
from mailserver.accounts import AccountError
from mailserver.services import MailServices


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_identifier_keys_are_checked(services: MailServices) -> None:
    with pytest.raises(AccountError, match="Luhn"):
        await services.accounts.add("a@hopital.test", "per", "pw", rpps="10001045368")
    new = await services.accounts.add("a@hopital.test", "per", "pw", rpps="10001045367")
    assert new.account.national_id == "10001045367"
    with pytest.raises(AccountError, match="wrong key"):
        await services.accounts.add("279035121518988@patient.test", "patient", "pw")
    corsican = "185052A123456"
    ins = f"{corsican}{ins_key(corsican):02d}"
    new = await services.accounts.add(f"{ins}@patient.test", "patient", "pw")
    assert new.account.national_id == ins.upper()
