"""The rules of accounts and sign-in, pure: no I/O, no clock of their own.

- Usernames are compared in Unicode NFC, case-insensitively (`username_key`): "Lan.NT" and
  "lan.nt" are one account; letters (Vietnamese too), digits, ".", "_", "-", "@".
- Passwords: 10 to 256 characters, not the username. A temporary password (set by an admin)
  must be changed at the first sign-in before anything else.
- Growing delays after failed sign-ins, per username (whether or not an account has it, so
  the answers tell nothing about which usernames exist): after 3 failures in a row the next
  attempt waits 1 s, then 2, 4 … 64 s; the 10th failure in a row locks the username until an
  admin unlocks the account. A waiting attempt is answered 429 with Retry-After and its
  password is not checked. Every attempt counts as a failure until its password is found
  right, so parallel guesses cannot slip between a check and its count.
- Per client address: 30 failures within a quiet-free stretch (none for 15 minutes resets it)
  are free (an office behind one address), then each waits 1, 2, 4 … s, up to 15 minutes:
  guessing many usernames from one client is slowed too. A success does not reset it.
- Admins manage the accounts of their unit and every unit below it (Caller.administers);
  anything else is 404, as if it did not exist. Operators are made on the server only.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from services.common.auth import Caller
from services.common.errors import DomainError, Forbidden, NotFound
from services.common.hierarchy import Era, Hierarchy

USERNAME = re.compile(r"^[\w.@-]{3,64}$")
MIN_PASSWORD, MAX_PASSWORD = 10, 256
LOCK_AT = 10
FREE_FAILURES = 2  # a third failure in a row starts the delays
ADDRESS_FREE, ADDRESS_QUIET, ADDRESS_MAX_DELAY = 30, timedelta(minutes=15), 15 * 60
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"


class SignInRefused(DomainError):
    """A sign-in answered 401 (`bad_credentials`, `otp_required`, `bad_otp`), 423 (`locked`)
    or 429 (`delayed`, with `retry_after` seconds)."""

    def __init__(
        self, field: str, message: str, kind: str, status: int, retry_after: int | None = None
    ) -> None:
        super().__init__(field, message, kind)
        self.status = status
        self.retry_after = retry_after


def bad_credentials() -> SignInRefused:
    return SignInRefused(
        "body.password", "wrong username or password", "bad_credentials", status=401
    )


# -- usernames and passwords ---------------------------------------------------------------------


def username_key(username: str) -> str:
    """What two usernames are compared by: NFC, case folded."""
    return unicodedata.normalize("NFC", username.strip()).casefold()


def checked_username(username: str) -> str:
    """The username as stored (NFC, trimmed); DomainError if it is not one."""
    name = unicodedata.normalize("NFC", username.strip())
    if not USERNAME.match(name):
        raise DomainError(
            "body.username",
            "a username has 3 to 64 letters, digits, '.', '_', '-' or '@', without spaces",
        )
    return name


def check_new_password(password: str, username: str, field: str = "body.new_password") -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise DomainError(
            field, f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters", "weak_password"
        )
    if username_key(password) == username_key(username):
        raise DomainError(field, "the password may not be the username", "weak_password")


def temporary_password() -> str:
    """Shown once to the admin who set it: 4 groups of 4 unambiguous characters."""
    chars = "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


# -- throttling ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Throttle:
    """Failures counted on one username or one client address."""

    failures: int = 0
    next_at: datetime | None = None  # no attempt before
    last_at: datetime | None = None


def user_delay(failures: int) -> int:
    """Seconds the next attempt waits after `failures` in a row: 0, 0, 1, 2, 4 … 64."""
    return 0 if failures <= FREE_FAILURES else 2 ** (failures - FREE_FAILURES - 1)


def address_delay(failures: int) -> int:
    return 0 if failures < ADDRESS_FREE else min(2 ** (failures - ADDRESS_FREE), ADDRESS_MAX_DELAY)


def admit_username(state: Throttle, now: datetime) -> Throttle:
    """The state with this attempt counted as a failure; SignInRefused if it must wait or the
    username is locked (its password is then not checked)."""
    if state.failures >= LOCK_AT:
        raise SignInRefused(
            "body.username",
            f"{LOCK_AT} failed sign-ins in a row locked this account: an admin of its unit"
            " (or of a unit above) unlocks it",
            "locked",
            status=423,
        )
    _wait(state, now)
    failures = state.failures + 1
    return Throttle(failures, now + timedelta(seconds=user_delay(failures)), now)


def failed(state: Throttle, now: datetime, delay: Callable[[int], int] = user_delay) -> Throttle:
    """A state once its attempt (counted by `admit_…`) turned out wrong at `now`: the delay
    runs from the answer, not from the question."""
    return Throttle(state.failures, now + timedelta(seconds=delay(state.failures)), now)


def admit_address(state: Throttle, now: datetime) -> Throttle:
    if state.last_at is not None and now - state.last_at > ADDRESS_QUIET:
        state = Throttle()
    _wait(state, now)
    failures = state.failures + 1
    return Throttle(failures, now + timedelta(seconds=address_delay(failures)), now)


def _wait(state: Throttle, now: datetime) -> None:
    if state.next_at is not None and now < state.next_at:
        seconds = max(1, int((state.next_at - now).total_seconds() + 0.999))
        raise SignInRefused(
            "body.username",
            f"too many failed sign-ins: try again in {seconds} s",
            "delayed",
            status=429,
            retry_after=seconds,
        )


def succeeded(address: Throttle) -> Throttle:
    """An address's state once its attempt turned out right: that attempt was no failure."""
    return replace(address, failures=max(0, address.failures - 1))


# -- who manages whom ----------------------------------------------------------------------------


def check_admin(caller: Caller | None, what: str = "accounts") -> None:
    """Forbidden for a caller who is no admin (None: the server's `hdnd accounts`)."""
    if caller is not None and caller.principal.role != "admin":
        raise Forbidden(
            "header.authorization",
            f"a {caller.principal.role} does not manage {what}: an admin of the unit or of a"
            " unit above it does",
            kind="not_admin",
        )


def check_manages(
    caller: Caller | None, unit: str, era: Era, field: str = "path.account_id"
) -> None:
    """NotFound unless `caller` manages accounts of `unit` of `era` (see check_admin)."""
    check_admin(caller)
    if caller is not None and not caller.administers(unit, era):
        raise NotFound(field, "no such account among those you manage")


def check_role_given(caller: Caller | None, role: str) -> None:
    if caller is not None and role == "operator":
        raise Forbidden(
            "body.role",
            "operators are made on the server only (`hdnd accounts create --role operator`)",
            kind="operator_by_server_only",
        )


def unit_of(
    hierarchy: Hierarchy, served: list[str], unit: str, era: Era | None, field: str = "body.unit"
) -> tuple[str, Era]:
    """The unit and era an account is for: the unit must exist in the era (default: the
    latest in which the code names a unit) and be served by this deployment."""
    era = era or hierarchy.latest_era(unit)
    if era is None or hierarchy.find(unit, era) is None:
        raise DomainError(field, f"no unit {unit} in the {era or 'legacy or 2025'} era")
    if served and not any(
        hierarchy.find(scope, era) is not None and hierarchy.is_within(unit, scope, era)
        for scope in served
    ):
        raise NotFound(field, f"unit {unit} is not served by this deployment")
    return unit, era


def totp_required(hierarchy: Hierarchy, policies: set[str], unit: str, era: Era) -> bool:
    """Whether a unit or one of the units above it requires a second factor."""
    if hierarchy.find(unit, era) is None:
        return False
    return any(code in policies for code in hierarchy.lineage(unit, era))
