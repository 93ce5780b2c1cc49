"""Attack: a ``cognito_credproc/`` (or ``boto3/``) package in the directory the user
happens to be in (a cloned repository) is imported by the tool's own child processes,
and runs as the user with the password in its environment."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cognito_credproc.launch import bootstrap_argv

from ..conftest import Cognito, Workspace, parse_output
from ..strict_cognito import BEHAVIOUR
from .conftest import console_script, run_tool

pytestmark = pytest.mark.integration


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A hostile checkout: any import of its packages leaves a marker file."""
    repo = tmp_path / "hostile-repo"
    marker = tmp_path / "imported-from-cwd"
    plant = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    for package in ("cognito_credproc", "boto3"):
        (repo / package).mkdir(parents=True)
        for module in ("__init__.py", "__main__.py", "cli.py"):
            (repo / package / module).write_text(plant + "def main():\n    return 0\n")
    return repo


def imported(repo: Path) -> str:
    marker = repo.parent / "imported-from-cwd"
    return marker.read_text() if marker.exists() else ""


def test_early_refresh_child_does_not_import_from_the_working_directory(
    ws: Workspace, cognito: Cognito, repo: Path
) -> None:
    ws.write_config(cognito.profile_section("dev", early_refresh="3000"))
    first = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert first.returncode == 0, first.stderr
    entry = next(ws.cache.glob("credentials-*.json"))
    data = json.loads(entry.read_text())
    data["fetched_at"] -= 120  # old enough to be renewed early, in the background
    entry.write_text(json.dumps(data))

    done = run_tool("--profile", "dev", env=ws.env, cwd=repo)
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not imported(repo):
        if BEHAVIOUR.calls["GetCredentialsForIdentity"] == 2:
            break
        time.sleep(0.1)
    assert imported(repo) == ""
    assert BEHAVIOUR.calls["GetCredentialsForIdentity"] == 2  # the real tool did the refresh


def test_doctor_does_not_import_from_the_working_directory(
    ws: Workspace, cognito: Cognito, repo: Path
) -> None:
    ws.write_config(cognito.profile_section("dev"))
    assert (
        ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password}).returncode
        == 0
    )
    line = f"{shlex.quote(str(console_script()))} --profile dev"
    ws.aws_config.write_text(f"[profile dev]\ncredential_process = {line}\n")
    done = run_tool("doctor", "--profile", "dev", env=ws.env, cwd=repo)
    assert imported(repo) == ""
    assert "credential_process JSON" in done.stdout, done.stdout + done.stderr


def test_configured_line_does_not_import_from_the_working_directory(
    ws: Workspace, cognito: Cognito, repo: Path
) -> None:
    # A PATH without the tool's directory, as IDEs and GUI apps have.
    env = {**ws.env, "PATH": "/usr/bin:/bin"}
    done = run_tool(
        *cognito.configure_args(),
        env=env,
        cwd=repo,
    )
    assert done.returncode == 0, done.stderr
    line = next(
        text.split("=", 1)[1].strip()
        for text in ws.aws_config.read_text().splitlines()
        if text.startswith("credential_process")
    )
    argv = shlex.split(line)  # botocore's split on POSIX
    assert Path(argv[0]).is_absolute(), line
    # Run the line the way the AWS CLI does, from inside the hostile checkout.
    ran = subprocess.run(
        argv,
        env={**env, "COGNITO_CREDPROC_PASSWORD": cognito.password},
        cwd=repo,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert imported(repo) == ""
    assert ran.returncode == 0, ran.stderr
    assert parse_output(ran.stdout)["Version"] == 1


def test_demo_does_not_import_from_the_working_directory(ws: Workspace, repo: Path) -> None:
    done = run_tool("demo", env=ws.env, cwd=repo, timeout=180)
    assert imported(repo) == ""
    assert done.returncode == 0, done.stdout + done.stderr


def test_interpreter_fallback_does_not_import_from_the_working_directory(
    ws: Workspace, repo: Path
) -> None:
    # Without a console script the tool starts this interpreter with a bootstrap.
    done = subprocess.run(
        [*bootstrap_argv(), "--version"],
        env=ws.env,
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert imported(repo) == ""
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("cognito-credproc ")


def test_doctor_never_runs_a_python_dash_m_line(
    ws: Workspace, cognito: Cognito, repo: Path
) -> None:
    # What older releases of configure wrote: run from the hostile checkout, the
    # interpreter would import its cognito_credproc/ instead of the tool.
    ws.write_config(cognito.profile_section("dev"))
    assert (
        ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password}).returncode
        == 0
    )
    line = f"{shlex.quote(sys.executable)} -m cognito_credproc --profile dev"
    ws.aws_config.write_text(f"[profile dev]\ncredential_process = {line}\n")
    done = run_tool("doctor", "--profile", "dev", env=ws.env, cwd=repo)
    assert imported(repo) == ""
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL" in done.stdout and "imports the tool from whatever directory" in done.stdout
    wanted = f"{shlex.quote(str(console_script()))} --profile dev"
    assert f"fix: set credential_process = {wanted} in " in done.stdout
    assert "that line was not run" in done.stdout
    # The profile itself is still checked, with the tool's own safe command.
    assert "credential_process JSON" in done.stdout


def test_doctor_never_runs_a_line_found_in_the_working_directory(
    ws: Workspace, cognito: Cognito, repo: Path
) -> None:
    # A PATH with a relative entry finds "cognito-credproc" in whatever directory the
    # SDK runs in: the checkout's own script of that name.
    marker = repo.parent / "planted-script-ran"
    planted = repo / "cognito-credproc"
    planted.write_text(f"#!/bin/sh\ntouch {shlex.quote(str(marker))}\n")
    planted.chmod(0o755)
    ws.write_config(cognito.profile_section("dev"))
    ws.aws_config.write_text("[profile dev]\ncredential_process = cognito-credproc --profile dev\n")
    env = {**ws.env, "PATH": "." + os.pathsep + ws.env["PATH"]}
    done = run_tool("doctor", "--profile", "dev", env=env, cwd=repo)
    assert not marker.exists()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "relative to whatever directory the SDK runs in" in done.stdout
    assert "fix: set credential_process = " in done.stdout


def test_doctor_never_runs_a_line_a_relative_path_entry_could_redirect(
    ws: Workspace, cognito: Cognito, tmp_path: Path
) -> None:
    # Here the command is found where it is installed; from a checkout holding its own
    # "cognito-credproc", the SDK would run that one instead.
    ws.write_config(cognito.profile_section("dev"))
    ws.aws_config.write_text("[profile dev]\ncredential_process = cognito-credproc --profile dev\n")
    clean = tmp_path / "clean"
    clean.mkdir()
    path = os.pathsep.join([".", str(console_script().parent), ws.env["PATH"]])
    done = run_tool("doctor", "--profile", "dev", env={**ws.env, "PATH": path}, cwd=clean)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "through a PATH whose entry '.' comes before" in done.stdout
    assert "that line was not run" in done.stdout
