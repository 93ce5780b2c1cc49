"""AWS_PROFILE and AWS_DEFAULT_PROFILE choose the profile when --profile and
COGNITO_CREDPROC_PROFILE are absent, mapped through the AWS profile's credential_process
line when its --profile names another; status says which profile was taken and why."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from cognito_credproc.launch import tool_argv

from .conftest import Cognito, Workspace, parse_output
from .test_hot_path import MAY_IMPORT, imports, run_main

pytestmark = pytest.mark.integration


def helper_line(*args: str) -> str:
    return " ".join(shlex.quote(part) for part in [*tool_argv(), *args])


def setup(ws: Workspace, cognito: Cognito) -> None:
    """Profiles dev and bar (bob) in the settings; AWS profiles foo (runs bar) and dev."""
    cognito.add_user("bob", cognito.password)
    ws.write_config(cognito.profile_section("dev") + cognito.profile_section("bar", username="bob"))
    ws.aws_config.write_text(
        f"[profile foo]\ncredential_process = {helper_line('--profile', 'bar')}\n"
        f"[profile dev]\ncredential_process = {helper_line('--profile', 'dev')}\n"
        "[profile sso]\nsso_start_url = https://example.awsapps.com/start\n"
    )
    password = {"COGNITO_CREDPROC_PASSWORD": cognito.password}
    for name in ("dev", "bar"):
        assert ws.run("--profile", name, env=password).returncode == 0


def status(ws: Workspace, **env: str) -> dict[str, object]:
    done = ws.run("status", "--json", env=env)
    assert done.returncode == 0, done.stderr
    data: dict[str, object] = json.loads(done.stdout)
    return data


def chosen(data: dict[str, object]) -> tuple[str, str]:
    picked = data["profile_chosen"]
    assert isinstance(picked, dict)
    return picked["name"], picked["why"]


def test_aws_profile_names_the_profile_for_every_command(ws: Workspace, cognito: Cognito) -> None:
    setup(ws, cognito)
    data = status(ws, AWS_PROFILE="dev")
    assert chosen(data) == ("dev", "from AWS_PROFILE=dev")
    rows = data["profiles"]
    assert isinstance(rows, list)
    assert [(r["profile"], r["user"]) for r in rows] == [("dev", "alice")]
    table = ws.run("status", env={"AWS_PROFILE": "dev"})
    assert "profile: dev, from AWS_PROFILE=dev\n" in table.stdout
    # the plain run, token and env answer for it too
    plain = ws.run(env={"AWS_PROFILE": "dev"})
    assert parse_output(plain.stdout) == parse_output(ws.run("--profile", "dev").stdout)
    env = ws.run("env", env={"AWS_PROFILE": "bar"})
    bars = ws.run("env", "--profile", "bar")
    assert env.stdout == bars.stdout and env.stdout != ws.run("env", "--profile", "dev").stdout


def test_aws_profile_is_mapped_through_the_aws_config(ws: Workspace, cognito: Cognito) -> None:
    setup(ws, cognito)
    name, why = chosen(status(ws, AWS_PROFILE="foo"))
    assert name == "bar"
    assert why == (
        f"from AWS_PROFILE=foo, whose credential_process in {ws.aws_config} [profile foo] "
        "runs --profile bar"
    )
    token = ws.run("token", env={"AWS_PROFILE": "foo"})
    assert token.stdout == ws.run("token", "--profile", "bar").stdout
    # an AWS profile that runs something else: the name is taken as it is
    missing = ws.run("status", env={"AWS_PROFILE": "sso"})
    assert missing.returncode == 2
    assert "no section [sso]" in missing.stderr
    assert "the profile name came from AWS_PROFILE=sso" in missing.stderr


def test_the_aws_lines_settings_file_comes_along(
    ws: Workspace, cognito: Cognito, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "team.ini"
    elsewhere.write_text(cognito.profile_section("team"))
    ws.aws_config.write_text(
        "[profile work]\ncredential_process = "
        + helper_line("--config", str(elsewhere), "--profile", "team")
        + "\n"
    )
    done = ws.run("status", "--json", env={"AWS_PROFILE": "work"})
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["profile_chosen"]["name"] == "team"
    assert f"runs --profile team --config {elsewhere}" in data["profile_chosen"]["why"]


def test_the_order_of_the_sources(ws: Workspace, cognito: Cognito) -> None:
    setup(ws, cognito)
    assert chosen(status(ws, AWS_DEFAULT_PROFILE="foo"))[0] == "bar"
    assert chosen(status(ws, AWS_PROFILE="dev", AWS_DEFAULT_PROFILE="foo")) == (
        "dev",
        "from AWS_PROFILE=dev",
    )
    assert chosen(status(ws, AWS_PROFILE="foo", COGNITO_CREDPROC_PROFILE="dev")) == (
        "dev",
        "from COGNITO_CREDPROC_PROFILE",
    )
    done = ws.run("status", "--json", "--profile", "dev", env={"AWS_PROFILE": "foo"})
    assert json.loads(done.stdout)["profile_chosen"] == {"name": "dev", "why": "from --profile"}
    none = ws.run("status")  # nothing set: default, which these settings lack
    assert none.returncode == 2 and "no section [default]" in none.stderr


def test_the_credential_process_lines_profile_wins_and_reads_no_aws_file(
    ws: Workspace, cognito: Cognito
) -> None:
    # The SDK runs the line for AWS profile foo with AWS_PROFILE=foo inherited.
    setup(ws, cognito)
    for_foo = ws.run("--profile", "bar", env={"AWS_PROFILE": "dev"})
    assert parse_output(for_foo.stdout) == parse_output(ws.run("--profile", "bar").stdout)
    env = {**ws.env, "AWS_PROFILE": "foo"}
    extra, stdout = imports(run_main("--profile", "dev"), env)
    assert parse_output(stdout) == parse_output(ws.run("--profile", "dev").stdout)
    assert sorted(extra - MAY_IMPORT) == []  # no awsprofile, shlex or processline
    mapped, _ = imports(run_main(), env)
    assert "cognito_credproc.awsprofile" in mapped  # (the measurement would see it)
