"""Small in-process fakes of the Cognito clients, driven by an injected clock."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timezone
from typing import Any

from botocore.exceptions import ClientError

from cognito_credproc.aws import Skew

from .strict_cognito import BEHAVIOUR

# One profile's settings for the in-process tests (no server behind them).
SECTION = {
    "user_pool_id": "us-east-1_Pool1",
    "app_client_id": "client1",
    "identity_pool_id": "us-east-1:00000000-0000-0000-0000-000000000001",
    "username": "alice",
    "auth_flow": "USER_PASSWORD_AUTH",
}


class Clock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


class _Meta:
    def __init__(self, name: str) -> None:
        self.endpoint_url = f"https://{name}.test"

        class Model:
            service_name = name

        self.service_model = Model()


def client_error(code: str, message: str = "", status: int = 400) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "op",
    )


class FakeIdp:
    def __init__(self, clock: Clock, token_lifetime: float = 3600) -> None:
        self.meta = _Meta("cognito-idp")
        self.clock = clock
        self.token_lifetime = token_lifetime
        self.calls: list[str] = []
        self.refresh_valid = True
        self.serial = 0

    def _result(self, with_refresh: bool) -> dict[str, Any]:
        self.serial += 1
        exp = int(self.clock() + self.token_lifetime)
        base = {"sub": "sub-1", "cognito:username": "alice", "exp": exp, "n": self.serial}
        result = {
            "IdToken": make_jwt({**base, "token_use": "id"}),
            "AccessToken": make_jwt({**base, "token_use": "access"}),
        }
        if with_refresh:
            result["RefreshToken"] = f"refresh-{self.serial}"
        BEHAVIOUR.record(*result.values())  # the suite's leak oracle knows them
        return {"AuthenticationResult": result}

    def initiate_auth(self, **params: Any) -> dict[str, Any]:
        flow = params["AuthFlow"]
        self.calls.append(flow)
        if flow == "REFRESH_TOKEN_AUTH":
            if not self.refresh_valid:
                raise client_error("NotAuthorizedException", "Refresh Token has been revoked")
            return self._result(with_refresh=False)
        if params["AuthParameters"].get("PASSWORD") != "pw":
            raise client_error("NotAuthorizedException", "Incorrect username or password.")
        return self._result(with_refresh=True)

    def get_tokens_from_refresh_token(self, **params: Any) -> dict[str, Any]:
        self.calls.append("GetTokensFromRefreshToken")
        raise client_error("NotAuthorizedException", "Refresh Token has been revoked")


class FakeIdentity:
    def __init__(self, clock: Clock, lifetime: float = 3600) -> None:
        self.meta = _Meta("cognito-identity")
        self.clock = clock
        self.lifetime = lifetime
        self.calls: list[str] = []
        self.serial = 0

    def get_id(self, **params: Any) -> dict[str, Any]:
        self.calls.append("GetId")
        return {"IdentityId": "us-east-1:identity-1"}

    def get_credentials_for_identity(self, **params: Any) -> dict[str, Any]:
        self.calls.append("GetCredentialsForIdentity")
        self.serial += 1
        secret, session = f"fake-secret-{uuid.uuid4().hex}", f"fake-session-{uuid.uuid4().hex}"
        BEHAVIOUR.record(secret, session)
        return {
            "IdentityId": params["IdentityId"],
            "Credentials": {
                "AccessKeyId": f"AK{self.serial}",
                "SecretKey": secret,
                "SessionToken": session,
                "Expiration": datetime.fromtimestamp(self.clock() + self.lifetime, tz=timezone.utc),
            },
        }


class FakeClients:
    def __init__(self, clock: Clock) -> None:
        self.idp = FakeIdp(clock)
        self.identity = FakeIdentity(clock)
        self.sts: Any = None
        self.skew = Skew()

    @property
    def calls(self) -> list[str]:
        return self.idp.calls + self.identity.calls
