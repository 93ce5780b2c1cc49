"""What an AWS service's error code means: ``CognitoError``, classified (a refused
password or code, a missing pool or client, a flow the app client does not allow, a
feature plan, throttling, a server failure) into the tool's errors with the hint to show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import AuthFailed, CredprocError, ServiceError

if TYPE_CHECKING:
    from .config import Profile


class CognitoError(CredprocError):
    """A service answered with an error code (kept for callers that branch on it)."""

    def __init__(
        self, code: str, message: str, *, profile: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(f"{code}: {message}" if message else code, profile=profile, hint=hint)
        self.code = code
        self.detail = message
        self.status: int | None = None

    @property
    def transient(self) -> bool:
        """Throttling or a server-side failure: not an answer about the request itself."""
        return self.code in THROTTLING_CODES or self.status is None or self.status >= 500


def one_line(text: str, limit: int = 200) -> str:
    """A service's message on one line, secrets redacted before it is cut to ``limit``."""
    from .redact import clip, redact

    return clip(" ".join(redact(text).split()), limit)


THROTTLING_CODES = frozenset(
    {"TooManyRequestsException", "ThrottlingException", "LimitExceededException"}
)
AUTH_CODES = {
    "NotAuthorizedException",
    "UserNotFoundException",
    "CodeMismatchException",
    "ExpiredCodeException",
    "PasswordResetRequiredException",
    "UserNotConfirmedException",
    "InvalidPasswordException",
}


def client_error(
    code: str, message: str, status: object, operation: str, profile: Profile
) -> CognitoError:
    error = _classify(code, message, status, operation, profile)
    error.status = status if isinstance(status, int) else None
    return error


def _classify(
    code: str, message: str, status: object, operation: str, profile: Profile
) -> CognitoError:
    # An HTML page (a proxy's, or a server's crash page) says nothing useful in one line.
    looks_like_html = message.lstrip().startswith("<")
    detail = one_line(message) if message and not looks_like_html else ""
    if looks_like_html and isinstance(status, int):
        detail = f"HTTP {status} with an HTML page instead of an API answer"
    if code in AUTH_CODES:
        hint = _auth_hint(code, message, operation, profile)
        err: CognitoError = _AuthCognitoError(code, detail, profile=profile.name, hint=hint)
        return err
    if code in ("ResourceNotFoundException",):
        return _ServiceCognitoError(
            code,
            detail or "not found",
            profile=profile.name,
            hint=f"check the pool and client ids in [{profile.name}] of {profile.source}",
        )
    if code == "InvalidParameterException" and "USER_AUTH flow not enabled" in message:
        return _ServiceCognitoError(
            code,
            detail,
            profile=profile.name,
            hint="add ALLOW_USER_AUTH to the app client's authentication flows, "
            "or set auth_flow = USER_SRP_AUTH",
        )
    if code == "InvalidParameterException" and "flow not enabled" in message:
        return _ServiceCognitoError(code, detail, profile=profile.name, hint=_flow_hint(message))
    if code == "FeatureUnavailableInTierException":
        return _ServiceCognitoError(
            code,
            detail or "the user pool's feature plan does not include this",
            profile=profile.name,
            hint="choice-based and passwordless sign-in (USER_AUTH) need the Essentials or "
            "Plus feature plan on the user pool; or set auth_flow = USER_SRP_AUTH",
        )
    if code in THROTTLING_CODES:
        return _ServiceCognitoError(
            code, detail or "throttled", profile=profile.name, hint="wait a minute and try again"
        )
    if isinstance(status, int) and status >= 500:
        return _ServiceCognitoError(
            code,
            detail or f"HTTP {status}",
            profile=profile.name,
            hint=f"the service failed on {operation}; try again later",
        )
    return _ServiceCognitoError(code, detail, profile=profile.name)


IDENTITY_OPERATIONS = frozenset({"get_id", "get_credentials_for_identity", "get_open_id_token"})


def _auth_hint(code: str, message: str, operation: str, profile: Profile) -> str | None:
    """What to do when Cognito refuses: the setting to check, or the command to run."""
    where = f"[{profile.name}] of {profile.source}"
    login = f"cognito-credproc login --profile {profile.name}"
    said = message.lower()
    if operation in IDENTITY_OPERATIONS:
        if "unauthenticated access" in said:
            return (
                f"allow unauthenticated identities on identity pool {profile.identity_pool_id}, "
                f"or remove unauthenticated from {where} to sign in"
            )
        if "supported provider" in said or "audience" in said or "doesn't match" in said:
            return (
                f"identity pool {profile.identity_pool_id} must list {profile.login_provider} "
                f"with app client {profile.app_client_id} as an authentication provider; "
                f"or check the ids in {where}"
            )
        return None  # an expired or mangled token: the message says which
    if code == "NotAuthorizedException" and "secret" in said:
        return secret_hint(profile)
    if code == "UserNotFoundException":
        return f"check username in {where} (a user name, or an alias the pool accepts)"
    if "incorrect username or password" in said:
        return f"check username in {where} and the password, then run: {login}"
    if "disabled" in said:
        return "the user pool's administrator must enable the user"
    if "attempts exceeded" in said:
        return f"wait a few minutes, then run: {login}"
    if code == "PasswordResetRequiredException":
        return f"run: cognito-credproc password reset --profile {profile.name}"
    if code == "UserNotConfirmedException":
        return f"run: cognito-credproc signup confirm --profile {profile.name}"
    return f"run: {login}"


def secret_refused(exc: CognitoError) -> bool:
    """Cognito refused the app client's secret (none sent, a wrong one, or one retired by a
    secret rotation), not the user or the token. The code is NotAuthorizedException, as for
    a wrong password, so the message must tell: every form the service uses mentions the
    secret ("Client ID is configured for secret but secret was not received", "... with
    secret but SECRET_HASH was not received", "Unable to verify secret hash for client ID")."""
    return exc.code == "NotAuthorizedException" and "secret" in exc.detail.lower()


def secret_hint(profile: Profile) -> str:
    """What to change about app_client_secret: whether one was sent is the settings' to say."""
    where = f"[{profile.name}] of {profile.source}"
    if profile.app_client_secret:
        return (
            f"check app_client_secret in {where}: it is not one of app client "
            f"{profile.app_client_id}'s secrets (wrong, or retired by a rotation of the "
            "client's secrets): set it to a current one"
        )
    return f"the app client has a secret: set app_client_secret in {where}"


def _flow_hint(message: str) -> str:
    """What to change when the app client does not allow a flow ("X flow not enabled")."""
    flow = message.split()[0] if message.split() else ""
    other = {"USER_PASSWORD_AUTH": "USER_SRP_AUTH", "USER_SRP_AUTH": "USER_PASSWORD_AUTH"}
    if flow in other:
        return f"set auth_flow = {other[flow]}, or allow ALLOW_{flow} on the app client"
    return "allow this flow on the app client"


class _AuthCognitoError(CognitoError, AuthFailed):
    pass


class _ServiceCognitoError(CognitoError, ServiceError):
    pass
