"""status, token, env, exec, clear, configure, doctor and demo against the local Cognito."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cognito_credproc.tokens import jwt_claims

from .conftest import Cognito, Workspace, parse_output, run_python

pytestmark = pytest.mark.integration


def signed_in(ws: Workspace, cognito: Cognito, **overrides: str) -> dict[str, str]:
    ws.write_config(cognito.profile_section("dev", **overrides))
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    return parse_output(done.stdout)


def test_status_table_and_json_show_no_secret(ws: Workspace, cognito: Cognito) -> None:
    creds = signed_in(ws, cognito)
    table = ws.run("status", "--profile", "dev")
    assert table.returncode == 0, table.stderr
    assert "dev" in table.stdout and "alice" in table.stdout
    assert "us-east-1:" in table.stdout  # the identity id
    as_json = ws.run("status", "--profile", "dev", "--json")
    data = json.loads(as_json.stdout)
    row = data["profiles"][0]
    assert row["profile"] == "dev" and row["refresh_token"] is True
    assert row["credentials_expire"] == creds["Expiration"]
    assert 0 <= row["refresh_token_age_seconds"] < 120  # issued by the run just before
    entry = json.loads(next(ws.cache.glob("signin-*.json")).read_text())
    for output in (table.stdout, as_json.stdout):
        for secret in (
            creds["SecretAccessKey"],
            creds["SessionToken"],
            entry["refresh_token"],
            entry["id_token"],
            cognito.password,
        ):
            assert secret not in output


def test_status_all_lists_every_profile(ws: Workspace, cognito: Cognito) -> None:
    signed_in(ws, cognito)
    ws.write_config(
        cognito.profile_section("dev")
        + cognito.profile_section("ops", role_arn="arn:aws:iam::123456789012:role/Ops")
        + "[broken]\nusername = x\n"
    )
    done = ws.run("status", "--all", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["profile"]: row for row in json.loads(done.stdout)["profiles"]}
    assert set(rows) == {"dev", "ops", "broken"}
    assert rows["ops"]["shared_with"] == ["dev"]  # one sign-in serves both
    assert "error" in rows["broken"]


def test_status_all_reads_the_settings_file_once(
    monkeypatch: pytest.MonkeyPatch,
    ws: Workspace,
    cognito: Cognito,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Each profile's row used to read and check every profile again (for SHARED WITH).
    from cognito_credproc import configfile
    from cognito_credproc.cli import main

    signed_in(ws, cognito)
    ws.write_config(
        cognito.profile_section("dev")
        + cognito.profile_section("ops", role_arn="arn:aws:iam::123456789012:role/Ops")
        + cognito.profile_section("qa", role_arn="arn:aws:iam::123456789012:role/QA")
    )
    for key, value in ws.env.items():
        monkeypatch.setenv(key, value)
    reads: list[str] = []
    read_config_text = configfile.read_config_text

    def counted(path: str, *args: object, **kwargs: object) -> str:
        reads.append(path)
        return read_config_text(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(configfile, "read_config_text", counted)
    assert main(["status", "--all", "--json"]) == 0
    rows = {row["profile"]: row for row in json.loads(capsys.readouterr().out)["profiles"]}
    assert rows["qa"]["shared_with"] == ["dev", "ops"]
    assert reads == [str(ws.config)]


@pytest.mark.parametrize("kind", ["id", "access"])
def test_token_prints_a_valid_jwt(ws: Workspace, cognito: Cognito, kind: str) -> None:
    signed_in(ws, cognito)
    done = ws.run("token", "--profile", "dev", "--type", kind)
    assert done.returncode == 0, done.stderr
    claims = jwt_claims(done.stdout.strip())
    assert claims["token_use"] == kind
    assert done.stdout.count("\n") == 1


def test_token_signs_in_when_nothing_is_cached(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    done = ws.run("token", "--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    assert jwt_claims(done.stdout.strip())["token_use"] == "id"


@pytest.mark.parametrize(
    ("fmt", "line"),
    [
        ("sh", "export AWS_ACCESS_KEY_ID="),
        ("fish", "set -gx AWS_ACCESS_KEY_ID '"),
        ("powershell", "$Env:AWS_ACCESS_KEY_ID = '"),
        ("dotenv", 'AWS_ACCESS_KEY_ID="'),
    ],
)
def test_env_formats(ws: Workspace, cognito: Cognito, fmt: str, line: str) -> None:
    creds = signed_in(ws, cognito)
    done = ws.run("env", "--profile", "dev", "--format", fmt)
    assert done.returncode == 0, done.stderr
    assert line in done.stdout
    for name in (
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_REGION",
    ):
        assert name in done.stdout
    assert creds["AccessKeyId"] in done.stdout


def test_env_sh_round_trips_through_a_shell(ws: Workspace, cognito: Cognito) -> None:
    creds = signed_in(ws, cognito)
    exported = ws.run("env", "--profile", "dev").stdout
    shell = subprocess.run(
        ["sh", "-c", exported + '\nprintf "%s" "$AWS_SECRET_ACCESS_KEY"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shell.stdout == creds["SecretAccessKey"]


def test_env_sh_gives_boto3_its_region(ws: Workspace, cognito: Cognito) -> None:
    # boto3 and the AWS CLI v1 read AWS_DEFAULT_REGION only; without it a client made
    # after `eval "$(cognito-credproc env)"` fails with NoRegionError.
    signed_in(ws, cognito)
    exported = ws.run("env", "--profile", "dev").stdout
    script = "import boto3; print(boto3.session.Session().region_name)"
    shell = subprocess.run(
        ["sh", "-c", exported + f'\n"{sys.executable}" -c "{script}"'],
        env=ws.env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shell.stdout.strip() == "us-east-1"


def test_exec_runs_the_command_with_credentials_and_its_exit_code(
    ws: Workspace, cognito: Cognito
) -> None:
    creds = signed_in(ws, cognito)
    code = (
        "import os, sys; print(os.environ['AWS_ACCESS_KEY_ID']); "
        "print(os.environ.get('AWS_PROFILE')); sys.exit(7)"
    )
    done = ws.run(
        "exec", "--profile", "dev", "--", sys.executable, "-c", code, env={"AWS_PROFILE": "dev"}
    )
    assert done.returncode == 7
    assert done.stdout.splitlines() == [creds["AccessKeyId"], "None"]


def test_exec_a_command_that_cannot_run_exits_as_a_shell_would(
    ws: Workspace, cognito: Cognito
) -> None:
    signed_in(ws, cognito)
    missing = ws.run("exec", "--profile", "dev", "--", "no-such-command-here")
    assert missing.returncode == 127
    assert "command not found: no-such-command-here" in missing.stderr
    not_executable = ws.root / "not-executable"
    not_executable.write_text("#!/bin/sh\n")
    refused = ws.run("exec", "--profile", "dev", "--", str(not_executable))
    assert refused.returncode == 126
    assert f"cannot run {not_executable}: Permission denied" in refused.stderr
    assert missing.stdout == refused.stdout == ""


def test_exec_without_a_command_is_a_usage_error(ws: Workspace, cognito: Cognito) -> None:
    signed_in(ws, cognito)
    done = ws.run("exec", "--profile", "dev")
    assert done.returncode == 2
    assert "exec needs a command" in done.stderr
    assert done.stdout == ""


def test_clear_deletes_without_contacting_cognito(ws: Workspace, cognito: Cognito) -> None:
    signed_in(ws, cognito)
    before = dict(cognito.calls)
    done = ws.run("clear", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    assert not list(ws.cache.glob("*.json"))
    assert dict(cognito.calls) == before
    signed_in(ws, cognito)
    assert ws.run("clear", "--all").returncode == 0
    assert not list(ws.cache.glob("*.json"))


AWS_CONFIG_WITH_COMMENTS = """# my AWS settings
[default]
region = eu-west-1   ; keep this

# work account
[profile work]
sso_session = corp
"""


def test_configure_appends_keeps_comments_and_is_idempotent(
    ws: Workspace, cognito: Cognito
) -> None:
    ws.aws_config.write_text(AWS_CONFIG_WITH_COMMENTS)
    args = cognito.configure_args()
    done = ws.run(*args)
    assert done.returncode == 0, done.stderr
    text = ws.aws_config.read_text()
    assert text.startswith(AWS_CONFIG_WITH_COMMENTS)
    assert "[profile dev]\ncredential_process = " in text and "--profile dev" in text
    assert "[dev]" in ws.config.read_text()
    assert oct(ws.config.stat().st_mode & 0o777) == "0o600"

    again = ws.run(*args)
    assert again.returncode == 0, again.stderr
    assert ws.aws_config.read_text() == text  # idempotent

    # changing a key is an edit, without --force: that key changes, the rest stays
    settings = ws.config.read_text()
    changed = ws.run(*args[:-2], "--endpoint-url", cognito.endpoint + "/")
    assert changed.returncode == 0, changed.stderr
    assert f"wrote [dev] to {ws.config} (changed endpoint_url)" in changed.stderr
    assert ws.config.read_text() == settings.replace(cognito.endpoint, cognito.endpoint + "/")
    assert ws.aws_config.read_text() == text
    forced = ws.run(*args[:-2], "--endpoint-url", cognito.endpoint, "--force")
    assert forced.returncode == 0, forced.stderr
    assert ws.config.read_text() == settings
    assert ws.aws_config.read_text().startswith(AWS_CONFIG_WITH_COMMENTS)

    # and the AWS CLI runs the line configure wrote
    cli = ["-m", "awscli", "sts", "get-caller-identity", "--profile", "dev"]
    done = run_python(
        [*cli, "--endpoint-url", cognito.endpoint],
        {**ws.env, "COGNITO_CREDPROC_PASSWORD": cognito.password},
    )
    assert done.returncode == 0, done.stderr
    assert '"Account"' in done.stdout
    assert cognito.sign_ins() == 1
    assert cognito.calls["GetCredentialsForIdentity"] == 1


def test_configure_refuses_to_clobber_another_aws_profile(ws: Workspace, cognito: Cognito) -> None:
    ws.aws_config.write_text(AWS_CONFIG_WITH_COMMENTS)
    done = ws.run(*cognito.configure_args(profile="work"))
    assert done.returncode == 2
    assert "[profile work] already exists" in done.stderr
    assert ws.aws_config.read_text() == AWS_CONFIG_WITH_COMMENTS


def test_configure_validates_the_ids_against_cognito(ws: Workspace, cognito: Cognito) -> None:
    done = ws.run(
        "configure",
        "--profile",
        "dev",
        "--user-pool-id",
        cognito.user_pool_id,
        "--app-client-id",
        "nosuchclient",
        "--identity-pool-id",
        "us-east-1:00000000-0000-0000-0000-000000000000",
        "--username",
        "alice",
        "--endpoint-url",
        cognito.endpoint,
    )
    assert done.returncode == 2
    assert "nosuchclient" in done.stderr and "identity pool" in done.stderr
    assert not ws.config.exists()


def test_configure_without_terminal_names_the_missing_flags(ws: Workspace) -> None:
    done = ws.run("configure", "--profile", "dev", "--username", "alice")
    assert done.returncode == 2
    assert "--user-pool-id" in done.stderr and "--identity-pool-id" in done.stderr


def _doctor_ready(ws: Workspace, cognito: Cognito) -> None:
    from cognito_credproc.launch import command_line, tool_argv

    signed_in(ws, cognito)
    line = command_line([*tool_argv(), "--profile", "dev"])
    ws.aws_config.write_text(f"[profile dev]\ncredential_process = {line}\n")


def test_doctor_passes_on_a_good_setup(ws: Workspace, cognito: Cognito) -> None:
    _doctor_ready(ws, cognito)
    done = ws.run("doctor", "--profile", "dev")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout
    assert "credential_process JSON" in done.stdout
    assert "clock within" in done.stdout


def test_doctor_finds_a_shadowing_credentials_file(ws: Workspace, cognito: Cognito) -> None:
    _doctor_ready(ws, cognito)
    (ws.root / "aws-credentials").write_text(
        "[dev]\naws_access_key_id = AKIAOLD\naws_secret_access_key = old\n"
    )
    done = ws.run("doctor", "--profile", "dev", env={"AWS_ACCESS_KEY_ID": "AKIAENV"})
    assert done.returncode == 1
    assert "FAIL" in done.stdout and "aws-credentials [dev] has keys" in done.stdout
    assert "AWS_ACCESS_KEY_ID is set" in done.stdout
    assert "fix: remove the [dev] section" in done.stdout


def test_doctor_reports_a_helper_that_needs_login(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    done = ws.run("doctor", "--profile", "dev")
    assert done.returncode == 1
    assert "the helper failed" in done.stdout
    assert "cognito-credproc login --profile dev" in done.stdout


def test_demo_runs_whole_and_leaves_nothing(
    ws: Workspace, tmp_path_factory: pytest.TempPathFactory
) -> None:
    scratch = tmp_path_factory.mktemp("demo-tmp")
    done = ws.run("demo", env={"TMPDIR": str(scratch)}, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "served from the cache" in done.stdout
    assert "sts:GetCallerIdentity" in done.stdout
    assert list(scratch.iterdir()) == []


def test_configure_reads_a_client_secret_from_stdin_never_argv(
    ws: Workspace, cognito_secret: Cognito
) -> None:
    assert cognito_secret.client_secret
    done = ws.run(
        "configure",
        "--profile",
        "dev",
        "--username",
        "alice",
        "--identity-pool-id",
        cognito_secret.identity_pool_id,
        "--user-pool-id",
        cognito_secret.user_pool_id,
        "--app-client-id",
        cognito_secret.client_id,
        "--endpoint-url",
        cognito_secret.endpoint,
        "--app-client-secret-stdin",
        stdin=cognito_secret.client_secret + "\n",
    )
    assert done.returncode == 0, done.stderr
    text = ws.config.read_text()
    keys = [line.split(" = ")[0] for line in text.splitlines() if " = " in line]
    assert keys == [
        "user_pool_id",
        "app_client_id",
        "identity_pool_id",
        "username",
        "app_client_secret",
        "endpoint_url",
    ]
    assert cognito_secret.client_secret not in done.stderr
    signed = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito_secret.password})
    assert signed.returncode == 0, signed.stderr
