"""``env`` and ``serve`` output read back by the real shells (bash and dash for sh, fish)
and a real dotenv parser (python-dotenv), with hostile values: quotes, backslashes, ``$``,
backticks, newlines, non-ASCII. Whatever the tool writes, the program started from that
shell must see exactly the values the tool meant, exported, and nothing else may run.

PowerShell is not packaged for Debian, PyPI or npm, so it cannot be installed here;
its quoting is checked by a model of PowerShell's rules in
``security/test_output_injection.py``, and here when ``pwsh`` is on PATH."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from dotenv import dotenv_values

from cognito_credproc.config import load_profile
from cognito_credproc.credentials import Credentials
from cognito_credproc.output import env_lines

from .conftest import Workspace, run_like_botocore
from .fakes import SECTION

# What the tool might ever have to write. No NUL: no environment can hold one.
HOSTILE = {
    "HOSTILE_QUOTES": "it's \"quoted\" 'twice' '' \"\"",
    "HOSTILE_BACKSLASHES": "back\\slash \\\\ \\n is not a newline \\' \\\" ends in one\\",
    "HOSTILE_DOLLARS": "$HOME ${HOME} $(touch pwned) $((6*7)) $$ $ ${",
    "HOSTILE_BACKTICKS": "`touch pwned` \\` `",
    "HOSTILE_NEWLINES": "one\ntwo\r\nthree\n\nexport PWNED=1\n",
    "HOSTILE_NON_ASCII": "café 日本語 ☃ \U0001f511 \u2018curly\u2019 \u201cquotes\u201d",
    "HOSTILE_SEPARATORS": "; touch pwned & echo | cat # -- \t tab",
    "HOSTILE_FISH": "(touch pwned) {a,b} * ~ %self $argv[1]",
    "HOSTILE_DASH": "-n",
    "HOSTILE_SPACES": "  leading and trailing  ",
    "HOSTILE_EMPTY": "",
}
# Terminal control characters: a shell takes them as they are; a dotenv file writes them
# as \uXXXX, which no dotenv parser decodes (the tool never prints such a value: every
# credential field is printable ASCII).
CONTROL = {"HOSTILE_CONTROL": "esc \x1b[31m bell \x07 del \x7f"}

# The program the shell starts: what it was given, as JSON.
SHOW = (
    "import json, os; print(json.dumps({k: v for k, v in os.environ.items() "
    "if k.startswith(('AWS_', 'HOSTILE_', 'PWNED'))}))"
)


def shell_environment(home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "LANG": "C.UTF-8",
    }


def need(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        hint = (
            "PowerShell is not packaged for Debian, PyPI or npm"
            if program == "pwsh"
            else f"install it with apt-get (.ci/run does): {program}"
        )
        pytest.skip(f"{program} is not installed; {hint}")
    return found


def through(reader: str, text: str, workdir: Path) -> dict[str, str]:
    """``text`` as the README says to use it with ``reader``, then the program started
    from there: the variables it was given."""
    workdir.mkdir(parents=True, exist_ok=True)
    output = workdir / "output.txt"
    output.write_text(text, encoding="utf-8")
    if reader == "dotenv":
        values = dotenv_values(stream=io.StringIO(text), interpolate=False)
        return {k: v for k, v in values.items() if v is not None}
    if reader in ("bash", "dash"):  # eval "$(cognito-credproc env)"
        argv = [need(reader), "-c", 'eval "$(cat "$1")" && exec "$2" -c "$3"', reader]
    elif reader == "fish":  # cognito-credproc env --format fish | source
        argv = [need("fish"), "--no-config", "-c", "cat $argv[1] | source; and exec $argv[2..]"]
    else:  # Invoke-Expression, one line at a time
        argv = [
            need("pwsh"),
            "-NoProfile",
            "-Command",
            "Get-Content -Encoding utf8 $args[0] -Raw | Invoke-Expression; & $args[1] -c $args[2]",
        ]
    done = subprocess.run(
        [*argv, str(output), sys.executable, *(["-c"] if reader == "fish" else []), SHOW],
        env=shell_environment(workdir),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert not (workdir / "pwned").exists(), "a value ran as a command"
    seen: dict[str, str] = json.loads(done.stdout)
    return seen


FORMATS = [
    ("sh", "bash"),
    ("sh", "dash"),
    ("fish", "fish"),
    ("dotenv", "dotenv"),
    ("powershell", "pwsh"),
]


@pytest.mark.parametrize(("fmt", "reader"), FORMATS, ids=[r for _, r in FORMATS])
def test_hostile_values_come_back_exactly(fmt: str, reader: str, tmp_path: Path) -> None:
    values = {**HOSTILE, **({} if fmt == "dotenv" else CONTROL)}
    seen = through(reader, env_lines(values, fmt) + "\n", tmp_path)
    assert seen == values


def utc(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


CACHED = Credentials(
    "ASIAENVFORMATS",
    "env-secret-key-" + "s" * 25,
    "env-session-token-" + "t" * 40,
    float(int(time.time()) + 3000),
    "123456789012",
)


def cached(ws: Workspace) -> None:
    """Credentials in the cache for forty-odd minutes: ``env`` and ``serve`` need no
    service (none answers at the endpoint)."""
    from cognito_credproc.cache import FileCache
    from cognito_credproc.store import Store

    ws.write_config(
        "[dev]\n"
        + "".join(f"{k} = {v}\n" for k, v in SECTION.items())
        + "account_id = 123456789012\nendpoint_url = http://127.0.0.1:9\n"
    )
    profile = load_profile(str(ws.config), "dev", {})
    Store(profile, FileCache(str(ws.cache))).save_credentials(CACHED, 0.0, time.time())


@pytest.mark.parametrize(("fmt", "reader"), FORMATS, ids=[r for _, r in FORMATS])
def test_env_output_gives_the_program_the_cached_credentials(
    ws: Workspace, fmt: str, reader: str, tmp_path: Path
) -> None:
    if reader == "pwsh":
        need("pwsh")
    cached(ws)
    done = ws.run("env", "--profile", "dev", "--format", fmt)
    assert done.returncode == 0, done.stderr
    seen = through(reader, done.stdout, tmp_path / "shell")
    assert seen == {
        "AWS_ACCESS_KEY_ID": CACHED.access_key_id,
        "AWS_SECRET_ACCESS_KEY": CACHED.secret_access_key,
        "AWS_SESSION_TOKEN": CACHED.session_token,
        "AWS_CREDENTIAL_EXPIRATION": utc(CACHED.expiration),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID": "123456789012",
    }


FETCH = (
    "import json, os, urllib.request\n"
    "request = urllib.request.Request(os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'],\n"
    "    headers={'Authorization': os.environ['AWS_CONTAINER_AUTHORIZATION_TOKEN']})\n"
    "with urllib.request.urlopen(request, timeout=30) as answer:\n"
    "    print(json.dumps(json.load(answer)))\n"
)


@pytest.mark.parametrize(("fmt", "reader"), FORMATS, ids=[r for _, r in FORMATS])
def test_serve_output_points_the_program_at_the_endpoint(
    ws: Workspace, fmt: str, reader: str, tmp_path: Path
) -> None:
    if reader == "pwsh":
        need("pwsh")
    cached(ws)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cognito_credproc", "serve", "--profile", "dev", "--format", fmt],
        env=ws.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert proc.stderr is not None and proc.stdout is not None
        said = proc.stderr.readline().decode()  # written once stdout is complete
        assert "serving profile dev" in said, said
        os.set_blocking(proc.stdout.fileno(), False)
        text = (proc.stdout.read() or b"").decode()
        variables = through(reader, text, tmp_path / "shell")
        assert variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
        # the program started from the shell reads the endpoint with what it was given
        program = {**shell_environment(tmp_path), **variables}
        fetched = run_like_botocore([sys.executable, "-c", FETCH], program)
        assert fetched.returncode == 0, fetched.stderr
        answer = json.loads(fetched.stdout)
        assert answer["AccessKeyId"] == CACHED.access_key_id
        assert answer["Token"] == CACHED.session_token
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert proc.returncode == 0
