"""Attacks with planted files: a FIFO where the tool expects a cache entry or its
settings (it must not hang), and a cache directory that is a link to, or is, someone's
project (``clear --all`` must delete only the tool's own entries)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cognito_credproc.config import load_profile

from ..conftest import Cognito, Workspace
from .conftest import ATTACKER_GID, ATTACKER_UID, need_root

pytestmark = pytest.mark.integration


def run_or_hang(ws: Workspace, *args: str, env: dict[str, str] | None = None) -> Any:
    try:
        return ws.run(*args, env=env, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the tool hung on a planted FIFO: {args}")


def test_fifo_at_cache_entries_does_not_hang(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    profile = load_profile(str(ws.config), "dev", {})
    ws.cache.mkdir(mode=0o700)
    for key in (profile.credentials_key, profile.signin_key, profile.identity_key):
        os.mkfifo(ws.cache / f"{key}.json", 0o600)
    # The credentials entry is read on the hit path; the tokens entry under the lock.
    done = run_or_hang(ws, "--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr  # every FIFO read as a miss, then replaced
    assert cognito.sign_ins() == 1
    status = run_or_hang(ws, "status", "--profile", "dev")
    assert status.returncode == 0, status.stderr


def test_fifo_at_the_settings_path_does_not_hang(ws: Workspace) -> None:
    os.mkfifo(ws.config, 0o600)
    done = run_or_hang(ws, "--profile", "dev")
    assert done.returncode == 2
    assert "is not a regular file" in done.stderr
    assert "profile dev:" in done.stderr


def test_fifo_at_the_aws_config_does_not_hang_doctor(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    os.mkfifo(ws.aws_config, 0o600)
    os.mkfifo(ws.root / "aws-credentials", 0o600)
    done = run_or_hang(ws, "doctor", "--profile", "dev")
    assert done.returncode == 1
    assert "[profile dev] has no credential_process" in done.stdout, done.stdout


def entry_names() -> list[str]:
    return [f"{kind}-{'ab' * 16}.json" for kind in ("signin", "identity", "credentials")]


def project(root: Path) -> Path:
    """Someone's project: JSON files of its own, next to names like the tool's."""
    path = root / "project"
    path.mkdir(mode=0o755)
    for name in ("package.json", "tsconfig.json", "credentials.json", "signin-notours.json"):
        (path / name).write_text("{}")
    return path


def test_clear_all_in_a_project_deletes_only_its_own_entries(ws: Workspace) -> None:
    folder = project(ws.root)
    for name in entry_names():
        (folder / name).write_text("{}")
    ws.write_config("")
    done = ws.run("clear", "--all", env={"COGNITO_CREDPROC_CACHE_DIR": str(folder)})
    assert done.returncode == 0, done.stderr
    assert "deleted 3 cache entries" in done.stderr
    assert sorted(p.name for p in folder.iterdir()) == [
        "credentials.json",
        "package.json",
        "signin-notours.json",
        "tsconfig.json",
    ]


def test_clear_all_does_not_follow_a_symlinked_cache_directory(ws: Workspace) -> None:
    folder = project(ws.root)
    for name in entry_names():
        (folder / name).write_text("{}")
    before = sorted(p.name for p in folder.iterdir())
    link = ws.root / "cache-link"
    link.symlink_to(folder)
    done = ws.run("clear", "--all", env={"COGNITO_CREDPROC_CACHE_DIR": str(link)})
    assert done.returncode == 1
    assert "symbolic link" in done.stderr
    assert sorted(p.name for p in folder.iterdir()) == before


@pytest.mark.parametrize("problem", ["other-owner", "writable"])
def test_clear_all_refuses_a_cache_directory_others_control(ws: Workspace, problem: str) -> None:
    folder = ws.root / "cache"
    folder.mkdir(mode=0o700)
    for name in entry_names():
        (folder / name).write_text("{}")
    if problem == "other-owner":
        need_root()
        os.chown(folder, ATTACKER_UID, ATTACKER_GID)
    else:
        folder.chmod(0o777)
    done = ws.run("clear", "--all")
    assert done.returncode == 1
    assert "belongs to another user" in done.stderr or "writable by other users" in done.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(entry_names())
