"""What derives from the settings table: validation, configure's flags and their help,
doctor's per-key report."""

from __future__ import annotations

from pathlib import Path

import pytest

from cognito_credproc.config import load_profile, section_problems
from cognito_credproc.errors import ConfigError
from cognito_credproc.settings import SETTINGS, Invalid, boolean, url

from .conftest import Workspace
from .test_config import GOOD  # the smallest valid section


def test_every_setting_has_help_and_every_flag_shows_it(ws: Workspace) -> None:
    done = ws.run("configure", "--help", env={"COLUMNS": "1000"})  # no wrapping
    assert done.returncode == 0, done.stderr
    flat = " ".join(done.stdout.split())
    for setting in SETTINGS:
        assert setting.help, setting.name
        if setting.flag and setting.parse is boolean:  # an on/off pair, no value
            off = setting.option.replace("--", "--no-", 1)
            assert f"{setting.option}, {off} {setting.help}" in flat, setting.name
        elif setting.flag:
            assert f"{setting.option} VALUE {setting.help}" in flat, setting.name
        else:
            assert f"{setting.option} VALUE" not in flat, setting.name  # never from argv
    # required, unless its help names where it is not
    assert "--user-pool-id VALUE the user pool, <region>_<id> (required)" in flat
    assert "is checked against who signed in (required otherwise)" in flat


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("https://cognito-idp.eu-west-1.amazonaws.com", True),
        ("http://127.0.0.1:5000", True),
        ("http://[::1]:5000/path", True),
        ("http://localhost:65535", True),
        ("http://local host:5000", False),
        ("http://127.0.0.1:99999", False),
        ("http://127.0.0.1:0", False),
        ("localhost:9229", False),
        ("ftp://example.com", False),
        ("https://", False),
    ],
)
def test_endpoint_url_parser(value: str, accepted: bool) -> None:
    if accepted:
        assert url(value) == value
    else:
        with pytest.raises(Invalid):
            url(value)


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("endpoint_url = http://127.0.0.1:99999", "port outside 1 to 65535"),
        ("endpoint_url = http://a b:5000", "is not an http"),
        ("refresh_margin = 43201", "out of range"),
        ("duration_seconds = 899", "out of range"),
        ("early_refresh = soon", "whole number"),
        ("unauthenticated = maybe", "true or false"),
        ("flow = classic", "enhanced, basic"),
        ("token_storage = vault", "file, keyring"),
        ("account_id = 12345", "12-digit"),
        ("role_session_name = x", "2 to 64"),
    ],
)
def test_each_kind_of_bad_value_names_the_key(tmp_path: Path, line: str, needle: str) -> None:
    path = tmp_path / "c.ini"
    path.write_text(GOOD + line + "\n")
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path), "dev", {})
    message = str(caught.value)
    assert caught.value.exit_code == 2
    assert f"[dev] {line.split(' = ')[0]}: " in message and needle in message


def test_an_over_long_value_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "c.ini"
    path.write_text(GOOD + "password_command = " + "x" * 5000 + "\n")
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path), "dev", {})
    assert "longer than 2048 characters" in str(caught.value)
    assert "x" * 100 not in str(caught.value)
    path.write_text(GOOD.replace("alice", "a" * 3000))
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path), "dev", {})
    assert "a" * 100 not in str(caught.value)


def test_a_misspelt_key_gets_a_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "c.ini"
    path.write_text(GOOD + "refresh_margn = 900\n")
    with pytest.raises(ConfigError, match="did you mean refresh_margin"):
        load_profile(str(path), "dev", {})


def test_section_problems_lists_every_bad_key() -> None:
    problems = section_problems(
        {
            "user_pool_id": "nope",
            "identity_pool_id": "eu-west-1:11111111-2222-3333-4444-555555555555",
            "lock_timeout": "0",
            "colour": "blue",
        }
    )
    keys = sorted(key for key, _ in problems)
    assert keys == ["app_client_id", "colour", "lock_timeout", "user_pool_id", "username"]


def test_doctor_reports_every_bad_key_at_once(ws: Workspace) -> None:
    ws.write_config(GOOD.replace("alice", "a" * 200) + "lock_timeout = 0\nregion = Mars\n")
    done = ws.run("doctor", "--profile", "dev")
    assert done.returncode == 1
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    assert [line.split("] ")[1].split(":")[0] for line in failed] == [
        "username",
        "region",
        "lock_timeout",
    ]


@pytest.mark.parametrize(
    ("lines", "key"),
    [
        (
            "flow = basic\nrole_arn = arn:aws:iam::123456789012:role/R\nduration_seconds = 900\n",
            "duration_seconds",
        ),
        ("refresh_margin = 3600\n", "refresh_margin"),
        (
            "flow = basic\nrole_arn = arn:aws:iam::123456789012:role/R\nrefresh_margin = 3600\n",
            "duration_seconds",
        ),
    ],
)
def test_credentials_must_outlive_the_refresh_margin(tmp_path: Path, lines: str, key: str) -> None:
    path = tmp_path / "c.ini"
    path.write_text(GOOD + lines)
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path), "dev", {})
    assert f"[dev] {key}: " in str(caught.value)
    assert "renewed on every run" in str(caught.value)


def test_a_long_basic_session_may_have_a_large_margin(tmp_path: Path) -> None:
    path = tmp_path / "c.ini"
    path.write_text(
        GOOD + "flow = basic\nrole_arn = arn:aws:iam::123456789012:role/R\n"
        "duration_seconds = 7200\nrefresh_margin = 3600\n"
    )
    assert load_profile(str(path), "dev", {}).refresh_margin == 3600


def test_secret_hash_is_registered_for_redaction() -> None:
    from cognito_credproc.aws import Clients
    from cognito_credproc.config import profile_from_section
    from cognito_credproc.prompt import NoTerminal
    from cognito_credproc.redact import redact
    from cognito_credproc.signin import method_for
    from cognito_credproc.signin.api import ApiSignIn

    section = {
        "user_pool_id": "us-east-1_Pool1",
        "app_client_id": "client1",
        "identity_pool_id": "us-east-1:00000000-0000-0000-0000-000000000001",
        "username": "alice",
        "app_client_secret": "a-client-secret-of-some-length",
    }
    profile = profile_from_section("t.ini", "dev", section, {})
    method = method_for(profile, Clients(profile), NoTerminal("dev"))
    assert isinstance(method, ApiSignIn)
    params = method.with_secret_hash({}, "alice")
    echoed = f"the service echoed SECRET_HASH={params['SECRET_HASH']}"
    assert params["SECRET_HASH"] not in redact(echoed)
