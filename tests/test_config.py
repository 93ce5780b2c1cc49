"""Settings: every bad input exits 2 with one message naming the file, section and key."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cognito_credproc.config import load_profile
from cognito_credproc.errors import ConfigError

from .conftest import Workspace, run_python

GOOD = """[dev]
user_pool_id = eu-west-1_AbCdEf123
app_client_id = 1example23456789
identity_pool_id = eu-west-1:11111111-2222-3333-4444-555555555555
username = alice
"""


def test_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.ini"
    path.write_text(GOOD)
    profile = load_profile(str(path), "dev", {})
    assert profile.region == "eu-west-1"
    assert profile.auth_flow == "USER_SRP_AUTH"
    assert profile.refresh_margin == 900
    assert profile.lock_timeout == 60
    assert profile.login_provider == "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"


def test_default_section_is_shared(tmp_path: Path) -> None:
    path = tmp_path / "c.ini"
    path.write_text(
        "[DEFAULT]\nrefresh_margin = 1200\n" + GOOD + "[prod]\n" + GOOD.split("\n", 1)[1]
    )
    assert load_profile(str(path), "dev", {}).refresh_margin == 1200
    assert load_profile(str(path), "prod", {}).refresh_margin == 1200


def test_cache_keys_depend_on_identity_not_on_password_source(tmp_path: Path) -> None:
    path = tmp_path / "c.ini"
    path.write_text(
        GOOD
        + "[other]\n"
        + GOOD.split("\n", 1)[1]
        + "password_command = pass x\n"
        + "[role]\n"
        + GOOD.split("\n", 1)[1]
        + "role_arn = arn:aws:iam::123456789012:role/R\n"
    )
    dev, other, role = (load_profile(str(path), n, {}) for n in ("dev", "other", "role"))
    assert dev.credentials_key == other.credentials_key
    assert dev.signin_key == role.signin_key  # one sign-in serves both
    assert dev.credentials_key != role.credentials_key  # but never each other's credentials
    endpoint = load_profile(str(path), "dev", {"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
    assert endpoint.credentials_key != dev.credentials_key


BAD_CASES: list[tuple[str, str, str]] = [
    (
        "missing user_pool_id",
        GOOD.replace("user_pool_id = eu-west-1_AbCdEf123\n", ""),
        "user_pool_id",
    ),
    ("missing username", GOOD.replace("username = alice\n", ""), "username"),
    (
        "missing identity pool",
        GOOD.replace("identity_pool_id", "#identity_pool_id"),
        "identity_pool_id",
    ),
    ("malformed pool id", GOOD.replace("eu-west-1_AbCdEf123", "AbCdEf123"), "user_pool_id"),
    (
        "malformed identity pool",
        GOOD.replace("eu-west-1:1111", "eu-west-1_1111"),
        "identity_pool_id",
    ),
    ("bad client id", GOOD.replace("1example23456789", "no spaces allowed"), "app_client_id"),
    ("unknown auth flow", GOOD + "auth_flow = CUSTOM_AUTH\n", "auth_flow"),
    ("non-numeric margin", GOOD + "refresh_margin = soon\n", "refresh_margin"),
    ("negative margin", GOOD + "refresh_margin = -5\n", "refresh_margin"),
    ("non-numeric lock timeout", GOOD + "lock_timeout = forever\n", "lock_timeout"),
    ("zero lock timeout", GOOD + "lock_timeout = 0\n", "lock_timeout"),
    ("nan lock timeout", GOOD + "lock_timeout = nan\n", "lock_timeout"),
    ("unknown key", GOOD + "user_pool = x\n", "user_pool"),
    ("empty value", GOOD + "region =\n", "region"),
    ("bad region", GOOD + "region = Europe\n", "region"),
    ("bad endpoint", GOOD + "endpoint_url = localhost:9229\n", "endpoint_url"),
    ("bad role", GOOD + "role_arn = arn:aws:iam::123:user/x\n", "role_arn"),
    ("duplicate key", GOOD + "username = bob\n", "username"),
    ("duplicate section", GOOD + GOOD, "dev"),
    ("no section header", "user_pool_id = x\n", "section"),
    ("huge username", GOOD.replace("alice", "a" * 200), "username"),
]


@pytest.mark.parametrize(
    ("text", "needle"), [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES]
)
def test_bad_settings_raise_config_error(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "c.ini"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path), "dev", {})
    assert caught.value.exit_code == 2
    assert needle in str(caught.value)


def test_missing_file_and_missing_profile(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_profile(str(tmp_path / "nope.ini"), "dev", {})
    path = tmp_path / "c.ini"
    path.write_text(GOOD)
    with pytest.raises(ConfigError, match=r"no section \[prod\].*profiles there: dev"):
        load_profile(str(path), "prod", {})


def run(ws: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    return ws.run(*args)


CLI_CASES = [
    ("unknown option", ["--bogus"], GOOD),
    ("unknown command", ["frobnicate"], GOOD),
    ("missing profile", ["--profile", "prod"], GOOD),
    ("malformed file", ["--profile", "dev"], "[dev\nuser_pool_id = x\n"),
    ("missing key", ["--profile", "dev"], GOOD.replace("username = alice\n", "")),
    ("unknown auth flow", ["--profile", "dev"], GOOD + "auth_flow = MAGIC\n"),
    ("non-numeric", ["--profile", "dev"], GOOD + "lock_timeout = x\n"),
    ("binary file", ["--profile", "dev"], "\udcff"),
]


@pytest.mark.parametrize(
    ("args", "text"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES]
)
def test_cli_exits_2_with_one_message(ws: Workspace, args: list[str], text: str) -> None:
    ws.config.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    ws.cache.mkdir(mode=0o700)
    (ws.cache / "keep.json").write_text('{"version": 1}')
    done = run(ws, *args)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("cognito-credproc: ")
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2
    assert [p.name for p in ws.cache.iterdir()] == ["keep.json"]  # nothing written or lost


def test_missing_config_file_names_the_path_and_next_step(ws: Workspace) -> None:
    done = run(ws, "--profile", "dev")
    assert done.returncode == 2
    assert str(ws.config) in done.stderr
    assert "configure" in done.stderr


def test_config_from_platform_dir_when_nothing_names_it(ws: Workspace) -> None:
    env = {k: v for k, v in ws.env.items() if k != "COGNITO_CREDPROC_CONFIG"}
    done = run_python(["-m", "cognito_credproc"], env)
    assert done.returncode == 2
    assert str(ws.root / "home" / ".config" / "cognito-credproc" / "config.ini") in done.stderr


def test_help_and_version_exit_0(ws: Workspace) -> None:
    from cognito_credproc import __version__

    shown = run(ws, "--help")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("usage: cognito-credproc ")
    assert shown.stderr == ""
    for word in ("login", "logout", "status", "token", "env", "exec", "clear", "configure"):
        assert f"\n    {word} " in shown.stdout, word  # each command, with its one-line help
    for option in ("--profile NAME", "--config PATH", "--debug", "--version"):
        assert option in shown.stdout
    assert "background-refresh" not in shown.stdout  # internal
    login = run(ws, "login", "--help")
    assert login.returncode == 0
    assert login.stdout.startswith("usage: cognito-credproc login ")
    version = run(ws, "--version")
    assert version.returncode == 0
    assert version.stdout == f"cognito-credproc {__version__}\n"


def test_logins_key_renames_the_provider_and_keys_its_own_cache_entries(tmp_path: Path) -> None:
    path = tmp_path / "c.ini"
    name = "issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
    path.write_text(GOOD + "[named]\n" + GOOD.split("\n", 1)[1] + f"logins_key = {name}\n")
    plain, named = load_profile(str(path), "dev", {}), load_profile(str(path), "named", {})
    assert named.login_provider == name
    assert plain.login_provider == "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
    # another provider name may be another identity: its own IdentityId and credentials,
    # the same sign-in; a profile without the key keeps the cache keys it had
    assert named.identity_key != plain.identity_key
    assert named.credentials_key != plain.credentials_key
    assert named.signin_key == plain.signin_key
    assert (plain.identity_key, plain.credentials_key) == (
        "identity-0a27b284ac6936c19165fd20afd1dd12",
        "credentials-f384a383b614e145cf95d38262b9272f",
    )


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("logins_key = has space", "is not a provider name of the identity pool"),
        ("logins_key = " + "x" * 129, "is not a provider name of the identity pool"),
        ("unauthenticated = true\nlogins_key = a.b/c", "is not used with unauthenticated"),
    ],
)
def test_a_logins_key_that_cannot_be_one_is_refused(
    tmp_path: Path, line: str, problem: str
) -> None:
    path = tmp_path / "c.ini"
    path.write_text(GOOD + line + "\n")
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path), "dev", {})
    assert "[dev] logins_key: " in caught.value.message and problem in caught.value.message
