"""The message catalogue: French first, English second (gettext .mo files under locale/).

The language of a page is the account's setting when logged in, else the browser's
Accept-Language, else French.
"""

from __future__ import annotations

import gettext
from enum import StrEnum
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


class Language(StrEnum):
    FR = "fr"
    EN = "en"


LANGUAGE_NAMES = {Language.FR: "Français", Language.EN: "English"}


@cache
def translations(language: Language) -> gettext.GNUTranslations:
    with (LOCALE_DIR / language.value / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as f:
        return gettext.GNUTranslations(f)


def parse_language(value: object) -> Language | None:
    try:
        return Language(str(value).strip().lower())
    except ValueError:
        return None


def negotiate(accept_language: str, default: Language = Language.FR) -> Language:
    """Pick fr or en from an Accept-Language header (RFC 9110 §12.5.4), default French."""
    wanted: list[tuple[float, int, str]] = []
    for index, item in enumerate(accept_language.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            wanted.append((-quality, index, tag.strip()))
    for _, _, tag in sorted(wanted):
        try:
            language = parse_language(Locale.parse(tag, sep="-").language)
        except (ValueError, UnknownLocaleError):
            continue
        if language is not None:
            return language
    return default
