"""A user pool in one region and an identity pool in another, end to end, reached by
AWS's own regional endpoint names (``aws_proxy``): each Cognito client must be built
for the region its pool lives in, and the Logins key must name the user pool's."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from cognito_credproc.aws import Clients
from cognito_credproc.config import profile_from_section
from cognito_credproc.errors import ConfigError
from cognito_credproc.launch import command_line, tool_argv

from .aws_proxy import aws_endpoints
from .conftest import (
    PASSWORD,
    TEST_PASSWORDS,
    Workspace,
    age_cached_tokens,
    aws_client,
    parse_output,
)
from .strict_cognito import BEHAVIOUR

pytestmark = pytest.mark.integration

POOL_REGION = "us-west-2"
IDENTITY_REGION = "eu-central-1"
HOSTS = [
    f"{service}.{region}.amazonaws.com"
    for service in ("cognito-idp", "cognito-identity", "sts")
    for region in (POOL_REGION, IDENTITY_REGION)
]


def two_regions(endpoint: str) -> dict[str, str]:
    """A user pool, app client and user in us-west-2; an identity pool that trusts them
    in eu-central-1. The settings section, without endpoint_url."""
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))  # noqa: S310
    BEHAVIOUR.reset()
    idp = aws_client("cognito-idp", endpoint, POOL_REGION)
    pool_id = idp.create_user_pool(PoolName="people")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="cli",
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    TEST_PASSWORDS.add(PASSWORD)
    idp.admin_create_user(UserPoolId=pool_id, Username="alice", MessageAction="SUPPRESS")
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username="alice", Password=PASSWORD, Permanent=True
    )
    identity = aws_client("cognito-identity", endpoint, IDENTITY_REGION)
    identity_pool_id = identity.create_identity_pool(
        IdentityPoolName="people_ids",
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[
            {
                "ProviderName": f"cognito-idp.{POOL_REGION}.amazonaws.com/{pool_id}",
                "ClientId": client_id,
            }
        ],
    )["IdentityPoolId"]
    return {
        "user_pool_id": pool_id,
        "app_client_id": client_id,
        "identity_pool_id": identity_pool_id,
        "username": "alice",
    }


def test_each_pool_is_asked_in_its_own_region(
    ws: Workspace, moto_endpoint: str, tmp_path: Path
) -> None:
    section = two_regions(moto_endpoint)
    assert section["identity_pool_id"].startswith(f"{IDENTITY_REGION}:")
    ws.write_config("[dev]\n" + "".join(f"{k} = {v}\n" for k, v in section.items()))
    with aws_endpoints(moto_endpoint, HOSTS, tmp_path) as proxy:
        env = {**proxy.environment(), "COGNITO_CREDPROC_PASSWORD": PASSWORD}
        first = ws.run("--profile", "dev", env=env)
        assert first.returncode == 0, first.stderr
        creds = parse_output(first.stdout)
        assert set(proxy.connected) == {
            f"cognito-idp.{POOL_REGION}.amazonaws.com",
            f"cognito-identity.{IDENTITY_REGION}.amazonaws.com",
        }
        assert BEHAVIOUR.calls["GetId"] == 1
        assert BEHAVIOUR.calls["GetCredentialsForIdentity"] == 1
        # the identity is the identity pool's, in its region
        (identity,) = BEHAVIOUR.identities
        assert identity.startswith(f"{IDENTITY_REGION}:")
        status = ws.run("status", "--profile", "dev")
        assert identity in status.stdout
        ws.aws_config.write_text(
            "[profile dev]\ncredential_process = "
            + command_line([*tool_argv(), "--profile", "dev"])
            + "\n"
        )
        doctor = ws.run("doctor", "--profile", "dev", env=proxy.environment())
        assert doctor.returncode == 0, doctor.stdout
        assert "warn" not in doctor.stdout  # two regions is a setup that works
        assert (
            f"ok    region {POOL_REGION} matches the pool ids (identity pool "
            f"{section['identity_pool_id']} is asked in {IDENTITY_REGION})\n" in doctor.stdout
        )
        # renewal with the refresh token takes the same two roads
        for path in ws.cache.glob("credentials-*.json"):
            path.unlink()
        age_cached_tokens(ws, 10)
        proxy.connected.clear()
        refreshes = BEHAVIOUR.calls["InitiateAuth:REFRESH_TOKEN_AUTH"]  # doctor's probe is one
        again = ws.run("--profile", "dev", env=proxy.environment())
        assert again.returncode == 0, again.stderr
        assert parse_output(again.stdout)["AccessKeyId"] != creds["AccessKeyId"]
        assert BEHAVIOUR.calls["InitiateAuth:REFRESH_TOKEN_AUTH"] == refreshes + 1
        assert set(proxy.connected) == {
            f"cognito-idp.{POOL_REGION}.amazonaws.com",
            f"cognito-identity.{IDENTITY_REGION}.amazonaws.com",
        }


def test_the_clients_and_the_logins_key_follow_the_pools_regions() -> None:
    """The same, without a network: which region each client is made for, and that an
    explicit ``region`` (the one for STS and AWS_REGION) moves neither the Logins key nor
    the identity pool's client. With a user pool it can only be the pool's own region
    (the user pool's calls go there); a guest profile may name any."""
    section = {
        "user_pool_id": f"{POOL_REGION}_AbCdEf123",
        "app_client_id": "1example23456789abcdefghij",
        "identity_pool_id": f"{IDENTITY_REGION}:11111111-2222-3333-4444-555555555555",
        "username": "alice",
    }
    profile = profile_from_section("config.ini", "dev", section, {})
    clients = Clients(profile)
    assert clients.idp.meta.region_name == POOL_REGION
    assert clients.identity.meta.region_name == IDENTITY_REGION
    assert (
        profile.login_provider == f"cognito-idp.{POOL_REGION}.amazonaws.com/{POOL_REGION}_AbCdEf123"
    )
    same = profile_from_section("config.ini", "dev", {**section, "region": POOL_REGION}, {})
    assert same.login_provider == profile.login_provider
    assert Clients(same).identity.meta.region_name == IDENTITY_REGION
    with pytest.raises(ConfigError, match=r"\[dev\] region: ap-south-1 is not the region"):
        profile_from_section("config.ini", "dev", {**section, "region": "ap-south-1"}, {})
    guest = {"identity_pool_id": section["identity_pool_id"], "unauthenticated": "true"}
    moved = profile_from_section("config.ini", "dev", {**guest, "region": "ap-south-1"}, {})
    assert Clients(moved).identity.meta.region_name == IDENTITY_REGION
    assert Clients(moved).sts.meta.region_name == "ap-south-1"
