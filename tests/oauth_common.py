"""What the local managed login and the local OpenID Connect provider share.

A threaded HTTP server on 127.0.0.1 (ephemeral port) whose application is a plain
function from a request to a response, PKCE (S256) verification, client
authentication by HTTP Basic, and authorization codes that are single-use and
short-lived under an injected clock.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import html
import json
import random
import re
import secrets
import socket
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar

VERIFIER_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # BASE64URL(SHA256(verifier))

ClientT = TypeVar("ClientT")


class Clock:
    """The servers' clock: real time plus an offset a test can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class BadRequest(Exception):
    """A parameter sent twice, or a body that does not parse."""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Message
    form: dict[str, str]
    cookies: dict[str, str]
    raw_query: str = ""


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def single_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """OAuth: a parameter included more than once makes the request invalid."""
    values: dict[str, str] = {}
    for key, value in pairs:
        if key in values:
            raise BadRequest(f"parameter {key} sent more than once")
        values[key] = value
    return values


def redirect(location: str, *, cookie: str | None = None) -> Response:
    headers = [("Location", location), ("Cache-Control", "no-store")]
    if cookie is not None:
        headers.append(("Set-Cookie", cookie))
    return Response(302, b"", headers)


def with_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` added to its query (the redirect_uri may carry one)."""
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    return url + joiner + urllib.parse.urlencode(params)


def back_to_client(query: dict[str, str], params: dict[str, str]) -> Response:
    """The redirect to the authorize request's redirect_uri with ``params`` (a code or an
    error) and the request's state, if it had one."""
    if "state" in query:
        params = {**params, "state": query["state"]}
    return redirect(with_query(query["redirect_uri"], params))


def json_response(status: int, data: object) -> Response:
    body = json.dumps(data).encode()
    return Response(
        status,
        body,
        [
            ("Content-Type", "application/json;charset=UTF-8"),
            ("Cache-Control", "no-store"),
            ("Pragma", "no-cache"),
        ],
    )


def oauth_error(error: str, status: int = 400, description: str | None = None) -> Response:
    data = {"error": error}
    if description:
        data["error_description"] = description
    return json_response(status, data)


def html_page(status: int, title: str, body_html: str) -> Response:
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title></head><body><h1>{html.escape(title)}</h1>{body_html}</body></html>"
    )
    return Response(status, page.encode(), [("Content-Type", "text/html; charset=utf-8")])


def hidden_inputs(values: dict[str, str]) -> str:
    return "".join(
        f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v)}'>"
        for k, v in values.items()
    )


def login_form(action: str, params: dict[str, str], problem_html: str = "") -> str:
    """A sign-in form (username, password, Sign in, Cancel) that posts ``params`` back."""
    return (
        f"{problem_html}<form method='post' action='{html.escape(action)}'>"
        f"{hidden_inputs(params)}"
        "<label>Username <input name='username'></label>"
        "<label>Password <input name='password' type='password'></label>"
        "<button name='action' value='signin'>Sign in</button>"
        "<button name='action' value='cancel'>Cancel</button></form>"
    )


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def pkce_matches(verifier: str | None, challenge: str) -> bool:
    """RFC 7636: the verifier's form, then BASE64URL(SHA256(verifier)) == challenge."""
    if not verifier or not VERIFIER_RE.match(verifier):
        return False
    return secrets.compare_digest(s256(verifier), challenge)


def basic_credentials(request: Request, *, form_encoded: bool) -> tuple[str, str] | None:
    """(client_id, secret) from an HTTP Basic header; None without one. BadRequest for a
    malformed header. ``form_encoded``: id and secret were form-encoded before they were
    joined (RFC 6749 2.3.1); else they are taken as they are, as Cognito documents it
    (``Basic Base64Encode(client_id:client_secret)``)."""
    value = request.headers.get("Authorization")
    if value is None:
        return None
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic":
        raise BadRequest("only HTTP Basic client authentication is supported")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("malformed Basic credentials") from exc
    user, sep, password = decoded.partition(":")
    if not sep:
        raise BadRequest("malformed Basic credentials")
    if not form_encoded:
        return user, password
    return urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(password)


def authenticate_client(
    request: Request,
    find: Callable[[str], ClientT | None],
    secret_of: Callable[[ClientT], str | None],
    *,
    form_encoded: bool,
    status: int = 400,
    described: bool = True,
) -> tuple[ClientT | None, Response | None]:
    """The client of a token or revocation request, as both servers authenticate it: a
    secret only by HTTP Basic (never in the form; ``form_encoded`` as for
    ``basic_credentials``), a form client_id sent as well must be Basic's, a client
    with a secret must send it and one without must not. Else the invalid_client
    answer, with ``status``, described unless ``described`` is False."""

    def refused(description: str | None = None) -> tuple[None, Response]:
        return None, oauth_error("invalid_client", status, description if described else None)

    try:
        basic = basic_credentials(request, form_encoded=form_encoded)
    except BadRequest:
        return refused()
    form_id = request.form.get("client_id")
    if "client_secret" in request.form:
        return refused("send the secret by HTTP Basic (client_secret_basic)")
    if basic is not None and form_id is not None and form_id != basic[0]:
        return refused()
    client = find((basic[0] if basic else form_id) or "")
    if client is None:
        return refused("Client authentication failed.")
    secret = secret_of(client)
    if secret is not None:
        if basic is None or not secrets.compare_digest(basic[1], secret):
            return refused("Client authentication failed.")
    elif basic is not None and basic[1]:
        return refused("The client has no secret.")
    return client, None


@dataclass
class Grant:
    """What an authorization code stands for."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    username: str
    scopes: tuple[str, ...]
    nonce: str | None
    issued_at: float
    used: bool = False
    # refresh tokens handed out for this code: revoked when the code is replayed
    refresh_tokens: list[str] = field(default_factory=list)


class Codes:
    """Authorization codes: single-use, ``lifetime`` seconds by ``clock``."""

    def __init__(self, clock: Callable[[], float], lifetime: float = 300) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self._codes: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def issue(self, grant: Grant) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = grant
        return code

    def redeem(self, code: str) -> tuple[Grant | None, str]:
        """(grant, "") for a good code; (grant or None, reason) otherwise. A replayed
        code comes back with its grant so the caller can revoke what it produced."""
        with self._lock:
            grant = self._codes.get(code)
            if grant is None:
                return None, "unknown code"
            if grant.used:
                return grant, "code already used"
            grant.used = True
        if self.clock() - grant.issued_at > self.lifetime:
            return None, "code expired"
        return grant, ""


class LocalServer:
    """An HTTP server on 127.0.0.1 with an ephemeral port, in a thread, whose
    application is ``handle(request) -> response``; it counts what it served."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.calls_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def count(self, name: str) -> None:
        with self.calls_lock:
            self.calls[name] += 1

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                split = urllib.parse.urlsplit(self.path)
                try:
                    query = single_values(
                        urllib.parse.parse_qsl(split.query, keep_blank_values=True)
                    )
                    form: dict[str, str] = {}
                    if method == "POST":
                        length = int(self.headers.get("Content-Length") or 0)
                        raw = self.rfile.read(length).decode()
                        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                        if kind != "application/x-www-form-urlencoded":
                            raise BadRequest("the body must be form-encoded")
                        form = single_values(urllib.parse.parse_qsl(raw, keep_blank_values=True))
                    cookies = {}
                    for part in (self.headers.get("Cookie") or "").split(";"):
                        name, sep, value = part.strip().partition("=")
                        if sep:
                            cookies[name] = value
                    request = Request(
                        method, split.path, query, self.headers, form, cookies, split.query
                    )
                    response = app.handle(request)
                except BadRequest as exc:
                    response = oauth_error("invalid_request", 400, str(exc))
                self.send_response(response.status)
                for key, value in response.headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(response.body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class AuthorizationServer(LocalServer):
    """A LocalServer that hands out authorization codes: what its authorize endpoint
    does first, and the code it sends back once it knows who signed in."""

    def __init__(self, clock: Clock | None, code_lifetime: float) -> None:
        super().__init__()
        self.clock = clock or Clock()
        self.codes = Codes(self.clock, code_lifetime)
        # A person already signed in in the browser: authorize hands out a code at once.
        self.session_user: str | None = None
        self.authorize_requests: list[dict[str, str]] = []

    def check_authorize(self, query: dict[str, str]) -> Response | None:
        """The refusal (error page or error redirect) of an authorize request, if any."""
        raise NotImplementedError

    def begin_authorize(self, request: Request) -> Response | None:
        """Count and keep the authorize request; the refusal of it, if any."""
        self.count("authorize")
        with self.calls_lock:
            self.authorize_requests.append(dict(request.query))
        return self.check_authorize(request.query)

    def issue_code(self, query: dict[str, str], username: str, scopes: tuple[str, ...]) -> Response:
        """A code for ``username`` and the authorize request ``query``, sent back to the
        client's redirect_uri."""
        code = self.codes.issue(
            Grant(
                client_id=query["client_id"],
                redirect_uri=query["redirect_uri"],
                code_challenge=query["code_challenge"],
                username=username,
                scopes=scopes,
                nonce=query.get("nonce"),
                issued_at=self.clock(),
            )
        )
        self.count("code issued")
        return back_to_client(query, {"code": code})


class RawServer:
    """A server on 127.0.0.1 that answers every request with the same bytes, whatever
    they are (not HTTP, a broken chunk, endless headers), then closes the connection:
    an endpoint that is broken in ways no HTTP library would produce."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.requests = 0
        self._stopped = threading.Event()
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._socket.accept()
            except (TimeoutError, OSError):
                continue
            with connection:
                connection.settimeout(5)
                try:
                    self._read_request(connection)
                    self.requests += 1
                    connection.sendall(self.answer)
                except OSError:
                    pass

    @staticmethod
    def _read_request(connection: socket.socket) -> None:
        """The whole request, body too: unread bytes would make the close a reset."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        found = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        left = int(found.group(1)) - len(body) if found else 0
        while left > 0:
            chunk = connection.recv(min(left, 65536))
            if not chunk:
                return
            left -= len(chunk)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._socket.close()


# Ports below Linux's ephemeral range (32768-60999) are never handed out by bind(0), so
# no other test's server takes the port between this check and the helper binding it.
REDIRECT_PORT_RANGE = (20000, 32000)


_LOOPBACKS = [(socket.AF_INET, "127.0.0.1")] + (
    [(socket.AF_INET6, "::1")] if socket.has_ipv6 else []
)


def _free(family: socket.AddressFamily, host: str, port: int) -> bool:
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            # no IPv6 on this machine's loopback: nothing can listen there either
            return family == socket.AF_INET6 and exc.errno != errno.EADDRINUSE
    return True


def pick_redirect_port() -> int:
    """A loopback port for a redirect_uri that nothing listens on now."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(*REDIRECT_PORT_RANGE)
        if all(_free(family, host, port) for family, host in _LOOPBACKS):
            return port
    raise RuntimeError("no free loopback port for a redirect_uri")
