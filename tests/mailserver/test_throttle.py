"""Login throttle: back-off per (client, account) and per client, never per account alone."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from config import AuthSettings
from mailserver.throttle import Backoff, LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def settings(**kw: object) -> AuthSettings:
    base = AuthSettings(max_failures_per_client=10, max_failures_per_client_account=3,
                        failure_window=300, backoff_start=2.0, backoff_max=60)
    return replace(base, **kw)  # type: ignore[arg-type]


def test_free_allowance_then_doubling_back_off() -> None:
    clock = Clock()
    b = Backoff(free=3, start=2.0, cap=60.0, forget=300.0, clock=clock)
    for _ in range(2):
        b.fail("k")
        assert b.retry_after("k") == 0
    waits = []
    for _ in range(6):
        b.fail("k")
        waits.append(b.retry_after("k"))
    assert waits == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0]   # capped
    clock.now += 59.5
    assert 0 < b.retry_after("k") <= 0.5
    clock.now += 1
    assert b.retry_after("k") == 0


def test_failures_are_forgotten_after_the_window_past_the_back_off() -> None:
    clock = Clock()
    b = Backoff(free=1, start=10.0, cap=10.0, forget=100.0, clock=clock)
    b.fail("k")
    clock.now += 10 + 99
    assert b.failing_since("k") is not None
    clock.now += 2
    assert b.failing_since("k") is None and len(b) == 0


def test_memory_is_bounded() -> None:
    b = Backoff(free=1, start=1.0, cap=1.0, forget=100.0, clock=Clock(), max_keys=50)
    for i in range(500):
        b.fail(f"client-{i}")
    assert len(b) == 50 and b.retry_after("client-499") > 0


def test_an_attacker_does_not_lock_the_account_for_other_clients() -> None:
    t = LoginThrottle(settings(), clock=Clock())
    for _ in range(3):
        t.failed("203.0.113.9", "dr@h.test")
    assert t.retry_after("203.0.113.9", "dr@h.test") > 0
    assert t.retry_after("198.51.100.7", "dr@h.test") == 0      # the real user elsewhere
    assert t.retry_after("203.0.113.9", "other@h.test") == 0    # below the per-client limit


def test_per_client_limit_covers_every_account() -> None:
    t = LoginThrottle(settings(), clock=Clock())
    for i in range(10):
        t.failed("203.0.113.9", f"user{i}@h.test")
    assert t.retry_after("203.0.113.9", "fresh@h.test") > 0
    assert t.retry_after("198.51.100.7", "fresh@h.test") == 0


def test_success_clears_the_pair_but_not_the_client() -> None:
    t = LoginThrottle(settings(max_failures_per_client=4), clock=Clock())
    for _ in range(2):
        t.failed("c", "a@h.test")
        t.failed("c", "b@h.test")
    t.succeeded("c", "a@h.test")
    assert t.pairs.retry_after(("c", "a@h.test")) == 0
    assert t.clients.retry_after("c") > 0


def test_unlock_clears_every_client_of_that_account_only() -> None:
    t = LoginThrottle(settings(), clock=Clock())
    for client in ("c1", "c2"):
        for _ in range(3):
            t.failed(client, "a@h.test")
            t.failed(client, "b@h.test")
    assert t.unlock("a@h.test") == 2
    assert t.retry_after("c1", "a@h.test") == 0 and t.retry_after("c2", "a@h.test") == 0
    assert t.retry_after("c1", "b@h.test") > 0


@given(st.integers(1, 10), st.floats(0.1, 100), st.floats(1, 10_000), st.integers(0, 80))
def test_wait_never_exceeds_the_cap(free: int, start: float, cap: float, fails: int) -> None:
    b = Backoff(free=free, start=start, cap=cap, forget=10.0, clock=Clock())
    for _ in range(fails):
        b.fail("k")
    assert 0 <= b.retry_after("k") <= cap
    assert (b.retry_after("k") > 0) == (fails >= free)
