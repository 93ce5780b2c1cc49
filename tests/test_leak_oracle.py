"""The leak oracle (every secret the fakes handed out) knows each kind of secret the
product handles, as the value the product actually received, and the suite-wide check
catches it in any output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cognito_credproc.cache import FileCache
from cognito_credproc.config import profile_from_section
from cognito_credproc.prompt import NoTerminal
from cognito_credproc.provider import Provider

from .conftest import (
    REGION,
    Cognito,
    Workspace,
    check_no_secrets,
    grant_role,
    known_secrets,
    parse_output,
)
from .fakes import SECTION, Clock, FakeClients

pytestmark = pytest.mark.integration

ROLE = "arn:aws:iam::210987654321:role/Basic"


def enhanced(ws: Workspace, cognito: Cognito) -> dict[str, str]:
    """Secrets of one enhanced-flow run, as the helper received them."""
    ws.write_config(cognito.profile_section("dev"))
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    creds = parse_output(done.stdout)
    entry = json.loads(next(ws.cache.glob("signin-*.json")).read_text())
    return {
        "password": cognito.password,
        "id_token": entry["id_token"],
        "access_token": entry["access_token"],
        "refresh_token": entry["refresh_token"],
        "secret_key": creds["SecretAccessKey"],
        "session_token": creds["SessionToken"],
    }


def basic(ws: Workspace, cognito: Cognito) -> dict[str, str]:
    """STS credentials of one basic-flow run, and an OpenID token for the same login."""
    grant_role(cognito, ROLE)
    ws.write_config(cognito.profile_section("dev", flow="basic", role_arn=ROLE))
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    creds = parse_output(done.stdout)
    entry = json.loads(next(ws.cache.glob("signin-*.json")).read_text())
    identity = json.loads(next(ws.cache.glob("identity-*.json")).read_text())["identity_id"]
    provider = f"cognito-idp.{REGION}.amazonaws.com/{cognito.user_pool_id}"
    token = cognito.identity.get_open_id_token(
        IdentityId=identity, Logins={provider: entry["id_token"]}
    )["Token"]
    return {
        "sts_secret_key": creds["SecretAccessKey"],
        "sts_session_token": creds["SessionToken"],
        "openid_token": token,
    }


KINDS: dict[str, Callable[[Workspace, Cognito], dict[str, str]]] = {
    "password": enhanced,
    "id_token": enhanced,
    "access_token": enhanced,
    "refresh_token": enhanced,
    "secret_key": enhanced,
    "session_token": enhanced,
    "sts_secret_key": basic,
    "sts_session_token": basic,
    "openid_token": basic,
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_oracle_knows_and_catches_each_kind(ws: Workspace, cognito: Cognito, kind: str) -> None:
    value = KINDS[kind](ws, cognito)[kind]
    assert value in known_secrets()
    with pytest.raises(AssertionError, match="leaked"):
        check_no_secrets(f"cognito-credproc: profile dev: something went wrong ({value})")
    check_no_secrets("cognito-credproc: profile dev: something went wrong")


def test_the_oracle_knows_the_app_client_secret(ws: Workspace, cognito_secret: Cognito) -> None:
    assert cognito_secret.client_secret in known_secrets()
    with pytest.raises(AssertionError, match="leaked"):
        check_no_secrets(f"secret={cognito_secret.client_secret}")


def test_the_oracle_knows_what_the_in_process_fakes_hand_out(tmp_path: Path) -> None:
    clock = Clock()
    profile = profile_from_section("t.ini", "dev", SECTION, {})
    provider = Provider(
        profile,
        FileCache(str(tmp_path)),
        now=clock,
        interaction=NoTerminal("dev"),
        clients=FakeClients(clock),  # type: ignore[arg-type]
        environ={"COGNITO_CREDPROC_PASSWORD": "pw"},
    )
    creds = provider.credentials()
    tokens = provider.store.tokens()
    assert tokens is not None and tokens.refresh_token
    for value in (
        creds.secret_access_key,
        creds.session_token,
        tokens.id_token,
        tokens.refresh_token,
    ):
        assert value in known_secrets()
