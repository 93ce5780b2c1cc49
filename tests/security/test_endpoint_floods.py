"""Attack: the credentials endpoint (``exec --server``, ``serve``) stalled under bursts
and floods. It had a listen backlog of 5 and a thread per connection: another local
user who opened idle connections grew it a thread each (about 1600) and made real
requests time out, and a client dripping a byte now and then held a thread for ever.

Now one thread accepts and reads every connection, a fixed pool answers; a connection
that has not sent a whole request head by its deadline, or sends more than a head may
hold, is closed; when too many are open the oldest silent one goes; and the renewal
thread renews ahead of the refresh margin, so a request never waits on Cognito.
Timings are measured by ``benchmarks/endpoint.py``; here, what decides them."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from cognito_credproc.credentials import Credentials
from cognito_credproc.endpoint import MAX_HEAD_BYTES, RENEW_AHEAD_SECONDS, Endpoint, Renewer

from ..fakes import Clock
from ..test_endpoint import Fetch, creds, request
from .conftest import attacker_process

WAIT_SECONDS = 60  # how long a test waits for something that must happen (no timing)


@pytest.fixture
def clock() -> Clock:
    return Clock(start=1_800_000_000.0)


@pytest.fixture
def fetch(clock: Clock) -> Fetch:
    return Fetch(lambda: creds(clock() + 3600))


def connect(endpoint: Endpoint) -> socket.socket:
    return socket.create_connection(("127.0.0.1", endpoint.port), timeout=WAIT_SECONDS)


def accepted(endpoint: Endpoint, count: int = 1) -> None:
    """Wait until the endpoint has accepted ``count`` connections still to send a request
    (their deadline runs from then)."""
    for _ in range(WAIT_SECONDS * 100):
        if endpoint.waiting >= count:
            return
        time.sleep(0.01)
    raise AssertionError(f"the endpoint accepted {endpoint.waiting} of {count} connections")


def closed_by_the_endpoint(sock: socket.socket) -> bool:
    """Whether the endpoint closes the connection (without answering anything)."""
    sock.settimeout(WAIT_SECONDS)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    yield opened
    for sock in opened:
        sock.close()


def test_idle_connections_cost_no_threads(
    clock: Clock, fetch: Fetch, sockets: list[socket.socket]
) -> None:
    with Endpoint(fetch, profile="dev", report=print, now=clock) as running:
        assert request(running)[0] == 200
        before = threading.active_count()
        sockets += [connect(running) for _ in range(300)]
        assert request(running)[0] == 200  # the real client is still answered
        grown = threading.active_count() - before
    assert grown < 10, f"the endpoint started {grown} threads for 300 idle connections"


def test_a_flood_from_another_user_neither_grows_threads_nor_starves_a_request(
    clock: Clock, fetch: Fetch
) -> None:
    with Endpoint(fetch, profile="dev", report=print, now=clock) as running:
        assert request(running)[0] == 200
        before = threading.active_count()
        flood = attacker_process(
            "import socket, sys\n"
            f"held = [socket.create_connection(('127.0.0.1', {running.port}), timeout=60)"
            " for _ in range(400)]\n"
            "print('holding', flush=True)\n"
            "sys.stdin.read() if False else __import__('time').sleep(600)\n"
        )
        try:
            assert flood.stdout is not None
            assert flood.stdout.readline().strip() == "holding", flood.stderr
            answers = [request(running)[0] for _ in range(5)]
            grown = threading.active_count() - before
        finally:
            flood.kill()
            flood.communicate()
    assert answers == [200] * 5
    assert grown < 10, f"the endpoint started {grown} threads for another user's flood"


def test_a_connection_that_sends_nothing_is_closed_at_its_deadline(clock: Clock) -> None:
    monotonic = Clock(start=1000.0)
    with Endpoint(
        lambda: creds(clock() + 3600),
        profile="dev",
        report=print,
        now=clock,
        monotonic=monotonic,
        read_deadline=5,
    ) as running:
        with connect(running) as silent:
            accepted(running)
            monotonic.advance(6)
            assert closed_by_the_endpoint(silent)
        assert request(running)[0] == 200


def test_a_client_dripping_its_request_is_closed_at_its_deadline(
    clock: Clock, fetch: Fetch
) -> None:
    # A byte now and then kept a per-read timeout from ever firing; the deadline is for
    # the whole request head.
    monotonic = Clock(start=1000.0)
    with (
        Endpoint(
            fetch, profile="dev", report=print, now=clock, monotonic=monotonic, read_deadline=5
        ) as running,
        connect(running) as slow,
    ):
        accepted(running)
        for piece in (b"GET ", running.path.encode(), b" HTTP/1.1\r\n", b"Host: 127"):
            slow.sendall(piece)
            monotonic.advance(2)
        assert closed_by_the_endpoint(slow)
    assert fetch.calls == 0


@pytest.mark.parametrize("what", ["request line", "headers"])
def test_more_than_a_request_head_may_hold_is_closed(clock: Clock, fetch: Fetch, what: str) -> None:
    frozen = Clock(start=1000.0)  # closed for its size, not for its deadline
    with Endpoint(fetch, profile="dev", report=print, now=clock, monotonic=frozen) as running:
        with connect(running) as greedy:
            if what == "request line":
                greedy.sendall(b"GET /" + b"a" * (MAX_HEAD_BYTES + 1))
            else:
                greedy.sendall(f"GET {running.path} HTTP/1.1\r\n".encode())
                greedy.sendall(b"X-Pad: " + b"b" * 100 + b"\r\n" * 1)
                for _ in range(MAX_HEAD_BYTES // 50):
                    greedy.sendall(b"X-More: " + b"c" * 40 + b"\r\n")
            assert closed_by_the_endpoint(greedy)
        assert request(running)[0] == 200
    assert fetch.calls == 1  # only the real request


def test_when_too_many_are_open_the_oldest_silent_one_goes(
    clock: Clock, fetch: Fetch, sockets: list[socket.socket]
) -> None:
    frozen = Clock(start=1000.0)  # no deadline passes: room is made only by the limit
    with Endpoint(
        fetch, profile="dev", report=print, now=clock, max_pending=8, monotonic=frozen
    ) as running:
        sockets += [connect(running) for _ in range(8)]
        assert request(running)[0] == 200  # a ninth connection, with a request at once
        sockets.append(connect(running))  # a tenth: the oldest silent one makes room
        assert closed_by_the_endpoint(sockets[0])
        assert request(running)[0] == 200


def test_garbage_instead_of_a_request_gets_400_and_no_credentials(
    clock: Clock, fetch: Fetch
) -> None:
    with (
        Endpoint(fetch, profile="dev", report=print, now=clock) as running,
        connect(running) as junk,
    ):
        junk.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")  # TLS hello
        junk.settimeout(WAIT_SECONDS)
        answer = junk.recv(4096)
    assert answer.startswith(b"HTTP/1.0 400 ")
    assert fetch.calls == 0


def test_after_a_failed_renewal_requests_do_not_wait_on_the_service_again(clock: Clock) -> None:
    # Cognito is down: each renewal waits for its timeouts. The requests that come
    # meanwhile get the failure at once; after a while, one tries again.
    from cognito_credproc.errors import ServiceError

    def down() -> Credentials:
        raise ServiceError("Cognito could not be reached", profile="dev")

    fetch = Fetch(down)
    with Endpoint(fetch, profile="dev", report=lambda _m: None, now=clock) as running:
        assert [request(running)[0] for _ in range(5)] == [503] * 5
        assert fetch.calls == 1
        clock.advance(Renewer.retry_after)
        assert request(running)[0] == 503
        assert fetch.calls == 2


# Renewal ahead of the margin: a request never waits on Cognito ---------------------------


class Cache:
    """The credentials cache as the endpoint sees it, and a renewal the test holds."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.creds = creds(clock() + 3600)
        self.renewing = threading.Event()
        self.release = threading.Event()
        self.asked: list[float] = []

    def peek(self) -> Credentials | None:
        return self.creds

    def renew(self, margin: float) -> Credentials:
        self.asked.append(margin)
        self.renewing.set()
        assert self.release.wait(WAIT_SECONDS)  # Cognito is slow today
        self.creds = Credentials(
            "ASIARENEWED000000001", "renewed-secret", "renewed-token", self.clock() + 3600
        )
        return self.creds


def wait_for_renewals(endpoint: Endpoint, count: int) -> None:
    renewer = endpoint.renewer
    with renewer.renewed:
        assert renewer.renewed.wait_for(lambda: renewer.renewals >= count, WAIT_SECONDS)


def test_credentials_are_renewed_ahead_of_the_margin_while_requests_go_on(
    clock: Clock, fetch: Fetch
) -> None:
    cache = Cache(clock)
    with Endpoint(
        fetch,
        profile="dev",
        report=print,
        now=clock,
        peek=cache.peek,
        renew=cache.renew,
        margin=900,
    ) as running:
        assert request(running)[0] == 200
        # Inside the renewal's lead, still outside the refresh margin.
        clock.advance(3600 - 900 - RENEW_AHEAD_SECONDS + 1)
        running.renewer.wake()
        assert cache.renewing.wait(WAIT_SECONDS)
        # The renewal is waiting on Cognito: a request is answered from the cache at once.
        status, body = request(running)
        assert status == 200 and b"ASIAFAKE" in body
        cache.release.set()
        wait_for_renewals(running, 1)
        status, body = request(running)
    assert status == 200 and b"ASIARENEWED000000001" in body
    assert cache.asked == [900 + RENEW_AHEAD_SECONDS]  # renewed to last beyond the lead
    assert fetch.calls == 0  # no request ever had to renew


def test_a_failed_renewal_ahead_changes_nothing_for_requests(clock: Clock, fetch: Fetch) -> None:
    reports: list[str] = []
    cache = Cache(clock)

    def failing(margin: float) -> Credentials:
        from cognito_credproc.errors import ServiceError

        raise ServiceError("Cognito could not be reached", profile="dev")

    with Endpoint(
        fetch,
        profile="dev",
        report=reports.append,
        now=clock,
        peek=cache.peek,
        renew=failing,
        margin=900,
    ) as running:
        clock.advance(3600 - 900 - RENEW_AHEAD_SECONDS + 1)
        running.renewer.wake()
        wait_for_renewals(running, 1)
        assert request(running)[0] == 200  # the cached keys still have their margin
    assert reports == ["profile dev: Cognito could not be reached"]
    assert fetch.calls == 0
