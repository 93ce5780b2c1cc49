"""Small in-process fakes of the Cognito clients, driven by an injected clock."""

from __future__ import annotations

import base64
import hashlib
import hmac
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


def _secret_hash(secret: str, username: str, client_id: str) -> str:
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class FakeIdp:
    """A user pool with one app client and one user, checked like Cognito checks them:
    the password, the SECRET_HASH of a client with a secret (the name as typed on
    sign-in, the internal name on refresh), refresh tokens it issued and did not
    revoke, and the device key a refresh token is bound to."""

    def __init__(
        self,
        clock: Clock,
        token_lifetime: float = 3600,
        *,
        client_id: str = SECTION["app_client_id"],
        client_secret: str | None = None,
        internal_username: str = SECTION["username"],
    ) -> None:
        self.meta = _Meta("cognito-idp")
        self.clock = clock
        self.token_lifetime = token_lifetime
        self.client_id = client_id
        self.client_secret = client_secret
        self.internal_username = internal_username  # cognito:username; the sub in some pools
        self.calls: list[str] = []
        self.refresh_valid = True  # False: every refresh token is refused (revoked)
        self.refresh_tokens: set[str] = set()
        self.id_tokens: set[str] = set()
        self.device_key: str | None = None  # set: refresh tokens are bound to this device
        self.serial = 0

    def _result(self, with_refresh: bool) -> dict[str, Any]:
        self.serial += 1
        exp = int(self.clock() + self.token_lifetime)
        base = {
            "sub": "sub-1",
            "cognito:username": self.internal_username,
            "exp": exp,
            "n": self.serial,
        }
        result = {
            "IdToken": make_jwt({**base, "token_use": "id"}),
            "AccessToken": make_jwt({**base, "token_use": "access"}),
        }
        self.id_tokens.add(result["IdToken"])
        if with_refresh:
            result["RefreshToken"] = f"refresh-{self.serial}"
            self.refresh_tokens.add(result["RefreshToken"])
        BEHAVIOUR.record(*result.values())  # the suite's leak oracle knows them
        return {"AuthenticationResult": result}

    def _check_client(self, client_id: str) -> None:
        if client_id != self.client_id:
            raise client_error("ResourceNotFoundException", f"client {client_id} not found")

    def _check_secret_hash(self, given: str | None, username: str) -> None:
        if self.client_secret is None:
            return
        if given != _secret_hash(self.client_secret, username, self.client_id):
            raise client_error(
                "NotAuthorizedException",
                f"Unable to verify secret hash for client {self.client_id}",
            )

    def _check_refresh(self, token: str | None, device_key: str | None) -> None:
        if not self.refresh_valid or token not in self.refresh_tokens:
            raise client_error("NotAuthorizedException", "Refresh Token has been revoked")
        if self.device_key is not None and device_key != self.device_key:
            raise client_error("NotAuthorizedException", "Invalid Refresh Token.")

    def initiate_auth(self, **params: Any) -> dict[str, Any]:
        flow = params["AuthFlow"]
        self.calls.append(flow)
        self._check_client(params["ClientId"])
        auth = params["AuthParameters"]
        if flow == "REFRESH_TOKEN_AUTH":
            self._check_refresh(auth.get("REFRESH_TOKEN"), auth.get("DEVICE_KEY"))
            self._check_secret_hash(auth.get("SECRET_HASH"), self.internal_username)
            return self._result(with_refresh=False)
        self._check_secret_hash(auth.get("SECRET_HASH"), auth.get("USERNAME", ""))
        if auth.get("PASSWORD") != "pw":
            raise client_error("NotAuthorizedException", "Incorrect username or password.")
        return self._result(with_refresh=True)

    def get_tokens_from_refresh_token(self, **params: Any) -> dict[str, Any]:
        self.calls.append("GetTokensFromRefreshToken")
        self._check_client(params["ClientId"])
        self._check_refresh(params.get("RefreshToken"), params.get("DeviceKey"))
        if self.client_secret is not None and params.get("ClientSecret") != self.client_secret:
            raise client_error("NotAuthorizedException", "Unable to verify client secret")
        return self._result(with_refresh=False)


class FakeIdentity:
    """An identity pool that trusts ``idp``: Logins must carry an unexpired ID token of
    that pool (the clock decides), and one IdentityId belongs to its user."""

    def __init__(self, clock: Clock, lifetime: float = 3600, idp: FakeIdp | None = None) -> None:
        self.meta = _Meta("cognito-identity")
        self.clock = clock
        self.lifetime = lifetime
        self.idp = idp
        self.calls: list[str] = []
        self.serial = 0

    def _check_logins(self, params: dict[str, Any]) -> None:
        if self.idp is None:
            return
        (token,) = (params.get("Logins") or {"": ""}).values()
        if token not in self.idp.id_tokens:
            raise client_error("NotAuthorizedException", "Invalid login token.")
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        if claims["exp"] <= self.clock():
            raise client_error("NotAuthorizedException", "Invalid login token. Token expired.")

    def get_id(self, **params: Any) -> dict[str, Any]:
        self.calls.append("GetId")
        self._check_logins(params)
        return {"IdentityId": "us-east-1:identity-1"}

    def get_credentials_for_identity(self, **params: Any) -> dict[str, Any]:
        self.calls.append("GetCredentialsForIdentity")
        if params["IdentityId"] != "us-east-1:identity-1":
            raise client_error("ResourceNotFoundException", "Identity not found.")
        self._check_logins(params)
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
    def __init__(self, clock: Clock, *, client_secret: str | None = None) -> None:
        self.idp = FakeIdp(clock, client_secret=client_secret)
        self.identity = FakeIdentity(clock, idp=self.idp)
        self.sts: Any = None
        self.skew = Skew()

    @property
    def calls(self) -> list[str]:
        return self.idp.calls + self.identity.calls
