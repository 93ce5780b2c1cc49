"""Settings that Cognito or STS would refuse are caught when the settings are read, with
exit code 2 and a message naming the file, the section and the key: an identity pool id
that is not REGION:UUID in lower-case hex (``us-east-1:-`` passed), a user pool id that
is not of the region the calls go to, a plain-http ``redirect_uri`` on a host Cognito
does not allow, a ``duration_seconds`` beyond STS's 12 hours."""

from __future__ import annotations

from pathlib import Path

import pytest

from cognito_credproc.config import load_profile, section_problems
from cognito_credproc.errors import ConfigError

from ..conftest import Workspace

POOL = "us-east-1_AbCdEf123"
IDENTITY = "us-east-1:11111111-2222-3333-4444-555555555555"
GOOD = {
    "user_pool_id": POOL,
    "app_client_id": "1example23456789",
    "identity_pool_id": IDENTITY,
    "username": "alice",
}


def section(**values: str | None) -> str:
    merged = {**GOOD, **values}
    return "[dev]\n" + "".join(f"{k} = {v}\n" for k, v in merged.items() if v is not None)


def refused(ws: Workspace, text: str, key: str) -> str:
    """The credential_process run refuses the section: exit 2, one message naming the
    file, the section and the key."""
    ws.write_config(text)
    done = ws.run("--profile", "dev")
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert f"{ws.config} [dev] {key}:" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


# identity_pool_id: REGION:UUID, lower-case hex (cognito-identity's IdentityPoolId is
# [\w-]+:[0-9a-f-]+; the service makes them region:uuid4)
BAD_IDENTITY_POOLS = [
    "us-east-1:-",
    "us-east-1:1",
    "us-east-1:----",
    "us-east-1:11111111-2222-3333-4444-55555555555",  # one digit short
    "us-east-1:11111111-2222-3333-4444-5555555555555",  # one too many
    "us-east-1:1111111122223333444455555555555555",  # no dashes
    "us-east-1:11111111-2222-3333-4444-55555555555g",
    "us-east-1:ABCDEF01-2222-3333-4444-555555555555",  # upper case: not the service's
    "us-east-1:11111111-2222-3333-4444-555555555555-6666",
]


@pytest.mark.parametrize("value", BAD_IDENTITY_POOLS)
def test_an_identity_pool_id_that_is_not_region_colon_uuid_is_refused(
    ws: Workspace, value: str
) -> None:
    message = refused(ws, section(identity_pool_id=value), "identity_pool_id")
    assert "<region>:<uuid>" in message or "like us-east-1:" in message


def test_a_guest_profile_checks_the_identity_pool_id_too(ws: Workspace) -> None:
    text = "[dev]\nidentity_pool_id = us-east-1:-\nunauthenticated = true\n"
    refused(ws, text, "identity_pool_id")


def test_a_real_identity_pool_id_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "c.ini"
    path.write_text(section(identity_pool_id="eu-central-1:0a1b2c3d-4e5f-6789-abcd-ef0123456789"))
    profile = load_profile(str(path), "dev", {})
    assert profile.identity_region == "eu-central-1"


def test_configure_refuses_a_malformed_identity_pool_id_before_writing(ws: Workspace) -> None:
    done = ws.run(
        "configure",
        "--profile",
        "dev",
        "--user-pool-id",
        POOL,
        "--app-client-id",
        "1example23456789",
        "--identity-pool-id",
        "us-east-1:-",
        "--username",
        "alice",
        "--no-validate",
    )
    assert done.returncode == 2, done.stderr
    assert "--identity-pool-id" in done.stderr
    assert not ws.config.exists() and not ws.aws_config.exists()


def test_doctor_names_a_malformed_identity_pool_id(ws: Workspace) -> None:
    ws.write_config(section(identity_pool_id="us-east-1:-"))
    done = ws.run("doctor", "--profile", "dev")
    assert done.returncode == 1
    assert "FAIL  settings: [dev] identity_pool_id:" in done.stdout


# user_pool_id: REGION_ID (cognito-idp's UserPoolIdType: [\w-]+_[0-9a-zA-Z]+, at most 55
# characters), in the region the Cognito calls go to


def test_a_user_pool_id_longer_than_the_service_allows_is_refused(ws: Workspace) -> None:
    refused(ws, section(user_pool_id="us-east-1_" + "A" * 46), "user_pool_id")


def test_a_user_pool_of_another_region_than_region_is_refused(ws: Workspace) -> None:
    # Every user pool call goes to `region`; a pool answers only in its own region, so
    # every sign-in would end in "ResourceNotFoundException".
    message = refused(ws, section(region="eu-west-1"), "region")
    assert "user_pool_id" in message and "us-east-1" in message


def test_doctor_names_a_user_pool_of_another_region(ws: Workspace) -> None:
    ws.write_config(section(region="eu-west-1"))
    done = ws.run("doctor", "--profile", "dev")
    assert done.returncode == 1
    assert "FAIL  settings: [dev] region:" in done.stdout


def test_region_may_name_the_user_pools_region(tmp_path: Path) -> None:
    path = tmp_path / "c.ini"
    path.write_text(section(region="us-east-1"))
    assert load_profile(str(path), "dev", {}).region == "us-east-1"


def test_a_guest_profile_may_set_any_region(tmp_path: Path) -> None:
    path = tmp_path / "c.ini"
    path.write_text(f"[dev]\nidentity_pool_id = {IDENTITY}\nunauthenticated = true\n")
    path.write_text(path.read_text() + "region = eu-west-1\n")
    assert load_profile(str(path), "dev", {}).region == "eu-west-1"


# redirect_uri: "Amazon Cognito requires HTTPS over HTTP except for callback URLs to
# http://localhost, http://127.0.0.1 and http://[::1]" (CreateUserPoolClient,
# CallbackURLs, in the botocore 1.44 model); the tool listens there, so plain http on
# exactly those hosts

BROWSER = {
    "auth_flow": "BROWSER",
    "login_domain": "https://myapp.auth.us-east-1.amazoncognito.com",
    "username": None,
}


@pytest.mark.parametrize(
    "uri",
    [
        "http://localhost:8400/callback",
        "http://127.0.0.1:8400/callback",
        "http://[::1]:8400/callback",
        "http://localhost/callback",
    ],
)
def test_redirect_uri_on_a_loopback_host_cognito_allows_is_accepted(
    tmp_path: Path, uri: str
) -> None:
    path = tmp_path / "c.ini"
    path.write_text(section(**BROWSER, redirect_uri=uri))
    assert load_profile(str(path), "dev", {}).redirect_uri == uri


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.2:8400/callback",  # loopback, but not a host Cognito allows
        "http://0.0.0.0:8400/callback",
        "http://192.168.1.20:8400/callback",
        "http://localhost.example.com:8400/callback",
        "http://[::ffff:127.0.0.1]:8400/callback",
        "http://localhost:8400/callback#fragment",
        "https://localhost:8400/callback",  # the tool's listener speaks plain http
        "http://localhost:0/callback",
    ],
)
def test_redirect_uri_elsewhere_is_refused(ws: Workspace, uri: str) -> None:
    refused(ws, section(**BROWSER, redirect_uri=uri), "redirect_uri")


# duration_seconds: STS's DurationSeconds is 900 to 43200


@pytest.mark.parametrize("value", ["43201", "86400", "899", "0"])
def test_duration_seconds_outside_what_sts_takes_is_refused(ws: Workspace, value: str) -> None:
    basic = {"flow": "basic", "role_arn": "arn:aws:iam::123456789012:role/R"}
    message = refused(ws, section(**basic, duration_seconds=value), "duration_seconds")
    assert "900 to 43200" in message


def test_duration_seconds_of_twelve_hours_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "c.ini"
    basic = {"flow": "basic", "role_arn": "arn:aws:iam::123456789012:role/R"}
    path.write_text(section(**basic, duration_seconds="43200"))
    assert load_profile(str(path), "dev", {}).duration_seconds == 43200


def test_every_refusal_is_listed_by_section_problems() -> None:
    problems = dict(
        section_problems({**GOOD, "identity_pool_id": "us-east-1:-", "region": "eu-west-1"})
    )
    assert set(problems) == {"identity_pool_id", "region"}


def test_the_error_is_a_settings_error(tmp_path: Path) -> None:
    path = tmp_path / "c.ini"
    path.write_text(section(identity_pool_id="us-east-1:-"))
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path), "dev", {})
    assert caught.value.exit_code == 2
