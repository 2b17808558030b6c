"""The province's OpenID provider as hdnd's client sees it (authlib): its discovery document,
the authorization URL of one sign-in (authorization code, PKCE S256, state and nonce), and the
exchange of the code for an ID token that is believed only once its signature (a key of the
provider's JWKS), issuer, audience, nonce and expiry are checked.

authlib's Starlette client does the protocol; the state it would keep in a session cookie is
kept by hdnd itself (services.reporting.identity.sso), so reporting needs no session
middleware. Discovery is read once and must name the configured issuer (a document that names
another is refused: a mix-up, or the wrong address); the JWKS is fetched again when an ID
token names a key it does not hold (the provider rotated its keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.starlette_client import OAuth
from joserfc.errors import ClaimError, JoseError

from services.common.settings import Settings
from services.reporting.identity.domain import SignInRefused

TIMEOUT = 10.0  # seconds a call to the provider may take before the sign-in is refused
LEEWAY = 60  # seconds of clock difference with the provider an ID token's times may have


def unavailable(detail: str) -> SignInRefused:
    return SignInRefused(
        "oidc", f"the OpenID provider cannot be used: {detail}", "oidc_unavailable", 502
    )


class Provider:
    def __init__(self, settings: Settings) -> None:
        assert settings.oidc_issuer is not None
        self.issuer = settings.oidc_issuer
        self.client_id = settings.oidc_client_id
        secret_file = settings.oidc_client_secret_file
        secret = secret_file.read_text().strip() if secret_file is not None else None
        discovery = settings.oidc_discovery_url or (
            self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        )
        self.app = OAuth().register(
            "province",
            client_id=self.client_id,
            client_secret=secret,
            server_metadata_url=discovery,
            client_kwargs={
                "scope": settings.oidc_scopes,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": "client_secret_basic" if secret else "none",
                "timeout": TIMEOUT,
            },
        )

    async def _metadata(self) -> Mapping[str, Any]:
        try:
            metadata: Mapping[str, Any] = await self.app.load_server_metadata()
        except (httpx.HTTPError, ValueError) as exc:
            raise unavailable(f"its discovery document: {type(exc).__name__}") from None
        if metadata.get("issuer") != self.issuer:
            self.app.server_metadata.clear()  # read it again next time: it may be mended
            raise unavailable(
                f"its discovery document names the issuer {metadata.get('issuer')!r},"
                f" not {self.issuer!r}"
            )
        return metadata

    async def authorization_url(
        self, redirect_uri: str, state: str, nonce: str, verifier: str
    ) -> str:
        """Where the browser goes to sign in at the provider."""
        await self._metadata()
        made = await self.app.create_authorization_url(
            redirect_uri, state=state, nonce=nonce, code_verifier=verifier
        )
        return str(made["url"])

    async def claims(
        self, code: str, redirect_uri: str, verifier: str, nonce: str
    ) -> dict[str, Any]:
        """The verified claims of the ID token the provider gives for `code`."""
        await self._metadata()
        try:
            token = await self.app.fetch_access_token(
                redirect_uri=redirect_uri, code=code, code_verifier=verifier
            )
        except httpx.HTTPError as exc:
            raise unavailable(f"its token endpoint: {type(exc).__name__}") from None
        except (AuthlibBaseError, ValueError) as exc:
            raise SignInRefused(
                "query.code",
                f"the provider did not exchange the code: {exc}"[:300],
                "oidc_exchange_failed",
                400,
            ) from None
        if "id_token" not in token:
            raise SignInRefused(
                "id_token", "the provider sent no ID token", "oidc_token_invalid", 401
            )
        return await self.verified(token, nonce)

    async def verified(self, token: Mapping[str, Any], nonce: str) -> dict[str, Any]:
        """The claims of `token`'s ID token, refused unless it is signed by a key of the
        provider's JWKS, issued by the configured issuer, for this client, with `nonce`, and
        not expired."""
        options = {
            "iss": {"essential": True, "value": self.issuer},
            "aud": {"essential": True, "value": self.client_id},
            "exp": {"essential": True},
            "nonce": {"essential": True, "value": nonce},
        }
        try:
            claims = await self.app.parse_id_token(
                dict(token), nonce=nonce, claims_options=options, leeway=LEEWAY
            )
        except httpx.HTTPError as exc:
            raise unavailable(f"its keys (JWKS): {type(exc).__name__}") from None
        except ClaimError as exc:
            field = f"id_token.{exc.claim}"
            raise SignInRefused(
                field, f"ID token refused: {exc}", "oidc_token_invalid", 401
            ) from None
        except (JoseError, ValueError) as exc:
            message = f"ID token refused: {type(exc).__name__}: {exc}"[:300]
            raise SignInRefused("id_token.signature", message, "oidc_token_invalid", 401) from None
        return dict(claims)
