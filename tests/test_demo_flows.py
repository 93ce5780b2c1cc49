"""``demo --flow browser|email-code``: the other two ways of signing in, end to end, with
the demo's guarantees (nothing left behind, 80 columns, quiet emulator)."""

from __future__ import annotations

import re
import shlex

import pytest

from .conftest import Workspace
from .test_demo import PLANTED_MOTO_NOISE, run_demo, with_sitecustomize

pytestmark = pytest.mark.integration


def fits_80_columns(out: str) -> None:
    (line,) = [x for x in out.splitlines() if "credential_process =" in x]
    tool = shlex.split(line.split("=", 1)[1])[0]
    for row in out.splitlines():
        assert len(row.replace(tool, "/usr/bin/cognito-credproc")) <= 80, row


def test_demo_browser_flow_signs_in_on_the_managed_login_page(ws: Workspace) -> None:
    out, err = run_demo(ws, "--flow", "browser")
    assert err == ""
    assert "auth_flow = BROWSER" in out
    assert re.search(r"^    login_domain = http://127\.0\.0\.1:\d+$", out, flags=re.M)
    assert "$ cognito-credproc login --profile demo --no-browser" in out
    assert "http://localhost:8400/callback?code=..., which is pasted back" in out
    assert "authorization code + PKCE" in out
    assert "second run: served from the cache, no browser needed" in out
    assert re.search(r"^      arn:aws:sts::\d{12}:", out, flags=re.M)
    fits_80_columns(out)


def test_demo_email_code_flow_shows_the_mail_you_would_get(ws: Workspace) -> None:
    env = with_sitecustomize(ws, PLANTED_MOTO_NOISE)
    out, err = run_demo(ws, "--flow", "email-code", PYTHONWARNINGS="default", **env)
    assert err == ""
    assert "planted" not in out
    assert "auth_flow = USER_AUTH\n    preferred_challenge = EMAIL_OTP" in out
    assert "the mail you would get:" in out
    assert "To: demo-user@example.com" in out
    assert re.search(r"^      Your code is \d{8}$", out, flags=re.M)
    assert "USER_AUTH + EMAIL_OTP" in out
    assert "second run: served from the cache, no code needed" in out
    assert re.search(r"^      arn:aws:sts::\d{12}:", out, flags=re.M)
    fits_80_columns(out)


def test_demo_rejects_an_unknown_flow(ws: Workspace) -> None:
    done = ws.run("demo", "--flow", "sms")
    assert done.returncode == 2
    assert "see cognito-credproc demo --help" in done.stderr
