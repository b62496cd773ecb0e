import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import (
    CryptoError,
    SealError,
    UnsupportedFormat,
    generate_key,
    keyed_digest,
    load_master_key,
    new_master_key,
    open_sealed,
    open_with_secret,
    seal,
    seal_with_secret,
    write_master_key,
)

OWNER = generate_key()
OTHER = generate_key()


def copy_aad(account: bytes, copy_id: bytes) -> bytes:
    return b"mssante/copy/v1|" + account + b"|" + copy_id


AAD = copy_aad(b"42", b"7")
BLOB = seal(OWNER.public_bytes, b"Subject: results\r\n\r\nAll normal.", AAD)
SECRET = new_master_key()
SECRET_BLOB = seal_with_secret(SECRET, b"queued message", b"queue|1")


def test_roundtrip_and_layout() -> None:
    assert open_sealed(OWNER, BLOB, AAD) == b"Subject: results\r\n\r\nAll normal."
    assert OWNER.open(BLOB, AAD) == b"Subject: results\r\n\r\nAll normal."
    assert BLOB[0] == 1
    assert len(BLOB) == 1 + 32 + 12 + len(b"Subject: results\r\n\r\nAll normal.") + 16


def test_each_seal_is_fresh() -> None:
    assert seal(OWNER.public_bytes, b"x", AAD) != seal(OWNER.public_bytes, b"x", AAD)


@settings(max_examples=200, deadline=None, database=None)
@given(index=st.integers(min_value=0, max_value=len(BLOB) - 1), bit=st.integers(0, 7))
def test_any_flipped_bit_is_refused(index: int, bit: int) -> None:
    edited = bytearray(BLOB)
    edited[index] ^= 1 << bit
    # The version byte is checked first and says so; every other byte fails authentication.
    expected = UnsupportedFormat if index == 0 else SealError
    with pytest.raises(expected):
        open_sealed(OWNER, bytes(edited), AAD)


def test_swapped_rows_are_refused() -> None:
    for aad in (copy_aad(b"43", b"7"), copy_aad(b"42", b"8"), b"", AAD + b"x"):
        with pytest.raises(SealError, match="another account or message"):
            open_sealed(OWNER, BLOB, aad)


def test_other_recipient_cannot_open() -> None:
    with pytest.raises(SealError):
        open_sealed(OTHER, BLOB, AAD)


def test_truncated_and_empty_blobs() -> None:
    for cut in (0, 1, 33, 45, 60, len(BLOB) - 1):
        with pytest.raises(SealError):
            open_sealed(OWNER, BLOB[:cut], AAD)


def test_unknown_version() -> None:
    with pytest.raises(UnsupportedFormat):
        open_sealed(OWNER, b"\x02" + BLOB[1:], AAD)
    assert issubclass(UnsupportedFormat, CryptoError)


def test_low_order_ephemeral_key_is_refused() -> None:
    forged = b"\x01" + bytes(32) + BLOB[33:]
    with pytest.raises(SealError):
        open_sealed(OWNER, forged, AAD)


def test_empty_and_large_plaintexts() -> None:
    for plaintext in (b"", os.urandom(5 * 1024 * 1024)):
        blob = seal(OWNER.public_bytes, plaintext, AAD)
        assert open_sealed(OWNER, blob, AAD) == plaintext


def test_seal_rejects_bad_public_key() -> None:
    with pytest.raises(ValueError):
        seal(b"\x00" * 31, b"x", AAD)


def test_secret_roundtrip() -> None:
    assert open_with_secret(SECRET, SECRET_BLOB, b"queue|1") == b"queued message"
    assert open_with_secret(SECRET, seal_with_secret(SECRET, b"", b""), b"") == b""


@settings(max_examples=100, deadline=None, database=None)
@given(index=st.integers(min_value=1, max_value=len(SECRET_BLOB) - 1), bit=st.integers(0, 7))
def test_secret_tamper(index: int, bit: int) -> None:
    edited = bytearray(SECRET_BLOB)
    edited[index] ^= 1 << bit
    with pytest.raises(SealError):
        open_with_secret(SECRET, bytes(edited), b"queue|1")


def test_secret_wrong_secret_aad_version_truncation() -> None:
    with pytest.raises(SealError):
        open_with_secret(new_master_key(), SECRET_BLOB, b"queue|1")
    with pytest.raises(SealError):
        open_with_secret(SECRET, SECRET_BLOB, b"queue|2")
    with pytest.raises(SealError):
        open_with_secret(b"", SECRET_BLOB, b"queue|1")
    with pytest.raises(SealError):
        open_with_secret(SECRET, SECRET_BLOB[:20], b"queue|1")
    with pytest.raises(UnsupportedFormat):
        open_with_secret(SECRET, b"\x05" + SECRET_BLOB[1:], b"queue|1")
    with pytest.raises(ValueError):
        seal_with_secret(b"short", b"x", b"")


def test_keyed_digest() -> None:
    mid = "<abc@example.org>"
    first = keyed_digest(SECRET, "message-id", mid)
    assert first == keyed_digest(SECRET, "message-id", mid.encode())
    assert len(first) == 64 and int(first, 16) >= 0
    assert first != keyed_digest(SECRET, "address", mid)
    assert first != keyed_digest(new_master_key(), "message-id", mid)
    assert first != keyed_digest(SECRET, "message-id", "<abd@example.org>")


def test_master_key_file(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    key = write_master_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_master_key(path) == key
    with pytest.raises(FileExistsError):
        write_master_key(path)

    raw = tmp_path / "raw.key"
    raw.write_bytes(key)
    assert load_master_key(raw) == key
    spaced = tmp_path / "hex.key"
    spaced.write_text("  " + key.hex().upper() + "\n\n")
    assert load_master_key(spaced) == key

    for content in (b"", b"abc", key + b"\n\n", b"zz" * 32):
        bad = tmp_path / "bad.key"
        bad.write_bytes(content)
        with pytest.raises(CryptoError, match="32 raw bytes or 64 hex digits"):
            load_master_key(bad)
