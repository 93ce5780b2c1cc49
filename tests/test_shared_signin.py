"""One sign-in for many profiles: tokens per user, IdentityId per identity pool and user,
credentials per profile."""

from __future__ import annotations

import pytest

from .conftest import (
    REGION,
    Cognito,
    Workspace,
    age_cached_tokens,
    expire_cached_credentials,
    grant_role,
    parse_output,
)
from .strict_cognito import BEHAVIOUR

pytestmark = pytest.mark.integration

ROLE = "arn:aws:iam::123456789012:role/Ops"


def second_identity_pool(cognito: Cognito) -> str:
    created = cognito.identity.create_identity_pool(
        IdentityPoolName="prod_ids",
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[
            {
                "ProviderName": f"cognito-idp.{REGION}.amazonaws.com/{cognito.user_pool_id}",
                "ClientId": cognito.client_id,
            }
        ],
    )
    return str(created["IdentityPoolId"])


def profiles(cognito: Cognito, prod_pool: str) -> str:
    grant_role(cognito, ROLE, max_session_seconds=43200)  # ops chooses it, batch assumes it
    return (
        cognito.profile_section("dev")
        + cognito.profile_section("ops", role_arn=ROLE)
        + cognito.profile_section("prod", identity_pool_id=prod_pool)
        + cognito.profile_section("batch", flow="basic", role_arn=ROLE, duration_seconds="43200")
    )


def test_other_profiles_over_the_same_user_sign_in_nobody(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(profiles(cognito, second_identity_pool(cognito)))
    first = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert first.returncode == 0, first.stderr
    assert (cognito.sign_ins(), BEHAVIOUR.calls["GetId"]) == (1, 1)

    outputs = {"dev": parse_output(first.stdout)}
    for name in ("ops", "prod", "batch"):
        done = ws.run("--profile", name)  # no password available: must not need one
        assert done.returncode == 0, (name, done.stderr)
        outputs[name] = parse_output(done.stdout)
    assert cognito.sign_ins() == 1
    # ops and batch share dev's IdentityId (same identity pool and user); prod has its own
    assert BEHAVIOUR.calls["GetId"] == 2
    assert BEHAVIOUR.calls["GetCredentialsForIdentity"] == 3  # dev, ops, prod
    assert BEHAVIOUR.calls["GetOpenIdToken"] == 1  # batch
    assert BEHAVIOUR.custom_roles == [None, ROLE, None]
    assert len({o["AccessKeyId"] for o in outputs.values()}) == 4


def test_a_refresh_for_one_profile_serves_them_all(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(profiles(cognito, second_identity_pool(cognito)))
    assert (
        ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password}).returncode
        == 0
    )
    assert ws.run("--profile", "ops").returncode == 0
    expire_cached_credentials(ws)  # every profile's credentials due for renewal
    age_cached_tokens(ws, 10)
    assert ws.run("--profile", "dev").returncode == 0
    assert ws.run("--profile", "ops").returncode == 0
    assert BEHAVIOUR.calls["InitiateAuth:REFRESH_TOKEN_AUTH"] == 1


def test_two_profiles_refreshing_at_once_make_one_refresh(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(profiles(cognito, second_identity_pool(cognito)))
    assert (
        ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password}).returncode
        == 0
    )
    assert ws.run("--profile", "ops").returncode == 0
    expire_cached_credentials(ws)  # every profile's credentials due for renewal
    age_cached_tokens(ws, 10)
    procs = [ws.start("--profile", name) for name in ("dev", "ops", "dev", "ops", "prod", "prod")]
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [r[1] for r in results]
    assert BEHAVIOUR.calls["InitiateAuth:REFRESH_TOKEN_AUTH"] == 1
    assert cognito.sign_ins() == 1


def test_logout_names_every_profile_that_shared_the_sign_in(
    ws: Workspace, cognito: Cognito
) -> None:
    ws.write_config(profiles(cognito, second_identity_pool(cognito)))
    assert (
        ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password}).returncode
        == 0
    )
    assert ws.run("--profile", "ops").returncode == 0
    done = ws.run("logout", "--profile", "ops", "--global")
    assert done.returncode == 0, done.stderr
    for name in ("dev", "prod", "batch"):
        assert name in done.stderr
    assert not list(ws.cache.glob("*.json"))
    again = ws.run("--profile", "dev")
    assert again.returncode == 1  # signed out everywhere: no cache, no refresh token
    assert "run: cognito-credproc login --profile dev" in again.stderr
    assert cognito.sign_ins() == 1


def test_account_id_follows_each_profile_over_one_credentials_cache(
    ws: Workspace, cognito: Cognito
) -> None:
    # Same pools, user and role: one credentials entry serves all three; AccountId is each
    # profile's own setting (given, derived from role_arn, or none), not the cache's.
    ws.write_config(
        cognito.profile_section("plain")
        + cognito.profile_section("billing", account_id="111111111111")
        + cognito.profile_section("audit", account_id="222222222222")
    )
    first = ws.run("--profile", "billing", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert first.returncode == 0, first.stderr
    outputs = {"billing": parse_output(first.stdout)}
    for name in ("plain", "audit", "billing"):
        done = ws.run("--profile", name)
        assert done.returncode == 0, (name, done.stderr)
        outputs[name] = parse_output(done.stdout)
    assert BEHAVIOUR.calls["GetCredentialsForIdentity"] == 1  # the cache was shared
    assert len({o["AccessKeyId"] for o in outputs.values()}) == 1
    assert outputs["billing"]["AccountId"] == "111111111111"
    assert outputs["audit"]["AccountId"] == "222222222222"
    assert "AccountId" not in outputs["plain"]
    env = ws.run("env", "--profile", "plain")
    assert env.returncode == 0, env.stderr
    assert "AWS_ACCOUNT_ID" not in env.stdout
    env = ws.run("env", "--profile", "audit")
    assert "AWS_ACCOUNT_ID=222222222222" in env.stdout
