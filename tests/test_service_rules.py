"""What today's Cognito does that moto hides, end to end through the tool: lifetimes as
the app client sets them, sign-in sessions that expire, refresh-token rotation with its
grace period, client-secret rotation, GlobalSignOut of an expired access token, the roles
STS and the identity pool refuse, and the MFA choice. The strict fakes play the service's
side (``strict_cognito``, the section on the service's rules); the service's clock is moved
with ``BEHAVIOUR.advance`` instead of sleeping."""

from __future__ import annotations

import base64
import json

import pytest

from .conftest import (
    Cognito,
    Workspace,
    age_cached_tokens,
    cached_signin,
    grant_role,
    parse_output,
    provision,
    run_together,
)
from .strict_cognito import BEHAVIOUR, create_role
from .test_login import enable_totp_for, pty, totp_now

pytestmark = pytest.mark.integration

LOGIN = "run: cognito-credproc login --profile dev"
HOUR = 3600


def password_env(cognito: Cognito) -> dict[str, str]:
    return {"COGNITO_CREDPROC_PASSWORD": cognito.password}


def signed_in(ws: Workspace, cognito: Cognito, **settings: str) -> None:
    ws.write_config(cognito.profile_section("dev", **settings))
    done = ws.run("--profile", "dev", env=password_env(cognito))
    assert done.returncode == 0, done.stderr


def due_for_renewal(ws: Workspace) -> None:
    """Expired tokens and no credentials cached: the next run must renew."""
    age_cached_tokens(ws, 10)
    for path in ws.cache.glob("credentials-*.json"):
        path.unlink()


def set_client(cognito: Cognito, **settings: object) -> None:
    """UpdateUserPoolClient with the client's flows kept (an update replaces them)."""
    cognito.idp.update_user_pool_client(
        UserPoolId=cognito.user_pool_id,
        ClientId=cognito.client_id,
        ExplicitAuthFlows=[
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
        **settings,
    )


# -- logout --global (GlobalSignOut refuses an expired access token) ------------------------


def test_logout_global_two_hours_after_sign_in_refreshes_first(
    ws: Workspace, cognito: Cognito
) -> None:
    BEHAVIOUR.advance(-2 * HOUR)  # the service issued the tokens two hours ago
    signed_in(ws, cognito)
    BEHAVIOUR.advance(2 * HOUR)
    old = cached_signin(ws)["refresh_token"]
    done = ws.run("logout", "--profile", "dev", "--global")
    assert done.returncode == 0, done.stderr
    assert "signed out of every device" in done.stderr
    assert BEHAVIOUR.calls["InitiateAuth:REFRESH_TOKEN_AUTH"] == 1  # refreshed first
    assert BEHAVIOUR.calls["GlobalSignOut"] == 1
    assert not list(ws.cache.glob("*.json"))
    with pytest.raises(cognito.idp.exceptions.NotAuthorizedException):
        cognito.idp.initiate_auth(
            ClientId=cognito.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": old},
        )


def test_logout_global_that_cognito_refuses_forgets_nothing(
    ws: Workspace, cognito: Cognito
) -> None:
    signed_in(ws, cognito)
    before = sorted(p.name for p in ws.cache_files())
    # signed out elsewhere meanwhile: Cognito no longer takes this access token
    cognito.idp.admin_user_global_sign_out(UserPoolId=cognito.user_pool_id, Username="alice")
    done = ws.run("logout", "--profile", "dev", "--global")
    assert done.returncode == 1
    first, second = done.stderr.strip().splitlines()
    assert "Cognito did not sign out every device" in first
    assert "nothing was deleted on this machine" in first
    assert "cognito-credproc logout --profile dev" in second
    assert sorted(p.name for p in ws.cache_files()) == before


def test_logout_global_with_a_dead_refresh_token_says_sign_in_first(
    ws: Workspace, cognito: Cognito
) -> None:
    set_client(cognito, RefreshTokenValidity=1, TokenValidityUnits={"RefreshToken": "hours"})
    BEHAVIOUR.advance(-2 * HOUR)
    signed_in(ws, cognito)
    BEHAVIOUR.advance(2 * HOUR)
    before = sorted(p.name for p in ws.cache_files())
    done = ws.run("logout", "--profile", "dev", "--global")
    assert done.returncode == 1
    assert "nothing was deleted" in done.stderr
    assert (
        "run: cognito-credproc login --profile dev, then cognito-credproc logout --global"
        in done.stderr
    )
    assert BEHAVIOUR.calls["GlobalSignOut"] == 0
    assert sorted(p.name for p in ws.cache_files()) == before


# -- lifetimes as configured ----------------------------------------------------------------


def test_an_expired_refresh_token_leads_to_a_fresh_sign_in_and_nothing_else(
    ws: Workspace, cognito: Cognito
) -> None:
    set_client(cognito, RefreshTokenValidity=1, TokenValidityUnits={"RefreshToken": "hours"})
    signed_in(ws, cognito)
    due_for_renewal(ws)
    BEHAVIOUR.advance(HOUR + 1)
    done = ws.run("--profile", "dev")  # no password, no terminal
    assert done.returncode == 1
    assert LOGIN in done.stderr.strip().splitlines()[-1]
    assert BEHAVIOUR.calls["InitiateAuth:REFRESH_TOKEN_AUTH"] == 1
    assert BEHAVIOUR.calls["GetTokensFromRefreshToken"] == 0  # no other way is tried
    # at a terminal: the password prompt, and a new sign-in
    run = pty(ws, "--profile", "dev")
    run.answer("Password for alice (profile dev): ", cognito.password)
    code, out, err = run.finish()
    assert code == 0, err
    parse_output(out)
    assert cognito.sign_ins() == 2


def test_five_minute_id_tokens_do_not_renew_on_every_run(ws: Workspace, cognito: Cognito) -> None:
    set_client(
        cognito,
        IdTokenValidity=5,
        AccessTokenValidity=5,
        TokenValidityUnits={"IdToken": "minutes", "AccessToken": "minutes"},
    )
    signed_in(ws, cognito)
    entry = cached_signin(ws)
    claims = json.loads(base64.urlsafe_b64decode(entry["id_token"].split(".")[1] + "=="))
    assert claims["exp"] - claims["iat"] == 300  # the client's setting, not moto's hour
    for _ in range(2):
        assert ws.run("token", "--profile", "dev").returncode == 0
        assert ws.run("--profile", "dev").returncode == 0  # credentials last their hour
    assert cognito.sign_ins() == 1
    assert BEHAVIOUR.calls["InitiateAuth:REFRESH_TOKEN_AUTH"] == 0
    assert BEHAVIOUR.calls["GetCredentialsForIdentity"] == 1


# -- sign-in sessions expire ----------------------------------------------------------------


def test_slow_at_the_mfa_prompt_starts_the_sign_in_again(ws: Workspace, cognito: Cognito) -> None:
    secret = enable_totp_for(cognito, "alice", cognito.password)
    ws.write_config(cognito.profile_section("dev"))
    run = pty(ws, "--profile", "dev", env=password_env(cognito))
    run.expect("Authenticator app code for alice: ")
    BEHAVIOUR.advance(4 * 60)  # AuthSessionValidity: 3 minutes by default
    run.answer("Authenticator app code for alice: ", totp_now(secret))
    run.expect("The sign-in session expired; starting again.")
    run.answer("Authenticator app code for alice: ", totp_now(secret))
    code, out, err = run.finish()
    assert code == 0, err
    parse_output(out)
    assert BEHAVIOUR.calls["InitiateAuth:USER_SRP_AUTH"] == 2


def test_slow_at_mfa_setup_starts_the_sign_in_again(ws: Workspace, cognito: Cognito) -> None:
    cognito.idp.set_user_pool_mfa_config(
        UserPoolId=cognito.user_pool_id,
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    ws.write_config(cognito.profile_section("dev"))
    run = pty(ws, "--profile", "dev", env=password_env(cognito))
    run.expect("Code shown by the app: ")
    BEHAVIOUR.advance(4 * 60)
    secret = run.screen.split("Secret key: ")[-1].split()[0]
    run.answer("Code shown by the app: ", totp_now(secret))
    run.expect("The sign-in session expired; starting again.")
    run.expect("Code shown by the app: ")
    secret = run.screen.split("Secret key: ")[-1].split()[0]  # a new one for the new try
    run.answer("Code shown by the app: ", totp_now(secret))
    code, out, err = run.finish()
    assert code == 0, err
    parse_output(out)
    assert BEHAVIOUR.calls["RespondToAuthChallenge:MFA_SETUP"] == 1


# -- refresh-token rotation -----------------------------------------------------------------


def test_many_runs_on_a_rotating_client_make_one_refresh(ws: Workspace, moto_endpoint: str) -> None:
    cognito = provision(moto_endpoint, rotation=True)
    signed_in(ws, cognito)
    due_for_renewal(ws)
    results = run_together(ws, 4, ws.env, "--profile", "dev")
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    assert BEHAVIOUR.calls["GetTokensFromRefreshToken"] == 1
    assert cognito.sign_ins() == 1
    assert cached_signin(ws)["rotating"] is True


@pytest.mark.parametrize("grace", [30, 0])
def test_a_lost_rotation_answer_is_retried_within_the_grace_period(
    ws: Workspace, moto_endpoint: str, grace: int
) -> None:
    cognito = provision(moto_endpoint, rotation=True, grace_seconds=grace)
    signed_in(ws, cognito)
    due_for_renewal(ws)
    BEHAVIOUR.lose_refresh_answers = 1  # it rotated, but the answer never arrived
    done = ws.run("--profile", "dev")
    assert BEHAVIOUR.calls["GetTokensFromRefreshToken"] == 2  # the SDK's retry
    if grace:
        assert done.returncode == 0, done.stderr
        assert cognito.sign_ins() == 1
    else:  # RefreshTokenReuseException: only a new sign-in helps
        assert done.returncode == 1
        assert LOGIN in done.stderr.strip().splitlines()[-1]
        assert "RefreshTokenReuse" not in done.stderr


# -- client-secret rotation -----------------------------------------------------------------


def rotate_secret(cognito: Cognito) -> str:
    """Add a second secret, then retire the first (the rotation an administrator does)."""
    args = {"UserPoolId": cognito.user_pool_id, "ClientId": cognito.client_id}
    new = cognito.idp.add_user_pool_client_secret(**args)["ClientSecretDescriptor"]
    listed = cognito.idp.list_user_pool_client_secrets(**args)["ClientSecrets"]
    (old,) = [s for s in listed if s["ClientSecretId"] != new["ClientSecretId"]]
    cognito.idp.delete_user_pool_client_secret(**args, ClientSecretId=old["ClientSecretId"])
    return str(new["ClientSecretValue"])


def test_a_retired_client_secret_is_named_not_taken_for_a_sign_in(
    ws: Workspace, cognito_secret: Cognito
) -> None:
    signed_in(ws, cognito_secret)
    refresh_token = cached_signin(ws)["refresh_token"]
    rotate_secret(cognito_secret)
    due_for_renewal(ws)
    done = ws.run("--profile", "dev")
    assert done.returncode == 1
    first, second = done.stderr.strip().splitlines()
    assert "Unable to verify secret hash" in first
    assert "app_client_secret" in second and "retired" in second
    assert "login" not in done.stderr  # signing in again would not help
    assert cached_signin(ws)["refresh_token"] == refresh_token  # kept for the fixed settings


def test_both_secrets_work_while_one_is_rotated_in(ws: Workspace, cognito_secret: Cognito) -> None:
    signed_in(ws, cognito_secret)
    args = {"UserPoolId": cognito_secret.user_pool_id, "ClientId": cognito_secret.client_id}
    new = cognito_secret.idp.add_user_pool_client_secret(**args)["ClientSecretDescriptor"]
    due_for_renewal(ws)
    assert ws.run("--profile", "dev").returncode == 0  # the old one still works
    ws.write_config(
        cognito_secret.profile_section("dev", app_client_secret=new["ClientSecretValue"])
    )
    due_for_renewal(ws)
    assert ws.run("--profile", "dev").returncode == 0
    assert cognito_secret.sign_ins() == 1


# -- roles the service refuses ----------------------------------------------------------------

ANALYST = "arn:aws:iam::123456789012:role/Analyst"
OPS = "arn:aws:iam::123456789012:role/Ops"


def test_duration_seconds_over_the_roles_maximum_says_what_to_change(
    ws: Workspace, cognito: Cognito
) -> None:
    create_role(OPS, max_session_seconds=HOUR)
    ws.write_config(
        cognito.profile_section("dev", flow="basic", role_arn=OPS, duration_seconds="7200")
    )
    done = ws.run("--profile", "dev", env=password_env(cognito))
    assert done.returncode == 1
    first, second = done.stderr.strip().splitlines()
    assert "duration_seconds = 7200" in first and OPS in first
    assert "lower duration_seconds in [dev]" in second and "MaxSessionDuration" in second


def test_a_role_arn_the_token_does_not_allow_lists_the_ones_it_does(
    ws: Workspace, cognito: Cognito
) -> None:
    grant_role(cognito, ANALYST)
    create_role(OPS)
    signed_in(ws, cognito)
    ws.write_config(cognito.profile_section("dev", role_arn=OPS))
    done = ws.run("--profile", "dev")
    assert done.returncode == 1
    first, second = done.stderr.strip().splitlines()
    assert f"refused role_arn {OPS}" in first and f"allows only {ANALYST}" in first
    assert f"set role_arn in [dev] of {ws.config} to one of {ANALYST}" in second
    ws.write_config(cognito.profile_section("dev", role_arn=ANALYST))
    assert ws.run("--profile", "dev").returncode == 0
    assert BEHAVIOUR.custom_roles[-1] == ANALYST


# -- the MFA choice ---------------------------------------------------------------------------


def sms_too(cognito: Cognito) -> None:
    cognito.idp.admin_update_user_attributes(
        UserPoolId=cognito.user_pool_id,
        Username="alice",
        UserAttributes=[
            {"Name": "phone_number", "Value": "+15555551234"},
            {"Name": "email", "Value": "alice@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    cognito.idp.admin_set_user_mfa_preference(
        UserPoolId=cognito.user_pool_id,
        Username="alice",
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
        SMSMfaSettings={"Enabled": True, "PreferredMfa": False},
        EmailMfaSettings={"Enabled": True, "PreferredMfa": False},
    )


@pytest.mark.parametrize("pick", ["SOFTWARE_TOKEN_MFA", "SMS_MFA", "EMAIL_OTP"])
def test_select_mfa_type_is_answered_with_the_name_the_service_offered(
    ws: Workspace, cognito: Cognito, pick: str
) -> None:
    secret = enable_totp_for(cognito, "alice", cognito.password)
    sms_too(cognito)
    ws.write_config(cognito.profile_section("dev"))
    run = pty(ws, "--profile", "dev", env=password_env(cognito))
    run.expect("Choose a second factor [1) SMS_MFA, 2) SOFTWARE_TOKEN_MFA, 3) EMAIL_OTP]: ")
    run.answer("Choose a second factor", pick)
    if pick == "SOFTWARE_TOKEN_MFA":
        run.answer("Authenticator app code for alice: ", totp_now(secret))
    elif pick == "SMS_MFA":
        run.expect("Code sent by SMS to ")
        run.answer("Code sent by SMS to ", BEHAVIOUR.last_sms_code())
    else:
        run.expect("Code sent by email to a***@e***: ")
        run.answer("Code sent by email to a***@e***: ", BEHAVIOUR.last_email_code())
    code, out, err = run.finish()
    assert code == 0, err
    parse_output(out)
    assert BEHAVIOUR.calls["RespondToAuthChallenge:SELECT_MFA_TYPE"] == 1
    assert BEHAVIOUR.calls[f"RespondToAuthChallenge:{pick}"] == 1
