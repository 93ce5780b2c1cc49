"""Account self-service for the strict local Cognito: what a user does to their own
account through the user pool API, where moto is missing or looser than the service.

Installed by ``strict_cognito.install()`` on top of its patches:

- Forgotten passwords: ForgotPassword sends a code of its own to the outbox a test reads
  (``USERAUTH.outbox``; moto hands it out in an ``x-moto-forgot-password-confirmation-code``
  header and takes any code not shaped like its own), by the pool's AccountRecoverySetting,
  masked as Cognito masks it; ConfirmForgotPassword checks the code (wrong: CodeMismatch,
  too old: ExpiredCode, too many wrong: LimitExceeded) and the pool's password policy, and
  confirms a user an administrator reset. AdminResetUserPassword sends a code too.
- RESET_REQUIRED: a sign-in answers PasswordResetRequiredException (moto answers
  NEW_PASSWORD_REQUIRED, or signs the user in with the old password).
- Unconfirmed users: UserNotConfirmedException on a password sign-in; SignUp sends a code,
  ConfirmSignUp checks it, ResendConfirmationCode (moto lacks it) sends a new one; SignUp is
  refused where only administrators create users, and without a required attribute.
- ChangePassword: the access token must be valid and carry the admin scope; the old
  password is checked, the new one against the policy, and no token is revoked.
- MFA: SetUserMFAPreference with email MFA (moto knows only TOTP and SMS), one preferred
  factor, no factor that the user has not set up, and none turned off all together where
  the pool requires MFA; GetUser reports what is set and preferred.
- Devices: ListDevices and ForgetDevice (moto has neither) over the strict fake's devices.
- ID tokens carry the user's email address and phone number, as the service's do.
- Identity pool roles: SetIdentityPoolRoles (moto lacks it) decides the role of the keys
  GetCredentialsForIdentity hands out, and STS GetCallerIdentity signed with those keys
  names that role, as an assumed role of the enhanced flow.

Every code sent is recorded in ``BEHAVIOUR.issued`` for the leak checks, and every call
is counted in ``BEHAVIOUR.calls``.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.cognitoidentity.responses import CognitoIdentityResponse
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool, UserStatus
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import JsonRESTError
from moto.sts.models import STSBackend

from . import strict_cognito
from .strict_cognito import BEHAVIOUR
from .strict_userauth import USERAUTH, Delivery, mask_email, mask_phone

CODE_DIGITS = 6
# "The confirmation code expires in 1 hour" (Amazon Cognito Developer Guide, "Forgot
# password"); sign-up codes last 24 hours ("Signing up and confirming user accounts").
RESET_CODE_SECONDS = 3600
SIGNUP_CODE_SECONDS = 24 * 3600
ADMIN_SCOPE = "aws.cognito.signin.user.admin"
ENHANCED_SESSION_NAME = "CognitoIdentityCredentials"


@dataclass
class _Code:
    code: str
    expires_at: float
    wrong: int = 0


@dataclass
class _DeviceInfo:
    name: str
    created_at: float


@dataclass
class AccountBehaviour:
    """Knobs and state of the account layer."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    clock: Callable[[], float] = BEHAVIOUR.now  # the service's clock, which tests move
    # (pool id, username, "reset" | "signup") -> the code that is valid now
    codes: dict[tuple[str, str, str], _Code] = field(default_factory=dict)
    # (pool id, username) -> when codes were sent (ForgotPassword's per-user limit)
    sent: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    max_codes_per_hour: int = 5
    max_wrong_codes: int = 5
    devices: dict[str, _DeviceInfo] = field(default_factory=dict)
    # identity pool id -> what SetIdentityPoolRoles stored
    pool_roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    # AccessKeyId the identity pool handed out -> the role ARN they are for
    key_roles: dict[str, str] = field(default_factory=dict)

    def reset(self) -> None:
        with self.lock:
            self.clock = BEHAVIOUR.now
            self.codes.clear()
            self.sent.clear()
            self.max_codes_per_hour = 5
            self.max_wrong_codes = 5
            self.devices.clear()
            self.pool_roles.clear()
            self.key_roles.clear()

    def expire_codes(self) -> None:
        """As if the person came back after the codes ran out."""
        with self.lock:
            for code in self.codes.values():
                code.expires_at = 0.0


ACCOUNT = AccountBehaviour()


def _error(code: str, message: str) -> JsonRESTError:
    return JsonRESTError(code, message)


# -- finding the pool, the client and the user -------------------------------------------


def _backends() -> list[CognitoIdpBackend]:
    """Every region's user pool backend: these calls carry no credentials, so the pool is
    found by its client id or access token, wherever it is."""
    from moto.cognitoidp.models import cognitoidp_backends

    return [
        backend
        for account in cognitoidp_backends.values()
        for region, backend in account.items()
        if region != "global"
    ]


def _find_client(client_id: str) -> tuple[CognitoIdpBackend, Any, Any]:
    for backend in _backends():
        for pool in backend.user_pools.values():
            if client_id in pool.clients:
                return backend, pool, pool.clients[client_id]
    raise _error("ResourceNotFoundException", f"client {client_id} not found")


def _pool_client(response: Any) -> tuple[Any, Any]:
    _backend, pool, client = _find_client(response._get_param("ClientId") or "")
    return pool, client


def _named_user(pool: Any, client: Any, response: Any) -> Any:
    """The user named by Username (an alias too), after the client's SecretHash, which is
    made with the name as sent (API reference: ForgotPassword, "SecretHash")."""
    name = response._get_param("Username") or ""
    strict_cognito.check_secret_hash(client, name, response._get_param("SecretHash"))
    user = strict_cognito.resolve_user(pool, name)
    if user is None:
        raise _error("UserNotFoundException", "Username/client id combination not found.")
    return user


def _token_user(access_token: str) -> tuple[Any, Any]:
    """(pool, user) of a valid access token with the admin scope: what every user API call
    authorized by an access token checks (API reference: ChangePassword, "It must include
    the scope aws.cognito.signin.user.admin")."""
    for pool in (p for backend in _backends() for p in backend.user_pools.values()):
        if access_token in pool.access_tokens:
            claims = strict_cognito._claims(access_token)
            if claims.get("exp", 0) <= BEHAVIOUR.now():
                raise _error("NotAuthorizedException", "Access Token has expired")
            if ADMIN_SCOPE not in str(claims.get("scope", "")).split():
                raise _error("NotAuthorizedException", "Access Token does not have required scopes")
            return pool, pool._get_user(pool.access_tokens[access_token][1])
    raise _error("NotAuthorizedException", "Invalid Access Token")


def _attrs(user: Any) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in user.attributes}


# -- codes by email or SMS -----------------------------------------------------------------


def _destination(pool: Any, user: Any, *, recovery: bool) -> tuple[str, str, str]:
    """(medium, address, attribute) a code goes to. For a password reset, the pool's
    AccountRecoverySetting in its priority order, else a verified phone then a verified
    email (API reference: AccountRecoverySettingType; "admin_only" lets no user recover);
    for sign-up, the attributes the pool verifies (AutoVerifiedAttributes)."""
    attrs = _attrs(user)
    if recovery:
        setting = pool.extended_config.get("AccountRecoverySetting") or {}
        mechanisms = sorted(setting.get("RecoveryMechanisms") or [], key=lambda m: m["Priority"])
        names = [m["Name"] for m in mechanisms] or ["verified_phone_number", "verified_email"]
        if names[0] == "admin_only":
            raise _error("NotAuthorizedException", "Contact administrator to reset password.")
        for name in names:
            attribute = "email" if name == "verified_email" else "phone_number"
            if attrs.get(attribute) and attrs.get(f"{attribute}_verified") == "true":
                return ("EMAIL" if attribute == "email" else "SMS"), attrs[attribute], attribute
        raise _error(
            "InvalidParameterException",
            "Cannot reset password for the user as there is no registered/verified email "
            "or phone_number",
        )
    for attribute in pool.extended_config.get("AutoVerifiedAttributes") or []:
        if attrs.get(attribute):
            return ("EMAIL" if attribute == "email" else "SMS"), attrs[attribute], attribute
    raise _error(
        "InvalidParameterException",
        "Auto verification not turned on: the user pool verifies neither email nor phone number",
    )


def _send_code(pool: Any, user: Any, purpose: str) -> dict[str, str]:
    """A new code for ``purpose`` in the outbox (it replaces the one before); the
    CodeDeliveryDetails Cognito answers with. The limits (``max_codes_per_hour``,
    ``max_wrong_codes``) are the fake's: the service documents that they exist, not
    their values."""
    medium, address, attribute = _destination(pool, user, recovery=purpose == "reset")
    now = ACCOUNT.clock()
    key = (pool.id, user.username)
    with ACCOUNT.lock:
        recent = [t for t in ACCOUNT.sent.get(key, []) if t > now - 3600]
        if purpose == "reset" and len(recent) >= ACCOUNT.max_codes_per_hour:
            # ForgotPassword's per-user quota (Developer Guide, "Quotas in Amazon Cognito")
            raise _error(
                "LimitExceededException", "Attempt limit exceeded, please try after some time."
            )
        ACCOUNT.sent[key] = [*recent, now]
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        lifetime = RESET_CODE_SECONDS if purpose == "reset" else SIGNUP_CODE_SECONDS
        ACCOUNT.codes[(pool.id, user.username, purpose)] = _Code(code, now + lifetime)
    with USERAUTH.lock:
        USERAUTH.outbox.append(Delivery(pool.id, user.username, medium, address, code))
    BEHAVIOUR.record(code)
    shown = mask_email(address) if medium == "EMAIL" else mask_phone(address)
    return {"Destination": shown, "DeliveryMedium": medium, "AttributeName": attribute}


def _check_code(pool: Any, user: Any, purpose: str, given: str, *, keep: bool = False) -> None:
    """The code sent last for ``purpose``: a wrong one counts (too many end in
    LimitExceeded), an old one is ExpiredCode (API reference: ConfirmForgotPassword and
    ConfirmSignUp, Errors). ``keep``: the code stays valid (the request failed otherwise)."""
    key = (pool.id, user.username, purpose)
    with ACCOUNT.lock:
        found = ACCOUNT.codes.get(key)
        if found is None or found.expires_at <= ACCOUNT.clock():
            raise _error(
                "ExpiredCodeException", "Invalid code provided, please request a code again."
            )
        if found.wrong >= ACCOUNT.max_wrong_codes:
            raise _error(
                "LimitExceededException", "Attempt limit exceeded, please try after some time."
            )
        if not secrets.compare_digest(given.encode(), found.code.encode()):
            found.wrong += 1
            raise _error(
                "CodeMismatchException", "Invalid verification code provided, please try again."
            )
        if not keep:
            del ACCOUNT.codes[key]


POLICY_RULES = (
    ("RequireUppercase", r"[A-Z]", "Password must have uppercase characters"),
    ("RequireLowercase", r"[a-z]", "Password must have lowercase characters"),
    ("RequireNumbers", r"[0-9]", "Password must have numeric characters"),
    (
        "RequireSymbols",
        r"[\^$*.\[\]{}()?\"!@#%&/\\,><':;|_~`=+\- ]",
        "Password must have symbol characters",
    ),
)


def check_password(pool: Any, password: str) -> None:
    """The pool's PasswordPolicy, with the service's wording (InvalidPasswordException:
    "Password does not conform to policy: ..."; API reference: PasswordPolicyType)."""
    policy = (pool.extended_config.get("Policies") or {}).get("PasswordPolicy") or {}
    problems = []
    if len(password) < int(policy.get("MinimumLength", 8)):
        problems.append("Password not long enough")
    for key, pattern, message in POLICY_RULES:
        if policy.get(key, True) and not re.search(pattern, password):
            problems.append(message)
    if problems:
        raise _error(
            "InvalidPasswordException", f"Password does not conform to policy: {problems[0]}"
        )


# -- ForgotPassword, ConfirmForgotPassword, AdminResetUserPassword ------------------------


def forgot_password(self: CognitoIdpResponse) -> str:
    BEHAVIOUR.count("ForgotPassword")
    pool, client = _pool_client(self)
    user = _named_user(pool, client, self)
    if not user.enabled:
        raise _error("NotAuthorizedException", "User is disabled.")
    return json.dumps({"CodeDeliveryDetails": _send_code(pool, user, "reset")})


def confirm_forgot_password(self: CognitoIdpResponse) -> str:
    BEHAVIOUR.count("ConfirmForgotPassword")
    pool, client = _pool_client(self)
    user = _named_user(pool, client, self)
    code = self._get_param("ConfirmationCode") or ""
    password = self._get_param("Password") or ""
    _check_code(pool, user, "reset", code, keep=True)
    check_password(pool, password)  # a refused password leaves the code valid
    _check_code(pool, user, "reset", code)
    user.password = password
    if user.status in (UserStatus.RESET_REQUIRED, UserStatus.FORCE_CHANGE_PASSWORD):
        user.status = UserStatus.CONFIRMED
    return "{}"


_moto_admin_reset = CognitoIdpBackend.admin_reset_user_password


def admin_reset_user_password(self: CognitoIdpBackend, user_pool_id: str, username: str) -> None:
    """The user's password stops working and a code is sent to them at once (API
    reference: AdminResetUserPassword, "calling this API will also result in sending a
    message to the end user with the code to change their password")."""
    BEHAVIOUR.count("AdminResetUserPassword")
    _moto_admin_reset(self, user_pool_id, username)
    pool = self.describe_user_pool(user_pool_id)
    _send_code(pool, pool._get_user(username), "reset")


# -- sign-in of users who must reset or confirm ---------------------------------------------

_previous_initiate: Any = None


def initiate_auth(
    self: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
) -> dict[str, Any]:
    """A user in RESET_REQUIRED cannot sign in with any password: PasswordResetRequired
    (API reference: AdminResetUserPassword, "If a user tries to sign in after the API is
    called, Amazon Cognito responds with a PasswordResetRequiredException error"). An
    unconfirmed user who gives the right password: UserNotConfirmed."""
    params = auth_parameters or {}
    if auth_flow in ("USER_SRP_AUTH", "USER_PASSWORD_AUTH", "USER_AUTH"):
        try:
            pool, _client = strict_cognito._find_client(self, client_id)
        except JsonRESTError:
            pool = None
        user = strict_cognito.resolve_user(pool, params.get("USERNAME", "")) if pool else None
        if user is not None and user.status == UserStatus.RESET_REQUIRED:
            BEHAVIOUR.count(f"InitiateAuth:{auth_flow}")
            raise _error("PasswordResetRequiredException", "Password reset required for the user")
        if (
            user is not None
            and user.status == UserStatus.UNCONFIRMED
            and auth_flow == "USER_PASSWORD_AUTH"
            and params.get("PASSWORD") == user.password
        ):
            BEHAVIOUR.count(f"InitiateAuth:{auth_flow}")
            raise _error("UserNotConfirmedException", "User is not confirmed.")
    result: dict[str, Any] = _previous_initiate(self, client_id, auth_flow, auth_parameters)
    return result


# -- sign-up -----------------------------------------------------------------------------------


def sign_up(self: CognitoIdpResponse) -> str:
    """SignUp as the pool allows it: refused where only administrators create users
    (AdminCreateUserConfig.AllowAdminCreateUserOnly), every required attribute of the
    schema given, the password policy met; the code goes where the pool verifies."""
    BEHAVIOUR.count("SignUp")
    backend, pool, client = _find_client(self._get_param("ClientId") or "")
    name = self._get_param("Username") or ""
    strict_cognito.check_secret_hash(client, name, self._get_param("SecretHash"))
    if (pool.extended_config.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly"):
        raise _error("NotAuthorizedException", "SignUp is not permitted for this user pool")
    given = {a["Name"] for a in self._get_param("UserAttributes") or []}
    missing = [
        s["Name"]
        for s in pool.extended_config.get("Schema") or []
        if s.get("Required") and s["Name"] not in given
    ]
    if missing:
        raise _error(
            "InvalidParameterException",
            "Attributes did not conform to the schema: "
            + "\n".join(f"{n}: The attribute {n} is required" for n in missing),
        )
    check_password(pool, self._get_param("Password") or "")
    user, _details = backend.sign_up(
        client_id=client.id,
        username=name,
        password=self._get_param("Password"),
        attributes=self._get_param("UserAttributes") or [],
    )
    answer: dict[str, Any] = {"UserConfirmed": False, "UserSub": user.id}
    # with nothing to verify, an administrator confirms the user: no code is sent
    with contextlib.suppress(JsonRESTError):
        answer["CodeDeliveryDetails"] = _send_code(pool, user, "signup")
    return json.dumps(answer)


def confirm_sign_up(self: CognitoIdpResponse) -> str:
    BEHAVIOUR.count("ConfirmSignUp")
    pool, client = _pool_client(self)
    user = _named_user(pool, client, self)
    if user.status != UserStatus.UNCONFIRMED:
        raise _error(
            "NotAuthorizedException", f"User cannot be confirmed. Current status is {user.status}"
        )
    _check_code(pool, user, "signup", self._get_param("ConfirmationCode") or "")
    user.status = UserStatus.CONFIRMED
    medium_attribute = _destination(pool, user, recovery=False)[2]
    user.update_attributes([{"Name": f"{medium_attribute}_verified", "Value": "true"}])
    return "{}"


def resend_confirmation_code(self: CognitoIdpResponse) -> str:
    BEHAVIOUR.count("ResendConfirmationCode")
    pool, client = _pool_client(self)
    user = _named_user(pool, client, self)
    if user.status != UserStatus.UNCONFIRMED:
        raise _error("InvalidParameterException", "User is already confirmed.")
    return json.dumps({"CodeDeliveryDetails": _send_code(pool, user, "signup")})


# -- ChangePassword -------------------------------------------------------------------------


def change_password(self: CognitoIdpResponse) -> str:
    """The old password must be right and the new one meet the policy. No token is
    revoked: the service ends sessions only through RevokeToken, GlobalSignOut,
    AdminUserGlobalSignOut or disabling the user (Developer Guide, "Ending user sessions
    with token revocation"), and ChangePassword's reference names no such effect."""
    BEHAVIOUR.count("ChangePassword")
    pool, user = _token_user(self._get_param("AccessToken") or "")
    if self._get_param("PreviousPassword") != user.password:
        raise _error("NotAuthorizedException", "Incorrect username or password.")
    check_password(pool, self._get_param("ProposedPassword") or "")
    user.password = self._get_param("ProposedPassword")
    return "{}"


# -- MFA preference and GetUser ---------------------------------------------------------------


def _factors(pool: Any, user: Any) -> list[str]:
    key = (pool.id, user.username)
    factors = []
    if user.sms_mfa_enabled:
        factors.append("SMS_MFA")
    if user.software_token_mfa_enabled:
        factors.append("SOFTWARE_TOKEN_MFA")
    with BEHAVIOUR.lock:
        email_on = BEHAVIOUR.email_mfa.get(key, (False, False))[0]
    if email_on:
        factors.append("EMAIL_OTP")
    return factors


def set_user_mfa_preference(self: CognitoIdpResponse) -> str:
    """API reference: SetUserMFAPreference. "Only one factor can be set as preferred"; a
    factor is turned on only once it is set up (a verified authenticator, a phone number,
    an email address; email MFA needs the Essentials or Plus plan); where the pool's
    MfaConfiguration is ON, MFA is required and the user cannot turn every factor off.
    The reference documents no wording for these refusals: the messages are the fake's
    own, and the tool reads only the error codes."""
    BEHAVIOUR.count("SetUserMFAPreference")
    pool, user = _token_user(self._get_param("AccessToken") or "")
    key = (pool.id, user.username)
    settings = {
        "SOFTWARE_TOKEN_MFA": self._get_param("SoftwareTokenMfaSettings"),
        "SMS_MFA": self._get_param("SMSMfaSettings"),
        "EMAIL_OTP": self._get_param("EmailMfaSettings"),
    }
    preferred = [f for f, s in settings.items() if s and s.get("PreferredMfa")]
    if len(preferred) > 1:
        raise _error("InvalidParameterException", "Only one MFA method can be set as preferred")
    attrs = _attrs(user)
    enabled = set(_factors(pool, user))
    for factor, setting in settings.items():
        if not setting:
            continue
        if setting.get("Enabled") or setting.get("PreferredMfa"):
            if factor == "SOFTWARE_TOKEN_MFA" and not user.token_verified:
                raise _error(
                    "InvalidParameterException", "User has not verified software token mfa"
                )
            if factor == "SMS_MFA" and not attrs.get("phone_number"):
                raise _error("InvalidParameterException", "User does not have a phone number")
            if factor == "EMAIL_OTP":
                if str(pool.extended_config.get("UserPoolTier") or "ESSENTIALS") == "LITE":
                    raise _error(
                        "FeatureUnavailableInTierException",
                        "Email MFA is not available for the LITE feature plan of this user pool",
                    )
                if not attrs.get("email"):
                    raise _error("InvalidParameterException", "User does not have an email address")
            enabled.add(factor)
        else:
            enabled.discard(factor)
    if not enabled and getattr(pool, "mfa_config", "OFF") == "ON":
        raise _error(
            "InvalidParameterException",
            "MFA is required for this user pool: at least one MFA method must stay enabled",
        )
    user.software_token_mfa_enabled = "SOFTWARE_TOKEN_MFA" in enabled
    user.sms_mfa_enabled = "SMS_MFA" in enabled
    # the preference as moto keeps it (TOTP, SMS) and the strict fake's email MFA record,
    # which decide the MFA challenge of the next sign-in
    if preferred:
        user.preferred_mfa_setting = preferred[0]
    elif user.preferred_mfa_setting not in enabled:
        user.preferred_mfa_setting = ""
    with BEHAVIOUR.lock:
        BEHAVIOUR.email_mfa[key] = (
            "EMAIL_OTP" in enabled,
            "EMAIL_OTP" in enabled and user.preferred_mfa_setting == "EMAIL_OTP",
        )
    return "{}"


def get_user(self: CognitoIdpResponse) -> str:
    BEHAVIOUR.count("GetUser")
    pool, user = _token_user(self._get_param("AccessToken") or "")
    answer: dict[str, Any] = {
        "Username": user.username,
        "UserAttributes": user.attributes,
        "MFAOptions": [],
        "UserMFASettingList": _factors(pool, user),
    }
    preferred = user.preferred_mfa_setting
    if preferred:
        answer["PreferredMfaSetting"] = preferred
    return json.dumps(answer)


# -- devices ------------------------------------------------------------------------------------

_previous_confirm_device: Any = None


def confirm_device(self: CognitoIdpResponse) -> str:
    """The strict fake's ConfirmDevice, keeping the name the client gave the device."""
    answer: str = _previous_confirm_device(self)
    with ACCOUNT.lock:
        ACCOUNT.devices[self._get_param("DeviceKey") or ""] = _DeviceInfo(
            str(self._get_param("DeviceName") or ""), ACCOUNT.clock()
        )
    return answer


def _user_devices(pool: Any, user: Any) -> list[str]:
    with BEHAVIOUR.lock:
        return [
            key
            for key, device in BEHAVIOUR.devices.items()
            if device.pool_id == pool.id
            and device.username == user.username
            and device.verifier is not None
        ]


def list_devices(self: CognitoIdpResponse) -> str:
    """API reference: ListDevices: the devices confirmed for this user, with their
    attributes (``device_name``) and dates."""
    BEHAVIOUR.count("ListDevices")
    pool, user = _token_user(self._get_param("AccessToken") or "")
    devices = []
    for key in _user_devices(pool, user):
        info = ACCOUNT.devices.get(key) or _DeviceInfo("", ACCOUNT.clock())
        attributes = [{"Name": "device_status", "Value": "valid"}]
        if info.name:
            attributes.append({"Name": "device_name", "Value": info.name})
        devices.append(
            {
                "DeviceKey": key,
                "DeviceAttributes": attributes,
                "DeviceCreateDate": info.created_at,
                "DeviceLastModifiedDate": info.created_at,
                "DeviceLastAuthenticatedDate": info.created_at,
            }
        )
    return json.dumps({"Devices": devices})


def forget_device(self: CognitoIdpResponse) -> str:
    """API reference: ForgetDevice. The device no longer proves itself, and refresh tokens
    bound to it no longer renew (the strict fake checks DEVICE_KEY on refresh)."""
    BEHAVIOUR.count("ForgetDevice")
    pool, user = _token_user(self._get_param("AccessToken") or "")
    key = self._get_param("DeviceKey") or ""
    if key not in _user_devices(pool, user):
        raise _error("ResourceNotFoundException", "Device does not exist.")
    with BEHAVIOUR.lock:
        del BEHAVIOUR.devices[key]
    with ACCOUNT.lock:
        ACCOUNT.devices.pop(key, None)
    return "{}"


# -- the user's attributes in the ID token ----------------------------------------------

_moto_extra_data = CognitoIdpUserPool.get_user_extra_data_by_client_id


def id_token_extra_data(self: CognitoIdpUserPool, client_id: str, username: str) -> dict[str, Any]:
    """moto leaves the user's standard attributes out of the ID token; the service puts
    them in (Developer Guide, "Understanding the identity (ID) token")."""
    extra: dict[str, Any] = _moto_extra_data(self, client_id, username)
    attributes = _attrs(self._get_user(username))
    for name in ("email", "phone_number"):
        if attributes.get(name):
            extra[name] = attributes[name]
            extra[f"{name}_verified"] = attributes.get(f"{name}_verified") == "true"
    return extra


# -- identity pool roles and the caller of STS ---------------------------------------------------


def set_identity_pool_roles(self: CognitoIdentityResponse) -> str:
    BEHAVIOUR.count("SetIdentityPoolRoles")
    pool_id = self._get_param("IdentityPoolId")
    if strict_cognito._identity_pool(pool_id, self.region) is None:
        raise _error("ResourceNotFoundException", f"IdentityPool '{pool_id}' not found.")
    with ACCOUNT.lock:
        ACCOUNT.pool_roles[pool_id] = {
            "Roles": dict(self._get_param("Roles") or {}),
            "RoleMappings": dict(self._get_param("RoleMappings") or {}),
        }
    return "{}"


_previous_credentials: Any = None


def _role_for(pool_id: str, logins: dict[str, str], custom: str | None) -> str | None:
    """The role the enhanced flow assumes (Developer Guide, "Role-based access control"):
    CustomRoleArn, else with a Token rule the ID token's cognito:preferred_role, else the
    pool's authenticated role."""
    if custom:
        return custom
    with ACCOUNT.lock:
        config = ACCOUNT.pool_roles.get(pool_id) or {}
    mappings = config.get("RoleMappings") or {}
    for provider, token in logins.items():
        # a user pool's rule is keyed by the provider and the app client: "PROVIDER:CLIENT"
        audience = strict_cognito._claims(token).get("aud")
        rule = mappings.get(f"{provider}:{audience}") or mappings.get(provider) or {}
        if rule.get("Type") == "Token":
            preferred = strict_cognito._claims(token).get("cognito:preferred_role")
            if isinstance(preferred, str):
                return preferred
    role = (config.get("Roles") or {}).get("authenticated")
    return str(role) if role else None


def get_credentials_for_identity(self: CognitoIdentityResponse) -> str:
    answer: str = _previous_credentials(self)
    identity_id = self._get_param("IdentityId")
    with BEHAVIOUR.lock:
        found = BEHAVIOUR.identities.get(identity_id)
    if found is not None:
        role = _role_for(
            found[0], self._get_param("Logins") or {}, self._get_param("CustomRoleArn")
        )
        if role:
            key = json.loads(answer)["Credentials"]["AccessKeyId"]
            with ACCOUNT.lock:
                ACCOUNT.key_roles[key] = role
    return answer


_moto_caller_identity = STSBackend.get_caller_identity


def get_caller_identity(self: STSBackend, access_key_id: str, region: str) -> tuple[str, str, str]:
    """Keys from the enhanced flow belong to an assumed role whose session is named
    CognitoIdentityCredentials (what GetCallerIdentity shows for Cognito identities)."""
    with ACCOUNT.lock:
        role = ACCOUNT.key_roles.get(access_key_id)
    if role is None:
        return _moto_caller_identity(self, access_key_id, region)
    account, name = role.split(":")[4], role.rsplit("/", 1)[-1]
    arn = f"arn:aws:sts::{account}:assumed-role/{name}/{ENHANCED_SESSION_NAME}"
    return f"AROA{account}:{ENHANCED_SESSION_NAME}", arn, account


def install() -> None:
    """Put this layer over whatever is installed (the strict fake and USER_AUTH)."""
    global _previous_initiate, _previous_confirm_device, _previous_credentials
    if CognitoIdpBackend.initiate_auth is initiate_auth:
        return
    _previous_initiate = CognitoIdpBackend.initiate_auth
    _previous_confirm_device = CognitoIdpResponse.confirm_device  # type: ignore[attr-defined]
    _previous_credentials = CognitoIdentityResponse.get_credentials_for_identity
    CognitoIdpBackend.initiate_auth = initiate_auth  # type: ignore[method-assign]
    CognitoIdpBackend.admin_reset_user_password = admin_reset_user_password  # type: ignore[method-assign]
    CognitoIdpUserPool.get_user_extra_data_by_client_id = id_token_extra_data  # type: ignore[method-assign]
    CognitoIdpResponse.forgot_password = forgot_password  # type: ignore[method-assign,assignment]
    CognitoIdpResponse.confirm_forgot_password = confirm_forgot_password  # type: ignore[method-assign,assignment]
    CognitoIdpResponse.sign_up = sign_up  # type: ignore[method-assign,assignment]
    CognitoIdpResponse.confirm_sign_up = confirm_sign_up  # type: ignore[method-assign,assignment]
    CognitoIdpResponse.resend_confirmation_code = resend_confirmation_code  # type: ignore[attr-defined]
    CognitoIdpResponse.change_password = change_password  # type: ignore[method-assign,assignment]
    CognitoIdpResponse.set_user_mfa_preference = set_user_mfa_preference  # type: ignore[method-assign,assignment]
    CognitoIdpResponse.get_user = get_user  # type: ignore[method-assign,assignment]
    CognitoIdpResponse.confirm_device = confirm_device  # type: ignore[attr-defined]
    CognitoIdpResponse.list_devices = list_devices  # type: ignore[attr-defined]
    CognitoIdpResponse.forget_device = forget_device  # type: ignore[attr-defined]
    CognitoIdentityResponse.set_identity_pool_roles = set_identity_pool_roles  # type: ignore[attr-defined]
    CognitoIdentityResponse.get_credentials_for_identity = get_credentials_for_identity  # type: ignore[method-assign]
    STSBackend.get_caller_identity = get_caller_identity  # type: ignore[method-assign]
