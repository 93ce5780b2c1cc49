"""Which name goes where in SRP: the math uses USER_ID_FOR_SRP, the answer's USERNAME
(and SECRET_HASH, and every later challenge) uses the challenge's USERNAME.

Cognito puts the username in both for plain-username pools and the sub in both for
email-as-username pools; moto puts the sub in USER_ID_FOR_SRP only. The strict fixture
plays each convention, and stock moto is run unmodified in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import boto3
import pytest

from .conftest import (
    PASSWORD,
    TEST_CONFIG,
    Cognito,
    Workspace,
    age_cached_tokens,
    create_identity_pool,
    parse_output,
    provision,
)
from .strict_cognito import BEHAVIOUR

pytestmark = pytest.mark.integration


def _sign_in_twice(ws: Workspace, cognito: Cognito, login_name: str) -> None:
    """Sign in with SRP, then renew through the refresh token (SECRET_HASH again)."""
    ws.write_config(cognito.profile_section("dev", username=login_name))
    env = {"COGNITO_CREDPROC_PASSWORD": cognito.password}
    first = ws.run("--profile", "dev", env=env)
    assert first.returncode == 0, first.stderr
    parse_output(first.stdout)
    assert cognito.calls["RespondToAuthChallenge:PASSWORD_VERIFIER"] == 1
    # Expired tokens, no password: the refresh token (and its SECRET_HASH) must do.
    age_cached_tokens(ws, 10)
    for path in ws.cache.glob("credentials-*.json"):
        path.unlink()
    second = ws.run("--profile", "dev")
    assert second.returncode == 0, second.stderr
    assert cognito.calls["InitiateAuth:REFRESH_TOKEN_AUTH"] == 1
    assert cognito.calls["GetTokensFromRefreshToken"] == 0  # accepted, no fall-through
    assert cognito.calls["RespondToAuthChallenge:PASSWORD_VERIFIER"] == 1


@pytest.mark.parametrize("secret", [False, True], ids=["no-secret", "client-secret"])
def test_user_id_for_srp_is_the_sub_as_moto_sends_it(
    ws: Workspace, moto_endpoint: str, secret: bool
) -> None:
    cognito = provision(moto_endpoint, secret=secret)
    BEHAVIOUR.srp_user_id = "sub"
    _sign_in_twice(ws, cognito, "alice")


@pytest.mark.parametrize("secret", [False, True], ids=["no-secret", "client-secret"])
def test_user_id_for_srp_is_the_username_as_cognito_sends_it(
    ws: Workspace, moto_endpoint: str, secret: bool
) -> None:
    cognito = provision(moto_endpoint, secret=secret)
    assert BEHAVIOUR.srp_user_id == "username"
    _sign_in_twice(ws, cognito, "alice")


@pytest.mark.parametrize("secret", [False, True], ids=["no-secret", "client-secret"])
def test_email_as_username_pool_signs_in_with_the_email(
    ws: Workspace, moto_endpoint: str, secret: bool
) -> None:
    # Both USERNAME and USER_ID_FOR_SRP are the sub; the person types the address.
    cognito = provision(
        moto_endpoint, secret=secret, email_as_username=True, username="alice@example.com"
    )
    _sign_in_twice(ws, cognito, "alice@example.com")


# -- stock moto, in a child process where nothing is patched ------------------------------

_SERVER = textwrap.dedent(
    """
    import logging, sys
    from moto.server import ThreadedMotoServer
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)
    sys.stdin.read()  # until the test closes our stdin
    server.stop()
    """
)


@pytest.fixture(scope="module")
def stock_moto() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        # moto computes Expiration as a naive UTC time's .timestamp(), which Python reads
        # as local time: east of UTC its credentials arrive already expired. The emulator
        # runs in UTC; the helper keeps the time zone of the test run.
        env={**os.environ, "TZ": "UTC"},
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    try:
        endpoint = proc.stdout.readline().strip()
        assert endpoint.startswith("http://127.0.0.1:"), endpoint
        yield endpoint
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


@pytest.mark.parametrize("secret", [False, True], ids=["no-secret", "client-secret"])
def test_default_srp_flow_against_unmodified_moto(
    ws: Workspace, stock_moto: str, secret: bool
) -> None:
    def client(service: str) -> object:
        return boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=stock_moto,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=TEST_CONFIG,
        )

    idp, identity = client("cognito-idp"), client("cognito-identity")
    pool = idp.create_user_pool(PoolName="stock")["UserPool"]["Id"]  # type: ignore[attr-defined]
    app = idp.create_user_pool_client(  # type: ignore[attr-defined]
        UserPoolId=pool, ClientName="cli", GenerateSecret=secret
    )["UserPoolClient"]
    idp.admin_create_user(  # type: ignore[attr-defined]
        UserPoolId=pool, Username="bob", MessageAction="SUPPRESS"
    )
    idp.admin_set_user_password(  # type: ignore[attr-defined]
        UserPoolId=pool, Username="bob", Password=PASSWORD, Permanent=True
    )
    identity_pool = create_identity_pool(identity, "stock_ids", pool, app["ClientId"])
    lines = [
        "[dev]",
        f"user_pool_id = {pool}",
        f"app_client_id = {app['ClientId']}",
        f"identity_pool_id = {identity_pool}",
        "username = bob",
        f"endpoint_url = {stock_moto}",
        # moto's credentials last 90 s: reuse them while more than 60 s remain
        "refresh_margin = 60",
    ]
    if secret:
        lines.append(f"app_client_secret = {app['ClientSecret']}")
    ws.write_config("\n".join(lines) + "\n")
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": PASSWORD})
    assert done.returncode == 0, done.stderr
    data = parse_output(done.stdout)
    assert data["AccessKeyId"]
    # The tokens came from SRP (the default flow), and refresh works on them too.
    status = ws.run("token", "--profile", "dev")
    assert status.returncode == 0, status.stderr
    assert status.stdout.count(".") == 2
