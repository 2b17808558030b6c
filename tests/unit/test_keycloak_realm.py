"""Keycloak in compose, checked without Docker: the realm export deploy/keycloak/ imports at
start gives reporting what its settings expect (a confidential client `hdnd` with PKCE S256
and the code flow only; the claims hdnd_unit and hdnd_role in ID tokens, under the names the
settings read; groups the role table maps), people cannot edit their own unit, no secret is
in the file, and compose hands Keycloak every value the file's placeholders name."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from services.common.hierarchy import Hierarchy
from services.common.settings import Settings
from tests.unit.test_compose import project

ROOT = Path(__file__).resolve().parents[2]
REALM = json.loads((ROOT / "deploy" / "keycloak" / "hdnd-12-realm.json").read_text())


def client() -> dict[str, Any]:
    (hdnd,) = [c for c in REALM["clients"] if c["clientId"] == "hdnd"]
    return dict(hdnd)


def mappers() -> dict[str, dict[str, str]]:
    return {m["config"]["claim.name"]: m for m in client()["protocolMappers"]}


def test_the_client_is_confidential_with_the_code_flow_and_pkce_only() -> None:
    hdnd = client()
    assert REALM["realm"] == "hdnd-12" and REALM["enabled"] and hdnd["enabled"]
    assert hdnd["protocol"] == "openid-connect" and hdnd["publicClient"] is False
    assert hdnd["attributes"]["pkce.code.challenge.method"] == "S256"
    assert hdnd["standardFlowEnabled"] is True
    assert not hdnd["implicitFlowEnabled"] and not hdnd["directAccessGrantsEnabled"]
    assert hdnd["redirectUris"] == ["https://${HDND_DOMAIN}/auth/oidc/callback"]
    assert hdnd["secret"] == "${HDND_OIDC_CLIENT_SECRET}"  # from a secret file, never here
    assert {"basic", "profile"} <= set(hdnd["defaultClientScopes"])  # sub, preferred_username


def test_the_claims_are_in_id_tokens_under_the_names_reporting_reads() -> None:
    settings = Settings()
    env = project()["services"]["reporting"]["environment"]
    found = mappers()
    for claim in (settings.oidc_unit_claim, env["HDND_OIDC_UNIT_CLAIM"]):
        assert found[claim]["protocolMapper"] == "oidc-usermodel-attribute-mapper"
        assert found[claim]["config"]["user.attribute"] == "hdnd_unit"
        assert found[claim]["config"]["multivalued"] == "false"
    for claim in (settings.oidc_role_claim, env["HDND_OIDC_ROLE_CLAIM"]):
        assert found[claim]["protocolMapper"] == "oidc-group-membership-mapper"
        assert found[claim]["config"]["full.path"] == "false"  # names, as the table has them
    for mapper in found.values():
        assert mapper["config"]["id.token.claim"] == "true"
    roles = json.loads(env["HDND_OIDC_ROLES"])
    assert {g["name"] for g in REALM["groups"]} == set(roles)
    assert set(roles.values()) <= {"secretary", "viewer", "admin"}  # never operator


def test_only_an_admin_of_keycloak_edits_a_persons_unit_and_username() -> None:
    assert REALM["editUsernameAllowed"] is False and REALM["registrationAllowed"] is False
    (provider,) = REALM["components"]["org.keycloak.userprofile.UserProfileProvider"]
    profile = json.loads(provider["config"]["kc.user.profile.config"][0])
    attributes = {a["name"]: a for a in profile["attributes"]}
    for name in ("hdnd_unit", "username"):
        assert attributes[name]["permissions"]["edit"] == ["admin"], name
    assert profile["unmanagedAttributePolicy"] != "ENABLED"  # no attribute people make up


def test_the_sample_person_maps_to_a_unit_and_a_role_and_has_no_password_here() -> None:
    (person,) = REALM["users"]
    env = project()["services"]["reporting"]["environment"]
    roles = json.loads(env["HDND_OIDC_ROLES"])
    (unit,) = person["attributes"]["hdnd_unit"]
    assert Hierarchy.load().find(unit, "2025") is not None
    assert [roles[g.strip("/")] for g in person["groups"]] == ["secretary"]
    (credential,) = person["credentials"]
    assert credential["temporary"] is True
    assert credential["value"] == "${HDND_KEYCLOAK_SAMPLE_PASSWORD}"


def test_compose_imports_the_realm_and_gives_every_placeholder_a_value() -> None:
    services = project()["services"]
    keycloak, reporting = services["keycloak"], services["reporting"]
    assert re.fullmatch(r"quay\.io/keycloak/keycloak:\d+\.\d+\.\d+", keycloak["image"])
    assert "--import-realm" in keycloak["command"]
    mounts = {v["target"]: v["source"] for v in keycloak["volumes"] if v["type"] == "bind"}
    assert Path(mounts["/opt/keycloak/data/import"]) == ROOT / "deploy" / "keycloak"
    text = (ROOT / "deploy" / "keycloak" / "hdnd-12-realm.json").read_text()
    exported = " ".join(keycloak["entrypoint"])
    for name in set(re.findall(r"\$\{([A-Z_]+)\}", text)):
        assert name in keycloak["environment"] or f"{name}=" in exported, name
    path = keycloak["environment"]["KC_HTTP_RELATIVE_PATH"]
    assert f"handle {path}/*" in (ROOT / "deploy" / "Caddyfile").read_text()
    assert reporting["environment"]["HDND_OIDC_ISSUER"].endswith(f"{path}/realms/hdnd-12")
    assert "/run/secrets/oidc/client-secret" in [s["target"] for s in reporting["secrets"]]
    assert (
        keycloak["environment"]["KC_HOSTNAME"]
        == f"https://{reporting['environment']['HDND_OIDC_ISSUER'].split('/')[2]}{path}"
    )
