"""People and programs who sign in (bounded context `identity`, topic `hdnd.identity`).

The deployment's token issuer (reporting's identity part) records every change to an account,
every sign-in, failed sign-in and sign-out, so a council can see who was given which rights by
whom, and who signed in when:

- `account.created`, `account.changed`, `account.disabled`, `account.enabled`,
  `account.password_reset` (an admin set a temporary password), `account.unlocked`,
  `account.password_changed`, `account.totp_enabled` and `account.preferences_changed`
  (by the holder: which notifications also come by e-mail);
- `sign_in.succeeded`, `sign_in.failed` (a wrong password or code; also for a username no
  account has, without creating anything), `session.signed_out`, `session.revoked` (a refresh
  token used twice: whoever holds the session now may have stolen it);
- `service_account.created`, `service_account.revoked`: programs' API tokens;
- `sign_in_policy.changed`: a unit requires a second factor (TOTP) of its people and of
  those of every unit below it, or no longer.

The envelope's unit is the account's (a failed sign-in of an unknown username: the
deployment's own unit). `by` names who acted: an account, or `hdnd accounts` on the server
(`system`). No event carries a password, a hash, a TOTP secret, a token or a session id.
All are version 1 but `sign_in.succeeded` (v2 names the method: password or OIDC).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import UnitCode
from contracts.rules import Record
from contracts.versioning import Payload, upcaster

TOPIC: Final = "identity"  # the `Topics` property its events travel on

AccountId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Username = Annotated[str, Field(min_length=1, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Position = Annotated[str, Field(min_length=1, max_length=200)]
AccountRole = Literal["secretary", "viewer", "operator", "admin"]
EraName = Literal["legacy", "2025"]
Email = Annotated[
    str,
    Field(
        min_length=3,
        max_length=254,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="Địa chỉ thư điện tử: where notifications chosen by e-mail go.",
    ),
]
NoticeKind = Literal["reminder", "escalation", "digest", "answer"]


class Actor(BaseModel):
    """Who acted: an account (`person`), a service account, or the server's operator tool."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: AccountId
    name: Name
    kind: Literal["person", "service", "system"]


class _Event(Record):
    """An identity event; its type and version are class keywords, declared where it is named:
    `class AccountEnabled(_ByAccount, event="account.enabled")` (version 1 unless given)."""

    TYPE: ClassVar[str]
    VERSION: ClassVar[int]

    def __init_subclass__(cls, event: str = "", version: int = 1, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if event:
            cls.TYPE, cls.VERSION = event, version


class _ByAccount(_Event):
    account_id: AccountId
    by: Actor


class AccountCreated(_ByAccount, event="account.created"):
    """`account.created` v1: a person's account (tài khoản) at a unit, with a role."""

    username: Username
    full_name: Name = Field(description="Họ và tên.")
    position: Position | None = Field(default=None, description="Chức vụ, e.g. chuyên viên.")
    unit: UnitCode
    era: EraName
    role: AccountRole
    email: Email | None = None


class AccountChanged(_ByAccount, event="account.changed"):
    """`account.changed` v1: what an admin changed; fields not changed are absent."""

    full_name: Name | None = None
    position: Position | None = None
    unit: UnitCode | None = None
    era: EraName | None = None
    role: AccountRole | None = None
    email: Email | None = None


class AccountDisabled(_ByAccount, event="account.disabled"):
    """`account.disabled` v1: the person can no longer sign in; their sessions are revoked."""


class AccountEnabled(_ByAccount, event="account.enabled"):
    """`account.enabled` v1: a disabled account may sign in again."""


class AccountPasswordReset(_ByAccount, event="account.password_reset"):
    """`account.password_reset` v1: an admin set a temporary password, to be changed at the
    next sign-in; the account's sessions are revoked."""


class AccountUnlocked(_ByAccount, event="account.unlocked"):
    """`account.unlocked` v1: an admin lifted the lock of ten failed sign-ins."""


class AccountPasswordChanged(_ByAccount, event="account.password_changed"):
    """`account.password_changed` v1: the holder chose a new password."""


class AccountTotpEnabled(_ByAccount, event="account.totp_enabled"):
    """`account.totp_enabled` v1: the holder set up a second factor (TOTP)."""


class _SignInSucceeded(_Event):
    account_id: AccountId
    username: Username


class SignInSucceeded(_SignInSucceeded, event="sign_in.succeeded", version=2):
    """`sign_in.succeeded` v2: the account signed in (đăng nhập), with its password or through
    the province's OpenID provider (`oidc`, single sign-on)."""

    method: Literal["password", "oidc"]


class SignInSucceededV1(_SignInSucceeded, event="sign_in.succeeded"):
    """`sign_in.succeeded` v1: the account signed in (đăng nhập)."""

    model_config = ConfigDict(title="SignInSucceeded")  # its schema stays as published


@upcaster(SignInSucceededV1, to=SignInSucceeded)
def signed_in_with_a_password(v1: Payload) -> Payload:
    """v1 → v2: before single sign-on, every sign-in was with a password."""
    return {**v1, "method": "password"}


class AccountLinked(_ByAccount, event="account.linked"):
    """`account.linked` v1: the account is managed by the province's OpenID provider `issuer`
    from now on (single sign-on): its holder signs in there, it has no password in hdnd."""

    issuer: str = Field(min_length=1, max_length=500)


class SignInFailed(_Event, event="sign_in.failed"):
    """`sign_in.failed` v1: a wrong password or second factor for `username`; `account_id` is
    absent when no account has that username. `failures`: consecutive ones on the username;
    `locked`: this one locked the account (ten in a row), until an admin unlocks it."""

    username: Username
    account_id: AccountId | None = None
    reason: Literal["bad_credentials", "bad_otp"]
    failures: int = Field(ge=1, le=1000)
    locked: bool = False


class SessionSignedOut(_Event, event="session.signed_out"):
    """`session.signed_out` v1: the holder signed out (đăng xuất); the session is revoked."""

    account_id: AccountId


class SessionRevoked(_Event, event="session.revoked"):
    """`session.revoked` v1: the issuer revoked a session on its own: a refresh token was used
    a second time (someone else may hold it)."""

    account_id: AccountId
    reason: Literal["refresh_token_reused"]


class ServiceAccountCreated(_Event, event="service_account.created"):
    """`service_account.created` v1: a program's named account and its API token, valid until
    `expires` (90 days at most)."""

    service_account_id: AccountId
    name: Name
    unit: UnitCode
    era: EraName
    role: AccountRole
    expires: datetime
    by: Actor


class ServiceAccountRevoked(_Event, event="service_account.revoked"):
    """`service_account.revoked` v1: its token is refused from now on."""

    service_account_id: AccountId
    by: Actor


class SignInPolicyChanged(_Event, event="sign_in_policy.changed"):
    """`sign_in_policy.changed` v1: whether the envelope's unit requires a second factor of
    the people of it and of every unit below it."""

    totp_required: bool
    by: Actor


class AccountPreferencesChanged(_ByAccount, event="account.preferences_changed"):
    """`account.preferences_changed` v1: which kinds of notification the holder gets by e-mail
    as well (nhận thư điện tử); in the workspace every kind always arrives."""

    email_kinds: list[NoticeKind] = Field(max_length=4)


IDENTITY_EVENTS: tuple[type[BaseModel], ...] = (
    AccountCreated,
    AccountChanged,
    AccountDisabled,
    AccountEnabled,
    AccountPasswordReset,
    AccountUnlocked,
    AccountPasswordChanged,
    AccountTotpEnabled,
    AccountLinked,
    SignInSucceeded,
    SignInFailed,
    SessionSignedOut,
    SessionRevoked,
    ServiceAccountCreated,
    ServiceAccountRevoked,
    SignInPolicyChanged,
    AccountPreferencesChanged,
)
