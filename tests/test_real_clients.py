"""The AWS CLI and boto3 reading our output through credential_process."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from .conftest import Cognito, Workspace, parse_output, run_python
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
