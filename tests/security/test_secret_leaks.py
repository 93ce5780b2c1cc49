"""Attacks on secrets at rest and in child processes: a client secret written into a
settings file others can read, and the password handed to commands that do not need it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ..conftest import Cognito, Workspace
from .conftest import as_attacker

pytestmark = pytest.mark.integration


def configure_args(cognito: Cognito) -> list[str]:
    return [
        "configure",
        "--profile",
        "dev",
        "--user-pool-id",
        cognito.user_pool_id,
        "--app-client-id",
        cognito.client_id,
        "--identity-pool-id",
        cognito.identity_pool_id,
        "--username",
        cognito.username,
        "--endpoint-url",
        cognito.endpoint,
        "--app-client-secret-stdin",
    ]


def test_client_secret_never_lands_in_a_file_others_can_read(
    ws: Workspace, cognito_secret: Cognito, shared_tmp: Path
) -> None:
    assert cognito_secret.client_secret
    settings = shared_tmp / "settings" / "config.ini"
    settings.parent.mkdir(mode=0o755)
    settings.write_text("[other]\nidentity_pool_id = us-east-1:1\nunauthenticated = true\n")
    settings.chmod(0o644)  # an existing file, readable by all
    env = {"COGNITO_CREDPROC_CONFIG": str(settings)}
    done = ws.run(*configure_args(cognito_secret), env=env, stdin=cognito_secret.client_secret)
    assert done.returncode == 0, done.stderr
    assert cognito_secret.client_secret in settings.read_text()
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600
    peek = as_attacker(f"cat {settings}")
    assert peek.returncode != 0 and cognito_secret.client_secret not in peek.stdout
