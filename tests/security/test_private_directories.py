"""Attack: under umask 000 the directories the tool creates above its cache and
settings came out 0777, so another user could rename things in them (the race of
the settings swap) or plant files. Every directory it creates is 0700."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ..conftest import Cognito, Workspace, run_python
from .conftest import as_attacker

pytestmark = pytest.mark.integration


def under_umask_000(args: list[str], env: dict[str, str]) -> str:
    code = (
        "import os, sys; os.umask(0)\n"
        "from cognito_credproc.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    done = run_python(["-c", code, *args], env)
    assert done.returncode == 0, done.stderr
    return done.stderr


def modes(top: Path, leaf: Path) -> dict[str, int]:
    found = {}
    path = leaf
    while path != top:
        found[str(path.relative_to(top))] = stat.S_IMODE(path.stat().st_mode)
        path = path.parent
    return found


def test_umask_000_leaves_no_created_cache_parent_open_to_others(
    ws: Workspace, cognito: Cognito, shared_tmp: Path
) -> None:
    cache = shared_tmp / "made" / "by" / "the-tool" / "cache"
    ws.write_config(cognito.profile_section("dev"))
    env = {
        **ws.env,
        "COGNITO_CREDPROC_CACHE_DIR": str(cache),
        "COGNITO_CREDPROC_PASSWORD": cognito.password,
    }
    under_umask_000(["--profile", "dev"], env)
    assert modes(shared_tmp, cache) == {
        "made": 0o700,
        "made/by": 0o700,
        "made/by/the-tool": 0o700,
        "made/by/the-tool/cache": 0o700,
    }
    # and another user can plant nothing there
    planted = as_attacker("mkdir made/by/the-tool/swap", cwd=shared_tmp)
    assert planted.returncode != 0
    assert not (cache.parent / "swap").exists()


def test_umask_000_leaves_no_created_settings_parent_open_to_others(
    ws: Workspace, cognito: Cognito, shared_tmp: Path
) -> None:
    settings = shared_tmp / "config-home" / "cognito-credproc" / "config.ini"
    aws_config = shared_tmp / "home" / ".aws" / "config"
    env = {**ws.env, "COGNITO_CREDPROC_CONFIG": str(settings), "AWS_CONFIG_FILE": str(aws_config)}
    under_umask_000(
        cognito.configure_args("--no-validate"),
        env,
    )
    assert modes(shared_tmp, settings.parent) == {
        "config-home": 0o700,
        "config-home/cognito-credproc": 0o700,
    }
    assert modes(shared_tmp, aws_config.parent) == {"home": 0o700, "home/.aws": 0o700}
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600
    planted = as_attacker("mkdir config-home/swap", cwd=shared_tmp)
    assert planted.returncode != 0
