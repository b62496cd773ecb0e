"""Sequence sets (RFC 3501 §9 ``sequence-set``, ``seq-range``, ``seq-number``).

``*`` is represented by ``None`` and stands for the largest number in use (the number of
messages for sequence numbers, the highest UID for UIDs).  Ranges may be written in any
order (``5:2`` is ``2:5``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MAX_NUMBER = 4294967295  # nz-number is a 32-bit unsigned value (RFC 3501 §9)


def _number(text: str) -> int | None:
    """seq-number = nz-number / "*" (RFC 3501 §9)."""
    if text == "*":
        return None
    if not text.isdigit() or not text.isascii() or text.startswith("0"):
        raise ValueError(f"invalid sequence number {text!r}")
    value = int(text)
    if value > MAX_NUMBER:
        raise ValueError(f"sequence number out of range {text!r}")
    return value


@dataclass(frozen=True)
class SeqRange:
    """seq-range = seq-number ":" seq-number, or a single seq-number (start == end)."""

    start: int | None
    end: int | None

    def bounds(self, star: int) -> tuple[int, int]:
        """(low, high) once ``*`` is replaced by ``star``."""
        a = star if self.start is None else self.start
        b = star if self.end is None else self.end
        return (a, b) if a <= b else (b, a)

    def __str__(self) -> str:
        a = "*" if self.start is None else str(self.start)
        if self.start == self.end:
            return a
        return f"{a}:{'*' if self.end is None else self.end}"


@dataclass(frozen=True)
class SequenceSet:
    """sequence-set = (seq-number / seq-range) ["," sequence-set] (RFC 3501 §9)."""

    ranges: tuple[SeqRange, ...]

    @classmethod
    def parse(cls, text: str) -> SequenceSet:
        """Parse the wire form; raises ``ValueError`` when malformed."""
        if not text:
            raise ValueError("empty sequence set")
        ranges: list[SeqRange] = []
        for part in text.split(","):
            pieces = part.split(":")
            if len(pieces) == 1:
                n = _number(pieces[0])
                ranges.append(SeqRange(n, n))
            elif len(pieces) == 2:
                ranges.append(SeqRange(_number(pieces[0]), _number(pieces[1])))
            else:
                raise ValueError(f"invalid sequence range {part!r}")
        return cls(tuple(ranges))

    @classmethod
    def from_numbers(cls, numbers: Iterable[int]) -> SequenceSet:
        """Compact set covering exactly ``numbers`` (e.g. for COPYUID, RFC 4315 §3)."""
        ordered = sorted(set(numbers))
        if not ordered:
            raise ValueError("empty sequence set")
        ranges: list[SeqRange] = []
        start = prev = ordered[0]
        for n in ordered[1:]:
            if n == prev + 1:
                prev = n
                continue
            ranges.append(SeqRange(start, prev))
            start = prev = n
        ranges.append(SeqRange(start, prev))
        return cls(tuple(ranges))

    @property
    def uses_star(self) -> bool:
        return any(r.start is None or r.end is None for r in self.ranges)

    def largest_explicit(self) -> int:
        """Largest number written explicitly (0 if only ``*``)."""
        values = [v for r in self.ranges for v in (r.start, r.end) if v is not None]
        return max(values, default=0)

    def iter_bounds(self, star: int) -> Iterator[tuple[int, int]]:
        """Each range as (low, high) with ``*`` = ``star``."""
        for r in self.ranges:
            yield r.bounds(star)

    def contains(self, n: int, star_value: int) -> bool:
        """Whether ``n`` is in the set when ``*`` stands for ``star_value``."""
        return any(lo <= n <= hi for lo, hi in self.iter_bounds(star_value))

    def resolve(self, max_value: int) -> list[int]:
        """Sorted unique numbers in ``1..max_value`` (``*`` = ``max_value``).

        A range reaching past ``max_value`` is clipped, so ``559:*`` with a highest UID of
        100 yields ``[100]`` as RFC 3501 §6.4.8 requires.
        """
        if max_value <= 0:
            return []
        out: set[int] = set()
        for lo, hi in self.iter_bounds(max_value):
            lo, hi = max(lo, 1), min(hi, max_value)
            if lo <= hi:
                out.update(range(lo, hi + 1))
        return sorted(out)

    def filter(self, values: Iterable[int], star_value: int) -> list[int]:
        """The members of ``values`` (e.g. existing UIDs) that are in the set, sorted."""
        return sorted(v for v in set(values) if self.contains(v, star_value))

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.ranges)
