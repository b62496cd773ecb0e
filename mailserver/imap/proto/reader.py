"""Cursor over one framed command: the lexical rules of RFC 3501 §9 (Formal Syntax).

A ``Reader`` holds the whole command (literal data included, as framed by
``CommandFramer``) and consumes it token by token.  Every failure raises ``ParseError``
carrying the tag once it has been read.
"""

from __future__ import annotations

import re

from .errors import ParseError
from .mutf7 import decode_mutf7, encode_mutf7, normalise_mailbox, unusable_name
from .seqset import SequenceSet

# RFC 3501 §9: atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards /
#                              quoted-specials / resp-specials
_ATOM_SPECIALS = frozenset(b'(){ %*"\\]')


def _is_atom_char(c: int) -> bool:
    """ATOM-CHAR = <any CHAR except atom-specials> (RFC 3501 §9)."""
    return 0x20 < c < 0x7F and c not in _ATOM_SPECIALS


def _is_astring_char(c: int) -> bool:
    """ASTRING-CHAR = ATOM-CHAR / resp-specials (RFC 3501 §9)."""
    return _is_atom_char(c) or c == 0x5D


def _is_list_char(c: int) -> bool:
    """list-char = ATOM-CHAR / list-wildcards / resp-specials (RFC 3501 §9)."""
    return _is_astring_char(c) or c in (0x25, 0x2A)


# literal = "{" number ["+"] "}" CRLF *CHAR8   (RFC 3501 §9, RFC 7888 §3 "literal+")
_LITERAL = re.compile(rb"\{(\d{1,10})(\+?)\}\r?\n")
_SEQSET_CHARS = frozenset(b"0123456789:*,")


class Reader:
    """Token reader over a complete command."""

    def __init__(self, data: bytes) -> None:
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        self.data = data
        self.pos = 0
        self.tag: str | None = None

    # -- basics -----------------------------------------------------------------------
    def error(self, message: str, code: str | None = None) -> ParseError:
        return ParseError(self.tag, message, code)

    def at_end(self) -> bool:
        return self.pos >= len(self.data)

    def peek(self) -> int | None:
        return self.data[self.pos] if self.pos < len(self.data) else None

    def peek_is(self, token: bytes) -> bool:
        return self.data[self.pos : self.pos + len(token)] == token

    def peek_word_ci(self, word: bytes) -> bool:
        """Next bytes are ``word`` (case-insensitive) followed by a non-atom char."""
        end = self.pos + len(word)
        if self.data[self.pos : end].upper() != word.upper():
            return False
        return end >= len(self.data) or not _is_atom_char(self.data[end])

    def expect(self, token: bytes) -> None:
        if not self.peek_is(token):
            raise self.error(f"expected {token.decode()!r}")
        self.pos += len(token)

    def sp(self) -> None:
        """SP (RFC 5234 / RFC 3501 §9): exactly one space."""
        self.expect(b" ")

    def try_sp(self) -> bool:
        if self.peek() == 0x20:
            self.pos += 1
            return True
        return False

    def end(self) -> None:
        """CRLF: nothing may follow the last argument."""
        if not self.at_end():
            raise self.error("unexpected extra arguments")

    # -- tokens -----------------------------------------------------------------------
    def read_tag(self) -> str:
        """tag = 1*<any ASTRING-CHAR except "+"> (RFC 3501 §9)."""
        start = self.pos
        while (c := self.peek()) is not None and _is_astring_char(c) and c != 0x2B:
            self.pos += 1
        if self.pos == start:
            raise ParseError(None, "missing or invalid tag")
        self.tag = self.data[start : self.pos].decode("ascii")
        return self.tag

    def atom(self) -> str:
        """atom = 1*ATOM-CHAR (RFC 3501 §9)."""
        start = self.pos
        while (c := self.peek()) is not None and _is_atom_char(c):
            self.pos += 1
        if self.pos == start:
            raise self.error("expected atom")
        return self.data[start : self.pos].decode("ascii")

    def keyword(self) -> str:
        """An atom upper-cased (command names, search keys, fetch att names)."""
        return self.atom().upper()

    def number(self) -> int:
        """number = 1*DIGIT, unsigned 32-bit (RFC 3501 §9)."""
        return self._digits(4294967295)

    def number64(self) -> int:
        """mod-sequence-value = 1*DIGIT, unsigned 63-bit (RFC 7162 §7)."""
        return self._digits(9223372036854775807)

    def nz_number(self) -> int:
        """nz-number = digit-nz *DIGIT (RFC 3501 §9)."""
        value = self.number()
        if value == 0:
            raise self.error("expected non-zero number")
        return value

    def _digits(self, limit: int) -> int:
        start = self.pos
        while (c := self.peek()) is not None and 0x30 <= c <= 0x39:
            self.pos += 1
        if self.pos == start:
            raise self.error("expected number")
        text = self.data[start : self.pos]
        if len(text) > 20 or int(text) > limit:
            raise self.error("number out of range")
        return int(text)

    def quoted(self) -> bytes:
        """quoted = DQUOTE *QUOTED-CHAR DQUOTE (RFC 3501 §9; 8-bit accepted, RFC 9051)."""
        self.expect(b'"')
        out = bytearray()
        while True:
            c = self.peek()
            if c is None or c in (0x0A, 0x0D, 0x00):
                raise self.error("unterminated quoted string")
            self.pos += 1
            if c == 0x22:
                return bytes(out)
            if c == 0x5C:
                esc = self.peek()
                if esc not in (0x22, 0x5C):
                    raise self.error("invalid escape in quoted string")
                out.append(esc)
                self.pos += 1
            else:
                out.append(c)

    def literal(self) -> bytes:
        """literal = "{" number ["+"] "}" CRLF *CHAR8 (RFC 3501 §9, RFC 7888 §3)."""
        m = _LITERAL.match(self.data, self.pos)
        if not m:
            raise self.error("invalid literal")
        size = int(m.group(1))
        start = m.end()
        if start + size > len(self.data):
            raise self.error("truncated literal")
        self.pos = start + size
        return self.data[start : self.pos]

    def string(self) -> bytes:
        """string = quoted / literal (RFC 3501 §9)."""
        c = self.peek()
        if c == 0x22:
            return self.quoted()
        if c == 0x7B:
            return self.literal()
        raise self.error("expected string")

    def astring(self) -> bytes:
        """astring = 1*ASTRING-CHAR / string (RFC 3501 §9)."""
        c = self.peek()
        if c in (0x22, 0x7B):
            return self.string()
        start = self.pos
        while (c := self.peek()) is not None and _is_astring_char(c):
            self.pos += 1
        if self.pos == start:
            raise self.error("expected astring")
        return self.data[start : self.pos]

    def nstring_or_nil(self) -> bytes | None:
        """nstring = string / nil (RFC 3501 §9)."""
        if self.peek_word_ci(b"NIL"):
            self.pos += 3
            return None
        return self.string()

    def text_astring(self) -> str:
        """An astring decoded as UTF-8 (user names, passwords, ID values)."""
        raw = self.astring()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.error("string is not valid UTF-8") from None

    def mailbox(self) -> str:
        """mailbox = "INBOX" / astring (RFC 3501 §9), mUTF-7 decoded (§5.1.3)."""
        return normalise_mailbox(self._decode_name(self.astring()))

    def list_mailbox(self) -> str:
        """list-mailbox = 1*list-char / string (RFC 3501 §9), mUTF-7 decoded."""
        c = self.peek()
        if c in (0x22, 0x7B):
            raw = self.string()
        else:
            start = self.pos
            while (c := self.peek()) is not None and _is_list_char(c):
                self.pos += 1
            if self.pos == start:
                raise self.error("expected mailbox pattern")
            raw = self.data[start : self.pos]
        return self._decode_name(raw)

    def _decode_name(self, raw: bytes) -> str:
        """A name is valid IMAP syntax even when it is not valid modified UTF-7: it then
        names no mailbox (SELECT/STATUS answer NO, LIST matches nothing, CREATE refuses),
        rather than being a protocol error (BAD). Non-canonical forms (``&,,,-``) and raw
        8-bit names (UTF8=ACCEPT is not offered) are such names too."""
        try:
            if raw.isascii():
                name = decode_mutf7(raw)
                if encode_mutf7(name).encode() == raw:
                    return name
        except ValueError:
            pass
        return unusable_name(raw)

    def sequence_set(self) -> SequenceSet:
        """sequence-set (RFC 3501 §9); see ``seqset``."""
        start = self.pos
        while (c := self.peek()) is not None and c in _SEQSET_CHARS:
            self.pos += 1
        try:
            return SequenceSet.parse(self.data[start : self.pos].decode("ascii"))
        except ValueError as exc:
            raise self.error(str(exc)) from None

    def flag(self) -> str:
        """flag = "\\" atom / keyword; flag-perm adds "\\*" (RFC 3501 §9)."""
        if self.peek() == 0x5C:
            self.pos += 1
            if self.peek() == 0x2A:
                self.pos += 1
                return "\\*"
            return "\\" + self.atom()
        return self.atom()

    def flag_list(self) -> tuple[str, ...]:
        """flag-list = "(" [flag *(SP flag)] ")" (RFC 3501 §9)."""
        self.expect(b"(")
        flags: list[str] = []
        while self.peek() != 0x29:
            if flags:
                self.sp()
            flags.append(self.flag())
        self.pos += 1
        return tuple(flags)

    def paren_list(self, item: str = "atom") -> tuple[str, ...]:
        """ "(" [atom *(SP atom)] ")" -- generic parenthesised atom list."""
        self.expect(b"(")
        items: list[str] = []
        while self.peek() != 0x29:
            if items:
                self.sp()
            items.append(self.keyword() if item == "keyword" else self.atom())
            if self.at_end():
                raise self.error("unterminated list")
        self.pos += 1
        return tuple(items)

    def reference(self) -> str:
        """LIST/LSUB reference name: ``mailbox`` syntax, decoded, not INBOX-normalised."""
        return self._decode_name(self.astring())
