"""The everyday conveniences: -V, help on every option, the on/off flags, errors that
point at the right --help, clear and its shared sign-in, doctor's regions, the login
countdown, and a user that does not exist."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

import pytest

from cognito_credproc import __version__
from cognito_credproc.arguments import build_parser
from cognito_credproc.config import Profile, profile_from_section
from cognito_credproc.doctor import region_mismatch, regions_line
from cognito_credproc.errors import ConfigError
from cognito_credproc.signin.messages import waiting

from .browser_setup import ManagedPool, managed  # noqa: F401 - the fixture
from .conftest import Cognito, Workspace, parse_output
from .ptyterm import PtyRun
from .test_shared_signin import second_identity_pool


def every_parser() -> Iterator[tuple[str, argparse.ArgumentParser]]:
    top = build_parser()
    yield "cognito-credproc", top
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def test_every_option_of_every_command_has_a_description() -> None:
    seen = 0
    for command, parser in every_parser():
        for action in parser._actions:
            what = "/".join(action.option_strings) or action.dest
            assert action.help, f"{command} {what} has no help text"
            seen += 1
    assert seen > 60  # every command was walked, not just the top


@pytest.mark.parametrize(("command", "option"), [("token", "--type"), ("env", "--format")])
def test_the_options_the_issue_names_are_described_in_help(
    ws: Workspace, command: str, option: str
) -> None:
    done = ws.run(command, "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    described = re.search(rf"{option} \{{[^}}]+\}} (\S.*?)(?: --\w|$)", text)
    assert described, text
    assert len(described.group(1)) > 10


def test_dash_capital_v_is_the_version(ws: Workspace) -> None:
    for flag in ("-V", "--version"):
        done = ws.run(flag)
        assert (done.returncode, done.stdout) == (0, f"cognito-credproc {__version__}\n")


def test_a_subcommands_error_points_at_its_own_help(ws: Workspace) -> None:
    unknown = ws.run("login", "--no-such-option")
    assert unknown.returncode == 2
    assert unknown.stderr == (
        "cognito-credproc: unrecognized arguments: --no-such-option "
        "(see cognito-credproc login --help)\n"
    )
    bad = ws.run("token", "--type", "refresh")
    assert bad.returncode == 2
    assert bad.stderr.rstrip().endswith("(see cognito-credproc token --help)")
    top = ws.run("--no-such-option")
    assert top.stderr.rstrip().endswith("(see cognito-credproc --help)")


def test_unauthenticated_is_an_on_off_flag(ws: Workspace) -> None:
    pool = "us-east-1:11111111-2222-3333-4444-555555555555"
    args = ("configure", "--identity-pool-id", pool, "--no-validate")
    on = ws.run(*args, "--profile", "guest", "--unauthenticated")
    assert on.returncode == 0, on.stderr
    assert "[guest]\nidentity_pool_id = " + pool + "\nunauthenticated = true\n" in (
        ws.config.read_text()
    )
    off = ws.run(
        "configure",
        "--profile",
        "user",
        "--user-pool-id",
        "us-east-1_AbC",
        "--app-client-id",
        "abc123",
        "--username",
        "alice",
        *args[1:],
        "--no-unauthenticated",
    )
    assert off.returncode == 0, off.stderr
    assert "[user]\n" in ws.config.read_text()
    assert ws.config.read_text().endswith("unauthenticated = false\n")
    taking_a_value = ws.run(*args, "--profile", "x", "--unauthenticated", "true")
    assert taking_a_value.returncode == 2  # a flag now, not a key with a value


def test_clear_names_the_profiles_that_shared_the_sign_in(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(
        cognito.profile_section("dev")
        + cognito.profile_section("ops", identity_pool_id=second_identity_pool(cognito))
        + cognito.profile_section("other", username="bob")
    )
    cognito.add_user("bob", cognito.password)
    password = {"COGNITO_CREDPROC_PASSWORD": cognito.password}
    for name in ("dev", "ops", "other"):
        assert ws.run("--profile", name, env=password).returncode == 0
    done = ws.run("clear", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    assert done.stderr == "profile dev: deleted 3 cache entries; this also signed out ops\n"
    # ops has to sign in again, as after logout; other (bob) keeps his
    assert ws.run("--profile", "ops").returncode == 1
    parse_output(ws.run("--profile", "other").stdout)
    again = ws.run("clear", "--profile", "dev")  # nothing of the sign-in was left to remove
    assert again.stderr == "profile dev: deleted 0 cache entries\n"


def test_doctor_names_each_pools_region() -> None:
    def profile(**values: str) -> object:
        section = {
            "user_pool_id": "eu-west-1_AbCdEf123",
            "app_client_id": "abc123",
            "identity_pool_id": "us-east-1:11111111-2222-3333-4444-555555555555",
            "username": "alice",
            **values,
        }
        return profile_from_section("c.ini", "dev", section, {})

    # an identity pool in another region is asked there: a working setup
    assert region_mismatch(profile()) is None  # type: ignore[arg-type]
    assert regions_line(profile()) == (  # type: ignore[arg-type]
        "region eu-west-1 matches the pool ids (identity pool "
        "us-east-1:11111111-2222-3333-4444-555555555555 is asked in us-east-1)"
    )
    same = profile(identity_pool_id="eu-west-1:11111111-2222-3333-4444-555555555555")
    assert region_mismatch(same) is None  # type: ignore[arg-type]
    assert regions_line(same) == "region eu-west-1 matches the pool ids"  # type: ignore[arg-type]
    # A region the user pool is not in is refused when the settings are read (the pool
    # answers only in its own region)...
    with pytest.raises(ConfigError, match=r"\[dev\] region: us-west-2 is not the region"):
        profile(
            identity_pool_id="eu-west-1:11111111-2222-3333-4444-555555555555", region="us-west-2"
        )
    # ... and doctor says why for a profile made otherwise
    moved = Profile(
        name="dev",
        source="c.ini",
        identity_pool_id="eu-west-1:11111111-2222-3333-4444-555555555555",
        region="us-west-2",
        user_pool_id="eu-west-1_AbCdEf123",
        app_client_id="abc123",
        username="alice",
    )
    assert region_mismatch(moved) == (
        "region is us-west-2, but user pool eu-west-1_AbCdEf123 is in eu-west-1: its calls "
        "would go to us-west-2"
    )


@pytest.mark.parametrize(
    ("left", "line"),
    [
        (300, "waiting for the browser, 5:00 left, Ctrl-C to stop"),
        (270.2, "waiting for the browser, 4:31 left, Ctrl-C to stop"),
        (61, "waiting for the browser, 1:01 left, Ctrl-C to stop"),
        (0.4, "waiting for the browser, 0:01 left, Ctrl-C to stop"),
    ],
)
def test_the_countdown_line(left: float, line: str) -> None:
    assert waiting(left) == line


@pytest.mark.integration
def test_login_counts_down_on_the_terminal_while_the_browser_is_out(
    ws: Workspace,
    managed: ManagedPool,  # noqa: F811
) -> None:
    ws.write_config(managed.profile_section("dev"))
    # A browser that "opens" and never comes back.
    run = PtyRun(["login", "--profile", "dev"], {**ws.env, "BROWSER": "true"})
    run.expect("left, Ctrl-C to stop")
    drawn = r"\rwaiting for the browser, [45]:\d\d left, Ctrl-C to stop\x1b\[K"
    assert re.search(drawn, run.screen)
    run.send("\x03")
    code, out, err = run.finish()
    assert code == 130
    assert out == ""
    assert "waiting for the browser" not in err  # the terminal's, not the log's


@pytest.mark.integration
def test_login_does_not_ask_again_for_a_user_that_does_not_exist(
    ws: Workspace, cognito: Cognito
) -> None:
    ws.write_config(cognito.profile_section("dev", username="nobody"))
    run = PtyRun(["login", "--profile", "dev"], ws.env)
    run.answer("Password for nobody (profile dev): ", "whatever-it-is-1")
    code, _out, err = run.finish()
    assert code == 1
    assert run.screen.count("Password for nobody") == 0  # answered once, never asked again
    assert "UserNotFoundException" in err
    assert f"check username in [dev] of {ws.config}" in err


@pytest.mark.integration
def test_a_wrong_password_is_asked_again_naming_the_user(ws: Workspace, cognito: Cognito) -> None:
    # Cognito says "Incorrect username or password" for both where the pool hides which
    # users exist: the retry says which user name it tried.
    ws.write_config(cognito.profile_section("dev"))
    run = PtyRun(["login", "--profile", "dev"], ws.env)
    run.answer("Password for alice (profile dev): ", "wrong-one-1")
    run.expect("Try again.")
    assert "Incorrect username or password (user alice, the username in [dev]" in run.screen
    run.answer("Password for alice (profile dev): ", cognito.password)
    run.expect("Signed in as alice")
    code, _out, err = run.finish()
    assert code == 0, err


def test_the_readmes_hand_written_aws_config_uses_an_absolute_path() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    example = readme.split("# ~/.aws/config\n", 1)[1].split("```", 1)[0]
    (line,) = [x for x in example.splitlines() if x.startswith("credential_process")]
    command = line.split("=", 1)[1].split()
    assert command[0].startswith("/") and command[0].endswith("/cognito-credproc"), line
    assert command[1:] == ["--profile", "dev"]
