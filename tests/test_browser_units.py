"""The browser sign-in's standalone pieces: PKCE, state and nonce, the authorize URL,
the token endpoint client, OpenID Connect discovery, the loopback listener, opening the
browser, and reading a pasted address. Servers are real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import stat
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest

from cognito_credproc.signin import loopback, messages, oauth, oidc, opener
from cognito_credproc.signin.authcode import BrowserSettings

from .fakes import SECTION, Clock, make_jwt
from .oauth_common import (
    LocalServer,
    RawServer,
    Request,
    Response,
    json_response,
    pick_redirect_port,
)

# PKCE, state, nonce, the authorize URL ----------------------------------------------------


def test_s256_matches_the_rfc_7636_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert oauth.s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_a_fresh_verifier_every_time_of_the_allowed_form() -> None:
    made = [oauth.Pkce.new() for _ in range(20)]
    assert len({p.verifier for p in made}) == 20
    for pkce in made:
        assert 43 <= len(pkce.verifier) <= 128
        assert set(pkce.verifier) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
        )
        assert pkce.challenge == oauth.s256(pkce.verifier)


def test_state_and_nonce_are_fresh_and_unguessable() -> None:
    states = {oauth.new_state() for _ in range(20)} | {oauth.new_nonce() for _ in range(20)}
    assert len(states) == 40
    assert all(len(s) >= 43 for s in states)  # 256 bits


def test_authorize_url_carries_every_parameter() -> None:
    pkce = oauth.Pkce.new()
    url = oauth.authorize_url(
        "https://people.auth.eu-west-1.amazoncognito.com/oauth2/authorize",
        client_id="abc",
        redirect_uri="http://localhost:8400/callback",
        scopes=("openid", "email"),
        state="s1",
        pkce=pkce,
        nonce="n1",
        identity_provider="Okta",
    )
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert query == {
        "response_type": "code",
        "client_id": "abc",
        "redirect_uri": "http://localhost:8400/callback",
        "scope": "openid email",
        "state": "s1",
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "nonce": "n1",
        "identity_provider": "Okta",
    }
    assert "%20" in url and "+" not in url  # scopes space-separated, percent-encoded
    bare = oauth.authorize_url(
        "https://x.test/authorize?tenant=1",
        client_id="abc",
        redirect_uri="http://localhost:1/",
        scopes=("openid",),
        state="s",
        pkce=pkce,
    )
    assert "nonce" not in bare and "identity_provider" not in bare
    assert bare.startswith("https://x.test/authorize?tenant=1&")


@pytest.mark.parametrize(
    ("url", "secure"),
    [
        ("https://dev-123.okta.com/oauth2/default", True),
        ("http://localhost:9229", True),
        ("http://127.0.0.1:8080/x", True),
        ("http://dev-123.okta.com", False),
        ("http://localhost.evil.test", False),
        ("http://10.0.0.1", False),
        ("ftp://localhost", False),
        ("https://", False),
        ("localhost:80", False),
    ],
)
def test_https_is_required_except_on_loopback(url: str, secure: bool) -> None:
    assert oauth.is_secure_url(url) is secure


# a scripted HTTP server --------------------------------------------------------------------


class Scripted(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Request] = []
        self.answer: Callable[[Request], Response] = lambda _r: json_response(200, {})

    def handle(self, request: Request) -> Response:
        self.requests.append(request)
        return self.answer(request)


@pytest.fixture
def server() -> Iterator[Scripted]:
    running = Scripted()
    running.start()
    yield running
    running.stop()


def jwt(**claims: Any) -> str:
    return make_jwt({"exp": 2_000_000_000, **claims})


GOOD = {"access_token": "opaque-1", "token_type": "Bearer", "expires_in": 3600}


# A secret of the form Cognito's model allows ([\w+]+, 24 to 64 characters).
PLUS_SECRET = "q7+Xw2_vL9+k3Jz_8mNp4+Rt6Yb_1Cd5Ef0Gh"


@pytest.mark.parametrize(
    ("cognito", "pair"),
    [
        # Cognito: Basic Base64Encode(client_id:client_secret), the values as they are
        (True, f"1abc_def+2:{PLUS_SECRET}"),
        # RFC 6749 2.3.1: form-encoded first (+ is %2B)
        (False, "1abc_def%2B2:q7%2BXw2_vL9%2Bk3Jz_8mNp4%2BRt6Yb_1Cd5Ef0Gh"),
    ],
)
def test_basic_client_authentication_in_cognitos_form_or_rfc_6749s(
    cognito: bool, pair: str
) -> None:
    header = oauth.basic_authorization("1abc_def+2", PLUS_SECRET, cognito=cognito)
    scheme, encoded = header.split(" ")
    assert scheme == "Basic" and base64.b64decode(encoded).decode() == pair


def test_token_client_sends_the_secret_as_basic_and_the_grant_as_a_form(server: Scripted) -> None:
    id_token = jwt(aud="cid")
    server.answer = lambda _r: json_response(
        200, {**GOOD, "id_token": id_token, "refresh_token": "r-1"}
    )
    client = oauth.TokenClient("cid", "s3cr=t+/")
    got = client.exchange_code(
        server.url + "/oauth2/token", code="c-1", redirect_uri="http://localhost:1/cb", verifier="v"
    )
    assert (got.access_token, got.id_token, got.refresh_token, got.expires_in) == (
        "opaque-1",
        id_token,
        "r-1",
        3600,
    )
    sent = server.requests[0]
    assert sent.form == {
        "grant_type": "authorization_code",
        "code": "c-1",
        "redirect_uri": "http://localhost:1/cb",
        "code_verifier": "v",
        "client_id": "cid",
    }
    scheme, encoded = sent.headers["Authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == "cid:s3cr%3Dt%2B%2F"  # form-encoded first
    cognito = oauth.TokenClient("cid", PLUS_SECRET, cognito_basic=True)
    cognito.refresh(server.url + "/t", "r-1")
    encoded = server.requests[-1].headers["Authorization"].split(" ")[1]
    assert base64.b64decode(encoded).decode() == f"cid:{PLUS_SECRET}"  # as it is
    public = oauth.TokenClient("cid")
    public.refresh(server.url + "/t", "r-1")
    assert "Authorization" not in server.requests[-1].headers
    assert server.requests[-1].form == {
        "grant_type": "refresh_token",
        "refresh_token": "r-1",
        "client_id": "cid",
    }


@pytest.mark.parametrize(
    ("status", "body", "error", "description"),
    [
        (400, {"error": "invalid_grant"}, "invalid_grant", ""),
        (
            401,
            {"error": "invalid_client", "error_description": "bad\nsecret"},
            "invalid_client",
            "bad secret",
        ),
        (500, "<html>oops</html>", "HTTP 500", "an HTML page instead of an OAuth answer"),
        (400, {"message": "no"}, "HTTP 400", "no error code instead of an OAuth answer"),
    ],
)
def test_token_endpoint_errors_become_one_line(
    server: Scripted, status: int, body: object, error: str, description: str
) -> None:
    def answer(_r: Request) -> Response:
        if isinstance(body, str):
            return Response(status, body.encode(), [("Content-Type", "text/html")])
        return json_response(status, body)

    server.answer = answer
    with pytest.raises(oauth.OAuthError) as caught:
        oauth.TokenClient("cid").refresh(server.url + "/t", "r")
    assert (caught.value.error, caught.value.description, caught.value.status) == (
        error,
        description,
        status,
    )


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"token_type": "mac"}, "token_type"),
        ({"token_type": None}, "token_type"),
        ({"access_token": ""}, "access_token"),
        ({"expires_in": -5}, "expires_in"),
        ({"expires_in": True}, "expires_in"),
        ({"id_token": "not-a-jwt"}, "id_token"),
        ({"refresh_token": 7}, "refresh_token"),
    ],
)
def test_what_the_token_endpoint_sends_back_is_validated(
    server: Scripted, changes: dict[str, object], problem: str
) -> None:
    data = {**GOOD, **changes}
    server.answer = lambda _r: json_response(200, {k: v for k, v in data.items() if v is not None})
    with pytest.raises(oauth.OAuthError, match=problem):
        oauth.TokenClient("cid").refresh(server.url + "/t", "r")


def test_expires_in_as_a_string_is_accepted(server: Scripted) -> None:
    server.answer = lambda _r: json_response(200, {**GOOD, "expires_in": "1800"})
    assert oauth.TokenClient("cid").refresh(server.url + "/t", "r").expires_in == 1800


def test_a_redirect_is_not_followed_with_the_code(server: Scripted) -> None:
    server.answer = lambda r: (
        Response(307, b"", [("Location", server.url + "/elsewhere")])
        if r.path == "/t"
        else json_response(200, GOOD)
    )
    with pytest.raises(oauth.OAuthError, match="HTTP 307"):
        oauth.TokenClient("cid").refresh(server.url + "/t", "r")
    assert [r.path for r in server.requests] == ["/t"]


def test_plain_http_to_a_remote_host_is_refused_before_sending() -> None:
    with pytest.raises(oauth.Unreachable, match="https is required"):
        oauth.TokenClient("cid").refresh("http://auth.example.com/oauth2/token", "r")


def test_nothing_listening_is_unreachable() -> None:
    port = pick_redirect_port()
    with pytest.raises(oauth.Unreachable, match=f"cannot reach http://127.0.0.1:{port}"):
        oauth.http(f"http://127.0.0.1:{port}/x")


def http_answer(status: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
    return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body


DEEP = b"[" * 100_000 + b"]" * 100_000  # valid JSON that json.loads cannot recurse into

BROKEN_ANSWERS = {
    "not HTTP": b"garbage, not HTTP\r\n\r\n",
    "a broken chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
    "an endless header line": b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n{}",
    "too many headers": b"HTTP/1.1 200 OK\r\n" + b"X-Many: a\r\n" * 150 + b"\r\n{}",
    "JSON nested too deep": http_answer("200 OK", DEEP),
    "an error nested too deep": http_answer("400 Bad Request", DEEP),
}


@pytest.mark.parametrize("answer", BROKEN_ANSWERS.values(), ids=BROKEN_ANSWERS.keys())
def test_a_broken_answer_is_a_clear_error_not_a_crash(answer: bytes) -> None:
    """Whatever comes back, the token endpoint, discovery and the authorize check end in
    the errors the sign-in turns into messages (http.client's own exceptions are not
    OSErrors, and a deep JSON document is a RecursionError)."""
    raw = RawServer(answer)
    try:
        with pytest.raises((oauth.OAuthError, oauth.Unreachable)) as caught:
            oauth.TokenClient("cid").exchange_code(
                raw.url + "/oauth2/token",
                code="c",
                redirect_uri="http://localhost:1/",
                verifier="v",
            )
        assert "\n" not in str(caught.value) and "aaaa" not in str(caught.value)
        with pytest.raises((oidc.DiscoveryError, oauth.Unreachable)):
            oidc.discover(raw.url)
        with contextlib.suppress(oauth.OAuthError, oauth.Unreachable):  # 200 is success
            oauth.TokenClient("cid").revoke(raw.url + "/oauth2/revoke", "r")
        assert raw.requests == 3
    finally:
        raw.stop()


def test_an_id_token_nested_too_deep_is_not_a_jwt(server: Scripted) -> None:
    payload = base64.urlsafe_b64encode(DEEP).decode().rstrip("=")
    server.answer = lambda _r: json_response(200, {**GOOD, "id_token": f"e30.{payload}.c2ln"})
    with pytest.raises(oauth.OAuthError, match="id_token is not a JWT"):
        oauth.TokenClient("cid").refresh(server.url + "/t", "r")


def test_revoke_sends_the_token_and_maps_errors(server: Scripted) -> None:
    server.answer = lambda _r: Response(200)
    oauth.TokenClient("cid").revoke(server.url + "/oauth2/revoke", "r-9")
    assert server.requests[0].form == {"token": "r-9", "client_id": "cid"}
    server.answer = lambda _r: json_response(400, {"error": "unsupported_token_type"})
    with pytest.raises(oauth.OAuthError, match="unsupported_token_type"):
        oauth.TokenClient("cid").revoke(server.url + "/oauth2/revoke", "r-9")


# OpenID Connect discovery ------------------------------------------------------------------


def discovery_doc(base: str, **changes: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "issuer": base,
        "authorization_endpoint": base + "/v1/authorize",
        "token_endpoint": base + "/v1/token",
        "revocation_endpoint": base + "/v1/revoke",
        "code_challenge_methods_supported": ["S256"],
    }
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


def test_discovery_reads_the_endpoints(server: Scripted) -> None:
    issuer = server.url + "/oauth2/default"
    server.answer = lambda _r: json_response(200, discovery_doc(issuer))
    found = oidc.discover(issuer)
    assert found == oidc.Endpoints(
        issuer + "/v1/authorize", issuer + "/v1/token", issuer + "/v1/revoke", issuer
    )
    assert server.requests[0].path == "/oauth2/default/.well-known/openid-configuration"
    assert oidc.logins_key(issuer + "/") == f"127.0.0.1:{server.port}/oauth2/default"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"issuer": "https://evil.test/oauth2/default"}, "names the issuer"),
        ({"token_endpoint": "http://auth.example.com/token"}, "token_endpoint"),
        ({"authorization_endpoint": None}, "authorization_endpoint"),
        ({"code_challenge_methods_supported": ["plain"]}, "S256"),
    ],
)
def test_discovery_refuses_a_document_it_cannot_trust(
    server: Scripted, changes: dict[str, object], problem: str
) -> None:
    issuer = server.url + "/oauth2/default"
    server.answer = lambda _r: json_response(200, discovery_doc(issuer, **changes))
    with pytest.raises(oidc.DiscoveryError, match=problem):
        oidc.discover(issuer)


def test_discovery_needs_https_and_an_answer(server: Scripted) -> None:
    with pytest.raises(oidc.DiscoveryError, match="not https"):
        oidc.discover("http://dev-123.okta.com/oauth2/default")
    server.answer = lambda _r: Response(404, b"not here")
    with pytest.raises(oidc.DiscoveryError, match="HTTP 404"):
        oidc.discover(server.url)
    revocation_optional = discovery_doc(server.url, revocation_endpoint=None)
    server.answer = lambda _r: json_response(200, revocation_optional)
    assert oidc.discover(server.url).revoke is None


# the loopback listener ---------------------------------------------------------------------


def fetch(url: str, host: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})  # noqa: S310
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode()


class Tab:
    """A browser tab: keeps cookies, follows no redirect (so the start URL's answer can
    be looked at)."""

    def __init__(self) -> None:
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(self.jar),
            NoRedirect(),
        )

    def get(self, url: str) -> tuple[int, dict[str, str], str]:
        try:
            with self.opener.open(url, timeout=10) as answer:
                return answer.status, dict(answer.headers.items()), answer.read().decode()
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, dict(exc.headers.items()), exc.read().decode()

    def cookie(self) -> str:
        (only,) = self.jar
        return f"{only.name}={only.value}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


AUTHORIZE = "https://people.auth.us-east-1.amazoncognito.com/oauth2/authorize?client_id=c"


@pytest.fixture
def redirect_uri() -> str:
    return f"http://localhost:{pick_redirect_port()}/callback"


def started(listener: loopback.Listener, state: str = "s") -> Tab:
    """A tab that has loaded the listener's start URL (and holds its cookie)."""
    tab = Tab()
    status, headers, _page = tab.get(listener.expect(AUTHORIZE, state))
    assert status == 302 and headers["Location"] == AUTHORIZE
    return tab


def test_the_start_url_sets_the_binding_cookie_and_leads_to_the_authorize_url(
    redirect_uri: str,
) -> None:
    port = urllib.parse.urlsplit(redirect_uri).port
    with loopback.Listener(redirect_uri) as listener:
        start = listener.expect(AUTHORIZE, "s")
        prefix = f"http://localhost:{port}/cognito-credproc-signin-"
        assert start.startswith(prefix)
        assert len(start.removeprefix(prefix)) >= 32 and "?" not in start  # 192 random bits
        status, headers, _page = Tab().get(start)
        assert status == 302 and headers["Location"] == AUTHORIZE
        cookie = headers["Set-Cookie"]
        name_value, *attributes = [part.strip() for part in cookie.split(";")]
        name, value = name_value.split("=")
        assert name == f"cognito-credproc-{port}" and len(value) >= 43
        assert set(attributes) == {
            "Path=/callback",
            f"Max-Age={loopback.COOKIE_MAX_AGE_SECONDS}",
            "HttpOnly",
            "SameSite=Lax",
        }
        assert headers["Referrer-Policy"] == "no-referrer"
        assert listener.wait(0.2) is None and not listener.raced
        assert listener.expect(AUTHORIZE, "s") != start  # a fresh path every time


def test_a_second_load_of_the_start_url_ends_the_wait_as_raced(redirect_uri: str) -> None:
    with loopback.Listener(redirect_uri) as listener:
        start = listener.expect(AUTHORIZE, "s")
        first, second = Tab(), Tab()
        assert first.get(start)[0] == 302
        status, headers, page = second.get(start)
        assert status == 409 and "Set-Cookie" not in headers
        assert "opened before, by another program" in page
        assert listener.wait(10) is None and listener.raced
        # and whoever holds the cookie now can no longer come back
        callback = f"http://localhost:{listener.port}/callback?code=c&state=s"
        assert first.get(callback)[0] == 409


def test_a_request_of_another_user_is_refused_and_does_not_count(redirect_uri: str) -> None:
    refuse = [True]
    peers: list[tuple[tuple[str, int], tuple[str, int]]] = []

    def peer_check(server: tuple[str, int], client: tuple[str, int]) -> bool:
        peers.append((server, client))
        return not refuse[0]

    with loopback.Listener(redirect_uri, peer_check=peer_check) as listener:
        start = listener.expect(AUTHORIZE, "s")
        with pytest.raises((ConnectionError, urllib.error.URLError)):  # closed when accepted
            Tab().get(start)
        refuse[0] = False
        tab = Tab()
        assert tab.get(start)[0] == 302  # the browser's load is the first that counts
        refuse[0] = True
        callback = f"http://localhost:{listener.port}/callback?code=c&state=s"
        with pytest.raises((ConnectionError, urllib.error.URLError)):
            tab.get(callback)
        assert listener.wait(0.2) is None and not listener.raced
    server, client = peers[0]
    assert server[1] == listener.port and client[0] in ("127.0.0.1", "::1")


def test_listener_ignores_stray_requests_and_takes_one_callback(redirect_uri: str) -> None:
    port = urllib.parse.urlsplit(redirect_uri).port
    with loopback.Listener(redirect_uri) as listener:
        tab = started(listener)
        assert fetch(f"http://127.0.0.1:{port}/favicon.ico")[0] == 404
        assert fetch(f"http://127.0.0.1:{port}/callback")[0] == 400  # no code, no error
        assert fetch(f"http://127.0.0.1:{port}/callback?code=1", host="evil.test:80")[0] == 400
        # without the cookie (another program, another browser) or with another state
        status, page = fetch(f"http://localhost:{port}/callback?code=abc&state=s")
        assert status == 403 and "did not start this sign-in" in page
        for state in ("x", "%C3%A9t%C3%A9", ""):  # another, one not ASCII, none
            status, _headers, page = tab.get(
                f"http://localhost:{port}/callback?code=abc&state={state}"
            )
            assert status == 403 and "belongs to another sign-in" in page
        assert listener.wait(0.2) is None  # still waiting
        seen: list[tuple[int, dict[str, str], str]] = []
        browser = threading.Thread(
            target=lambda: seen.append(
                tab.get(f"http://localhost:{port}/callback?code=abc&state=s")
            )
        )
        browser.start()
        assert listener.wait(10) == {"code": "abc", "state": "s"}
        listener.finish(loopback.Page(True, "Signed in", "Signed in as <alice>. Close this tab."))
        browser.join(10)
        status, headers, page = seen[0]
        assert status == 200
        assert "Signed in as &lt;alice&gt;. Close this tab." in page
        assert headers["Set-Cookie"].startswith(f"cognito-credproc-{port}=; ")  # cleared
        again = tab.get(f"http://127.0.0.1:{port}/callback?code=again&state=s")
        assert again[0] in (403, 409)  # the cookie is gone, and the sign-in is over


def raw_get(port: int, target: str, *hosts: str, cookie: str = "") -> bytes:
    """What the listener answers to a request written by hand (two Host headers, or an
    absolute-form target, which urllib never sends)."""
    head = f"GET {target} HTTP/1.0\r\n" + "".join(f"Host: {h}\r\n" for h in hosts)
    head += f"Cookie: {cookie}\r\n" if cookie else ""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall((head + "\r\n").encode())
        return connection.recv(200)


def test_a_callback_that_names_another_host_anywhere_is_refused(redirect_uri: str) -> None:
    port = urllib.parse.urlsplit(redirect_uri).port
    assert port is not None
    ours = f"127.0.0.1:{port}"
    with loopback.Listener(redirect_uri) as listener:
        cookie = started(listener).cookie()
        for target, hosts in (
            ("http://evil.test/callback?code=1&state=s", (ours,)),
            ("/callback?code=1&state=s", (ours, "evil.test")),
        ):
            answer = raw_get(port, target, *hosts, cookie=cookie)
            assert answer.startswith(b"HTTP/1.0 400 "), (target, hosts)
        assert listener.wait(0.2) is None  # still waiting for the browser
        browser = threading.Thread(
            target=raw_get,
            args=(port, f"http://{ours}/callback?code=abc&state=s", ours),
            kwargs={"cookie": cookie},
        )
        browser.start()
        assert listener.wait(10) == {"code": "abc", "state": "s"}
        listener.finish(loopback.Page(True, "Signed in", "Close this tab."))
        browser.join(10)


def proc_address(ip: str, port: int) -> str:
    """An address as /proc/net/tcp{,6} print it: 32-bit words in host order."""
    raw = socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)
    words = [int.from_bytes(raw[i : i + 4], sys.byteorder) for i in range(0, len(raw), 4)]
    return "".join(f"{word:08X}" for word in words) + f":{port:04X}"


def proc_row(
    local: tuple[str, int], remote: tuple[str, int], state: str, uid: int, inode: int
) -> str:
    return (
        f"   0: {proc_address(*local)} {proc_address(*remote)} {state} 00000000:00000000 "
        f"00:00000000 00000000 {uid:5d}        0 {inode} 1 0000000000000000 20 4 30 10 -1"
    )


HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode"
)
SERVER = ("127.0.0.1", 8400)
CLIENT = ("127.0.0.1", 41000)


@pytest.mark.parametrize(
    ("tcp", "tcp6", "owner"),
    [
        ([proc_row(CLIENT, SERVER, "01", 1000, 777)], [], 1000),
        # the listener's own end of the connection is not the client's
        ([proc_row(SERVER, CLIENT, "01", 0, 778)], [], None),
        # closed by the client: TIME_WAIT or a socket no process holds (the kernel says 0)
        ([proc_row(CLIENT, SERVER, "06", 0, 0)], [], None),
        ([proc_row(CLIENT, SERVER, "01", 0, 0)], [], None),
        ([proc_row(CLIENT, SERVER, "04", 1000, 777)], [], None),
        ([proc_row(CLIENT, ("127.0.0.1", 8401), "01", 1000, 777)], [], None),
        # an IPv6 socket connected to 127.0.0.1 (a v4-mapped address, in tcp6)
        (
            [],
            [proc_row(("::ffff:127.0.0.1", 41000), ("::ffff:127.0.0.1", 8400), "01", 1001, 9)],
            1001,
        ),
    ],
)
def test_who_owns_the_far_end_of_a_loopback_connection(
    tmp_path: Path, tcp: list[str], tcp6: list[str], owner: int | None
) -> None:
    tables = (tmp_path / "tcp", tmp_path / "tcp6")
    for table, rows in zip(tables, (tcp, tcp6), strict=True):
        table.write_text("\n".join([HEADER, *rows]) + "\n")
    found = loopback.connection_owner(SERVER, CLIENT, tuple(str(t) for t in tables))
    assert found == owner


def test_the_owner_over_ipv6_and_without_the_kernel_tables(tmp_path: Path) -> None:
    table = tmp_path / "tcp6"
    table.write_text(HEADER + "\n" + proc_row(("::1", 5000), ("::1", 8400), "01", 42, 1) + "\n")
    assert loopback.connection_owner(("::1", 8400), ("::1", 5000), (str(table),)) == 42
    with pytest.raises(FileNotFoundError):
        loopback.connection_owner(SERVER, CLIENT, (str(tmp_path / "none"),))


def ipv6_loopback() -> bool:
    try:
        with socket.create_server(("::1", 0), family=socket.AF_INET6):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux's /proc/net/tcp")
@pytest.mark.parametrize(
    ("family", "host"), [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")]
)
def test_the_owner_of_a_real_connection_is_this_user(
    family: socket.AddressFamily, host: str
) -> None:
    if family == socket.AF_INET6 and not ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    with socket.create_server((host, 0), family=family) as server:
        client = socket.create_connection(server.getsockname()[:2], timeout=10)
        accepted, peer = server.accept()
        with accepted:
            try:
                ours = server.getsockname()[:2]
                assert loopback.connection_owner(ours, peer[:2]) == os.geteuid()
                assert loopback.peer_is_ours(ours, peer[:2])
            finally:
                client.close()


def test_listener_binds_the_loopback_interface_only(redirect_uri: str) -> None:
    with loopback.Listener(redirect_uri) as listener:
        addresses = {server.server_address[0] for server in listener._servers}
    assert addresses <= {"127.0.0.1", "::1"} and "127.0.0.1" in addresses


def test_a_busy_port_is_a_clear_error_naming_it(redirect_uri: str) -> None:
    port = urllib.parse.urlsplit(redirect_uri).port
    with socket.socket() as other:
        other.bind(("127.0.0.1", port))
        other.listen()
        with pytest.raises(
            loopback.ListenError, match=f"port {port} on 127.0.0.1 is already in use"
        ):
            loopback.Listener(redirect_uri).start()


def test_a_failed_sign_in_shows_what_went_wrong(redirect_uri: str) -> None:
    port = urllib.parse.urlsplit(redirect_uri).port
    with loopback.Listener(redirect_uri) as listener:
        tab = started(listener)
        seen: list[tuple[int, dict[str, str], str]] = []
        browser = threading.Thread(
            target=lambda: seen.append(
                tab.get(f"http://localhost:{port}/callback?error=access_denied&state=s")
            )
        )
        browser.start()
        assert listener.wait(10) == {"error": "access_denied", "state": "s"}
        listener.finish(loopback.Page(False, "Sign-in failed", "It was cancelled."))
        browser.join(10)
    assert seen[0][0] == 400 and "It was cancelled." in seen[0][2]


def test_waiting_ends_when_asked_to_give_up(redirect_uri: str) -> None:
    asked = []

    def give_up() -> bool:
        asked.append(1)
        return True

    with loopback.Listener(redirect_uri) as listener:
        assert listener.wait(60, give_up=give_up) is None
    assert asked == [1]


@pytest.mark.parametrize(
    "uri",
    [
        "https://localhost:8400/callback",
        "http://example.com:8400/callback",
        "http://0.0.0.0:8400/callback",
        "http://localhost:8400/callback#frag",
        "http://localhost:99999/callback",
    ],
)
def test_only_an_http_loopback_redirect_uri_is_listened_on(uri: str) -> None:
    with pytest.raises(loopback.ListenError):
        loopback.parse_redirect_uri(uri)


# opening the browser -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "platform", "available"),
    [
        ({}, "linux", False),
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({"BROWSER": "firefox"}, "linux", True),
        ({"BROWSER": ""}, "freebsd14", False),
        ({}, "darwin", True),
        ({}, "win32", True),
    ],
)
def test_whether_there_is_a_browser(
    environ: dict[str, str], platform: str, available: bool
) -> None:
    assert opener.browser_available(environ, platform) is available


def test_browser_command_lines_as_webbrowser_builds_them() -> None:
    url = "https://x.test/a?b=1&c=2"
    assert opener.command_line("firefox", url) == (["firefox", url], True)
    assert opener.command_line("/opt/my browser", url) == (["/opt/my browser", url], True)
    assert opener.command_line("chromium --headless '%s' --x", url) == (
        ["chromium", "--headless", url, "--x"],
        True,
    )
    assert opener.command_line("open -a Safari %s &", url) == (["open", "-a", "Safari", url], False)


def script(path: Path, body: str) -> str:
    path.write_text(f"#!{sys.executable}\nimport sys, os\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_browser_commands_are_tried_in_order_with_no_streams_of_ours(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "opened"
    failing = script(tmp_path / "broken", "sys.exit(3)")
    good = script(
        tmp_path / "good",
        f"print('noise on stdout'); open({str(record)!r}, 'w').write(sys.argv[1])",
    )
    environ = {"BROWSER": os.pathsep.join([str(tmp_path / "missing"), failing, good])}
    opened = opener.open_browser("https://x.test/authorize?a=1", environ)
    assert opened.done.wait(30)
    assert opened.opened and not opened.failed
    assert record.read_text() == "https://x.test/authorize?a=1"
    assert "noise" not in capfd.readouterr().out


def test_a_browser_that_cannot_start_is_reported(tmp_path: Path) -> None:
    failing = script(tmp_path / "broken", "sys.exit(3)")
    opened = opener.open_browser("https://x.test/", {"BROWSER": failing})
    assert opened.done.wait(30)
    assert opened.failed and "exited with 3" in opened.reason
    nothing = opener.open_browser("https://x.test/", {})
    assert nothing.failed and "no DISPLAY" in nothing.reason


# what the browser sent back ----------------------------------------------------------------


SETTINGS = BrowserSettings(
    profile="dev",
    source="/home/u/.config/cognito-credproc/config.ini",
    client_id="cid",
    redirect_uri="http://localhost:8400/callback",
    scopes=("openid",),
    login_domain="https://people.auth.us-east-1.amazoncognito.com",
    user_pool_id="us-east-1_Pool1",
)
POOL_ISS = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool1"


@pytest.mark.parametrize(
    ("pasted", "ok"),
    [
        ("http://localhost:8400/callback?code=c&state=s", True),
        ("http://LOCALHOST:8400/callback?code=c&state=s", True),
        ("http://localhost:8401/callback?code=c&state=s", False),
        ("http://localhost:8400/other?code=c&state=s", False),
        ("https://localhost:8400/callback?code=c&state=s", False),
        ("http://evil.test:8400/callback?code=c&state=s", False),
        ("code=c&state=s", False),
        ("http://localhost:x/callback", False),
    ],
)
def test_a_pasted_address_must_be_the_redirect_uri(pasted: str, ok: bool) -> None:
    found = messages.parse_pasted(pasted, SETTINGS.redirect_uri)
    assert (found == {"code": "c", "state": "s"}) is ok


NOW = 1_800_000_000.0  # the server's time in these checks
FRESH = {"iat": NOW - 5, "exp": NOW + 3600}
UPDATED_ISS = "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool1"


@pytest.mark.parametrize(
    ("claims", "problem"),
    [
        ({"aud": "cid", "iss": POOL_ISS}, None),
        ({"aud": "cid", "iss": UPDATED_ISS}, None),  # IssuerConfiguration UPDATED
        ({"aud": "other", "iss": POOL_ISS}, "another app client"),
        ({"aud": ["x", "cid"], "iss": POOL_ISS, "azp": "cid"}, None),
        ({"aud": "cid", "iss": POOL_ISS, "azp": "cid"}, None),
        ({"aud": ["x", "cid"], "iss": POOL_ISS}, "several audiences"),
        ({"aud": ["x", "cid"], "iss": POOL_ISS, "azp": "x"}, "issued to another app client"),
        ({"aud": "cid", "iss": POOL_ISS, "azp": "x"}, "issued to another app client"),
        (
            {"aud": "cid", "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"},
            "issued by",
        ),
        (
            {
                "aud": "cid",
                "iss": "https://issuer-cognito-idp.us-east-2.amazonaws.com/us-east-1_Pool1",
            },
            "issued by",
        ),
        ({"aud": "cid", "iss": POOL_ISS, "exp": None}, "no expiry"),
        ({"aud": "cid", "iss": POOL_ISS, "exp": "2030-01-01"}, "no expiry"),
        ({"aud": "cid", "iss": POOL_ISS, "exp": True}, "no expiry"),
        ({"aud": "cid", "iss": POOL_ISS, "exp": float("nan")}, "no expiry"),
        ({"aud": "cid", "iss": POOL_ISS, "iat": None}, "no issue time"),
        ({"aud": "cid", "iss": POOL_ISS, "iat": NOW - 3 * 3600, "exp": NOW - 2 * 3600}, "expired"),
        ({"aud": "cid", "iss": POOL_ISS, "exp": NOW}, "expired"),
        (
            {"aud": "cid", "iss": POOL_ISS, "iat": NOW + 55},
            None,
        ),  # a second's rounding, a slow answer
        ({"aud": "cid", "iss": POOL_ISS, "iat": NOW + 3600}, "issued at"),
        ({"aud": "cid", "iss": POOL_ISS, "iat": NOW + 7200, "exp": NOW + 3600}, "issued at"),
    ],
)
def test_the_id_token_must_be_for_this_client_and_pool_and_in_date(
    claims: dict[str, Any], problem: str | None
) -> None:
    endpoints = oidc.managed_login(str(SETTINGS.login_domain))
    found = messages.id_token_problem(
        SETTINGS,
        {k: v for k, v in {**FRESH, **claims}.items() if v is not None},
        endpoints,
        None,
        NOW,
    )
    assert (found is None) if problem is None else (found is not None and problem in found), found


def test_the_expired_id_token_is_named_with_both_times() -> None:
    endpoints = oidc.managed_login(str(SETTINGS.login_domain))
    claims = {"aud": "cid", "iss": POOL_ISS, "iat": NOW - 10800, "exp": NOW - 7200}
    assert messages.id_token_problem(SETTINGS, claims, endpoints, None, NOW) == (
        "the ID token expired at 2027-01-15T06:00:00Z, before it arrived (the server's time "
        "was 2027-01-15T08:00:00Z)"
    )


def test_an_oidc_id_token_must_carry_the_nonce_and_the_issuer() -> None:
    issuer = "https://dev-123.okta.com/oauth2/default"
    settings = BrowserSettings(
        "okta", "f", "cid", SETTINGS.redirect_uri, ("openid",), oidc_issuer=issuer
    )
    endpoints = oidc.Endpoints("a", "t", None, issuer)
    good = {"aud": "cid", "iss": issuer, "nonce": "n-1", **FRESH}
    assert messages.id_token_problem(settings, good, endpoints, "n-1", NOW) is None
    assert "nonce" in str(messages.id_token_problem(settings, good, endpoints, "n-2", NOW))
    without = {k: v for k, v in good.items() if k != "nonce"}
    assert "nonce" in str(messages.id_token_problem(settings, without, endpoints, "n-1", NOW))
    other = {**good, "iss": "https://dev-123.okta.com/oauth2/other"}
    assert "issued by" in str(messages.id_token_problem(settings, other, endpoints, "n-1", NOW))
    # a provider's issuer is its own: a user pool's forms do not apply
    pool = {**good, "iss": POOL_ISS}
    assert "issued by" in str(messages.id_token_problem(settings, pool, endpoints, "n-1", NOW))


def test_a_configured_username_must_be_who_signed_in() -> None:
    settings = BrowserSettings(**{**SETTINGS.__dict__, "username": "alice"})
    endpoints = oidc.managed_login(str(SETTINGS.login_domain))
    claims = {"aud": "cid", "iss": POOL_ISS, "cognito:username": "bob", **FRESH}
    found = messages.id_token_problem(settings, claims, endpoints, None, NOW)
    assert "signed in as bob" in str(found)
    claims["email"] = "alice"
    assert messages.id_token_problem(settings, claims, endpoints, None, NOW) is None


def test_a_person_is_named_by_user_name_and_email_and_the_sub_tells_namesakes_apart() -> None:
    alice = {"sub": "1111", "cognito:username": "alice", "email": "alice@example.com"}
    assert messages.identity(alice) == "alice (alice@example.com)"
    assert messages.identity({"sub": "2222", "email": "bob@example.com"}) == "bob@example.com"
    assert messages.identity({"sub": "3333"}) == "3333"
    namesake = {**alice, "sub": "9999"}  # deleted and made again, or another IdP's alice
    refused = messages.switch_refused("dev", alice, namesake)
    assert refused.message == (
        "this sign-in is alice (alice@example.com, sub 9999), but the profile signed in as "
        "alice (alice@example.com, sub 1111) before: refused, and the earlier sign-in is kept"
    )
    assert refused.hint is not None and refused.hint.endswith("login --profile dev --switch-user")


def test_a_redirect_mismatch_names_the_url_to_register() -> None:
    error = messages.authorize_error(SETTINGS, "redirect_mismatch", "")
    text = str(error)
    assert text.startswith(
        "profile dev: people.auth.us-east-1.amazoncognito.com refused redirect_uri"
    )
    assert "add http://localhost:8400/callback to the app client's allowed callback URLs" in text
    assert len(text.splitlines()) == 2
    assert json.dumps(text)  # plain text, one message


@pytest.mark.parametrize(
    "error",
    [
        oauth.OAuthError("invalid_grant", "", 400),
        oauth.OAuthError("invalid_client", "Client authentication failed.", 401),
        oauth.OAuthError("unauthorized_client", "", 400),
        oauth.OAuthError("unsupported_grant_type", "", 400),
        oauth.OAuthError("invalid_request", "missing code_verifier", 400),
        oauth.OAuthError("HTTP 302", "no error code instead of an OAuth answer", 302),
        oauth.OAuthError("HTTP 500", "an HTML page instead of an OAuth answer", 500),
        oauth.OAuthError("malformed answer", "no access_token"),
    ],
    ids=lambda e: e.error,
)
@pytest.mark.parametrize("exchanging", [True, False])
def test_every_token_endpoint_error_names_what_was_said_and_a_next_step(
    error: oauth.OAuthError, exchanging: bool
) -> None:
    text = str(messages.token_error(SETTINGS, error, exchanging=exchanging))
    said, step = text.splitlines()
    assert said.startswith("profile dev: ") and error.error in said
    assert step.startswith(("  next: ", "  run: "))


def test_an_html_error_page_is_summarised_by_its_title() -> None:
    error = messages.authorize_refused(
        SETTINGS, 400, b"<html><head><title>Bad Request:\n redirect_uri</title></head><body>..."
    )
    assert "HTTP 400: Bad Request: redirect_uri" in str(error)


def test_an_opaque_access_token_expires_by_expires_in() -> None:
    from cognito_credproc.tokens import Tokens

    opaque = Tokens(id_token=jwt(aud="cid"), access_token="opaque", access_expires_at=1234.0)
    assert opaque.access_expiry == 1234.0
    assert Tokens.from_json(opaque.to_json()).access_expiry == 1234.0
    with pytest.raises(ValueError, match="not a JWT"):
        _ = Tokens(id_token=jwt(), access_token="opaque").access_expiry
    both = Tokens(id_token=jwt(), access_token=jwt(exp=99), access_expires_at=1234.0)
    assert both.access_expiry == 99  # a JWT's own exp wins
    with pytest.raises(ValueError, match="access_expires_at"):
        Tokens.from_json({**opaque.to_json(), "access_expires_at": "soon"})


def test_without_a_browser_or_a_terminal_nothing_is_opened() -> None:
    from cognito_credproc.errors import SignInRequired
    from cognito_credproc.prompt import NoTerminal
    from cognito_credproc.signin.browser import BrowserSignIn

    opened: list[str] = []

    def opener_stub(url: str, _environ: object) -> opener.Launch:
        opened.append(url)
        return opener.Launch()

    for environ, no_browser in (({}, False), ({"BROWSER": "firefox"}, True)):
        method = BrowserSignIn(
            SETTINGS,
            NoTerminal("dev"),
            environ=environ,
            no_browser=no_browser,
            opener=opener_stub,
        )
        with pytest.raises(SignInRequired) as caught:
            method.sign_in(None)
        assert caught.value.profile == "dev"
    assert opened == []


def test_a_browser_that_never_comes_back_ends_in_the_login_advice(
    server: Scripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cognito_credproc.errors import SignInRequired
    from cognito_credproc.prompt import NoTerminal
    from cognito_credproc.signin import browser

    assert browser.CREDENTIAL_PROCESS_WAIT_SECONDS < 60  # the Go SDKs kill the helper at 60
    monkeypatch.setattr(browser, "CREDENTIAL_PROCESS_WAIT_SECONDS", 0.3)
    server.answer = lambda _r: Response(302, b"", [("Location", server.url + "/login")])
    settings = BrowserSettings(
        **{
            **SETTINGS.__dict__,
            "login_domain": server.url,
            "redirect_uri": f"http://localhost:{pick_redirect_port()}/callback",
        }
    )
    opened: list[str] = []

    def never_comes_back(url: str, _environ: object) -> opener.Launch:
        opened.append(url)
        return opener.Launch()  # started, never finished, never calls back

    method = browser.BrowserSignIn(
        settings, NoTerminal("dev"), environ={"BROWSER": "x"}, opener=never_comes_back
    )
    with pytest.raises(SignInRequired) as caught:
        method.sign_in(None)
    assert "no sign-in came back from the browser" in caught.value.message
    assert caught.value.hint == "run: cognito-credproc login --profile dev"
    port = urllib.parse.urlsplit(settings.redirect_uri).port
    assert len(opened) == 1
    assert opened[0].startswith(f"http://localhost:{port}/cognito-credproc-signin-")


def test_an_orphan_stops_waiting_for_the_browser(server: Scripted) -> None:
    from cognito_credproc.errors import ParentGone
    from cognito_credproc.parentwatch import ParentWatch
    from cognito_credproc.prompt import NoTerminal
    from cognito_credproc.signin import browser

    server.answer = lambda _r: Response(302, b"", [("Location", server.url + "/login")])
    redirect = f"http://localhost:{pick_redirect_port()}/callback"
    settings = BrowserSettings(
        **{**SETTINGS.__dict__, "login_domain": server.url, "redirect_uri": redirect}
    )
    parents = iter([4242, 4242, 1])  # the parent exits during the wait: re-parented to init

    method = browser.BrowserSignIn(
        settings,
        NoTerminal("dev"),
        environ={"BROWSER": "x"},
        opener=lambda _url, _environ: opener.Launch(),  # never comes back
        watch=ParentWatch(parent=4242, getppid=lambda: next(parents, 1)),
    )
    with pytest.raises(ParentGone, match="has exited; stopped waiting"):
        method.sign_in(None)
    with loopback.Listener(redirect):  # the port is free again: nothing is left listening
        pass


# the provider around a browser sign-in -------------------------------------------------------


class NeverComesBack:
    """A browser sign-in whose tab nobody finishes: each try takes the wait, then fails."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.tries = 0

    def describe(self) -> str:
        return "through the browser"

    def sign_in(self, previous: object = None, *, attempts: int = 1) -> object:
        from cognito_credproc.errors import SignInRequired

        self.tries += 1
        self.clock.advance(50)
        raise SignInRequired(
            "no sign-in came back from the browser within 50 s",
            profile="dev",
            hint="run: cognito-credproc login --profile dev",
        )

    def refresh(self, tokens: object) -> None:
        return None


def test_runs_that_waited_for_a_browser_sign_in_that_failed_do_not_open_another_tab(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten runs start together: one opens the tab, the others wait for the lock. When
    that sign-in fails (nobody came back, Cancel), each waiting run would open its own
    tab in turn; instead they fail at once with the login advice. A run that starts
    after the failure tries again."""
    from cognito_credproc.cache import FileCache
    from cognito_credproc.config import profile_from_section
    from cognito_credproc.errors import SignInRequired
    from cognito_credproc.prompt import NoTerminal
    from cognito_credproc.provider import Provider

    browser_profile = {
        **SECTION,
        "auth_flow": "BROWSER",
        "login_domain": "https://people.auth.us-east-1.amazoncognito.com",
    }
    profile = profile_from_section("test.ini", "dev", browser_profile, {})
    clock = Clock()
    method = NeverComesBack(clock)
    monkeypatch.setattr(Provider, "signin", lambda _self: method)

    def run() -> SignInRequired:
        provider = Provider(
            profile, FileCache(str(tmp_path / "cache")), now=clock, interaction=NoTerminal("dev")
        )
        with pytest.raises(SignInRequired) as caught:
            provider.credentials()
        return caught.value

    assert "within 50 s" in run().message and method.tries == 1
    clock.advance(-45)  # a run that asked while that one waited for the browser
    waited = run()
    assert method.tries == 1
    assert waited.message == (
        "the browser sign-in this run waited for, another run's, did not succeed: "
        "no sign-in came back from the browser within 50 s"
    )
    assert waited.hint == "run: cognito-credproc login --profile dev"
    clock.advance(60)  # a run that starts afterwards opens the browser again
    assert "within 50 s" in run().message and method.tries == 2
