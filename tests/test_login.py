"""Interactive sign-in driven through a pseudo-terminal against the strict local Cognito."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time

import pytest

from cognito_credproc.account import qr

from .conftest import Cognito, Workspace, aws_client, cached_signin, parse_output
from .ptyterm import PtyRun
from .strict_cognito import BEHAVIOUR
from .test_qr import unrender

pytestmark = pytest.mark.integration

TOTP_SOURCE = """
import base64, hashlib, hmac, struct, time
def totp(secret, at=None):
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int((at or time.time()) // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000
    return f"{code:06d}"
"""
_namespace: dict[str, object] = {}
exec(TOTP_SOURCE, _namespace)  # noqa: S102 - our own constant, shared with a helper script


def totp_now(secret: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits) for the secret Cognito handed out (the SecretCode of
    AssociateSoftwareToken, as an authenticator app takes it). The strict Cognito also takes
    the code of the step before, so a code made just before a step ends still works."""
    code = _namespace["totp"](secret, at)  # type: ignore[operator]
    return str(code)


def wrong_code(secret: str) -> str:
    """A code that no step near now has."""
    now = time.time()
    near = {totp_now(secret, now + offset) for offset in (-60, -30, 0, 30, 60)}
    return next(
        c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c not in near
    )


def wrong_then_right_totp(run: PtyRun, secret: str) -> None:
    """At alice's authenticator prompt: a wrong code, refused, then the right one."""
    run.answer("Authenticator app code for alice: ", wrong_code(secret))
    run.expect("not accepted")
    run.answer("Authenticator app code for alice: ", totp_now(secret))


class DebugLog:
    """A child's stderr read as it comes (a thread), to wait for a --debug line."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        self.stream = proc.stderr
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.stream:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    def wait_for(self, text: str, timeout: float = 30) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: any(text in x for x in self.lines), timeout):
                raise AssertionError(f"{text!r} never logged; saw {self.lines!r}")

    def text(self) -> str:
        self.reader.join(timeout=30)
        with self.changed:
            return "".join(self.lines)


def pty(ws: Workspace, *args: str, env: dict[str, str] | None = None) -> PtyRun:
    return PtyRun(list(args), {**ws.env, **(env or {})})


def enable_totp_for(
    cognito: Cognito, username: str, password: str, *, pool_mfa: str = "OPTIONAL"
) -> str:
    """Turn on an authenticator app for the user, as the user would; the secret it holds."""
    idp = cognito.idp
    idp.set_user_pool_mfa_config(
        UserPoolId=cognito.user_pool_id,
        MfaConfiguration=pool_mfa,
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    tokens = idp.admin_initiate_auth(
        UserPoolId=cognito.user_pool_id,
        ClientId=cognito.client_id,
        AuthFlow="ADMIN_NO_SRP_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )["AuthenticationResult"]
    secret = str(idp.associate_software_token(AccessToken=tokens["AccessToken"])["SecretCode"])
    idp.verify_software_token(AccessToken=tokens["AccessToken"], UserCode=totp_now(secret))
    idp.admin_set_user_mfa_preference(
        UserPoolId=cognito.user_pool_id,
        Username=username,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    return secret


def test_login_prompts_on_the_terminal_then_runs_silently(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    run = pty(ws, "login", "--profile", "dev")
    run.answer("Password for alice (profile dev): ", cognito.password)
    run.expect("Signed in as alice")
    code, out, err = run.finish()
    assert code == 0, err
    assert out == ""  # nothing for the SDKs' pipes
    assert cognito.password not in run.screen  # typed without echo
    assert "ID token valid until" in run.screen
    done = ws.run("--profile", "dev")  # no password source, no terminal: the cache serves
    assert done.returncode == 0, done.stderr
    parse_output(done.stdout)
    assert cognito.sign_ins() == 1


def test_login_again_signs_in_fresh(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    for _ in range(2):
        done = ws.run(
            "login", "--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password}
        )
        assert done.returncode == 0, done.stderr
    assert cognito.sign_ins() == 2


def test_login_whose_credentials_fail_says_what_to_do(ws: Workspace, cognito: Cognito) -> None:
    unknown_pool = "us-east-1:00000000-0000-0000-0000-000000000000"
    ws.write_config(cognito.profile_section("dev", identity_pool_id=unknown_pool))
    done = ws.run("login", "--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    # No credentials: a failure (`login && terraform plan` must stop), with the reason.
    assert done.returncode == 1, done.stderr
    said, error, hint = done.stderr.splitlines()
    assert said.startswith("Signed in as alice (profile dev)")
    assert "credentials" not in said
    assert error.startswith(
        "cognito-credproc: profile dev: signed in, but fetching AWS credentials failed: "
        "ResourceNotFoundException"
    )
    assert hint == f"  next: check the pool and client ids in [dev] of {ws.config}"
    # The sign-in itself worked and stays cached: the next run needs no password.
    assert cached_signin(ws)["refresh_token"]
    ws.write_config(cognito.profile_section("dev"))
    served = ws.run("--profile", "dev")
    assert served.returncode == 0, served.stderr
    assert cognito.sign_ins() == 1


def test_login_gives_three_tries_at_the_password(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    run = pty(ws, "login", "--profile", "dev")
    run.answer("Password for alice", "wrong-1")
    run.expect("Sign-in failed")
    run.answer("Password for alice", cognito.password)
    run.expect("Signed in as alice")
    code, _out, err = run.finish()
    assert code == 0, err

    run = pty(ws, "login", "--profile", "dev")
    for attempt in range(3):
        run.answer("Password for alice", f"wrong-{attempt}")
    code, out, err = run.finish()
    assert code == 1
    assert "Incorrect username or password" in err
    assert out == ""


def test_new_password_required(ws: Workspace, cognito: Cognito) -> None:
    cognito.add_user("carol", "Temp-Pass-123", permanent=False)
    ws.write_config(cognito.profile_section("dev", username="carol"))
    run = pty(ws, "login", "--profile", "dev")
    run.answer("Password for carol", "Temp-Pass-123")
    run.expect("A new password is required")
    run.answer("New password: ", "Brand-New-Pass-1")
    run.answer("New password again: ", "Brand-New-Pass-2")
    run.expect("did not match")
    run.answer("New password: ", "Brand-New-Pass-1")
    run.answer("New password again: ", "Brand-New-Pass-1")
    run.expect("Signed in as carol")
    code, _out, err = run.finish()
    assert code == 0, err
    assert cognito.calls["RespondToAuthChallenge:NEW_PASSWORD_REQUIRED"] == 1
    # the new password is the password now
    done = ws.run(
        "login", "--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": "Brand-New-Pass-1"}
    )
    assert done.returncode == 0, done.stderr


def test_new_password_without_terminal_says_login(ws: Workspace, cognito: Cognito) -> None:
    cognito.add_user("carol", "Temp-Pass-123", permanent=False)
    ws.write_config(cognito.profile_section("dev", username="carol"))
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": "Temp-Pass-123"})
    assert done.returncode == 1
    assert "run: cognito-credproc login --profile dev" in done.stderr
    assert "New password" in done.stderr


def test_totp_mfa_with_a_wrong_code_first(ws: Workspace, cognito: Cognito) -> None:
    secret = enable_totp_for(cognito, "alice", cognito.password)
    ws.write_config(cognito.profile_section("dev"))
    run = pty(ws, "login", "--profile", "dev")
    run.answer("Password for alice", cognito.password)
    wrong_then_right_totp(run, secret)
    run.expect("Signed in as alice")
    code, _out, err = run.finish()
    assert code == 0, err
    assert cognito.calls["RespondToAuthChallenge:SOFTWARE_TOKEN_MFA"] == 2


def test_totp_command_answers_without_a_prompt(ws: Workspace, cognito: Cognito) -> None:
    secret = enable_totp_for(cognito, "alice", cognito.password)
    script = ws.root / "code.py"
    script.write_text(TOTP_SOURCE + f"print(totp({secret!r}))\n")
    import sys

    ws.write_config(cognito.profile_section("dev", totp_command=f"{sys.executable} {script}"))
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    parse_output(done.stdout)


def test_mfa_without_terminal_fails_at_once_with_login_hint(
    ws: Workspace, cognito: Cognito
) -> None:
    enable_totp_for(cognito, "alice", cognito.password)
    ws.write_config(cognito.profile_section("dev"))
    started = time.monotonic()
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert time.monotonic() - started < 20
    assert done.returncode == 1
    assert "run: cognito-credproc login --profile dev" in done.stderr


@pytest.mark.floor
def test_mfa_setup_shows_the_secret_and_uri(ws: Workspace, cognito: Cognito) -> None:
    cognito.idp.set_user_pool_mfa_config(
        UserPoolId=cognito.user_pool_id,
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    ws.write_config(cognito.profile_section("dev"))
    run = pty(ws, "login", "--profile", "dev")
    run.answer("Password for alice", cognito.password)
    run.expect("otpauth://totp/")
    # what a person types into the app: the secret the terminal shows (from the service)
    shown = re.search(r"Secret key: ([A-Z2-7]+)", run.screen)
    assert shown is not None, run.screen
    assert f"secret={shown[1]}" in run.screen  # the otpauth URI carries the same secret
    # and the drawing above them is the QR code of that URI, for the app to scan
    uri = re.search(r"Or add this URI: (otpauth://\S+)", run.screen)
    assert uri is not None, run.screen
    drawing = run.screen.split("Scan this QR code with the app:\r\n", 1)[1]
    drawing = drawing.split("\r\nSecret key: ", 1)[0]
    assert unrender(drawing.split("\r\n")) == qr.encode(uri[1])
    run.answer("Code shown by the app: ", totp_now(shown[1]))
    run.expect("Signed in as alice")
    code, _out, err = run.finish()
    assert code == 0, err
    assert cognito.calls["RespondToAuthChallenge:MFA_SETUP"] == 1


def test_plain_run_prompts_on_the_terminal_not_the_pipes(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    run = pty(ws, "--profile", "dev")
    run.answer("Password for alice (profile dev): ", cognito.password)
    code, out, err = run.finish()
    assert code == 0, err
    assert err == ""
    parse_output(out)


def test_ctrl_c_at_the_prompt_leaves_nothing_held(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    run = pty(ws, "--profile", "dev")
    run.expect("Password for alice")
    run.proc.send_signal(signal.SIGINT)
    code, out, err = run.finish()
    assert code == 130
    assert out == ""
    assert "Traceback" not in err
    assert not list(ws.cache.glob(".tmp-*"))
    # the lock is free again: the next run does not wait for lock_timeout
    started = time.monotonic()
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 10


def test_logout_revokes_the_refresh_token(ws: Workspace, cognito_secret: Cognito) -> None:
    ws.write_config(cognito_secret.profile_section("dev"))
    env = {"COGNITO_CREDPROC_PASSWORD": cognito_secret.password}
    assert ws.run("--profile", "dev", env=env).returncode == 0
    entry = json.loads(next(ws.cache.glob("signin-*.json")).read_text())
    done = ws.run("logout", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    assert "refresh token revoked" in done.stderr
    assert cognito_secret.calls["RevokeToken"] == 1
    assert not list(ws.cache.glob("*.json"))
    idp = aws_client("cognito-idp", cognito_secret.endpoint)
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="revoked"):
        idp.get_tokens_from_refresh_token(
            ClientId=cognito_secret.client_id,
            RefreshToken=entry["refresh_token"],
            ClientSecret=cognito_secret.client_secret,
        )


def test_logout_whose_revoke_fails_says_the_token_lives_on_and_fails(
    ws: Workspace, cognito: Cognito
) -> None:
    ws.write_config(cognito.profile_section("dev"))
    assert (
        ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password}).returncode
        == 0
    )
    assert ws.cache_files()
    BEHAVIOUR.crash_revoke = True  # the service answers with an HTTP 500 page
    done = ws.run("logout", "--profile", "dev")
    assert done.returncode == 1, done.stderr
    first, *rest = done.stderr.strip().splitlines()
    assert first.startswith("cognito-credproc: profile dev: signed out on this machine")
    assert "did not revoke the refresh token" in first
    assert "still valid at Cognito until it expires" in first
    assert "<html" not in done.stderr.lower()  # a crash page is summarised, not pasted
    assert rest == [
        "  next: to end it sooner, once Cognito answers: cognito-credproc login --profile dev,"
        " then cognito-credproc logout --global --profile dev"
    ]
    assert not list(ws.cache.glob("*.json"))
    again = ws.run("--profile", "dev")
    assert again.returncode == 1  # nothing left to sign in with
    assert "run: cognito-credproc login --profile dev" in again.stderr
    assert cognito.sign_ins() == 1


@pytest.mark.floor
def test_logout_global_signs_out_every_device(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    assert (
        ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password}).returncode
        == 0
    )
    entry = json.loads(next(ws.cache.glob("signin-*.json")).read_text())
    done = ws.run("logout", "--profile", "dev", "--global")
    assert done.returncode == 0, done.stderr
    assert "signed out of every device" in done.stderr
    assert not list(ws.cache.glob("*.json"))
    idp = aws_client("cognito-idp", cognito.endpoint)
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.initiate_auth(
            ClientId=cognito.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": entry["refresh_token"]},
        )


def test_a_one_time_code_is_asked_once_when_many_start_together(
    ws: Workspace, cognito: Cognito
) -> None:

    secret = enable_totp_for(cognito, "alice", cognito.password)
    ws.write_config(cognito.profile_section("dev"))
    env = {"COGNITO_CREDPROC_PASSWORD": cognito.password}
    asking = pty(ws, "--profile", "dev", env=env)
    asking.expect("Authenticator app code for alice: ")
    # meanwhile, a second SDK call arrives without a terminal: it waits on the lock
    waiting = ws.start("--profile", "dev", "--debug", env=env)
    log = DebugLog(waiting)
    log.wait_for("another process holds the lock")
    assert waiting.poll() is None  # blocked by the terminal's run
    asking.answer("Authenticator app code for alice: ", totp_now(secret))
    code, out, err = asking.finish()
    assert code == 0, err
    # Not communicate(): it would read stderr too, racing the log's reader for the last
    # lines. stdout (one JSON line) fits in the pipe, so waiting first cannot block.
    waiting.wait(timeout=60)
    assert waiting.stdout is not None and waiting.stderr is not None
    with waiting.stdout, waiting.stderr:
        waited_out = waiting.stdout.read()
        waited_err = log.text()
    ws.check_no_secrets(waited_err)
    assert waiting.returncode == 0, waited_err
    assert "another process refreshed the credentials" in waited_err  # found them after
    assert waited_out == out
    assert cognito.calls["RespondToAuthChallenge:SOFTWARE_TOKEN_MFA"] == 1
