"""``console`` hands the browser a sign-in link that is as good as the credentials for
15 minutes. Another local user reads every command line (``/proc/PID/cmdline``): if the
browser were handed the federation login URL, she would copy its SigninToken and open
the console as the victim's role first. The browser is handed a one-time loopback
address instead, which only this user's programs may fetch (Linux tells who connects)
and which leads on to the login URL once."""

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

from cognito_credproc.signin.loopback import Handoff

from ..conftest import Cognito, Workspace
from ..federation import Federation
from .conftest import attacker_process, need_root

pytestmark = pytest.mark.integration

TARGET = "https://signin.example/federation?Action=login&SigninToken=secret-token"

# The attacker, as uid 65534: watches the process table for the address the browser is
# handed (or a SigninToken anywhere), and fetches what she finds before the browser does.
ATTACK = r"""
import json, os, sys, time, urllib.error, urllib.request

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

MARKER = sys.argv[1]  # a word of the victim's browser's command line (tests run side by side)

def command_line_words():
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == str(os.getpid()):
            continue  # her own script names what she looks for
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                words = f.read().decode("utf-8", "replace").split("\0")
        except OSError:
            continue
        if MARKER in words:
            yield from words

report = {"found": [], "tokens": [], "answers": []}
deadline = time.monotonic() + 30
while not report["found"] and time.monotonic() < deadline:
    for word in command_line_words():
        if "SigninToken" in word:
            report["tokens"].append(word)
        if word.startswith("http://127.0.0.1:") and "/cognito-credproc-open-" in word:
            report["found"].append(word)
    time.sleep(0.01)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())
for url in report["found"][:1]:
    try:
        with opener.open(url, timeout=10) as answer:
            report["answers"].append([answer.status, None])
    except urllib.error.HTTPError as exc:
        report["answers"].append([exc.code, exc.headers.get("Location")])
    except OSError as exc:
        report["answers"].append([None, str(exc)])
print(json.dumps(report))
"""

# The person's browser: says what it was handed, waits for the test's go, then fetches
# it (the redirect is recorded, not followed).
BROWSER = r"""
import json, pathlib, sys, time, urllib.error, urllib.request

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

record, go, url = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + 30
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.05)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())
try:
    opener.open(url, timeout=10)
    answer = [200, None]
except urllib.error.HTTPError as exc:
    answer = [exc.code, exc.headers.get("Location")]
record.write_text(json.dumps([url, *answer]))
"""


@pytest.fixture
def federation() -> Iterator[Federation]:
    server = Federation()
    server.start()
    yield server
    server.stop()


def test_another_user_reading_the_process_table_cannot_take_the_console_link(
    ws: Workspace, cognito: Cognito, federation: Federation, tmp_path: Path
) -> None:
    need_root()
    ws.write_config(cognito.profile_section("dev"))
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    record, go, script = tmp_path / "record", tmp_path / "go", tmp_path / "browser.py"
    script.write_text(BROWSER)
    browser = " ".join(shlex.quote(p) for p in (sys.executable, str(script), str(record), str(go)))
    attacker = attacker_process(f"import sys; sys.argv[1:] = [{str(script)!r}]\n" + ATTACK)
    victim = ws.start(
        "console",
        "--profile",
        "dev",
        env={"COGNITO_CREDPROC_FEDERATION_URL": federation.endpoint, "BROWSER": browser + " %s"},
    )
    try:
        out, err = attacker.communicate(timeout=60)
        assert attacker.returncode == 0, err
        report = json.loads(out)
        go.touch()  # the person's browser, slower than her
        stdout, stderr = victim.communicate(timeout=60)
    finally:
        for proc in (attacker, victim):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert victim.returncode == 0, stderr
    assert "opened the AWS console in the browser" in stderr
    # she saw the address the browser was handed, and no token anywhere...
    assert report["found"], "the attacker did not see the browser's command line"
    assert report["tokens"] == []
    # ...and the address gave her nothing: her connection was closed unread
    assert [status for status, _ in report["answers"]] == [None], report
    # the person's browser was sent on to the console's login, with the endpoint's token
    handed, status, location = json.loads(record.read_text())
    assert handed == report["found"][0]
    assert status == 303
    assert location.startswith(federation.endpoint + "?Action=login&")
    assert stdout == ""


# -- the hand-off itself, in this process ------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def fetch(url: str, host: str | None = None) -> tuple[int, str | None]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})  # noqa: S310 - http on loopback
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, None
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers.get("Location")


def test_the_address_leads_to_the_target_once() -> None:
    with Handoff(TARGET) as handoff:
        url = handoff.start_url
        assert "SigninToken" not in url
        assert fetch(url) == (303, TARGET)
        assert handoff.wait(5)
        assert fetch(url) == (409, None)  # raced, or a second tab: nothing more given


def test_another_users_request_is_refused_and_leaves_the_address_for_the_browser() -> None:
    theirs = [True]
    with Handoff(TARGET, peer_check=lambda server, client: not theirs[0]) as handoff:
        with pytest.raises((ConnectionError, urllib.error.URLError)):  # closed unread
            fetch(handoff.start_url)
        assert not handoff.wait(0)
        theirs[0] = False
        assert fetch(handoff.start_url) == (303, TARGET)


def test_other_paths_and_hosts_get_nothing() -> None:
    with Handoff(TARGET) as handoff:
        parts = urllib.parse.urlsplit(handoff.start_url)
        base = f"http://{parts.netloc}"
        assert fetch(base + "/")[0] == 404
        assert fetch(base + parts.path + "x")[0] == 404
        assert fetch(base + parts.path + "?next=1")[0] == 404
        # a web page that resolves its own name to 127.0.0.1 (DNS rebinding)
        assert fetch(handoff.start_url, host=f"evil.example:{parts.port}")[0] == 400
        assert not handoff.wait(0)
        assert fetch(handoff.start_url) == (303, TARGET)


def test_nothing_listens_once_it_is_closed() -> None:
    handoff = Handoff(TARGET)
    handoff.start()
    port = urllib.parse.urlsplit(handoff.start_url).port
    assert port is not None
    assert not handoff.wait(0.2)  # nobody came: the wait ends at its timeout
    handoff.close()
    assert handoff.take() is None  # never handed out after it stops
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
