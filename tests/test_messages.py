"""Messages a new user meets: a missing settings file, configure's refusals and failures,
and what --help and usage errors list."""

from __future__ import annotations

import socket

import pytest

from .conftest import Cognito, Workspace


def test_a_missing_settings_file_points_at_configure_for_that_profile(ws: Workspace) -> None:
    done = ws.run("--profile", "dev")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"cognito-credproc: profile dev: config file {ws.config} does not exist",
        f"  run: cognito-credproc configure --profile dev --config {ws.config}",
    ]
    assert "example" not in done.stderr  # an installed user has no config.example.ini


def test_the_hint_leaves_out_config_for_the_default_file(ws: Workspace) -> None:
    done = ws.run("status", "--profile", "ops", env={"COGNITO_CREDPROC_CONFIG": ""})
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == "  run: cognito-credproc configure --profile ops"


def test_the_internal_command_is_not_offered(ws: Workspace) -> None:
    helped = ws.run("--help")
    assert helped.returncode == 0
    assert "background-refresh" not in helped.stdout
    assert "SUPPRESS" not in helped.stdout
    wrong = ws.run("nosuch")
    assert wrong.returncode == 2
    assert "'demo'" in wrong.stderr  # the list is there...
    assert "background-refresh" not in wrong.stderr  # ...without the internal command


@pytest.mark.integration
def test_configure_refuses_a_profile_name_the_aws_cli_cannot_use(
    ws: Workspace, cognito: Cognito
) -> None:
    for name in ("my dev", "it's", 'say "x"'):
        done = ws.run(*cognito.configure_args(profile=name))
        assert done.returncode == 2, done.stderr
        assert "cannot be an AWS profile name" in done.stderr
        assert "such as " in done.stderr
    assert not ws.config.exists()
    assert not ws.aws_config.exists()


@pytest.mark.integration
@pytest.mark.parametrize("stdin", ["", "\n", "   \n"])
def test_configure_refuses_an_empty_client_secret_from_stdin(
    ws: Workspace, cognito: Cognito, stdin: str
) -> None:
    done = ws.run(
        *cognito.configure_args("--app-client-secret-stdin", "--no-validate"),
        stdin=stdin,
    )
    assert done.returncode == 2, done.stderr
    assert "--app-client-secret-stdin: stdin gave no client secret" in done.stderr
    assert not ws.config.exists()
    assert not ws.aws_config.exists()


@pytest.mark.integration
def test_configure_says_cannot_reach_when_cognito_does_not_answer(
    ws: Workspace, cognito: Cognito
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    args = cognito.configure_args()
    args[args.index(cognito.endpoint)] = closed
    done = ws.run(*args)
    assert done.returncode == 1, done.stderr
    first, hint = done.stderr.splitlines()
    assert "cannot reach" in first and "nothing was written" in first
    assert "did not accept" not in done.stderr
    assert "--no-validate" in hint
    assert not ws.config.exists()
    assert not ws.aws_config.exists()


@pytest.mark.integration
def test_configure_writes_neither_file_when_the_aws_profile_is_taken(
    ws: Workspace, cognito: Cognito
) -> None:
    ws.aws_config.write_text("[profile work]\nsso_session = corp\n")
    done = ws.run(*cognito.configure_args(profile="work"))
    assert done.returncode == 2
    assert "[profile work] already exists" in done.stderr
    assert not ws.config.exists()  # no [work] section without its AWS profile
    ws.write_config("[other]\nusername = x\n")
    again = ws.run(*cognito.configure_args(profile="work"))
    assert again.returncode == 2
    assert ws.config.read_text() == "[other]\nusername = x\n"


@pytest.mark.integration
def test_configure_puts_the_settings_back_when_the_aws_config_cannot_be_written(
    ws: Workspace, cognito: Cognito
) -> None:
    dangling = ws.root / "gone"
    dangling.symlink_to(ws.root / "nowhere")  # a directory that cannot be created
    blocked = str(dangling / "config")
    ws.write_config("[other]\nusername = x\n")
    done = ws.run(*cognito.configure_args("--aws-config", blocked))
    assert done.returncode == 2, done.stderr
    assert f"cannot write {blocked}" in done.stderr and "nothing was changed" in done.stderr
    assert ws.config.read_text() == "[other]\nusername = x\n"
    ws.config.unlink()
    fresh = ws.run(*cognito.configure_args("--aws-config", blocked))
    assert fresh.returncode == 2, fresh.stderr
    assert not ws.config.exists()
