"""The real clients reading our output through credential_process: the AWS CLI (v1 from
PyPI, v2 from Debian), boto3, and the AWS SDK for Go v2 (from Debian)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import (
    DEBIAN_HINT,
    Cognito,
    Workspace,
    parse_output,
    run_like_botocore,
    run_python,
)
from .strict_cognito import BEHAVIOUR

pytestmark = pytest.mark.integration


def helper_command(profile: str) -> str:
    console = Path(sys.executable).parent / "cognito-credproc"
    if console.exists():
        return f"{shlex.quote(str(console))} --profile {profile}"
    return f"{shlex.quote(sys.executable)} -m cognito_credproc --profile {profile}"


def write_aws_config(ws: Workspace, cognito: Cognito, profile: str = "dev") -> None:
    ws.aws_config.write_text(
        f"[profile {profile}]\n"
        f"credential_process = {helper_command(profile)}\n"
        "region = us-east-1\n"
        f"endpoint_url = {cognito.endpoint}\n"
    )


def test_aws_cli_uses_the_helper(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    write_aws_config(ws, cognito)
    env = {**ws.env, "COGNITO_CREDPROC_PASSWORD": cognito.password, "AWS_PROFILE": "dev"}
    for _ in range(2):
        done = run_python(["-m", "awscli", "sts", "get-caller-identity"], env)
        assert done.returncode == 0, done.stderr
        assert '"Account"' in done.stdout
    assert cognito.sign_ins() == 1
    assert BEHAVIOUR.calls["GetCredentialsForIdentity"] == 1


def test_aws_cli_shows_our_error_verbatim(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    write_aws_config(ws, cognito)
    done = run_python(["-m", "awscli", "sts", "get-caller-identity", "--profile", "dev"], ws.env)
    assert done.returncode != 0
    assert "Error when retrieving credentials from custom-process" in done.stderr
    assert "cognito-credproc login --profile dev" in done.stderr
    assert "Traceback" not in done.stderr


def test_boto3_reads_and_uses_the_credentials(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    write_aws_config(ws, cognito)
    script = (
        "import boto3, json\n"
        "s = boto3.Session(profile_name='dev')\n"
        "c = s.get_credentials().get_frozen_credentials()\n"
        "ident = s.client('sts').get_caller_identity()\n"
        "print(json.dumps({'key': c.access_key, 'secret': c.secret_key, 'token': c.token,\n"
        "                  'account': ident['Account']}))\n"
    )
    env = {**ws.env, "COGNITO_CREDPROC_PASSWORD": cognito.password}
    done = run_python(["-c", script], env)
    assert done.returncode == 0, done.stderr
    seen = parse_output(done.stdout)
    ours = parse_output(ws.run("--profile", "dev").stdout)
    assert seen["key"] == ours["AccessKeyId"]
    assert seen["secret"] == ours["SecretAccessKey"]
    assert seen["token"] == ours["SessionToken"]


# --- the AWS CLI v2 and the Go SDK v2, from Debian's packages ---------------------------

AWS_CLI_V2 = Path("/usr/bin/aws")  # Debian's awscli; a PyPI `aws` earlier on PATH is v1


@pytest.fixture(scope="session")
def aws_cli_v2() -> str:
    if not AWS_CLI_V2.exists():
        pytest.skip("the AWS CLI v2 is not installed; " + DEBIAN_HINT.format("awscli"))
    version = subprocess.run(
        [str(AWS_CLI_V2), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    if not version.stdout.startswith("aws-cli/2."):
        pytest.skip(f"{AWS_CLI_V2} is not the AWS CLI v2: {version.stdout.strip()}")
    return str(AWS_CLI_V2)


def without_warnings_as_errors(env: dict[str, str]) -> dict[str, str]:
    """Debian's AWS CLI runs on the system Python with its own libraries, whose warnings
    (six's ImportWarning) are not ours to turn into errors."""
    return {k: v for k, v in env.items() if k != "PYTHONWARNINGS"}


def test_aws_cli_v2_uses_the_helper(ws: Workspace, cognito: Cognito, aws_cli_v2: str) -> None:
    ws.write_config(cognito.profile_section("dev"))
    write_aws_config(ws, cognito)
    env = without_warnings_as_errors(
        {**ws.env, "COGNITO_CREDPROC_PASSWORD": cognito.password, "AWS_PROFILE": "dev"}
    )
    # This CLI release reads no endpoint_url from the config file: name it on the command.
    argv = [aws_cli_v2, "sts", "get-caller-identity", "--endpoint-url", cognito.endpoint]
    for _ in range(2):
        done = run_like_botocore(argv, env)
        assert done.returncode == 0, done.stderr
        assert parse_output(done.stdout)["Account"]
    assert cognito.sign_ins() == 1
    assert BEHAVIOUR.calls["GetCredentialsForIdentity"] == 1


def test_aws_cli_v2_shows_our_error_verbatim(
    ws: Workspace, cognito: Cognito, aws_cli_v2: str
) -> None:
    ws.write_config(cognito.profile_section("dev"))
    write_aws_config(ws, cognito)
    done = run_like_botocore(
        [aws_cli_v2, "sts", "get-caller-identity", "--profile", "dev"],
        without_warnings_as_errors({**ws.env, "AWS_PROFILE": "dev"}),
    )
    assert done.returncode != 0
    assert "Error when retrieving credentials from custom-process" in done.stderr
    assert "cognito-credproc login --profile dev" in done.stderr
    assert "Traceback" not in done.stderr


def test_go_sdk_v2_uses_the_helper(ws: Workspace, cognito: Cognito, go_credcheck: str) -> None:
    ws.write_config(cognito.profile_section("dev"))
    write_aws_config(ws, cognito)
    env = {**ws.env, "COGNITO_CREDPROC_PASSWORD": cognito.password}
    seen = []
    for _ in range(2):
        done = run_like_botocore([go_credcheck, "dev", cognito.endpoint], env)
        assert done.returncode == 0, done.stderr
        seen.append(parse_output(done.stdout))
    ours = parse_output(ws.run("--profile", "dev").stdout)
    for go_view in seen:
        assert go_view["Source"] == "ProcessProvider"
        assert go_view["CanExpire"] is True
        assert go_view["Expires"] == ours["Expiration"]
        assert go_view["AccessKeyId"] == ours["AccessKeyId"]
        assert go_view["SecretAccessKey"] == ours["SecretAccessKey"]
        assert go_view["SessionToken"] == ours["SessionToken"]
        assert go_view["Account"] and go_view["Arn"]
    assert cognito.sign_ins() == 1
    assert BEHAVIOUR.calls["GetCredentialsForIdentity"] == 1


def test_go_sdk_v2_passes_our_error_on(ws: Workspace, cognito: Cognito, go_credcheck: str) -> None:
    ws.write_config(cognito.profile_section("dev"))
    write_aws_config(ws, cognito)
    done = run_like_botocore([go_credcheck, "dev", cognito.endpoint], ws.env)
    assert done.returncode == 1
    assert "credential_process" in done.stderr
    assert "cognito-credproc login --profile dev" in done.stderr
    assert "Traceback" not in done.stderr
