"""early_refresh: credentials inside the early window are printed at once and renewed
by a detached process; a failed background refresh changes nothing."""

from __future__ import annotations

import json
import subprocess
import time

import filelock
import pytest

from cognito_credproc.config import load_profile

from ..conftest import Cognito, Workspace, parse_output, run_python
from ..strict_cognito import BEHAVIOUR

pytestmark = pytest.mark.integration


def wait_until(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the background refresh")


def age_credentials(ws: Workspace, seconds: float) -> None:
    """Pretend the cached credentials were fetched a while ago (same expiry)."""
    path = next(ws.cache.glob("credentials-*.json"))
    entry = json.loads(path.read_text())
    entry["fetched_at"] -= seconds
    path.write_text(json.dumps(entry))


# The helper, with the start of the background run replaced by a line on stderr: what
# would have started is seen at once, with nothing to wait for.
RECORDING = (
    "import sys\n"
    "import cognito_credproc.background as background\n"
    "def started(*args):\n"
    "    sys.stderr.write('background refresh started\\n')\n"
    "background.start_background_refresh = started\n"
    "from cognito_credproc.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)
STARTED = "background refresh started"


def run_recording(ws: Workspace) -> subprocess.CompletedProcess[str]:
    done = run_python(["-c", RECORDING, "--profile", "dev"], ws.env)
    ws.check_no_secrets(done.stderr)
    assert done.returncode == 0, done.stderr
    return done


def lock_is_free(ws: Workspace) -> bool:
    profile = load_profile(str(ws.config), "dev", {})
    try:
        with filelock.FileLock(str(ws.cache / f"{profile.lock_key}.lock"), timeout=0):
            return True
    except filelock.Timeout:
        return False


def test_early_window_prints_at_once_and_renews_in_the_background(
    ws: Workspace, cognito: Cognito
) -> None:
    # one-hour credentials, margin 900 s, early window 3000 s: due for early renewal at once
    ws.write_config(cognito.profile_section("dev", early_refresh="3000"))
    first = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert first.returncode == 0, first.stderr
    assert BEHAVIOUR.calls["GetCredentialsForIdentity"] == 1
    again = run_recording(ws)  # fetched a moment ago: never renewed early
    assert again.stdout == first.stdout
    assert STARTED not in again.stderr
    age_credentials(ws, 120)
    control = run_recording(ws)  # the same run a minute later would start one
    assert control.stdout == first.stdout
    assert STARTED in control.stderr
    second = ws.run("--profile", "dev")  # no password: the background run must not need one
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout  # printed at once from the cache
    wait_until(lambda: BEHAVIOUR.calls["GetCredentialsForIdentity"] == 2 and lock_is_free(ws))
    third = ws.run("--profile", "dev")
    assert parse_output(third.stdout)["AccessKeyId"] != parse_output(first.stdout)["AccessKeyId"]
    assert cognito.sign_ins() == 1


def test_failed_background_refresh_changes_nothing(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev", early_refresh="3000"))
    first = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert first.returncode == 0
    entry = next(ws.cache.glob("credentials-*.json"))
    age_credentials(ws, 120)
    before = entry.read_bytes()
    BEHAVIOUR.fail_credentials = True
    second = ws.run("--profile", "dev")
    assert second.returncode == 0 and second.stdout == first.stdout
    wait_until(lambda: BEHAVIOUR.calls["GetCredentialsForIdentity"] >= 2 and lock_is_free(ws))
    assert entry.read_bytes() == before
    assert json.loads(before)["AccessKeyId"] == parse_output(first.stdout)["AccessKeyId"]


def test_outside_the_early_window_nothing_is_started(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev", early_refresh="60"))
    assert (
        ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password}).returncode
        == 0
    )
    age_credentials(ws, 120)
    done = run_recording(ws)
    assert STARTED not in done.stderr
    assert BEHAVIOUR.calls["GetCredentialsForIdentity"] == 1


def test_background_refresh_argv_carries_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from cognito_credproc import background

    seen: list[list[str]] = []

    def fake_popen(argv: list[str], **kwargs: object) -> None:
        seen.append(argv)
        assert kwargs["stdout"] == subprocess.DEVNULL and kwargs["stderr"] == subprocess.DEVNULL
        assert kwargs["start_new_session"] is True

    monkeypatch.setattr(subprocess, "Popen", fake_popen)
    background.start_background_refresh("/some/config.ini", "dev")
    assert seen and seen[0][-4:] == ["--profile", "dev", "--config", "/some/config.ini"]
