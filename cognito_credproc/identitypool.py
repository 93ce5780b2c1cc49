"""The identity pool (cognito-identity) and, for the basic flow, STS.

Enhanced flow: GetId -> GetCredentialsForIdentity.
Basic flow:    GetId -> GetOpenIdToken -> sts:AssumeRoleWithWebIdentity.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from .aws import Clients, call, to_epoch
from .config import Profile
from .credentials import Credentials
from .errors import ServiceError

log = logging.getLogger("cognito_credproc")


class IdentityPool:
    """The calls that turn an ID token (or nothing, for guests) into AWS credentials."""

    def __init__(
        self,
        profile: Profile,
        clients: Clients,
        register_secret: Callable[[str], None] = lambda _s: None,
    ) -> None:
        self.profile = profile
        self.clients = clients
        self.register_secret = register_secret

    def _params(self, id_token: str | None, **params: Any) -> dict[str, Any]:
        """Call parameters plus Logins (the ID token) unless this is a guest identity."""
        if not self.profile.unauthenticated and id_token is not None:
            params["Logins"] = {self.profile.login_provider: id_token}
        return params

    def get_id(self, id_token: str | None) -> str:
        params = self._params(id_token, IdentityPoolId=self.profile.identity_pool_id)
        response = call(self.clients.identity, "get_id", self.profile, **params)
        identity_id = response.get("IdentityId")
        if not isinstance(identity_id, str) or not identity_id:
            raise ServiceError("GetId answered without an IdentityId", profile=self.profile.name)
        return identity_id

    def credentials(self, identity_id: str, id_token: str | None) -> Credentials:
        if self.profile.flow == "basic":
            return self._basic(identity_id, id_token)
        params = self._params(id_token, IdentityId=identity_id)
        if self.profile.role_arn:
            params["CustomRoleArn"] = self.profile.role_arn
        response = call(
            self.clients.identity, "get_credentials_for_identity", self.profile, **params
        )
        raw = response.get("Credentials") or {}
        return self._parse(raw, "SecretKey", "GetCredentialsForIdentity")

    def _basic(self, identity_id: str, id_token: str | None) -> Credentials:
        params = self._params(id_token, IdentityId=identity_id)
        response = call(self.clients.identity, "get_open_id_token", self.profile, **params)
        token = response.get("Token")
        if not isinstance(token, str) or not token:
            raise ServiceError("GetOpenIdToken answered without a Token", profile=self.profile.name)
        self.register_secret(token)
        assert self.profile.role_arn is not None
        answer = call(
            self.clients.sts,
            "assume_role_with_web_identity",
            self.profile,
            RoleArn=self.profile.role_arn,
            RoleSessionName=self.role_session_name(id_token),
            WebIdentityToken=token,
            DurationSeconds=self.profile.duration_seconds,
        )
        raw = answer.get("Credentials") or {}
        return self._parse(raw, "SecretAccessKey", "AssumeRoleWithWebIdentity")

    def role_session_name(self, id_token: str | None = None) -> str:
        if self.profile.role_session_name:
            return self.profile.role_session_name
        base = self.profile.username or _who(id_token) or "guest"
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
            raise ServiceError(
                f"{operation} answered without complete credentials",
                profile=self.profile.name,
                hint="retry with --debug",
            ) from None
        if not (creds.access_key_id and creds.secret_access_key and creds.session_token):
            raise ServiceError(
                f"{operation} answered with empty credentials", profile=self.profile.name
            )
        self.register_secret(creds.secret_access_key)
        self.register_secret(creds.session_token)
        return creds


def _who(id_token: str | None) -> str | None:
    """Who signed in, from the ID token (a browser sign-in needs no configured username)."""
    if id_token is None:
        return None
    from .tokens import jwt_claims

    try:
        claims = jwt_claims(id_token)
    except ValueError:
        return None
    for name in ("cognito:username", "preferred_username", "email", "sub"):
        if isinstance(claims.get(name), str) and claims[name]:
            return str(claims[name])
    return None
