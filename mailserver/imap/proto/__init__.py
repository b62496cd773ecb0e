"""Pure IMAP4rev1 grammar for mssante: bytes -> typed commands, typed responses -> bytes.

No I/O, no asyncio, no storage (design brief §7).  Modules:

* ``framer``   - ``CommandFramer``: byte stream -> complete commands, literals, limits
* ``parser``   - ``parse_command``, ``parse_idle_done``, ``parse_sasl_response``
* ``commands`` - command dataclasses; ``search`` / ``fetchatt`` - SEARCH and FETCH ASTs
* ``seqset``, ``mutf7``, ``imapdate`` - sequence sets, mailbox names, dates
* ``responses``, ``codes``, ``wire`` - response dataclasses and serialisation
* ``message``, ``envelope``, ``mime``, ``sections`` - ENVELOPE, BODYSTRUCTURE, BODY[...]
"""

from .errors import BadCharset, ParseError
from .framer import CommandFramer, CompleteCommand, FramerEvent, FramingError, NeedContinuation
from .parser import parse_command, parse_idle_done, parse_sasl_response
from .seqset import SeqRange, SequenceSet

__all__ = [
    "BadCharset",
    "CommandFramer",
    "CompleteCommand",
    "FramerEvent",
    "FramingError",
    "NeedContinuation",
    "ParseError",
    "SeqRange",
    "SequenceSet",
    "parse_command",
    "parse_idle_done",
    "parse_sasl_response",
]
