"""A local endpoint that plays a hostile or broken Cognito: it sees each request's body
and answers whatever the test says (echoes, wrong types, control characters, a clock
that is days off)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..json_endpoint import Answer, Responder, serve_json_api


@contextmanager
def hostile(respond: Responder, clock_offset: float = 0.0) -> Iterator[str]:
    """Serve on 127.0.0.1; ``respond(operation, request)`` makes every answer."""
    with serve_json_api(respond, lambda: time.time() + clock_offset) as endpoint:
        yield endpoint


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
