"""Errors raised by the IMAP grammar (RFC 3501 §7.1.3 BAD responses)."""

from __future__ import annotations


class ParseError(Exception):
    """A command could not be parsed.

    ``tag`` is the command tag when it could be read (the server answers ``tag BAD``),
    ``None`` otherwise (the server answers ``* BAD``).  ``code`` is an optional response
    code atom the server may put in its answer (e.g. ``BADCHARSET``, ``TOOBIG``).
    """

    def __init__(self, tag: str | None, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.tag = tag
        self.message = message
        self.code = code

    def __repr__(self) -> str:
        return f"ParseError(tag={self.tag!r}, message={self.message!r}, code={self.code!r})"


class BadCharset(ParseError):
    """SEARCH named a CHARSET we cannot decode (RFC 3501 §6.4.4: ``NO [BADCHARSET]``)."""
