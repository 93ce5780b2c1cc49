"""Helpers for the attack tests: the tool started by its console script from any
directory, and a second, unprivileged user to play the attacker."""

from __future__ import annotations

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
