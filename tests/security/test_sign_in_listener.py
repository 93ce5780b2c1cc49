"""Attacks on the browser sign-in's loopback listener by another local user: while the
helper waits for the browser, anyone on the machine can connect to the redirect port.
Whatever they send must not reach the helper's stderr as a traceback, must not end in
"unexpected error", must not cost the helper a thread each for as long as they like,
and must not end the wait: only the browser that loaded the start URL can."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ..browser_setup import ManagedPool, browser_command, driver_records, managed
from ..conftest import PASSWORD, Workspace, parse_output
from .conftest import python_as_attacker

pytestmark = pytest.mark.integration
__all__ = ["managed"]  # the fixture used below


class Waiting:
    """A credential_process run that has opened "the browser" (which waits to be let go)
    and waits on the redirect port. ``done`` is filled in when the block ends."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.done: subprocess.CompletedProcess[str] | None = None


@contextmanager
def waiting_for_the_browser(ws: Workspace, pool: ManagedPool) -> Iterator[Waiting]:
    """Start the run, wait until the browser is opened, yield; then let the browser sign
    in, and the run's outcome is in ``done``."""
    ws.write_config(pool.profile_section())
    fifo = ws.root / "browser-go"
    os.mkfifo(fifo)
    env = {
        **browser_command(ws.root / "browser.jsonl"),
        "BROWSER_DRIVER_USER": "alice",
        "BROWSER_DRIVER_PASSWORD": PASSWORD,
        "BROWSER_DRIVER_GO": str(fifo),
    }
    proc = ws.start("--profile", "dev", env=env)
    waiting, go = None, None
    try:
        deadline = time.monotonic() + 30
        while go is None:  # the browser is open once it waits on the FIFO
            try:
                go = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the browser was never opened"
                time.sleep(0.05)
        port = urllib.parse.urlsplit(pool.redirect_uri).port
        assert port is not None
        waiting = Waiting(port)
        yield waiting
    finally:
        if go is not None:
            os.write(go, b"go\n")
            os.close(go)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        if waiting is not None:
            waiting.done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        ws.check_no_secrets(err)


def signed_in_undisturbed(ws: Workspace, pool: ManagedPool, done: object) -> None:
    """The run ended as if nobody else had been there: the browser's sign-in, quietly."""
    assert isinstance(done, subprocess.CompletedProcess)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    parse_output(done.stdout)
    (visit,) = driver_records(ws.root / "browser.jsonl")
    assert visit["callback_status"] == 200
    assert pool.login.calls["token:authorization_code"] == 1


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


STRAYS = """
for _ in range(3):
    send(b"GET /favicon.ico HTTP/1.0\\r\\n" + host, reset=True)
    # cut off before its headers end: whole, it would be a callback (if read before
    # the reset arrives)
    send(b"GET /callback?code=1 HTTP/1.0\\r\\n", reset=True)
print(send(b"GET http://[::1/callback?code=1 HTTP/1.0\\r\\n" + host)[:12])
send(b"GET /" + b"a" * 70000 + b" HTTP/1.0\\r\\n" + host)
# forged callbacks, a wrong state and an error: neither ends the wait
print(send(b"GET /callback?code=forged&state=guess HTTP/1.0\\r\\n" + host)[:12])
print(send(b"GET /callback?error=access_denied HTTP/1.0\\r\\n" + host)[:12])
"""


def test_stray_requests_of_this_users_programs_are_answered_and_never_reach_stderr(
    ws: Workspace, managed: ManagedPool
) -> None:
    # The user's own programs (another tab, a port scanner, a broken request) get past
    # the check of who connects: what they send is answered as the stray request it is,
    # never a traceback on the helper's stderr, and the wait goes on.
    with waiting_for_the_browser(ws, managed) as run:
        sent = subprocess.run(
            [sys.executable, "-I", "-c", SEND.replace("PORT", str(run.port)) + STRAYS],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert sent.returncode == 0, sent.stderr
    assert sent.stdout.splitlines() == ["b'HTTP/1.0 400'", "b'HTTP/1.0 403'", "b'HTTP/1.0 403'"]
    signed_in_undisturbed(ws, managed, run.done)


def test_requests_that_break_off_or_do_not_parse_never_reach_stderr(
    ws: Workspace, managed: ManagedPool
) -> None:
    with waiting_for_the_browser(ws, managed) as run:
        attack = python_as_attacker(
            SEND.replace("PORT", str(run.port))
            + """
for _ in range(3):
    send(b"GET /favicon.ico HTTP/1.0\\r\\n" + host, reset=True)
    # cut off before its headers end: whole, it would be a callback (if read before
    # the reset arrives)
    send(b"GET /callback?code=1 HTTP/1.0\\r\\n", reset=True)
print(send(b"GET http://[::1/callback?code=1 HTTP/1.0\\r\\n" + host)[:12])
send(b"GET /" + b"a" * 70000 + b" HTTP/1.0\\r\\n" + host)
# forged callbacks, a wrong state and an error: neither ends the wait
print(send(b"GET /callback?code=forged&state=guess HTTP/1.0\\r\\n" + host)[:12])
print(send(b"GET /callback?error=access_denied HTTP/1.0\\r\\n" + host)[:12])
"""
        )
        assert attack.returncode == 0, attack.stderr
    # another user's connections are closed as they are accepted (Linux says who
    # connects): nothing of hers is read, so nothing can fail on it either
    assert attack.stdout.splitlines() == ["b''", "b''", "b''"]
    signed_in_undisturbed(ws, managed, run.done)


def test_a_callback_whose_state_is_not_ascii_does_not_disturb_the_sign_in(
    ws: Workspace, managed: ManagedPool
) -> None:
    with waiting_for_the_browser(ws, managed) as run:
        attack = python_as_attacker(
            SEND.replace("PORT", str(run.port))
            + 'print(send(b"GET /callback?code=x&state=%C3%A9t%C3%A9 HTTP/1.0\\r\\n" + host))'
        )
        assert attack.returncode == 0, attack.stderr
    assert attack.stdout == "b''\n"  # closed unread: she is another user
    signed_in_undisturbed(ws, managed, run.done)
