"""Times in other time zones. The machine and CI run in UTC, where a local time labelled
Z, or a Z time read as local, looks right; every test here runs in each zone of
``time_zone`` (conftest), and the printed Expiration, what is cached, ``status`` and
``doctor`` must name the instants the service named, at the edges of daylight saving
time too (where a local time repeats, or never happens)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from botocore.utils import parse_timestamp

from cognito_credproc.cli import cmd_credentials
from cognito_credproc.credentials import Credentials
from cognito_credproc.doctor import Report, cmd_doctor
from cognito_credproc.launch import command_line, tool_argv
from cognito_credproc.output import credential_process_json, env_variables
from cognito_credproc.processline import run_process_line
from cognito_credproc.status import cmd_status
from cognito_credproc.tokens import Tokens

from .conftest import Workspace, parse_output, zone_edges
from .fakes import SECTION, Clock, make_jwt
from .robustness.scripted_server import ClockedScript, serve
from .scripted_home import PASSWORD, Home


def utc(epoch: float) -> str:
    """The instant as credential_process JSON writes it (seconds, UTC, Z), worked out
    another way than the tool does."""
    return datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def off_utc(epoch: float) -> None:
    """The zone is in force in this process: local time is not UTC at ``epoch``."""
    assert time.localtime(epoch).tm_gmtoff != 0


def test_the_printed_expiration_is_the_instant_in_utc(time_zone: str) -> None:
    for edge in zone_edges(time_zone):
        off_utc(edge)
        creds = Credentials("ASIAZONE", "s" * 30, "t" * 30, edge)
        printed = json.loads(credential_process_json(creds))["Expiration"]
        assert printed == utc(edge)
        assert parse_timestamp(printed).timestamp() == edge  # as botocore reads it back
        assert env_variables(creds, "us-east-1")["AWS_CREDENTIAL_EXPIRATION"] == utc(edge)


def test_the_services_expiration_is_cached_and_printed_as_the_same_instant(
    tmp_path: Path, time_zone: str
) -> None:
    # A real HTTP service on the test's clock: botocore reads its Expiration (a number
    # in the JSON) into a datetime in the local zone, and its Date header says that
    # the clocks agree. Each answer expires at one of the zone's edges.
    clock = Clock()
    script = ClockedScript(clock)
    with serve(script) as endpoint:
        home = Home(tmp_path, endpoint, clock)
        for edge in zone_edges(time_zone):
            clock.now = edge - script.lifetime
            home.cache.discard(home.profile.credentials_key)
            code, out = home.run(cmd_credentials)
            assert code == 0
            assert script.expirations[-1] == edge
            entry = home.cached_credentials()
            assert (entry["Expiration"], entry["skew"]) == (edge, 0.0)
            assert parse_output(out)["Expiration"] == utc(edge)


def stand_in_helper(directory: Path, expiration: str) -> Path:
    """A credential_process named like the tool that prints credentials expiring at
    ``expiration``, for doctor to run and judge."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "cognito-credproc"
    answer = json.dumps(
        {
            "Version": 1,
            "AccessKeyId": "ASIAZONE",
            "SecretAccessKey": "s" * 30,
            "SessionToken": "t" * 30,
            "Expiration": expiration,
        }
    )
    path.write_text(f"#!/bin/sh\ncat <<'EOF'\n{answer}\nEOF\n")
    path.chmod(0o755)
    return path


def test_doctor_reads_the_expiration_as_utc_and_says_how_far_it_is(
    tmp_path: Path, time_zone: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for edge in zone_edges(time_zone):
        off_utc(edge)
        helper = [str(stand_in_helper(tmp_path / "bin", utc(edge)))]
        run_process_line(Report(), helper, {}, Clock(edge - (42 * 60 + 10)))
        assert f"ok    Expiration {utc(edge)} is UTC, 42 min away\n" in capsys.readouterr().out
        run_process_line(Report(), helper, {}, Clock(edge - 600))  # inside the SDKs' 15 min
        assert "FAIL  credentials expire in 600 s, inside" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("skew", "clock_line"),
    [
        (0, "ok    clock within 0 s of Cognito's"),
        (-240, "ok    clock within 240 s of Cognito's"),
        (420, "FAIL  this machine's clock is -420 s off Cognito's"),
    ],
    ids=["clocks-agree", "service-4-min-behind", "service-7-min-ahead"],
)
def test_doctor_whole_says_how_far_the_expiration_and_the_services_clock_are(
    tmp_path: Path, skew: float, clock_line: str
) -> None:
    clock = Clock()
    script = ClockedScript(clock, skew)
    with serve(script) as endpoint:
        home = Home(tmp_path, endpoint, clock)
        aws_config = tmp_path / "aws-config"
        home.environ.update(
            AWS_CONFIG_FILE=str(aws_config),
            AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
            PATH="/usr/bin:/bin",
        )
        expiration = clock.now + 42 * 60 + 10
        helper = stand_in_helper(tmp_path / "bin", utc(expiration))
        aws_config.write_text(
            "[profile dev]\ncredential_process = "
            + command_line([str(helper), "--config", str(home.config), "--profile", "dev"])
            + "\n"
        )
        _, report = home.run(cmd_doctor, "doctor")
    assert f"ok    Expiration {utc(expiration)} is UTC, 42 min away\n" in report, report
    assert f"{clock_line}\n" in report


def test_status_names_the_cached_instants_and_ages(tmp_path: Path, time_zone: str) -> None:
    clock = Clock()
    home = Home(tmp_path, "http://127.0.0.1:9", clock)  # nothing is asked of a service
    for edge in zone_edges(time_zone)[::2]:
        off_utc(edge)
        clock.now = edge - 1200
        id_expiry = int(edge) - 300
        token = make_jwt({"sub": "s-1", "exp": id_expiry, "token_use": "id"})
        home.store.save_tokens(
            Tokens(
                id_token=token,
                access_token=make_jwt({"sub": "s-1", "exp": id_expiry, "token_use": "access"}),
                refresh_token="refresh-token-" + "r" * 20,
                refresh_issued_at=clock.now - (3 * 3600 + 59 * 60),
            )
        )
        home.store.save_credentials(
            Credentials("ASIAZONE", "s" * 30, "t" * 30, edge), 0.0, clock.now - 60
        )
        home.store.save_identity_id("us-east-1:11111111-2222-3333-4444-555555555555")
        code, out = home.run(cmd_status, "status", "--json")
        assert code == 0
        (row,) = json.loads(out)["profiles"]
        assert row["id_token_expires"] == utc(id_expiry)
        assert row["credentials_expire"] == utc(edge)
        assert row["credentials_valid"] is True
        assert row["refresh_token_age_seconds"] == 3 * 3600 + 59 * 60
        code, out = home.run(cmd_status, "status")
        assert code == 0
        assert out.splitlines()[1].split() == [
            "dev",
            "alice",
            "us-east-1:11111111-2222-3333-4444-555555555555",
            utc(id_expiry),
            utc(edge),
            "3h",
            "old",
            "-",
        ]


def test_the_tool_in_a_time_zone_prints_checks_and_shows_the_services_instants(
    zoned_ws: Workspace,
) -> None:
    """The same facts from the tool's own processes, run with TZ set as a user's are."""
    ws = zoned_ws
    script = ClockedScript(time.time, lifetime=42 * 60 + 20)
    with serve(script) as endpoint:
        ws.write_config(
            "[dev]\n"
            + "".join(f"{k} = {v}\n" for k, v in SECTION.items())
            + f"endpoint_url = {endpoint}\n"
        )
        done = ws.run("--profile", "dev", env=PASSWORD)
        assert done.returncode == 0, done.stderr
        (expiration,) = script.expirations
        assert parse_output(done.stdout)["Expiration"] == utc(expiration)
        status = ws.run("status", "--profile", "dev", "--json")
        (row,) = json.loads(status.stdout)["profiles"]
        assert row["id_token_expires"] == utc(script.token_expiries[-1])
        assert row["credentials_expire"] == utc(expiration)
        ws.aws_config.write_text(
            "[profile dev]\ncredential_process = "
            + command_line([*tool_argv(), "--profile", "dev"])
            + "\n"
        )
        doctor = ws.run("doctor", "--profile", "dev")
        assert f"ok    Expiration {utc(expiration)} is UTC, 42 min away\n" in doctor.stdout
