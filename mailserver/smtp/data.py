"""Reading the DATA section (RFC 5321 4.1.1.4, 4.5.2), strictly.

Only CRLF "." CRLF ends the data. A bare CR or a bare LF anywhere refuses the whole message
(the same defence as Postfix's ``smtpd_forbid_bare_newline``), so "\\n.\\n", "\\r.\\r" or
"\\r\\n.\\n" can never end a message here, and a message that holds one is never stored:
no second message can be smuggled through us. A NUL byte refuses the message too (RFC 5321
§4.5.2 forbids it in text): a receiver further on that drops NULs would otherwise see
line ends we never saw. Reading always continues to the real end of
the data, so the session stays in step with the client whatever the verdict.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class DataVerdict(Enum):
    OK = "ok"
    TOO_BIG = "too-big"
    LINE_TOO_LONG = "line-too-long"
    BARE_NEWLINE = "bare-newline"
    NUL = "nul"


@dataclass
class DataResult:
    verdict: DataVerdict
    content: bytes
    size: int      # bytes received after dot-unstuffing, CRLFs included


async def read_data(reader: asyncio.StreamReader, *, max_size: int, max_line: int,
                    touch: Callable[[], None] | None = None) -> DataResult:
    """Read up to the terminating CRLF.CRLF; the reader's limit must be >= max_line.

    ``max_line`` counts the CRLF (RFC 5321 4.5.3.1.6: 1000); a stuffed dot is not counted.
    ``touch`` is called as data flows, to keep an idle timer from firing mid-message.
    """
    lines: list[bytes] = []
    size = 0
    verdict = DataVerdict.OK
    in_long_line = False
    since_touch = 0
    while True:
        try:
            line = await reader.readuntil(b"\r\n")
        except asyncio.LimitOverrunError as exc:
            # A line longer than the stream limit: drop what we have of it and go on.
            chunk = await reader.read(exc.consumed)
            size += len(chunk)
            in_long_line = True
            if verdict is DataVerdict.OK:
                verdict = DataVerdict.LINE_TOO_LONG
                lines.clear()
            continue
        if in_long_line:          # the tail of an over-long line: never a terminator
            in_long_line = False
            size += len(line)
            continue
        if line == b".\r\n":
            break
        if line[:1] == b".":
            line = line[1:]
        size += len(line)
        if touch is not None:
            since_touch += len(line)
            if since_touch >= 65536:
                since_touch = 0
                touch()
        if verdict is not DataVerdict.OK:
            continue
        # readuntil stopped at the first CRLF: any other CR or LF in the line is bare.
        if line.count(b"\n") != 1 or line.count(b"\r") != 1:
            verdict = DataVerdict.BARE_NEWLINE
            lines.clear()
        elif b"\0" in line:
            verdict = DataVerdict.NUL
            lines.clear()
        elif len(line) > max_line:
            verdict = DataVerdict.LINE_TOO_LONG
            lines.clear()
        elif size > max_size:
            verdict = DataVerdict.TOO_BIG
            lines.clear()
        else:
            lines.append(line)
    if verdict is DataVerdict.OK and size > max_size:
        verdict = DataVerdict.TOO_BIG
    if verdict is not DataVerdict.OK:
        return DataResult(verdict, b"", size)
    return DataResult(verdict, b"".join(lines), size)
