"""doctor checks and runs the profile's own credential_process line, as the AWS CLI
would: split like botocore splits it, the same environment, no shell."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from cognito_credproc.launch import command_line, tool_argv

from .conftest import Cognito, Workspace

pytestmark = pytest.mark.integration


def ready(ws: Workspace, cognito: Cognito, line: str) -> None:
    ws.write_config(cognito.profile_section("dev"))
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    ws.aws_config.write_text(f"[profile dev]\ncredential_process = {line}\n")


def script(directory: Path, body: str, *, executable: bool = True) -> Path:
    """A stand-in named like the tool, so that the line passes for ours."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "cognito-credproc"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755 if executable else 0o644)
    return path


def real_line(*extra: str) -> str:
    return command_line([*tool_argv(), *extra])


def test_doctor_runs_the_line_itself_in_the_same_environment(
    ws: Workspace, cognito: Cognito
) -> None:
    marker = ws.root / "ran"
    # The line's command records that it ran and what it saw, then runs the real tool.
    wrapper = script(
        ws.root / "wrapper dir",
        f'echo "$DOCTOR_SEES" > {shlex.quote(str(marker))}\nexec {real_line()} "$@"\n',
    )
    ready(ws, cognito, f"{shlex.quote(str(wrapper))} --profile dev")
    done = ws.run("doctor", "--profile", "dev", env={"DOCTOR_SEES": "same-environment"})
    assert marker.read_text() == "same-environment\n"
    assert done.returncode == 0, done.stdout + done.stderr
    assert "credential_process JSON" in done.stdout
    assert "FAIL" not in done.stdout and "warn" not in done.stdout


def test_doctor_fails_when_the_command_does_not_exist(ws: Workspace, cognito: Cognito) -> None:
    ready(ws, cognito, f"{ws.root}/gone/cognito-credproc --profile dev")
    done = ws.run("doctor", "--profile", "dev")
    assert done.returncode == 1
    assert "gone/cognito-credproc, which does not exist" in done.stdout


def test_doctor_fails_when_the_command_is_not_executable(ws: Workspace, cognito: Cognito) -> None:
    path = script(ws.root / "bin", "exit 0\n", executable=False)
    ready(ws, cognito, f"{path} --profile dev")
    done = ws.run("doctor", "--profile", "dev")
    assert done.returncode == 1
    assert "is not executable" in done.stdout and f"chmod +x {path}" in done.stdout


def test_doctor_fails_when_the_line_names_another_profile(ws: Workspace, cognito: Cognito) -> None:
    ready(ws, cognito, real_line("--profile", "prod"))
    done = ws.run("doctor", "--profile", "dev")
    assert done.returncode == 1
    assert "runs profile 'prod', not 'dev'" in done.stdout


def test_doctor_fails_when_the_line_prints_no_json(ws: Workspace, cognito: Cognito) -> None:
    path = script(ws.root / "bin", "echo 'hello, not json'\n")
    ready(ws, cognito, f"{path} --profile dev")
    done = ws.run("doctor", "--profile", "dev")
    assert done.returncode == 1
    assert "output is not credential_process JSON" in done.stdout


def test_doctor_runs_no_shell(ws: Workspace, cognito: Cognito) -> None:
    marker = ws.root / "shell-ran"
    ready(ws, cognito, real_line("--profile", "dev") + f"; touch {marker}")
    done = ws.run("doctor", "--profile", "dev")
    assert not marker.exists()
    assert done.returncode == 1  # "dev;" is then the profile's name, as botocore splits it
    assert "runs profile 'dev;', not 'dev'" in done.stdout


def test_doctor_warns_when_the_line_depends_on_path(ws: Workspace, cognito: Cognito) -> None:
    ready(ws, cognito, "cognito-credproc --profile dev")
    bin_dir = str(Path(tool_argv()[0]).parent)
    if not Path(bin_dir, "cognito-credproc").exists():
        pytest.skip("no console script installed")
    env = {"PATH": bin_dir + os.pathsep + ws.env["PATH"]}
    done = ws.run("doctor", "--profile", "dev", env=env)
    assert "warn" in done.stdout and "through PATH" in done.stdout
    assert f"fix: set credential_process = {real_line('--profile', 'dev')}" in done.stdout
    assert "credential_process JSON" in done.stdout
    # and not on PATH at all: a failure
    gone = ws.run("doctor", "--profile", "dev", env={"PATH": "/usr/bin:/bin"})
    assert gone.returncode == 1
    assert "which is not on PATH" in gone.stdout


def test_doctor_refuses_python_dash_m(ws: Workspace, cognito: Cognito) -> None:
    import sys

    ready(ws, cognito, f"{sys.executable} -m cognito_credproc --profile dev")
    done = ws.run("doctor", "--profile", "dev")
    assert done.returncode == 1
    assert "imports the tool from whatever directory" in done.stdout


@pytest.mark.parametrize(
    "options", ["-mcognito_credproc", "-u -m cognito_credproc", "-Bm cognito_credproc.__main__"]
)
def test_doctor_refuses_python_dash_m_in_any_spelling(
    ws: Workspace, cognito: Cognito, options: str
) -> None:
    # The interpreter reads these as ``-m cognito_credproc`` too: the working directory
    # still lands first on sys.path.
    import sys

    ready(ws, cognito, f"{sys.executable} {options} --profile dev")
    done = ws.run("doctor", "--profile", "dev")
    assert done.returncode == 1
    assert "imports the tool from whatever directory" in done.stdout


def test_doctor_accepts_python_dash_m_when_isolated(ws: Workspace, cognito: Cognito) -> None:
    # -I leaves the working directory off sys.path (and is the only such flag on 3.10).
    import sys

    ready(ws, cognito, f"{sys.executable} -I -m cognito_credproc --profile dev")
    done = ws.run("doctor", "--profile", "dev")
    assert "imports the tool from whatever directory" not in done.stdout
    assert "not cognito-credproc" not in done.stdout


def test_configure_writes_the_absolute_path_quoted(
    monkeypatch: pytest.MonkeyPatch, ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    from cognito_credproc import launch
    from cognito_credproc.cli import main

    monkeypatch.setattr(launch, "console_script", lambda: "/opt/my tools/cognito-credproc")
    for key, value in ws.env.items():
        monkeypatch.setenv(key, value)
    code = main(
        [
            "configure",
            "--profile",
            "dev",
            "--user-pool-id",
            "us-east-1_AbCdEf123",
            "--app-client-id",
            "client123",
            "--identity-pool-id",
            "us-east-1:11111111-2222-3333-4444-555555555555",
            "--username",
            "alice",
            "--no-validate",
        ]
    )
    assert code == 0, capsys.readouterr().err
    text = ws.aws_config.read_text()
    assert "credential_process = '/opt/my tools/cognito-credproc' --profile dev\n" in text
    line = text.split("credential_process = ", 1)[1].splitlines()[0]
    assert shlex.split(line) == ["/opt/my tools/cognito-credproc", "--profile", "dev"]
