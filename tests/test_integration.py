"""The helper end to end over HTTP against the strict local Cognito, run as botocore
runs it: a child process with pipes and no terminal."""

from __future__ import annotations

import json
import re
import stat
import time
from datetime import datetime, timezone

import pytest

from cognito_credproc.config import load_profile

from .conftest import (
    Cognito,
    Workspace,
    age_cached_tokens,
    expire_cached_credentials,
    grant_role,
    parse_output,
    run_python,
    run_together,
)
from .strict_cognito import BEHAVIOUR

pytestmark = pytest.mark.integration

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def setup(ws: Workspace, cognito: Cognito, **overrides: str) -> dict[str, str]:
    ws.write_config(cognito.profile_section("dev", **overrides))
    return {"COGNITO_CREDPROC_PASSWORD": cognito.password}


@pytest.mark.floor
def test_first_run_signs_in_and_prints_only_the_json(ws: Workspace, cognito: Cognito) -> None:
    env = setup(ws, cognito)
    done = ws.run("--profile", "dev", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    data = parse_output(done.stdout)
    assert list(data) == ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"]
    assert data["Version"] == 1
    # temporary keys start ASIA (IAM User Guide, "Unique identifiers")
    assert data["AccessKeyId"].startswith("ASIA")
    assert ISO_Z.match(data["Expiration"])
    expires = datetime.strptime(data["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=timezone.utc
    )
    assert 3500 < expires.timestamp() - time.time() <= 3600
    # SRP by default, with a proof the strict server verified
    assert cognito.calls["InitiateAuth:USER_SRP_AUTH"] == 1
    assert cognito.calls["RespondToAuthChallenge:PASSWORD_VERIFIER"] == 1
    assert cognito.calls["GetId"] == 1
    assert cognito.calls["GetCredentialsForIdentity"] == 1


def test_second_run_is_served_from_the_cache(ws: Workspace, cognito: Cognito) -> None:
    env = setup(ws, cognito)
    first = ws.run("--profile", "dev", env=env)
    calls_after_first = dict(cognito.calls)
    second = ws.run("--profile", "dev")  # no password needed now
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert dict(cognito.calls) == calls_after_first


def test_profile_from_environment_and_python_m(ws: Workspace, cognito: Cognito) -> None:
    env = setup(ws, cognito)
    done = ws.run(env={**env, "COGNITO_CREDPROC_PROFILE": "dev"})
    assert done.returncode == 0, done.stderr
    parse_output(done.stdout)


@pytest.mark.floor
def test_password_flow_with_client_secret(ws: Workspace, cognito_secret: Cognito) -> None:
    env = setup(ws, cognito_secret, auth_flow="USER_PASSWORD_AUTH")
    done = ws.run("--profile", "dev", env=env)
    assert done.returncode == 0, done.stderr
    assert cognito_secret.calls["InitiateAuth:USER_PASSWORD_AUTH"] == 1
    assert cognito_secret.calls["InitiateAuth:USER_SRP_AUTH"] == 0


@pytest.mark.floor
def test_srp_with_client_secret(ws: Workspace, cognito_secret: Cognito) -> None:
    env = setup(ws, cognito_secret)
    done = ws.run("--profile", "dev", env=env)
    assert done.returncode == 0, done.stderr
    assert cognito_secret.calls["RespondToAuthChallenge:PASSWORD_VERIFIER"] == 1


def test_wrong_client_secret_is_refused(ws: Workspace, cognito_secret: Cognito) -> None:
    env = setup(
        ws, cognito_secret, auth_flow="USER_PASSWORD_AUTH", app_client_secret="not-the-secret"
    )
    done = ws.run("--profile", "dev", env=env)
    assert done.returncode == 1
    assert "secret hash" in done.stderr.lower()
    assert done.stderr.endswith(
        f"\n  next: check app_client_secret in [dev] of {ws.config}: it is not one of app "
        f"client {cognito_secret.client_id}'s secrets (wrong, or retired by a rotation of the "
        "client's secrets): set it to a current one\n"
    )


def test_missing_client_secret_says_to_set_it(ws: Workspace, cognito_secret: Cognito) -> None:
    env = setup(ws, cognito_secret, app_client_secret=None)  # type: ignore[arg-type]
    done = ws.run("--profile", "dev", env=env)
    assert done.returncode == 1
    # the service's own words, which name no SECRET_HASH
    assert "is configured for secret but secret was not received" in done.stderr
    assert done.stderr.endswith(
        f"\n  next: the app client has a secret: set app_client_secret in [dev] of {ws.config}\n"
    )


def test_unknown_user_says_to_check_the_username(ws: Workspace, cognito: Cognito) -> None:
    env = setup(ws, cognito, username="nobody")
    done = ws.run("--profile", "dev", env=env)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "cognito-credproc: profile dev: UserNotFoundException: User does not exist.",
        f"  next: check username in [dev] of {ws.config} (a user name, or an alias the pool "
        "accepts)",
    ]


def test_an_identity_pool_that_does_not_trust_the_client_says_so(
    ws: Workspace, cognito: Cognito
) -> None:
    other = cognito.add_client("not-in-the-identity-pool")["ClientId"]
    env = setup(ws, cognito, app_client_id=other)
    done = ws.run("--profile", "dev", env=env)
    assert done.returncode == 1
    provider = f"cognito-idp.us-east-1.amazonaws.com/{cognito.user_pool_id}"
    assert done.stderr.splitlines()[1] == (
        f"  next: identity pool {cognito.identity_pool_id} must list {provider} with app "
        f"client {other} as an authentication provider; or check the ids in [dev] of "
        f"{ws.config}"
    )


def test_password_command_is_used(ws: Workspace, cognito: Cognito) -> None:
    script = ws.root / "pw.sh"
    script.write_text(f"#!/bin/sh\nprintf '%s\\n' '{cognito.password}'\n")
    script.chmod(0o700)
    ws.write_config(cognito.profile_section("dev", password_command=str(script)))
    done = ws.run("--profile", "dev")
    assert done.returncode == 0, done.stderr
    parse_output(done.stdout)


def test_failing_password_command_is_reported(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(
        cognito.profile_section("dev", password_command="sh -c 'echo vault locked >&2; exit 3'")
    )
    done = ws.run("--profile", "dev")
    assert done.returncode == 1
    assert "exit code 3" in done.stderr and "vault locked" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("flow", ["USER_SRP_AUTH", "USER_PASSWORD_AUTH"])
def test_wrong_password_exits_1_with_one_clear_line(
    ws: Workspace, cognito: Cognito, flow: str
) -> None:
    ws.write_config(cognito.profile_section("dev", auth_flow=flow))
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": "wrong-password"})
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert "profile dev" in done.stderr
    assert "Incorrect username or password" in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 3
    assert done.stderr.endswith(
        f"\n  next: check username in [dev] of {ws.config} and the password, then run: "
        "cognito-credproc login --profile dev\n"
    )
    assert "wrong-password" not in done.stderr


def test_no_password_and_no_terminal_fails_at_once(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    started = time.monotonic()
    done = ws.run("--profile", "dev", timeout=20)
    assert time.monotonic() - started < 15
    assert done.returncode == 1
    assert "cognito-credproc login --profile dev" in done.stderr
    assert "password_command" in done.stderr
    assert cognito.sign_ins() == 0


@pytest.mark.parametrize(
    ("flow", "allowed", "fix"),
    [
        ("USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "set auth_flow = USER_SRP_AUTH"),
        ("USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "set auth_flow = USER_PASSWORD_AUTH"),
    ],
)
def test_flow_not_enabled_names_the_fix(
    ws: Workspace, cognito: Cognito, flow: str, allowed: str, fix: str
) -> None:
    client = cognito.add_client("narrow", flows=[allowed, "ALLOW_REFRESH_TOKEN_AUTH"])
    env = setup(ws, cognito, app_client_id=client["ClientId"], auth_flow=flow)
    done = ws.run("--profile", "dev", env=env)
    assert done.returncode == 1
    assert f"{flow} flow not enabled" in done.stderr
    assert f"{fix}, or allow ALLOW_{flow} on the app client" in done.stderr
    assert cognito.sign_ins() == 1  # refused at the first call


def test_role_arn_is_sent_as_custom_role(ws: Workspace, cognito: Cognito) -> None:
    role = grant_role(cognito, "arn:aws:iam::123456789012:role/Analyst")
    env = setup(ws, cognito, role_arn=role)
    done = ws.run("--profile", "dev", env=env)
    assert done.returncode == 0, done.stderr
    assert BEHAVIOUR.custom_roles == [role]


def test_expired_credentials_reuse_the_id_token_and_identity(
    ws: Workspace, cognito: Cognito
) -> None:
    env = setup(ws, cognito)
    assert ws.run("--profile", "dev", env=env).returncode == 0
    expire_cached_credentials(ws)  # due for renewal
    second = ws.run("--profile", "dev")
    assert second.returncode == 0, second.stderr
    assert cognito.sign_ins() == 1
    assert cognito.calls["GetId"] == 1  # the IdentityId is cached for good
    assert cognito.calls["GetCredentialsForIdentity"] == 2
    assert cognito.calls["InitiateAuth:REFRESH_TOKEN_AUTH"] == 0  # the ID token was still good


@pytest.mark.floor
def test_expired_id_token_is_refreshed_not_signed_in(ws: Workspace, cognito: Cognito) -> None:
    env = setup(ws, cognito)
    assert ws.run("--profile", "dev", env=env).returncode == 0
    expire_cached_credentials(ws)
    age_cached_tokens(ws, 10)
    done = ws.run("--profile", "dev")  # no password available: must not need one
    assert done.returncode == 0, done.stderr
    assert cognito.calls["InitiateAuth:REFRESH_TOKEN_AUTH"] == 1
    assert cognito.sign_ins() == 1


def test_revoked_refresh_token_falls_back_to_password(ws: Workspace, cognito: Cognito) -> None:
    env = setup(ws, cognito)
    assert ws.run("--profile", "dev", env=env).returncode == 0
    entry_path = next(ws.cache.glob("signin-*.json"))
    cognito.idp.admin_user_global_sign_out(UserPoolId=cognito.user_pool_id, Username="alice")
    expire_cached_credentials(ws)
    age_cached_tokens(ws, 10)
    done = ws.run("--profile", "dev", env=env)
    assert done.returncode == 0, done.stderr
    assert cognito.sign_ins() == 2
    assert entry_path.exists()


def test_revoked_refresh_token_without_password_says_login(ws: Workspace, cognito: Cognito) -> None:
    env = setup(ws, cognito)
    assert ws.run("--profile", "dev", env=env).returncode == 0
    cognito.idp.admin_user_global_sign_out(UserPoolId=cognito.user_pool_id, Username="alice")
    expire_cached_credentials(ws)
    age_cached_tokens(ws, 10)
    done = ws.run("--profile", "dev")
    assert done.returncode == 1
    assert "cognito-credproc login --profile dev" in done.stderr


def test_cache_permissions_under_umask_000(ws: Workspace, cognito: Cognito) -> None:
    env = setup(ws, cognito)
    done = run_python(
        [
            "-c",
            "import os,sys; os.umask(0); from cognito_credproc.cli import main; "
            "sys.exit(main(['--profile','dev']))",
        ],
        {**ws.env, **env},
    )
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(ws.cache.stat().st_mode) == 0o700
    files = ws.cache_files()
    assert files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b"null",
        b"[]",
        b"\x00\xff garbage",
        b'{"version": 1}',
        b'{"version":1,"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"T","Expiration":"soon"}',
    ],
    ids=["empty", "truncated", "null", "list", "binary", "no-fields", "bad-expiration"],
)
def test_corrupt_cache_is_a_miss_and_is_rewritten(
    ws: Workspace, cognito: Cognito, content: bytes
) -> None:
    env = setup(ws, cognito)
    assert ws.run("--profile", "dev", env=env).returncode == 0
    for path in ws.cache.glob("*.json"):
        path.write_bytes(content)
    done = ws.run("--profile", "dev", env=env)
    assert done.returncode == 0, done.stderr
    parse_output(done.stdout)
    assert cognito.sign_ins() == 2
    for path in ws.cache.glob("*.json"):
        json.loads(path.read_bytes())  # rewritten whole


def test_editing_the_profile_never_serves_the_old_identity(ws: Workspace, cognito: Cognito) -> None:
    env = setup(ws, cognito)
    first = parse_output(ws.run("--profile", "dev", env=env).stdout)
    cognito.add_user("bob", "Bob-Pass-12345")
    ws.write_config(cognito.profile_section("dev", username="bob"))
    second = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": "Bob-Pass-12345"})
    assert second.returncode == 0, second.stderr
    assert parse_output(second.stdout)["AccessKeyId"] != first["AccessKeyId"]
    assert cognito.sign_ins() == 2


@pytest.mark.floor
def test_twelve_processes_on_a_cold_cache_sign_in_once(ws: Workspace, cognito: Cognito) -> None:
    results = run_together(ws, 12, setup(ws, cognito), "--profile", "dev")
    assert [r.stderr for r in results if r.returncode != 0] == []
    assert len({r.stdout for r in results}) == 1
    assert cognito.sign_ins() == 1
    assert cognito.calls["GetId"] == 1
    assert cognito.calls["GetCredentialsForIdentity"] == 1


@pytest.mark.floor(requests=False)  # filelock's timeout, before any request
def test_lock_held_too_long_is_a_clear_error(ws: Workspace, cognito: Cognito) -> None:
    import filelock

    env = setup(ws, cognito, lock_timeout="1")
    profile = load_profile(str(ws.config), "dev", {})
    ws.cache.mkdir(mode=0o700)
    with filelock.FileLock(str(ws.cache / f"{profile.lock_key}.lock")):
        started = time.monotonic()
        done = ws.run("--profile", "dev", env=env)
        assert time.monotonic() - started < 10
    assert done.returncode == 1
    assert "profile dev" in done.stderr and "lock" in done.stderr
    assert cognito.sign_ins() == 0


def test_service_down_fails_cleanly_and_quickly(ws: Workspace, cognito: Cognito) -> None:
    import socket

    # A port held bound but never listening refuses connections; closing it first would
    # let anything else on the machine take it before the helper connects.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        env = setup(ws, cognito, endpoint_url=f"http://127.0.0.1:{port}")
        started = time.monotonic()
        done = ws.run("--profile", "dev", env=env, timeout=60)
        assert time.monotonic() - started < 35
    assert done.returncode == 1
    assert "cannot reach" in done.stderr
    assert "Traceback" not in done.stderr


def test_aws_profile_in_environment_does_not_recurse(ws: Workspace, cognito: Cognito) -> None:
    env = setup(ws, cognito)
    ws.aws_config.write_text(
        "[profile dev]\ncredential_process = cognito-credproc-does-not-exist --profile dev\n"
    )
    done = ws.run("--profile", "dev", env={**env, "AWS_PROFILE": "dev"})
    assert done.returncode == 0, done.stderr
    done = ws.run("--profile", "dev", env={**env, "AWS_PROFILE": "no-such-profile"})
    assert done.returncode == 0, done.stderr


def test_debug_log_redacts_every_secret(ws: Workspace, cognito: Cognito) -> None:
    env = setup(ws, cognito)
    first = ws.run("--profile", "dev", "--debug", env=env)
    assert first.returncode == 0
    expire_cached_credentials(ws)
    age_cached_tokens(ws, 10)
    second = ws.run("--profile", "dev", "--debug", env=env)
    assert second.returncode == 0
    assert "debug:" in first.stderr and "debug:" in second.stderr
    entry = json.loads(next(ws.cache.glob("signin-*.json")).read_text())
    creds = parse_output(second.stdout)
    secrets = [
        cognito.password,
        entry["refresh_token"],
        entry["id_token"],
        entry["access_token"],
        creds["SecretAccessKey"],
        creds["SessionToken"],
    ]
    for stream in (first.stderr, second.stderr):
        for secret in secrets:
            assert secret not in stream
        assert "eyJ" not in stream


def test_cache_hit_imports_no_boto3_botocore_or_filelock(ws: Workspace, cognito: Cognito) -> None:
    env = setup(ws, cognito)

    def imported_by(extra_env: dict[str, str]) -> set[str]:
        done = run_python(
            ["-X", "importtime", "-m", "cognito_credproc", "--profile", "dev"],
            {**ws.env, **extra_env},
        )
        assert done.returncode == 0, done.stderr
        parse_output(done.stdout)
        return {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}

    def heavy(modules: set[str]) -> set[str]:
        return {m.split(".")[0] for m in modules} & {"boto3", "botocore", "filelock"}

    # The cold run does load them, so the measurement can see them...
    assert heavy(imported_by(env)) == {"botocore", "filelock"}
    # ...and the cache hit that follows loads none.
    hit = imported_by({})
    assert "cognito_credproc.cli" in hit
    assert heavy(hit) == set()


def test_the_suite_wide_secret_check_can_fail(ws: Workspace, cognito: Cognito) -> None:
    """Every run's stderr is checked for secrets; make sure that check has teeth."""
    with pytest.raises(AssertionError):
        ws.check_no_secrets(f"error: wrong password {cognito.password}")
    with pytest.raises(AssertionError):
        ws.check_no_secrets("token eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.sig")
    ws.check_no_secrets("profile dev: Incorrect username or password.")


def test_an_identity_id_the_pool_no_longer_knows_is_replaced(
    ws: Workspace, cognito: Cognito
) -> None:
    env = setup(ws, cognito)
    assert ws.run("--profile", "dev", env=env).returncode == 0
    cached = json.loads(next(ws.cache.glob("identity-*.json")).read_text())["identity_id"]
    # The identity pool forgot it (deleted identities, a recreated pool) ...
    BEHAVIOUR.identities.clear()
    for path in ws.cache.glob("credentials-*.json"):
        path.unlink()
    done = ws.run("--profile", "dev", env=env)
    assert done.returncode == 0, done.stderr
    # ... so the helper asked GetId again instead of failing on the cached id.
    assert cognito.calls["GetId"] == 2
    assert cognito.calls["GetCredentialsForIdentity"] == 3  # the refused one, then the new
    assert json.loads(next(ws.cache.glob("identity-*.json")).read_text())["identity_id"] == cached
    assert cognito.sign_ins() == 1
