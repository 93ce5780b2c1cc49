"""A credentials endpoint on the loopback interface, in the container-credentials format
that every AWS SDK reads (``AWS_CONTAINER_CREDENTIALS_FULL_URI``) and refreshes from.

    GET http://127.0.0.1:PORT/   Host: 127.0.0.1:PORT   Authorization: TOKEN
      -> Renewer (one fetch at a time in this process) -> fetch() (the Provider: cache,
         file lock, renewal) -> {"AccessKeyId", "SecretAccessKey", "Token", "Expiration",
         "AccountId"?}

Refused, with no body: a Host other than the loopback address and this port (a web page
reaching us through DNS rebinding), or a request target in absolute form that names
another host, any method but GET (403), a missing or wrong
Authorization header (401). A failed renewal answers 503 with a one-line JSON message;
expired credentials are never served.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import signal
import socketserver
import sys
import threading
import time
import urllib.parse
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .errors import CredprocError, ServiceError
from .output import iso_utc
from .redact import redact, register_secret

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager

    from .credentials import Credentials

log = logging.getLogger("cognito_credproc")

LOOPBACK = "127.0.0.1"
# Names a client may use for us in the Host header. "localhost" resolves to the loopback
# address without DNS and the SDKs accept it in the URL; any other name is a page that
# had its own name point at 127.0.0.1.
LOOPBACK_NAMES = (LOOPBACK, "localhost")
HTTP_DEFAULT_PORT = 80
# A client that connects and then says nothing (or too slowly) loses its thread after this.
REQUEST_TIMEOUT_SECONDS = 10
MAX_REQUEST_LINE_BYTES = 8192
SERVER_THREAD_POLL_SECONDS = 0.2
MAIN_THREAD_SIGNALS = {
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")
    if hasattr(signal, name)
}


def allowed_hosts(port: int) -> set[str]:
    """What a client may call this endpoint in ``Host`` (lower case)."""
    hosts = {f"{name}:{port}" for name in LOOPBACK_NAMES}
    if port == HTTP_DEFAULT_PORT:
        hosts.update(LOOPBACK_NAMES)  # clients leave the scheme's default port out of Host
    return hosts


class Renewer:
    """One fetch at a time in this process (the file lock only keeps other processes
    out); requests that wait while a fetch runs share its outcome, so twenty requests
    at once cause one renewal, and a failure is reported once until a fetch succeeds."""

    def __init__(
        self,
        fetch: Callable[[], Credentials],
        report: Callable[[str], None],
        *,
        profile: str,
        now: Callable[[], float] = time.time,
        lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self._fetch = fetch
        self._report = report
        self.profile = profile
        self.now = now
        self._lock = threading.Lock() if lock is None else lock
        self._rounds = 0
        self._outcome: Credentials | BaseException | None = None
        self._failing = False

    def credentials(self) -> Credentials:
        arrived_in = self._rounds
        with self._lock:
            if self._rounds == arrived_in or self._outcome is None:
                self._outcome = self._attempt()
                self._rounds += 1
            outcome = self._outcome
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _attempt(self) -> Credentials | BaseException:
        try:
            creds = self._fetch()
            if creds.expiration <= self.now():
                # Never hand out keys that are over, whatever the cache or the service said.
                raise ServiceError(
                    "the credentials have expired and could not be renewed",
                    profile=self.profile,
                    hint="check this machine's clock; retry with --debug",
                )
        except Exception as exc:  # noqa: BLE001 - every failure becomes a 503, never a traceback
            if not self._failing:
                self._failing = True
                self._report(failure_message(exc))
            return exc
        self._failing = False
        return creds


def failure_message(exc: BaseException) -> str:
    """One line for stderr and for the 503's body."""
    if isinstance(exc, CredprocError):
        return redact(str(exc)).replace("\n  ", "; ").replace("\n", " ")
    return f"unexpected error ({type(exc).__name__}); run again with --debug for details"


def container_json(creds: Credentials) -> bytes:
    data = {
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "Token": creds.session_token,
        "Expiration": iso_utc(creds.expiration),
    }
    if creds.account_id:
        data["AccountId"] = creds.account_id
    return json.dumps(data).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = False
    endpoint: Endpoint

    def server_bind(self) -> None:
        # HTTPServer's own would look up the address's DNS name, which is of no use here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]  # type: ignore[assignment]

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("endpoint: a connection failed", exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = REQUEST_TIMEOUT_SECONDS

    def version_string(self) -> str:
        return "cognito-credproc"

    def handle_one_request(self) -> None:
        # Every method comes here (BaseHTTPRequestHandler would look for do_METHOD).
        try:
            self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE_BYTES + 1)
        except TimeoutError:
            self.close_connection = True
            return
        if not self.raw_requestline or len(self.raw_requestline) > MAX_REQUEST_LINE_BYTES:
            self.close_connection = True
            return
        if not self.parse_request():  # it has answered 400 already
            return
        self.close_connection = True
        self._answer()
        self.wfile.flush()

    def _answer(self) -> None:
        endpoint = self.server.endpoint
        if not endpoint.host_allowed(self._hosts_named()):
            return self._refuse(403)
        if self.command != "GET":
            return self._refuse(403)
        if not endpoint.token_matches(self.headers.get_all("Authorization")):
            return self._refuse(401)
        try:
            creds = endpoint.renewer.credentials()
        except Exception as exc:  # noqa: BLE001 - reported once by the Renewer
            return self._send(503, {"message": failure_message(exc)})
        self._send(200, container_json(creds))

    def _hosts_named(self) -> list[str] | None:
        """The host the request is for: its Host header, unless the target is in absolute
        form, whose authority then wins (RFC 9112, 3.2.2). Another form names none."""
        if self.path.startswith("/"):
            return self.headers.get_all("Host")
        try:
            scheme, authority, _, _, _ = urllib.parse.urlsplit(self.path)
        except ValueError:  # not a URL
            return None
        return [authority] if scheme.lower() == "http" and authority else None

    def _refuse(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, body: bytes | dict[str, str]) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("endpoint: " + format, *args)


@contextmanager
def _main_thread_signals_blocked() -> Iterator[None]:
    """Signals are the main thread's to handle (it passes them on to the child). One the
    kernel gave to another thread would wait for the main thread to wake: perhaps not
    before the child ends. A thread started in here is born with them blocked (threads
    take their creator's mask), and so are the request threads it starts."""
    if sys.platform == "win32" or not hasattr(signal, "pthread_sigmask"):
        yield  # no signal masks there
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, MAIN_THREAD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class Endpoint:
    """The server, its token and the thread that runs it; a context manager."""

    def __init__(
        self,
        fetch: Callable[[], Credentials],
        *,
        profile: str,
        port: int = 0,
        report: Callable[[str], None],
        now: Callable[[], float] = time.time,
    ) -> None:
        self.renewer = Renewer(fetch, report, profile=profile, now=now)
        self.token = secrets.token_urlsafe(32)
        register_secret(self.token)
        self._token_bytes = self.token.encode()
        self._server = _Server((LOOPBACK, port), _Handler)  # OSError when the port is taken
        self._server.endpoint = self
        self.port: int = self._server.server_address[1]
        self._hosts = allowed_hosts(self.port)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"

    def environment(self) -> dict[str, str]:
        """What a process needs to read this endpoint through its SDK."""
        return {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": self.url,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": self.token,
        }

    def host_allowed(self, values: list[str] | None) -> bool:
        return values is not None and len(values) == 1 and values[0].lower() in self._hosts

    def token_matches(self, values: list[str] | None) -> bool:
        if values is None or len(values) != 1:
            return False
        # Header values arrive decoded as Latin-1; compare bytes in constant time.
        offered = values[0].strip().encode("latin-1", "replace")
        return hmac.compare_digest(offered, self._token_bytes)

    def start(self) -> Endpoint:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": SERVER_THREAD_POLL_SECONDS},
            name="credentials-endpoint",
            daemon=True,
        )
        with _main_thread_signals_blocked():
            self._thread.start()
        log.debug("endpoint: listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop answering; connections are refused from here on."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Endpoint:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
