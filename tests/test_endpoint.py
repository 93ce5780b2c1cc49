"""The credentials endpoint in-process: its guards (Host, method, token, expiry), its
answers, and renewal through the real Provider against the strict local Cognito, with an
injected clock instead of waiting for the hour to pass."""

from __future__ import annotations

import contextlib
import http.client
import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cognito_credproc.cache import FileCache
from cognito_credproc.config import profile_from_section
from cognito_credproc.credentials import Credentials
from cognito_credproc.endpoint import Endpoint, Renewer, allowed_hosts
from cognito_credproc.errors import ServiceError
from cognito_credproc.prompt import NoTerminal
from cognito_credproc.provider import Provider
from cognito_credproc.redact import redact

from .conftest import Cognito
from .fakes import Clock
from .strict_cognito import BEHAVIOUR

KEYS = Credentials("ASIAFAKE0000000001", "fake-secret-key", "fake-session-token", 0.0, None)


def creds(expiration: float, account_id: str | None = "123456789012") -> Credentials:
    return Credentials(
        KEYS.access_key_id, KEYS.secret_access_key, KEYS.session_token, expiration, account_id
    )


def request(
    endpoint: Endpoint,
    *,
    token: str | None = "right",
    host: str | None = "right",
    method: str = "GET",
    target: str | None = None,
    extra: tuple[tuple[str, str], ...] = (),
) -> tuple[int, bytes]:
    """One raw request, every header under the test's control ("right" = the real value;
    the target is the endpoint's own path unless given)."""
    conn = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=30)
    try:
        conn.putrequest(
            method,
            endpoint.path if target is None else target,
            skip_host=True,
            skip_accept_encoding=True,
        )
        if host is not None:
            conn.putheader("Host", f"127.0.0.1:{endpoint.port}" if host == "right" else host)
        if token is not None:
            conn.putheader("Authorization", endpoint.token if token == "right" else token)
        for name, value in extra:
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Fetch:
    """A fetch function that counts its calls and answers what the test says."""

    def __init__(self, answer: Callable[[], Credentials]) -> None:
        self.answer = answer
        self.calls = 0

    def __call__(self) -> Credentials:
        self.calls += 1
        return self.answer()


@pytest.fixture
def clock() -> Clock:
    return Clock(start=1_800_000_000.0)


@pytest.fixture
def fetch(clock: Clock) -> Fetch:
    return Fetch(lambda: creds(clock() + 3600))


@pytest.fixture
def reports() -> list[str]:
    return []


@pytest.fixture
def endpoint(fetch: Fetch, clock: Clock, reports: list[str]) -> Iterator[Endpoint]:
    with Endpoint(fetch, profile="dev", report=reports.append, now=clock) as running:
        yield running


def test_answers_get_with_the_container_credentials_json(endpoint: Endpoint, clock: Clock) -> None:
    status, body = request(endpoint)
    assert status == 200
    assert json.loads(body) == {
        "AccessKeyId": KEYS.access_key_id,
        "SecretAccessKey": KEYS.secret_access_key,
        "Token": KEYS.session_token,
        "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock() + 3600)),
        "AccountId": "123456789012",
    }


def test_answers_are_not_cached_and_name_no_python_version(endpoint: Endpoint) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=30)
    try:
        conn.request("GET", endpoint.path, headers={"Authorization": endpoint.token})
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("Cache-Control") == "no-store"
    assert response.getheader("Server") == "cognito-credproc"


def test_account_id_only_when_known(clock: Clock) -> None:
    with Endpoint(
        lambda: creds(clock() + 3600, None), profile="dev", report=print, now=clock
    ) as running:
        status, body = request(running)
    assert status == 200
    assert "AccountId" not in json.loads(body)


def test_localhost_by_name_is_the_same_host(endpoint: Endpoint) -> None:
    assert request(endpoint, host=f"localhost:{endpoint.port}")[0] == 200
    assert request(endpoint, host=f"LOCALHOST:{endpoint.port}")[0] == 200


@pytest.mark.parametrize(
    "host",
    [
        "attacker.example:{port}",  # a page whose name was pointed at 127.0.0.1
        "127.0.0.1.nip.io:{port}",
        "127.0.0.1:{other}",
        "127.0.0.1",
        "",
        None,
    ],
)
def test_a_foreign_host_header_is_refused_even_with_the_token(
    endpoint: Endpoint, fetch: Fetch, host: str | None
) -> None:
    value = None if host is None else host.format(port=endpoint.port, other=endpoint.port + 1)
    status, body = request(endpoint, host=value)
    assert status == 403
    assert body == b""
    assert fetch.calls == 0


@pytest.mark.parametrize(
    "target",
    [
        "http://attacker.example/",  # the server must take the host from here, not Host
        "http://attacker.example:{port}/",
        "http://127.0.0.1:{other}/",
        "http://user@127.0.0.1:{port}/",
        "http://[127.0.0.1:{port}/",  # not a URL at all
        "127.0.0.1:{port}",  # authority-form: CONNECT's, not a GET's
        "*",
    ],
)
def test_a_request_target_naming_another_host_is_refused(
    endpoint: Endpoint, fetch: Fetch, target: str
) -> None:
    value = target.format(port=endpoint.port, other=endpoint.port + 1)
    status, body = request(endpoint, target=value)
    assert status == 403
    assert body == b""
    assert fetch.calls == 0


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
def test_a_request_target_naming_this_endpoint_is_answered(endpoint: Endpoint, name: str) -> None:
    assert request(endpoint, target=f"http://{name}:{endpoint.port}{endpoint.path}")[0] == 200


def test_on_port_80_the_host_header_may_leave_the_port_out() -> None:
    # Clients leave the scheme's default port out of Host: "127.0.0.1", not "127.0.0.1:80".
    assert allowed_hosts(80) == {"127.0.0.1", "127.0.0.1:80", "localhost", "localhost:80"}
    assert allowed_hosts(8080) == {"127.0.0.1:8080", "localhost:8080"}


def test_two_host_headers_are_refused(endpoint: Endpoint, fetch: Fetch) -> None:
    status, _ = request(endpoint, extra=(("Host", "attacker.example"),))
    assert status == 403
    assert fetch.calls == 0


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "BREW"])
def test_only_get_is_answered(endpoint: Endpoint, fetch: Fetch, method: str) -> None:
    status, body = request(endpoint, method=method)
    assert status == 403
    assert body == b""
    assert fetch.calls == 0


@pytest.mark.parametrize(
    "token",
    [None, "", "wrong", "right-but-longer", "Bearer {token}", "{token}x", "{short}"],
)
def test_a_missing_or_wrong_token_is_refused(
    endpoint: Endpoint, fetch: Fetch, token: str | None
) -> None:
    value = None if token is None else token.format(token=endpoint.token, short=endpoint.token[:-1])
    status, body = request(endpoint, token=value)
    assert status == 401
    assert body == b""
    assert fetch.calls == 0


def test_a_second_authorization_header_is_refused(endpoint: Endpoint, fetch: Fetch) -> None:
    status, _ = request(endpoint, extra=(("Authorization", endpoint.token),))
    assert status == 401
    assert fetch.calls == 0


def test_the_token_is_random_per_endpoint_and_redacted(clock: Clock) -> None:
    tokens = set()
    for _ in range(3):
        with Endpoint(lambda: creds(clock() + 3600), profile="dev", report=print) as running:
            tokens.add(running.token)
            assert len(running.token) >= 32
            assert redact(f"token {running.token}") == "token [redacted]"
    assert len(tokens) == 3


def test_listens_on_loopback_only(endpoint: Endpoint) -> None:
    assert endpoint.url == f"http://127.0.0.1:{endpoint.port}{endpoint.path}"
    assert endpoint._server.server_address[0] == "127.0.0.1"


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
def test_request_threads_leave_signals_to_the_main_thread(clock: Clock) -> None:
    # A signal the kernel hands to a request thread would not be passed on to exec's
    # child until the main thread, waiting on that child, woke up.
    masks = []

    def fetch() -> Credentials:
        masks.append(signal.pthread_sigmask(signal.SIG_BLOCK, set()))  # reads the mask
        return creds(clock() + 3600)

    with Endpoint(fetch, profile="dev", report=print, now=clock) as running:
        assert request(running)[0] == 200
    assert {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT} <= masks[0]
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
def test_the_server_thread_is_born_with_the_signals_blocked(clock: Clock) -> None:
    # Blocking them only once it runs leaves a moment (a loaded machine, the GIL elsewhere)
    # in which the kernel may give it one that the main thread, waiting on exec's child,
    # would then never see. The trace hook runs in the new thread before its first line.
    masks: list[set[int | signal.Signals]] = []

    def first_look(frame: Any, event: str, arg: Any) -> None:
        masks.append(signal.pthread_sigmask(signal.SIG_BLOCK, set()))

    before = threading.gettrace()
    threading.settrace(first_look)
    try:
        running = Endpoint(lambda: creds(clock() + 3600), profile="dev", report=print).start()
    finally:
        threading.settrace(before)
    running.stop()
    assert masks, "the trace hook did not run"
    assert {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT} <= masks[0]
    assert signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, set())


def test_connections_are_refused_once_stopped(clock: Clock) -> None:
    running = Endpoint(lambda: creds(clock() + 3600), profile="dev", report=print).start()
    assert request(running)[0] == 200
    running.stop()
    with pytest.raises(ConnectionRefusedError):
        request(running)


def test_expired_credentials_are_never_served(clock: Clock, reports: list[str]) -> None:
    with Endpoint(
        lambda: creds(clock() - 1), profile="dev", report=reports.append, now=clock
    ) as running:
        answers = [request(running) for _ in range(3)]
    for status, body in answers:
        assert status == 503
        assert b"\n" not in body
        assert KEYS.access_key_id.encode() not in body
        assert KEYS.secret_access_key.encode() not in body
        assert "expired" in json.loads(body)["message"]
    assert len(reports) == 1


def test_credentials_expiring_this_very_second_are_not_served(clock: Clock) -> None:
    with Endpoint(lambda: creds(clock()), profile="dev", report=print, now=clock) as running:
        assert request(running)[0] == 503


def test_a_failed_renewal_is_a_503_reported_once_per_outage(
    clock: Clock, reports: list[str]
) -> None:
    failing = [True]

    def answer() -> Credentials:
        if failing[0]:
            raise ServiceError(
                "Cognito could not be reached", profile="dev", hint="run: cognito-credproc login"
            )
        return creds(clock() + 3600)

    with Endpoint(Fetch(answer), profile="dev", report=reports.append, now=clock) as running:
        first = []
        for _ in range(3):
            first.append(request(running))
            clock.advance(Renewer.retry_after)  # the next one tries again, and fails again
        failing[0] = False
        assert request(running)[0] == 200
        failing[0] = True
        clock.advance(3600)  # those keys are over: the next request needs a renewal
        assert request(running)[0] == 503
    for status, body in first:
        assert status == 503
        message = json.loads(body)["message"]
        assert message == "profile dev: Cognito could not be reached; run: cognito-credproc login"
    assert reports == [
        "profile dev: Cognito could not be reached; run: cognito-credproc login",
        "profile dev: Cognito could not be reached; run: cognito-credproc login",
    ]


def test_an_unexpected_failure_is_a_503_without_details(clock: Clock, reports: list[str]) -> None:
    def broken() -> Credentials:
        raise RuntimeError("internal detail with a secret-looking value")

    with Endpoint(broken, profile="dev", report=reports.append, now=clock) as running:
        status, body = request(running)
    assert status == 503
    assert b"internal detail" not in body
    assert reports == ["unexpected error (RuntimeError); run again with --debug for details"]


class CountingLock:
    """A lock that tells how many threads have come to it (holding it or waiting)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = threading.Condition()
        self.arrived = 0

    def __enter__(self) -> None:
        with self._count:
            self.arrived += 1
            self._count.notify_all()
        self._lock.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()

    def wait_for(self, count: int) -> None:
        with self._count:
            assert self._count.wait_for(lambda: self.arrived >= count, timeout=60)


@pytest.mark.parametrize("fails", [False, True])
def test_requests_that_wait_on_a_fetch_share_its_outcome(
    clock: Clock, reports: list[str], fails: bool
) -> None:
    # A failing Cognito answers slowly (three attempts, long timeouts): everyone queued
    # behind a fetch gets its answer instead of trying again one after another.
    lock = CountingLock()

    def answer() -> Credentials:
        lock.wait_for(20)  # everyone else is queued behind this fetch
        if fails:
            raise ServiceError("Cognito could not be reached", profile="dev")
        return creds(clock() + 3600)

    fetch = Fetch(answer)
    renewer = Renewer(fetch, reports.append, profile="dev", now=clock, lock=lock)
    outcomes: list[object] = []

    def ask() -> None:
        try:
            outcomes.append(renewer.credentials())
        except ServiceError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fetch.calls == 1
    assert len(outcomes) == 20 and len({id(o) for o in outcomes}) == 1
    assert len(reports) == (1 if fails else 0)
    # A request that comes later, once those keys are due or the failure is old, gets a
    # renewal of its own.
    clock.advance(3600)
    with contextlib.suppress(ServiceError):
        renewer.credentials()
    assert fetch.calls == 2


# Through the real Provider and the strict local Cognito ---------------------------------


def provider_for(cognito: Cognito, tmp_path: Path, clock: Clock) -> Provider:
    section = {
        "user_pool_id": cognito.user_pool_id,
        "app_client_id": cognito.client_id,
        "identity_pool_id": cognito.identity_pool_id,
        "username": cognito.username,
        "endpoint_url": cognito.endpoint,
    }
    profile = profile_from_section("test.ini", "dev", section, {})
    return Provider(
        profile,
        FileCache(str(tmp_path / "cache")),
        now=clock,
        interaction=NoTerminal("dev"),
        environ={"COGNITO_CREDPROC_PASSWORD": cognito.password},
    )


def key_of(endpoint: Endpoint) -> str:
    status, body = request(endpoint)
    assert status == 200, body
    data: dict[str, Any] = json.loads(body)
    return str(data["AccessKeyId"])


@pytest.mark.integration
def test_asking_again_after_the_hour_gets_renewed_keys(cognito: Cognito, tmp_path: Path) -> None:
    clock = Clock(start=time.time())
    provider = provider_for(cognito, tmp_path, clock)
    with Endpoint(provider.credentials, profile="dev", report=print, now=clock) as running:
        first = key_of(running)
        assert key_of(running) == first  # from the cache
        assert BEHAVIOUR.calls["GetCredentialsForIdentity"] == 1
        clock.advance(3600 - 60)  # inside the refresh margin; the ID token is renewed too
        second = key_of(running)
    assert second != first
    assert BEHAVIOUR.calls["GetCredentialsForIdentity"] == 2
    assert cognito.sign_ins() == 1


@pytest.mark.integration
def test_twenty_concurrent_requests_cause_one_renewal(cognito: Cognito, tmp_path: Path) -> None:
    clock = Clock(start=time.time())
    provider = provider_for(cognito, tmp_path, clock)
    provider.credentials()
    # The next credentials outlive the clock's jump, so one renewal serves everyone.
    BEHAVIOUR.credentials_lifetime = 2 * 3600
    clock.advance(3600 - 800)
    before = dict(BEHAVIOUR.calls)
    with Endpoint(provider.credentials, profile="dev", report=print, now=clock) as running:
        start = threading.Barrier(20)
        keys: list[str] = []

        def ask() -> None:
            start.wait()
            keys.append(key_of(running))

        threads = [threading.Thread(target=ask) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(keys) == 20 and len(set(keys)) == 1
    assert BEHAVIOUR.calls["GetCredentialsForIdentity"] - before["GetCredentialsForIdentity"] == 1
    assert cognito.sign_ins() == 1


@pytest.mark.integration
def test_a_renewal_refused_by_cognito_serves_nothing_stale(
    cognito: Cognito, tmp_path: Path
) -> None:
    clock = Clock(start=time.time())
    provider = provider_for(cognito, tmp_path, clock)
    reports: list[str] = []
    with Endpoint(provider.credentials, profile="dev", report=reports.append, now=clock) as running:
        old = key_of(running)
        BEHAVIOUR.fail_credentials = True
        clock.advance(3600 + 1)  # the cached keys are over
        answers = [request(running) for _ in range(3)]
    for status, body in answers:
        assert status == 503
        assert old.encode() not in body and b"\n" not in body
        assert "profile dev" in json.loads(body)["message"]
    assert len(reports) == 1


def test_pending_connections_are_limited_by_this_process_open_files() -> None:
    import resource

    from cognito_credproc.endpoint import MAX_PENDING_CONNECTIONS, pending_limit

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    expected = (
        MAX_PENDING_CONNECTIONS
        if soft == resource.RLIM_INFINITY
        else max(16, min(MAX_PENDING_CONNECTIONS, soft // 2))
    )
    assert pending_limit() == expected
