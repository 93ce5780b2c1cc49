"""A local AWS sign-in federation endpoint, as the IAM User Guide describes it ("Enable
custom identity broker access to the AWS console"):

    GET /federation?Action=getSigninToken&Session=JSON   the session JSON must be an
        object with exactly sessionId, sessionKey and sessionToken, non-empty strings,
        whose secret key and session token the local Cognito handed out; then
        {"SigninToken": ...}; anything else is HTTP 400
    GET /federation?Action=login&Issuer=..&Destination=..&SigninToken=..   a token it
        issued, used once -> 302 to Destination; else 400

Optional SessionDuration must be 900 to 43200 seconds.
"""

from __future__ import annotations

import json
import secrets
import threading

from .oauth_common import LocalServer, Request, Response, json_response, redirect
from .strict_cognito import BEHAVIOUR

SESSION_KEYS = {"sessionId", "sessionKey", "sessionToken"}


class Federation(LocalServer):
    """The federation endpoint; what it saw is kept for the tests."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.tokens: dict[str, dict[str, str]] = {}  # SigninToken -> the session
        self.sessions: list[dict[str, str]] = []
        self.logins: list[dict[str, str]] = []

    @property
    def endpoint(self) -> str:
        return f"{self.url}/federation"

    def handle(self, request: Request) -> Response:
        if request.method != "GET" or request.path != "/federation":
            return Response(404)
        action = request.query.get("Action")
        if action == "getSigninToken":
            return self.signin_token(request.query)
        if action == "login":
            return self.login(request.query)
        return Response(400, b"unknown Action")

    def signin_token(self, query: dict[str, str]) -> Response:
        self.count("getSigninToken")
        duration = query.get("SessionDuration")
        if duration is not None and not (duration.isdigit() and 900 <= int(duration) <= 43200):
            return Response(400, b"bad SessionDuration")
        try:
            session = json.loads(query.get("Session", ""))
        except ValueError:
            return Response(400, b"Session is not JSON")
        if not isinstance(session, dict) or set(session) != SESSION_KEYS:
            return Response(400, b"Session must hold sessionId, sessionKey, sessionToken")
        if not all(isinstance(v, str) and v for v in session.values()):
            return Response(400, b"empty session value")
        with BEHAVIOUR.lock:
            issued = set(BEHAVIOUR.issued)
        if not {session["sessionKey"], session["sessionToken"]} <= issued:
            return Response(400, b"unknown credentials")
        token = secrets.token_urlsafe(48)
        BEHAVIOUR.record(token)
        with self.lock:
            self.tokens[token] = session
            self.sessions.append(session)
        return json_response(200, {"SigninToken": token})

    def login(self, query: dict[str, str]) -> Response:
        self.count("login")
        with self.lock:
            self.logins.append(dict(query))
            session = self.tokens.pop(query.get("SigninToken", ""), None)
        if session is None or not query.get("Issuer") or not query.get("Destination"):
            return Response(400, b"bad login request")
        return redirect(query["Destination"])
