"""What ``demo`` adds to moto's local Cognito for the other two ways of signing in, and
how it plays the person at the terminal.

- ``ManagedLogin``: a user pool domain's managed login on 127.0.0.1: ``/oauth2/authorize``
  (the app client, its exact callback URL, PKCE S256) sends the browser to a sign-in form,
  ``/login`` checks the user's password in moto's pool and sends the browser back to the
  callback with a code, and ``/oauth2/token`` trades the code (once, with the PKCE
  verifier) or a refresh token for tokens minted by moto's pool.
- ``install_email_codes``: ``InitiateAuth`` with ``AuthFlow=USER_AUTH`` and
  ``PREFERRED_CHALLENGE=EMAIL_OTP`` "mails" an eight-digit code to the ``outbox`` (moto has
  no USER_AUTH), and ``RespondToAuthChallenge`` ``EMAIL_OTP`` signs in with it.
- ``Person``: ``login`` run on a pseudo-terminal, read and answered as a person would.

Only for the demo's throw-away emulator: nothing here is used against AWS.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import os
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ACCOUNT = "123456789012"


def _pool(user_pool_id: str) -> Any:
    from moto.cognitoidp.models import cognitoidp_backends

    region = user_pool_id.split("_", 1)[0]
    return cognitoidp_backends[ACCOUNT][region].user_pools[user_pool_id]


class ManagedLogin:
    """The local managed login of one user pool."""

    def __init__(self, user_pool_id: str) -> None:
        self.user_pool_id = user_pool_id
        self.codes: dict[str, tuple[str, str, str, str]] = {}  # code -> client, uri, pkce, user
        self.lock = threading.Lock()
        login = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                login.serve(self, "GET")

            def do_POST(self) -> None:
                login.serve(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        split = urllib.parse.urlsplit(handler.path)
        query = dict(urllib.parse.parse_qsl(split.query))
        form: dict[str, str] = {}
        if method == "POST":
            length = int(handler.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(handler.rfile.read(length).decode()))
        status, headers, body = self.route(method, split.path, query, form, handler.headers)
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Cache-Control", "no-store")
        handler.end_headers()
        handler.wfile.write(body)

    def route(
        self, method: str, path: str, query: dict[str, str], form: dict[str, str], headers: Any
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if method == "GET" and path == "/oauth2/authorize":
            problem = self.check_authorize(query)
            if problem:
                return _page(400, problem)
            return _redirect(f"{self.url}/login?{urllib.parse.urlencode(query)}")
        if path == "/login":
            params = query if method == "GET" else form
            problem = self.check_authorize(params)
            if problem:
                return _page(400, problem)
            if method == "GET":
                return _page(200, "Sign in", _form(params))
            user = _pool(self.user_pool_id)._get_user(form.get("username", ""))
            if user is None or not secrets.compare_digest(
                str(user.password or ""), form.get("password", "")
            ):
                return _page(200, "Sign in", _form(params, "Incorrect username or password."))
            code = secrets.token_urlsafe(24)
            with self.lock:
                self.codes[code] = (
                    params["client_id"],
                    params["redirect_uri"],
                    params["code_challenge"],
                    user.username,
                )
            back = {"code": code, **({"state": params["state"]} if "state" in params else {})}
            return _redirect(f"{params['redirect_uri']}?{urllib.parse.urlencode(back)}")
        if method == "POST" and path == "/oauth2/token":
            return self.token(form)
        return _page(404, "Not found")

    def check_authorize(self, query: dict[str, str]) -> str:
        client = _pool(self.user_pool_id).clients.get(query.get("client_id", ""))
        if client is None:
            return "Client does not exist"
        if query.get("redirect_uri") not in (client.extended_config.get("CallbackURLs") or []):
            return "redirect_mismatch"
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
            return "invalid_request"
        return ""

    def token(self, form: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:

        pool = _pool(self.user_pool_id)
        if form.get("grant_type") == "authorization_code":
            with self.lock:
                grant = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            if (
                grant is None
                or grant[:2] != (form.get("client_id"), form.get("redirect_uri"))
                or not secrets.compare_digest(challenge, grant[2])
            ):
                return _json(400, {"error": "invalid_grant"})
            refresh_token, _ = pool.create_refresh_token(grant[0], grant[3])
        elif form.get("grant_type") == "refresh_token":
            refresh_token = form.get("refresh_token", "")
            if not pool.refresh_tokens.get(refresh_token):
                return _json(400, {"error": "invalid_grant"})
        else:
            return _json(400, {"error": "unsupported_grant_type"})
        access, id_token, expires_in = pool.create_tokens_from_refresh_token(refresh_token)
        answer = {
            "id_token": id_token,
            "access_token": access,
            "expires_in": expires_in,
            "token_type": "Bearer",
        }
        if form.get("grant_type") == "authorization_code":
            answer["refresh_token"] = refresh_token
        return _json(200, answer)


def _redirect(location: str) -> tuple[int, list[tuple[str, str]], bytes]:
    return 302, [("Location", location)], b""


def _page(status: int, title: str, body: str = "") -> tuple[int, list[tuple[str, str]], bytes]:
    text = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return status, [("Content-Type", "text/html; charset=utf-8")], text.encode()


def _json(status: int, data: object) -> tuple[int, list[tuple[str, str]], bytes]:
    import json

    return status, [("Content-Type", "application/json")], json.dumps(data).encode()


def _form(params: dict[str, str], problem: str = "") -> str:
    hidden = "".join(
        f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v)}'>"
        for k, v in params.items()
    )
    shown = f"<p>{html.escape(problem)}</p>" if problem else ""
    return (
        f"{shown}<form method='post' action='/login'>{hidden}"
        "<label>Username <input name='username'></label>"
        "<label>Password <input name='password' type='password'></label>"
        "<button>Sign in</button></form>"
    )


def sign_in_in_browser(url: str, redirect_uri: str, username: str, password: str) -> str:
    """What a person does in the browser: open the address, fill in the form, and end on
    the callback address (which is not loaded: it is what ``--no-browser`` asks for)."""
    import urllib.request

    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(
            self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
        ) -> Any:
            if newurl.startswith(redirect_uri):
                raise _Arrived(newurl)
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    opener = urllib.request.build_opener(Stop)
    with opener.open(url, timeout=10) as page:  # the sign-in form
        form_url = page.geturl()
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(form_url).query))
    data = urllib.parse.urlencode({**params, "username": username, "password": password})
    try:
        opener.open(f"{form_url.split('?', 1)[0]}", data=data.encode(), timeout=10)
    except _Arrived as arrived:
        return arrived.url
    raise RuntimeError("the managed login did not send the browser back")


class _Arrived(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


# -- email codes (USER_AUTH with EMAIL_OTP) -----------------------------------------------

outbox: list[tuple[str, str]] = []  # (address, code)
_sessions: dict[str, tuple[str, str, str]] = {}  # session -> (pool id, username, code)


def install_email_codes() -> None:
    from moto.cognitoidp.exceptions import NotAuthorizedError
    from moto.cognitoidp.models import CognitoIdpBackend

    initiate = CognitoIdpBackend.initiate_auth
    respond = CognitoIdpBackend.respond_to_auth_challenge

    def initiate_auth(
        self: Any, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        if auth_flow != "USER_AUTH":
            return initiate(self, client_id, auth_flow, auth_parameters)
        pool = next(p for p in self.user_pools.values() if client_id in p.clients)
        user = pool._get_user(auth_parameters.get("USERNAME", ""))
        if user is None:
            raise NotAuthorizedError("Incorrect username or password.")
        address = {a["Name"]: a["Value"] for a in user.attributes}.get("email", "")
        code = f"{secrets.randbelow(10**8):08d}"
        session = secrets.token_urlsafe(32)
        _sessions[session] = (pool.id, user.username, code)
        outbox.append((address, code))
        local, _, domain = address.partition("@")
        return {
            "ChallengeName": "EMAIL_OTP",
            "Session": session,
            "ChallengeParameters": {
                "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
                "CODE_DELIVERY_DESTINATION": f"{local[:1]}***@{domain[:1]}***",
                "USERNAME": user.username,
            },
        }

    def respond_to_auth_challenge(
        self: Any, session: str, client_id: str, name: str, responses: dict[str, str]
    ) -> dict[str, Any]:
        if name != "EMAIL_OTP":
            return respond(self, session, client_id, name, responses)
        pool_id, username, code = _sessions.pop(session, ("", "", ""))
        if not code or not secrets.compare_digest(responses.get("EMAIL_OTP_CODE", ""), code):
            raise NotAuthorizedError("Invalid session for the user.")
        pool = self.user_pools[pool_id]
        return dict(self._log_user_in(pool, pool.clients[client_id], username))

    backend: Any = CognitoIdpBackend
    backend.initiate_auth = initiate_auth
    backend.respond_to_auth_challenge = respond_to_auth_challenge


# -- the person at the terminal -----------------------------------------------------------


class Person:
    """``argv`` run with a pseudo-terminal as its controlling terminal (POSIX)."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        # POSIX only: the demo refuses these flows on Windows before this (demo.py).
        import pty
        import subprocess

        self.master, slave = pty.openpty()  # type: ignore[attr-defined,unused-ignore]
        name = os.ttyname(slave)  # type: ignore[attr-defined,unused-ignore]
        os.close(slave)

        def own_terminal() -> None:
            os.setsid()  # type: ignore[attr-defined,unused-ignore]
            os.close(os.open(name, os.O_RDWR))  # the session's controlling terminal

        from .launch import popen

        self.proc = popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=own_terminal,
        )
        self.screen = ""

    def wait_for(self, text: str, timeout: float = 60) -> str:
        import select

        deadline = time.monotonic() + timeout
        while text not in self.screen:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise RuntimeError(f"the terminal never showed {text!r}")
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                with contextlib.suppress(OSError):
                    self.screen += os.read(self.master, 4096).decode(errors="replace")
        return self.screen

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        _, err = self.proc.communicate(timeout=timeout)
        os.close(self.master)
        return self.proc.returncode, err.decode(errors="replace")


Answer = Callable[[str], str]
