"""What the tool says about settings and cache locations: the file's own ownership and
mode matter in a shared sticky directory such as /tmp, a shared directory is never to
be changed, a missing file is reported as missing first, and every message names the
profile and the next step."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cognito_credproc import safepath
from cognito_credproc.config import load_profile
from cognito_credproc.errors import ConfigError

from .conftest import Workspace

GOOD = """[dev]
user_pool_id = us-east-1_AbCdEf123
app_client_id = client123
identity_pool_id = us-east-1:11111111-2222-3333-4444-555555555555
username = alice
"""
SOMEONE = 65534  # the uid the tool pretends to run as in the in-process cases


@pytest.fixture
def in_tmp() -> Iterator[Path]:
    """A settings file directly in the system's sticky /tmp."""
    if not (os.stat("/tmp").st_mode & 0o1000):
        pytest.skip("/tmp is not a sticky directory here")
    fd, name = tempfile.mkstemp(dir="/tmp", suffix=".ini")
    os.write(fd, GOOD.encode())
    os.close(fd)
    try:
        yield Path(name)
    finally:
        os.unlink(name)


def test_settings_in_sticky_tmp_are_judged_by_the_file_itself(ws: Workspace, in_tmp: Path) -> None:
    done = ws.run("status", "--profile", "dev", "--config", str(in_tmp))
    assert done.returncode == 0, done.stderr
    assert "chmod go-w /tmp\n" not in done.stderr
    in_tmp.chmod(0o666)
    unsafe = ws.run("status", "--profile", "dev", "--config", str(in_tmp))
    assert unsafe.returncode == 2
    assert f"config file {in_tmp} is writable by other users" in unsafe.stderr
    assert f"next: chmod go-w {in_tmp}\n" in unsafe.stderr


def test_a_missing_file_in_tmp_is_reported_as_missing(ws: Workspace) -> None:
    done = ws.run("--profile", "dev", "--config", "/tmp/no-such-dir-for-this/config.ini")
    assert done.returncode == 2
    assert "does not exist" in done.stderr and "writable" not in done.stderr
    missing = ws.run("--profile", "dev", "--config", "/tmp/no-such-cognito-credproc.ini")
    assert "does not exist" in missing.stderr and "chmod" not in missing.stderr


def test_an_unprivileged_user_is_never_told_to_chmod_a_shared_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, in_tmp: Path
) -> None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root to give files to another user")
    monkeypatch.setattr(safepath, "_UID", SOMEONE)
    os.chown(in_tmp, SOMEONE, SOMEONE)
    in_tmp.chmod(0o600)
    assert load_profile(str(in_tmp), "dev", {}).username == "alice"  # their own, in /tmp
    shared = tmp_path / "shared"  # root's, writable by all, not sticky
    shared.mkdir()
    shared.chmod(0o777)
    settings = shared / "config.ini"
    settings.write_text(GOOD)
    os.chown(settings, SOMEONE, SOMEONE)
    with pytest.raises(ConfigError) as refused:
        load_profile(str(settings), "dev", {})
    text = str(refused.value)
    assert "is writable by other users" in text
    assert "chmod" not in text and "directory of your own" in text


@pytest.mark.parametrize(
    ("case", "needle", "step"),
    [
        ("directory", "is a directory", "next: point --config"),
        ("no section", "comes before any [section] header", "next: start the file with"),
        ("duplicate key", "sets username in [dev] a second time", "next: keep one"),
        ("cache file", "is not a directory", "next: remove or rename it"),
    ],
)
def test_messages_name_the_profile_and_the_next_step(
    ws: Workspace, case: str, needle: str, step: str
) -> None:
    args = ["--profile", "dev"]
    env: dict[str, str] = {}
    ws.write_config(GOOD)
    if case == "directory":
        args += ["--config", str(ws.root)]
    elif case == "no section":
        ws.write_config("username = alice\n" + GOOD)
    elif case == "duplicate key":
        ws.write_config(GOOD + "username = bob\n")
    else:
        (ws.root / "afile").write_text("")
        env = {"COGNITO_CREDPROC_CACHE_DIR": str(ws.root / "afile" / "cache")}
        args = ["status", *args]
    done = ws.run(*args, env=env)
    assert done.returncode in (1, 2)
    assert done.stderr.startswith("cognito-credproc: profile dev: "), done.stderr
    assert needle in done.stderr and step in done.stderr
    assert "File contains no section headers" not in done.stderr


def test_status_all_says_when_the_cache_directory_is_unusable(ws: Workspace) -> None:
    ws.write_config(GOOD)
    real = ws.root / "real-cache"
    real.mkdir(mode=0o700)
    ws.cache.symlink_to(real)
    done = ws.run("status", "--all")
    assert done.returncode == 1
    assert "unusable" in done.stdout
    assert f"cache directory {ws.cache} is a symbolic link" in done.stderr
    as_json = ws.run("status", "--all", "--json")
    assert as_json.returncode == 1
    assert "symbolic link" in as_json.stdout  # cache_error in the JSON
