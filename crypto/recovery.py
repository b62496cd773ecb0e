"""Recovery keys: 256 random bits written in Crockford base32 for people to type back.

Format: 52 uppercase symbols in groups of 4 joined by '-'. Parsing forgives case, spaces,
dashes and the look-alikes O->0 and I/L->1, as Crockford's alphabet intends.
"""

import secrets

from crypto.errors import WrongSecret

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUES = {c: i for i, c in enumerate(_ALPHABET)}
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_BITS = 256
_SYMBOLS = 52  # ceil(256 / 5)
_GROUP = 4


def new_recovery_key() -> str:
    """Return a fresh recovery key (show it once; the server keeps only what it wraps)."""
    return format_recovery_key(secrets.token_bytes(_BITS // 8))


def format_recovery_key(raw: bytes) -> str:
    if len(raw) != _BITS // 8:
        raise ValueError("a recovery key is 32 bytes")
    value = int.from_bytes(raw, "big")
    symbols = []
    for _ in range(_SYMBOLS):
        value, digit = divmod(value, 32)
        symbols.append(_ALPHABET[digit])
    text = "".join(reversed(symbols))
    return "-".join(text[i : i + _GROUP] for i in range(0, _SYMBOLS, _GROUP))


def parse_recovery_key(text: str) -> bytes:
    """Decode a typed recovery key to its 32 bytes; WrongSecret if it cannot be one."""
    cleaned = "".join(text.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if len(cleaned) != _SYMBOLS or any(c not in _VALUES for c in cleaned):
        raise WrongSecret()
    value = 0
    for c in cleaned:
        value = value * 32 + _VALUES[c]
    if value >> _BITS:  # 52 symbols hold 260 bits; the top 4 must be zero
        raise WrongSecret()
    return value.to_bytes(_BITS // 8, "big")
