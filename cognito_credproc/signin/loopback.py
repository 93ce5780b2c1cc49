"""The loopback listener: where the browser starts the sign-in and comes back to.

It listens on the loopback interface only (both 127.0.0.1 and ::1 for ``localhost``),
at the exact port of ``redirect_uri``, and serves two addresses:

    the start URL   a random one-time path: the browser is handed this, not the
                    authorize URL (a command line is readable by every user of the
                    machine; the authorize URL's state, PKCE challenge and nonce would
                    let another user finish the sign-in as herself). Fetched once, it
                    sets a cookie holding a fresh random binding value (HttpOnly,
                    SameSite=Lax) and redirects to the authorize URL. Fetched again,
                    someone raced the browser to it: the sign-in is over (``raced``).
    redirect_uri    the callback: taken only with the binding cookie and this
                    sign-in's state; anything else (another program, a web page, a
                    stale tab) gets an error page and the wait goes on.

On Linux, where the kernel says which user owns the other end of a loopback
connection, requests from other users (root aside) are refused before either step.
Stray requests (a favicon, another path, a request that names another host in its
Host header or its target, as DNS rebinding would) get a small error page too. The
browser's page for the callback is written once the sign-in has finished, so it can
say who signed in, or what went wrong.
"""

from __future__ import annotations

import contextlib
import errno
import html
import ipaddress
import logging
import os
import secrets
import socket
import struct
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..platform import current
from .oauth import same_secret

log = logging.getLogger("cognito_credproc")

# How long the browser's request is held open while the code is exchanged.
PAGE_WAIT_SECONDS = 30
REQUEST_TIMEOUT_SECONDS = 10
# Connections that may be sending their request at once, and for how long each: a
# browser needs a few, at once; the rest is someone else's flood.
MAX_WAITING = 32
REQUEST_DEADLINE_SECONDS = 10
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
# A request on the path with any of these is the callback (one with only a state and
# neither code nor error is a broken one, to report rather than wait past).
CALLBACK_PARAMS = frozenset({"code", "error", "state"})
# The binding cookie outlives the longest wait (``login``: five minutes) with room for a
# slow sign-in page, and no more: it is useless once the sign-in is over.
COOKIE_MAX_AGE_SECONDS = 15 * 60
START_PATH_PREFIX = "/cognito-credproc-signin-"
# What the kernel lists for each TCP socket (Linux): the owner of a connection's far end.
PROC_NET_TCP = ("/proc/net/tcp", "/proc/net/tcp6")
TCP_ESTABLISHED = "01"

RACED_PAGE = (
    "This sign-in page was opened before, by another program on this computer (or in "
    "another tab or browser): the sign-in was stopped, so that nobody else's sign-in can "
    "be slipped in. Go back to the terminal and try again."
)

Address = tuple[str, int]
PeerCheck = Callable[[Address, Address], bool]


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


def _proc_address(field: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    """``0100007F:1F90`` (/proc/net/tcp: 32-bit words in host order, then the port)."""
    host, port = field.split(":")
    raw = b"".join(
        int(host[i : i + 8], 16).to_bytes(4, sys.byteorder) for i in range(0, len(host), 8)
    )
    address = ipaddress.ip_address(raw)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped, int(port, 16)
    return address, int(port, 16)


def _normal(address: Address) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    ip = ipaddress.ip_address(address[0].split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip, int(address[1])


# sock_diag (linux/sock_diag.h, linux/inet_diag.h): one exact lookup of a TCP socket
# by its addresses, as ss(8) makes; its cost does not grow with the number of sockets.
NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 1
NLMSG_ERROR = 2
INET_DIAG_NOCOOKIE = 0xFFFFFFFF
_NLMSG_HEADER = struct.Struct("=IHHII")  # length, type, flags, sequence, port id
_DIAG_REQUEST = struct.Struct("=BBBxI")  # family, protocol, extensions, states
_DIAG_SOCKID = struct.Struct("!HH16s16s")  # ports and addresses, network order
_DIAG_TAIL = struct.Struct("=III")  # interface, cookie (two words)
_DIAG_MESSAGE = struct.Struct("=BBBB")  # family, state, timer, retransmits
_DIAG_AFTER_ID = struct.Struct("=IIIII")  # expires, rqueue, wqueue, uid, inode


def _diag_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bytes:
    return ip.packed.ljust(16, b"\0")


def diag_owner(server: Address, client: Address) -> int | None:
    """The uid that owns the client end of a loopback connection to ``server``, asked of
    the kernel by its addresses (sock_diag): None when no process holds it. OSError when
    the kernel cannot be asked (not Linux, no sock_diag)."""
    client_ip, client_port = _normal(client)
    server_ip, server_port = _normal(server)
    if client_ip.version != server_ip.version:
        return None
    family = socket.AF_INET if client_ip.version == 4 else socket.AF_INET6
    request = _DIAG_REQUEST.pack(family, socket.IPPROTO_TCP, 0, 0xFFFFFFFF)
    request += _DIAG_SOCKID.pack(
        client_port, server_port, _diag_address(client_ip), _diag_address(server_ip)
    )
    request += _DIAG_TAIL.pack(0, INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE)
    message = _NLMSG_HEADER.pack(
        _NLMSG_HEADER.size + len(request), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, 1, 0
    )
    netlink: int | None = getattr(socket, "AF_NETLINK", None)
    if netlink is None:
        raise OSError(errno.EAFNOSUPPORT, "no netlink here")
    with socket.socket(netlink, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG) as diag:
        diag.settimeout(2)
        diag.send(message + request)
        answer = diag.recv(8192)
    try:
        length, kind, _flags, _seq, _pid = _NLMSG_HEADER.unpack_from(answer)
        if kind == NLMSG_ERROR:
            (code,) = struct.unpack_from("=i", answer, _NLMSG_HEADER.size)
            if -code == errno.ENOENT:
                return None  # no such connection (any more)
            raise OSError(-code, os.strerror(-code))
        if kind != SOCK_DIAG_BY_FAMILY or length > len(answer):
            raise OSError(errno.EPROTO, "unexpected sock_diag answer")
        offset = _NLMSG_HEADER.size + _DIAG_MESSAGE.size + _DIAG_SOCKID.size + _DIAG_TAIL.size
        _expires, _rq, _wq, uid, inode = _DIAG_AFTER_ID.unpack_from(answer, offset)
    except struct.error:  # cut short: taken as no answer (the tables are read instead)
        raise OSError(errno.EPROTO, "short sock_diag answer") from None
    return uid if inode else None  # no inode: no process holds it (closed, time-wait)


def peer_owner(server: Address, client: Address) -> int | None:
    """The owner of the client end (see ``diag_owner``), from the kernel's tables where
    sock_diag cannot be asked. OSError when neither can be read."""
    try:
        return diag_owner(server, client)
    except OSError as exc:
        log.debug("sign-in listener: sock_diag failed (%s); reading the tables", exc)
    return connection_owner(server, client)


def connection_owner(
    server: Address, client: Address, tables: tuple[str, ...] = PROC_NET_TCP
) -> int | None:
    """The uid that owns the client end of a loopback connection to ``server``: the
    established socket (one with an inode: a socket a process holds) whose local
    address is ``client`` and whose peer is ``server``. None when there is none, as
    for a client that already closed its end (the kernel then lists uid 0).
    OSError when the kernel's tables cannot be read (not Linux)."""
    want_local, want_remote = _normal(client), _normal(server)
    read_any = False
    for path in tables:
        try:
            with open(path, encoding="ascii", errors="replace") as table:
                lines = table.read().splitlines()[1:]
        except FileNotFoundError:
            continue  # no IPv6 here
        read_any = True
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != TCP_ESTABLISHED or fields[9] == "0":
                continue
            try:
                if (
                    _proc_address(fields[1]) == want_local
                    and _proc_address(fields[2]) == want_remote
                ):
                    return int(fields[7])
            except ValueError:
                continue
    if not read_any:
        raise FileNotFoundError(tables[0])
    return None


def peer_is_ours(server: Address, client: Address) -> bool:
    """Whether the program at the other end of a loopback connection runs as this user
    (or as root, who could read this process's memory anyway, and who runs the relays
    of WSL). Where the kernel does not say (not Linux), True: there the start URL being
    single-use is the protection. Where it should say and its table cannot be read
    (another user used up our open files, say), False: never trusted by default."""
    try:
        owner = peer_owner(server, client)
    except OSError as exc:
        if current().knows_loopback_peers:
            log.debug("sign-in listener: cannot tell who connects (%s); refused", exc)
            return False
        return True
    if owner is None:
        log.debug("sign-in listener: the other end of a connection is not a process's")
        return False
    ours = {os.geteuid(), 0} if hasattr(os, "geteuid") else {0}
    if owner not in ours:
        log.debug("sign-in listener: refused a request of another user (uid %d)", owner)
        return False
    return True


def _cookie_values(header: str | None, name: str) -> list[str]:
    """Every value the Cookie header gives ``name`` (a browser may send two cookies of
    one name, with different paths)."""
    found = []
    for part in (header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            found.append(value.strip())
    return found


class _Guarded(ThreadingHTTPServer):
    """A loopback server that another user cannot crowd: connections of other users are
    closed as they are accepted (where the kernel says who connects), and at most
    MAX_WAITING connections may still be sending their request, each for at most
    REQUEST_DEADLINE_SECONDS; when one more comes, the oldest of them (or one past its
    deadline) is closed to make room. So neither threads nor open files grow with a
    flood, and a browser's request, which comes at once, is read."""

    daemon_threads = True
    request_queue_size = 128  # a burst waits in the kernel, not in SYN retries

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._waiting: dict[socket.socket, float] = {}
        self._waiting_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def peer_check(self, server: Address, client: Address) -> bool:
        raise NotImplementedError

    def verify_request(self, request: Any, client_address: Any) -> bool:
        try:
            ok = self.peer_check(request.getsockname()[:2], client_address[:2])
        except OSError:
            ok = False
        if not ok:
            log.debug("loopback server: closed a connection of another user at once")
            return False
        now = time.monotonic()
        with self._waiting_lock:
            for sock, since in list(self._waiting.items()):
                if now - since > REQUEST_DEADLINE_SECONDS:
                    self._drop(sock)
            while len(self._waiting) >= MAX_WAITING:
                self._drop(next(iter(self._waiting)))
            self._waiting[request] = now
        return True

    def _drop(self, sock: socket.socket) -> None:
        """Close a connection still sending its request (its thread then ends)."""
        del self._waiting[sock]
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def request_read(self, sock: socket.socket) -> None:
        with self._waiting_lock:
            self._waiting.pop(sock, None)

    def shutdown_request(self, request: Any) -> None:
        self.request_read(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A request that breaks off (a reset, a browser cancelling its favicon) or that
        # anyone on the machine sent: socketserver would print a traceback on our stderr.
        log.debug("sign-in listener: a request failed (%s)", sys.exc_info()[0])


class _Server(_Guarded):
    listener: Listener

    def peer_check(self, server: Address, client: Address) -> bool:
        return self.listener.peer_check(server, client)

    def server_bind(self) -> None:
        # SO_REUSEADDR lets a second listener share the port on Windows; elsewhere it only
        # skips TIME_WAIT. SO_REUSEPORT is never set: nobody shares this port with us.
        self.allow_reuse_address = current().reuse_address_is_private
        super().server_bind()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    timeout = REQUEST_TIMEOUT_SECONDS

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request line carries the code

    def parse_request(self) -> bool:
        parsed = super().parse_request()
        self.server.request_read(self.connection)  # no longer one that may be dropped
        return parsed

    def _send(
        self, status: int, page: Page | None, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        body = page.render() if page is not None else b""
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
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
        if split.path == listener.start_path:
            self._start()
            return
        if split.path != listener.path:
            self._send(404, Page(False, "Not found", "Nothing here."))
            return
        params = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        if not CALLBACK_PARAMS & params.keys():
            self._send(400, Page(False, "No sign-in here", "This address expects a sign-in."))
            return
        if not self._peer_ok():
            return
        refusal = listener.refusal(params, self.headers.get_all("Cookie") or [])
        if refusal is not None:
            self._send(403, refusal)
            return
        if not listener.deliver(params):
            self._send(409, Page(False, "Already finished", "This sign-in has finished."))
            return
        page = listener.page_for_browser()
        self._send(200 if page.ok else 400, page, (("Set-Cookie", listener.cookie_cleared),))
        listener.page_written.set()

    def _peer_ok(self) -> bool:
        """Refuse a request from another user of this machine (where that can be told)."""
        listener = self.server.listener
        server = self.connection.getsockname()[:2]
        if listener.peer_check(server, self.client_address[:2]):
            return True
        self._send(403, Page(False, "Not yours", "This sign-in belongs to another user."))
        return False

    def _start(self) -> None:
        """The start URL: once, the binding cookie and the way on to the authorize URL."""
        listener = self.server.listener
        if not self._peer_ok():
            return
        started = listener.take_start()
        if started is None:
            self._send(409, Page(False, "Sign-in stopped", RACED_PAGE))
            return
        location, cookie = started
        self._send(302, None, (("Location", location), ("Set-Cookie", cookie)))

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
    """Serves the start URL and redirect_uri until one callback arrives from the browser
    that fetched the start URL; then hands it to ``wait``."""

    def __init__(self, redirect_uri: str, *, peer_check: PeerCheck = peer_is_ours) -> None:
        self.host, self.port, self.path = parse_redirect_uri(redirect_uri)
        self.authority = urllib.parse.urlsplit(redirect_uri).netloc
        self.peer_check = peer_check
        # Cookies are kept per host, not per port: sign-ins on two ports keep apart.
        self.cookie_name = f"cognito-credproc-{self.port}"
        # The cookie goes back only to the callback's path (unless that path cannot be
        # written in a cookie attribute).
        safe = self.path.isascii() and self.path.isprintable() and ";" not in self.path
        self.cookie_path = self.path if safe else "/"
        self.cookie_cleared = f"{self.cookie_name}=; Path={self.cookie_path}; Max-Age=0"
        self.start_path: str | None = None
        self._authorize_url: str | None = None
        self._state: str | None = None
        self._binding: str | None = None
        self._starts = 0
        self.raced = False
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

    def expect(self, authorize_url: str, state: str) -> str:
        """Make the one-time start URL that leads the browser to ``authorize_url``; the
        callback must then carry ``state``. Returns the start URL."""
        self.start_path = START_PATH_PREFIX + secrets.token_urlsafe(24)
        self._authorize_url = authorize_url
        self._state = state
        return f"http://{self.authority}{self.start_path}"

    def take_start(self) -> tuple[str, str] | None:
        """(Location, Set-Cookie) for the first fetch of the start URL; None for any
        later one, which ends the sign-in: someone raced the browser to it."""
        with self._lock:
            self._starts += 1
            if self._starts > 1 or self._authorize_url is None or self._callback is not None:
                self.raced = True
                started = None
            else:
                self._binding = secrets.token_urlsafe(32)
                cookie = (
                    f"{self.cookie_name}={self._binding}; Path={self.cookie_path}; "
                    f"Max-Age={COOKIE_MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax"
                )
                started = (self._authorize_url, cookie)
        if started is None:
            log.debug("sign-in listener: the start URL was fetched again; stopping")
            self._arrived.set()
        return started

    def refusal(self, params: dict[str, str], cookie_headers: list[str]) -> Page | None:
        """Why a callback is not this sign-in's (the page to show), or None. Neither a
        refusal nor its page ends the wait: only the browser that started the sign-in
        can end it."""
        binding = self._binding
        sent = [v for header in cookie_headers for v in _cookie_values(header, self.cookie_name)]
        if binding is None or not any(same_secret(value, binding) for value in sent):
            return Page(
                False,
                "Not this browser's sign-in",
                "This browser did not start this sign-in (it did not send the sign-in's "
                "cookie). Finish signing in in the tab the sign-in opened.",
            )
        if self._state is None or not same_secret(params.get("state", ""), self._state):
            return Page(
                False,
                "Not this sign-in",
                "This address belongs to another sign-in (an earlier tab?). Finish signing "
                "in in the newest tab.",
            )
        return None

    def deliver(self, params: dict[str, str]) -> bool:
        """The first callback wins; the handler then holds the browser's request until
        ``finish`` says what to show (or PAGE_WAIT_SECONDS pass)."""
        with self._lock:
            if self._callback is not None or self.raced:
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
        the seconds left as often), or at once when the start URL was fetched twice
        (then ``raced`` is true)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if tick is not None:
                tick(left)
            if self._arrived.wait(min(left, 0.5)):
                return None if self.raced else self._callback
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


# -- handing the browser a secret address ---------------------------------------------------

HANDOFF_PATH_PREFIX = "/cognito-credproc-open-"
HANDOFF_USED_PAGE = (
    "This page was opened before, by another program on this computer (or in another tab "
    "or browser), and works only once. Go back to the terminal and run the command again."
)


class _HandoffServer(_Guarded):
    handoff: Handoff

    def peer_check(self, server: Address, client: Address) -> bool:
        return self.handoff.peer_check(server, client)


class _HandoffHandler(_Handler):
    """Serves the hand-off's one address; everything else is refused."""

    server: _HandoffServer  # type: ignore[assignment]

    def do_GET(self) -> None:
        handoff = self.server.handoff
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1 or hosts[0].lower() != handoff.authority:
            self._send(400, Page(False, "Wrong address", "This address is not ours."))
            return
        if self.path != handoff.path:
            self._send(404, Page(False, "Not found", "Nothing here."))
            return
        target = handoff.take()  # another user's connection was closed when accepted
        if target is None:
            self._send(409, Page(False, "Already opened", HANDOFF_USED_PAGE))
            return
        self._send(303, None, (("Location", target),))
        handoff.handed()


class Handoff:
    """Hands the browser an address that must not appear on a command line (every user
    of the machine can read those): the browser gets a random one-time loopback address
    instead, which redirects to ``target`` the first time it is fetched, by this user
    only where the kernel can tell (see ``peer_is_ours``)."""

    def __init__(self, target: str, *, peer_check: PeerCheck = peer_is_ours) -> None:
        self._target: str | None = target
        self.peer_check = peer_check
        self.path = HANDOFF_PATH_PREFIX + secrets.token_urlsafe(24)
        self.authority = ""
        self._server: _HandoffServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._taken = threading.Event()

    def start(self) -> None:
        """Listen on a free port of 127.0.0.1 (``start_url`` is then the address for the
        browser)."""
        server = _HandoffServer(("127.0.0.1", 0), _HandoffHandler)
        server.handoff = self
        self.authority = f"127.0.0.1:{server.server_address[1]}"
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._thread.start()

    @property
    def start_url(self) -> str:
        return f"http://{self.authority}{self.path}"

    def take(self) -> str | None:
        """The target, the first time only."""
        with self._lock:
            target, self._target = self._target, None
        return target

    def handed(self) -> None:
        """The browser has its redirect."""
        self._taken.set()

    def wait(self, timeout: float) -> bool:
        """Whether the browser fetched the address within ``timeout`` seconds."""
        return self._taken.wait(timeout)

    def close(self) -> None:
        with self._lock:
            self._target = None  # never handed out once we stop
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Handoff:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
