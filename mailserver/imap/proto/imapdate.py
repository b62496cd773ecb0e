"""IMAP dates (RFC 3501 §9 ``date``, ``date-time``) and their wire formatting."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_INDEX = {m.upper(): i + 1 for i, m in enumerate(MONTHS)}

# date-text = date-day "-" date-month "-" date-year (RFC 3501 §9)
_DATE = re.compile(r"^(\d{1,2})-([A-Za-z]{3})-(\d{4})$")
# date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
_DATETIME = re.compile(
    r"^([ \d]?\d)-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$"
)


def _month(text: str) -> int:
    month = _MONTH_INDEX.get(text.upper())
    if month is None:
        raise ValueError(f"invalid month {text!r}")
    return month


def parse_date(text: str) -> date:
    """RFC 3501 §9 ``date-text`` (without quotes) -> ``date``; ``ValueError`` if invalid."""
    m = _DATE.match(text)
    if not m:
        raise ValueError(f"invalid date {text!r}")
    return date(int(m.group(3)), _month(m.group(2)), int(m.group(1)))


def parse_datetime(text: str) -> datetime:
    """RFC 3501 §9 ``date-time`` contents (without quotes) -> aware ``datetime``."""
    m = _DATETIME.match(text)
    if not m:
        raise ValueError(f"invalid date-time {text!r}")
    day, mon, year, hh, mm, ss, sign, zh, zm = m.groups()
    offset = timedelta(hours=int(zh), minutes=int(zm))
    if offset >= timedelta(hours=24):
        raise ValueError("invalid zone")
    tz = timezone(-offset if sign == "-" else offset)
    return datetime(int(year), _month(mon), int(day), int(hh), int(mm), int(ss), tzinfo=tz)


def format_datetime(value: datetime) -> str:
    """``dd-Mon-yyyy hh:mm:ss +zzzz`` (RFC 3501 §9 ``date-time``, without the quotes).

    Naive datetimes are taken as UTC.  The day is zero-padded (``date-day-fixed`` = 2DIGIT).
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    offset = value.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return (
        f"{value.day:02d}-{MONTHS[value.month - 1]}-{value.year:04d} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d} "
        f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
    )
