"""Attack and accident: children started during a renewal inside ``exec --server`` or
``serve`` (a ``password_command``, a ``totp_command``, a ``$BROWSER``) inherited the
endpoint thread's blocked SIGHUP, SIGINT, SIGQUIT and SIGTERM (``SigBlk 0x4007``): the
person could not stop them, and a real browser kept that mask for its whole life. Every
child now starts with an empty signal mask, through one helper; and a browser sign-in
that a renewal of ``serve`` needs opens no tab (nobody asked for one there): it says to
run ``login``, as the background refresh does."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cognito_credproc.arguments import build_parser
from cognito_credproc.cache import FileCache
from cognito_credproc.cli import Context
from cognito_credproc.config import load_profile
from cognito_credproc.endpoint import Endpoint
from cognito_credproc.serve import open_endpoint
from cognito_credproc.store import Store

from ..browser_setup import ManagedPool, browser_command, driver_records, managed
from ..conftest import Cognito, Workspace
from ..fakes import Clock
from ..test_endpoint import request

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists() or not hasattr(signal, "pthread_sigmask"),
    reason="signal masks read from /proc (Linux)",
)
__all__ = ["managed"]  # a fixture used below

PACKAGE = Path(__file__).resolve().parents[2] / "cognito_credproc"
EMPTY_MASK = "0000000000000000"
WAIT_SECONDS = 60


def test_every_child_start_goes_through_the_one_helper() -> None:
    # subprocess.run/call/Popen, os.system, os.spawn*, os.posix_spawn* and os.exec*
    # anywhere but launch.py would start a child with the calling thread's mask.
    starts = re.compile(
        r"subprocess\.(?:run|call|check_call|check_output|Popen)\(|os\.(?:system|popen|"
        r"spawn\w*|posix_spawn\w*|exec\w*|fork)\("
    )
    found = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "launch.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if starts.search(line)
    ]
    assert found == []


def mask_recorder(where: Path, password: str) -> Path:
    """A password_command that notes its own blocked signals, then answers."""
    script = where / "password-command"
    record = where / "sigblk"
    # Read with builtins only: a shell waiting for a child of its own (sed) blocks every
    # signal meanwhile, and /proc would show that instead of what it was started with.
    script.write_text(
        "#!/bin/sh\n"
        "while IFS= read -r line; do\n"
        f'  case "$line" in SigBlk:*) echo "${{line#SigBlk:}}" >> {record} ;; esac\n'
        "done < /proc/$$/status\n"
        f"echo '{password}'\n"
    )
    script.chmod(0o700)
    return script


def masks(ws: Workspace) -> list[str]:
    record = ws.root / "sigblk"
    return record.read_text().split() if record.exists() else []


def serve_context(ws: Workspace, environ: dict[str, str], clock: Clock) -> Context:
    args = build_parser().parse_args(["serve", "--profile", "dev", "--config", str(ws.config)])
    return Context(args, environ, now=clock)


def forget_everything(ws: Workspace) -> None:
    """As ``clear`` does, under the sign-in's lock: the next renewal must sign in again."""
    profile = load_profile(str(ws.config), "dev", {})
    cache = FileCache(str(ws.cache))
    with cache.lock(profile.lock_key, WAIT_SECONDS, profile.name):
        Store(profile, cache).clear()


def wait_for_renewals(endpoint: Endpoint, count: int) -> None:
    renewer = endpoint.renewer
    with renewer.renewed:
        assert renewer.renewed.wait_for(lambda: renewer.renewals >= count, WAIT_SECONDS)


@pytest.mark.integration
def test_a_password_command_a_request_needs_starts_with_no_signal_blocked(
    ws: Workspace, cognito: Cognito
) -> None:
    command = mask_recorder(ws.root, cognito.password)
    ws.write_config(cognito.profile_section("dev", password_command=str(command)))
    ctx = serve_context(ws, dict(ws.env), Clock(start=time.time()))
    with open_endpoint(ctx) as running:  # signs in from the main thread first
        forget_everything(ws)
        status, body = request(running)  # so this request's renewal signs in again
    assert status == 200, body
    assert len(masks(ws)) == 2
    assert masks(ws)[-1] == EMPTY_MASK, f"SigBlk {masks(ws)[-1]} in a child of a request"


@pytest.mark.integration
def test_a_password_command_the_renewal_thread_needs_starts_with_no_signal_blocked(
    ws: Workspace, cognito: Cognito
) -> None:
    command = mask_recorder(ws.root, cognito.password)
    ws.write_config(cognito.profile_section("dev", password_command=str(command)))
    ctx = serve_context(ws, dict(ws.env), Clock(start=time.time()))
    with open_endpoint(ctx) as running:
        forget_everything(ws)
        running.renewer.wake()  # nothing cached: the renewal thread renews, signing in
        wait_for_renewals(running, 1)
    assert len(masks(ws)) == 2
    assert masks(ws)[-1] == EMPTY_MASK, f"SigBlk {masks(ws)[-1]} in a child of a renewal"


@pytest.mark.integration
def test_a_command_exec_starts_has_no_signal_blocked_whatever_the_tool_inherited(
    ws: Workspace, cognito: Cognito
) -> None:
    # The tool itself started with every stop signal blocked (by whatever started it).
    ws.write_config(cognito.profile_section("dev"))
    blocked = {signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        done = subprocess.run(
            [
                sys.executable,
                *("-m", "cognito_credproc", "exec", "--profile", "dev", "--"),
                *("sh", "-c", "exec sed -n 's/^SigBlk:[[:space:]]*//p' /proc/self/status"),
            ],
            env={**ws.env, "COGNITO_CREDPROC_PASSWORD": cognito.password},
            capture_output=True,
            text=True,
            timeout=WAIT_SECONDS,
            check=False,
        )
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == EMPTY_MASK


@pytest.mark.integration
def test_a_browser_sign_in_a_renewal_of_serve_needs_opens_no_tab(
    ws: Workspace, managed: ManagedPool, capsys: pytest.CaptureFixture[str]
) -> None:
    ws.write_config(managed.profile_section())
    record = ws.root / "browser.jsonl"
    browser: dict[str, Any] = {
        **browser_command(record),
        "BROWSER_DRIVER_MODE": "signin",
        "BROWSER_DRIVER_USER": "alice",
        "BROWSER_DRIVER_PASSWORD": managed.cognito.password,
    }
    first = ws.run("--profile", "dev", env=browser)  # signed in once, in the browser
    assert first.returncode == 0, first.stderr
    assert len(driver_records(record)) == 1
    ctx = serve_context(ws, {**ws.env, **browser}, Clock(start=time.time()))
    with open_endpoint(ctx) as running:
        forget_everything(ws)  # the sign-in is gone: only the browser could renew it
        answers = [request(running) for _ in range(3)]
    assert [status for status, _ in answers] == [503, 503, 503]
    assert len(driver_records(record)) == 1  # no tab was opened from the endpoint
    said = capsys.readouterr().err
    assert "run: cognito-credproc login --profile dev" in said
    assert said.count("credentials endpoint:") == 1  # once, not per request
