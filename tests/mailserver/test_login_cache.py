"""Login cache: only the right password opens an entry; entries expire, stay bounded and
drop when what they were checked against changes; verifiers compared in constant time."""

from __future__ import annotations

import hmac

import pytest

from crypto import generate_key, seal
from mailserver import login_cache
from mailserver.login_cache import LoginCache, wrap_fingerprint


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


FP = wrap_fingerprint(b"wrap-1", b"pub", 0.0)


def test_hit_returns_a_working_key_only_for_the_same_password() -> None:
    cache = LoginCache(ttl=900, size=10)
    key = generate_key()
    cache.remember("acc-1", "s3cret", key, FP)
    got = cache.recall("acc-1", "s3cret", FP)
    assert got is not None and got.public_bytes == key.public_bytes
    assert got.open(seal(key.public_bytes, b"hello", b"aad"), b"aad") == b"hello"
    assert cache.recall("acc-1", "s3cret ", FP) is None
    assert cache.recall("acc-2", "s3cret", FP) is None
    assert "acc-1" in cache      # a wrong guess does not evict the real user's entry


def test_entries_expire_and_hits_do_not_extend_them() -> None:
    clock = Clock()
    cache = LoginCache(ttl=100, size=10, clock=clock)
    cache.remember("a", "pw", generate_key(), FP)
    clock.now += 99
    assert cache.recall("a", "pw", FP) is not None
    clock.now += 1
    assert cache.recall("a", "pw", FP) is None and "a" not in cache


def test_a_changed_fingerprint_drops_the_entry() -> None:
    cache = LoginCache(ttl=100, size=10)
    cache.remember("a", "pw", generate_key(), FP)
    for changed in (wrap_fingerprint(b"wrap-2", b"pub", 0.0),     # password changed
                    wrap_fingerprint(b"wrap-1", b"pub2", 0.0),    # key rotated
                    wrap_fingerprint(b"wrap-1", b"pub", 12.5)):   # unlocked since
        cache.remember("a", "pw", generate_key(), FP)
        assert cache.recall("a", "pw", changed) is None and "a" not in cache


def test_least_recently_used_goes_first() -> None:
    cache = LoginCache(ttl=100, size=2)
    for name in ("a", "b"):
        cache.remember(name, "pw", generate_key(), FP)
    assert cache.recall("a", "pw", FP) is not None
    cache.remember("c", "pw", generate_key(), FP)
    assert "a" in cache and "c" in cache and "b" not in cache and len(cache) == 2


def test_ttl_zero_disables() -> None:
    cache = LoginCache(ttl=0, size=10)
    cache.remember("a", "pw", generate_key(), FP)
    assert len(cache) == 0 and cache.recall("a", "pw", FP) is None


def test_memory_holds_neither_the_password_nor_the_private_key() -> None:
    cache = LoginCache(ttl=100, size=10)
    key = generate_key()
    cache.remember("a", "correct horse", key, FP)
    entry = cache._entries["a"]
    raw = key.private_key.private_bytes_raw()
    blobs = entry.verifier + entry.sealed_key + entry.fingerprint
    assert raw not in blobs and b"correct horse" not in blobs
    # Another process (another secret) cannot open it even with the password.
    other = LoginCache(ttl=100, size=10)
    other._entries["a"] = entry
    assert other.recall("a", "correct horse", FP) is None


def test_verifiers_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(login_cache.hmac, "compare_digest", spy)
    cache = LoginCache(ttl=100, size=10)
    cache.remember("a", "pw", generate_key(), FP)
    assert cache.recall("a", "wrong", FP) is None
    verifier = cache._entries["a"].verifier
    assert any(verifier in pair for pair in calls)
