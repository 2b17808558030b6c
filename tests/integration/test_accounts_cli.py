"""`hdnd accounts` and `hdnd tokens` on the server, against the real servers: accounts made,
changed and revoked through identity's service layer (the same events as an admin's API
calls, by the server), service accounts whose tokens the services accept, issuer keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymongo import MongoClient
from typer.testing import CliRunner

from deploy.cli import app
from services.common.mongo import OPERATOR, credentials
from services.common.settings import Settings
from services.common.tokens import decode_token
from services.reporting.identity.keys import IssuerKeys
from tests.conftest import TOKEN_AUDIENCE, TOKEN_ISSUER

pytestmark = pytest.mark.integration


def test_accounts_and_api_tokens_are_made_changed_and_revoked_on_the_server(
    settings: Settings, tmp_path: Path
) -> None:
    issuer = tmp_path / "issuer"
    env = settings.environment() | {
        "HDND_UNITS": "12",
        "HDND_ISSUER_KEYS_DIR": str(issuer),
        "HDND_INSTANCE": "cli",
    }
    runner = CliRunner()

    def hdnd(*args: str) -> str:
        done = runner.invoke(app, list(args), env=env)
        assert done.exit_code == 0, (args, done.output)
        return done.output

    def refused(*args: str) -> str:
        done = runner.invoke(app, list(args), env=env)
        assert done.exit_code != 0, (args, done.output)
        return done.output

    assert "made" in hdnd("accounts", "issuer-key", "generate")
    assert "kept" in hdnd("accounts", "issuer-key", "generate")
    made = hdnd(
        "accounts", "create", "--username", "quan.tri", "--name", "Nguyễn Văn Quản",
        "--unit", "12", "--role", "admin", "--position", "Chánh Văn phòng",
    )  # fmt: skip
    assert "temporary password: " in made and "admin of 12" in made
    assert "operator of 12" in hdnd(
        "accounts", "create", "--username", "van.hanh", "--name", "Vận Hành",
        "--unit", "12", "--role", "operator",
    )  # fmt: skip
    assert "taken" in refused(
        "accounts", "create", "--username", "QUAN.TRI", "--name", "X", "--unit", "12"
    )
    assert "77777" in refused(
        "accounts", "create", "--username", "a.b", "--name", "X", "--unit", "77777"
    )
    assert "quan.tri" in hdnd("accounts", "list", "--unit", "12")
    assert "disabled" in hdnd("accounts", "disable", "quan.tri")
    assert "active" in hdnd("accounts", "enable", "quan.tri")
    reset = hdnd("accounts", "reset", "quan.tri")
    assert "temporary password: " in reset
    assert "viewer of 12" in hdnd("accounts", "edit", "quan.tri", "--role", "viewer")
    hdnd("accounts", "unlock", "quan.tri")
    assert "True" in hdnd("accounts", "policy", "--unit", "12")

    issued = runner.invoke(
        app,
        ["tokens", "issue", "--unit", "106", "--era", "legacy", "--role", "viewer", "--days", "2"],
        env=env,
    )
    assert issued.exit_code == 0, issued.output
    api_token = issued.stdout.strip()
    principal = decode_token(
        api_token, IssuerKeys(issuer).public_keys(), issuer=TOKEN_ISSUER, audience=TOKEN_AUDIENCE
    )
    assert (principal.unit, principal.era, principal.role, principal.kind) == (
        "106",
        "legacy",
        "viewer",
        "service",
    )
    assert "viewer" in hdnd("tokens", "inspect", api_token)
    assert "viewer-106" in hdnd("accounts", "service-list")
    assert "revoked at" in hdnd("accounts", "service-revoke", principal.user)
    assert "90" in refused("tokens", "issue", "--unit", "12", "--days", "91")
    assert "77777" in refused("tokens", "issue", "--unit", "77777")

    rotated = hdnd("accounts", "issuer-key", "rotate")
    assert "signs from now on" in rotated
    listed = hdnd("accounts", "issuer-key", "list")
    assert listed.count("true") == 2  # the old key stays in the JWKS for its tokens
    assert "nothing" in hdnd("accounts", "issuer-key", "drop")

    with MongoClient(settings.mongodb_uri, **credentials(settings, OPERATOR)) as mongo:
        rows = list(mongo[settings.database_for("identity")]["outbox"].find())
    kinds = sorted(row["event_type"] for row in rows)
    assert kinds.count("account.created") == 2 and "service_account.revoked" in kinds
    assert {"account.disabled", "account.enabled", "account.password_reset"} <= set(kinds)
    assert {"account.changed", "account.unlocked", "sign_in_policy.changed"} <= set(kinds)
    assert all(b"hdnd accounts" in bytes(row["value"]) for row in rows)
