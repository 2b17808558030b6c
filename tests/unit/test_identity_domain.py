"""The rules of sign-in, pure: usernames, passwords, delays, the lock, the per-address count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.common.errors import DomainError
from services.reporting.identity import domain
from services.reporting.identity.domain import SignInRefused, Throttle

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_usernames_are_one_whatever_their_case_and_unicode_form() -> None:
    decomposed = "nguye\u0302\u0303n.lan"  # ễ as e + two combining marks
    assert domain.username_key(decomposed) == domain.username_key("NGUYỄN.Lan")
    assert domain.checked_username(decomposed) == "nguyễn.lan"
    for bad in ("ab", "có dấu cách", "x" * 65, "semi;colon"):
        with pytest.raises(DomainError):
            domain.checked_username(bad)


def test_passwords_are_long_enough_and_not_the_username() -> None:
    domain.check_new_password("mười ký tự!", "lan.nt")
    for bad in ("short", "Lan.NT"):
        with pytest.raises(DomainError):
            domain.check_new_password(bad, "lan.nt")
    temporary = domain.temporary_password()
    assert len(temporary) == 19 and temporary.count("-") == 3


def test_delays_grow_after_the_second_failure_and_the_tenth_locks() -> None:
    assert [domain.user_delay(n) for n in range(1, 10)] == [0, 0, 1, 2, 4, 8, 16, 32, 64]
    state, now = Throttle(), NOW
    for _ in range(9):
        state = domain.failed(domain.admit_username(state, now), now)
        now += timedelta(seconds=domain.user_delay(state.failures))
    last = domain.admit_username(state, now)  # the tenth may still be tried
    with pytest.raises(SignInRefused) as locked:
        domain.admit_username(domain.failed(last, now), now + timedelta(days=1))
    assert (locked.value.status, locked.value.kind) == (423, "locked")


def test_an_attempt_too_soon_waits_and_says_how_long() -> None:
    state = domain.failed(Throttle(failures=4), NOW)  # the 4th failure: 2 s
    with pytest.raises(SignInRefused) as early:
        domain.admit_username(state, NOW + timedelta(milliseconds=500))
    assert (early.value.status, early.value.retry_after) == (429, 2)
    assert domain.admit_username(state, NOW + timedelta(seconds=2)).failures == 5


def test_an_address_has_thirty_free_failures_then_waits_until_a_quiet_quarter_hour() -> None:
    state = Throttle()
    for _ in range(30):
        state = domain.failed(domain.admit_address(state, NOW), NOW, domain.address_delay)
    with pytest.raises(SignInRefused):
        domain.admit_address(state, NOW)
    assert domain.admit_address(state, NOW + timedelta(minutes=16)).failures == 1
    assert domain.address_delay(60) == 15 * 60  # never more than a quarter of an hour
    assert domain.succeeded(Throttle(failures=3)).failures == 2


@pytest.mark.parametrize("typed", ["thuky\r\n12", "\x00", "a" * 64, "Trần\tThị"])
def test_a_failed_sign_in_for_no_account_makes_a_valid_actor_of_whatever_was_typed(
    typed: str,
) -> None:
    """The fuzzer's 500: a username with a control character made an actor no envelope may
    carry, and the sign-in failed on recording its own failure."""
    from contracts.identity import SignInFailed
    from services.reporting.identity.core import acting

    event = SignInFailed(username=typed, reason="bad_credentials", failures=1, locked=False)
    actor = acting(event)
    assert actor.id.startswith("username:") and len(actor.id) <= 128
    assert all(c.isprintable() for c in actor.id + actor.name)
