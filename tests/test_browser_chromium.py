"""A real browser: headless Chromium (Debian's ``chromium``), opened by the helper
through ``$BROWSER``, completes a sign-in at the local managed login, where the person
already has a session, so it is sent straight back to the loopback callback; the page
Chromium ends on is the helper's."""

from __future__ import annotations

import shutil
import stat
import time
from pathlib import Path

import pytest

from .browser_setup import ManagedPool, managed
from .conftest import Workspace, parse_output

pytestmark = pytest.mark.integration
__all__ = ["managed"]  # the fixture used below

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync "
    "--no-proxy-server"
)


def chromium_wrapper(root: Path) -> Path:
    """What a person would put in $BROWSER: Chromium with a fresh profile, here also
    saving the page it ends on (--dump-dom) and, last, its exit status."""
    wrapper = root / "chromium-browser.sh"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'profile="$(mktemp -d "{root}/chromium-profile.XXXXXX")"\n'
        f'"{CHROMIUM}" {FLAGS} --user-data-dir="$profile" --dump-dom "$1" '
        f'> "{root}/page.html" 2> "{root}/chromium.log"\n'
        "status=$?\n"
        # Chromium's helpers (crashpad) may still write there a moment after it exits.
        'for _ in 1 2 3 4 5 6 7 8 9 10; do rm -rf "$profile" 2>/dev/null\n'
        '  [ -e "$profile" ] || break; sleep 0.3; done\n'
        f'echo "$status" > "{root}/exit.tmp" && mv "{root}/exit.tmp" "{root}/chromium.exit"\n'
        "exit $status\n"
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_headless_chromium_signs_in_through_browser(ws: Workspace, managed: ManagedPool) -> None:
    managed.login.session_user = "alice"  # already signed in at the managed login
    ws.write_config(managed.profile_section())
    done = ws.run("--profile", "dev", env={"BROWSER": str(chromium_wrapper(ws.root))}, timeout=90)
    assert done.returncode == 0, done.stderr + (ws.root / "chromium.log").read_text()[-2000:]
    # temporary keys start ASIA (IAM User Guide, "Unique identifiers")
    assert parse_output(done.stdout)["AccessKeyId"].startswith("ASIA")
    # The helper is done once the code is exchanged; Chromium writes the page it ended
    # on when it closes, a moment later.
    finished = ws.root / "chromium.exit"
    deadline = time.monotonic() + 60
    while not finished.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert finished.read_text().strip() == "0"
    page = (ws.root / "page.html").read_text()
    assert "<title>Signed in</title>" in page
    assert "Signed in as alice (profile dev). You can close this tab" in page
    assert managed.login.calls["code exchanged"] == 1
    assert managed.login.calls["login page"] == 0  # the session sent it straight back
    assert not list(ws.root.glob("chromium-profile.*"))
