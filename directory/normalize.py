"""Text normalisation shared by the importer and the search: accent- and case-insensitive."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=262144)
def norm(text: str | None) -> str:
    """Lower case, no accents, single spaces between words: "Hélène D'ARC" -> "helene d arc"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return _NON_ALNUM.sub(" ", ascii_text).strip()


def tokens(text: str | None) -> list[str]:
    """The search tokens of a text (normalised words), in order, without repeats."""
    seen: dict[str, None] = {}
    for tok in norm(text).split():
        seen.setdefault(tok, None)
    return list(seen)


def search_text(*parts: str | None) -> str:
    """One normalised document from several fields, duplicate words removed.

    ``norm`` of parts joined by spaces equals their normal forms joined by spaces, so each part
    is normalised on its own: the cache then hits (names, labels and cities repeat a lot).
    """
    seen: dict[str, None] = {}
    for part in parts:
        if part:
            for tok in norm(part).split():
                seen[tok] = None
    return " ".join(seen)


def joined(name: str | None) -> str:
    """A multi-word name written as one word too: "D'ARC" -> "darc" (else empty)."""
    n = norm(name)
    return n.replace(" ", "") if " " in n else ""


def department_of(postcode: str | None, declared: str | None = None) -> str:
    """The département code: the declared one when it looks like a code, else from the postcode."""
    if declared:
        d = declared.strip().upper()
        if 1 <= len(d) <= 3 and d.isalnum():
            return d.zfill(2) if d.isdigit() and len(d) == 1 else d
    pc = (postcode or "").strip()
    if len(pc) != 5 or not pc.isdigit():
        return ""
    if pc.startswith("97") or pc.startswith("98"):
        return pc[:3]
    if pc.startswith("20"):
        return "2A" if int(pc) < 20200 else "2B"
    return pc[:2]


def luhn_check_digit(digits: str) -> str:
    """The Luhn check digit to append to ``digits`` (RPPS numbers end with one)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return number.isdigit() and len(number) > 1 and luhn_check_digit(number[:-1]) == number[-1]


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (ASCII)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "\x7f"
