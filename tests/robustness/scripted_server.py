"""A small local HTTP server that answers the Cognito JSON APIs from a script, to play
the misbehaviour a real network produces: throttling, 5xx, HTML pages from a proxy,
truncated or incomplete JSON, expired credentials, a clock that is off."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..json_endpoint import Answer, serve_json_api


def jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.c2ln"


class Script:
    """What each operation answers; the last answer of a list repeats."""

    def __init__(self, clock_offset: float = 0.0) -> None:
        self.clock_offset = clock_offset  # the service's clock minus ours
        self.answers: dict[str, list[Answer | Callable[[], Answer]]] = {}
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()

    def server_now(self) -> float:
        return time.time() + self.clock_offset

    def tokens(self) -> Answer:
        now = self.server_now()
        claims = {
            "sub": "s-1",
            "cognito:username": "alice",
            "exp": int(now + 3600),
            "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Fake",
        }
        return 200, {
            "AuthenticationResult": {
                "IdToken": jwt({**claims, "token_use": "id"}),
                "AccessToken": jwt({**claims, "token_use": "access"}),
                "RefreshToken": "refresh-token-from-the-scripted-server",
                "ExpiresIn": 3600,
                "TokenType": "Bearer",
            }
        }

    def identity(self) -> Answer:
        return 200, {"IdentityId": "us-east-1:11111111-1111-1111-1111-111111111111"}

    def credentials(self, lifetime: float = 3600) -> Answer:
        return 200, {
            "IdentityId": "us-east-1:11111111-1111-1111-1111-111111111111",
            "Credentials": {
                "AccessKeyId": "ASIASCRIPTED",
                "SecretKey": "scripted-secret-key",
                "SessionToken": "scripted-session-token",
                "Expiration": self.server_now() + lifetime,
            },
        }

    def happy(self) -> Script:
        self.answers = {
            "InitiateAuth": [self.tokens],
            "GetId": [self.identity],
            "GetCredentialsForIdentity": [self.credentials],
        }
        return self

    def on(self, operation: str, *answers: Answer | Callable[[], Answer]) -> Script:
        self.answers[operation] = list(answers)
        return self

    def next_answer(self, operation: str) -> Answer:
        with self.lock:
            self.calls[operation] += 1
            queue = self.answers.get(operation)
            if not queue:
                return 400, {"__type": "UnknownOperationException", "message": operation}
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return answer() if callable(answer) else answer


class ClockedScript(Script):
    """The happy script on a clock of the test's (``clock`` plus ``skew``: what its Date
    header says too), remembering the Expiration and the ID token expiry it handed out."""

    def __init__(self, clock: Callable[[], float], skew: float = 0.0, lifetime: float = 3600):
        super().__init__()
        self.clock = clock
        self.skew = skew
        self.lifetime = lifetime
        self.expirations: list[float] = []
        self.token_expiries: list[int] = []
        self.happy()

    def server_now(self) -> float:
        return self.clock() + self.skew

    def tokens(self) -> Answer:
        status, body = super().tokens()
        claims = body["AuthenticationResult"]["IdToken"].split(".")[1]
        exp = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["exp"]
        self.token_expiries.append(exp)
        return status, body

    def credentials(self, lifetime: float | None = None) -> Answer:
        status, body = super().credentials(self.lifetime if lifetime is None else lifetime)
        self.expirations.append(body["Credentials"]["Expiration"])
        return status, body


def error(code: str, message: str, status: int = 400) -> Answer:
    return status, {"__type": code, "message": message}


@contextmanager
def serve(script: Script) -> Iterator[str]:
    """Serve ``script`` on 127.0.0.1; a str answer goes out as an HTML page (a proxy's)."""
    with serve_json_api(
        lambda operation, _request: script.next_answer(operation),
        script.server_now,
        text_type="text/html",
    ) as endpoint:
        yield endpoint
