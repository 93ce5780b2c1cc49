"""``console``: the federation endpoint's getSigninToken with the session credentials,
then the login URL, printed or opened; against a local federation endpoint that checks
the session JSON."""

from __future__ import annotations

import json
import shlex
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cognito_credproc.console import login_url, partition_hosts

from .conftest import Cognito, Workspace, parse_output
from .federation import Federation

pytestmark = pytest.mark.integration

# A browser: records the address it was handed and where fetching it led (no redirect
# followed: that one works once and is the test's to visit).
RECORDER = """
import json, pathlib, sys, urllib.error, urllib.request
class Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
try:
    urllib.request.build_opener(Stay).open(sys.argv[2], timeout=10)
    status, location = 200, None
except urllib.error.HTTPError as exc:
    status, location = exc.code, exc.headers.get("Location")
pathlib.Path(sys.argv[1]).write_text(json.dumps([sys.argv[2], status, location]))
"""


@pytest.fixture
def federation() -> Iterator[Federation]:
    server = Federation()
    server.start()
    yield server
    server.stop()


def signed_in(ws: Workspace, cognito: Cognito, federation: Federation) -> dict[str, str]:
    """dev signed in (credentials cached); the environment that points at the endpoint."""
    ws.write_config(cognito.profile_section("dev"))
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    return {"COGNITO_CREDPROC_FEDERATION_URL": federation.endpoint}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def visit(url: str) -> tuple[int, str | None]:
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as answer:
            return answer.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location")


def test_console_print_builds_the_login_url(
    ws: Workspace, cognito: Cognito, federation: Federation
) -> None:
    env = signed_in(ws, cognito, federation)
    creds = parse_output(ws.run("--profile", "dev").stdout)
    done = ws.run("console", "--profile", "dev", "--print", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    url = done.stdout.strip()
    # the federation endpoint got exactly the session JSON, with the cached credentials
    assert federation.sessions == [
        {
            "sessionId": creds["AccessKeyId"],
            "sessionKey": creds["SecretAccessKey"],
            "sessionToken": creds["SessionToken"],
        }
    ]
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == federation.endpoint
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert list(query) == ["Action", "Issuer", "Destination", "SigninToken"]
    assert query["Action"] == "login"
    assert query["Issuer"] == "cognito-credproc"
    assert query["Destination"] == "https://console.aws.amazon.com/console/home?region=us-east-1"
    # the token is the one the endpoint issued: the login works, once
    assert visit(url) == (302, query["Destination"])
    assert visit(url)[0] == 400
    assert federation.calls["getSigninToken"] == 1


def test_console_opens_the_url_through_the_browser_opener(
    ws: Workspace, cognito: Cognito, federation: Federation, tmp_path: Path
) -> None:
    env = signed_in(ws, cognito, federation)
    record = tmp_path / "opened"
    script = tmp_path / "browser.py"  # $BROWSER is a list split at colons: not inline
    script.write_text(RECORDER)
    browser = " ".join(shlex.quote(p) for p in (sys.executable, str(script), str(record)))
    done = ws.run("console", "--profile", "dev", env={**env, "BROWSER": browser + " %s"})
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "opened the AWS console in the browser" in done.stderr
    handed, status, location = json.loads(record.read_text())
    # the browser's command line (readable by every user) holds a loopback address...
    parts = urllib.parse.urlsplit(handed)
    assert (parts.scheme, parts.hostname) == ("http", "127.0.0.1")
    assert "SigninToken" not in handed and federation.endpoint not in handed
    # ...that sent it on to the login URL, once
    assert status == 303
    assert location.startswith(federation.endpoint + "?Action=login&")
    assert visit(location)[0] == 302
    with pytest.raises(ConnectionRefusedError):  # gone once the browser has been there
        socket.create_connection(("127.0.0.1", parts.port or 80), timeout=5).close()
    assert "SigninToken" not in done.stderr  # the address is a secret: never said


def test_console_without_a_browser_says_print(
    ws: Workspace, cognito: Cognito, federation: Federation
) -> None:
    env = signed_in(ws, cognito, federation)
    done = ws.run("console", "--profile", "dev", env=env)
    assert done.returncode == 1
    assert "there is no browser" in done.stderr
    assert "run: cognito-credproc console --profile dev --print" in done.stderr


def test_a_refused_session_is_an_error_not_a_url(
    ws: Workspace, cognito: Cognito, federation: Federation
) -> None:
    env = signed_in(ws, cognito, federation)
    for path in ws.cache.glob("credentials-*.json"):  # keys the endpoint never issued
        entry = json.loads(path.read_text())
        entry["SecretAccessKey"] = "not-issued-by-anyone"
        path.write_text(json.dumps(entry))
    done = ws.run("console", "--profile", "dev", "--print", env=env)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "refused the credentials for a console session (HTTP 400)" in done.stderr


def test_the_partitions() -> None:
    assert partition_hosts("eu-west-1") == (
        "https://signin.aws.amazon.com/federation",
        "https://console.aws.amazon.com",
    )
    assert partition_hosts("cn-north-1")[0] == "https://signin.amazonaws.cn/federation"
    assert partition_hosts("us-gov-west-1")[1] == "https://console.amazonaws-us-gov.com"
    url = login_url("https://signin.aws.amazon.com/federation", "tok", "eu-west-1")
    assert url == (
        "https://signin.aws.amazon.com/federation?Action=login&Issuer=cognito-credproc&"
        "Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Deu-west-1"
        "&SigninToken=tok"
    )


def test_the_federation_url_must_be_https_or_loopback(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    env = {"COGNITO_CREDPROC_PASSWORD": cognito.password}
    done = ws.run(
        "console",
        "--profile",
        "dev",
        "--print",
        env={**env, "COGNITO_CREDPROC_FEDERATION_URL": "http://example.com/federation"},
    )
    assert done.returncode == 2
    assert "must be https" in done.stderr
