"""Processes killed at any moment: the cache holds the old state or the new one, never a
torn file, and a dead lock holder never blocks anyone."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cognito_credproc.cache import FileCache
from cognito_credproc.config import load_profile
from cognito_credproc.store import Store

from ..conftest import (
    Cognito,
    Workspace,
    age_cached_tokens,
    expire_cached_credentials,
    parse_output,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
KILLS = 60


def check_cache_is_whole(ws: Workspace) -> None:
    profile = load_profile(str(ws.config), "dev", {})
    for path in ws.cache.glob("*.json"):
        if path.name.startswith(".tmp-"):
            continue  # a killed writer's temp file: never read, swept later
        json.loads(path.read_bytes())  # raises on a torn file
    store = Store(profile, FileCache(str(ws.cache)))
    for key, loader in (
        (profile.credentials_key, store.credentials),
        (profile.signin_key, store.tokens),
    ):
        if (ws.cache / f"{key}.json").exists():
            assert loader() is not None, f"{key} is not a valid entry"


def test_sigkill_at_random_moments_of_a_refresh(ws: Workspace, cognito: Cognito) -> None:
    rng = random.Random(20261126)
    ws.write_config(cognito.profile_section("dev"))
    env = {**ws.env, "COGNITO_CREDPROC_PASSWORD": cognito.password}
    kills = 0
    round_number = 0
    while kills < KILLS:
        round_number += 1
        assert round_number <= 4 * KILLS, "the helper kept finishing before the kill"
        scenario = round_number % 3
        expire_cached_credentials(ws)  # every run has work to do
        if scenario == 0:
            for path in ws.cache.glob("*.json"):
                path.unlink()  # cold: sign-in, identity, credentials
        elif scenario == 2:
            age_cached_tokens(ws, 10)  # refresh-token path
        proc = subprocess.Popen(
            [sys.executable, "-m", "cognito_credproc", "--profile", "dev"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.02, 0.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=60)
        check_cache_is_whole(ws)
        if round_number % 10 == 0:
            done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
            assert done.returncode == 0, done.stderr
            parse_output(done.stdout)
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr


def hold_lock(lock_path: Path) -> subprocess.Popen[str]:
    """Another process that takes the lock and keeps it until it is killed."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import filelock, time\n"
            f"lock = filelock.FileLock({str(lock_path)!r}); lock.acquire()\n"
            "print('held', flush=True); time.sleep(600)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_dead_lock_holder_blocks_nobody(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev", lock_timeout="30"))
    profile = load_profile(str(ws.config), "dev", {})
    ws.cache.mkdir(mode=0o700)
    lock_path = ws.cache / f"{profile.lock_key}.lock"
    holder = hold_lock(lock_path)
    holder.kill()
    holder.communicate()
    started = time.monotonic()
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 10  # the OS released the lock with the process


def test_a_hung_lock_holder_times_out_naming_the_profile(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev", lock_timeout="2"))
    profile = load_profile(str(ws.config), "dev", {})
    ws.cache.mkdir(mode=0o700)
    lock_path = ws.cache / f"{profile.lock_key}.lock"
    holder = hold_lock(lock_path)
    try:
        started = time.monotonic()
        done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
        assert 1.5 < time.monotonic() - started < 15
    finally:
        holder.kill()
        holder.communicate()
    assert done.returncode == 1
    assert "profile dev" in done.stderr and "held the lock" in done.stderr


def test_stale_temp_files_of_killed_writers_are_swept(ws: Workspace, cognito: Cognito) -> None:
    import os

    ws.write_config(cognito.profile_section("dev"))
    ws.cache.mkdir(mode=0o700)
    stale = ws.cache / ".tmp-dead-writer.json"
    stale.write_text('{"half')
    fresh = ws.cache / ".tmp-live-writer.json"
    fresh.write_text('{"in progress')
    old = time.time() - 3600
    os.utime(stale, (old, old))
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    assert not stale.exists()
    assert fresh.exists()  # possibly another process's write in progress: left alone
