"""Another local user floods the loopback servers of a browser sign-in and of
``console`` with connections that send half a request and a header now and then. With a
thread and a descriptor per connection and no limit, she used up the process's open
files; reading ``/proc/net/tcp`` then failed, the "same user only" check took that as
"not Linux" and let her in: she took the console link, or delivered her own sign-in.
Now a connection whose owner cannot be told is refused where the kernel should tell,
connections of other users are closed as they are accepted, and only a few may be
sending their request at once, each for a bounded time, the oldest making room."""

from __future__ import annotations

import errno
import os
import socket
import struct
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest

from cognito_credproc import platform
from cognito_credproc.platform.macos import MacOS
from cognito_credproc.platform.posix import Posix
from cognito_credproc.signin import loopback
from cognito_credproc.signin.loopback import Handoff, Listener

from ..oauth_common import pick_redirect_port
from ..test_browser_units import AUTHORIZE, Tab
from .conftest import ATTACKER_UID, attacker_process, need_root

TARGET = "https://signin.example/federation?Action=login&SigninToken=secret-token"
FLOOD = 200


@contextmanager
def layer(chosen: platform.base.Platform) -> Iterator[None]:
    previous = platform.use(chosen)
    try:
        yield
    finally:
        platform.use(previous)


def emfile(*args: object, **kwargs: object) -> int:
    raise OSError(errno.EMFILE, "Too many open files")


@pytest.mark.skipif(not Posix.knows_loopback_peers, reason="the kernel says who connects on Linux")
def test_who_connects_unknown_where_the_kernel_should_say_is_not_trusted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(loopback, "diag_owner", emfile)
    monkeypatch.setattr(loopback, "connection_owner", emfile)
    with layer(Posix()):
        assert not loopback.peer_is_ours(("127.0.0.1", 8400), ("127.0.0.1", 50000))
    with layer(MacOS()):  # no table to read there: the one-time address protects
        assert loopback.peer_is_ours(("127.0.0.1", 8400), ("127.0.0.1", 50000))


def half_requests(url: str, count: int) -> list[socket.socket]:
    """``count`` connections that sent a request line and one header, and wait."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or 80
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(f"GET {parts.path} HTTP/1.0\r\nX-Drip: 1\r\n".encode())
        held.append(sock)
    return held


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed the connection (well before its own 10 s timeout)."""
    sock.settimeout(3)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:  # reset
        return True


def test_a_flood_of_half_requests_costs_no_threads_and_the_browser_gets_through() -> None:
    with Handoff(TARGET) as handoff, ExitStack() as stack:
        before = threading.active_count()
        held = half_requests(handoff.start_url, FLOOD)
        for sock in held:
            stack.callback(sock.close)
        # all but the newest few were closed to make room, not left holding a thread
        dropped = sum(closed_by_server(sock) for sock in held[: FLOOD - loopback.MAX_WAITING])
        assert dropped == FLOOD - loopback.MAX_WAITING
        assert threading.active_count() <= before + loopback.MAX_WAITING + 2
        assert Tab().get(handoff.start_url)[:1] == (303,)


def test_a_flood_against_the_sign_in_listener_leaves_the_start_url_to_the_browser() -> None:
    listener = Listener(f"http://localhost:{pick_redirect_port()}/callback")
    with listener, ExitStack() as stack:
        start = listener.expect(AUTHORIZE, "s")
        held = half_requests(start, FLOOD)
        for sock in held:
            stack.callback(sock.close)
        dropped = sum(closed_by_server(sock) for sock in held[: FLOOD - loopback.MAX_WAITING])
        assert dropped == FLOOD - loopback.MAX_WAITING
        status, headers, _page = Tab().get(start)
        assert status == 302 and headers["Location"] == AUTHORIZE


def test_a_connection_of_another_user_is_closed_as_it_is_accepted() -> None:
    asked: list[tuple[str, int]] = []

    def not_ours(server: tuple[str, int], client: tuple[str, int]) -> bool:
        asked.append(client)
        return False

    with Handoff(TARGET, peer_check=not_ours) as handoff:
        port = urllib.parse.urlsplit(handoff.start_url).port
        with socket.create_connection(("127.0.0.1", port or 80), timeout=10) as sock:
            # closed before it says anything: no thread waits on what it might send
            assert closed_by_server(sock)
        assert len(asked) == 1
        assert not handoff.wait(0)


def test_requests_that_break_off_print_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    # A program of this user (so past the check of who connects) that resets its
    # connection mid-request: the handler's error goes to the debug log, never to the
    # helper's stderr, which the SDKs show as it is.
    listener = Listener(
        f"http://localhost:{pick_redirect_port()}/callback", peer_check=lambda *_: True
    )
    with listener:
        for _ in range(5):
            sock = socket.create_connection(("127.0.0.1", listener.port), timeout=10)
            sock.sendall(b"GET /callback?code=1 HTTP/1.0\r\n")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        assert Tab().get(f"http://127.0.0.1:{listener.port}/favicon.ico")[0] == 404
    assert capfd.readouterr().err == ""


def diag_available() -> bool:
    try:
        loopback.diag_owner(("127.0.0.1", 1), ("127.0.0.1", 2))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not diag_available(), reason="the kernel answers sock_diag on Linux")
def test_who_connects_is_asked_of_the_kernel_by_address_not_read_from_the_tables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # She can make /proc/net/tcp as long as she likes (each connection she holds is a
    # line), and reading it for each connection slowed the accept loop to a stop: the
    # owner is asked of the kernel by the connection's addresses instead, and the tables
    # are read only where that cannot be done.
    need_root()
    monkeypatch.setattr(loopback, "connection_owner", emfile)
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        theirs = attacker_process(
            "import socket, sys, time\n"
            f"c = socket.create_connection(('127.0.0.1', {port}))\n"
            "sys.stdout.write('connected\\n'); sys.stdout.flush(); time.sleep(5)\n"
        )
        try:
            accepted, peer = server.accept()
            with accepted:
                ours = server.getsockname()[:2]
                assert loopback.peer_owner(ours, peer[:2]) == ATTACKER_UID
                assert not loopback.peer_is_ours(ours, peer[:2])
                with socket.create_connection(ours, timeout=10) as mine:
                    own, own_peer = server.accept()
                    with own:
                        assert loopback.peer_owner(ours, own_peer[:2]) == os.geteuid()
                        assert loopback.peer_is_ours(ours, own_peer[:2])
                        assert mine.fileno() >= 0
        finally:
            theirs.kill()
            theirs.communicate()  # closes its pipes too


def test_the_tables_answer_where_the_kernel_cannot_be_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers: list[tuple[object, object]] = []

    def from_tables(server: tuple[str, int], client: tuple[str, int]) -> int:
        answers.append((server, client))
        return 4242

    monkeypatch.setattr(loopback, "diag_owner", emfile)
    monkeypatch.setattr(loopback, "connection_owner", from_tables)
    assert loopback.peer_owner(("127.0.0.1", 8400), ("127.0.0.1", 50000)) == 4242
    assert answers == [(("127.0.0.1", 8400), ("127.0.0.1", 50000))]
