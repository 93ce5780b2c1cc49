"""Login CSRF by another local user: while a browser sign-in waits, she reads the
command lines of every process (``/proc/PID/cmdline``), finds what the helper handed
the browser, signs in at the provider as herself with it, and delivers her own code
to the helper's listener before the person's browser does. The profile must not end
up signed in as her: what the browser is handed is a one-time start URL that she may
not load (the listener knows who connects), the callback must come from the browser
that loaded it (its cookie and this sign-in's state), and a profile refuses a person
other than the one it signed in as unless ``login --switch-user`` says so."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from cognito_credproc.errors import AuthFailed
from cognito_credproc.prompt import NoTerminal
from cognito_credproc.signin import messages, opener
from cognito_credproc.signin.authcode import BrowserSettings
from cognito_credproc.signin.browser import BrowserSignIn
from cognito_credproc.tokens import Tokens, jwt_claims

from ..browser_driver import browser, come_back, drive
from ..browser_setup import ManagedPool, browser_command, driver_records, managed
from ..conftest import PASSWORD, Workspace, age_cached_tokens, parse_output
from .conftest import attacker_process, need_root

pytestmark = pytest.mark.integration
__all__ = ["managed"]  # the fixture used below

MALLORY_PASSWORD = "Mallory-Own-Pass-41"

# The attacker, as uid 65534: finds every address on any command line that leads to the
# victim's redirect port (the URL itself, or an authorize URL naming it as redirect_uri),
# loads it with a cookie jar of her own, signs in as mallory wherever a sign-in form
# shows, and delivers the code to the callback before the victim's browser starts.
ATTACK = r"""
import json, os, re, sys, time, urllib.error, urllib.parse, urllib.request
from http.cookiejar import CookieJar

PORT, PASSWORD = int(sys.argv[1]), sys.argv[2]
NEEDLES = (f":{PORT}/", urllib.parse.quote(f":{PORT}/", safe=""))

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

def urls_on_command_lines():
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().decode("utf-8", "replace").split("\0")
        except OSError:
            continue
        for arg in args:
            found += [u for u in re.findall(r"https?://\S+", arg) if any(n in u for n in NEEDLES)]
    return found

def fetch(opener, url, data=None):
    request = urllib.request.Request(url, data=data)
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, exc.read().decode()
    except OSError:  # closed without an answer
        return None, {}, ""

deadline = time.monotonic() + 30
urls = []
while not urls and time.monotonic() < deadline:
    urls = urls_on_command_lines()
    time.sleep(0.01)
report = {"found": urls, "steps": [], "delivered": None}
for url in urls[:1]:
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        urllib.request.HTTPCookieProcessor(CookieJar()),
        NoRedirect(),
    )
    callback, data = None, None
    for _ in range(10):
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        callback = callback or query.get("redirect_uri")
        status, headers, page = fetch(opener, url, data)
        report["steps"].append([url.split("?")[0], status])
        data = None
        if status in (301, 302, 303):
            url = urllib.parse.urljoin(url, headers["Location"])
            if callback and url.startswith(callback + "?"):
                report["delivered"] = fetch(opener, url)[0]
                break
            continue
        form = re.search(r"<form[^>]*action='([^']*)'", page)
        if status != 200 or not form:
            break
        fields = dict(re.findall(r"<input type='hidden' name='([^']*)' value='([^']*)'", page))
        fields.update(username="mallory", password=PASSWORD, action="signin")
        data = urllib.parse.urlencode(fields).encode()
        url = urllib.parse.urljoin(url, form.group(1))
print(json.dumps(report))
"""


def as_script(code: str, *args: str) -> str:
    """``code`` with ``args`` as its sys.argv[1:] (``python -c`` takes no file)."""
    return f"import sys; sys.argv[1:] = {list(args)!r}\n" + code


def release(fifo: Path, waiting_for: Any) -> None:
    """Let the victim's browser start (it waits on ``fifo``); fails the test rather than
    hang when the victim's run ended without opening one."""
    deadline = time.monotonic() + 30
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError:  # no reader yet (ENXIO)
            assert waiting_for.poll() is None, waiting_for.communicate()
            assert time.monotonic() < deadline, "the victim's browser never started"
            time.sleep(0.05)
    with os.fdopen(fd, "w") as go:
        go.write("go\n")


def cached_identity(ws: Workspace) -> dict[str, Any]:
    return jwt_claims(cached_signin_entry(ws)["id_token"])


def test_another_user_who_reads_the_process_table_cannot_sign_the_profile_in_as_herself(
    ws: Workspace, managed: ManagedPool
) -> None:
    need_root()
    managed.cognito.add_user("mallory", MALLORY_PASSWORD)
    ws.write_config(managed.profile_section())  # no username, as the README's examples
    port = urllib.parse.urlsplit(managed.redirect_uri).port
    fifo = ws.root / "browser-go"
    os.mkfifo(fifo)
    attacker = attacker_process(as_script(ATTACK, str(port), MALLORY_PASSWORD))
    victim = ws.start(
        "--profile",
        "dev",
        env={
            **browser_command(ws.root / "browser.jsonl"),
            "BROWSER_DRIVER_MODE": "signin",
            "BROWSER_DRIVER_USER": "alice",
            "BROWSER_DRIVER_PASSWORD": PASSWORD,
            "BROWSER_DRIVER_GO": str(fifo),
        },
    )
    try:
        out, err = attacker.communicate(timeout=60)
        assert attacker.returncode == 0, err
        report = json.loads(out)
        assert report["found"], "the attacker did not see the browser's command line"
        release(fifo, victim)  # the person's browser, slower than her
        stdout, stderr = victim.communicate(timeout=60)
    finally:
        for proc in (attacker, victim):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    ws.check_no_secrets(stderr)
    assert victim.returncode == 0, stderr
    parse_output(stdout)
    claims = cached_identity(ws)
    assert claims["cognito:username"] == "alice", report
    # what she saw got her nowhere: the listener closed her connection unread (she is
    # another user), nothing of hers arrived
    assert report["steps"][0][1] is None and report["delivered"] is None, report
    assert managed.login.calls["token:authorization_code"] == 1
    (visit,) = driver_records(ws.root / "browser.jsonl")
    assert visit["callback_status"] == 200


# Where the kernel does not say who connects (not Linux), the start URL's being
# single-use, and the remembered identity, are what stop her. -------------------------


def settings_of(pool: ManagedPool) -> BrowserSettings:
    return BrowserSettings(
        profile="dev",
        source="config.ini",
        client_id=pool.client_id,
        redirect_uri=pool.redirect_uri,
        scopes=("openid",),
        login_domain=pool.login.url,
        user_pool_id=pool.cognito.user_pool_id,
    )


def sign_in_where_nobody_can_tell_who_connects(
    pool: ManagedPool, race: Any, previous: Tokens | None = None
) -> Tokens:
    """A credential_process run's browser sign-in with every connection taken for this
    user's (as on a system without /proc/net/tcp); ``race(start_url)`` runs, in a
    thread, in place of the browser being opened."""
    threads = []

    def open_browser(url: str, _environ: object) -> opener.Launch:
        thread = threading.Thread(target=race, args=(url,), daemon=True)
        thread.start()
        threads.append(thread)
        return opener.Launch()

    method = BrowserSignIn(
        settings_of(pool),
        NoTerminal("dev"),
        environ={"BROWSER": "the-browser"},
        opener=open_browser,
        peer_check=lambda _server, _client: True,
    )
    try:
        return method.sign_in(previous)
    finally:
        for thread in threads:
            thread.join(30)


def test_a_racer_who_loads_the_start_url_first_ends_the_sign_in(managed: ManagedPool) -> None:
    managed.cognito.add_user("mallory", MALLORY_PASSWORD)
    seen: dict[str, Any] = {}

    def race(url: str) -> None:
        racer = browser()
        seen["racer"] = drive(
            url, username="mallory", password=MALLORY_PASSWORD, call_back=False, opener=racer
        )
        seen["browser"] = drive(url, username="alice", password=PASSWORD)  # the person's
        come_back(seen["racer"], racer)  # her code, her cookie, this sign-in's state

    with pytest.raises(AuthFailed) as caught:
        sign_in_where_nobody_can_tell_who_connects(managed, race)
    assert caught.value.message == messages.RACED
    assert seen["browser"].problem == "stopped at HTTP 409 without a form to fill in"
    assert "opened before, by another program" in seen["browser"].pages[0]
    assert seen["racer"].callback_status in (409, None)  # refused, or the listener is gone
    assert managed.login.calls["token:authorization_code"] == 0


def test_a_start_url_loaded_again_during_the_code_exchange_still_ends_the_sign_in(
    managed: ManagedPool,
) -> None:
    """Her callback came first and her code is being exchanged when the person's
    browser loads the start URL: the exchange's tokens are not used."""
    managed.cognito.add_user("mallory", MALLORY_PASSWORD)
    started: list[str] = []
    seen: dict[str, Any] = {}
    exchange = managed.login.token

    def token_endpoint_meanwhile(request: Any) -> Any:
        if request.form.get("grant_type") == "authorization_code":
            seen["browser"] = drive(started[0], username="alice", password=PASSWORD)
        return exchange(request)

    managed.login.token = token_endpoint_meanwhile  # type: ignore[method-assign]

    def race(url: str) -> None:
        started.append(url)
        seen["racer"] = drive(url, username="mallory", password=MALLORY_PASSWORD)

    with pytest.raises(AuthFailed) as caught:
        sign_in_where_nobody_can_tell_who_connects(managed, race)
    assert caught.value.message == messages.RACED
    assert "opened before, by another program" in seen["browser"].pages[0]
    assert seen["racer"].callback_status == 400  # her page: the sign-in failed
    assert managed.login.calls["code exchanged"] == 1


def test_a_racer_who_finishes_first_is_refused_as_not_the_profiles_person(
    managed: ManagedPool,
) -> None:
    """She loaded the start URL and came back before the person's browser loaded it:
    where the listener cannot tell users apart, the profile's remembered identity is
    what refuses her."""
    managed.cognito.add_user("mallory", MALLORY_PASSWORD)
    alice = sign_in_where_nobody_can_tell_who_connects(
        managed, lambda url: drive(url, username="alice", password=PASSWORD)
    )
    assert jwt_claims(alice.id_token)["cognito:username"] == "alice"

    def race(url: str) -> None:
        drive(url, username="mallory", password=MALLORY_PASSWORD)

    with pytest.raises(AuthFailed) as caught:
        sign_in_where_nobody_can_tell_who_connects(managed, race, previous=alice)
    assert caught.value.message == (
        "this sign-in is mallory, but the profile signed in as alice before: refused, "
        "and the earlier sign-in is kept"
    )
    assert caught.value.hint == (
        "to sign in as someone else on purpose, run: cognito-credproc login --profile dev "
        "--switch-user"
    )


# The remembered identity, end to end ------------------------------------------------------


def as_person(ws: Workspace, user: str) -> dict[str, str]:
    """$BROWSER: a browser where ``user`` signs in."""
    return {
        **browser_command(ws.root / "browser.jsonl"),
        "BROWSER_DRIVER_MODE": "signin",
        "BROWSER_DRIVER_USER": user,
        "BROWSER_DRIVER_PASSWORD": PASSWORD if user == "alice" else MALLORY_PASSWORD,
    }


def test_login_as_someone_else_is_refused_unless_switch_user_says_so(
    ws: Workspace, managed: ManagedPool
) -> None:
    managed.cognito.add_user("mallory", MALLORY_PASSWORD)
    ws.write_config(managed.profile_section())
    assert ws.run("login", "--profile", "dev", env=as_person(ws, "alice")).returncode == 0
    before = cached_signin_entry(ws)
    creds = ws.run("--profile", "dev")
    assert creds.returncode == 0, creds.stderr

    refused = ws.run("login", "--profile", "dev", env=as_person(ws, "mallory"))
    assert refused.returncode == 1 and refused.stdout == ""
    first, hint = refused.stderr.strip().splitlines()
    assert first == (
        "cognito-credproc: profile dev: this sign-in is mallory, but the profile signed in "
        "as alice before: refused, and the earlier sign-in is kept"
    )
    assert hint.strip() == (
        "next: to sign in as someone else on purpose, run: cognito-credproc login --profile "
        "dev --switch-user"
    )
    assert cached_signin_entry(ws) == before  # alice's sign-in, untouched
    again = ws.run("--profile", "dev")  # no browser: alice's cached credentials
    assert again.returncode == 0 and again.stdout == creds.stdout
    visit = driver_records(ws.root / "browser.jsonl")[-1]
    assert visit["callback_status"] == 400 and "Sign-in failed" in str(visit["callback_page"])
    assert "Signed in" not in str(visit["callback_page"]).replace("Sign-in failed", "")

    switched = ws.run("login", "--profile", "dev", "--switch-user", env=as_person(ws, "mallory"))
    assert switched.returncode == 0, switched.stderr
    assert "Signed in as mallory (profile dev)" in switched.stderr
    assert cached_identity(ws)["cognito:username"] == "mallory"
    now = ws.run("--profile", "dev")
    assert now.returncode == 0
    assert parse_output(now.stdout)["AccessKeyId"] != parse_output(creds.stdout)["AccessKeyId"]


def test_a_credential_process_sign_in_as_someone_else_is_refused_too(
    ws: Workspace, managed: ManagedPool
) -> None:
    """The refresh token ended (revoked, expired) and the browser brings someone else:
    the run fails saying so, and keeps the profile's own sign-in for its next login."""
    managed.cognito.add_user("mallory", MALLORY_PASSWORD)
    ws.write_config(managed.profile_section())
    assert ws.run("--profile", "dev", env=as_person(ws, "alice")).returncode == 0
    entry = cached_signin_entry(ws)
    managed.login.pool().refresh_tokens[entry["refresh_token"]] = None  # revoked
    age_cached_tokens(ws, 60)
    for path in ws.cache_files():
        if path.name.startswith("credentials-"):
            path.unlink()
    done = ws.run("--profile", "dev", env=as_person(ws, "mallory"))
    assert done.returncode == 1 and done.stdout == ""
    assert "this sign-in is mallory, but the profile signed in as alice before:" in done.stderr
    assert "--switch-user" in done.stderr
    assert cached_identity(ws)["cognito:username"] == "alice"
    assert managed.login.calls["code exchanged"] == 2  # hers was exchanged, never kept


def cached_signin_entry(ws: Workspace) -> dict[str, Any]:
    (entry,) = [p for p in ws.cache_files() if p.name.startswith("signin-") and p.suffix == ".json"]
    data: dict[str, Any] = json.loads(entry.read_text())
    return data
