"""The browser sign-in's settings: what auth_flow = BROWSER requires and refuses, the
Logins key of an OpenID Connect provider, and cache keys that follow the sign-in."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_credproc.config import Profile, profile_from_section
from cognito_credproc.errors import ConfigError

IDENTITY = "eu-west-1:11111111-2222-3333-4444-555555555555"
MANAGED = {
    "auth_flow": "browser",
    "login_domain": "https://myapp.auth.eu-west-1.amazoncognito.com",
    "user_pool_id": "eu-west-1_AbCdEf123",
    "app_client_id": "1example23456789abcdefghij",
    "identity_pool_id": IDENTITY,
}
OKTA = {
    "auth_flow": "BROWSER",
    "oidc_issuer": "https://dev-123.okta.com/oauth2/default",
    "app_client_id": "0oa1example2AbCdE3x7",
    "identity_pool_id": IDENTITY,
}


def load(**raw: Any) -> Profile:
    return profile_from_section("/cfg.ini", "p", {k: str(v) for k, v in raw.items()}, {})


def refused(**raw: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        load(**raw)
    return str(caught.value)


def test_managed_login_needs_no_username() -> None:
    profile = load(**MANAGED)
    assert profile.browser and profile.username is None
    assert profile.redirect_uri == "http://localhost:8400/callback"
    assert profile.oauth_scopes == ("openid",)
    assert profile.login_provider == "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
    assert profile.region == "eu-west-1"


def test_an_oidc_provider_needs_no_user_pool_and_asks_for_offline_access() -> None:
    profile = load(**OKTA)
    assert profile.user_pool_id is None
    assert profile.oauth_scopes == ("openid", "offline_access")
    assert profile.login_provider == "dev-123.okta.com/oauth2/default"
    assert load(**{**OKTA, "oidc_issuer": "https://x.auth0.com/"}).login_provider == "x.auth0.com"
    assert profile.region == "eu-west-1"  # from the identity pool
    guid = load(**{**OKTA, "app_client_id": "6731de76-14a6-49ae-97bc-6eba6914391e"})
    assert guid.app_client_id == "6731de76-14a6-49ae-97bc-6eba6914391e"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"login_domain": None}, "login_domain: is required"),
        ({"user_pool_id": None}, "user_pool_id: is required"),
        ({"login_domain": "http://myapp.auth.eu-west-1.amazoncognito.com"}, "must be https"),
        ({"login_domain": "https://x.test/?a=1"}, "must not carry a query"),
        ({"redirect_uri": "https://localhost:8400/callback"}, "http://localhost:PORT/PATH"),
        ({"redirect_uri": "http://example.com:8400/callback"}, "http://localhost:PORT/PATH"),
        ({"redirect_uri": "http://localhost:70000/callback"}, "http://localhost:PORT/PATH"),
        ({"scopes": "email profile"}, "must include openid"),
        ({"scopes": 'openid "x"'}, "is not an OAuth scope"),
        ({"app_client_id": "not-a-pool-client"}, "is not a user pool app client id"),
        ({"oidc_issuer": "https://dev-123.okta.com"}, "user_pool_id: is for managed login"),
    ],
)
def test_managed_login_settings_are_checked(changes: dict[str, Any], problem: str) -> None:
    raw = {k: v for k, v in {**MANAGED, **changes}.items() if v is not None}
    assert problem in refused(**raw)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"oidc_issuer": "http://dev-123.okta.com/oauth2/default"}, "must be https"),
        ({"identity_provider": "Okta"}, "identity_provider: is for managed login"),
        ({"login_domain": "https://x.test"}, "login_domain: is for managed login"),
        ({"app_client_id": None}, "app_client_id: is required"),
    ],
)
def test_oidc_settings_are_checked(changes: dict[str, Any], problem: str) -> None:
    raw = {k: v for k, v in {**OKTA, **changes}.items() if v is not None}
    assert problem in refused(**raw)


def test_loopback_http_is_allowed_for_local_emulators() -> None:
    assert load(**{**OKTA, "oidc_issuer": "http://127.0.0.1:9000/o"}).oidc_issuer
    assert load(**{**MANAGED, "login_domain": "http://localhost:9229"}).login_domain


@pytest.mark.parametrize("key", ["login_domain", "redirect_uri", "scopes", "identity_provider"])
def test_browser_settings_with_another_flow_are_refused(key: str) -> None:
    values = {
        "login_domain": "https://x.test",
        "redirect_uri": "http://localhost:1/cb",
        "scopes": "openid",
        "identity_provider": "Okta",
    }
    raw = {**MANAGED, "auth_flow": "USER_SRP_AUTH", "username": "alice", key: values[key]}
    kept = ("user_pool_id", "app_client_id", "username", "identity_pool_id", "auth_flow", key)
    raw = {k: v for k, v in raw.items() if k in kept}
    assert f"{key}: is used only with auth_flow = BROWSER" in refused(**raw)


def test_cache_keys_follow_what_defines_the_sign_in() -> None:
    base = load(**MANAGED)
    same = load(**{**MANAGED, "redirect_uri": "http://127.0.0.1:9999/cb"})
    assert base.signin_key == same.signin_key  # where the browser comes back is not who
    for changes in (
        {"identity_provider": "Okta"},
        {"login_domain": "https://auth.example.com"},
        {"scopes": "openid email"},
        {"username": "alice"},
    ):
        other = load(**{**MANAGED, **changes})
        assert other.signin_key != base.signin_key, changes
        assert other.credentials_key != base.credentials_key, changes
        assert other.lock_key == other.signin_key
    okta = load(**OKTA)
    assert okta.signin_key != load(**{**OKTA, "oidc_issuer": "https://dev-9.okta.com"}).signin_key
    api = {k: v for k, v in MANAGED.items() if k not in ("auth_flow", "login_domain")}
    password = load(**api, username="alice")
    assert password.signin_key != load(**MANAGED, username="alice").signin_key


def test_the_basic_flow_names_the_session_after_who_signed_in() -> None:
    from cognito_credproc.identitypool import IdentityPool

    from .fakes import make_jwt

    pool = IdentityPool(load(**MANAGED), clients=None)  # type: ignore[arg-type]
    token = make_jwt({"cognito:username": "Okta_alice@example.com", "exp": 1})
    assert pool.role_session_name(token) == "cognito-credproc-Okta_alice@example.com"
    assert pool.role_session_name(None) == "cognito-credproc-guest"
