"""Failure bans and tenant-creation budgets, driven by a fake clock."""

from __future__ import annotations

import pytest

from myco.auth.ratelimit import RateLimiter, client_key

ADDR = "203.0.113.7"
OTHER = "198.51.100.1"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(clock: FakeClock) -> RateLimiter:
    return RateLimiter(clock=clock)


def test_five_failures_within_a_minute_ban(limiter: RateLimiter, clock: FakeClock) -> None:
    for _ in range(4):
        assert limiter.record_failure(ADDR) is None
        clock.advance(10)
    assert limiter.banned_for(ADDR) is None
    assert limiter.record_failure(ADDR) == 300  # the 5th starts the ban
    assert limiter.banned_for(ADDR) == 300
    assert limiter.banned_for(OTHER) is None


def test_failures_spread_over_more_than_a_minute_do_not_ban(
    limiter: RateLimiter, clock: FakeClock
) -> None:
    for _ in range(20):
        assert limiter.record_failure(ADDR) is None
        clock.advance(15.1)  # never 5 within 60 s
    assert limiter.banned_for(ADDR) is None


def test_ban_expires_after_300s(limiter: RateLimiter, clock: FakeClock) -> None:
    for _ in range(5):
        limiter.record_failure(ADDR)
    clock.advance(0.4)
    assert limiter.banned_for(ADDR) == 300  # rounded up, never "retry in 0s"
    clock.advance(299)
    assert limiter.banned_for(ADDR) == 1
    clock.advance(0.6)
    assert limiter.banned_for(ADDR) is None
    # The slate is clean: one more failure does not re-ban.
    assert limiter.record_failure(ADDR) is None
    assert limiter.banned_for(ADDR) is None


def test_failures_while_banned_do_not_extend_the_ban(
    limiter: RateLimiter, clock: FakeClock
) -> None:
    for _ in range(5):
        limiter.record_failure(ADDR)
    clock.advance(100)
    for _ in range(10):
        assert limiter.record_failure(ADDR) is None
    assert limiter.banned_for(ADDR) == 200


def test_creation_budget(clock: FakeClock) -> None:
    limiter = RateLimiter(clock=clock)
    for _ in range(10):
        assert limiter.creation_wait(ADDR) is None
        assert limiter.try_create(ADDR) is None
        clock.advance(60)
    # 11th within the hour: wait until the first creation is an hour old.
    assert limiter.try_create(ADDR) == 3600 - 600
    assert limiter.creation_wait(ADDR) == 3000
    assert limiter.try_create(OTHER) is None
    clock.advance(3000)
    assert limiter.try_create(ADDR) is None
    assert limiter.try_create(ADDR) == 60


def test_creation_budget_is_configurable(clock: FakeClock) -> None:
    limiter = RateLimiter(max_creations=2, creation_window=100, clock=clock)
    assert limiter.try_create(ADDR) is None
    assert limiter.try_create(ADDR) is None
    assert limiter.try_create(ADDR) == 100
    none_allowed = RateLimiter(max_creations=0, clock=clock)
    assert none_allowed.try_create(ADDR) == 3600


def test_creations_do_not_reset_failures(limiter: RateLimiter) -> None:
    """The reference bug: a fresh strong token washed out an address's failures."""
    for _ in range(4):
        limiter.record_failure(ADDR)
        assert limiter.try_create(ADDR) is None
    assert limiter.record_failure(ADDR) == 300
    assert limiter.banned_for(ADDR) == 300


def test_failures_do_not_touch_creation_budget(limiter: RateLimiter, clock: FakeClock) -> None:
    for _ in range(10):
        limiter.try_create(ADDR)
    for _ in range(5):
        limiter.record_failure(ADDR)
    clock.advance(301)  # ban over, creations still inside the hour
    assert limiter.banned_for(ADDR) is None
    assert limiter.creation_wait(ADDR) == 3600 - 301


def test_idle_addresses_are_forgotten(limiter: RateLimiter, clock: FakeClock) -> None:
    limiter.record_failure(ADDR)
    limiter.try_create(OTHER)
    assert len(limiter) == 2
    clock.advance(61)
    assert limiter.banned_for(ADDR) is None
    assert len(limiter) == 1
    clock.advance(3600)
    assert limiter.creation_wait(OTHER) is None
    assert len(limiter) == 0


def test_tracked_addresses_are_capped(clock: FakeClock) -> None:
    limiter = RateLimiter(max_addresses=100, clock=clock)
    for i in range(1000):
        limiter.record_failure(f"10.0.{i // 256}.{i % 256}")
        assert len(limiter) <= 100


def test_a_flood_of_addresses_does_not_evict_bans(clock: FakeClock) -> None:
    limiter = RateLimiter(max_addresses=100, clock=clock)
    banned = "192.0.2.99"
    for _ in range(5):
        limiter.record_failure(banned)
    for i in range(1000):
        limiter.record_failure(f"10.1.{i // 256}.{i % 256}")
        assert len(limiter) <= 100
    assert limiter.banned_for(banned) == 300


def test_per_address_history_is_bounded(limiter: RateLimiter) -> None:
    for _ in range(10_000):
        limiter.record_failure(ADDR)
        limiter.try_create(ADDR)
    entry = limiter._entries[client_key(ADDR)]
    assert len(entry.failures) <= limiter.max_failures
    assert len(entry.creations) <= limiter.max_creations


@pytest.mark.parametrize(
    ("remote", "key"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("2001:db8::1", "2001:db8::/64"),
        ("2001:db8::dead:beef", "2001:db8::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        (None, "unknown"),
        ("", "unknown"),
        ("not-an-ip", "not-an-ip"),
    ],
)
def test_client_key(remote: str | None, key: str) -> None:
    assert client_key(remote) == key


def test_ipv6_neighbours_share_a_budget(limiter: RateLimiter) -> None:
    """One host owns a whole /64; per-address budgets would be unlimited."""
    for i in range(5):
        limiter.record_failure(f"2001:db8::{i + 1:x}")
    assert limiter.banned_for("2001:db8::ffff") == 300
    assert limiter.banned_for("2001:db8:0:1::1") is None
