"""Everything the tool takes from its runtime dependencies: each AWS operation it calls,
the parameters it sends, the answer fields and enum values it reads, and the few library
functions it relies on; and ``problems``, which checks that list against the installed
botocore, filelock and platformdirs.

``tests/test_floors.py`` keeps the list in step with the code (every operation the code
calls must be listed) and runs this file as a script with the interpreter the tool runs
with: in the floor run (``.ci/run``), the floor virtualenv's, where exactly the
``pyproject.toml`` minimums are installed. So a use of an operation, parameter or field
that the declared minimum lacks fails there. The script needs nothing but the standard
library and the tool's own dependencies: no pytest in the floor virtualenv.

botocore drops answer fields its model does not know, and refuses parameters it does not
know before sending anything: both are uses of the model, listed here.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

# Challenges a sign-in answers (cognito_credproc.signin.api.HANDLERS); the test checks
# that this is exactly the handlers' list.
HANDLED_CHALLENGES = (
    "PASSWORD_VERIFIER",
    "NEW_PASSWORD_REQUIRED",
    "SOFTWARE_TOKEN_MFA",
    "SMS_MFA",
    "EMAIL_OTP",
    "SELECT_MFA_TYPE",
    "MFA_SETUP",
    "CUSTOM_CHALLENGE",
    "DEVICE_SRP_AUTH",
    "DEVICE_PASSWORD_VERIFIER",
    "SELECT_CHALLENGE",
    "SMS_OTP",
    "WEB_AUTHN",
)
# The first factors of choice-based sign-in (USER_AUTH) the tool tells apart.
FIRST_FACTORS = ("PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN")
TOKENS = (
    "AuthenticationResult.IdToken",
    "AuthenticationResult.AccessToken",
    "AuthenticationResult.RefreshToken",
)
CHALLENGE = ("ChallengeName", "ChallengeParameters", "Session")
CODE_DELIVERY = ("CodeDeliveryDetails.Destination", "CodeDeliveryDetails.DeliveryMedium")
NEW_DEVICE = (
    "AuthenticationResult.NewDeviceMetadata.DeviceKey",
    "AuthenticationResult.NewDeviceMetadata.DeviceGroupKey",
)


@dataclass(frozen=True)
class Use:
    """One operation: the parameters sent, the answer fields read (dotted paths), and the
    enum values sent or read, by path."""

    sends: tuple[str, ...]
    reads: tuple[str, ...] = ()
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)


USED: dict[str, dict[str, Use]] = {
    "cognito-idp": {
        "InitiateAuth": Use(
            sends=("AuthFlow", "ClientId", "AuthParameters"),
            # AvailableChallenges (choice-based sign-in): botocore 1.35.68
            reads=(*CHALLENGE, "AvailableChallenges", *TOKENS, *NEW_DEVICE),
            values={
                "AuthFlow": (
                    "USER_SRP_AUTH",
                    "USER_PASSWORD_AUTH",
                    "REFRESH_TOKEN_AUTH",
                    "USER_AUTH",
                ),
                "ChallengeName": HANDLED_CHALLENGES,
                "AvailableChallenges": FIRST_FACTORS,
            },
        ),
        "RespondToAuthChallenge": Use(
            sends=("ClientId", "ChallengeName", "ChallengeResponses", "Session"),
            # Every challenge answer is read as InitiateAuth's is (api.ApiSignIn.finish):
            # AvailableChallenges here is botocore 1.43.108's.
            reads=(*CHALLENGE, "AvailableChallenges", *TOKENS, *NEW_DEVICE),
            values={
                "ChallengeName": HANDLED_CHALLENGES,
                "AvailableChallenges": FIRST_FACTORS,
            },
        ),
        # Refresh on app clients that rotate refresh tokens: botocore 1.38.0
        "GetTokensFromRefreshToken": Use(
            sends=("ClientId", "RefreshToken", "ClientSecret", "DeviceKey"), reads=TOKENS
        ),
        "RevokeToken": Use(sends=("ClientId", "Token", "ClientSecret")),
        "GlobalSignOut": Use(sends=("AccessToken",)),
        "AssociateSoftwareToken": Use(
            sends=("Session", "AccessToken"), reads=("SecretCode", "Session")
        ),
        "VerifySoftwareToken": Use(
            sends=("Session", "AccessToken", "UserCode", "FriendlyDeviceName"),
            reads=("Status", "Session"),
            values={"Status": ("SUCCESS",)},
        ),
        "ConfirmDevice": Use(
            sends=(
                "AccessToken",
                "DeviceKey",
                "DeviceSecretVerifierConfig.PasswordVerifier",
                "DeviceSecretVerifierConfig.Salt",
                "DeviceName",
            ),
            reads=("UserConfirmationNecessary",),
        ),
        "UpdateDeviceStatus": Use(
            sends=("AccessToken", "DeviceKey", "DeviceRememberedStatus"),
            values={"DeviceRememberedStatus": ("remembered",)},
        ),
        # account self-service (cognito_credproc/account/)
        "ForgotPassword": Use(sends=("ClientId", "Username", "SecretHash"), reads=CODE_DELIVERY),
        "ConfirmForgotPassword": Use(
            sends=("ClientId", "Username", "SecretHash", "ConfirmationCode", "Password")
        ),
        "ChangePassword": Use(sends=("AccessToken", "PreviousPassword", "ProposedPassword")),
        "SignUp": Use(
            sends=(
                "ClientId",
                "Username",
                "SecretHash",
                "Password",
                "UserAttributes.Name",
                "UserAttributes.Value",
            ),
            reads=("UserConfirmed", *CODE_DELIVERY),
        ),
        "ConfirmSignUp": Use(sends=("ClientId", "Username", "SecretHash", "ConfirmationCode")),
        "ResendConfirmationCode": Use(
            sends=("ClientId", "Username", "SecretHash"), reads=CODE_DELIVERY
        ),
        "GetUser": Use(
            sends=("AccessToken",),
            reads=("UserMFASettingList", "PreferredMfaSetting", "MFAOptions.DeliveryMedium"),
        ),
        "SetUserMFAPreference": Use(
            sends=(
                "AccessToken",
                "SoftwareTokenMfaSettings.Enabled",
                "SoftwareTokenMfaSettings.PreferredMfa",
                "SMSMfaSettings.Enabled",
                "SMSMfaSettings.PreferredMfa",
                # email MFA (EmailMfaSettings): botocore 1.35.x
                "EmailMfaSettings.Enabled",
                "EmailMfaSettings.PreferredMfa",
            ),
        ),
        "ListDevices": Use(
            sends=("AccessToken", "Limit", "PaginationToken"),
            reads=(
                "Devices.DeviceKey",
                "Devices.DeviceAttributes.Name",
                "Devices.DeviceAttributes.Value",
                "Devices.DeviceLastAuthenticatedDate",
                "PaginationToken",
            ),
        ),
        "ForgetDevice": Use(sends=("AccessToken", "DeviceKey")),
    },
    "cognito-identity": {
        "GetId": Use(sends=("IdentityPoolId", "Logins"), reads=("IdentityId",)),
        "GetCredentialsForIdentity": Use(
            sends=("IdentityId", "Logins", "CustomRoleArn"),
            reads=(
                "Credentials.AccessKeyId",
                "Credentials.SecretKey",
                "Credentials.SessionToken",
                "Credentials.Expiration",
            ),
        ),
        "GetOpenIdToken": Use(sends=("IdentityId", "Logins"), reads=("Token",)),
    },
    "sts": {
        # whoami: the role in use (signed with the temporary keys themselves)
        "GetCallerIdentity": Use(sends=(), reads=("Account", "Arn")),
        "AssumeRoleWithWebIdentity": Use(
            sends=("RoleArn", "RoleSessionName", "WebIdentityToken", "DurationSeconds"),
            reads=(
                "Credentials.AccessKeyId",
                "Credentials.SecretAccessKey",
                "Credentials.SessionToken",
                "Credentials.Expiration",
            ),
        ),
    },
}


def _member(shape: Any, path: str) -> Any:
    """The shape at a dotted ``path`` below ``shape`` (through lists), or None."""
    for name in path.split("."):
        while shape is not None and shape.type_name == "list":
            shape = shape.member
        if shape is None or shape.type_name != "structure" or name not in shape.members:
            return None
        shape = shape.members[name]
    while shape is not None and shape.type_name == "list":
        shape = shape.member
    return shape


def model_problems(session: Any) -> list[str]:
    """What the code uses and the installed botocore's models lack."""
    found: list[str] = []
    for service, operations in USED.items():
        model = session.get_service_model(service)
        for operation, use in operations.items():
            if operation not in model.operation_names:
                found.append(f"{service} {operation}: no such operation")
                continue
            op = model.operation_model(operation)
            for side, shape, paths in (
                ("parameter", op.input_shape, use.sends),
                ("answer field", op.output_shape, use.reads),
            ):
                for path in paths:
                    if _member(shape, path) is None:
                        found.append(f"{service} {operation}: no {side} {path}")
            for path, wanted in use.values.items():
                for shape in (op.input_shape, op.output_shape):
                    member = _member(shape, path)
                    if member is None:
                        continue
                    known = set(getattr(member, "enum", None) or ())
                    for value in wanted:
                        problem = f"{service} {operation}: {path} has no value {value}"
                        if value not in known and problem not in found:
                            found.append(problem)
    return found


def library_problems() -> list[str]:
    """What the code relies on in filelock and platformdirs (and botocore's Python API)
    and the installed ones lack."""
    import inspect
    import os
    import tempfile

    import filelock
    import platformdirs
    from botocore.compat import compat_shell_split
    from botocore.config import Config

    found: list[str] = []
    # locking.hold: FileLock(path, mode=...), acquire(timeout=...), Timeout (3.10.0)
    if "mode" not in inspect.signature(filelock.FileLock).parameters:
        return [*found, "filelock.FileLock takes no mode"]
    posix = os.name == "posix"  # mode bits say nothing on Windows
    old_umask = os.umask(0)
    try:
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "k.lock")
            holder = filelock.FileLock(path, mode=0o600)
            holder.acquire(timeout=1)
            try:
                if posix and os.stat(path).st_mode & 0o777 != 0o600:
                    found.append("filelock does not create the lock file with its mode")
                try:
                    filelock.FileLock(path, mode=0o600).acquire(timeout=0)
                    found.append("filelock: a held lock was taken again")
                except filelock.Timeout:
                    pass
            finally:
                holder.release()
    finally:
        os.umask(old_umask)
    # configfile.user_dir: user_config_dir/user_cache_dir(appname, appauthor=False), and
    # the macOS directories the README names (platformdirs 3.0.0 moved the config one)
    for name in ("user_config_dir", "user_cache_dir"):
        function = getattr(platformdirs, name, None)
        if function is None or "appauthor" not in inspect.signature(function).parameters:
            found.append(f"platformdirs.{name}(appauthor=...) is missing")
    if sys.platform == "win32":  # ~/Library paths are macOS's (and POSIX's) to spell
        return found
    from platformdirs.macos import MacOS

    mac = MacOS("cognito-credproc", appauthor=False)
    home = os.path.expanduser("~")
    # the defaults (newer releases let XDG_* variables override them on macOS too)
    xdg = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("XDG_")}
    try:
        for kind, wanted in (
            ("user_config_dir", "Library/Application Support/cognito-credproc"),
            ("user_cache_dir", "Library/Caches/cognito-credproc"),
        ):
            if getattr(mac, kind) != os.path.join(home, wanted):
                found.append(
                    f"platformdirs {kind} on macOS is {getattr(mac, kind)}, not ~/{wanted}"
                )
    finally:
        os.environ.update(xdg)
    # aws.Clients: unsigned clients with the standard retry mode and a user agent suffix
    Config(retries={"mode": "standard", "total_max_attempts": 3}, user_agent_extra="x")
    if compat_shell_split("a 'b c'", "linux2") != ["a", "b c"]:
        found.append("botocore.compat.compat_shell_split splits differently")
    return found


def report() -> dict[str, Any]:
    """The installed versions and every problem, as the script prints them."""
    from importlib import metadata

    import botocore.session

    names = ("boto3", "botocore", "platformdirs", "filelock")
    return {
        "versions": {name: metadata.version(name) for name in names},
        "problems": model_problems(botocore.session.get_session()) + library_problems(),
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(report()) + "\n")
