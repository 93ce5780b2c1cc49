"""Helpers for the attack tests: the tool started by its console script from any
directory, and a second, unprivileged user to play the attacker."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import run_like_botocore

# The attacker: an unprivileged account that exists on every Debian-like system.
ATTACKER_UID = 65534
ATTACKER_GID = 65534


def console_script() -> Path:
    script = Path(sys.executable).parent / "cognito-credproc"
    if not script.exists():
        pytest.skip("the cognito-credproc console script is not installed beside python")
    return script


def run_tool(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 60, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed console script, run from ``cwd`` as botocore runs it."""
    argv = [str(console_script()), *args]
    return run_like_botocore(argv, env, cwd=cwd, timeout=timeout, stdin=stdin)


def need_root() -> None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("acting as a second user needs root (CI runs as root)")


def as_attacker(script: str, *, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a shell script as the unprivileged attacker (uid/gid 65534, no other groups)."""
    need_root()
    return subprocess.run(
        ["/bin/sh", "-c", script],
        cwd=cwd or "/",
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
        user=ATTACKER_UID,
        group=ATTACKER_GID,
        extra_groups=[],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@functools.cache
def attacker_python() -> str | None:
    """An interpreter the attacker may run: the tests' own may sit in a directory only
    root can enter (a virtualenv under /root), the system's usually does not."""
    for candidate in (sys.executable, os.path.realpath(sys.executable), "/usr/bin/python3"):
        try:
            probe = subprocess.run(
                [candidate, "-I", "-c", "pass"],
                cwd="/",
                env={"PATH": "/usr/bin:/bin"},
                user=ATTACKER_UID,
                group=ATTACKER_GID,
                extra_groups=[],
                capture_output=True,
                timeout=30,
                check=False,
            )
        except OSError:
            continue
        if probe.returncode == 0:
            return candidate
    return None


def attacker_process(code: str) -> subprocess.Popen[str]:
    """Start Python ``code`` as the unprivileged attacker (uid/gid 65534, no other
    groups, isolated mode); its stdout and stderr are pipes."""
    need_root()
    python = attacker_python()
    if python is None:
        pytest.skip("no Python interpreter the unprivileged user can run")
    return subprocess.Popen(
        [python, "-I", "-c", code],
        cwd="/",
        env={"PATH": "/usr/bin:/bin"},
        user=ATTACKER_UID,
        group=ATTACKER_GID,
        extra_groups=[],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def python_as_attacker(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run Python ``code`` as the attacker and wait for it."""
    proc = attacker_process(code)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A directory both the victim and the attacker can reach (tmp_path is private to
    the user running the tests): 0755, owned by the victim, in the system temp dir."""
    path = Path(tempfile.mkdtemp(prefix="cognito-credproc-attack-", dir="/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
