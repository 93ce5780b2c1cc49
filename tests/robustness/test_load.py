"""Load: a hundred processes on a cold cache, a thousand cache hits."""

from __future__ import annotations

import io
import os
from contextlib import redirect_stdout

import pytest

from cognito_credproc.cli import main

from ..conftest import Cognito, Workspace, parse_output, run_together

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_hundred_processes_on_a_cold_cache_sign_in_once(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev", lock_timeout="120"))
    results = run_together(
        ws, 100, {"COGNITO_CREDPROC_PASSWORD": cognito.password}, "--profile", "dev"
    )
    assert [r.stderr for r in results if r.returncode != 0] == []
    assert len({r.stdout for r in results}) == 1
    parse_output(results[0].stdout)
    assert cognito.sign_ins() == 1
    assert cognito.calls["GetId"] == 1
    assert cognito.calls["GetCredentialsForIdentity"] == 1


def open_targets() -> list[str]:
    """What this process's open descriptors point at."""
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue  # the listing's own descriptor, closed by now
    return targets


def test_a_thousand_cache_hits_leave_nothing_behind(
    ws: Workspace, cognito: Cognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.write_config(cognito.profile_section("dev"))
    first = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert first.returncode == 0
    for name in ("COGNITO_CREDPROC_CONFIG", "COGNITO_CREDPROC_CACHE_DIR"):
        monkeypatch.setenv(name, ws.env[name])
    monkeypatch.delenv("COGNITO_CREDPROC_PASSWORD", raising=False)

    def snapshot() -> dict[str, tuple[int, float]]:
        return {p.name: (p.stat().st_size, p.stat().st_mtime) for p in ws.cache.iterdir()}

    before_files = snapshot()
    before_fds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    for _ in range(1000):
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            assert main(["--profile", "dev"]) == 0
        assert buffer.getvalue() == first.stdout
    assert snapshot() == before_files
    if before_fds is not None:
        # Not an exact count: the in-process server may close an idle connection of an
        # earlier test meanwhile. A leak here would be a thousand descriptors, or one left
        # on the tool's files.
        assert len(os.listdir("/proc/self/fd")) <= before_fds
        assert not [t for t in open_targets() if t.startswith(str(ws.root))]
    assert cognito.calls["GetCredentialsForIdentity"] == 1
