"""The loopback listener: where the browser comes back to after signing in.

It listens on the loopback interface only (both 127.0.0.1 and ::1 for ``localhost``),
at the exact port and path of ``redirect_uri``. Stray requests (a favicon, another
path, a request that names another host in its Host header or its target, as DNS
rebinding would) get a small error page and it keeps waiting; the first request on the
path that carries ``code``, ``error`` or ``state`` is the callback. The browser's page
for it is written once the sign-in has finished, so it can say who signed in, or what
went wrong.
"""

from __future__ import annotations

import contextlib
import errno
import html
import logging
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger("cognito_credproc")

# How long the browser's request is held open while the code is exchanged.
PAGE_WAIT_SECONDS = 30
REQUEST_TIMEOUT_SECONDS = 10
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
# A request on the path with any of these is the callback (one with only a state and
# neither code nor error is a broken one, to report rather than wait past).
CALLBACK_PARAMS = frozenset({"code", "error", "state"})


class ListenError(Exception):
    """The redirect_uri cannot be listened on (not loopback http, or the port is taken)."""


class Page:
    """What the browser shows at the end."""

    def __init__(self, ok: bool, title: str, detail: str) -> None:
        self.ok = ok
        self.title = title
        self.detail = detail

    def render(self) -> bytes:
        colour = "#1a7f37" if self.ok else "#b42318"
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title></head>"
            "<body style='font-family:sans-serif;margin:3em'>"
            f"<h1 style='color:{colour}'>{html.escape(self.title)}</h1>"
            f"<p>{html.escape(self.detail)}</p></body></html>"
        ).encode()


def parse_redirect_uri(redirect_uri: str) -> tuple[str, int, str]:
    """(host, port, path) of an http loopback redirect_uri; ListenError otherwise."""
    parts = urllib.parse.urlsplit(redirect_uri)
    host = parts.hostname or ""
    if parts.scheme != "http" or host not in ("localhost", "127.0.0.1", "::1"):
        raise ListenError(
            f"redirect_uri {redirect_uri} is not an http://localhost or http://127.0.0.1 address"
        )
    if parts.fragment or parts.username or parts.password:
        raise ListenError(f"redirect_uri {redirect_uri} must not carry a fragment or user")
    try:
        port = parts.port or 80
    except ValueError:
        raise ListenError(f"redirect_uri {redirect_uri} has an invalid port") from None
    return host, port, parts.path or "/"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # SO_REUSEADDR lets a second listener share the port on Windows; elsewhere it only
    # skips TIME_WAIT. SO_REUSEPORT is never set: nobody shares this port with us.
    allow_reuse_address = sys.platform != "win32"
    listener: Listener

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A request that breaks off (a reset, a browser cancelling its favicon) or that
        # anyone on the machine sent: socketserver would print a traceback on our stderr.
        log.debug("sign-in listener: a request failed (%s)", sys.exc_info()[0])


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    timeout = REQUEST_TIMEOUT_SECONDS

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request line carries the code

    def _send(self, status: int, page: Page) -> None:
        body = page.render()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def do_GET(self) -> None:
        listener = self.server.listener
        try:
            split = urllib.parse.urlsplit(self.path)
        except ValueError:  # "GET http://[::1/ HTTP/1.0": not the browser's
            self._send(400, Page(False, "Bad request", "This is not a sign-in address."))
            return
        if not self._for_us(split):
            self._send(400, Page(False, "Wrong address", "This address is not the sign-in's."))
            return
        if split.path != listener.path:
            self._send(404, Page(False, "Not found", "Nothing here."))
            return
        params = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        if not CALLBACK_PARAMS & params.keys():
            self._send(400, Page(False, "No sign-in here", "This address expects a sign-in."))
            return
        if not listener.deliver(params):
            self._send(409, Page(False, "Already finished", "This sign-in has finished."))
            return
        page = listener.page_for_browser()
        self._send(200 if page.ok else 400, page)
        listener.page_written.set()

    def _for_us(self, split: urllib.parse.SplitResult) -> bool:
        """Whether the request names a loopback host and our port: in its one Host
        header, and in the target itself when that is in absolute form, whose authority
        a server takes over Host (RFC 9112, 3.2.2)."""
        listener = self.server.listener
        if not listener.host_ok(self.headers.get("Host")):
            return False
        if len(self.headers.get_all("Host") or ()) != 1:
            return False
        return not split.netloc or listener.host_ok(split.netloc)

    def do_POST(self) -> None:
        self._send(405, Page(False, "Not allowed", "Only the browser's redirect is expected."))

    do_PUT = do_DELETE = do_HEAD = do_POST


class Listener:
    """Serves redirect_uri until one callback arrives; then hands it to ``wait``."""

    def __init__(self, redirect_uri: str) -> None:
        self.host, self.port, self.path = parse_redirect_uri(redirect_uri)
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._arrived = threading.Event()
        self._finished = threading.Event()
        self.page_written = threading.Event()
        self._callback: dict[str, str] | None = None
        self._page = Page(False, "Sign-in ended", "The sign-in ended. You can close this tab.")

    def host_ok(self, host_header: str | None) -> bool:
        allowed = {f"{name}:{self.port}" for name in LOOPBACK_NAMES}
        if self.port == 80:
            allowed.update(LOOPBACK_NAMES)
        return (host_header or "").lower() in allowed

    def _addresses(self) -> list[tuple[socket.AddressFamily, str]]:
        if self.host == "localhost":
            # Browsers may try ::1 first for "localhost": listen there too when there is one.
            both = [(socket.AF_INET, "127.0.0.1")]
            return both + ([(socket.AF_INET6, "::1")] if socket.has_ipv6 else [])
        if self.host == "::1":
            return [(socket.AF_INET6, "::1")]
        return [(socket.AF_INET, "127.0.0.1")]

    def start(self) -> None:
        for family, address in self._addresses():
            server_class = type("_BoundServer", (_Server,), {"address_family": family})
            try:
                server = server_class((address, self.port), _Handler)
            except OSError as exc:
                if family == socket.AF_INET6 and exc.errno in (
                    errno.EADDRNOTAVAIL,
                    errno.EAFNOSUPPORT,
                ):
                    continue  # no IPv6 loopback here: nothing can listen there either
                self.close()
                if exc.errno == errno.EADDRINUSE:
                    raise ListenError(
                        f"port {self.port} on {address} is already in use by another program"
                    ) from None
                raise ListenError(
                    f"cannot listen on {address} port {self.port} ({exc.strerror})"
                ) from None
            server.listener = self
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
            )
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)

    def deliver(self, params: dict[str, str]) -> bool:
        """The first callback wins; the handler then holds the browser's request until
        ``finish`` says what to show (or PAGE_WAIT_SECONDS pass)."""
        with self._lock:
            if self._callback is not None:
                return False
            self._callback = params
        self._arrived.set()
        self._finished.wait(PAGE_WAIT_SECONDS)
        return True

    def page_for_browser(self) -> Page:
        return self._page

    def wait(
        self,
        timeout: float,
        *,
        give_up: Callable[[], bool] | None = None,
        tick: Callable[[float], None] | None = None,
    ) -> dict[str, str] | None:
        """The callback's parameters, or None after ``timeout`` seconds (or as soon as
        ``give_up()`` is true; it is asked about twice a second, and ``tick`` is told
        the seconds left as often)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if tick is not None:
                tick(left)
            if self._arrived.wait(min(left, 0.5)):
                return self._callback
            if give_up is not None and give_up():
                return None

    def finish(self, page: Page) -> None:
        self._page = page
        self._finished.set()

    def close(self) -> None:
        self._finished.set()
        if self._callback is not None:
            self.page_written.wait(2)  # let the browser have its page before we go
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> Listener:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
