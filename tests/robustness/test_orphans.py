"""Orphans: the Go SDKs run the helper through ``sh -c`` and kill ``sh`` after 60 s. A
helper left waiting (on the lock, at a prompt) must notice and give up within seconds,
leaving the cache as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

if sys.platform == "win32":
    pytest.skip("needs a pseudo-terminal and /proc, which Windows has not", allow_module_level=True)
import termios

from cognito_credproc.config import load_profile

from ..conftest import Cognito, Workspace
from ..ptyterm import PtyRun
from .test_kill import hold_lock

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc"),
]

# A program that runs its credential_process as the Go SDKs do: through `sh -c` (here
# `sh -c 'CMD; :'`, which cannot exec CMD in place of the shell, so the helper is sh's
# child), and that outlives the shell it will kill.
GO_LIKE_PARENT = [
    sys.executable,
    "-c",
    "import subprocess, sys, time\n"
    "subprocess.Popen(['sh', '-c', '\"$@\"; :', 'sh', *sys.argv[1:]])\n"
    "time.sleep(600)\n",
]
# Far below lock_timeout, and no prompt ever times out: only the orphan check ends the wait.
GIVE_UP_WITHIN_SECONDS = 20


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and running(int(entry.name)):
                found.append(int(entry.name))
    return found


def only_child(pid: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = children_of(pid)
        if children:
            (child,) = children
            return child
        time.sleep(0.05)
    raise AssertionError(f"process {pid} never started its child")


def running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has finished


def ends_soon(pid: int) -> bool:
    deadline = time.monotonic() + GIVE_UP_WITHIN_SECONDS
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not running(pid)


def orphan(parent: int) -> int:
    """Kill the `sh` under ``parent`` as exec.CommandContext does at the Go SDK's timeout
    (SIGKILL to sh alone); returns the helper it leaves behind."""
    shell = only_child(parent)
    helper = only_child(shell)
    os.kill(shell, signal.SIGKILL)
    return helper


def gone_for_sure(*pids: int | None) -> None:
    """Leave nothing behind, whatever the test found."""
    for pid in pids:
        if pid is not None and running(pid):
            os.kill(pid, signal.SIGKILL)


def test_an_orphan_waiting_on_the_lock_gives_up(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev", lock_timeout="600"))
    profile = load_profile(str(ws.config), "dev", {})
    ws.cache.mkdir(mode=0o700)
    holder = hold_lock(ws.cache / f"{profile.lock_key}.lock")
    stderr = ws.root / "helper-stderr"
    helper = None
    with stderr.open("w") as err:
        parent = subprocess.Popen(
            [*GO_LIKE_PARENT, sys.executable, "-m", "cognito_credproc", "--profile", "dev"],
            env={**ws.env, "COGNITO_CREDPROC_PASSWORD": cognito.password},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    try:
        time.sleep(2)  # let the helper reach the lock
        helper = orphan(parent.pid)
        assert ends_soon(helper), "the orphaned helper kept waiting on the lock"
        assert holder.poll() is None  # the other process keeps its lock
    finally:
        gone_for_sure(helper)
        parent.kill()
        parent.wait()
        holder.kill()
        holder.communicate()
    assert sorted(p.name for p in ws.cache.iterdir()) == [f"{profile.lock_key}.lock"]
    assert cognito.sign_ins() == 0
    assert "has exited; stopped waiting and changed nothing" in stderr.read_text()


def test_an_orphan_at_the_password_prompt_gives_up(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    # The Go-like parent is the terminal's session leader, as a program run from a shell
    # is in the foreground: killing sh sends no SIGHUP to anyone.
    run = PtyRun(["--profile", "dev"], ws.env, through=GO_LIKE_PARENT)
    helper = None
    try:
        run.expect("Password for alice")
        assert not termios.tcgetattr(run.master)[3] & termios.ECHO  # the prompt turned it off
        helper = orphan(run.proc.pid)
        assert ends_soon(helper), "the orphaned helper kept waiting at the prompt"
        run.expect("no answer is needed any more", timeout=5)
        assert termios.tcgetattr(run.master)[3] & termios.ECHO  # and back on
    finally:
        gone_for_sure(helper)
        run.proc.kill()
        run.proc.communicate()
        os.close(run.master)
    # nothing cached, no lock held: the next run signs in as usual
    assert not list(ws.cache.glob("*.json"))
    assert cognito.sign_ins() == 0
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
