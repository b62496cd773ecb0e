import copy
import pickle

import pytest

from crypto import (
    Argon2Params,
    CryptoError,
    UnsupportedFormat,
    WrongSecret,
    generate_key,
    load_public_key,
    new_recovery_key,
    seal,
    unwrap_with_master,
    unwrap_with_password,
    unwrap_with_password_async,
    unwrap_with_recovery,
    wrap_with_master,
    wrap_with_password,
    wrap_with_password_async,
    wrap_with_recovery,
)
from crypto.recovery import parse_recovery_key

FAST = Argon2Params(time_cost=1, memory_kib=1024, parallelism=1)
ALICE = b"account:1"
BOB = b"account:2"


def test_password_roundtrip() -> None:
    key = generate_key()
    blob = wrap_with_password(key, "correct horse", FAST, aad=ALICE)
    again = unwrap_with_password(blob, "correct horse", aad=ALICE)
    assert again.public_bytes == key.public_bytes
    assert again.private_key.private_bytes_raw() == key.private_key.private_bytes_raw()


def test_password_blob_is_self_describing() -> None:
    blob = wrap_with_password(generate_key(), "pw", FAST)
    assert blob[0] == 1 and blob[1] == 1  # version, kind
    assert int.from_bytes(blob[2:6], "big") == FAST.time_cost
    assert int.from_bytes(blob[6:10], "big") == FAST.memory_kib
    assert int.from_bytes(blob[10:14], "big") == FAST.parallelism


def test_wrong_password() -> None:
    blob = wrap_with_password(generate_key(), "right", FAST, aad=ALICE)
    with pytest.raises(WrongSecret, match="wrong password or key"):
        unwrap_with_password(blob, "wrong", aad=ALICE)


def test_password_blob_of_another_account() -> None:
    blob = wrap_with_password(generate_key(), "pw", FAST, aad=ALICE)
    with pytest.raises(WrongSecret):
        unwrap_with_password(blob, "pw", aad=BOB)


def test_edited_argon2_params_are_refused() -> None:
    blob = bytearray(wrap_with_password(generate_key(), "pw", FAST))
    blob[5] += 1  # time_cost 1 -> 2: the header is authenticated
    with pytest.raises(WrongSecret):
        unwrap_with_password(bytes(blob), "pw")


def test_absurd_argon2_params_are_refused_before_hashing() -> None:
    blob = bytearray(wrap_with_password(generate_key(), "pw", FAST))
    blob[6:10] = (2**31).to_bytes(4, "big")
    with pytest.raises(CryptoError, match="argon2"):
        unwrap_with_password(bytes(blob), "pw")


async def test_async_wrappers() -> None:
    key = generate_key()
    blob = await wrap_with_password_async(key, "pw", FAST, aad=ALICE)
    again = await unwrap_with_password_async(blob, "pw", aad=ALICE)
    assert again.public_bytes == key.public_bytes
    with pytest.raises(WrongSecret):
        await unwrap_with_password_async(blob, "nope", aad=ALICE)


def test_recovery_roundtrip_tolerates_typing() -> None:
    key = generate_key()
    recovery = new_recovery_key()
    blob = wrap_with_recovery(key, recovery, aad=ALICE)
    typed = " ".join(recovery.replace("-", "").lower())  # lowercase, spaces, no dashes
    assert unwrap_with_recovery(blob, typed, aad=ALICE).public_bytes == key.public_bytes
    assert unwrap_with_recovery(blob, recovery, aad=ALICE).public_bytes == key.public_bytes


def test_recovery_key_format() -> None:
    recovery = new_recovery_key()
    groups = recovery.split("-")
    assert len(groups) == 13 and all(len(g) == 4 for g in groups)
    assert recovery == recovery.upper()
    assert not set(recovery) & set("ILOU")
    assert len(parse_recovery_key(recovery)) == 32
    assert new_recovery_key() != recovery


def test_recovery_lookalikes() -> None:
    recovery = new_recovery_key()
    confused = recovery.replace("0", "o").replace("1", "l")
    assert parse_recovery_key(confused) == parse_recovery_key(recovery)
    assert parse_recovery_key(recovery.replace("1", "I")) == parse_recovery_key(recovery)


def test_wrong_or_malformed_recovery_key() -> None:
    blob = wrap_with_recovery(generate_key(), new_recovery_key(), aad=ALICE)
    with pytest.raises(WrongSecret):
        unwrap_with_recovery(blob, new_recovery_key(), aad=ALICE)
    for bad in ["", "ABCD-EFGH", "U" * 52, "Z" * 52, new_recovery_key() + "0"]:
        with pytest.raises(WrongSecret):
            unwrap_with_recovery(blob, bad, aad=ALICE)


def test_password_change_keeps_recovery() -> None:
    key = generate_key()
    recovery = new_recovery_key()
    old_blob = wrap_with_password(key, "old", FAST, aad=ALICE)
    recovery_blob = wrap_with_recovery(key, recovery, aad=ALICE)

    unlocked = unwrap_with_password(old_blob, "old", aad=ALICE)
    new_blob = wrap_with_password(unlocked, "new", FAST, aad=ALICE)

    with pytest.raises(WrongSecret):
        unwrap_with_password(new_blob, "old", aad=ALICE)
    assert unwrap_with_password(new_blob, "new", aad=ALICE).public_bytes == key.public_bytes
    assert unwrap_with_recovery(recovery_blob, recovery, aad=ALICE).public_bytes == key.public_bytes
    # Nothing sealed for the account needs re-encrypting.
    sealed = seal(key.public_bytes, b"mail", b"aad")
    assert unwrap_with_password(new_blob, "new", aad=ALICE).open(sealed, b"aad") == b"mail"


def test_master_roundtrip_and_wrong_master() -> None:
    key = generate_key()
    master = bytes(range(32))
    blob = wrap_with_master(key, master, aad=ALICE)
    assert unwrap_with_master(blob, master, aad=ALICE).public_bytes == key.public_bytes
    with pytest.raises(WrongSecret):
        unwrap_with_master(blob, bytes(32), aad=ALICE)
    with pytest.raises(WrongSecret):
        unwrap_with_master(blob, master, aad=BOB)
    with pytest.raises(ValueError):
        wrap_with_master(key, b"short", aad=ALICE)


def test_unknown_version_byte() -> None:
    key = generate_key()
    recovery = new_recovery_key()
    password_blob = wrap_with_password(key, "pw", FAST)
    recovery_blob = wrap_with_recovery(key, recovery)
    master_blob = wrap_with_master(key, bytes(32))
    with pytest.raises(UnsupportedFormat):
        unwrap_with_password(b"\x09" + password_blob[1:], "pw")
    with pytest.raises(UnsupportedFormat):
        unwrap_with_recovery(b"\x00" + recovery_blob[1:], recovery)
    with pytest.raises(UnsupportedFormat):
        unwrap_with_master(b"\xff" + master_blob[1:], bytes(32))


def test_kind_mismatch_and_truncation() -> None:
    key = generate_key()
    recovery = new_recovery_key()
    blob = wrap_with_recovery(key, recovery)
    with pytest.raises(CryptoError, match="recovery-wrapped"):
        unwrap_with_password(blob, "pw")
    with pytest.raises(CryptoError, match="malformed"):
        unwrap_with_recovery(blob[:-1], recovery)
    with pytest.raises(UnsupportedFormat):
        unwrap_with_recovery(blob[:1] + b"\x07" + blob[2:], recovery)


def test_repr_and_pickle_hide_key_material() -> None:
    key = generate_key()
    private_hex = key.private_key.private_bytes_raw().hex()
    for text in (repr(key), str(key), f"{key!r}"):
        assert private_hex not in text
        assert private_hex[:8] not in text
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(TypeError):
        copy.copy(key)


def test_load_public_key() -> None:
    key = generate_key()
    assert load_public_key(key.public_bytes).public_bytes_raw() == key.public_bytes
    with pytest.raises(ValueError):
        load_public_key(b"\x00" * 31)


def test_argon2_params_validation() -> None:
    assert Argon2Params() == Argon2Params(time_cost=3, memory_kib=65536, parallelism=2)
    with pytest.raises(ValueError):
        Argon2Params(time_cost=0)
    with pytest.raises(ValueError):
        Argon2Params(memory_kib=4, parallelism=1)
