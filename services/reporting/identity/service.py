"""Identity put together: the deployment's token issuer, in the reporting process (README,
"Authorization": why one issuer per province deployment, in reporting).

It has a database and an outbox of its own (`<prefix>_identity`, a Runtime of service
`identity`), so its events form their own streams and nothing else reads its documents. It is
also the issuer the services trust (services.common.token_trust.LocalIssuer): its JWKS and
what it revoked, served over HTTP to the others and read directly by reporting itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from services.common.hierarchy import Hierarchy
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.common.tokens import LEEWAY
from services.reporting.identity.accounts import Accounts
from services.reporting.identity.core import Core
from services.reporting.identity.keys import IssuerKeys
from services.reporting.identity.provider import Provider
from services.reporting.identity.sign_in import SignIn
from services.reporting.identity.sso import SingleSignOn


class Identity:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.accounts = Accounts(core)
        self.sign_in = SignIn(core)
        self.sso = (  # single sign-on at the province's OpenID provider, where configured
            SingleSignOn(core, self.sign_in, Provider(core.settings))
            if core.settings.oidc_issuer
            else None
        )

    @classmethod
    def build(
        cls, settings: Settings, hierarchy: Hierarchy, mongo_user: str = "reporting"
    ) -> Identity:
        """Identity on its own database (`<prefix>_identity`), signed in to MongoDB as the
        reporting process it lives in (deploy.mongo_users), or as `mongo_user` (the operator's
        `hdnd accounts`)."""
        assert settings.issuer_keys_dir is not None
        runtime = Runtime(settings, "identity", mongo_user=mongo_user)
        return cls(Core(settings, runtime, hierarchy, IssuerKeys(settings.issuer_keys_dir)))

    async def start(self, relay: bool = True) -> None:
        self.core.keys.signing_key()  # NoIssuerKey: no key, no service
        await self.core.store.create_indexes()
        await self.core.runtime.start(relay=relay, follow_hierarchy=False)

    async def stop(self) -> None:
        await self.core.runtime.stop()

    async def jwks(self) -> Mapping[str, Any]:
        return self.core.keys.public_keys(self.core.now()).jwks()

    async def revoked(self) -> Mapping[str, Any]:
        """Sessions revoked recently enough that an access token of theirs may still be
        valid, and service-account tokens revoked before they expire: opaque ids only."""
        now = datetime.now(UTC)  # what services compare expiry with, whatever the test clock
        since = now - self.core.access_ttl - LEEWAY - timedelta(minutes=1)
        return {
            "sessions": sorted(await self.core.store.revoked_sessions(since)),
            "tokens": sorted(await self.core.store.revoked_tokens(now)),
            "as_of": now.isoformat(),
        }
