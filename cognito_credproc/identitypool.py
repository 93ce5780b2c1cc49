"""The identity pool (cognito-identity) and, for the basic flow, STS.

Enhanced flow: GetId -> GetCredentialsForIdentity.
Basic flow:    GetId -> GetOpenIdToken -> sts:AssumeRoleWithWebIdentity.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .aws import Clients, call, to_epoch
from .config import Profile
from .errors import ServiceError

log = logging.getLogger("cognito_credproc")


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: float  # epoch seconds, UTC
    account_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": 1,
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "SessionToken": self.session_token,
            "Expiration": self.expiration,
        }
        if self.account_id:
            data["AccountId"] = self.account_id
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Credentials:
        """Rebuild from the cache; ValueError on anything misshapen."""
        if data.get("version") != 1:
            raise ValueError("unknown credentials cache version")
        strings = [data.get(k) for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")]
        if not all(isinstance(v, str) and v for v in strings):
            raise ValueError("credentials missing")
        expiration = data.get("Expiration")
        if not isinstance(expiration, (int, float)) or isinstance(expiration, bool):
            raise ValueError("Expiration is not a number")
        if expiration != expiration or not 0 < expiration < 1e11:
            raise ValueError("Expiration out of range")
        account = data.get("AccountId")
        if account is not None and not isinstance(account, str):
            raise ValueError("AccountId is not a string")
        return cls(str(strings[0]), str(strings[1]), str(strings[2]), float(expiration), account)


class IdentityPool:
    """The calls that turn an ID token (or nothing, for guests) into AWS credentials."""

    def __init__(self, profile: Profile, clients: Clients,
                 register_secret: Callable[[str], None] = lambda _s: None) -> None:
        self.profile = profile
        self.clients = clients
        self.register_secret = register_secret

    def _logins(self, id_token: str | None) -> dict[str, str]:
        if self.profile.unauthenticated or id_token is None:
            return {}
        return {self.profile.login_provider: id_token}

    def get_id(self, id_token: str | None) -> str:
        params: dict[str, Any] = {"IdentityPoolId": self.profile.identity_pool_id}
        logins = self._logins(id_token)
        if logins:
            params["Logins"] = logins
        response = call(self.clients.identity, "get_id", self.profile, **params)
        identity_id = response.get("IdentityId")
        if not isinstance(identity_id, str) or not identity_id:
            raise ServiceError("GetId answered without an IdentityId", profile=self.profile.name)
        return identity_id

    def credentials(self, identity_id: str, id_token: str | None) -> Credentials:
        if self.profile.flow == "basic":
            return self._basic(identity_id, id_token)
        params: dict[str, Any] = {"IdentityId": identity_id}
        logins = self._logins(id_token)
        if logins:
            params["Logins"] = logins
        if self.profile.role_arn:
            params["CustomRoleArn"] = self.profile.role_arn
        response = call(self.clients.identity, "get_credentials_for_identity", self.profile, **params)
        raw = response.get("Credentials") or {}
        return self._parse(raw, "SecretKey", "GetCredentialsForIdentity")

    def _basic(self, identity_id: str, id_token: str | None) -> Credentials:
        params: dict[str, Any] = {"IdentityId": identity_id}
        logins = self._logins(id_token)
        if logins:
            params["Logins"] = logins
        response = call(self.clients.identity, "get_open_id_token", self.profile, **params)
        token = response.get("Token")
        if not isinstance(token, str) or not token:
            raise ServiceError("GetOpenIdToken answered without a Token", profile=self.profile.name)
        self.register_secret(token)
        assert self.profile.role_arn is not None
        answer = call(
            self.clients.sts, "assume_role_with_web_identity", self.profile,
            RoleArn=self.profile.role_arn,
            RoleSessionName=self.role_session_name(),
            WebIdentityToken=token,
            DurationSeconds=self.profile.duration_seconds,
        )
        raw = answer.get("Credentials") or {}
        return self._parse(raw, "SecretAccessKey", "AssumeRoleWithWebIdentity")

    def role_session_name(self) -> str:
        if self.profile.role_session_name:
            return self.profile.role_session_name
        base = self.profile.username or "guest"
        cleaned = re.sub(r"[^\w+=,.@-]", "-", f"cognito-credproc-{base}")
        return cleaned[:64]

    def _parse(self, raw: dict[str, Any], secret_field: str, operation: str) -> Credentials:
        try:
            creds = Credentials(
                access_key_id=str(raw["AccessKeyId"]),
                secret_access_key=str(raw[secret_field]),
                session_token=str(raw["SessionToken"]),
                expiration=to_epoch(raw["Expiration"]),
                account_id=self.profile.effective_account_id,
            )
        except (KeyError, ValueError, TypeError, OverflowError):
            raise ServiceError(f"{operation} answered without complete credentials",
                               profile=self.profile.name, hint="retry with --debug") from None
        if not (creds.access_key_id and creds.secret_access_key and creds.session_token):
            raise ServiceError(f"{operation} answered with empty credentials", profile=self.profile.name)
        self.register_secret(creds.secret_access_key)
        self.register_secret(creds.session_token)
        return creds
