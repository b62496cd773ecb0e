"""National identifiers and their check keys: RPPS, FINESS (Luhn) and the INS/NIR (key 97).

Pure functions. Each ``*_problem`` returns ``None`` for a valid identifier, or a short English
reason the caller puts in its error (the CLI and the importer word the rest).

* RPPS: 11 digits, the last a Luhn check digit (domain.md §8.1; national PP id ``8``+RPPS).
* FINESS: 9 characters, the last a Luhn check digit over the first 8 (domain.md §8.1;
  structure id ``1``+FINESS). Corsican FINESS numbers carry ``2A``/``2B`` in the
  département position; no Luhn rule over letters is published, so those are only checked
  for shape.
* INS matricule (NIR or NIA): 13 characters then a 2-digit key equal to
  ``97 - (number mod 97)`` (domain.md §4). For people born in Corsica the département is
  ``2A`` or ``2B``; INSEE's rule computes the key with ``2A`` read as ``19`` and ``2B`` as
  ``18``.
"""

from __future__ import annotations

import re

_RPPS = re.compile(r"[0-9]{11}")
_FINESS = re.compile(r"(?:[0-9]{2}|2[AB])[0-9]{7}")
_INS = re.compile(r"[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{8}")
_CORSICA = {"2A": "19", "2B": "18"}


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check over a string of digits, check digit last."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def rpps_problem(rpps: str) -> str | None:
    if not _RPPS.fullmatch(rpps):
        return "an RPPS number has 11 digits"
    if not luhn_valid(rpps):
        return "wrong check digit (Luhn key) in the RPPS number"
    return None


def finess_problem(finess: str) -> str | None:
    if not _FINESS.fullmatch(finess.upper()):
        return "a FINESS number has 9 characters (digits, 2A/2B for Corsica)"
    if finess.isdigit() and not luhn_valid(finess):
        return "wrong check digit (Luhn key) in the FINESS number"
    return None


def ins_key(number: str) -> int:
    """The key of the 13-character NIR/NIA `number` (2A/2B as INSEE maps them)."""
    dept = number[5:7].upper()
    digits = number[:5] + _CORSICA.get(dept, dept) + number[7:]
    return 97 - int(digits) % 97


def ins_problem(ins: str) -> str | None:
    """A 15-character INS matricule: the NIR/NIA and its key."""
    if not _INS.fullmatch(ins.upper()):
        return ("an INS matricule has 15 characters: 13 (NIR or NIA, 2A/2B for Corsica) "
                "and a 2-digit key")
    if int(ins[13:]) != ins_key(ins[:13]):
        return "wrong key (the last 2 digits) in the INS matricule"
    return None
