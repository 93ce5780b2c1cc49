"""Files that another user could plant, read or swap are refused, with the fix named."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ..conftest import Cognito, Workspace, run_python

pytestmark = pytest.mark.integration
NOBODY = 65534


def as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def test_cache_files_are_private_under_umask_000(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    env = {**ws.env, "COGNITO_CREDPROC_PASSWORD": cognito.password}
    done = run_python(
        [
            "-c",
            "import os, sys; os.umask(0)\n"
            "from cognito_credproc.cli import main; sys.exit(main(['--profile', 'dev']))",
        ],
        env,
    )
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(ws.cache.stat().st_mode) == 0o700
    for path in ws.cache.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


@pytest.mark.parametrize("problem", ["symlink", "group-writable", "world-writable", "other-owner"])
def test_unsafe_cache_directory_is_refused(ws: Workspace, cognito: Cognito, problem: str) -> None:
    ws.write_config(cognito.profile_section("dev"))
    real = ws.root / "real-cache"
    real.mkdir(mode=0o700)
    if problem == "symlink":
        ws.cache.symlink_to(real)
        fix = "symbolic link"
    else:
        ws.cache.mkdir(mode=0o700)
        if problem == "other-owner":
            if not as_root():
                pytest.skip("needs root to give the directory to another user")
            os.chown(ws.cache, NOBODY, NOBODY)
            fix = "belongs to another user"
        else:
            ws.cache.chmod(0o770 if problem == "group-writable" else 0o777)
            fix = "chmod 700"
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 1
    assert fix in done.stderr
    assert list(real.iterdir()) == []
    assert cognito.sign_ins() == 0  # refused before any call


@pytest.mark.parametrize(
    "problem", ["dir-symlink", "dir-group-writable", "file-world-writable", "file-other-owner"]
)
def test_unsafe_config_location_is_refused(ws: Workspace, cognito: Cognito, problem: str) -> None:
    real = ws.root / "settings"
    real.mkdir(mode=0o700)
    config = real / "config.ini"
    config.write_text(cognito.profile_section("dev"))
    path: Path = config
    if problem == "dir-symlink":
        (ws.root / "linked").symlink_to(real)
        path = ws.root / "linked" / "config.ini"
        fix = "symbolic link"
    elif problem == "dir-group-writable":
        real.chmod(0o770)
        fix = "chmod go-w"
    elif problem == "file-world-writable":
        config.chmod(0o666)
        fix = "chmod go-w"
    else:
        if not as_root():
            pytest.skip("needs root to give the file to another user")
        os.chown(config, NOBODY, NOBODY)
        fix = "belongs to another user"
    done = ws.run(
        "--config",
        str(path),
        "--profile",
        "dev",
        env={"COGNITO_CREDPROC_PASSWORD": cognito.password},
    )
    assert done.returncode == 2
    assert fix in done.stderr
    assert cognito.sign_ins() == 0
