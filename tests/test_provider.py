"""Expiry and refresh decisions, table-driven with an injected clock: no sleeps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cognito_credproc.cache import FileCache
from cognito_credproc.config import profile_from_section
from cognito_credproc.errors import AuthFailed, ServiceError, SignInRequired
from cognito_credproc.prompt import NoTerminal
from cognito_credproc.provider import Provider
from cognito_credproc.store import cached_credentials

from .fakes import SECTION, Clock, FakeClients


def make(
    tmp_path: Path, clock: Clock, password: str | None = "pw", **extra: str
) -> tuple[Provider, FakeClients]:
    profile = profile_from_section("test.ini", "dev", {**SECTION, **extra}, {})
    # the fake pool knows the client's secret when the settings give one
    clients = FakeClients(clock, client_secret=extra.get("app_client_secret"))
    env = {"COGNITO_CREDPROC_PASSWORD": password} if password else {}
    provider = Provider(
        profile,
        FileCache(str(tmp_path / "cache")),
        now=clock,
        interaction=NoTerminal("dev"),
        clients=clients,  # type: ignore[arg-type]
        environ=env,
    )
    return provider, clients


def test_cold_start_signs_in_then_serves_from_cache(tmp_path: Path) -> None:
    clock = Clock()
    provider, clients = make(tmp_path, clock)
    first = provider.credentials()
    assert clients.calls == ["USER_PASSWORD_AUTH", "GetId", "GetCredentialsForIdentity"]
    clock.advance(60)
    again = provider.credentials()
    assert again == first
    assert len(clients.calls) == 3


# (name, seconds after the first run, settings, credentials lifetime, idp calls expected,
#  identity calls expected); ID and access tokens live 3600 s, the margin is 900 s
CASES: list[tuple[str, float, dict[str, str], float, list[str], list[str]]] = [
    ("fresh credentials", 60, {}, 3600, [], []),
    ("just outside the margin", 3600 - 901, {}, 3600, [], []),
    ("exactly on the margin", 3600 - 900, {}, 3600, [], ["GetCredentialsForIdentity"]),
    ("just inside the margin", 3600 - 899, {}, 3600, [], ["GetCredentialsForIdentity"]),
    ("margin 0 keeps near-expiry credentials", 3590, {"refresh_margin": "0"}, 3600, [], []),
    # 30-minute credentials, gone after 31 minutes; the ID token has 29 minutes left
    ("credentials expired, id token still good", 1860, {}, 1800, [], ["GetCredentialsForIdentity"]),
    (
        "id token inside its 5-minute margin",
        3600 - 200,
        {},
        3600,
        ["REFRESH_TOKEN_AUTH"],
        ["GetCredentialsForIdentity"],
    ),
    ("id token expired", 7200, {}, 3600, ["REFRESH_TOKEN_AUTH"], ["GetCredentialsForIdentity"]),
    (
        "a month later",
        30 * 86400,
        {},
        3600,
        ["REFRESH_TOKEN_AUTH"],
        ["GetCredentialsForIdentity"],
    ),
]


@pytest.mark.parametrize(
    ("later", "extra", "lifetime", "idp", "identity"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_what_happens_later(
    tmp_path: Path,
    later: float,
    extra: dict[str, str],
    lifetime: float,
    idp: list[str],
    identity: list[str],
) -> None:
    clock = Clock()
    provider, clients = make(tmp_path, clock, **extra)
    clients.identity.lifetime = lifetime
    first = provider.credentials()
    clients.idp.calls.clear()
    clients.identity.calls.clear()
    clock.advance(later)
    creds = provider.credentials()
    assert clients.idp.calls == idp
    assert clients.identity.calls == identity  # GetId never again: the IdentityId is cached
    assert (creds == first) is (identity == [])  # reused exactly when nothing was called
    assert creds.expiration > clock()


def test_refused_refresh_token_falls_back_to_the_password(tmp_path: Path) -> None:
    clock = Clock()
    provider, clients = make(tmp_path, clock)
    provider.credentials()
    clients.idp.calls.clear()
    clients.idp.refresh_valid = False
    clock.advance(7200)
    provider.credentials()
    # "Refresh Token has been revoked": no other way of refreshing is tried
    assert clients.idp.calls == ["REFRESH_TOKEN_AUTH", "USER_PASSWORD_AUTH"]


def test_refused_refresh_token_without_password_asks_for_login(tmp_path: Path) -> None:
    clock = Clock()
    provider, clients = make(tmp_path, clock)
    provider.credentials()
    clients.idp.refresh_valid = False
    clock.advance(7200)
    later, _ = make(tmp_path, clock, password=None)
    later._clients = clients  # type: ignore[assignment]
    with pytest.raises(SignInRequired, match="login --profile dev"):
        later.credentials()


def test_wrong_password_is_auth_failed(tmp_path: Path) -> None:
    provider, _ = make(tmp_path, Clock(), password="nope")
    with pytest.raises(AuthFailed, match="Incorrect username or password"):
        provider.credentials()


def test_clock_skew_recorded_with_the_credentials_counts(tmp_path: Path) -> None:
    clock = Clock()
    provider, clients = make(tmp_path, clock)
    clients.skew.seconds = 1000.0  # the service's clock is 1000 s ahead of ours
    provider.credentials()  # expiration = server time + 3600 = local + 3600 in this fake
    cache = FileCache(str(tmp_path / "cache"))
    # to the service, only 2600 s are left: still outside the margin...
    assert cached_credentials(provider.profile, cache, clock) is not None
    clock.advance(1800)  # ...800 s left by the service's clock: inside the margin
    assert cached_credentials(provider.profile, cache, clock) is None


def test_credentials_already_expired_on_arrival_are_not_cached(tmp_path: Path) -> None:
    clock = Clock()
    provider, clients = make(tmp_path, clock)
    clients.identity.lifetime = -5
    with pytest.raises(ServiceError, match="already expired"):
        provider.credentials()
    assert provider.store.credentials() is None


def test_credentials_inside_the_margin_on_arrival_are_an_error(tmp_path: Path) -> None:
    clock = Clock()
    provider, clients = make(tmp_path, clock)
    # Less than the 900 s margin: the SDKs would call again at once, and on every
    # request (botocore gives up on credentials still due after a refresh).
    clients.identity.lifetime = 300
    with pytest.raises(ServiceError, match="expire in 300 s, within the refresh margin"):
        provider.credentials()
    assert provider.store.credentials() is None
    clients.identity.lifetime = 901  # just outside: fine
    creds: Any = provider.credentials()
    assert creds.expiration == clock() + 901


SECRET = "client-secret-" + "s" * 20


def test_refresh_on_a_client_with_a_secret_uses_the_internal_name(tmp_path: Path) -> None:
    # An email-as-username pool: the person types the address, the pool's name is the sub.
    clock = Clock()
    provider, clients = make(
        tmp_path, clock, username="alice@example.com", app_client_secret=SECRET
    )
    clients.idp.internal_username = "7d3f9a6e-sub"
    provider.credentials()
    clients.idp.calls.clear()
    clock.advance(7200)
    provider.credentials()
    assert clients.idp.calls == ["REFRESH_TOKEN_AUTH"]  # accepted at once


def test_the_fake_user_pool_checks_what_a_refresh_carries() -> None:
    from cognito_credproc.srp import secret_hash

    from .fakes import FakeIdp

    idp = FakeIdp(Clock(), client_secret=SECRET)
    signed = idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId="client1",
        AuthParameters={
            "USERNAME": "alice",
            "PASSWORD": "pw",
            "SECRET_HASH": secret_hash("alice", "client1", SECRET),
        },
    )["AuthenticationResult"]
    idp.device_key = "us-east-1_device"
    good = {
        "REFRESH_TOKEN": signed["RefreshToken"],
        "SECRET_HASH": secret_hash("alice", "client1", SECRET),
        "DEVICE_KEY": "us-east-1_device",
    }
    for wrong in (
        {"REFRESH_TOKEN": "refresh-999"},
        {"SECRET_HASH": secret_hash("alice@example.com", "client1", SECRET)},
        {"DEVICE_KEY": "us-east-1_other"},
    ):
        with pytest.raises(ClientError):
            idp.initiate_auth(
                AuthFlow="REFRESH_TOKEN_AUTH",
                ClientId="client1",
                AuthParameters={**good, **wrong},
            )
    for missing in ("SECRET_HASH", "DEVICE_KEY"):
        with pytest.raises(ClientError):
            idp.initiate_auth(
                AuthFlow="REFRESH_TOKEN_AUTH",
                ClientId="client1",
                AuthParameters={k: v for k, v in good.items() if k != missing},
            )
    refreshed = idp.initiate_auth(
        AuthFlow="REFRESH_TOKEN_AUTH", ClientId="client1", AuthParameters=good
    )
    assert "RefreshToken" not in refreshed["AuthenticationResult"]
