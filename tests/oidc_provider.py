"""A real OpenID provider for the single sign-on tests: oidc-provider-mock (PyPI), started as
its own process on a free port, clients registered through its registration endpoint, people
given their claims through its `PUT /users/{sub}`, and signed in on its authorization page as
a person would (the page's form names the person: `sub`)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from deploy.local import free_port


@dataclass(frozen=True)
class OpenIdProvider:
    issuer: str  # http://127.0.0.1:<port>, its discovery document's `issuer`

    def register(self, redirect_uri: str) -> tuple[str, str]:
        """A new client of the provider: (client id, client secret)."""
        r = httpx.post(f"{self.issuer}/oauth2/clients", json={"redirect_uris": [redirect_uri]})
        assert r.status_code == 201, r.text
        return r.json()["client_id"], r.json()["client_secret"]

    async def person(self, sub: str, **claims: Any) -> None:
        """The claims the provider will put in `sub`'s ID tokens from now on."""
        async with httpx.AsyncClient() as client:
            r = await client.put(f"{self.issuer}/users/{quote(sub, safe='')}", json=claims)
            assert r.status_code == 204, r.text


@contextlib.contextmanager
def running_provider(log: Path) -> Iterator[OpenIdProvider]:
    """The provider process, requiring registered clients and a nonce, until the block ends."""
    port = free_port()
    command = [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)]
    command += ["--host", "127.0.0.1", "--require-registration", "--require-nonce"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    provider = OpenIdProvider(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the OpenID provider exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{provider.issuer}/.well-known/openid-configuration").is_success:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the OpenID provider did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
