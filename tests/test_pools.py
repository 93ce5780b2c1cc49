"""User pools as they exist: sign-in with an alias, a client secret on every flow (sign-in,
both ways of refreshing, revocation), clients that rotate refresh tokens, and pools that
remember devices. The strict local Cognito checks each SECRET_HASH with the name the real
service uses, and refuses a refresh that lacks the device key it is bound to."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import (
    Cognito,
    Workspace,
    cached_signin,
    parse_output,
    provision,
    renew_with_the_refresh_token,
    two_refreshes_on_a_rotating_client,
)
from .strict_cognito import BEHAVIOUR

pytestmark = pytest.mark.integration

ALIAS = "alice@example.com"


def run_ok(ws: Workspace, *args: str, password: str | None = None) -> str:
    env = {"COGNITO_CREDPROC_PASSWORD": password} if password else {}
    done = ws.run(*args, "--profile", "dev", env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


POOLS: dict[str, dict[str, Any]] = {
    "username": {},
    "username-sub-for-srp": {},
    "email-as-username": {"email_as_username": True, "username": ALIAS},
    "email-alias": {"alias_attributes": ["email"], "email": ALIAS},
}


def pool(moto_endpoint: str, kind: str, **extra: Any) -> tuple[Cognito, str]:
    """A pool of this kind and the name the person types to sign in."""
    cognito = provision(moto_endpoint, **POOLS[kind], **extra)
    if kind == "username-sub-for-srp":
        BEHAVIOUR.srp_user_id = "sub"
    typed = ALIAS if kind in ("email-as-username", "email-alias") else "alice"
    return cognito, typed


@pytest.mark.parametrize("flow", ["USER_SRP_AUTH", "USER_PASSWORD_AUTH"])
@pytest.mark.parametrize("kind", list(POOLS))
def test_client_secret_on_sign_in_and_refresh(
    ws: Workspace, moto_endpoint: str, kind: str, flow: str
) -> None:
    cognito, typed = pool(moto_endpoint, kind, secret=True)
    ws.write_config(cognito.profile_section("dev", username=typed, auth_flow=flow))
    parse_output(run_ok(ws, password=cognito.password))
    assert cognito.calls[f"InitiateAuth:{flow}"] == 1
    renew_with_the_refresh_token(ws)
    assert cognito.calls["InitiateAuth:REFRESH_TOKEN_AUTH"] == 1
    # REFRESH_TOKEN_AUTH itself was accepted: no fall-through to the other refresh call
    assert cognito.calls["GetTokensFromRefreshToken"] == 0
    assert cached_signin(ws)["rotating"] is False
    assert cognito.sign_ins() == 1


@pytest.mark.parametrize("kind", ["username", "email-as-username", "email-alias"])
@pytest.mark.floor
def test_rotating_client_with_a_secret_refreshes_and_revokes(
    ws: Workspace, moto_endpoint: str, kind: str
) -> None:
    cognito, typed = pool(moto_endpoint, kind, secret=True, rotation=True)
    ws.write_config(cognito.profile_section("dev", username=typed))
    parse_output(run_ok(ws, password=cognito.password))
    two_refreshes_on_a_rotating_client(ws, cognito)
    assert cognito.sign_ins() == 1

    last = cached_signin(ws)["refresh_token"]
    done = ws.run("logout", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    assert "refresh token revoked" in done.stderr
    assert cognito.calls["RevokeToken"] == 1
    # the revoked token no longer works
    with pytest.raises(cognito.idp.exceptions.NotAuthorizedException):
        cognito.idp.get_tokens_from_refresh_token(
            ClientId=cognito.client_id, RefreshToken=last, ClientSecret=cognito.client_secret
        )


@pytest.mark.parametrize(
    ("secret", "rotation"),
    [(False, False), (True, False), (True, True)],
    ids=["plain", "client-secret", "secret-and-rotation"],
)
@pytest.mark.floor
def test_a_remembered_device_refreshes_and_proves_itself(
    ws: Workspace, moto_endpoint: str, secret: bool, rotation: bool
) -> None:
    cognito = provision(moto_endpoint, secret=secret, rotation=rotation)
    BEHAVIOUR.device_tracking = True
    ws.write_config(cognito.profile_section("dev"))
    parse_output(run_ok(ws, password=cognito.password))
    assert cognito.calls["ConfirmDevice"] == 1
    device = cached_signin(ws)["device_key"]
    assert device

    renew_with_the_refresh_token(ws)  # the refresh token is bound to the device
    # one refresh, by the call this client takes (REFRESH_TOKEN_AUTH is tried first)
    assert cognito.calls["InitiateAuth:REFRESH_TOKEN_AUTH"] == 1
    assert cognito.calls["GetTokensFromRefreshToken"] == (1 if rotation else 0)

    # A new sign-in from this machine: the pool asks the device to prove itself.
    run_ok(ws, "login", password=cognito.password)
    assert cognito.calls["RespondToAuthChallenge:DEVICE_SRP_AUTH"] == 1
    assert cognito.calls["RespondToAuthChallenge:DEVICE_PASSWORD_VERIFIER"] == 1
    assert cognito.calls["ConfirmDevice"] == 1  # no new device
    assert cached_signin(ws)["device_key"] == device
    renew_with_the_refresh_token(ws)
