"""Identity-pool flows: the basic (classic) flow through STS, guest identities, AccountId."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from cognito_credproc.config import load_profile
from cognito_credproc.errors import ConfigError

from .conftest import Cognito, Workspace, grant_role, parse_output, provision, run_python
from .strict_cognito import BEHAVIOUR
from .test_real_clients import write_aws_config

pytestmark = pytest.mark.integration

ROLE = "arn:aws:iam::210987654321:role/LongJobs"


@pytest.fixture
def cognito(moto_endpoint: str) -> Cognito:
    """The pools and user, and the role the basic flow assumes: sessions up to 12 hours."""
    pool = provision(moto_endpoint)
    grant_role(pool, ROLE, max_session_seconds=43200)
    return pool


def expires_in(data: dict[str, object]) -> float:
    stamp = datetime.strptime(str(data["Expiration"]), "%Y-%m-%dT%H:%M:%SZ")
    return stamp.replace(tzinfo=timezone.utc).timestamp() - time.time()


@pytest.mark.floor
def test_basic_flow_gives_twelve_hour_credentials(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(
        cognito.profile_section("dev", flow="basic", role_arn=ROLE, duration_seconds="43200")
    )
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    data = parse_output(done.stdout)
    assert 43000 < expires_in(data) <= 43200
    assert data["AccountId"] == "210987654321"  # from the role ARN
    assert BEHAVIOUR.calls["GetOpenIdToken"] == 1
    assert BEHAVIOUR.calls["GetCredentialsForIdentity"] == 0


def test_aws_cli_reads_a_basic_flow_credential_and_reuses_it(
    ws: Workspace, cognito: Cognito
) -> None:
    ws.write_config(
        cognito.profile_section("dev", flow="basic", role_arn=ROLE, duration_seconds="43200")
    )
    write_aws_config(ws, cognito)
    env = {**ws.env, "COGNITO_CREDPROC_PASSWORD": cognito.password, "AWS_PROFILE": "dev"}
    for _ in range(2):
        done = run_python(["-m", "awscli", "sts", "get-caller-identity"], env)
        assert done.returncode == 0, done.stderr
    assert BEHAVIOUR.calls["GetOpenIdToken"] == 1  # the second command was a cache hit
    assert cognito.sign_ins() == 1


def test_reuse_margin_applies_to_basic_flow(ws: Workspace, cognito: Cognito) -> None:
    # 900-second sessions arrive inside the 15-minute margin: the SDKs would renew them at
    # once and on every request, so the settings are refused before any call...
    ws.write_config(
        cognito.profile_section("dev", flow="basic", role_arn=ROLE, duration_seconds="900")
    )
    env = {"COGNITO_CREDPROC_PASSWORD": cognito.password}
    short = ws.run("--profile", "dev", env=env)
    assert short.returncode == 2 and short.stdout == ""
    assert "duration_seconds: 900 is not above refresh_margin (900)" in short.stderr
    assert cognito.sign_ins() == 0 and BEHAVIOUR.calls["GetOpenIdToken"] == 0
    # ...and with a margin smaller than what is left the cached ones are reused.
    ws.write_config(
        cognito.profile_section(
            "dev", flow="basic", role_arn=ROLE, duration_seconds="900", refresh_margin="300"
        )
    )
    assert ws.run("--profile", "dev", env=env).returncode == 0
    assert ws.run("--profile", "dev", env=env).returncode == 0
    assert BEHAVIOUR.calls["GetOpenIdToken"] == 1


def test_role_session_name_default_and_override(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev", flow="basic", role_arn=ROLE))
    script = (
        "import boto3,sys; print(boto3.Session(profile_name='dev').client('sts')"
        ".get_caller_identity()['Arn'])"
    )
    write_aws_config(ws, cognito)
    env = {**ws.env, "COGNITO_CREDPROC_PASSWORD": cognito.password}
    done = run_python(["-c", script], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("/LongJobs/cognito-credproc-alice")
    ws.write_config(
        cognito.profile_section("dev", flow="basic", role_arn=ROLE, role_session_name="nightly")
    )
    done = run_python(["-c", script], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("/LongJobs/nightly")


def test_switching_flow_never_serves_the_other_flows_credentials(
    ws: Workspace, cognito: Cognito
) -> None:
    env = {"COGNITO_CREDPROC_PASSWORD": cognito.password}
    ws.write_config(cognito.profile_section("dev"))
    enhanced = parse_output(ws.run("--profile", "dev", env=env).stdout)
    ws.write_config(cognito.profile_section("dev", flow="basic", role_arn=ROLE))
    basic = parse_output(ws.run("--profile", "dev", env=env).stdout)
    assert basic["AccessKeyId"] != enhanced["AccessKeyId"]
    assert cognito.sign_ins() == 1  # but the sign-in is shared


def test_guest_identity_signs_in_nobody(ws: Workspace, moto_endpoint: str) -> None:
    cognito = provision(moto_endpoint, allow_unauthenticated=True)
    ws.write_config(
        f"[guest]\nidentity_pool_id = {cognito.identity_pool_id}\n"
        f"unauthenticated = true\nendpoint_url = {cognito.endpoint}\n"
        "account_id = 123456789012\n"
    )
    first = ws.run("--profile", "guest")
    assert first.returncode == 0, first.stderr
    data = parse_output(first.stdout)
    assert data["AccountId"] == "123456789012"
    assert cognito.sign_ins() == 0
    assert BEHAVIOUR.calls["GetId"] == 1
    second = ws.run("--profile", "guest")
    assert second.stdout == first.stdout
    login = ws.run("login", "--profile", "guest")
    assert login.returncode == 2
    assert "profile guest: this profile uses guest (unauthenticated) access" in login.stderr


def test_guest_access_refused_by_the_pool_is_reported(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(
        f"[guest]\nidentity_pool_id = {cognito.identity_pool_id}\n"
        f"unauthenticated = true\nendpoint_url = {cognito.endpoint}\n"
    )
    done = ws.run("--profile", "guest")
    assert done.returncode == 1
    assert "Unauthenticated access is not supported" in done.stderr
    assert done.stderr.endswith(
        f"\n  next: allow unauthenticated identities on identity pool {cognito.identity_pool_id}, "
        f"or remove unauthenticated from [guest] of {ws.config} to sign in\n"
    )


BASE = """[p]
user_pool_id = eu-west-1_AbCdEf123
app_client_id = client
identity_pool_id = eu-west-1:11111111-2222-3333-4444-555555555555
username = alice
"""


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ("flow = basic\n", "role_arn: is required with flow = basic"),
        ("flow = classic\n", "flow"),
        (f"flow = basic\nrole_arn = {ROLE}\nduration_seconds = 899\n", "duration_seconds"),
        (f"flow = basic\nrole_arn = {ROLE}\nduration_seconds = 43201\n", "duration_seconds"),
        ("account_id = 12345\n", "account_id"),
        ("account_id = 12345678901a\n", "account_id"),
        ("role_arn = arn:aws:iam::123456789012:user/alice\n", "role_arn"),
        ("role_arn = arn:aws:s3:::bucket\n", "role_arn"),
        ("unauthenticated = maybe\n", "unauthenticated"),
        ("role_session_name = has space\n", "role_session_name"),
    ],
)
def test_flow_settings_are_validated_at_load_time(tmp_path: Path, extra: str, needle: str) -> None:
    path = tmp_path / "c.ini"
    path.write_text(BASE + extra)
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path), "p", {})
    assert needle in str(caught.value)
    assert caught.value.exit_code == 2


def test_cache_keys_cover_flow_role_duration_and_guest(tmp_path: Path) -> None:
    variants = {
        "enhanced": "",
        "basic": f"flow = basic\nrole_arn = {ROLE}\n",
        "basic-long": f"flow = basic\nrole_arn = {ROLE}\nduration_seconds = 43200\n",
        "role": f"role_arn = {ROLE}\n",
        "guest": "unauthenticated = true\n",
    }
    keys = set()
    for name, extra in variants.items():
        path = tmp_path / f"{name}.ini"
        path.write_text(BASE + extra)
        keys.add(load_profile(str(path), "p", {}).credentials_key)
    assert len(keys) == len(variants)


@pytest.mark.parametrize(
    ("region", "mode", "url"),
    [
        ("eu-west-1", None, "https://sts.eu-west-1.amazonaws.com"),
        ("us-east-1", "regional", "https://sts.us-east-1.amazonaws.com"),
        ("us-east-1", "legacy", "https://sts.amazonaws.com"),
    ],
)
def test_sts_endpoint_follows_the_region_and_sts_regional_endpoints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, region: str, mode: str | None, url: str
) -> None:
    from cognito_credproc.aws import Clients

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_STS", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    if mode:
        monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", mode)
    else:
        monkeypatch.delenv("AWS_STS_REGIONAL_ENDPOINTS", raising=False)
    path = tmp_path / "c.ini"
    path.write_text(
        BASE.replace("eu-west-1_", f"{region}_").replace("eu-west-1:", f"{region}:")
        + f"flow = basic\nrole_arn = {ROLE}\n"
    )
    clients = Clients(load_profile(str(path), "p", {}))
    assert clients.sts.meta.endpoint_url == url
    assert clients.sts.meta.region_name == region


def test_aws_cli_and_boto3_with_a_guest_profile(ws: Workspace, moto_endpoint: str) -> None:
    cognito = provision(moto_endpoint, allow_unauthenticated=True)
    ws.write_config(
        f"[guest]\nidentity_pool_id = {cognito.identity_pool_id}\n"
        f"unauthenticated = true\nendpoint_url = {cognito.endpoint}\n"
    )
    write_aws_config(ws, cognito, profile="guest")
    done = run_python(["-m", "awscli", "sts", "get-caller-identity", "--profile", "guest"], ws.env)
    assert done.returncode == 0, done.stderr
    script = (
        "import boto3; c = boto3.Session(profile_name='guest').get_credentials()"
        ".get_frozen_credentials(); print(c.access_key)"
    )
    via_boto3 = run_python(["-c", script], ws.env)
    assert via_boto3.returncode == 0, via_boto3.stderr
    # temporary keys start ASIA (IAM User Guide, "Unique identifiers")
    assert via_boto3.stdout.strip().startswith("ASIA")
    assert cognito.sign_ins() == 0
    assert BEHAVIOUR.calls["GetCredentialsForIdentity"] == 1  # boto3 reused the cached keys
