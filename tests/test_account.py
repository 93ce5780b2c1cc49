"""Account self-service driven through a pseudo-terminal against the strict local Cognito:
password reset (on demand and when a sign-in meets PasswordResetRequiredException, also
under the AWS CLI), password change, sign-up and its confirmation, MFA, devices, whoami.

Every run's terminal and stderr are checked for every code, password and token the tests
and the fake handed out (``PtyRun.finish``, ``Workspace.run``)."""

from __future__ import annotations

import json
import re

import pytest

from .conftest import (
    TEST_PASSWORDS,
    Cognito,
    Workspace,
    age_cached_tokens,
    cached_signin,
    parse_output,
    provision,
)
from .ptyterm import PtyRun
from .strict_account import ACCOUNT
from .strict_account import _find_client as find_client
from .strict_cognito import BEHAVIOUR
from .strict_userauth import USERAUTH
from .test_login import totp_now, wrong_code

pytestmark = pytest.mark.integration

EMAIL = "alice@example.com"
NEW_PASSWORD = "New-Horse-8-staple"
WEAK_PASSWORD = "weakpassword"
TEST_PASSWORDS.update({NEW_PASSWORD, WEAK_PASSWORD})
OFFER = "Reset it now? A code will be sent to you. [Y/n] "


@pytest.fixture
def pool(moto_endpoint: str) -> Cognito:
    """alice with a verified email address, where the codes go."""
    cognito = provision(moto_endpoint, email=EMAIL)
    USERAUTH.reset()
    ACCOUNT.reset()
    return cognito


def pty(ws: Workspace, *args: str, env: dict[str, str] | None = None) -> PtyRun:
    return PtyRun(list(args), {**ws.env, **(env or {})})


def last_code() -> str:
    return USERAUTH.last_code("alice")


def new_password_twice(run: PtyRun, password: str = NEW_PASSWORD) -> None:
    run.answer("New password: ", password)
    run.answer("New password again: ", password)


def finish_ok(run: PtyRun) -> tuple[str, str]:
    code, out, err = run.finish()
    assert code == 0, (err, run.screen)
    return out, err


def signs_in_with(ws: Workspace, password: str) -> bool:
    """A fresh sign-in with ``password`` from the environment (the cache emptied first)."""
    assert ws.run("clear", "--profile", "dev").returncode == 0
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": password})
    return done.returncode == 0


def admin_reset(cognito: Cognito) -> None:
    cognito.idp.admin_reset_user_password(UserPoolId=cognito.user_pool_id, Username="alice")


def calls(name: str) -> int:
    return BEHAVIOUR.calls[name]


# -- a sign-in that meets a required reset ---------------------------------------------------


def test_login_after_an_admin_reset_resets_then_signs_in(ws: Workspace, pool: Cognito) -> None:
    admin_reset(pool)
    ws.write_config(pool.profile_section("dev"))
    run = pty(ws, "login", "--profile", "dev")
    run.answer("Password for alice (profile dev): ", pool.password)
    run.expect("Cognito requires a new password for alice (profile dev)")
    run.answer(OFFER, "")
    run.expect("a code was sent to a***@e*** by email")
    run.answer("Code: ", last_code())
    new_password_twice(run)
    run.expect("Signed in as alice")
    finish_ok(run)
    assert calls("ForgotPassword") == 1
    assert calls("ConfirmForgotPassword") == 1
    assert pool.sign_ins() == 2  # refused once, then with the new password
    assert signs_in_with(ws, NEW_PASSWORD)
    assert not signs_in_with(ws, pool.password)


def test_aws_cli_after_an_admin_reset_needs_one_reset_dialogue(
    ws: Workspace, pool: Cognito
) -> None:
    """A plain ``aws sts get-caller-identity`` in a terminal: the helper it runs asks on
    the terminal, resets, and signs in with the new password; the next run is silent."""
    from .test_real_clients import write_aws_config

    admin_reset(pool)
    ws.write_config(pool.profile_section("dev"))
    write_aws_config(ws, pool)
    run = PtyRun(["sts", "get-caller-identity", "--profile", "dev"], ws.env, module="awscli")
    run.answer("Password for alice (profile dev): ", pool.password)
    run.answer(OFFER, "y")
    run.expect("a code was sent to a***@e*** by email")  # the code: ForgotPassword's
    run.answer("Code: ", last_code())
    new_password_twice(run)
    out, _err = finish_ok(run)
    assert json.loads(out)["Account"]
    assert calls("ForgotPassword") == 1
    assert calls("ConfirmForgotPassword") == 1
    again = ws.run("--profile", "dev")  # no terminal, no password: the cache serves
    assert again.returncode == 0, again.stderr
    parse_output(again.stdout)
    assert calls("ForgotPassword") == 1
    assert pool.sign_ins() == 2


def test_a_required_reset_without_a_terminal_says_what_to_run(ws: Workspace, pool: Cognito) -> None:
    admin_reset(pool)
    ws.write_config(pool.profile_section("dev"))
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": pool.password})
    assert done.returncode == 1
    assert done.stdout == ""
    assert "PasswordResetRequiredException" in done.stderr
    assert "run: cognito-credproc password reset --profile dev" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 2
    assert calls("ForgotPassword") == 0  # nothing sent for a run that cannot type it
    assert pool.sign_ins() == 1


def test_declining_the_reset_changes_nothing(ws: Workspace, pool: Cognito) -> None:
    admin_reset(pool)
    ws.write_config(pool.profile_section("dev"))
    run = pty(ws, "login", "--profile", "dev")
    run.answer("Password for alice (profile dev): ", pool.password)
    run.answer(OFFER, "n")
    code, _out, err = run.finish()
    assert code == 1
    assert "run: cognito-credproc password reset --profile dev" in err
    assert calls("ForgotPassword") == 0


# -- password reset on demand, and the service's refusals --------------------------------------


def reset_run(ws: Workspace, cognito: Cognito, *extra: str) -> PtyRun:
    ws.write_config(cognito.profile_section("dev"))
    run = pty(ws, "password", "reset", "--profile", "dev", *extra)
    run.expect("a code was sent to a***@e*** by email")
    return run


def test_password_reset_on_demand_signs_in_with_the_new_password(
    ws: Workspace, pool: Cognito
) -> None:
    run = reset_run(ws, pool, "--debug")
    run.answer("Code: ", last_code())
    new_password_twice(run)
    run.expect("with the new password")
    _out, err = finish_ok(run)
    assert "debug: calling cognito-idp.confirm_forgot_password" in err
    assert calls("ForgotPassword") == 1
    assert calls("ConfirmForgotPassword") == 1
    assert pool.sign_ins() == 1  # the reset's sign-in; no password asked
    assert "Password for alice" not in run.screen
    assert ws.run("--profile", "dev").returncode == 0  # signed in: the cache serves


def test_a_wrong_code_is_asked_again_three_tries(ws: Workspace, pool: Cognito) -> None:
    run = reset_run(ws, pool)
    run.answer("Code: ", "000000" if last_code() != "000000" else "111111")
    new_password_twice(run)
    run.expect("That code was not accepted; type it again.")
    run.answer("Code: ", last_code())  # the password typed stays
    run.expect("with the new password")
    finish_ok(run)
    assert calls("ConfirmForgotPassword") == 2
    assert calls("ForgotPassword") == 1


def test_three_wrong_codes_end_with_the_command_to_run(ws: Workspace, pool: Cognito) -> None:
    run = reset_run(ws, pool)
    wrong = "000000" if last_code() != "000000" else "111111"
    run.answer("Code: ", wrong)
    new_password_twice(run)
    run.answer("Code: ", wrong)
    run.answer("Code: ", wrong)
    code, _out, err = run.finish()
    assert code == 1
    assert "not accepted (three tries)" in err
    assert "run: cognito-credproc password reset --profile dev (a new code is sent)" in err
    assert calls("ConfirmForgotPassword") == 3
    assert signs_in_with(ws, pool.password)  # unchanged


def test_an_expired_code_sends_a_new_one(ws: Workspace, pool: Cognito) -> None:
    run = reset_run(ws, pool)
    stale = last_code()
    ACCOUNT.expire_codes()
    run.answer("Code: ", stale)
    new_password_twice(run)
    run.expect("That code has expired; a new one was sent to a***@e*** by email.")
    fresh = last_code()
    assert fresh != stale
    run.answer("Code: ", fresh)
    run.expect("with the new password")
    finish_ok(run)
    assert calls("ForgotPassword") == 2
    assert calls("ConfirmForgotPassword") == 2


def test_a_password_the_policy_refuses_shows_the_policy(ws: Workspace, pool: Cognito) -> None:
    run = reset_run(ws, pool)
    run.answer("Code: ", last_code())
    new_password_twice(run, WEAK_PASSWORD)
    run.expect("The user pool refused that password: Password must have uppercase characters.")
    new_password_twice(run)  # the code is not asked again
    run.expect("with the new password")
    finish_ok(run)
    assert calls("ConfirmForgotPassword") == 2
    assert calls("ForgotPassword") == 1
    assert signs_in_with(ws, NEW_PASSWORD)


def test_too_many_codes_says_to_wait(ws: Workspace, pool: Cognito) -> None:
    ACCOUNT.max_codes_per_hour = 0
    ws.write_config(pool.profile_section("dev"))
    run = pty(ws, "password", "reset", "--profile", "dev")
    code, _out, err = run.finish()
    assert code == 1
    assert "LimitExceededException: Attempt limit exceeded" in err
    assert "wait a while" in err
    assert "run: cognito-credproc password reset --profile dev" in err
    assert calls("ConfirmForgotPassword") == 0


@pytest.mark.parametrize("why", ["admin_only", "no verified address"])
def test_admin_only_recovery_says_who_can_help(ws: Workspace, pool: Cognito, why: str) -> None:
    if why == "admin_only":
        pool.idp.update_user_pool(
            UserPoolId=pool.user_pool_id,
            AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "admin_only"}]},
        )
        said = "NotAuthorizedException: Contact administrator to reset password."
    else:
        pool.idp.admin_update_user_attributes(
            UserPoolId=pool.user_pool_id,
            Username="alice",
            UserAttributes=[{"Name": "email_verified", "Value": "false"}],
        )
        said = "no registered/verified email or phone_number"
    ws.write_config(pool.profile_section("dev"))
    run = pty(ws, "password", "reset", "--profile", "dev")
    code, _out, err = run.finish()
    assert code == 1
    assert "only an administrator can reset the password of alice" in err
    assert said in err
    assert "ask the user pool's administrator to set a new password" in err
    assert calls("ConfirmForgotPassword") == 0


def test_password_reset_without_a_terminal_fails_before_any_call(
    ws: Workspace, pool: Cognito
) -> None:
    ws.write_config(pool.profile_section("dev"))
    done = ws.run("password", "reset", "--profile", "dev")
    assert done.returncode == 1
    assert "needs a terminal" in done.stderr
    assert "run: cognito-credproc password reset --profile dev" in done.stderr
    assert calls("ForgotPassword") == 0


def test_secrets_of_a_reset_never_reach_the_debug_log(ws: Workspace, pool: Cognito) -> None:
    """--debug logs every call; the code and the passwords stay out (``finish`` checks
    the terminal and stderr against every secret the tests and the fake handed out)."""
    admin_reset(pool)
    ws.write_config(pool.profile_section("dev"))
    run = pty(ws, "login", "--profile", "dev", "--debug")
    run.answer("Password for alice (profile dev): ", pool.password)
    run.answer(OFFER, "")
    run.expect("a code was sent to a***@e*** by email")
    code = last_code()
    run.answer("Code: ", code)
    new_password_twice(run)
    run.expect("Signed in as alice")
    _out, err = finish_ok(run)
    assert "debug: calling cognito-idp.forgot_password" in err
    assert code not in err and NEW_PASSWORD not in err


# -- password change -------------------------------------------------------------------------


def login(ws: Workspace, cognito: Cognito, password: str | None = None) -> None:
    ws.write_config(cognito.profile_section("dev"))
    run = pty(ws, "login", "--profile", "dev")
    run.answer("Password for alice (profile dev): ", password or cognito.password)
    run.expect("Signed in as alice")
    finish_ok(run)


def test_password_change_with_a_refreshed_access_token(ws: Workspace, pool: Cognito) -> None:
    login(ws, pool)
    age_cached_tokens(ws, 10)  # the access token has expired: refreshed first
    run = pty(ws, "password", "change", "--profile", "dev")
    run.answer("Current password for alice (profile dev): ", "Not-The-Password-1")
    new_password_twice(run)
    run.expect("The current password is not right; try again.")
    run.answer("Current password for alice (profile dev): ", pool.password)
    new_password_twice(run)
    run.expect("Password changed for alice (profile dev).")
    run.expect("Other sessions stay signed in: ChangePassword revokes no tokens")
    run.expect("cognito-credproc logout --global --profile dev")
    finish_ok(run)
    assert calls("InitiateAuth:REFRESH_TOKEN_AUTH") == 1
    assert calls("ChangePassword") == 2
    assert pool.sign_ins() == 1  # the login's only
    # this machine's refresh token still works, as any other session's would
    age_cached_tokens(ws, 10)
    assert ws.run("token", "--profile", "dev").returncode == 0
    assert calls("InitiateAuth:REFRESH_TOKEN_AUTH") == 2
    assert signs_in_with(ws, NEW_PASSWORD)
    assert not signs_in_with(ws, pool.password)


def access_token_near_its_end(ws: Workspace) -> None:
    """An access token with a minute left while the ID token still has its hour (app
    clients may give them different lifetimes): too little for a dialogue that types
    passwords before the call."""
    import base64
    import time

    for path in ws.cache.glob("signin-*.json"):
        entry = json.loads(path.read_text())
        head, body, sig = entry["access_token"].split(".")
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claims["exp"] = int(time.time()) + 60
        new_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        entry["access_token"] = f"{head}.{new_body}.{sig}"
        path.write_text(json.dumps(entry))


def test_an_access_token_near_its_end_is_renewed_before_the_call(
    ws: Workspace, pool: Cognito
) -> None:
    login(ws, pool)
    access_token_near_its_end(ws)
    assert "no second factor is set up" in mfa_status(ws)
    assert calls("InitiateAuth:REFRESH_TOKEN_AUTH") == 1
    assert calls("GetUser") == 1


def test_password_change_shows_the_policy(ws: Workspace, pool: Cognito) -> None:
    login(ws, pool)
    run = pty(ws, "password", "change", "--profile", "dev")
    run.answer("Current password for alice (profile dev): ", pool.password)
    new_password_twice(run, WEAK_PASSWORD)
    run.expect("The user pool refused that password: Password must have uppercase characters.")
    run.answer("Current password for alice (profile dev): ", pool.password)
    new_password_twice(run)
    run.expect("Password changed")
    finish_ok(run)
    assert calls("ChangePassword") == 2


# -- sign-up ------------------------------------------------------------------------------------


def unconfirmed(cognito: Cognito, *, username: str = "bob") -> None:
    """A user who signed up (SignUp) and has not confirmed: a code is in the outbox."""
    cognito.idp.update_user_pool(UserPoolId=cognito.user_pool_id, AutoVerifiedAttributes=["email"])
    cognito.idp.sign_up(
        ClientId=cognito.client_id,
        Username=username,
        Password=cognito.password,
        UserAttributes=[{"Name": "email", "Value": "bob@example.org"}],
    )


def test_login_of_an_unconfirmed_user_confirms_then_signs_in(ws: Workspace, pool: Cognito) -> None:
    unconfirmed(pool)
    ws.write_config(pool.profile_section("dev", username="bob"))
    run = pty(ws, "login", "--profile", "dev")
    run.answer("Password for bob (profile dev): ", pool.password)
    run.expect("The sign-up of bob is not confirmed yet (profile dev)")
    first = USERAUTH.last_code("bob")
    run.answer("Confirmation code (Enter sends a new one): ", "")
    run.expect("A new code was sent to b***@e*** by email.")
    second = USERAUTH.last_code("bob")
    assert second != first
    run.answer("Confirmation code (Enter sends a new one): ", first)  # replaced: refused
    run.expect("That code was not accepted")
    run.answer("Confirmation code (Enter sends a new one): ", second)
    run.expect("Signed in as bob")
    finish_ok(run)
    assert calls("ResendConfirmationCode") == 1
    assert calls("ConfirmSignUp") == 2
    assert pool.sign_ins() == 2  # refused, then with the same password, asked once


def test_an_unconfirmed_user_without_a_terminal_is_told_the_command(
    ws: Workspace, pool: Cognito
) -> None:
    unconfirmed(pool)
    ws.write_config(pool.profile_section("dev", username="bob"))
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": pool.password})
    assert done.returncode == 1
    assert "UserNotConfirmedException" in done.stderr
    assert "run: cognito-credproc signup confirm --profile dev" in done.stderr
    assert calls("ConfirmSignUp") == 0


def test_signup_resend_then_signup_confirm(ws: Workspace, pool: Cognito) -> None:
    unconfirmed(pool)
    ws.write_config(pool.profile_section("dev", username="bob"))
    done = ws.run("signup", "resend", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    assert "was sent to b***@e*** by email" in done.stdout
    assert "cognito-credproc signup confirm --profile dev" in done.stdout
    run = pty(ws, "signup", "confirm", "--profile", "dev")
    run.answer("Confirmation code (Enter sends a new one): ", USERAUTH.last_code("bob"))
    run.expect("The sign-up of bob is confirmed")
    finish_ok(run)
    assert calls("ResendConfirmationCode") == 1
    assert calls("ConfirmSignUp") == 1
    assert signs_in_with(ws, pool.password)


def test_signup_asks_for_the_required_attributes_then_confirms(
    ws: Workspace, moto_endpoint: str
) -> None:
    cognito = provision(moto_endpoint)
    USERAUTH.reset()
    ACCOUNT.reset()
    cognito.idp.update_user_pool(UserPoolId=cognito.user_pool_id, AutoVerifiedAttributes=["email"])
    # a required attribute (Cognito fixes the schema when the pool is made)
    _backend, pool_model, _client = find_client(cognito.client_id)
    pool_model.extended_config["Schema"] = [{"Name": "email", "Required": True}]
    ws.write_config(cognito.profile_section("dev", username="carol"))
    run = pty(ws, "signup", "--profile", "dev")
    new_password_twice(run)
    run.answer("email (required by the pool): ", "carol@example.net")
    run.expect("carol is signed up: a code was sent to c***@e*** by email.")
    run.answer("Confirmation code (Enter sends a new one): ", USERAUTH.last_code("carol"))
    run.expect("The sign-up of carol is confirmed")
    run.expect("Next: cognito-credproc login --profile dev")
    finish_ok(run)
    assert calls("SignUp") == 2  # refused once for the missing attribute
    assert calls("ConfirmSignUp") == 1
    assert signs_in_with(ws, NEW_PASSWORD)


def test_signup_where_only_administrators_create_users(ws: Workspace, pool: Cognito) -> None:
    pool.idp.update_user_pool(
        UserPoolId=pool.user_pool_id, AdminCreateUserConfig={"AllowAdminCreateUserOnly": True}
    )
    ws.write_config(pool.profile_section("dev", username="carol"))
    run = pty(ws, "signup", "--profile", "dev")
    new_password_twice(run)
    code, _out, err = run.finish()
    assert code == 1
    assert "the user pool does not allow signing up" in err
    assert "ask the user pool's administrator to create the user" in err


# -- MFA ------------------------------------------------------------------------------------------


def mfa_status(ws: Workspace) -> str:
    done = ws.run("mfa", "status", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    return done.stdout


def unrender(lines: list[str]) -> list[list[bool]]:
    from .test_qr import unrender as undraw

    return undraw(lines)


def test_mfa_setup_totp_draws_the_code_and_turns_it_on(ws: Workspace, pool: Cognito) -> None:
    from cognito_credproc.account import qr

    pool.idp.set_user_pool_mfa_config(
        UserPoolId=pool.user_pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    login(ws, pool)
    assert "no second factor is set up" in mfa_status(ws)
    run = pty(ws, "mfa", "setup", "totp", "--profile", "dev")
    run.expect("Code shown by the app: ")
    shown = re.search(r"secret key: ([A-Z2-7]+)", run.screen)
    uri = re.search(r"Or add this URI: (otpauth://\S+)", run.screen)
    assert shown is not None and uri is not None, run.screen
    assert f"secret={shown[1]}&" in uri[1]
    # the drawing between the two lines is the QR code of that very URI
    drawing = run.screen.split("Scan this QR code with the app:\r\n", 1)[1]
    drawing = drawing.split("\r\nOr add this URI", 1)[0]
    assert unrender(drawing.split("\r\n")) == qr.encode(uri[1])
    run.answer("Code shown by the app: ", wrong_code(shown[1]))
    run.expect("That code was not accepted")
    run.answer("Code shown by the app: ", totp_now(shown[1]))
    run.expect("The authenticator app is set up and preferred for alice")
    out, err = finish_ok(run)
    assert out == "" and shown[1] not in err  # the secret only on the terminal
    assert calls("SetUserMFAPreference") == 1
    assert "authenticator app (totp):  on, preferred" in mfa_status(ws)
    # and the next sign-in asks for the app's code
    ws.run("clear", "--profile", "dev")
    run = pty(ws, "login", "--profile", "dev")
    run.answer("Password for alice (profile dev): ", pool.password)
    run.answer("Authenticator app code for alice: ", totp_now(shown[1]))
    run.expect("Signed in as alice")
    finish_ok(run)


def test_mfa_prefer_and_off(ws: Workspace, pool: Cognito) -> None:
    pool.idp.set_user_pool_mfa_config(
        UserPoolId=pool.user_pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    login(ws, pool)
    done = ws.run("mfa", "prefer", "totp", "--profile", "dev")
    assert done.returncode == 1
    assert "User has not verified software token mfa" in done.stderr
    assert "run: cognito-credproc mfa setup totp --profile dev" in done.stderr
    done = ws.run("mfa", "prefer", "sms", "--profile", "dev")
    assert done.returncode == 1
    assert "User does not have a phone number" in done.stderr
    done = ws.run("mfa", "prefer", "email", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    assert "Email is now the preferred second factor of alice" in done.stdout
    assert "email (email):             on, preferred" in mfa_status(ws)
    done = ws.run("mfa", "off", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    assert "MFA is off for alice" in done.stdout
    assert "no second factor is set up" in mfa_status(ws)
    assert calls("SetUserMFAPreference") == 4


def test_mfa_off_refused_by_a_pool_that_requires_mfa(ws: Workspace, pool: Cognito) -> None:
    login(ws, pool)
    pool.idp.set_user_pool_mfa_config(
        UserPoolId=pool.user_pool_id,
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    assert ws.run("mfa", "prefer", "email", "--profile", "dev").returncode == 0
    done = ws.run("mfa", "off", "--profile", "dev")
    assert done.returncode == 1
    assert "the user pool requires MFA (its MfaConfiguration is ON)" in done.stderr
    assert "cannot be turned off" in done.stderr
    assert "email (email):             on, preferred" in mfa_status(ws)


# -- devices -----------------------------------------------------------------------------------


def test_devices_lists_and_forgets_this_machine(ws: Workspace, pool: Cognito) -> None:
    BEHAVIOUR.device_tracking = True
    login(ws, pool)
    mine = cached_signin(ws)["device_key"]
    assert mine
    done = ws.run("devices", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith(mine))
    assert "cognito-credproc on" in row and row.endswith("this machine")
    done = ws.run("devices", "forget", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    assert f"Forgot device {mine} of alice (profile dev) (this machine's" in done.stdout
    assert cached_signin(ws)["device_key"] is None  # dropped from the cache too
    assert cached_signin(ws)["refresh_token"]  # the rest of the sign-in stays
    done = ws.run("devices", "--profile", "dev")
    assert "Cognito remembers no device of alice" in done.stdout
    done = ws.run("devices", "forget", mine, "--profile", "dev")
    assert done.returncode == 1
    assert "ResourceNotFoundException" in done.stderr
    assert calls("ForgetDevice") == 2
    assert calls("ListDevices") == 2


def test_devices_forget_with_no_device_here_names_the_way(ws: Workspace, pool: Cognito) -> None:
    login(ws, pool)
    done = ws.run("devices", "forget", "--profile", "dev")
    assert done.returncode == 2
    assert "this machine has no remembered device" in done.stderr
    assert "cognito-credproc devices --profile dev (lists them)" in done.stderr
    assert calls("ForgetDevice") == 0


# -- whoami -------------------------------------------------------------------------------------

ACCOUNT_ID = "111122223333"
ADMIN_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/admin"
DEV_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/dev"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/other"


def with_group_roles(cognito: Cognito) -> None:
    for name, role, precedence in (("admins", ADMIN_ROLE, 1), ("devs", DEV_ROLE, 5)):
        cognito.idp.create_group(
            UserPoolId=cognito.user_pool_id, GroupName=name, RoleArn=role, Precedence=precedence
        )
        cognito.idp.admin_add_user_to_group(
            UserPoolId=cognito.user_pool_id, Username="alice", GroupName=name
        )
    provider = f"cognito-idp.us-east-1.amazonaws.com/{cognito.user_pool_id}:{cognito.client_id}"
    cognito.identity.set_identity_pool_roles(
        IdentityPoolId=cognito.identity_pool_id,
        Roles={"authenticated": DEV_ROLE},
        RoleMappings={provider: {"Type": "Token", "AmbiguousRoleResolution": "Deny"}},
    )


def test_whoami_json(ws: Workspace, pool: Cognito) -> None:
    with_group_roles(pool)
    login(ws, pool)
    done = ws.run("whoami", "--json", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["user"] == "alice"
    assert info["email"] == EMAIL
    assert sorted(info["groups"]) == ["admins", "devs"]
    assert info["roles"] == [ADMIN_ROLE, DEV_ROLE]
    assert info["preferred_role"] == ADMIN_ROLE
    assert (
        info["identity_id"]
        == json.loads(next(ws.cache.glob("identity-*.json")).read_text())["identity_id"]
    )
    assert info["account"] == ACCOUNT_ID
    assert info["role_in_use"] == ADMIN_ROLE  # the Token rule picks the preferred role
    assert info["caller_arn"].endswith(":assumed-role/admin/CognitoIdentityCredentials")
    assert info["role_arn"] is None
    assert BEHAVIOUR.calls["GetCredentialsForIdentity"] == 1  # the login's, reused


def test_whoami_names_a_role_arn_the_token_does_not_allow(ws: Workspace, pool: Cognito) -> None:
    with_group_roles(pool)
    ws.write_config(pool.profile_section("dev", role_arn=OTHER_ROLE))
    done = ws.run("whoami", "--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": pool.password})
    # the identity pool refuses the role: what is known is shown, and the refusal
    assert done.returncode == 1, done.stderr
    assert "role_arn" in done.stderr
    lines = done.stdout.splitlines()
    assert "user:           alice (sub " in lines[1]
    assert any(line.startswith("groups:") and "admins" in line for line in lines)
    assert f"roles allowed:  {ADMIN_ROLE} (preferred)" in lines
    assert f"                {DEV_ROLE}" in lines
    assert f"role_arn:       {OTHER_ROLE}: NOT one of the roles the token allows" in done.stdout
    assert any(line.startswith("account:        unknown: ") for line in lines)
    done = ws.run("whoami", "--json", "--profile", "dev")
    info = json.loads(done.stdout)
    assert info["role_arn_allowed"] is False
    assert info["error"]
    ws.write_config(pool.profile_section("dev", role_arn=DEV_ROLE))
    done = ws.run("whoami", "--json", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["role_arn_allowed"] is True
    assert info["role_in_use"] == DEV_ROLE  # the role asked for
