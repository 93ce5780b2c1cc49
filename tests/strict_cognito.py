"""Make moto behave like the real Cognito where it matters to this tool.

Where moto (5.x) falls short, and what these patches (applied inside the test process
that runs ThreadedMotoServer) do instead:

- SRP: moto accepts any proof; here it is checked (``srp_server``), with either
  convention for USER_ID_FOR_SRP (``BEHAVIOUR.srp_user_id``).
- ExplicitAuthFlows: ignored by moto; here every flow must be allowed on the app client.
- SECRET_HASH: checked on every call of a client with a secret, with the name Cognito
  uses: as typed on InitiateAuth, the pool's internal username after it and on refresh.
- Aliases (AliasAttributes): moto finds users by username only; a verified alias works.
- Refresh: only the app client that got the token may use it; GetTokensFromRefreshToken
  (with ClientSecret) and RevokeToken, which moto lacks; clients that rotate refresh
  tokens (``BEHAVIOUR.rotating_clients``) refuse REFRESH_TOKEN_AUTH.
- Devices (``BEHAVIOUR.device_tracking``): NewDeviceMetadata, ConfirmDevice, refresh
  tokens bound to their device key, DEVICE_SRP_AUTH for a remembered device.
- Identity pool: moto mints a new IdentityId per GetId and hands out credentials and
  OpenID tokens for any IdentityId without Logins; here IdentityIds are stable per user,
  Logins must hold a valid ID token of a trusted provider for that very identity, and
  credentials are fresh keys for an hour (moto: the same keys for 90 seconds).
- GlobalSignOut: moto takes any access token it issued; here, as Cognito, only one with
  the scope aws.cognito.signin.user.admin (managed login grants it only when asked).
- STS: moto takes any WebIdentityToken; here only an unexpired OpenID token signed by
  this identity pool.
- TOTP: moto checks codes only when an environment variable says so, against one fixed
  secret for every user (which changed between moto releases); here, as Cognito, every
  AssociateSoftwareToken hands out a random secret of that user's, every code is checked
  against the user's own secret, and a code of the step before the current one is
  accepted too.
- SMS_MFA: moto accepts any code; here each challenge texts a code of its own
  (``BEHAVIOUR.last_sms_code()``) and only that code answers it.
- MFA_SETUP: moto takes the challenge's own session without any VerifySoftwareToken;
  here only the session VerifySoftwareToken handed out answers it.

Every call is counted (``BEHAVIOUR.calls``) and every secret handed out is recorded
(``BEHAVIOUR.issued``): the suite's leak oracle.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import re
import secrets
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from moto.cognitoidentity.responses import CognitoIdentityResponse
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import BaseResponse
from moto.sts.exceptions import STSClientError
from moto.sts.responses import TokenResponse

from . import srp_server


class Behaviour:
    """Knobs and counters shared by the fixture and the patches."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.credentials_lifetime = 3600
        self.srp_sessions: dict[str, tuple[str, srp_server.ServerSession, str]] = {}
        self.key_counter = itertools.count(1)
        self.custom_roles: list[str | None] = []
        self.unauth_pools: set[str] = set()
        # every token and key handed out: no stderr of the suite may contain one
        self.issued: set[str] = set()
        self.fail_credentials = False
        # device tracking: sign-ins hand out devices, ConfirmDevice remembers them, their
        # refresh tokens are bound to them, and a remembered device proves itself (SRP)
        self.device_tracking = False
        self.devices: dict[str, Device] = {}
        self.refresh_devices: dict[str, str] = {}  # refresh token -> device key
        # session -> (step, device key, username, SRP server or None, the held tokens)
        self.device_sessions: dict[
            str, tuple[str, str, str, srp_server.ServerSession | None, dict[str, Any]]
        ] = {}
        # app clients with refresh token rotation: GetTokensFromRefreshToken only
        self.rotating_clients: set[str] = set()
        self.crash_revoke = False
        # Which name USER_ID_FOR_SRP carries: "username" as Cognito does for plain-username
        # pools, or "sub" as moto does (Cognito too, for email-as-username pools, where the
        # username itself is the sub). USERNAME is always the pool's username.
        self.srp_user_id = "username"
        # IdentityId -> (identity pool, the user's sub or None for a guest), as GetId made them
        self.identities: dict[str, tuple[str, str | None]] = {}
        # GetOpenIdToken's tokens are signed with this key; STS checks them with it
        self.openid_key = os.urandom(32)
        self.openid_lifetime = 600
        # SMS_MFA session -> the code texted for it, in the order they were sent
        self.sms_codes: dict[str, str] = {}
        # sessions VerifySoftwareToken handed out: the only ones that answer MFA_SETUP
        self.verified_sessions: set[str] = set()
        # (user pool id, username) -> the authenticator secret AssociateSoftwareToken gave
        self.totp_secrets: dict[tuple[str, str], str] = {}
        # the User-Agent of every request the tool made (its clients add "cognito-credproc"):
        # botocore names its own version there, so the floor run can tell which one ran
        self.tool_user_agents: list[str] = []
        self._init_service_rules()

    # -- the service's clock and the rules that read it (lifetimes, sessions, rotation) --

    def _init_service_rules(self) -> None:
        # The service's clock is the real one moved by ``advance``: what a test does
        # instead of sleeping. Every lifetime below is judged by ``now()``.
        self.clock_offset = 0.0
        # refresh token -> when it expires (fixed when it is handed out)
        self.refresh_expiry: dict[str, float] = {}
        # sign-in session -> (handed out at, how long it lasts in seconds)
        self.session_started: dict[str, tuple[float, float]] = {}
        # rotated-out refresh token -> when its retry grace period ends
        self.rotated_out: dict[str, float] = {}
        # app client id -> its secrets [(ClientSecretId, value, created at)], once a test
        # has rotated them (AddUserPoolClientSecret); else moto's one secret
        self.client_secrets: dict[str, list[tuple[str, str, float]]] = {}
        # GetTokensFromRefreshToken answers to lose after they took effect (an HTTP 500
        # page instead): what a dropped connection does to a client that retries
        self.lose_refresh_answers = 0
        # (user pool id, username) -> (email MFA on, preferred)
        self.email_mfa: dict[tuple[str, str], tuple[bool, bool]] = {}
        # SELECT_MFA_TYPE session -> the choices offered; EMAIL_OTP (MFA) session -> code
        self.mfa_choices: dict[str, list[str]] = {}
        self.email_codes: dict[str, str] = {}

    def now(self) -> float:
        """The service's time."""
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the service's clock on, as if ``seconds`` had passed."""
        with self.lock:
            self.clock_offset += seconds

    def last_email_code(self) -> str:
        """The code most recently emailed for email MFA (EMAIL_OTP after a password)."""
        with self.lock:
            codes = list(self.email_codes.values())
        assert codes, "no email MFA code was sent"
        return codes[-1]

    def last_sms_code(self) -> str:
        """The code most recently texted for SMS MFA (and not yet used)."""
        with self.lock:
            codes = list(self.sms_codes.values())
        assert codes, "no SMS code was sent"
        return codes[-1]

    def record(self, *secrets: object) -> None:
        """Remember secrets handed out: no output of the suite may contain one."""
        with self.lock:
            self.issued.update(str(s) for s in secrets if s)

    def count(self, name: str) -> None:
        with self.lock:
            self.calls[name] += 1

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.srp_sessions.clear()
            self.custom_roles.clear()
            self.unauth_pools.clear()
            self.credentials_lifetime = 3600
            self.fail_credentials = False
            self.srp_user_id = "username"
            self.identities.clear()
            self.openid_lifetime = 600
            self.device_tracking = False
            self.devices.clear()
            self.refresh_devices.clear()
            self.device_sessions.clear()
            self.rotating_clients.clear()
            self.crash_revoke = False
            self.sms_codes.clear()
            self.verified_sessions.clear()
            self.totp_secrets.clear()
            self.tool_user_agents.clear()
            self._init_service_rules()


BEHAVIOUR = Behaviour()


def _record_tokens(result: dict[str, Any], client: Any | None = None) -> dict[str, Any]:
    """Every answer of the user pool passes here: its tokens are recorded, its session
    starts to age (``client``'s AuthSessionValidity), its challenge parameters are strings
    (ChallengeParametersType is a map of strings: moto sends MFAS_CAN_SETUP as a list), and
    an SMS_MFA challenge texts its code (moto sends none and would take any)."""
    auth = result.get("AuthenticationResult") or {}
    BEHAVIOUR.record(*(auth.get(name) for name in ("IdToken", "AccessToken", "RefreshToken")))
    params = result.get("ChallengeParameters")
    if isinstance(params, dict):
        for name, value in list(params.items()):
            if isinstance(value, list):
                params[name] = json.dumps(value, separators=(",", ":"))
    if result.get("Session"):
        start_session(result["Session"], session_seconds(client))
    if result.get("ChallengeName") == "SMS_MFA":
        with BEHAVIOUR.lock:
            BEHAVIOUR.sms_codes[result["Session"]] = f"{secrets.randbelow(10**6):06d}"
    return result


def _check_sms_code(session: str, answers: dict[str, str]) -> None:
    """SMS_MFA is answered with the code texted for this session; a wrong code leaves the
    session open for another try, as Cognito does."""
    with BEHAVIOUR.lock:
        sent = BEHAVIOUR.sms_codes.get(session)
    if sent is None:
        raise _not_authorized("Invalid session for the user.")
    if not hmac.compare_digest(answers.get("SMS_MFA_CODE", "").encode(), sent.encode()):
        raise JsonRESTError("CodeMismatchException", "Invalid code or auth state for the user.")
    with BEHAVIOUR.lock:
        BEHAVIOUR.sms_codes.pop(session, None)


def _not_authorized(message: str) -> JsonRESTError:
    return JsonRESTError("NotAuthorizedException", message)


def _secret_hash(secret: str, username: str, client_id: str) -> str:
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _find_client(backend: CognitoIdpBackend, client_id: str) -> tuple[Any, Any]:
    for pool in backend.user_pools.values():
        if client_id in pool.clients:
            return pool, pool.clients[client_id]
    raise JsonRESTError("ResourceNotFoundException", f"client {client_id} not found")


# What Cognito says when a client with a secret gets none. The API reference gives no
# wording; these are the service's own, as clients have reported them: InitiateAuth
# (AWS CLI output) says "configured for secret but secret was not received", and
# RespondToAuthChallenge (an Amplify Android report) "configured with secret but
# SECRET_HASH was not received". A wrong one: "Unable to verify secret hash for client"
# (Amazon Cognito knowledge center, "Unable to verify secret hash for client").
NO_SECRET_INITIATE = "Client {} is configured for secret but secret was not received"
NO_SECRET_RESPOND = "Client {} is configured with secret but SECRET_HASH was not received"
WRONG_SECRET = "Unable to verify secret hash for client {}"


def client_secrets(client: Any) -> list[str]:
    """The app client's active secrets: two while one is being rotated out
    (AddUserPoolClientSecret: "Supports up to 2 active secrets per app client")."""
    if not client.generate_secret:
        return []
    with BEHAVIOUR.lock:
        rotated = BEHAVIOUR.client_secrets.get(client.id)
    return [value for _id, value, _at in rotated] if rotated else [client.secret]


def check_secret_hash(
    client: Any, username: str, given: str | None, missing: str = NO_SECRET_INITIATE
) -> None:
    """SECRET_HASH as Cognito checks it, for an app client with a secret: made with any
    of its active secrets."""
    if not client.generate_secret:
        return
    if not given:
        raise _not_authorized(missing.format(client.id))
    expected = [_secret_hash(secret, username, client.id) for secret in client_secrets(client)]
    if not any(hmac.compare_digest(given, e) for e in expected):
        raise _not_authorized(WRONG_SECRET.format(client.id))


def _check_client_secret(client: Any, given: str | None, code: str) -> None:
    """ClientSecret as GetTokensFromRefreshToken and RevokeToken take it. The reference
    documents no wording; the fake says what SECRET_HASH's checks say."""
    if not client.generate_secret:
        return
    if not given:
        raise JsonRESTError(code, NO_SECRET_INITIATE.format(client.id))
    if not any(hmac.compare_digest(given, s) for s in client_secrets(client)):
        raise JsonRESTError(code, WRONG_SECRET.format(client.id))


# AuthFlow -> what ExplicitAuthFlows must hold for it
FLOW_PERMISSIONS = {
    "USER_SRP_AUTH": "ALLOW_USER_SRP_AUTH",
    "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
    "REFRESH_TOKEN_AUTH": "ALLOW_REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN": "ALLOW_REFRESH_TOKEN_AUTH",
    "CUSTOM_AUTH": "ALLOW_CUSTOM_AUTH",
    "USER_AUTH": "ALLOW_USER_AUTH",
}


def allowed_flows(client: Any) -> set[str]:
    """The ALLOW_* permissions of an app client, as Cognito reads ExplicitAuthFlows."""
    flows = set(client.extended_config.get("ExplicitAuthFlows") or [])
    if not flows:  # Cognito's defaults for a client created without the setting
        return {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH"}
    allowed = {f for f in flows if f.startswith("ALLOW_")}
    legacy = flows - allowed
    if legacy:  # the older names leave SRP and refresh on
        allowed |= {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
        if "USER_PASSWORD_AUTH" in legacy:
            allowed.add("ALLOW_USER_PASSWORD_AUTH")
        if "CUSTOM_AUTH_FLOW_ONLY" in legacy:
            allowed.add("ALLOW_CUSTOM_AUTH")
    return allowed


def require_flow(client: Any, auth_flow: str) -> None:
    needed = FLOW_PERMISSIONS.get(auth_flow)
    if needed is not None and needed not in allowed_flows(client):
        raise JsonRESTError(
            "InvalidParameterException", f"{auth_flow} flow not enabled for this client"
        )


def resolve_user(pool: Any, name: str) -> Any | None:
    """The user a sign-in name means: the username, an email or phone number of an
    email-as-username pool, or a verified alias (AliasAttributes), as Cognito resolves it."""
    user = pool._get_user(name)
    if user is not None:
        return user
    for alias in pool.extended_config.get("AliasAttributes") or []:
        for candidate in pool.users.values():
            attributes = {a["Name"]: a["Value"] for a in candidate.attributes}
            verified = (
                alias == "preferred_username" or attributes.get(f"{alias}_verified") == "true"
            )
            if attributes.get(alias) == name and verified:
                return candidate
    return None


_original_initiate = CognitoIdpBackend.initiate_auth
_original_respond = CognitoIdpBackend.respond_to_auth_challenge


def initiate_auth(
    self: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
) -> dict[str, Any]:
    BEHAVIOUR.count(f"InitiateAuth:{auth_flow}")
    pool, client = _find_client(self, client_id)
    params = dict(auth_parameters or {})
    require_flow(client, auth_flow)
    if auth_flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        if rotation_grace(client) is not None:
            raise _not_authorized(
                "Refresh token rotation is enabled for this client: use GetTokensFromRefreshToken"
            )
        return _record_tokens(
            _refresh(
                pool,
                client,
                params.get("REFRESH_TOKEN"),
                secret_hash=params.get("SECRET_HASH"),
                device_key=params.get("DEVICE_KEY"),
            ),
            client,
        )
    user = None
    if auth_flow in ("USER_PASSWORD_AUTH", "USER_SRP_AUTH"):
        # SECRET_HASH here is made with the name as the person typed it (an alias too).
        check_secret_hash(client, params.get("USERNAME", ""), params.get("SECRET_HASH"))
        user = resolve_user(pool, params.get("USERNAME", ""))
        if user is not None:  # moto knows users by their username only
            params["USERNAME"] = user.username
            if client.generate_secret:
                params["SECRET_HASH"] = _secret_hash(client.secret, user.username, client_id)
    result = _original_initiate(self, client_id, auth_flow, params)
    if auth_flow == "USER_SRP_AUTH" and result.get("ChallengeName") == "PASSWORD_VERIFIER":
        assert user is not None
        result["ChallengeParameters"].update(
            start_password_srp(pool, user, params["SRP_A"], result["Session"])
        )
    elif user is not None:
        result = mfa_after_password(self, pool, user.username, result)
        result = _devices_after_sign_in(pool, user.username, params.get("DEVICE_KEY"), result)
    return _record_tokens(result, client)


def start_password_srp(pool: Any, user: Any, srp_a: str, moto_session: str) -> dict[str, str]:
    """The PASSWORD_VERIFIER challenge for ``user`` from the local SRP server (moto's own
    proof cannot be checked); the server is kept, under the challenge's SECRET_BLOCK, with
    moto's session, for the answer."""
    realm = pool.id.split("_", 1)[1]
    srp_user_id = user.id if BEHAVIOUR.srp_user_id == "sub" else user.username
    # The verifier is made with USER_ID_FOR_SRP: a client that hashes another name
    # (what the person typed, an alias) fails the proof.
    server = srp_server.start_for_password(realm, srp_user_id, user.password, srp_a)
    challenge = dict(server.challenge)
    challenge["USER_ID_FOR_SRP"] = srp_user_id
    challenge["USERNAME"] = user.username
    with BEHAVIOUR.lock:
        BEHAVIOUR.srp_sessions[challenge["SECRET_BLOCK"]] = (moto_session, server, user.username)
    return challenge


def respond_to_auth_challenge(
    self: CognitoIdpBackend,
    session: str,
    client_id: str,
    challenge_name: str,
    challenge_responses: dict[str, str],
) -> dict[str, Any]:
    BEHAVIOUR.count(f"RespondToAuthChallenge:{challenge_name}")
    pool, client = _find_client(self, client_id)
    check_session_alive(session, challenge_name)
    answers = dict(challenge_responses or {})
    # After the first step, SECRET_HASH is made with the name the challenge gave.
    check_secret_hash(
        client, answers.get("USERNAME", ""), answers.get("SECRET_HASH"), NO_SECRET_RESPOND
    )
    if client.generate_secret and answers.get("USERNAME"):  # moto knows one secret only
        answers["SECRET_HASH"] = _secret_hash(client.secret, answers["USERNAME"], client_id)
    if challenge_name in ("DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER"):
        return _record_tokens(_device_challenge(pool, session, challenge_name, answers), client)
    if challenge_name == "SELECT_MFA_TYPE":
        return _record_tokens(answer_mfa_choice(self, pool, session, answers), client)
    if challenge_name == "EMAIL_OTP" and session in BEHAVIOUR.email_codes:
        result = answer_email_mfa(self, pool, client, session, answers)
        user = resolve_user(pool, answers.get("USERNAME", ""))
        if user is not None:
            result = _devices_after_sign_in(pool, user.username, answers.get("DEVICE_KEY"), result)
        return _record_tokens(result, client)
    if challenge_name == "PASSWORD_VERIFIER":
        block = answers.get("PASSWORD_CLAIM_SECRET_BLOCK", "")
        with BEHAVIOUR.lock:
            found = BEHAVIOUR.srp_sessions.pop(block, None)
        if found is None:
            raise _not_authorized("Invalid session for the user.")
        moto_session, server, username = found
        # The answer must name the user as the challenge's USERNAME did.
        if answers.get("USERNAME") != username:
            raise JsonRESTError("UserNotFoundException", "User does not exist.")
        if not server.check(
            answers.get("PASSWORD_CLAIM_SIGNATURE", ""), answers.get("TIMESTAMP", "")
        ):
            raise _not_authorized("Incorrect username or password.")
        answers["PASSWORD_CLAIM_SECRET_BLOCK"] = moto_session
    if challenge_name == "SMS_MFA":
        _check_sms_code(session, answers)
    if challenge_name == "SOFTWARE_TOKEN_MFA" and session in self.sessions:
        _totp_user.current = (pool.id, self.sessions[session][0])
    if challenge_name == "MFA_SETUP":
        with BEHAVIOUR.lock:
            verified = session in BEHAVIOUR.verified_sessions
            BEHAVIOUR.verified_sessions.discard(session)
        if not verified:  # the authenticator was never verified in this sign-in
            raise _not_authorized("Invalid session for the user.")
    try:
        result = _original_respond(self, session, client_id, challenge_name, answers)
    finally:
        _totp_user.current = None
    user = resolve_user(pool, answers.get("USERNAME", ""))
    if user is not None:
        if challenge_name in ("PASSWORD_VERIFIER", "NEW_PASSWORD_REQUIRED"):
            result = mfa_after_password(self, pool, user.username, result)
        result = _devices_after_sign_in(pool, user.username, answers.get("DEVICE_KEY"), result)
    return _record_tokens(result, client)


# -- refresh and revocation (moto has neither GetTokensFromRefreshToken nor RevokeToken) --


def _refresh(
    pool: Any,
    client: Any,
    token: str | None,
    *,
    secret_hash: str | None = None,
    client_secret: str | None = None,
    device_key: str | None = None,
    with_client_secret: bool = False,
) -> dict[str, Any]:
    """New tokens for a refresh token, checked as Cognito checks it: issued to this app
    client, not revoked, the client's SECRET_HASH (made with the user's internal name,
    never an alias) or ClientSecret, and the device key it was bound to."""
    require_flow(client, "REFRESH_TOKEN_AUTH")
    if (token or "") not in pool.refresh_tokens:
        raise _not_authorized("Invalid Refresh Token.")
    entry = pool.refresh_tokens[token or ""]
    if entry is None:
        raise _not_authorized("Refresh Token has been revoked")
    if entry[0] != client.id:
        raise _not_authorized("Invalid Refresh Token.")
    check_refresh_token_alive(token or "")
    _issued_to, username, _origin = entry
    user = pool._get_user(username)
    if user is None:
        raise JsonRESTError("UserNotFoundException", "User does not exist.")
    if with_client_secret:
        _check_client_secret(client, client_secret, "NotAuthorizedException")
    else:
        check_secret_hash(client, user.username, secret_hash)
    assert token is not None
    with BEHAVIOUR.lock:
        bound = BEHAVIOUR.refresh_devices.get(token)
    if device_key is not None and _device(device_key, pool.id, user.username) is None:
        raise _not_authorized("Invalid device key given.")
    if bound is not None and device_key != bound:
        raise _not_authorized("Invalid Refresh Token.")
    access_token, id_token, expires_in = pool.create_tokens_from_refresh_token(token)
    result: dict[str, Any] = {
        "IdToken": id_token,
        "AccessToken": access_token,
        "ExpiresIn": expires_in,
        "TokenType": "Bearer",
    }
    grace = rotation_grace(client)
    if with_client_secret and grace is not None:
        new_token, _ = pool.create_refresh_token(client.id, username)
        with BEHAVIOUR.lock:  # the old one works for the grace period, then never again
            BEHAVIOUR.rotated_out.setdefault(token, BEHAVIOUR.now() + grace)
            if bound is not None:
                BEHAVIOUR.refresh_devices[new_token] = bound
        result["RefreshToken"] = new_token
    return {"AuthenticationResult": result}


def get_tokens_from_refresh_token(self: CognitoIdpResponse) -> str:
    BEHAVIOUR.count("GetTokensFromRefreshToken")
    pool, client = _find_client(self.backend, self._get_param("ClientId"))
    result = _refresh(
        pool,
        client,
        self._get_param("RefreshToken"),
        client_secret=self._get_param("ClientSecret"),
        device_key=self._get_param("DeviceKey"),
        with_client_secret=True,
    )
    _record_tokens(result, client)
    with BEHAVIOUR.lock:
        lose = BEHAVIOUR.lose_refresh_answers > 0
        BEHAVIOUR.lose_refresh_answers -= int(lose)
    if lose:  # it took effect (a new refresh token), but the client never hears so
        raise RuntimeError("the test asked for this answer to be lost")  # an HTTP 500 page
    return json.dumps(result)


def revoke_token(self: CognitoIdpResponse) -> str:
    """Revoke a refresh token and the access tokens issued from it."""
    BEHAVIOUR.count("RevokeToken")
    if BEHAVIOUR.crash_revoke:
        raise RuntimeError("the test asked RevokeToken to crash")  # an HTTP 500 page
    token = self._get_param("Token") or ""
    pool, client = _find_client(self.backend, self._get_param("ClientId"))
    _check_client_secret(client, self._get_param("ClientSecret"), "UnauthorizedException")
    if token.count(".") == 2 and token.startswith("eyJ"):
        raise JsonRESTError("UnsupportedTokenTypeException", "Unsupported token type.")
    if token not in pool.refresh_tokens:
        raise JsonRESTError("UnauthorizedException", "Invalid token.")
    entry = pool.refresh_tokens[token]
    if entry is not None:
        issued_to, _username, origin = entry
        if issued_to != client.id:
            raise JsonRESTError("UnauthorizedException", "Token was not issued to this client.")
        pool.refresh_tokens[token] = None
        for access_token in list(pool.access_tokens):
            if _claims(access_token).get("origin_jti") == origin:
                del pool.access_tokens[access_token]
    return "{}"


# -- remembered devices (moto tracks none) ------------------------------------------------


class Device:
    """A device the pool handed out; ConfirmDevice registers its SRP verifier."""

    def __init__(self, pool_id: str, username: str, group_key: str) -> None:
        self.pool_id = pool_id
        self.username = username
        self.group_key = group_key
        self.verifier: int | None = None
        self.salt: int | None = None
        self.refresh_token: str | None = None  # of the sign-in that created it


def _device(key: str, pool_id: str, username: str, *, confirmed: bool = False) -> Device | None:
    with BEHAVIOUR.lock:
        device = BEHAVIOUR.devices.get(key)
    if device is None or device.pool_id != pool_id or device.username != username:
        return None
    if confirmed and device.verifier is None:
        return None
    return device


def _devices_after_sign_in(
    pool: Any, username: str, device_key: str | None, result: dict[str, Any]
) -> dict[str, Any]:
    """With device tracking on, a sign-in that proved the password either hands out a new
    device or, for a remembered one, asks it to prove itself before the tokens."""
    auth = result.get("AuthenticationResult")
    if not BEHAVIOUR.device_tracking or not auth:
        return result
    user = pool._get_user(username)
    remembered = _device(device_key, pool.id, user.username, confirmed=True) if device_key else None
    if remembered is not None:
        session = base64.urlsafe_b64encode(os.urandom(48)).decode()
        with BEHAVIOUR.lock:
            BEHAVIOUR.device_sessions[session] = (
                "DEVICE_SRP_AUTH",
                device_key or "",
                user.username,
                None,
                result,
            )
        return {
            "ChallengeName": "DEVICE_SRP_AUTH",
            "Session": session,
            "ChallengeParameters": {"USERNAME": user.username},
        }
    key = f"{pool.id.split('_')[0]}_{uuid.uuid4()}"
    device = Device(pool.id, user.username, f"-{uuid.uuid4().hex[:9]}")
    device.refresh_token = auth.get("RefreshToken")
    with BEHAVIOUR.lock:
        BEHAVIOUR.devices[key] = device
    auth["NewDeviceMetadata"] = {"DeviceKey": key, "DeviceGroupKey": device.group_key}
    return result


def _device_challenge(
    pool: Any, session: str, name: str, answers: dict[str, str]
) -> dict[str, Any]:
    with BEHAVIOUR.lock:
        found = BEHAVIOUR.device_sessions.pop(session, None)
    if found is None or found[0] != name:
        raise _not_authorized("Invalid session for the user.")
    _step, key, username, server, result = found
    if answers.get("USERNAME") != username or answers.get("DEVICE_KEY") != key:
        raise _not_authorized("Invalid device key given.")
    device = _device(key, pool.id, username, confirmed=True)
    assert device is not None and device.verifier is not None and device.salt is not None
    if name == "DEVICE_SRP_AUTH":
        try:
            server = srp_server.start(
                device.group_key, key, device.verifier, device.salt, answers["SRP_A"]
            )
        except (KeyError, ValueError) as exc:
            raise JsonRESTError("InvalidParameterException", "SRP_A is invalid") from exc
        next_session = base64.urlsafe_b64encode(os.urandom(48)).decode()
        with BEHAVIOUR.lock:
            BEHAVIOUR.device_sessions[next_session] = (
                "DEVICE_PASSWORD_VERIFIER",
                key,
                username,
                server,
                result,
            )
        return {
            "ChallengeName": "DEVICE_PASSWORD_VERIFIER",
            "Session": next_session,
            "ChallengeParameters": {**server.challenge, "USERNAME": username, "DEVICE_KEY": key},
        }
    assert server is not None
    block = base64.b64encode(server.secret_block).decode()
    if answers.get("PASSWORD_CLAIM_SECRET_BLOCK") != block or not server.check(
        answers.get("PASSWORD_CLAIM_SIGNATURE", ""), answers.get("TIMESTAMP", "")
    ):
        raise _not_authorized("Incorrect username or password.")
    refresh = result["AuthenticationResult"].get("RefreshToken")
    if refresh:
        with BEHAVIOUR.lock:
            BEHAVIOUR.refresh_devices[refresh] = key
    return result


def confirm_device(self: CognitoIdpResponse) -> str:
    BEHAVIOUR.count("ConfirmDevice")
    access_token = self._get_param("AccessToken") or ""
    key = self._get_param("DeviceKey") or ""
    for pool in self.backend.user_pools.values():
        if access_token in pool.access_tokens:
            _client_id, username = pool.access_tokens[access_token]
            break
    else:
        raise _not_authorized("Invalid Access Token")
    user = pool._get_user(username)
    device = _device(key, pool.id, user.username)
    if device is None:
        raise JsonRESTError("ResourceNotFoundException", "Device does not exist.")
    config = self._get_param("DeviceSecretVerifierConfig") or {}
    try:
        device.verifier = int.from_bytes(base64.b64decode(config["PasswordVerifier"]), "big")
        device.salt = int.from_bytes(base64.b64decode(config["Salt"]), "big")
    except (KeyError, ValueError) as exc:
        raise JsonRESTError("InvalidParameterException", "Invalid verifier config") from exc
    with BEHAVIOUR.lock:
        if device.refresh_token:
            BEHAVIOUR.refresh_devices[device.refresh_token] = key
    return json.dumps({"UserConfirmationNecessary": False})


def _claims(token: str) -> dict[str, Any]:
    """A JWT's payload; ValueError when the token is not one."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise ValueError("not a JWT") from exc
    if not isinstance(claims, dict):
        raise ValueError("not a JWT")
    return claims


# -- authenticator apps (TOTP) --
# Cognito gives every AssociateSoftwareToken a new random secret of that user's
# ("AssociateSoftwareToken", Amazon Cognito API Reference: "a unique generated shared secret
# key code"), and checks every code against it. moto uses one fixed secret for all users.
# moto's own code paths call cognito_totp() and verify_totp() without saying whose code it
# is, so the wrappers below name the user for the thread (``_totp_user``) first.

_totp_user = threading.local()
_MOTO_ASSOCIATE_SOFTWARE_TOKEN = CognitoIdpBackend.associate_software_token
_MOTO_VERIFY_SOFTWARE_TOKEN = CognitoIdpBackend.verify_software_token


def _user_of(self: CognitoIdpBackend, access_token: str, session: str) -> tuple[str, str]:
    """(user pool id, username) of a sign-in session or of an access token moto issued."""
    if session:
        check_session_alive(session)
        if session not in self.sessions:
            raise JsonRESTError("NotAuthorizedException", "Invalid session for the user.")
        username, pool = self.sessions[session]
        return pool.id, username
    for pool in self.user_pools.values():
        if access_token in pool.access_tokens:
            return pool.id, pool.access_tokens[access_token][1]
    raise JsonRESTError("NotAuthorizedException", "Invalid Access Token")


def associate_software_token(
    self: CognitoIdpBackend, access_token: str, session: str
) -> dict[str, str]:
    result: dict[str, str] = _MOTO_ASSOCIATE_SOFTWARE_TOKEN(self, access_token, session)
    user = _user_of(self, access_token, session)
    # 32 random bytes in base32 without padding: 52 characters, as Cognito's secrets are
    secret = base64.b32encode(secrets.token_bytes(32)).decode().rstrip("=")
    with BEHAVIOUR.lock:
        BEHAVIOUR.totp_secrets[user] = secret
    BEHAVIOUR.record(secret)
    return {**result, "SecretCode": secret}


def verify_software_token(
    self: CognitoIdpBackend,
    access_token: str,
    session: str,
    user_code: str,
    friendly_device_name: str,
) -> dict[str, str]:
    _totp_user.current = _user_of(self, access_token, session)
    try:
        result: dict[str, str] = _MOTO_VERIFY_SOFTWARE_TOKEN(
            self, access_token, session, user_code, friendly_device_name
        )
    finally:
        _totp_user.current = None
    if session:  # during a sign-in: its session answers MFA_SETUP
        with BEHAVIOUR.lock:
            BEHAVIOUR.verified_sessions.add(result["Session"])
            lasts = BEHAVIOUR.session_started.get(session, (0.0, session_seconds(None)))[1]
        start_session(result["Session"], lasts)
    return result


def cognito_totp(key: str) -> Any:
    """The TOTP of the user the current call is about (moto passes its fixed secret)."""
    from moto.cognitoidp.utils import cognito_totp as moto_cognito_totp

    user = getattr(_totp_user, "current", None)
    with BEHAVIOUR.lock:
        secret = BEHAVIOUR.totp_secrets.get(user) if user else None
    # A user who never associated an authenticator has no secret: nothing matches it.
    return moto_cognito_totp(secret or base64.b32encode(secrets.token_bytes(32)).decode())


ADMIN_SCOPE = "aws.cognito.signin.user.admin"
_MOTO_GLOBAL_SIGN_OUT = CognitoIdpBackend.global_sign_out


def global_sign_out(self: CognitoIdpBackend, access_token: str) -> None:
    """GlobalSignOut as Cognito checks its access token: one it issued and still honours,
    unexpired ("Access Token has expired"; moto does not look at exp), with the scope
    aws.cognito.signin.user.admin (GlobalSignOut, Amazon Cognito API Reference: "It must
    include the scope aws.cognito.signin.user.admin")."""
    BEHAVIOUR.count("GlobalSignOut")
    try:
        claims = _claims(access_token)
    except ValueError:
        claims = {}
    if not any(access_token in p.access_tokens for p in self.user_pools.values()):
        raise _not_authorized("Invalid Access Token")
    if claims.get("exp", 0) <= BEHAVIOUR.now():
        raise _not_authorized("Access Token has expired")
    scopes = str(claims.get("scope", "")).split()
    if ADMIN_SCOPE not in scopes:
        raise _not_authorized("Access Token does not have required scopes")
    _MOTO_GLOBAL_SIGN_OUT(self, access_token)


def _identity_pool(pool_id: str, region: str) -> Any | None:
    """The identity pool, if it lives in ``region``, the region of the endpoint asked.
    Each region's endpoint (cognito-identity.REGION.amazonaws.com, "Amazon Cognito
    endpoints and quotas", AWS General Reference) knows only its own pools; moto's
    lookups here went by the region in the id, so a client built for the wrong region
    passed."""
    from moto.cognitoidentity.models import cognitoidentity_backends

    if pool_id.split(":")[0] != region:
        return None
    for account in cognitoidentity_backends.values():
        if region in account and pool_id in account[region].identity_pools:
            return account[region].identity_pools[pool_id]
    return None


def _trusted_providers(pool: Any) -> dict[str, set[str]]:
    """Login provider name -> the app client ids it may be used with (empty: any)."""
    trusted: dict[str, set[str]] = {}
    for entry in pool.cognito_identity_providers or []:
        clients = trusted.setdefault(entry["ProviderName"], set())
        if entry.get("ClientId"):
            clients.add(entry["ClientId"])
    for arn in pool.open_id_connect_provider_arns or []:
        trusted.setdefault(arn.split(":oidc-provider/", 1)[-1], set())
    for name in pool.supported_login_providers or {}:
        trusted.setdefault(name, set())
    return trusted


# A user pool as an identity pool's provider: named cognito-idp.REGION.amazonaws.com/POOL_ID
# (the GetId API reference's Logins list); the fakes also take the updated issuer's
# host as the name, which the documentation neither lists nor rules out.
USER_POOL_PROVIDER_HOSTS = ("cognito-idp.", "issuer-cognito-idp.")


def _user_pool_issuers(provider: str) -> set[str]:
    """The iss a user pool provider's ID tokens may name: the original issuer, or the
    updated one of a pool whose IssuerConfiguration is UPDATED (Amazon Cognito API
    Reference, IssuerConfigurationType: https://issuer-cognito-idp.REGION.amazonaws.com/
    POOL_ID, REGION the pool's primary region). The identity pool keeps its provider
    name; which of the two the documentation does not say: both are taken."""
    rest = provider.split("cognito-idp.", 1)[1]
    return {f"https://cognito-idp.{rest}", f"https://issuer-cognito-idp.{rest}"}


def _user_pool_issued(provider: str, token: str) -> bool:
    """Whether the user pool behind a cognito-idp provider issued this ID token: what the
    real service learns from the token's signature."""
    from moto.cognitoidp.models import cognitoidp_backends

    pool_id = provider.rsplit("/", 1)[-1]
    region = pool_id.split("_")[0]
    for account in cognitoidp_backends.values():
        if region in account and pool_id in account[region].user_pools:
            return token in account[region].user_pools[pool_id].id_tokens
    return False


def _check_login(logins: dict[str, str] | None, pool: Any) -> tuple[str, str] | None:
    """Validate a Logins map like Cognito does: (provider, the user's sub), or None for
    no Logins at all."""
    if not logins:
        return None
    if len(logins) != 1:
        raise _not_authorized("Only one login provider is supported here.")
    ((provider, token),) = logins.items()
    trusted = _trusted_providers(pool)
    if provider not in trusted:
        raise _not_authorized("Token is not from a supported provider of this identity pool.")
    try:
        claims = _claims(token)
    except ValueError as exc:
        raise _not_authorized(
            "Invalid login token. Not a valid OpenId Connect identity token."
        ) from exc
    user_pool = provider.startswith(USER_POOL_PROVIDER_HOSTS)
    if not user_pool:
        _check_oidc_login(provider, token, claims, pool)
    elif claims.get("iss") not in _user_pool_issuers(provider):
        raise _not_authorized("Invalid login token. Issuer doesn't match providerName")
    if user_pool:
        if claims.get("token_use") != "id":
            raise _not_authorized("Invalid login token. Token is not an ID token.")
        if not _user_pool_issued(provider, token):
            raise _not_authorized("Invalid login token. Token signature invalid.")
    if trusted[provider] and claims.get("aud") not in trusted[provider]:
        raise _not_authorized("Invalid login token. Incorrect token audience.")
    if claims.get("exp", 0) <= BEHAVIOUR.now():
        raise _not_authorized("Invalid login token. Token expired.")
    return provider, str(claims["sub"])


def _check_oidc_login(provider: str, token: str, claims: dict[str, Any], pool: Any) -> None:
    """An OpenID Connect provider the identity pool trusts directly, as Cognito checks it:
    the token's iss is the provider's name with https (http only for a loopback host,
    as local providers serve it), its aud is one of the IAM OIDC provider's client ids,
    and the issuer's keys verify it."""
    host = provider.split("/", 1)[0].rsplit(":", 1)[0]
    issuers = {f"https://{provider}"}
    if host in ("localhost", "127.0.0.1"):
        issuers.add(f"http://{provider}")
    if claims.get("iss") not in issuers:
        raise _not_authorized("Invalid login token. Issuer doesn't match providerName")
    audiences = claims.get("aud")
    audiences = audiences if isinstance(audiences, list) else [audiences]
    arns = [
        arn
        for arn in pool.open_id_connect_provider_arns or []
        if arn.split(":oidc-provider/", 1)[-1] == provider
    ]
    if not set(audiences) & {c for arn in arns for c in _oidc_client_ids(arn)}:
        raise _not_authorized("Invalid login token. Incorrect token audience.")
    _verify_signature(token, str(claims["iss"]))


def _oidc_client_ids(arn: str) -> set[str]:
    from moto.iam.models import iam_backends

    for account in iam_backends.values():
        for backend in account.values():
            found = backend.open_id_providers.get(arn)
            if found is not None:
                return set(found.client_id_list)
    return set()


def _verify_signature(token: str, issuer: str) -> None:
    """Fetch the issuer's keys the way Cognito does (discovery, then jwks_uri)."""
    import urllib.request

    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    try:
        with urllib.request.urlopen(  # noqa: S310 - the issuer is a local test server
            f"{issuer}/.well-known/openid-configuration", timeout=5
        ) as answer:
            jwks_uri = json.load(answer)["jwks_uri"]
        with urllib.request.urlopen(jwks_uri, timeout=5) as answer:  # noqa: S310
            keys = KeySet.import_key_set(json.load(answer))
        jwt.decode(token, keys)
    except (OSError, ValueError, KeyError, JoseError) as exc:
        raise _not_authorized("Invalid login token. The signature is not valid.") from exc


_LOGINS_DO_NOT_MATCH = (
    "Logins don't match. Please include at least one valid login for this identity or "
    "identity pool."
)


def get_id(self: CognitoIdentityResponse) -> str:
    BEHAVIOUR.count("GetId")
    pool_id = self._get_param("IdentityPoolId")
    pool = _identity_pool(pool_id, self.region)
    if pool is None:
        raise JsonRESTError("ResourceNotFoundException", f"IdentityPool '{pool_id}' not found.")
    login = _check_login(self._get_param("Logins"), pool)
    region = pool_id.split(":")[0]
    if login is None:
        if pool_id not in BEHAVIOUR.unauth_pools:
            raise _not_authorized("Unauthenticated access is not supported for this identity pool.")
        identity_id = f"{region}:{uuid.uuid4()}"
    else:
        # Real Cognito: one stable IdentityId per (identity pool, user).
        identity_id = f"{region}:{uuid.uuid5(uuid.NAMESPACE_URL, f'{pool_id}/{login[1]}')}"
    with BEHAVIOUR.lock:
        BEHAVIOUR.identities[identity_id] = (pool_id, None if login is None else login[1])
    return json.dumps({"IdentityId": identity_id})


def _identity(
    identity_id: str, logins: dict[str, str] | None, region: str
) -> tuple[str, str | None]:
    """Check an IdentityId and the Logins sent with it as Cognito does: the identity must
    exist, an authenticated one needs a valid login of its own user, a guest none.
    Returns (identity pool id, login provider or None)."""
    with BEHAVIOUR.lock:
        found = BEHAVIOUR.identities.get(identity_id)
    pool = _identity_pool(found[0], region) if found else None
    if found is None or pool is None:
        raise JsonRESTError("ResourceNotFoundException", f"Identity '{identity_id}' not found.")
    pool_id, sub = found
    login = _check_login(logins, pool)
    if sub is None:
        if login is not None:
            raise _not_authorized(_LOGINS_DO_NOT_MATCH)
        if pool_id not in BEHAVIOUR.unauth_pools:
            raise _not_authorized("Unauthenticated access is not supported for this identity pool.")
        return pool_id, None
    if login is None:
        raise _not_authorized(f"Access to Identity '{identity_id}' is forbidden.")
    if login[1] != sub:
        raise _not_authorized(_LOGINS_DO_NOT_MATCH)
    return pool_id, login[0]


def get_credentials_for_identity(self: CognitoIdentityResponse) -> str:
    BEHAVIOUR.count("GetCredentialsForIdentity")
    identity_id = self._get_param("IdentityId")
    _identity(identity_id, self._get_param("Logins"), self.region)
    if self._get_param("CustomRoleArn"):
        check_custom_role(self._get_param("CustomRoleArn"), self._get_param("Logins"))
    if BEHAVIOUR.fail_credentials:
        # a 400 that botocore does not retry, so the test knows when it is over
        raise JsonRESTError(
            "InvalidIdentityPoolConfigurationException", "the test asked for a failure"
        )
    secret, session = f"secret-{uuid.uuid4().hex}", f"session-{uuid.uuid4().hex}"
    BEHAVIOUR.record(secret, session)
    with BEHAVIOUR.lock:
        BEHAVIOUR.custom_roles.append(self._get_param("CustomRoleArn"))
        n = next(BEHAVIOUR.key_counter)
    expiration = datetime.now(timezone.utc).timestamp() + BEHAVIOUR.credentials_lifetime
    return json.dumps(
        {
            "IdentityId": identity_id,
            "Credentials": {
                "AccessKeyId": f"ASIATEST{n:012d}",
                "SecretKey": secret,
                "SessionToken": session,
                "Expiration": expiration,
            },
        }
    )


OPENID_ISSUER = "https://cognito-identity.amazonaws.com"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _openid_signature(signing_input: str) -> str:
    return _b64url(hmac.new(BEHAVIOUR.openid_key, signing_input.encode(), hashlib.sha256).digest())


def get_open_id_token(self: CognitoIdentityResponse) -> str:
    """An OpenID token signed with a key only this fixture (and its STS) knows."""
    BEHAVIOUR.count("GetOpenIdToken")
    identity_id = self._get_param("IdentityId")
    pool_id, provider = _identity(identity_id, self._get_param("Logins"), self.region)
    now = int(BEHAVIOUR.now())
    claims = {
        "iss": OPENID_ISSUER,
        "sub": identity_id,
        "aud": pool_id,
        "amr": ["authenticated", provider] if provider else ["unauthenticated"],
        "iat": now,
        "exp": now + BEHAVIOUR.openid_lifetime,
    }
    header = {"kid": "strict-test", "typ": "JWS", "alg": "HS256"}
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    token = f"{signing_input}.{_openid_signature(signing_input)}"
    BEHAVIOUR.record(token)
    return json.dumps({"IdentityId": identity_id, "Token": token})


def _check_openid_token(token: str) -> None:
    """What STS checks on a Cognito OpenID token: signature, issuer, expiry."""
    head, _, signature = token.rpartition(".")
    if not head or not hmac.compare_digest(signature, _openid_signature(head)):
        raise STSClientError(
            "InvalidIdentityToken", "The ID Token provided is not a valid JWT or is not signed."
        )
    claims = _claims(token)
    if claims.get("iss") != OPENID_ISSUER:
        raise STSClientError("InvalidIdentityToken", "Incorrect token issuer.")
    if claims.get("exp", 0) <= BEHAVIOUR.now():
        raise STSClientError("ExpiredTokenException", "Token expired.")


_original_assume_role_with_web_identity = TokenResponse.assume_role_with_web_identity


def assume_role_with_web_identity(self: TokenResponse) -> Any:
    BEHAVIOUR.count("AssumeRoleWithWebIdentity")
    _check_openid_token(self._get_param("WebIdentityToken") or "")
    duration = self._get_param("DurationSeconds")
    check_role_session(self._get_param("RoleArn") or "", int(duration) if duration else None)
    result = _original_assume_role_with_web_identity(self)
    role = result.result["Credentials"]  # type: ignore[index]
    BEHAVIOUR.record(role.secret_access_key, role.session_token)
    return result


def verify_totp(totp: Any, code: bytes, valid_window: int = 0) -> None:
    """A code of the current 30-second step, or of the step just before it: what a code
    typed (or computed) a moment before the step ended still shows when it arrives
    (RFC 6238, section 5.2). moto accepts the current step only, which makes every
    test that crosses a step boundary fail."""
    from cryptography.hazmat.primitives.twofactor import InvalidToken

    now = int(time.time())
    for at in (now, now - 30):
        try:
            totp.verify(code, at)
        except InvalidToken:
            continue
        return
    raise InvalidToken("Supplied TOTP value does not match.")


# == The service's rules that moto leaves out: lifetimes, sessions, rotation, secrets ======
# Everything time-dependent below reads the service's clock, BEHAVIOUR.now(); tests move
# it with BEHAVIOUR.advance() instead of sleeping.

# -- token lifetimes as the app client sets them --
# TokenValidityUnitsType (Amazon Cognito API Reference): IdTokenValidity and
# AccessTokenValidity "can range from five minutes to one day", default unit hours;
# RefreshTokenValidity "from 60 minutes to 10 years", default unit days. CreateUserPoolClient:
# unset, ID and access tokens last one hour and refresh tokens 30 days. moto issues every
# token for an hour and never expires a refresh token.

UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# token use -> (setting, TokenValidityUnits key, default unit, default value, least, most)
LIFETIMES: dict[str, tuple[str, str, str, int, int, int]] = {
    "id": ("IdTokenValidity", "IdToken", "hours", 1, 5 * 60, 86400),
    "access": ("AccessTokenValidity", "AccessToken", "hours", 1, 5 * 60, 86400),
    "refresh": ("RefreshTokenValidity", "RefreshToken", "days", 30, 3600, 3650 * 86400),
}
# UserPoolClientType AuthSessionValidity: "the duration, in minutes, of that session token",
# 3 to 15, default 3. RefreshTokenRotationType RetryGracePeriodSeconds: 0 to 60.
AUTH_SESSION_MINUTES = (3, 15)
GRACE_SECONDS = (0, 60)


def _lifetime(config: dict[str, Any], use: str) -> int:
    setting, unit_key, unit, default, _least, _most = LIFETIMES[use]
    value = config.get(setting)
    units = config.get("TokenValidityUnits") or {}
    return int(default if value is None else value) * UNIT_SECONDS[units.get(unit_key) or unit]


def token_lifetime(client: Any | None, use: str) -> int:
    """Seconds a token of ``use`` (id, access, refresh) issued to ``client`` lasts."""
    return _lifetime(client.extended_config if client is not None else {}, use)


def check_client_settings(config: dict[str, Any]) -> None:
    """CreateUserPoolClient / UpdateUserPoolClient refuse what the ranges above exclude
    (the reference documents the ranges, not the message: this wording is the fake's)."""
    for use, (setting, _key, _unit, _default, least, most) in LIFETIMES.items():
        if config.get(setting) is not None and not least <= _lifetime(config, use) <= most:
            raise JsonRESTError(
                "InvalidParameterException",
                f"{setting} must be between {least} and {most} seconds",
            )
    minutes = config.get("AuthSessionValidity")
    if minutes is not None and not AUTH_SESSION_MINUTES[0] <= minutes <= AUTH_SESSION_MINUTES[1]:
        raise JsonRESTError("InvalidParameterException", "AuthSessionValidity must be 3 to 15")
    grace = (config.get("RefreshTokenRotation") or {}).get("RetryGracePeriodSeconds")
    if grace is not None and not GRACE_SECONDS[0] <= grace <= GRACE_SECONDS[1]:
        raise JsonRESTError("InvalidParameterException", "RetryGracePeriodSeconds must be 0 to 60")


_MOTO_CREATE_CLIENT = CognitoIdpBackend.create_user_pool_client
_MOTO_UPDATE_CLIENT = CognitoIdpBackend.update_user_pool_client


def create_user_pool_client(
    self: CognitoIdpBackend, user_pool_id: str, generate_secret: bool, config: dict[str, Any]
) -> Any:
    check_client_settings(config or {})
    return _MOTO_CREATE_CLIENT(self, user_pool_id, generate_secret, config)


def update_user_pool_client(
    self: CognitoIdpBackend, user_pool_id: str, client_id: str, config: dict[str, Any]
) -> Any:
    check_client_settings(config or {})
    return _MOTO_UPDATE_CLIENT(self, user_pool_id, client_id, config)


def role_claims(pool: Any, username: str) -> dict[str, Any]:
    """cognito:roles and cognito:preferred_role of an ID token: the IAM roles of the user's
    groups, the preferred one the group of the lowest precedence (CreateGroup, RoleArn and
    Precedence, Amazon Cognito API Reference). moto puts neither in its tokens."""
    user = pool._get_user(username)
    groups = [g for g in getattr(user, "groups", []) if g.role_arn]
    if not groups:
        return {}
    preferred = min(groups, key=lambda g: (g.precedence is None, g.precedence or 0))
    return {
        "cognito:roles": [g.role_arn for g in groups],
        "cognito:preferred_role": preferred.role_arn,
    }


_MOTO_CREATE_JWT = CognitoIdpUserPool.create_jwt
_MOTO_CREATE_REFRESH_TOKEN = CognitoIdpUserPool.create_refresh_token


def create_jwt(
    self: CognitoIdpUserPool,
    client_id: str,
    username: str,
    token_use: str,
    expires_in: int = 3600,
    extra_data: dict[str, Any] | None = None,
) -> tuple[str, int]:
    """moto's token, issued by the service's clock for the app client's lifetime."""
    lifetime = token_lifetime(self.clients.get(client_id), token_use)
    now = int(BEHAVIOUR.now())
    claims = {**(extra_data or {}), "iat": now, "auth_time": now, "exp": now + lifetime}
    if token_use == "id":
        claims.update(role_claims(self, username))
    token, _ = _MOTO_CREATE_JWT(self, client_id, username, token_use, lifetime, claims)
    return token, lifetime


def create_refresh_token(self: CognitoIdpUserPool, client_id: str, username: str) -> Any:
    token, origin = _MOTO_CREATE_REFRESH_TOKEN(self, client_id, username)
    lifetime = token_lifetime(self.clients.get(client_id), "refresh")
    with BEHAVIOUR.lock:
        BEHAVIOUR.refresh_expiry[token] = BEHAVIOUR.now() + lifetime
    return token, origin


# -- refresh token rotation --
# RefreshTokenRotationType: with Feature ENABLED, GetTokensFromRefreshToken hands out a new
# refresh token, and "the original refresh token that you're rotating out can remain valid
# for a period of time of up to 60 seconds. This allows for client-side retries. When
# RetryGracePeriodSeconds is 0, the grace period is disabled and a successful request
# immediately invalidates the submitted refresh token." Using it afterwards:
# RefreshTokenReuseException ("thrown when your application requests token refresh with a
# refresh token that has been invalidated by refresh-token rotation"). Not documented, so
# the fake's choice: RetryGracePeriodSeconds unset means 0; a retry within the grace period
# gets another new refresh token; every new refresh token lasts the client's full
# RefreshTokenValidity; the message wording.

REUSED = "Refresh token has been invalidated by refresh token rotation"


def rotation_grace(client: Any) -> int | None:
    """None when the client does not rotate refresh tokens, else the grace in seconds."""
    config = client.extended_config.get("RefreshTokenRotation") or {}
    if config.get("Feature") == "ENABLED":
        return int(config.get("RetryGracePeriodSeconds") or 0)
    return 0 if client.id in BEHAVIOUR.rotating_clients else None


def check_refresh_token_alive(token: str) -> None:
    """A rotated-out token past its grace period, or one past its lifetime, is refused."""
    now = BEHAVIOUR.now()
    with BEHAVIOUR.lock:
        grace_ends = BEHAVIOUR.rotated_out.get(token)
        expires = BEHAVIOUR.refresh_expiry.get(token)
    if grace_ends is not None and now >= grace_ends:
        raise JsonRESTError("RefreshTokenReuseException", REUSED)
    if expires is not None and now >= expires:
        raise _not_authorized("Refresh Token has expired")


# -- sign-in sessions --
# UserPoolClientType AuthSessionValidity: "Amazon Cognito creates a session token for each
# API request in an authentication flow ... Your user pool native user must respond to each
# authentication challenge before the session expires." PASSWORD_VERIFIER (RespondToAuth-
# Challenge, ChallengeResponses): "Amazon Cognito requires that your application respond to
# this challenge within a few seconds. When the response time exceeds this period, your user
# pool returns a NotAuthorizedException error." How many seconds is not documented: the fake
# allows PASSWORD_VERIFIER_SECONDS. The message is the service's as clients report it.

PASSWORD_VERIFIER_SECONDS = 30
EXPIRED_SESSION = "Invalid session for the user, session is expired."


def session_seconds(client: Any | None) -> float:
    minutes = client.extended_config.get("AuthSessionValidity") if client is not None else None
    return float(minutes or AUTH_SESSION_MINUTES[0]) * 60


def start_session(session: str, lasts: float) -> None:
    with BEHAVIOUR.lock:
        BEHAVIOUR.session_started[session] = (BEHAVIOUR.now(), lasts)


def check_session_alive(session: str | None, challenge: str | None = None) -> float | None:
    """Refuse a session handed out longer ago than it lasts; how long it lasts (None for a
    session this layer did not hand out: the handlers decide about those)."""
    with BEHAVIOUR.lock:
        found = BEHAVIOUR.session_started.get(session or "")
    if found is None:
        return None
    started, lasts = found
    limit = min(lasts, PASSWORD_VERIFIER_SECONDS) if challenge == "PASSWORD_VERIFIER" else lasts
    if BEHAVIOUR.now() - started > limit:
        with BEHAVIOUR.lock:
            BEHAVIOUR.session_started.pop(session or "", None)
        raise _not_authorized(EXPIRED_SESSION)
    return lasts


# -- app client secrets (AddUserPoolClientSecret, DeleteUserPoolClientSecret,
# ListUserPoolClientSecrets, which moto lacks) --
# AddUserPoolClientSecret: "Creates a new client secret for an existing confidential user
# pool app client. Supports up to 2 active secrets per app client"; ClientSecret 24 to 64
# characters of [\w+]+, generated when not given, and ClientSecretValue "is only returned
# when Amazon Cognito generates the secret". DeleteUserPoolClientSecret: "You cannot delete
# the last remaining secret". ListUserPoolClientSecrets "never reveals the actual secret
# value". Not documented: the error codes for a third secret (LimitExceededException here)
# and for deleting the last (InvalidParameterException), the ClientSecretId format.

MAX_CLIENT_SECRETS = 2
SECRET_PATTERN = re.compile(r"[\w+]{24,64}", re.ASCII)


def _secrets_of(backend: CognitoIdpBackend, pool_id: str, client_id: str) -> tuple[Any, list[Any]]:
    pool = backend.describe_user_pool(pool_id)
    client = pool.clients.get(client_id)
    if client is None:
        raise JsonRESTError("ResourceNotFoundException", f"client {client_id} not found")
    if not client.generate_secret:
        raise JsonRESTError(
            "InvalidParameterException", f"Client {client_id} is not a confidential client"
        )
    with BEHAVIOUR.lock:
        listed = BEHAVIOUR.client_secrets.setdefault(
            client.id, [(f"{client.id}-{uuid.uuid4().hex[:12]}", client.secret, BEHAVIOUR.now())]
        )
    return client, listed


def add_user_pool_client_secret(self: CognitoIdpResponse) -> str:
    BEHAVIOUR.count("AddUserPoolClientSecret")
    client, listed = _secrets_of(
        self.backend, self._get_param("UserPoolId"), self._get_param("ClientId")
    )
    given = self._get_param("ClientSecret")
    if given is not None and not SECRET_PATTERN.fullmatch(given):
        raise JsonRESTError("InvalidParameterException", "ClientSecret is not a valid secret")
    value = given or "".join(
        secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(51)
    )
    secret_id = f"{client.id}-{uuid.uuid4().hex[:12]}"
    with BEHAVIOUR.lock:
        if len(listed) >= MAX_CLIENT_SECRETS:
            raise JsonRESTError(
                "LimitExceededException", f"Client {client.id} already has 2 secrets"
            )
        created = BEHAVIOUR.now()
        listed.append((secret_id, value, created))
        client.secret = value  # moto's own checks (and managed login) use the newest
    BEHAVIOUR.record(value)
    descriptor: dict[str, Any] = {"ClientSecretId": secret_id, "ClientSecretCreateDate": created}
    if given is None:
        descriptor["ClientSecretValue"] = value
    return json.dumps({"ClientSecretDescriptor": descriptor})


def delete_user_pool_client_secret(self: CognitoIdpResponse) -> str:
    BEHAVIOUR.count("DeleteUserPoolClientSecret")
    client, listed = _secrets_of(
        self.backend, self._get_param("UserPoolId"), self._get_param("ClientId")
    )
    secret_id = self._get_param("ClientSecretId")
    with BEHAVIOUR.lock:
        kept = [entry for entry in listed if entry[0] != secret_id]
        if len(kept) == len(listed):
            raise JsonRESTError("ResourceNotFoundException", f"secret {secret_id} not found")
        if not kept:
            raise JsonRESTError(
                "InvalidParameterException", "You cannot delete the last secret of a client"
            )
        listed[:] = kept
        client.secret = kept[-1][1]
    return "{}"


def list_user_pool_client_secrets(self: CognitoIdpResponse) -> str:
    BEHAVIOUR.count("ListUserPoolClientSecrets")
    _client, listed = _secrets_of(
        self.backend, self._get_param("UserPoolId"), self._get_param("ClientId")
    )
    with BEHAVIOUR.lock:
        shown = [{"ClientSecretId": i, "ClientSecretCreateDate": at} for i, _v, at in listed]
    return json.dumps({"ClientSecrets": shown})


# -- MFA choice (SELECT_MFA_TYPE) and email MFA, which moto lacks --
# InitiateAuth / RespondToAuthChallenge, ChallengeName: SELECT_MFA_TYPE when a user has more
# than one MFA factor and prefers none; MFAS_CAN_CHOOSE lists them (ChallengeParameters is a
# map of strings: a JSON list in a string). The answer, ChallengeResponses SELECT_MFA_TYPE:
# "ANSWER": "[SMS_MFA|EMAIL_MFA|SOFTWARE_TOKEN_MFA]". The reference disagrees with itself
# there: ChallengeNameType has no EMAIL_MFA, and email MFA is the challenge EMAIL_OTP
# (answered with EMAIL_OTP_CODE), which is what MFAS_CAN_CHOOSE names and what AWS's own
# client (Amplify JS) answers. The fake takes only a name MFAS_CAN_CHOOSE listed.
# Email MFA is set with AdminSetUserMFAPreference EmailMfaSettings (moto ignores it).

MFA_ORDER = ("SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP")


def _mfa_state(pool: Any, username: str) -> tuple[list[str], str | None]:
    """(the user's MFA factors in MFA_ORDER, the preferred one or None)."""
    user = pool._get_user(username)
    with BEHAVIOUR.lock:
        email_on, email_preferred = BEHAVIOUR.email_mfa.get(
            (pool.id, user.username), (False, False)
        )
    enabled = {
        "SMS_MFA": bool(user.sms_mfa_enabled),
        "SOFTWARE_TOKEN_MFA": bool(user.software_token_mfa_enabled),
        "EMAIL_OTP": email_on,
    }
    factors = [name for name in MFA_ORDER if enabled[name]]
    preferred = "EMAIL_OTP" if email_preferred and email_on else user.preferred_mfa_setting
    return factors, (preferred if preferred in factors else None)


def _withdraw(pool: Any, result: dict[str, Any]) -> None:
    """Tokens moto handed out where the service would have asked for MFA first."""
    auth = result.get("AuthenticationResult") or {}
    if auth.get("RefreshToken") in pool.refresh_tokens:
        pool.refresh_tokens[auth["RefreshToken"]] = None
    pool.access_tokens.pop(auth.get("AccessToken"), None)


def mfa_after_password(
    backend: CognitoIdpBackend, pool: Any, username: str, result: dict[str, Any]
) -> dict[str, Any]:
    """What follows a proven password for a user with email MFA or several factors."""
    if result.get("ChallengeName") not in (None, "SOFTWARE_TOKEN_MFA", "SMS_MFA"):
        return result
    factors, preferred = _mfa_state(pool, username)
    user = pool._get_user(username)
    if len(factors) > 1 and preferred is None:
        _withdraw(pool, result)
        session = str(uuid.uuid4())
        backend.sessions[session] = (user.username, pool)
        with BEHAVIOUR.lock:
            BEHAVIOUR.mfa_choices[session] = factors
        return {
            "ChallengeName": "SELECT_MFA_TYPE",
            "Session": session,
            "ChallengeParameters": {
                "USERNAME": user.username,
                "MFAS_CAN_CHOOSE": json.dumps(factors, separators=(",", ":")),
            },
        }
    if "EMAIL_OTP" in factors and preferred in (None, "EMAIL_OTP"):
        _withdraw(pool, result)
        return _mfa_challenge(backend, pool, user, "EMAIL_OTP")
    return result


def _mfa_challenge(backend: CognitoIdpBackend, pool: Any, user: Any, name: str) -> dict[str, Any]:
    session = str(uuid.uuid4())
    backend.sessions[session] = (user.username, pool)
    params = {"USERNAME": user.username}
    if name == "EMAIL_OTP":
        attributes = {a["Name"]: a["Value"] for a in user.attributes}
        local, _, domain = attributes.get("email", "").partition("@")
        params["CODE_DELIVERY_DELIVERY_MEDIUM"] = "EMAIL"
        params["CODE_DELIVERY_DESTINATION"] = f"{local[:1]}***@{domain[:1]}***"
        code = f"{secrets.randbelow(10**6):06d}"
        with BEHAVIOUR.lock:  # a second factor, shown as typed (as SMS_MFA's codes are)
            BEHAVIOUR.email_codes[session] = code
    return {"ChallengeName": name, "Session": session, "ChallengeParameters": params}


def answer_mfa_choice(
    backend: CognitoIdpBackend, pool: Any, session: str, answers: dict[str, str]
) -> dict[str, Any]:
    with BEHAVIOUR.lock:
        offered = BEHAVIOUR.mfa_choices.pop(session, None)
    if offered is None or session not in backend.sessions:
        raise _not_authorized("Invalid session for the user.")
    username, _pool = backend.sessions.pop(session)
    choice = answers.get("ANSWER", "")
    if choice not in offered:
        raise JsonRESTError(
            "InvalidParameterException", f"ANSWER {choice or '(none)'} is not an MFA type offered"
        )
    return _mfa_challenge(backend, pool, pool._get_user(username), choice)


def answer_email_mfa(
    backend: CognitoIdpBackend, pool: Any, client: Any, session: str, answers: dict[str, str]
) -> dict[str, Any]:
    with BEHAVIOUR.lock:
        sent = BEHAVIOUR.email_codes.get(session)
    if sent is None or session not in backend.sessions:
        raise _not_authorized("Invalid session for the user.")
    if not hmac.compare_digest(answers.get("EMAIL_OTP_CODE", "").encode(), sent.encode()):
        raise JsonRESTError("CodeMismatchException", "Invalid code or auth state for the user.")
    with BEHAVIOUR.lock:
        BEHAVIOUR.email_codes.pop(session, None)
    username, _pool = backend.sessions.pop(session)
    return dict(backend._log_user_in(pool, client, username))


_MOTO_ADMIN_SET_MFA = CognitoIdpResponse.admin_set_user_mfa_preference


def admin_set_user_mfa_preference(self: CognitoIdpResponse) -> Any:
    email = self._get_param("EmailMfaSettings")
    if email is not None:
        pool = self.backend.describe_user_pool(self._get_param("UserPoolId"))
        user = self.backend.admin_get_user(pool.id, self._get_param("Username"))
        with BEHAVIOUR.lock:
            BEHAVIOUR.email_mfa[(pool.id, user.username)] = (
                bool(email.get("Enabled")),
                bool(email.get("PreferredMfa")),
            )
    return _MOTO_ADMIN_SET_MFA(self)


# -- IAM roles: STS and the identity pool's role choice --
# AssumeRoleWithWebIdentity (AWS STS API Reference), DurationSeconds: "from 900 seconds
# (15 minutes) up to the maximum session duration setting for the role ... If you specify a
# value higher than this setting, the operation fails"; the service says "The requested
# DurationSeconds exceeds the MaxSessionDuration set for this role." (ValidationError). A
# role that does not exist cannot be assumed (AccessDenied). The trust policy is not
# evaluated here. GetCredentialsForIdentity, CustomRoleArn: "The Amazon Resource Name (ARN)
# of the role to be assumed when multiple roles were received in the token from the
# identity provider"; a Cognito user pool's token carries them in cognito:roles (Using
# role-based access control, Amazon Cognito Developer Guide). What the service answers for a
# role the token does not list is not documented: the fake answers InvalidParameterException
# with wording of its own, and the tool must not depend on either.

DEFAULT_ROLE_SESSION_SECONDS = 3600


def iam_role(arn: str) -> Any | None:
    from moto.iam.models import iam_backends

    for account in iam_backends.values():
        for backend in account.values():
            for role in backend.roles.values():
                if role.arn == arn:
                    return role
    return None


def create_role(arn: str, *, max_session_seconds: int = DEFAULT_ROLE_SESSION_SECONDS) -> str:
    """Set up an IAM role in the ARN's account, as its administrator would (moto's IAM
    API creates roles only in the caller's account): what STS checks a session against."""
    from moto.iam.models import iam_backends

    account, name = arn.split(":")[4], arn.rsplit("/", 1)[-1]
    iam = iam_backends[account]["aws"]
    trust = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                }
            ]
        }
    )
    role = iam.create_role(name, trust, "/", None, "", [], str(max_session_seconds))
    return str(role.arn)


def check_role_session(arn: str, duration: int | None) -> None:
    role = iam_role(arn)
    if role is None:
        raise STSClientError(
            "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"
        )
    most = int(getattr(role, "max_session_duration", None) or DEFAULT_ROLE_SESSION_SECONDS)
    if (duration or DEFAULT_ROLE_SESSION_SECONDS) > most:
        raise STSClientError(
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        )


def check_custom_role(arn: str, logins: dict[str, str] | None) -> None:
    token = next(iter((logins or {}).values()), "")
    try:
        roles = _claims(token).get("cognito:roles") or []
    except ValueError:
        roles = []
    if arn not in roles:
        raise JsonRESTError(
            "InvalidParameterException",
            "The CustomRoleArn is not one of the roles in the token (cognito:roles).",
        )


def install_service_rules() -> None:
    """Lifetimes, client settings, client secrets, email MFA (the section above)."""
    CognitoIdpUserPool.create_jwt = create_jwt  # type: ignore[method-assign]
    CognitoIdpUserPool.create_refresh_token = create_refresh_token  # type: ignore[method-assign]
    CognitoIdpBackend.create_user_pool_client = create_user_pool_client  # type: ignore[method-assign,assignment]
    CognitoIdpBackend.update_user_pool_client = update_user_pool_client  # type: ignore[method-assign,assignment]
    CognitoIdpResponse.admin_set_user_mfa_preference = admin_set_user_mfa_preference  # type: ignore[method-assign]
    CognitoIdpResponse.add_user_pool_client_secret = add_user_pool_client_secret  # type: ignore[attr-defined]
    CognitoIdpResponse.delete_user_pool_client_secret = delete_user_pool_client_secret  # type: ignore[attr-defined]
    CognitoIdpResponse.list_user_pool_client_secrets = list_user_pool_client_secrets  # type: ignore[attr-defined]


def _recording_user_agents(call_action: Any) -> Any:
    def recorded(self: BaseResponse) -> Any:
        agent = str(self.headers.get("User-Agent") or "")
        if "cognito-credproc" in agent:
            with BEHAVIOUR.lock:
                BEHAVIOUR.tool_user_agents.append(agent)
        return call_action(self)

    recorded.recording = True  # type: ignore[attr-defined]
    return recorded


def install() -> None:
    import moto.cognitoidp.models

    if not getattr(BaseResponse.call_action, "recording", False):
        BaseResponse.call_action = _recording_user_agents(BaseResponse.call_action)  # type: ignore[method-assign]

    moto.cognitoidp.models.verify_totp = verify_totp  # type: ignore[attr-defined]
    moto.cognitoidp.models.cognito_totp = cognito_totp  # type: ignore[attr-defined]
    # Cognito always checks authenticator codes; moto only when a variable says so.
    moto.cognitoidp.models.get_cognito_idp_user_pool_enable_totp = lambda: True  # type: ignore[attr-defined]
    CognitoIdpBackend.associate_software_token = associate_software_token  # type: ignore[method-assign]
    CognitoIdpBackend.initiate_auth = initiate_auth  # type: ignore[method-assign]
    CognitoIdpBackend.respond_to_auth_challenge = respond_to_auth_challenge  # type: ignore[method-assign]
    CognitoIdpBackend.global_sign_out = global_sign_out  # type: ignore[method-assign]
    CognitoIdpBackend.verify_software_token = verify_software_token  # type: ignore[method-assign]
    # operations moto lacks
    CognitoIdpResponse.get_tokens_from_refresh_token = get_tokens_from_refresh_token  # type: ignore[attr-defined]
    CognitoIdpResponse.revoke_token = revoke_token  # type: ignore[attr-defined]
    CognitoIdpResponse.confirm_device = confirm_device  # type: ignore[attr-defined]
    install_service_rules()
    CognitoIdentityResponse.get_id = get_id  # type: ignore[method-assign]
    CognitoIdentityResponse.get_credentials_for_identity = get_credentials_for_identity  # type: ignore[method-assign]
    CognitoIdentityResponse.get_open_id_token = get_open_id_token  # type: ignore[method-assign]
    TokenResponse.assume_role_with_web_identity = assume_role_with_web_identity  # type: ignore[method-assign]
    from . import strict_userauth  # USER_AUTH, which moto lacks, on top of these patches

    strict_userauth.install()
    from . import strict_account  # account self-service, over both layers above

    strict_account.install()
