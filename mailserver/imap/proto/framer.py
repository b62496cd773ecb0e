"""Incremental command framer: bytes -> complete commands (RFC 3501 §2.2, §4.3, §7.5;
non-synchronising literals RFC 7888 §3).

Feed the bytes read from the socket with ``feed``; call ``next_event`` (or iterate) until
it returns ``None``.  Events:

* ``NeedContinuation(size)`` - a synchronising literal ``{N}`` was accepted: the server
  must now send ``+ Ready`` before the client sends the N bytes.
* ``CompleteCommand(raw, literals)`` - one whole command; ``raw`` is the bytes as received
  (literal markers and data included, final CRLF included) for ``parse_command``.
* ``FramingError(tag, text, code)`` - the command was rejected while framing (line too
  long, literal too big: ``code="TOOBIG"``).  For a synchronising literal no ``+`` is owed;
  for a non-synchronising one the framer silently discards the announced bytes and the
  rest of that command.

Lines also carry the non-command client lines (SASL responses, ``DONE`` after IDLE): they
come out as ``CompleteCommand``.  Buffering is bounded by the construction limits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Union

# literal marker closing a line: "{" number ["+"] "}" CRLF (RFC 3501 §9, RFC 7888 §3)
_MARKER = re.compile(rb"\{(\d{1,20})(\+?)\}\r?\n\Z")
# tag = 1*<any ASTRING-CHAR except "+"> (RFC 3501 §9)
_TAG = re.compile(rb"([!#$&',-./0-9:;<=>?@A-Z\[\]^_`a-z|}~]+) ")
_TAIL = 32


class _More:
    """Internal marker: a line was consumed, no event yet, keep going."""


_MORE = _More()


@dataclass(frozen=True)
class NeedContinuation:
    """Send ``+ ...`` now: the client waits before sending ``size`` literal bytes."""

    size: int


@dataclass(frozen=True)
class CompleteCommand:
    """A whole command: ``raw`` as received, ``literals`` the literal payloads in order."""

    raw: bytes
    literals: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class FramingError:
    """A command rejected while framing; ``tag`` is None when it could not be read."""

    tag: str | None
    text: str
    code: str | None = None


FramerEvent = Union[NeedContinuation, CompleteCommand, FramingError]  # noqa: UP007


def extract_tag(line: bytes) -> str | None:
    """The tag at the start of a command line, if one can be read."""
    m = _TAG.match(line)
    return m.group(1).decode("ascii") if m else None


class CommandFramer:
    """Splits a client byte stream into commands, honouring literals and limits."""

    def __init__(
        self,
        max_line_length: int = 8192,
        max_literal_size: int = 50 * 1024 * 1024,
        max_command_size: int | None = None,
    ) -> None:
        self.max_line_length = max_line_length
        self.max_literal_size = max_literal_size
        self.max_command_size = (
            max_command_size
            if max_command_size is not None
            else max_literal_size + 16 * max_line_length
        )
        self._buf = bytearray()
        self._parts: list[bytes] = []
        self._literals: list[bytes] = []
        self._size = 0
        self._literal = bytearray()
        self._literal_left = 0  # bytes still expected for the current literal
        self._discard_left = 0  # bytes of a rejected non-synchronising literal to drop
        self._discarding_line = False  # dropping the rest of a rejected command line
        self._tail = b""  # last bytes of the line being discarded (literal marker check)

    # -- public API ------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Append bytes received from the client."""
        self._buf += data

    def next_event(self) -> FramerEvent | None:
        """The next event, or ``None`` when more bytes are needed."""
        while True:
            if self._discard_left:
                if not self._drop_literal():
                    return None
            elif self._discarding_line:
                if not self._drop_line():
                    return None
            elif self._literal_left:
                if not self._read_literal():
                    return None
            else:
                event = self._read_line()
                if not isinstance(event, _More):
                    return event

    def __iter__(self) -> Iterator[FramerEvent]:
        while (event := self.next_event()) is not None:
            yield event

    @property
    def in_command(self) -> bool:
        """True when part of a command has been received (e.g. mid-literal)."""
        return bool(self._parts or self._literal_left or self._buf)

    # -- states ------------------------------------------------------------------------
    def _read_line(self) -> FramerEvent | None | _More:
        """One line: a complete command, a literal announcement, or ``_MORE`` to go on."""
        idx = self._buf.find(b"\n")
        if idx < 0:
            if len(self._buf) > self.max_line_length:
                tag = self._current_tag(bytes(self._buf[:256]))
                self._tail = bytes(self._buf[-_TAIL:])
                self._buf.clear()
                self._discarding_line = True
                self._reset()
                return FramingError(tag, "line too long")
            return None
        line = bytes(self._buf[: idx + 1])
        del self._buf[: idx + 1]
        if len(line) > self.max_line_length + 2:
            tag = self._current_tag(line)
            self._reset()
            self._after_rejected_line(line)
            return FramingError(tag, "line too long")
        self._parts.append(line)
        self._size += len(line)
        m = _MARKER.search(line)
        if m is None:
            if self._size > self.max_command_size:
                tag = self._current_tag(line)
                self._reset()
                return FramingError(tag, "command too long", "TOOBIG")
            event = CompleteCommand(b"".join(self._parts), tuple(self._literals))
            self._reset()
            return event
        size, plus = int(m.group(1)), bool(m.group(2))
        if size > self.max_literal_size or self._size + size > self.max_command_size:
            tag = self._current_tag(line)
            self._reset()
            self._discard_left = size if plus else 0
            self._discarding_line = plus and size == 0
            return FramingError(tag, "literal too big", "TOOBIG")
        self._literal_left = size
        if size == 0:
            self._literals.append(b"")
        return _MORE if plus else NeedContinuation(size)

    def _read_literal(self) -> bool:
        take = min(self._literal_left, len(self._buf))
        self._literal += self._buf[:take]
        del self._buf[:take]
        self._literal_left -= take
        if self._literal_left:
            return False
        data = bytes(self._literal)
        self._literal.clear()
        self._parts.append(data)
        self._literals.append(data)
        self._size += len(data)
        return True

    def _drop_literal(self) -> bool:
        take = min(self._discard_left, len(self._buf))
        del self._buf[:take]
        self._discard_left -= take
        if self._discard_left:
            return False
        self._discarding_line = True  # the rest of the rejected command follows
        self._tail = b""
        return True

    def _drop_line(self) -> bool:
        idx = self._buf.find(b"\n")
        if idx < 0:
            self._tail = (self._tail + bytes(self._buf))[-_TAIL:]
            self._buf.clear()
            return False
        line_end = (self._tail + bytes(self._buf[: idx + 1]))[-_TAIL:]
        del self._buf[: idx + 1]
        self._discarding_line = False
        self._after_rejected_line(line_end)
        return True

    def _after_rejected_line(self, line_end: bytes) -> None:
        """A rejected line ending in ``{N+}`` is followed by N bytes to drop (RFC 7888 §4)."""
        m = _MARKER.search(line_end)
        self._tail = b""
        if m is not None and m.group(2):
            self._discard_left = int(m.group(1))
            self._discarding_line = self._discard_left == 0

    # -- helpers -----------------------------------------------------------------------
    def _current_tag(self, line: bytes) -> str | None:
        return extract_tag(self._parts[0] if self._parts else line)

    def _reset(self) -> None:
        self._parts = []
        self._literals = []
        self._size = 0
        self._literal_left = 0
        self._literal.clear()
