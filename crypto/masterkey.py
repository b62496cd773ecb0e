"""The server master key: 32 bytes in a file outside the database (design brief §4)."""

import os
import secrets
from pathlib import Path

from crypto.errors import CryptoError

_LEN = 32
StrPath = str | os.PathLike[str]


def new_master_key() -> bytes:
    return secrets.token_bytes(_LEN)


def load_master_key(path: StrPath) -> bytes:
    """Read 32 raw bytes or 64 hex digits (surrounding whitespace allowed)."""
    data = Path(path).read_bytes()
    if len(data) == _LEN:
        return data
    text = data.strip()
    if len(text) == 2 * _LEN:
        try:
            return bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            pass
    raise CryptoError(
        f"master key file {os.fspath(path)!r} must hold 32 raw bytes or 64 hex digits "
        f"(it holds {len(data)} bytes)"
    )


def write_master_key(path: StrPath, key: bytes | None = None) -> bytes:
    """Create ``path`` (mode 0600) holding a new (or the given) key as hex; return the key.

    Refuses to overwrite: replacing a master key would lock every certificate login out.
    """
    key = new_master_key() if key is None else key
    if len(key) != _LEN:
        raise ValueError("a master key is 32 bytes")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.hex() + "\n")
    return key
