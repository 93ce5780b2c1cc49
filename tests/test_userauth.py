"""Choice-based sign-in (auth_flow = USER_AUTH) end to end: the installed command against
the strict local Cognito, through a pseudo-terminal (a person typing the code from their
mail) and unattended (pipes, no terminal, as the SDKs run it). The codes come from the
local Cognito's outbox; the calls are counted."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from .conftest import (
    Cognito,
    Workspace,
    cached_signin,
    grant_role,
    parse_output,
    renew_with_the_refresh_token,
    two_refreshes_on_a_rotating_client,
)
from .ptyterm import PtyRun
from .strict_cognito import BEHAVIOUR
from .strict_userauth import USERAUTH
from .test_login import DebugLog, enable_totp_for, wrong_then_right_totp
from .userauth_setup import add_passkey, make_passwordless, provision_user_auth

pytestmark = pytest.mark.integration

LOGIN_HINT = "run: cognito-credproc login --profile dev"


@pytest.fixture
def ua(moto_endpoint: str) -> Iterator[Cognito]:
    yield provision_user_auth(moto_endpoint)
    USERAUTH.reset()


def configure(ws: Workspace, cognito: Cognito, **settings: str) -> None:
    ws.write_config(cognito.profile_section("dev", auth_flow="USER_AUTH", **settings))


def pty(ws: Workspace, *args: str, env: dict[str, str] | None = None) -> PtyRun:
    return PtyRun(list(args), {**ws.env, **(env or {})})


def calls(cognito: Cognito, name: str) -> int:
    return int(cognito.calls[name])


def refresh_once(ws: Workspace, cognito: Cognito) -> None:
    """With the cached tokens expired and no credentials cached, a plain run refreshes."""
    renew_with_the_refresh_token(ws)
    assert calls(cognito, "InitiateAuth:REFRESH_TOKEN_AUTH") == 1


EMAIL_PROMPT = "Code sent by email to a***@e***: "


def type_code(run: PtyRun, prompt: str = EMAIL_PROMPT) -> None:
    """Wait for the prompt (the code is sent by then), then type the latest code."""
    run.expect(prompt)
    run.answer(prompt, USERAUTH.last_code("alice"))


def fails_saying_what_to_run(run: PtyRun, problem: str) -> None:
    """The run ends with exit 1, nothing on stdout and two lines on stderr: ``problem``,
    then the login command."""
    code, out, err = run.finish()
    assert code == 1
    assert out == ""
    assert problem in err
    assert LOGIN_HINT in err
    assert len(err.strip().splitlines()) == 2


def sign_in_on_the_terminal(ws: Workspace, prompt: str = EMAIL_PROMPT) -> str:
    """`login` on a terminal, typing the code it sends; it signs in. Returns its stdout."""
    run = pty(ws, "login", "--profile", "dev")
    type_code(run, prompt)
    run.expect("Signed in")
    code, out, err = run.finish()
    assert code == 0, err
    return out


@pytest.mark.floor
def test_email_code_on_the_terminal_then_silent_runs(ws: Workspace, ua: Cognito) -> None:
    configure(ws, ua, preferred_challenge="EMAIL_OTP")
    assert sign_in_on_the_terminal(ws) == ""
    assert USERAUTH.preferred == ["EMAIL_OTP"]
    assert calls(ua, "InitiateAuth:USER_AUTH") == 1
    assert calls(ua, "RespondToAuthChallenge:EMAIL_OTP") == 1
    # no terminal, no password: the SDKs' runs work from the cache, then the refresh token
    done = ws.run("--profile", "dev")
    assert done.returncode == 0, done.stderr
    parse_output(done.stdout)
    refresh_once(ws, ua)
    assert calls(ua, "InitiateAuth:USER_AUTH") == 1
    assert len(USERAUTH.outbox) == 1


def test_sms_code_wrong_then_right(ws: Workspace, ua: Cognito) -> None:
    configure(ws, ua, preferred_challenge="SMS_OTP")
    run = pty(ws, "--profile", "dev")  # a plain run on a terminal asks there too
    prompt = "Code sent by SMS to +*******0123: "
    run.expect(prompt)
    run.answer(prompt, "00000000" if USERAUTH.last_code("alice") != "00000000" else "11111111")
    run.expect("not accepted")
    type_code(run, prompt)
    code, out, err = run.finish()
    assert code == 0, err
    assert err == ""
    parse_output(out)
    assert calls(ua, "RespondToAuthChallenge:SMS_OTP") == 2
    assert USERAUTH.outbox[0].medium == "SMS"


def test_three_wrong_codes(ws: Workspace, ua: Cognito) -> None:
    configure(ws, ua, preferred_challenge="EMAIL_OTP")
    run = pty(ws, "login", "--profile", "dev")
    for attempt in range(3):
        run.answer("Code sent by email to a***@e***: ", f"9{attempt}")
    fails_saying_what_to_run(run, "after three wrong codes")
    assert calls(ua, "RespondToAuthChallenge:EMAIL_OTP") == 3


def test_expired_code_session_starts_again_in_login(ws: Workspace, ua: Cognito) -> None:
    configure(ws, ua, preferred_challenge="EMAIL_OTP")
    run = pty(ws, "login", "--profile", "dev")
    run.expect("Code sent by email to a***@e***: ")
    first = USERAUTH.last_code("alice")
    USERAUTH.expire_sessions()  # the person went for coffee
    run.answer("Code sent by email to a***@e***: ", first)
    run.expect("starting again")
    run.expect("Code sent by email to a***@e***: ")
    assert len(USERAUTH.outbox) == 2
    type_code(run)
    run.expect("Signed in")
    code, _out, err = run.finish()
    assert code == 0, err
    assert calls(ua, "InitiateAuth:USER_AUTH") == 2


def test_expired_code_session_in_a_plain_run_starts_again(ws: Workspace, ua: Cognito) -> None:
    # A person is at the terminal: the sign-in starts again, as in login.
    configure(ws, ua, preferred_challenge="EMAIL_OTP")
    run = pty(ws, "--profile", "dev")
    run.expect("Code sent by email to a***@e***: ")
    USERAUTH.expire_sessions()
    run.answer("Code sent by email to a***@e***: ", USERAUTH.last_code("alice"))
    run.expect("The sign-in session expired; starting again.")
    type_code(run)
    code, out, err = run.finish()
    assert code == 0, err
    parse_output(out)
    assert calls(ua, "InitiateAuth:USER_AUTH") == 2


@pytest.mark.parametrize("preferred", ["EMAIL_OTP", "SMS_OTP"])
def test_no_terminal_fails_at_once_without_sending_a_code(
    ws: Workspace, ua: Cognito, preferred: str
) -> None:
    configure(ws, ua, preferred_challenge=preferred)
    done = ws.run("--profile", "dev")
    assert done.returncode == 1
    assert done.stdout == ""
    assert LOGIN_HINT in done.stderr
    assert calls(ua, "InitiateAuth:USER_AUTH") == 0
    assert USERAUTH.outbox == []


def test_no_preference_no_password_source_no_terminal(ws: Workspace, ua: Cognito) -> None:
    configure(ws, ua)
    done = ws.run("--profile", "dev")
    assert done.returncode == 1
    assert LOGIN_HINT in done.stderr
    assert calls(ua, "InitiateAuth:USER_AUTH") == 0


@pytest.mark.parametrize(
    ("preferred", "answered"),
    [("PASSWORD_SRP", "PASSWORD_VERIFIER"), ("PASSWORD", None)],
)
@pytest.mark.floor
def test_preferred_password_works_unattended(
    ws: Workspace, ua: Cognito, preferred: str, answered: str | None
) -> None:
    configure(ws, ua, preferred_challenge=preferred)
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": ua.password})
    assert done.returncode == 0, done.stderr
    parse_output(done.stdout)
    assert USERAUTH.preferred == [preferred]
    assert calls(ua, "InitiateAuth:USER_AUTH") == 1
    assert calls(ua, "RespondToAuthChallenge:SELECT_CHALLENGE") == 0
    assert calls(ua, "RespondToAuthChallenge:PASSWORD_VERIFIER") == (1 if answered else 0)


def test_wrong_password_through_srp_is_refused(ws: Workspace, ua: Cognito) -> None:
    configure(ws, ua, preferred_challenge="PASSWORD_SRP")
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": "Not-the-password-1"})
    assert done.returncode == 1
    assert "Incorrect username or password" in done.stderr


@pytest.mark.floor
def test_no_preference_with_a_password_command_answers_srp(ws: Workspace, ua: Cognito) -> None:
    script = ws.root / "pw.py"
    script.write_text(f"print({ua.password!r})\n")
    configure(ws, ua, password_command=f"{sys.executable} {script}")
    done = ws.run("--profile", "dev")
    assert done.returncode == 0, done.stderr
    assert USERAUTH.preferred == [None]
    assert USERAUTH.answers == ["PASSWORD_SRP"]  # offered after EMAIL_OTP, SMS_OTP, PASSWORD
    assert calls(ua, "RespondToAuthChallenge:PASSWORD_VERIFIER") == 1
    assert USERAUTH.outbox == []


def test_no_preference_on_a_terminal_offers_the_choices(ws: Workspace, ua: Cognito) -> None:
    configure(ws, ua)
    run = pty(ws, "login", "--profile", "dev")
    run.answer("Sign in with [1) EMAIL_OTP, 2) SMS_OTP, 3) PASSWORD_SRP]: ", "EMAIL_OTP")
    type_code(run)
    run.expect("Signed in")
    code, _out, err = run.finish()
    assert code == 0, err
    assert USERAUTH.answers == ["EMAIL_OTP"]

    run = pty(ws, "login", "--profile", "dev")
    run.answer("Sign in with [1) EMAIL_OTP, 2) SMS_OTP, 3) PASSWORD_SRP]: ", "3")
    run.answer("Password for alice (profile dev): ", ua.password)
    run.expect("Signed in")
    code, _out, err = run.finish()
    assert code == 0, err
    assert USERAUTH.answers == ["EMAIL_OTP", "PASSWORD_SRP"]
    assert ua.password not in run.screen


def test_preference_the_user_lacks_offers_what_there_is(ws: Workspace, moto_endpoint: str) -> None:
    cognito = provision_user_auth(moto_endpoint, phone=None)
    configure(ws, cognito, preferred_challenge="SMS_OTP")
    run = pty(ws, "login", "--profile", "dev")
    run.expect("SMS_OTP is not available for alice.")
    run.answer("Sign in with [1) EMAIL_OTP, 2) PASSWORD_SRP]: ", "1")
    type_code(run)
    code, _out, err = run.finish()
    assert code == 0, err


def test_a_code_is_asked_once_when_many_start_together(ws: Workspace, ua: Cognito) -> None:
    configure(ws, ua, preferred_challenge="EMAIL_OTP")
    asking = pty(ws, "--profile", "dev")
    asking.expect("Code sent by email to a***@e***: ")
    # meanwhile, SDK calls arrive without a terminal: they wait on the lock
    waiting = [ws.start("--profile", "dev", "--debug") for _ in range(3)]
    logs = [DebugLog(proc) for proc in waiting]
    for log in logs:
        log.wait_for("another process holds the lock")
    assert all(proc.poll() is None for proc in waiting)  # none failed for want of a terminal
    type_code(asking)
    code, out, err = asking.finish()
    assert code == 0, err
    for proc, log in zip(waiting, logs, strict=True):
        # stdout (one JSON line) fits in the pipe, so waiting first cannot block; stderr
        # has one reader, the log's
        proc.wait(timeout=60)
        assert proc.stdout is not None and proc.stderr is not None
        with proc.stdout, proc.stderr:
            waited_out = proc.stdout.read()
            waited_err = log.text()
        ws.check_no_secrets(waited_err)
        assert proc.returncode == 0, waited_err
        assert "another process refreshed the credentials" in waited_err  # found them after
        assert waited_out == out
    assert calls(ua, "InitiateAuth:USER_AUTH") == 1
    assert calls(ua, "RespondToAuthChallenge:EMAIL_OTP") == 1
    assert len(USERAUTH.outbox) == 1
    assert calls(ua, "GetCredentialsForIdentity") == 1


def test_client_secret(ws: Workspace, moto_endpoint: str) -> None:
    cognito = provision_user_auth(moto_endpoint, secret=True)
    configure(ws, cognito, preferred_challenge="EMAIL_OTP")
    sign_in_on_the_terminal(ws)
    # the refresh token, with its SECRET_HASH
    refresh_once(ws, cognito)
    # and SRP through SELECT_CHALLENGE, unattended
    configure(ws, cognito)
    done = ws.run("login", "--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    assert USERAUTH.answers == ["PASSWORD_SRP"]


def test_a_passkey_as_the_only_choice(ws: Workspace, moto_endpoint: str) -> None:
    cognito = provision_user_auth(moto_endpoint, factors=["WEB_AUTHN"])
    add_passkey(cognito)
    make_passwordless(cognito)
    configure(ws, cognito)
    run = pty(ws, "login", "--profile", "dev")
    code, out, err = run.finish()
    assert code == 1
    assert out == ""
    assert "only a passkey (WEB_AUTHN)" in err
    assert "auth_flow = BROWSER" in err
    assert "managed login, which supports passkeys" in err
    assert len(err.strip().splitlines()) == 2
    assert calls(cognito, "RespondToAuthChallenge:SELECT_CHALLENGE") == 0


def test_client_without_allow_user_auth(ws: Workspace, moto_endpoint: str) -> None:
    cognito = provision_user_auth(moto_endpoint, flows=["ALLOW_USER_SRP_AUTH"])
    configure(ws, cognito, preferred_challenge="PASSWORD_SRP")
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 1
    assert "USER_AUTH flow not enabled for this client" in done.stderr
    assert "add ALLOW_USER_AUTH to the app client" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 2


def test_plan_without_user_auth(ws: Workspace, moto_endpoint: str) -> None:
    cognito = provision_user_auth(moto_endpoint, tier="LITE")
    configure(ws, cognito, preferred_challenge="PASSWORD")
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 1
    assert "FeatureUnavailableInTierException" in done.stderr
    assert "Essentials" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 2


def password_then_sms_mfa(ws: Workspace, ua: Cognito, preferred: str, prompt: str) -> None:
    """SMS MFA on for alice, then `login` on a terminal with ``preferred`` and the password
    from the environment: the SMS code is asked for after the password, and it signs in."""
    # SMS MFA: the local Cognito texts a code per challenge (no authenticator clock)
    ua.idp.admin_set_user_mfa_preference(
        UserPoolId=ua.user_pool_id,
        Username=ua.username,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    configure(ws, ua, preferred_challenge=preferred)
    run = pty(ws, "login", "--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": ua.password})
    run.expect(prompt)
    run.answer(prompt, BEHAVIOUR.last_sms_code())
    run.expect("Signed in")
    code, _out, err = run.finish()
    assert code == 0, err
    assert USERAUTH.preferred == [preferred]
    assert calls(ua, "RespondToAuthChallenge:SMS_MFA") == 1


def test_mfa_follows_the_password(ws: Workspace, ua: Cognito) -> None:
    password_then_sms_mfa(ws, ua, "PASSWORD_SRP", "Code sent by SMS to your phone: ")
    assert calls(ua, "RespondToAuthChallenge:PASSWORD_VERIFIER") == 1
    # a one-time code is a factor of its own: no MFA after it
    configure(ws, ua, preferred_challenge="EMAIL_OTP")
    sign_in_on_the_terminal(ws)
    assert calls(ua, "RespondToAuthChallenge:SMS_MFA") == 1


def test_logout_after_a_passwordless_sign_in(ws: Workspace, ua: Cognito) -> None:
    configure(ws, ua, preferred_challenge="EMAIL_OTP")
    sign_in_on_the_terminal(ws)
    done = ws.run("logout", "--profile", "dev", "--global")
    assert done.returncode == 0, done.stderr
    assert not list(ws.cache.glob("*.json"))
    again = ws.run("--profile", "dev")
    assert again.returncode == 1
    assert LOGIN_HINT in again.stderr


def test_configure_takes_the_flow_and_the_preference(ws: Workspace, ua: Cognito) -> None:
    done = ws.run(
        *ua.configure_args("--auth-flow", "USER_AUTH", "--preferred-challenge", "sms_otp")
    )
    assert done.returncode == 0, done.stderr
    text = ws.config.read_text()
    assert "auth_flow = USER_AUTH" in text
    assert "preferred_challenge = sms_otp" in text  # written as given, read case-blind
    sign_in_on_the_terminal(ws, "Code sent by SMS to +*******0123: ")
    assert USERAUTH.preferred == ["SMS_OTP"]
    bad = ws.run("configure", "--profile", "x", "--preferred-challenge", "WEB_AUTHN")
    assert bad.returncode == 2
    assert "--preferred-challenge 'WEB_AUTHN' is not one of EMAIL_OTP" in bad.stderr


def test_one_passwordless_sign_in_serves_the_other_profiles(ws: Workspace, ua: Cognito) -> None:
    ws.write_config(
        ua.profile_section("dev", auth_flow="USER_AUTH", preferred_challenge="EMAIL_OTP")
        + ua.profile_section("ops", role_arn="arn:aws:iam::123456789012:role/Ops")
    )
    grant_role(ua, "arn:aws:iam::123456789012:role/Ops")  # the token lets alice choose it
    sign_in_on_the_terminal(ws)
    done = ws.run("--profile", "ops")  # no terminal, no password: the shared sign-in serves
    assert done.returncode == 0, done.stderr
    parse_output(done.stdout)
    assert calls(ua, "InitiateAuth:USER_AUTH") == 1
    assert ua.sign_ins() == 0


def test_email_as_username_pool_with_a_client_secret(ws: Workspace, moto_endpoint: str) -> None:
    # The person types the address; the pool's own username (the sub) is what SECRET_HASH
    # needs on refresh.
    cognito = provision_user_auth(moto_endpoint, secret=True, email_as_username=True)
    configure(ws, cognito, preferred_challenge="EMAIL_OTP")
    run = pty(ws, "login", "--profile", "dev")
    run.expect(EMAIL_PROMPT)
    (delivery,) = USERAUTH.outbox
    assert delivery.username != "alice@example.com"  # the sub
    run.answer(EMAIL_PROMPT, delivery.code)
    run.expect("Signed in")
    code, _out, err = run.finish()
    assert code == 0, err
    refresh_once(ws, cognito)
    configure(ws, cognito, preferred_challenge="PASSWORD_SRP")
    done = ws.run("login", "--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    assert calls(cognito, "RespondToAuthChallenge:PASSWORD_VERIFIER") == 1


def test_two_wrong_codes_then_the_right_one(ws: Workspace, ua: Cognito) -> None:
    configure(ws, ua, preferred_challenge="EMAIL_OTP")
    run = pty(ws, "login", "--profile", "dev")
    run.expect(EMAIL_PROMPT)
    right = USERAUTH.last_code("alice")
    wrong = "00000000" if right != "00000000" else "11111111"
    for _ in range(2):
        run.answer(EMAIL_PROMPT, wrong)
        run.expect("not accepted")
    run.answer(EMAIL_PROMPT, right)  # the third try, in the same session
    run.expect("Signed in")
    code, _out, err = run.finish()
    assert code == 0, err
    assert calls(ua, "RespondToAuthChallenge:EMAIL_OTP") == 3
    assert calls(ua, "InitiateAuth:USER_AUTH") == 1
    assert len(USERAUTH.outbox) == 1


# What an app client for USER_AUTH needs, and nothing more: no USER_SRP_AUTH to fall back on
MINIMAL_FLOWS = ["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def test_a_remembered_device_after_a_code_sign_in(ws: Workspace, moto_endpoint: str) -> None:
    cognito = provision_user_auth(moto_endpoint, secret=True, flows=MINIMAL_FLOWS)
    BEHAVIOUR.device_tracking = True
    configure(ws, cognito, preferred_challenge="EMAIL_OTP")
    sign_in_on_the_terminal(ws)
    assert calls(cognito, "ConfirmDevice") == 1
    device = cached_signin(ws)["device_key"]
    assert device
    refresh_once(ws, cognito)  # the refresh token is bound to the device: DEVICE_KEY sent
    # the next sign-in from this machine: the code, then the device proves itself
    sign_in_on_the_terminal(ws)
    assert calls(cognito, "RespondToAuthChallenge:DEVICE_SRP_AUTH") == 1
    assert calls(cognito, "RespondToAuthChallenge:DEVICE_PASSWORD_VERIFIER") == 1
    assert calls(cognito, "ConfirmDevice") == 1  # no new device
    assert cached_signin(ws)["device_key"] == device


@pytest.mark.parametrize("preferred", ["PASSWORD", "PASSWORD_SRP"])
def test_a_remembered_device_after_a_password_first_factor(
    ws: Workspace, ua: Cognito, preferred: str
) -> None:
    BEHAVIOUR.device_tracking = True
    configure(ws, ua, preferred_challenge=preferred)
    env = {"COGNITO_CREDPROC_PASSWORD": ua.password}
    done = ws.run("login", "--profile", "dev", env=env)
    assert done.returncode == 0, done.stderr
    assert calls(ua, "ConfirmDevice") == 1
    done = ws.run("login", "--profile", "dev", env=env)
    assert done.returncode == 0, done.stderr
    assert calls(ua, "InitiateAuth:USER_AUTH") == 2
    assert calls(ua, "RespondToAuthChallenge:DEVICE_SRP_AUTH") == 1
    assert calls(ua, "RespondToAuthChallenge:DEVICE_PASSWORD_VERIFIER") == 1
    assert calls(ua, "ConfirmDevice") == 1
    refresh_once(ws, ua)


@pytest.mark.parametrize("secret", [False, True], ids=["public-client", "client-secret"])
@pytest.mark.floor
def test_a_rotating_client_after_a_code_sign_in(
    ws: Workspace, moto_endpoint: str, secret: bool
) -> None:
    cognito = provision_user_auth(moto_endpoint, secret=secret, flows=MINIMAL_FLOWS)
    BEHAVIOUR.rotating_clients.add(cognito.client_id)
    configure(ws, cognito, preferred_challenge="EMAIL_OTP")
    sign_in_on_the_terminal(ws)
    two_refreshes_on_a_rotating_client(ws, cognito)
    assert calls(cognito, "InitiateAuth:USER_AUTH") == 1
    assert len(USERAUTH.outbox) == 1  # no second code

    done = ws.run("logout", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    assert calls(cognito, "RevokeToken") == 1
    again = ws.run("--profile", "dev")
    assert again.returncode == 1
    assert LOGIN_HINT in again.stderr


def test_sms_mfa_after_the_password_itself(ws: Workspace, ua: Cognito) -> None:
    password_then_sms_mfa(ws, ua, "PASSWORD", "Code sent by SMS to ")
    assert calls(ua, "RespondToAuthChallenge:PASSWORD_VERIFIER") == 0
    # without a terminal, the MFA after the password says what to run
    for path in ws.cache.glob("*.json"):
        path.unlink()
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": ua.password})
    assert done.returncode == 1
    assert LOGIN_HINT in done.stderr


@pytest.mark.parametrize("preferred", ["PASSWORD", "PASSWORD_SRP"])
def test_authenticator_code_after_the_password(ws: Workspace, ua: Cognito, preferred: str) -> None:
    secret = enable_totp_for(ua, ua.username, ua.password)
    configure(ws, ua, preferred_challenge=preferred)
    run = pty(ws, "login", "--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": ua.password})
    wrong_then_right_totp(run, secret)
    run.expect("Signed in")
    code, _out, err = run.finish()
    assert code == 0, err
    assert USERAUTH.preferred == [preferred]
    assert calls(ua, "RespondToAuthChallenge:SOFTWARE_TOKEN_MFA") == 2
    assert USERAUTH.outbox == []


def test_configure_with_an_email_code_preference(ws: Workspace, ua: Cognito) -> None:
    done = ws.run(
        *ua.configure_args("--auth-flow", "USER_AUTH", "--preferred-challenge", "EMAIL_OTP")
    )
    assert done.returncode == 0, done.stderr
    text = ws.config.read_text()
    assert "auth_flow = USER_AUTH" in text
    assert "preferred_challenge = EMAIL_OTP" in text
    sign_in_on_the_terminal(ws)
    assert USERAUTH.preferred == ["EMAIL_OTP"]


def test_an_empty_entry_asks_again_and_sends_nothing(ws: Workspace, ua: Cognito) -> None:
    configure(ws, ua, preferred_challenge="EMAIL_OTP")
    run = pty(ws, "login", "--profile", "dev")
    run.answer(EMAIL_PROMPT, "")  # Enter pressed by mistake: the code is still good
    run.expect("No code entered")
    type_code(run)
    run.expect("Signed in")
    code, _out, err = run.finish()
    assert code == 0, err
    assert calls(ua, "RespondToAuthChallenge:EMAIL_OTP") == 1
    # nothing but Enter: the sign-in stops without a call, saying what to run
    run = pty(ws, "login", "--profile", "dev")
    for _ in range(3):
        run.answer(EMAIL_PROMPT, " ")
    fails_saying_what_to_run(run, "no code was entered")
    assert calls(ua, "RespondToAuthChallenge:EMAIL_OTP") == 1


@pytest.mark.parametrize("password_source", [False, True], ids=["no-password", "password"])
def test_login_without_a_terminal_names_the_code_not_the_password(
    ws: Workspace, ua: Cognito, password_source: bool
) -> None:
    configure(ws, ua, preferred_challenge="SMS_OTP")
    env = {"COGNITO_CREDPROC_PASSWORD": ua.password} if password_source else {}
    done = ws.run("login", "--profile", "dev", env=env)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "one-time code" in done.stderr
    assert "SMS_OTP" in done.stderr
    assert "in a terminal" in done.stderr
    assert "password" not in done.stderr  # no password source can type a code
    assert len(done.stderr.strip().splitlines()) == 2
    assert calls(ua, "InitiateAuth:USER_AUTH") == 0
    assert USERAUTH.outbox == []
