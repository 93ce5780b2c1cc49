"""Attacks on secrets at rest and in child processes: a client secret written into a
settings file others can read, and the password handed to commands that do not need it."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from ..browser_setup import ManagedPool, managed
from ..conftest import Cognito, Workspace
from .conftest import as_attacker

pytestmark = pytest.mark.integration
__all__ = ["managed"]  # a fixture used below


def test_client_secret_never_lands_in_a_file_others_can_read(
    ws: Workspace, cognito_secret: Cognito, shared_tmp: Path
) -> None:
    assert cognito_secret.client_secret
    settings = shared_tmp / "settings" / "config.ini"
    settings.parent.mkdir(mode=0o755)
    settings.write_text(
        "[other]\n"
        "identity_pool_id = us-east-1:11111111-2222-3333-4444-555555555555\n"
        "unauthenticated = true\n"
    )
    settings.chmod(0o644)  # an existing file, readable by all
    env = {"COGNITO_CREDPROC_CONFIG": str(settings)}
    done = ws.run(
        *cognito_secret.configure_args("--app-client-secret-stdin"),
        env=env,
        stdin=cognito_secret.client_secret,
    )
    assert done.returncode == 0, done.stderr
    assert cognito_secret.client_secret in settings.read_text()
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600
    peek = as_attacker(f"cat {settings}")
    assert peek.returncode != 0 and cognito_secret.client_secret not in peek.stdout


def test_password_command_does_not_inherit_the_password(ws: Workspace, cognito: Cognito) -> None:
    seen = ws.root / "seen-by-password-command"
    command = ws.root / "password-command"
    command.write_text(
        "#!/bin/sh\n"
        f'echo "${{COGNITO_CREDPROC_PASSWORD:-absent}}" > {seen}\n'
        f"echo '{cognito.password}'\n"
    )
    command.chmod(0o700)
    ws.write_config(cognito.profile_section("dev", password_command=str(command)))
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": "env-password-123"})
    assert done.returncode == 0, done.stderr
    assert seen.read_text() == "absent\n"


def test_exec_child_does_not_inherit_the_password(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    done = ws.run(
        "exec",
        "--profile",
        "dev",
        "--",
        "sh",
        "-c",
        'echo "${COGNITO_CREDPROC_PASSWORD:-absent} ${AWS_ACCESS_KEY_ID:+keys}"',
        env={"COGNITO_CREDPROC_PASSWORD": cognito.password},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "absent keys\n"


def test_logout_redacts_an_endpoint_that_echoes_the_request(ws: Workspace) -> None:
    from cognito_credproc.cache import FileCache
    from cognito_credproc.config import load_profile
    from cognito_credproc.store import Store
    from cognito_credproc.tokens import Tokens

    from .hostile_server import hostile, section, tokens

    client_secret = "client-secret-that-must-stay-secret-0123456789"
    refresh_token = "refresh-token-that-must-stay-secret-0123456789"

    def echo(operation: str, request: dict[str, object]) -> tuple[int, object]:
        # A proxy or a broken endpoint that quotes what it was sent.
        return 400, {"__type": "InvalidParameterException", "message": f"bad request {request}"}

    with hostile(echo) as endpoint:
        ws.write_config(section(endpoint, app_client_secret=client_secret))
        ws.config.chmod(0o600)
        profile = load_profile(str(ws.config), "dev", {})
        result = tokens()["AuthenticationResult"]
        Store(profile, FileCache(str(ws.cache))).save_tokens(
            Tokens(result["IdToken"], result["AccessToken"], refresh_token)
        )
        done = ws.run("logout", "--profile", "dev")
    assert done.returncode == 1
    assert "bad request" in done.stderr and "[redacted]" in done.stderr
    assert refresh_token not in done.stderr
    assert client_secret not in done.stderr


def test_doctor_flags_a_client_secret_others_can_read(
    ws: Workspace, cognito_secret: Cognito
) -> None:
    ws.write_config(cognito_secret.profile_section("dev"))
    ws.config.chmod(0o644)
    done = ws.run("doctor", "--profile", "dev")
    assert done.returncode == 1
    assert "holds app_client_secret and other users can read it" in done.stdout
    assert f"chmod 600 {ws.config}" in done.stdout


FAKE_BROWSER = """#!{python}
# A browser that notes whether it got the password, then cancels the sign-in: it loads
# the start URL (keeping its cookie), and comes back as a Cancel at the provider would.
import os, sys, urllib.error, urllib.parse, urllib.request
from http.cookiejar import CookieJar
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
with open({record!r}, "a") as out:
    out.write(os.environ.get("COGNITO_CREDPROC_PASSWORD", "absent") + "\\n")
opener = urllib.request.build_opener(
    urllib.request.ProxyHandler({{}}), urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect()
)
try:
    opener.open(sys.argv[-1], timeout=30)
except urllib.error.HTTPError as redirect:
    authorize = redirect.headers["Location"]
sent = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize).query))
query = urllib.parse.urlencode({{"error": "access_denied", "state": sent["state"]}})
opener.open(sent["redirect_uri"] + "?" + query, timeout=30).close()
"""


@pytest.mark.parametrize("how", ["BROWSER", "webbrowser"])
def test_the_browser_does_not_inherit_the_password(
    ws: Workspace, managed: ManagedPool, how: str
) -> None:
    """$BROWSER, or the browser Python's webbrowser module finds (xdg-open here)."""
    if how == "webbrowser" and not sys.platform.startswith("linux"):
        pytest.skip("xdg-open is how webbrowser opens a browser on Linux")
    record = ws.root / "seen-by-the-browser"
    bin_dir = ws.root / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "xdg-open"
    fake.write_text(FAKE_BROWSER.format(python=sys.executable, record=str(record)))
    fake.chmod(0o755)
    password = "a-password-for-another-profile"
    env = {"COGNITO_CREDPROC_PASSWORD": password}
    if how == "BROWSER":
        env["BROWSER"] = str(fake)
    else:
        # webbrowser looks on PATH; nothing else there, so it picks this one
        env.update(DISPLAY=":99", PATH=str(bin_dir))
    ws.write_config(managed.profile_section())
    done = ws.run("--profile", "dev", env=env)
    assert done.returncode == 1
    assert "cancelled or refused in the browser (access_denied)" in done.stderr
    assert record.read_text() == "absent\n"
