"""A credentials endpoint on the loopback interface, in the container-credentials format
that every AWS SDK reads (``AWS_CONTAINER_CREDENTIALS_FULL_URI``) and refreshes from.

    GET http://127.0.0.1:PORT/PATH   Host: 127.0.0.1:PORT   Authorization: TOKEN
      -> Renewer: the cached credentials when they are good (no lock, no Cognito), else
         one renewal at a time in this process (fetch(): the Provider, with its file
         lock) -> {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "AccountId"?}

``PATH`` is random per run, like ``TOKEN``: a client still holding the variables of an
endpoint that has stopped is answered 404 by a later endpoint on the same port.

Refused, with no body: a Host other than the loopback address and this port (a web page
reaching us through DNS rebinding), or a request target in absolute form that names
another host, any method but GET (403), another path (404), a missing or wrong
Authorization header (401). A failed renewal answers 503 with a one-line JSON message;
expired credentials are never served.

Bursts and floods: one thread accepts every connection as soon as it arrives (a listen
backlog of thousands, not 5) and reads requests without blocking; a connection that has
not sent a whole request head within ``READ_DEADLINE_SECONDS``, or sends more than a
request head may hold, is closed, and when too many are open at once the oldest silent
one goes first (a real client sends its request at once). Complete requests go to a
fixed pool of worker threads; the thread count never grows with the connections. With
``renew``, a renewal thread renews the credentials ahead of the refresh margin, so a
request finds good credentials in the cache and never waits on Cognito.
"""

from __future__ import annotations

import collections
import email.utils
import errno
import hmac
import http.client
import io
import json
import logging
import queue
import secrets
import selectors
import signal
import socket
import sys
import threading
import time
import urllib.parse
from contextlib import contextmanager, suppress
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from . import platform
from .errors import CredprocError, ServiceError
from .output import iso_utc
from .redact import redact, register_secret
from .settings import DEFAULT_REFRESH_MARGIN_SECONDS

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
# The kernel queues this many connections before accepting them (capped by the system's
# somaxconn); with the old 5, a burst of 200 requests waited on SYN retransmits.
LISTEN_BACKLOG = 4096
# A client must have sent its whole request head this long after connecting: SDKs send
# it at once (they give up after a second or two themselves).
READ_DEADLINE_SECONDS = 5.0
MAX_REQUEST_LINE_BYTES = 8192
MAX_HEAD_BYTES = 16384
# Connections still sending their request: beyond this the oldest is closed. At most
# half the open files this process may have (1024 on most desktops).
MAX_PENDING_CONNECTIONS = 1024
WORKER_THREADS = 4
WRITE_TIMEOUT_SECONDS = 5.0
POLL_SECONDS = 0.2
# How long stopping waits for a thread still busy (a renewal, a slow client).
STOP_WAIT_SECONDS = 1.0
# After a failed renewal, requests are answered with that failure (503) at once for
# this long, rather than each waiting on a service that is down; the renewal thread
# tries again after it.
RETRY_AFTER_FAILURE_SECONDS = 10.0
# The renewal thread renews this long before the refresh margin (less for credentials
# too short-lived for it), and looks at the cache at least this often.
RENEW_AHEAD_SECONDS = 5 * 60
RENEWAL_POLL_SECONDS = 30.0
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
    """Credentials for the requests, and their renewal.

    A request gets what ``peek`` finds (the cache, read without a lock) while it has more
    than ``margin`` left. Otherwise it waits for a renewal (``fetch``), one at a time in
    this process (the file lock only keeps other processes out): requests that wait
    while one runs share its outcome, so twenty requests at once cause one renewal, and
    a failure is reported once until a renewal succeeds. For a while after a failure,
    requests get that failure at once instead of waiting on the service again.

    With ``renew`` (``start``), a thread renews ahead of the margin: ``renew(m)`` makes
    sure credentials with more than ``m`` seconds left are cached."""

    retry_after = RETRY_AFTER_FAILURE_SECONDS

    def __init__(
        self,
        fetch: Callable[[], Credentials],
        report: Callable[[str], None],
        *,
        profile: str,
        now: Callable[[], float] = time.time,
        lock: AbstractContextManager[Any] | None = None,
        peek: Callable[[], Credentials | None] | None = None,
        renew: Callable[[float], Credentials] | None = None,
        margin: float = DEFAULT_REFRESH_MARGIN_SECONDS,
    ) -> None:
        self._fetch = fetch
        self._report = report
        self.profile = profile
        self.now = now
        self._lock = threading.Lock() if lock is None else lock
        self._peek = peek
        self._renew = renew
        self.margin = margin
        self._rounds = 0
        self._outcome: Credentials | BaseException | None = None
        self._failing = False
        self._failed_at: float | None = None
        # how long fresh credentials last (from the last renewal), for the lead time
        self._lifetime: float | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # renewals the renewal thread has finished, successful or not (for tests)
        self.renewals = 0
        self.renewed = threading.Condition()

    # requests ----------------------------------------------------------------------------

    def credentials(self) -> Credentials:
        found = self._cached()
        if found is not None and found.expiration - self.now() > self.margin:
            return found
        if found is not None and found.expiration > self.now():
            self.wake()  # due: the renewal thread should have renewed them already
        if self._failed_at is not None and self.now() - self._failed_at < self.retry_after:
            outcome = self._outcome
            if isinstance(outcome, BaseException):
                raise outcome
        outcome = self._shared(self._fetch)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _cached(self) -> Credentials | None:
        if self._peek is None:
            # no cache to look at: the last renewal's credentials
            outcome = self._outcome
            return None if outcome is None or isinstance(outcome, BaseException) else outcome
        try:
            return self._peek()
        except Exception:  # an unreadable cache is a miss, never a 500
            log.debug("endpoint: the cache could not be read", exc_info=True)
            return None

    def _shared(self, attempt: Callable[[], Credentials]) -> Credentials | BaseException:
        arrived_in = self._rounds
        with self._lock:
            if self._rounds == arrived_in or self._outcome is None:
                self._outcome = self._attempt(attempt)
                self._rounds += 1
            return self._outcome

    def _attempt(self, attempt: Callable[[], Credentials]) -> Credentials | BaseException:
        try:
            creds = attempt()
            if creds.expiration <= self.now():
                # Never hand out keys that are over, whatever the cache or the service said.
                raise ServiceError(
                    "the credentials have expired and could not be renewed",
                    profile=self.profile,
                    hint="check this machine's clock; retry with --debug",
                )
        except Exception as exc:  # noqa: BLE001 - every failure becomes a 503, never a traceback
            self._failed_at = self.now()
            if not self._failing:
                self._failing = True
                self._report(failure_message(exc))
            return exc
        self._failing = False
        self._failed_at = None
        return creds

    # the renewal thread --------------------------------------------------------------------

    def start(self) -> None:
        """Start renewing ahead of the margin (only with ``renew``)."""
        if self._renew is None or self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._renew_ahead, name="credentials-renewal", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing. A renewal under way (a slow Cognito, a password_command) is not
        waited for long: the process may be about to end (its writes are atomic)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(STOP_WAIT_SECONDS)
            self._thread = None

    def wake(self) -> None:
        """Look at the credentials now (they may be due), not at the next poll."""
        self._wake.set()

    def lead(self) -> float:
        """How long before the margin the renewal thread renews: RENEW_AHEAD_SECONDS, or
        half of what fresh credentials have beyond the margin when that is less (else a
        renewal would find the fresh ones due again at once)."""
        if self._lifetime is None:
            return 0.0
        return max(0.0, min(RENEW_AHEAD_SECONDS, (self._lifetime - self.margin) / 2))

    def due_in(self) -> float:
        """Seconds until the renewal thread should renew (0: now)."""
        now = self.now()
        if self._failed_at is not None and now - self._failed_at < self.retry_after:
            return self._failed_at + self.retry_after - now
        found = self._cached()
        if found is None:
            return 0.0
        if self._lifetime is None:
            self._lifetime = found.expiration - now
        return max(0.0, found.expiration - self.margin - self.lead() - now)

    def renew_once(self) -> None:
        """One renewal ahead of the margin (what the thread does when it is due)."""
        assert self._renew is not None
        renew = self._renew
        wanted = self.margin + self.lead()
        outcome = self._shared(lambda: renew(wanted))
        if not isinstance(outcome, BaseException):
            self._lifetime = outcome.expiration - self.now()
        with self.renewed:
            self.renewals += 1
            self.renewed.notify_all()

    def _renew_ahead(self) -> None:
        while not self._stop.is_set():
            wait = self.due_in()
            if wait > 0:
                self._wake.wait(min(wait, RENEWAL_POLL_SECONDS))
                self._wake.clear()
                continue
            self.renew_once()
            if self.due_in() <= 0:
                # Renewed, and still due (the service hands out short keys): do not spin.
                self._stop.wait(RENEWAL_POLL_SECONDS)


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


# -- requests -------------------------------------------------------------------------------


class BadRequest(Exception):
    """A request head that is not HTTP/1.x: answered 400."""


class Request:
    """A request head, parsed: the method, the target, the headers."""

    def __init__(self, head: bytes) -> None:
        line, _, rest = head.partition(b"\n")
        words = line.rstrip(b"\r").decode("latin-1").split()
        if len(words) != 3 or not words[2].startswith("HTTP/1."):
            raise BadRequest("not an HTTP/1.x request line")
        self.method, self.target, self.version = words
        try:
            self.headers = http.client.parse_headers(io.BytesIO(rest))
        except http.client.HTTPException as exc:
            raise BadRequest(str(exc)) from None
        self.line = line.rstrip(b"\r").decode("latin-1")

    def hosts_named(self) -> list[str] | None:
        """The host the request is for: its Host header, unless the target is in absolute
        form, whose authority then wins (RFC 9112, 3.2.2). Another form names none."""
        if self.target.startswith("/"):
            return self.headers.get_all("Host")
        try:
            scheme, authority, _, _, _ = urllib.parse.urlsplit(self.target)
        except ValueError:  # not a URL
            return None
        return [authority] if scheme.lower() == "http" and authority else None

    def path(self) -> str:
        """The target's path, in either form (without a query)."""
        if self.target.startswith("/"):
            return self.target.split("?", 1)[0]
        try:
            return urllib.parse.urlsplit(self.target).path
        except ValueError:
            return ""


def response(status: int, body: bytes = b"", content_type: str | None = None) -> bytes:
    phrase = HTTPStatus(status).phrase
    lines = [
        f"HTTP/1.0 {status} {phrase}",
        "Server: cognito-credproc",
        f"Date: {email.utils.formatdate(usegmt=True)}",
        "Connection: close",
    ]
    if content_type is not None:
        lines += [f"Content-Type: {content_type}", "Cache-Control: no-store"]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def pending_limit() -> int:
    """How many connections may be sending their request at once: half the open files
    this process may have, at most MAX_PENDING_CONNECTIONS."""
    soft = platform.current().open_file_limit()
    if soft is None:
        return MAX_PENDING_CONNECTIONS
    return max(16, min(MAX_PENDING_CONNECTIONS, soft // 2))


class _Pending:
    """A connection still sending its request head."""

    __slots__ = ("buffer", "deadline", "sock")

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.buffer = b""


@contextmanager
def _main_thread_signals_blocked() -> Iterator[None]:
    """Signals are the main thread's to handle (it passes them on to the child). One the
    kernel gave to another thread would wait for the main thread to wake: perhaps not
    before the child ends. A thread started in here is born with them blocked (threads
    take their creator's mask)."""
    if sys.platform == "win32" or not hasattr(signal, "pthread_sigmask"):
        yield  # no signal masks there
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, MAIN_THREAD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class _Server:
    """The listening socket, the thread that accepts and reads, and the worker pool."""

    def __init__(
        self,
        endpoint: Endpoint,
        port: int,
        *,
        read_deadline: float,
        monotonic: Callable[[], float],
        max_pending: int,
        workers: int,
    ) -> None:
        self.endpoint = endpoint
        self.read_deadline = read_deadline
        self.monotonic = monotonic
        self.max_pending = max_pending
        self.workers = workers
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            # No SO_REUSEADDR: nobody else may be listening on this port while we do.
            self.listener.bind((LOOPBACK, port))  # OSError when the port is taken
            self.listener.listen(LISTEN_BACKLOG)
            self.listener.setblocking(False)
        except BaseException:
            self.listener.close()
            raise
        self.server_address: tuple[str, int] = self.listener.getsockname()[:2]
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.pending: collections.OrderedDict[socket.socket, _Pending] = collections.OrderedDict()
        self.ready: queue.Queue[tuple[socket.socket, bytes] | None] = queue.Queue()
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.closed = False

    def start(self) -> None:
        self.threads = [threading.Thread(target=self._accept_and_read, name="endpoint-reader")]
        self.threads += [
            threading.Thread(target=self._work, name=f"endpoint-worker-{n}")
            for n in range(self.workers)
        ]
        for thread in self.threads:
            thread.daemon = True
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for _ in range(self.workers):
            self.ready.put(None)
        reader, *workers = self.threads
        reader.join()
        for thread in workers:
            thread.join(STOP_WAIT_SECONDS)  # one may be waiting on a renewal: not for long
        self.threads = []
        self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for pending in list(self.pending.values()):
            self._drop(pending.sock)
        while True:
            try:
                item = self.ready.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[0].close()
        self.selector.close()
        self.listener.close()

    # the reader thread ---------------------------------------------------------------------

    def _accept_and_read(self) -> None:
        while not self.stopping.is_set():
            try:
                events = self.selector.select(POLL_SECONDS)
            except OSError:  # closed under us while stopping
                return
            for key, _ in events:
                if key.fileobj is self.listener:
                    self._accept()
                else:
                    assert isinstance(key.fileobj, socket.socket)
                    self._read(key.fileobj)
            self._expire()

    def _accept(self) -> None:
        """Take every connection waiting in the backlog (up to a batch, so the readers
        get their turn), reading what each has sent already."""
        for _ in range(LISTEN_BACKLOG):
            try:
                sock, _ = self.listener.accept()
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # Out of descriptors: the oldest silent connection makes room; with
                    # none, the workers' connections must end first (no busy loop).
                    if not self._drop_oldest():
                        self.stopping.wait(POLL_SECONDS)
                        return
                    continue
                if exc.errno in (errno.ECONNABORTED, errno.EPROTO, errno.EINTR):
                    continue
                return
            sock.setblocking(False)
            while len(self.pending) >= self.max_pending:
                self._drop_oldest()
            self.pending[sock] = _Pending(sock, self.monotonic() + self.read_deadline)
            self.selector.register(sock, selectors.EVENT_READ)
            self._read(sock)  # a real client's request is usually there already

    def _read(self, sock: socket.socket) -> None:
        pending = self.pending.get(sock)
        if pending is None:
            return
        try:
            chunk = sock.recv(MAX_HEAD_BYTES)
        except BlockingIOError:
            return
        except OSError:
            self._drop(sock)
            return
        if not chunk:
            self._drop(sock)
            return
        pending.buffer += chunk
        head, found, _ = pending.buffer.partition(b"\r\n\r\n")
        if not found:
            head, found, _ = pending.buffer.partition(b"\n\n")
        first_line = pending.buffer.split(b"\n", 1)[0]
        if len(first_line) > MAX_REQUEST_LINE_BYTES or (
            not found and len(pending.buffer) > MAX_HEAD_BYTES
        ):
            self._drop(sock)  # nothing a client of ours sends
            return
        if not found:
            return
        if len(head) > MAX_HEAD_BYTES:
            self._drop(sock)
            return
        self.selector.unregister(sock)
        del self.pending[sock]
        self.ready.put((sock, head))

    def _expire(self) -> None:
        now = self.monotonic()
        while self.pending:
            oldest = next(iter(self.pending.values()))
            if oldest.deadline > now:
                return
            self._drop(oldest.sock)

    def _drop_oldest(self) -> bool:
        if not self.pending:
            return False
        self._drop(next(iter(self.pending)))
        return True

    def _drop(self, sock: socket.socket) -> None:
        self.pending.pop(sock, None)
        with suppress(KeyError, ValueError):
            self.selector.unregister(sock)
        sock.close()

    # the workers ---------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            item = self.ready.get()
            if item is None:
                return
            sock, head = item
            try:
                answer = self.endpoint.answer(head)
                sock.setblocking(True)
                sock.settimeout(WRITE_TIMEOUT_SECONDS)
                sock.sendall(answer)
                sock.shutdown(socket.SHUT_WR)
            except Exception:  # one connection's failure is only that
                log.debug("endpoint: a connection failed", exc_info=True)
            finally:
                sock.close()


class Endpoint:
    """The server, its token and path, its threads; a context manager."""

    def __init__(
        self,
        fetch: Callable[[], Credentials],
        *,
        profile: str,
        port: int = 0,
        report: Callable[[str], None],
        now: Callable[[], float] = time.time,
        peek: Callable[[], Credentials | None] | None = None,
        renew: Callable[[float], Credentials] | None = None,
        margin: float = DEFAULT_REFRESH_MARGIN_SECONDS,
        read_deadline: float = READ_DEADLINE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        max_pending: int | None = None,
        workers: int = WORKER_THREADS,
    ) -> None:
        if max_pending is None:
            max_pending = pending_limit()
        self.renewer = Renewer(
            fetch, report, profile=profile, now=now, peek=peek, renew=renew, margin=margin
        )
        self.token = secrets.token_urlsafe(32)
        # A path of this run's own: a client left with an earlier run's variables reaches
        # nothing here.
        self.path = "/" + secrets.token_urlsafe(16)
        register_secret(self.token)
        register_secret(self.path[1:])
        self._token_bytes = self.token.encode()
        self._path_bytes = self.path.encode()
        self._server = _Server(
            self,
            port,
            read_deadline=read_deadline,
            monotonic=monotonic,
            max_pending=max_pending,
            workers=workers,
        )
        self.port: int = self._server.server_address[1]
        self._hosts = allowed_hosts(self.port)
        self._started = False

    @property
    def waiting(self) -> int:
        """Connections accepted that have not sent a whole request yet."""
        return len(self._server.pending)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}{self.path}"

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

    def path_matches(self, path: str) -> bool:
        return hmac.compare_digest(path.encode("latin-1", "replace"), self._path_bytes)

    def answer(self, head: bytes) -> bytes:
        """The whole response to one request head."""
        try:
            request = Request(head)
        except BadRequest:
            return response(400)
        log.debug("endpoint: %s", request.line)
        if not self.host_allowed(request.hosts_named()):
            return response(403)
        if request.method != "GET":
            return response(403)
        if not self.path_matches(request.path()):
            return response(404)
        if not self.token_matches(request.headers.get_all("Authorization")):
            return response(401)
        try:
            creds = self.renewer.credentials()
        except Exception as exc:  # noqa: BLE001 - reported once by the Renewer
            body = json.dumps({"message": failure_message(exc)}).encode()
            return response(503, body, "application/json")
        return response(200, container_json(creds), "application/json")

    def start(self) -> Endpoint:
        with _main_thread_signals_blocked():
            self._server.start()
            self.renewer.start()
        self._started = True
        log.debug("endpoint: listening on port %s", self.port)
        return self

    def stop(self) -> None:
        """Stop answering; connections are refused from here on."""
        self.renewer.stop()
        if self._started:
            self._server.stop()
            self._started = False
        else:
            self._server.close()

    def __enter__(self) -> Endpoint:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
