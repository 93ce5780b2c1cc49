"""Attack (or accident) by input the tool did not expect: malformed answers, a password
source that prints bytes, an ASCII-only terminal, output going nowhere, empty or
relative paths. Each is one sentence naming the profile, with the documented exit
code, never "unexpected error", never a traceback, never Python's own exit 120."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ..conftest import Cognito, Workspace
from ..json_endpoint import Answer
from .hostile_server import happy, hostile, section

pytestmark = pytest.mark.integration


def one_sentence(stderr: str, code: int, expected: int = 1) -> None:
    assert code == expected, stderr
    assert stderr.startswith("cognito-credproc: profile dev: "), stderr
    assert "unexpected error" not in stderr and "Traceback" not in stderr
    assert "Exception ignored" not in stderr
    assert len(stderr.strip().splitlines()) <= 3


@pytest.mark.parametrize(
    ("operation", "answer"),
    [
        ("InitiateAuth", (200, {"AuthenticationResult": "x"})),  # was AttributeError
        ("InitiateAuth", (200, {"ChallengeName": "SMS_MFA", "ChallengeParameters": [1]})),
        ("GetId", (200, "[1, 2, 3]")),  # a body that is JSON, but not an object
        ("GetCredentialsForIdentity", (200, {"Credentials": [1, 2]})),
        ("GetCredentialsForIdentity", (200, {"Credentials": {"Expiration": 1e300}})),
        ("GetId", (200, "<html>not json</html>")),
    ],
)
def test_malformed_answers_are_a_sentence(ws: Workspace, operation: str, answer: Answer) -> None:
    def respond(name: str, request: dict[str, Any]) -> Answer:
        return answer if name == operation else happy(name, request)

    with hostile(respond) as endpoint:
        ws.write_config(section(endpoint))
        done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": "pw-1"})
    one_sentence(done.stderr, done.returncode)
    assert done.stdout == ""


def test_a_password_command_that_prints_bytes_is_a_sentence(ws: Workspace) -> None:
    command = ws.root / "password-command"
    command.write_bytes(b"#!/bin/sh\nprintf '\\377\\376not utf-8\\n'\n")
    command.chmod(0o700)
    with hostile(happy) as endpoint:
        ws.write_config(section(endpoint, password_command=str(command)))
        done = ws.run("--profile", "dev")
    one_sentence(done.stderr, done.returncode)
    assert "password_command" in done.stderr and "not UTF-8" in done.stderr


def test_a_non_ascii_user_on_an_ascii_terminal(ws: Workspace) -> None:
    ws.write_config(section("http://127.0.0.1:9", username="jos\u00e9"))
    ascii_only = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    done = ws.run("status", "--profile", "dev", env=ascii_only)
    assert done.returncode == 0, done.stderr
    assert "jos\\xe9" in done.stdout  # escaped, not a crash
    missing = ws.run("--profile", "dev", env=ascii_only)
    one_sentence(missing.stderr, missing.returncode)


def shell_run(ws: Workspace, redirect: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The tool run by a shell with stdout redirected (``>&-``, ``>/dev/full``)."""
    line = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "cognito_credproc", *args])
    return subprocess.run(
        ["/bin/sh", "-c", f"{line} {redirect}"],
        env=ws.env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.fixture
def signed_in(ws: Workspace, cognito: Cognito) -> Workspace:
    ws.write_config(cognito.profile_section("dev"))
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    return ws


def test_stdout_closed_is_a_sentence(signed_in: Workspace) -> None:
    for args in (["--profile", "dev"], ["status", "--profile", "dev"]):
        done = shell_run(signed_in, ">&-", *args)
        # stderr here is the pipe of capture_output; stdout is closed
        assert done.returncode == 1, done.stderr
        assert "standard output is closed" in done.stderr
        assert done.stderr.startswith("cognito-credproc: profile dev: ")
        assert "Exception ignored" not in done.stderr
    # and a closed stdout never becomes a file the tool writes into
    assert all(p.stat().st_size > 2 for p in signed_in.cache.glob("*.json"))


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_stdout_on_a_full_device_is_a_sentence(signed_in: Workspace) -> None:
    for args in (["--profile", "dev"], ["env", "--profile", "dev"], ["status", "--all"]):
        done = shell_run(signed_in, ">/dev/full", *args)
        assert done.returncode == 1, done.stderr
        assert "cannot write to standard output" in done.stderr, done.stderr
        assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr


def test_empty_config_path_is_a_usage_error(ws: Workspace) -> None:
    done = ws.run("--profile", "dev", "--config", "")
    one_sentence(done.stderr, done.returncode, expected=2)
    assert "--config was given an empty path" in done.stderr


def test_relative_cache_dir_is_refused(ws: Workspace, cognito: Cognito, tmp_path: Path) -> None:
    ws.write_config(cognito.profile_section("dev"))
    here = tmp_path / "somewhere"
    here.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "cognito_credproc", "--profile", "dev"],
        env={
            **ws.env,
            "COGNITO_CREDPROC_CACHE_DIR": "tokens-here",
            "COGNITO_CREDPROC_PASSWORD": cognito.password,
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        },
        cwd=here,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    one_sentence(done.stderr, done.returncode, expected=2)
    assert "relative" in done.stderr
    assert list(here.iterdir()) == []  # no tokens written into the working directory
    assert cognito.sign_ins() == 0
