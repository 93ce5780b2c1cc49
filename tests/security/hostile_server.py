"""A local endpoint that plays a hostile or broken Cognito: it sees each request's body
and answers whatever the test says (echoes, wrong types, control characters, a clock
that is days off)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# (status, body): a dict is sent as JSON, a str as it is
Answer = tuple[int, Any]
Responder = Callable[[str, dict[str, Any]], Answer]


@contextmanager
def hostile(respond: Responder, clock_offset: float = 0.0) -> Iterator[str]:
    """Serve on 127.0.0.1; ``respond(operation, request)`` makes every answer."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                request = json.loads(raw or b"{}")
            except ValueError:
                request = {}
            operation = (self.headers.get("X-Amz-Target") or "").split(".")[-1]
            status, body = respond(operation, request)
            data = json.dumps(body).encode() if isinstance(body, dict) else str(body).encode()
            self.send_response_only(status)
            self.send_header("Date", formatdate(time.time() + clock_offset, usegmt=True))
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def section(endpoint: str, **extra: str) -> str:
    values = {
        "user_pool_id": "us-east-1_Hostile1",
        "app_client_id": "client1",
        "identity_pool_id": "us-east-1:11111111-2222-3333-4444-555555555555",
        "username": "alice",
        "auth_flow": "USER_PASSWORD_AUTH",
        "endpoint_url": endpoint,
        **extra,
    }
    return "[dev]\n" + "".join(f"{key} = {value}\n" for key, value in values.items())


def jwt(claims: dict[str, Any]) -> str:
    import base64

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.c2lnbmF0dXJl"


def tokens(exp: object = None, **claims: object) -> dict[str, Any]:
    body = {"sub": "s-1", "cognito:username": "alice", **claims}
    body["exp"] = int(time.time() + 3600) if exp is None else exp
    return {
        "AuthenticationResult": {
            "IdToken": jwt({**body, "token_use": "id"}),
            "AccessToken": jwt({**body, "token_use": "access"}),
            "RefreshToken": "refresh-token-from-a-hostile-endpoint",
        }
    }


def credentials(expiration: object = None, **fields: object) -> dict[str, Any]:
    return {
        "IdentityId": "us-east-1:11111111-1111-1111-1111-111111111111",
        "Credentials": {
            "AccessKeyId": "ASIAHOSTILE000000001",
            "SecretKey": "hostile-secret-key",
            "SessionToken": "hostile-session-token",
            "Expiration": time.time() + 3600 if expiration is None else expiration,
            **fields,
        },
    }


def happy(operation: str, request: dict[str, Any]) -> Answer:
    if operation == "InitiateAuth":
        return 200, tokens()
    if operation == "GetId":
        return 200, {"IdentityId": "us-east-1:11111111-1111-1111-1111-111111111111"}
    if operation == "GetCredentialsForIdentity":
        return 200, credentials()
    return 400, {"__type": "UnknownOperationException", "message": operation}
