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
from .awserrors import CognitoError
from .config import Profile
from .credentials import Credentials, check_expiration, check_field
from .errors import AuthFailed, CredprocError, ServiceError

log = logging.getLogger("cognito_credproc")

# region:id (Cognito makes the id a UUID): letters, digits and dashes, nothing else
IDENTITY_ID_RE = re.compile(r"^[\w-]{1,50}:[\w-]{1,100}$", re.ASCII)


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
        if not IDENTITY_ID_RE.match(identity_id):
            raise ServiceError(
                "GetId answered with an IdentityId that is not one",
                profile=self.profile.name,
                hint="retry with --debug; check endpoint_url or a proxy in between",
            )
        return identity_id

    def credentials(self, identity_id: str, id_token: str | None) -> Credentials:
        if self.profile.flow == "basic":
            return self._basic(identity_id, id_token)
        params = self._params(id_token, IdentityId=identity_id)
        if self.profile.role_arn:
            params["CustomRoleArn"] = self.profile.role_arn
        try:
            response = call(
                self.clients.identity, "get_credentials_for_identity", self.profile, **params
            )
        except CognitoError as exc:
            # Refused with a role_arn the token does not list: that is the thing to change,
            # whatever the refusal's code or words (the API reference documents neither).
            allowed = token_roles(id_token)
            if self.profile.role_arn and not exc.transient and self.profile.role_arn not in allowed:
                raise self._role_not_allowed(exc, allowed) from None
            raise
        return self._parse(response.get("Credentials"), "SecretKey", "GetCredentialsForIdentity")

    def _role_not_allowed(self, exc: CognitoError, allowed: list[str]) -> CredprocError:
        profile = self.profile
        where = f"[{profile.name}] of {profile.source}"
        if allowed:
            listed = ", ".join(allowed)
            return AuthFailed(
                f"the identity pool refused role_arn {profile.role_arn}: this sign-in's token "
                f"allows only {listed} ({exc.message})",
                profile=profile.name,
                hint=f"set role_arn in {where} to one of {listed}, or remove it for the "
                "identity pool's own choice",
            )
        return AuthFailed(
            f"the identity pool refused role_arn {profile.role_arn}: this sign-in's token "
            f"allows no role to choose (no cognito:roles) ({exc.message})",
            profile=profile.name,
            hint=f"remove role_arn from {where} for the identity pool's own choice, or add "
            f"the user to a user-pool group with role {profile.role_arn} and sign in again",
        )

    def _basic(self, identity_id: str, id_token: str | None) -> Credentials:
        params = self._params(id_token, IdentityId=identity_id)
        response = call(self.clients.identity, "get_open_id_token", self.profile, **params)
        try:
            token = check_field(response.get("Token"), "Token")
        except ValueError:
            raise ServiceError(
                "GetOpenIdToken answered without a usable Token", profile=self.profile.name
            ) from None
        self.register_secret(token)
        assert self.profile.role_arn is not None
        try:
            answer = call(
                self.clients.sts,
                "assume_role_with_web_identity",
                self.profile,
                RoleArn=self.profile.role_arn,
                RoleSessionName=self.role_session_name(id_token),
                WebIdentityToken=token,
                DurationSeconds=self.profile.duration_seconds,
            )
        except CognitoError as exc:
            raise self._sts_refused(exc, token_roles(id_token)) from None
        return self._parse(
            answer.get("Credentials"), "SecretAccessKey", "AssumeRoleWithWebIdentity"
        )

    def _sts_refused(self, exc: CognitoError, allowed: list[str]) -> CredprocError:
        """STS's refusal of the basic flow's role, with what to change in the settings."""
        profile = self.profile
        where = f"[{profile.name}] of {profile.source}"
        others = f"; this sign-in's token lists {', '.join(allowed)}" if allowed else ""
        if exc.code == "ValidationError" and "durationseconds" in exc.detail.lower():
            # AssumeRoleWithWebIdentity: DurationSeconds up to the role's maximum session
            # duration (1 to 12 hours, set on the role), else "the operation fails".
            return AuthFailed(
                f"STS refused duration_seconds = {profile.duration_seconds}: role "
                f"{profile.role_arn} allows shorter sessions ({exc.message})",
                profile=profile.name,
                hint=f"lower duration_seconds in {where} to the role's maximum session "
                "duration (3600 unless the role says more), or raise the role's "
                f"MaxSessionDuration in IAM{others}",
            )
        if exc.code in ("AccessDenied", "AccessDeniedException"):
            return AuthFailed(
                f"STS refused to let this identity assume role_arn {profile.role_arn} "
                f"({exc.message})",
                profile=profile.name,
                hint=f"check role_arn in {where}: the role must exist and trust identity "
                f"pool {profile.identity_pool_id} (cognito-identity.amazonaws.com){others}",
            )
        return exc

    def role_session_name(self, id_token: str | None = None) -> str:
        if self.profile.role_session_name:
            return self.profile.role_session_name
        base = self.profile.username or _who(id_token) or "guest"
        # STS takes only ASCII here: anything else (a name with accents) becomes "-".
        cleaned = re.sub(r"[^\w+=,.@-]", "-", f"cognito-credproc-{base}", flags=re.ASCII)
        return cleaned[:64]

    def _parse(self, raw: object, secret_field: str, operation: str) -> Credentials:
        """The credentials as answered, checked field by field before anything uses them:
        strings where strings belong, an Expiration that is a time."""
        fields = ("AccessKeyId", secret_field, "SessionToken", "Expiration")
        if not isinstance(raw, dict) or any(raw.get(name) is None for name in fields):
            raise ServiceError(
                f"{operation} answered without complete credentials",
                profile=self.profile.name,
                hint="retry with --debug; check endpoint_url or a proxy in between",
            )
        try:
            creds = Credentials(
                access_key_id=check_field(raw.get("AccessKeyId"), "AccessKeyId"),
                secret_access_key=check_field(raw.get(secret_field), secret_field),
                session_token=check_field(raw.get("SessionToken"), "SessionToken"),
                expiration=check_expiration(to_epoch(raw.get("Expiration"))),
                account_id=self.profile.effective_account_id,
            )
        except (ValueError, TypeError, OverflowError) as exc:
            raise ServiceError(
                f"{operation} answered with malformed credentials ({exc})",
                profile=self.profile.name,
                hint="retry with --debug; check endpoint_url or a proxy in between",
            ) from None
        self.register_secret(creds.secret_access_key)
        self.register_secret(creds.session_token)
        return creds


def token_roles(id_token: str | None) -> list[str]:
    """The roles a user-pool ID token lets its holder choose (cognito:roles: the IAM roles of
    the user's groups)."""
    if id_token is None:
        return []
    from .tokens import jwt_claims

    try:
        roles = jwt_claims(id_token).get("cognito:roles")
    except ValueError:
        return []
    if not isinstance(roles, list):
        return []
    # printable ARNs only: the token's text reaches the terminal
    return [r for r in roles if isinstance(r, str) and r.isprintable() and len(r) < 2048][:20]


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
