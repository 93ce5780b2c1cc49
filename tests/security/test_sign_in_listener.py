"""Attacks on the browser sign-in's loopback listener by another local user: while the
helper waits for the browser, anyone on the machine can connect to the redirect port.
Whatever they send must not reach the helper's stderr as a traceback, must not end in
"unexpected error", and must not cost the helper a thread each for as long as they like."""

from __future__ import annotations

import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ..browser_setup import ManagedPool, browser_command, driver_records, managed
from ..conftest import Workspace
from .conftest import python_as_attacker

pytestmark = pytest.mark.integration
__all__ = ["managed"]  # the fixture used below

STATE_MISMATCH = "state that does not belong to this sign-in"


class Waiting:
    """A credential_process run that has opened "the browser" (which never calls back)
    and waits on the redirect port. ``done`` is filled in when the block ends."""

    def __init__(self, port: int, url: str) -> None:
        self.port = port
        self.url = url
        self.done: subprocess.CompletedProcess[str] | None = None


@contextmanager
def waiting_for_the_browser(ws: Workspace, pool: ManagedPool) -> Iterator[Waiting]:
    """Start the run, wait until the browser is opened, yield; the block makes the run
    end (a forged callback does), and the run's outcome is then in ``done``."""
    ws.write_config(pool.profile_section())
    record = ws.root / "browser.jsonl"
    proc = ws.start(
        "--profile", "dev", env={**browser_command(record), "BROWSER_DRIVER_MODE": "never"}
    )
    waiting = None
    try:
        deadline = time.monotonic() + 30
        while not driver_records(record) and proc.poll() is None:
            assert time.monotonic() < deadline, "the browser was never opened"
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        (visit,) = driver_records(record)
        port = urllib.parse.urlsplit(pool.redirect_uri).port
        assert port is not None
        waiting = Waiting(port, str(visit["authorize_url"]))
        yield waiting
    finally:
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        if waiting is not None:
            waiting.done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        ws.check_no_secrets(err)


SEND = """
import socket, struct, sys
port = PORT

def send(raw, reset=False):
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        c.sendall(raw)
    except OSError as exc:  # the listener may close before a huge request is all sent
        c.close()
        return repr(exc).encode()
    if reset:  # close with RST before the answer is written
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
        return b""
    try:
        return c.recv(200)
    except OSError as exc:
        return repr(exc).encode()
    finally:
        c.close()

host = b"Host: 127.0.0.1:%d\\r\\n\\r\\n" % port
"""


def test_requests_that_break_off_or_do_not_parse_never_reach_stderr(
    ws: Workspace, managed: ManagedPool
) -> None:
    with waiting_for_the_browser(ws, managed) as run:
        attack = python_as_attacker(
            SEND.replace("PORT", str(run.port))
            + """
for _ in range(3):
    send(b"GET /favicon.ico HTTP/1.0\\r\\n" + host, reset=True)
    # cut off before its headers end: whole, it would be the callback (if read before
    # the reset arrives) and end the sign-in
    send(b"GET /callback?code=1 HTTP/1.0\\r\\n", reset=True)
print(send(b"GET http://[::1/callback?code=1 HTTP/1.0\\r\\n" + host)[:12])
send(b"GET /" + b"a" * 70000 + b" HTTP/1.0\\r\\n" + host)
# and a forged callback, which ends the sign-in
print(send(b"GET /callback?code=forged&state=guess HTTP/1.0\\r\\n" + host))
"""
        )
        assert attack.returncode == 0, attack.stderr
    # answered as the stray requests they are, not dropped by a handler that failed
    assert attack.stdout.splitlines()[0] == "b'HTTP/1.0 400'"
    done = run.done
    assert done is not None
    assert done.returncode == 1
    assert STATE_MISMATCH in done.stderr
    assert "Traceback" not in done.stderr and "Exception" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 2, done.stderr
    assert done.stdout == ""


def test_a_callback_whose_state_is_not_ascii_is_a_forged_state(
    ws: Workspace, managed: ManagedPool
) -> None:
    with waiting_for_the_browser(ws, managed) as run:
        attack = python_as_attacker(
            SEND.replace("PORT", str(run.port))
            + 'print(send(b"GET /callback?code=x&state=%C3%A9t%C3%A9 HTTP/1.0\\r\\n" + host))'
        )
        assert attack.returncode == 0, attack.stderr
    done = run.done
    assert done is not None
    assert done.returncode == 1
    assert STATE_MISMATCH in done.stderr, done.stderr
    assert "unexpected error" not in done.stderr
    assert managed.login.calls["token:authorization_code"] == 0
