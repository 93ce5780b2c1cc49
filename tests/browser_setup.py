"""Provisioning for browser sign-in tests: a moto user pool with an OAuth app client and
its local managed login, or a local OpenID Connect provider that an identity pool
trusts directly (an IAM OIDC provider listed on the pool)."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    TEST_PASSWORDS,
    Cognito,
    aws_client,
    create_identity_pool,
    ini_section,
    provision,
)
from .managed_login import ACCOUNT, ManagedLogin
from .oauth_common import pick_redirect_port
from .oidc_provider import OidcClient, OidcProvider
from .strict_cognito import BEHAVIOUR

DRIVER = Path(__file__).with_name("browser_driver.py")
OIDC_PASSWORD = "Okta-Style-Pass-77"
TEST_PASSWORDS.add(OIDC_PASSWORD)


@dataclass
class ManagedPool:
    """A user pool with a domain (the local managed login) and an OAuth app client."""

    cognito: Cognito
    login: ManagedLogin
    client_id: str
    client_secret: str | None
    redirect_uri: str
    identity_pool_id: str

    def add_client(self, **options: Any) -> dict[str, Any]:
        """Another OAuth app client, which the identity pool trusts too."""
        client = oauth_client(self.cognito, self.redirect_uri, **options)
        identity = self.cognito.identity
        pool = identity.describe_identity_pool(IdentityPoolId=self.identity_pool_id)
        providers = pool.get("CognitoIdentityProviders") or []
        providers.append({**providers[0], "ClientId": client["ClientId"]})
        identity.update_identity_pool(
            IdentityPoolId=self.identity_pool_id,
            IdentityPoolName=pool["IdentityPoolName"],
            AllowUnauthenticatedIdentities=pool["AllowUnauthenticatedIdentities"],
            CognitoIdentityProviders=providers,
        )
        return client

    def add_federated_idp(self, name: str) -> None:
        """A federated OpenID Connect IdP of the pool (the managed login plays its page)."""
        self.cognito.idp.create_identity_provider(
            UserPoolId=self.cognito.user_pool_id,
            ProviderName=name,
            ProviderType="OIDC",
            ProviderDetails={
                "client_id": "x",
                "authorize_scopes": "openid",
                "oidc_issuer": "https://o",
            },
        )

    def profile_section(self, name: str = "dev", **overrides: Any) -> str:
        values: dict[str, Any] = {
            "auth_flow": "BROWSER",
            "login_domain": self.login.url,
            "user_pool_id": self.cognito.user_pool_id,
            "app_client_id": self.client_id,
            "identity_pool_id": self.identity_pool_id,
            "redirect_uri": self.redirect_uri,
            "endpoint_url": self.cognito.endpoint,
        }
        if self.client_secret:
            values["app_client_secret"] = self.client_secret
        return ini_section(name, values, **overrides)


def oauth_client(
    cognito: Cognito,
    redirect_uri: str,
    *,
    secret: bool = False,
    scopes: tuple[str, ...] = ("openid", "email", "profile"),
    flows: tuple[str, ...] = ("code",),
    rotate: bool = False,
    identity_providers: tuple[str, ...] = ("COGNITO",),
    client_secret: str | None = None,
) -> dict[str, Any]:
    """An OAuth app client; ``client_secret``: one chosen rather than generated
    (CreateUserPoolClient's ClientSecret)."""
    extra: dict[str, Any] = {}
    if rotate:
        extra["RefreshTokenRotation"] = {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}
    if client_secret is not None:
        extra["ClientSecret"] = client_secret
    created = cognito.idp.create_user_pool_client(
        UserPoolId=cognito.user_pool_id,
        ClientName="browser",
        GenerateSecret=secret or client_secret is not None,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=list(flows),
        AllowedOAuthScopes=list(scopes),
        CallbackURLs=[redirect_uri],
        LogoutURLs=[redirect_uri.rsplit("/", 1)[0] + "/signed-out"],
        SupportedIdentityProviders=list(identity_providers),
        ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
        **extra,
    )["UserPoolClient"]
    if client_secret is not None:
        # moto (5.2) drops ClientSecret and makes up a secret: put the chosen one in its
        # model, then read the client back as Cognito describes it.
        from moto.cognitoidp.models import cognitoidp_backends

        region = cognito.user_pool_id.split("_", 1)[0]
        pool = cognitoidp_backends[ACCOUNT][region].user_pools[cognito.user_pool_id]
        pool.clients[created["ClientId"]].secret = client_secret
        created = cognito.idp.describe_user_pool_client(
            UserPoolId=cognito.user_pool_id, ClientId=created["ClientId"]
        )["UserPoolClient"]
        assert created["ClientSecret"] == client_secret
    BEHAVIOUR.record(created.get("ClientSecret"))  # no output may ever show it
    return dict(created)


def provision_managed(
    endpoint: str, login_factory: type[ManagedLogin] = ManagedLogin, **options: Any
) -> ManagedPool:
    cognito = provision(endpoint)
    cognito.idp.create_user_pool_domain(Domain="people-test", UserPoolId=cognito.user_pool_id)
    redirect_uri = f"http://localhost:{pick_redirect_port()}/callback"
    client = oauth_client(cognito, redirect_uri, **options)
    identity_pool_id = create_identity_pool(
        cognito.identity, "browser_ids", cognito.user_pool_id, client["ClientId"]
    )
    login = login_factory(cognito.user_pool_id)
    login.start()
    return ManagedPool(
        cognito=cognito,
        login=login,
        client_id=client["ClientId"],
        client_secret=client.get("ClientSecret"),
        redirect_uri=redirect_uri,
        identity_pool_id=identity_pool_id,
    )


@pytest.fixture
def managed(moto_endpoint: str) -> Iterator[ManagedPool]:
    pool = provision_managed(moto_endpoint)
    yield pool
    pool.login.stop()


@pytest.fixture
def managed_secret(moto_endpoint: str) -> Iterator[ManagedPool]:
    pool = provision_managed(moto_endpoint, secret=True)
    yield pool
    pool.login.stop()


# A client secret of the form Cognito's API allows ([\w+]+, 24 to 64 characters), with
# the characters that HTTP Basic in Cognito's form and in RFC 6749's tell apart.
PLUS_SECRET = "r9+Fk2_Lw7+Qe4Zt_1Xc8+Vb3Nm_6Hy5Ju0Pa"


@pytest.fixture
def managed_plus_secret(moto_endpoint: str) -> Iterator[ManagedPool]:
    pool = provision_managed(moto_endpoint, client_secret=PLUS_SECRET)
    yield pool
    pool.login.stop()


@dataclass
class OidcSetup:
    """A local OpenID Connect provider, its app, one user, and an identity pool that
    trusts the provider directly."""

    provider: OidcProvider
    client: OidcClient
    identity_pool_id: str
    endpoint: str
    username: str = "bob"
    password: str = OIDC_PASSWORD

    @property
    def logins_key(self) -> str:
        return self.provider.issuer.split("://", 1)[1]

    def profile_section(self, name: str = "okta", **overrides: Any) -> str:
        values: dict[str, Any] = {
            "auth_flow": "BROWSER",
            "oidc_issuer": self.provider.issuer,
            "app_client_id": self.client.client_id,
            "identity_pool_id": self.identity_pool_id,
            "redirect_uri": self.client.redirect_uris[0],
            "endpoint_url": self.endpoint,
        }
        if self.client.secret:
            values["app_client_secret"] = self.client.secret
        return ini_section(name, values, **overrides)


def provision_oidc(
    endpoint: str, *, secret: str | None = None, register: bool = True, rotate: bool = False
) -> OidcSetup:
    cognito = provision(endpoint)  # resets moto; the user pool is not used
    provider = OidcProvider()
    provider.start()
    client = provider.add_client(
        OidcClient(
            client_id="0oa-cli-app",
            redirect_uris=[f"http://localhost:{pick_redirect_port()}/callback"],
            secret=secret,
            rotate=rotate,
        )
    )
    provider.add_user("bob", OIDC_PASSWORD)
    arns = []
    if register:
        iam = aws_client("iam", endpoint)
        arns.append(
            iam.create_open_id_connect_provider(
                Url=provider.issuer, ClientIDList=[client.client_id], ThumbprintList=["a" * 40]
            )["OpenIDConnectProviderArn"]
        )
    identity_pool_id = cognito.identity.create_identity_pool(
        IdentityPoolName="oidc_ids",
        AllowUnauthenticatedIdentities=False,
        OpenIdConnectProviderARNs=arns,
    )["IdentityPoolId"]
    return OidcSetup(provider, client, identity_pool_id, endpoint)


@pytest.fixture
def oidc(moto_endpoint: str) -> Iterator[OidcSetup]:
    setup = provision_oidc(moto_endpoint)
    yield setup
    setup.provider.stop()


def browser_command(record: Path) -> dict[str, str]:
    """The environment that makes the helper open the test driver as its browser."""
    command = " ".join(shlex.quote(p) for p in (sys.executable, str(DRIVER))) + " %s"
    return {"BROWSER": command, "BROWSER_DRIVER_RECORD": str(record)}


def driver_records(record: Path) -> list[dict[str, Any]]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines() if line.strip()]
