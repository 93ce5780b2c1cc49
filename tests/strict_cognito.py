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
import secrets
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from moto.cognitoidentity.responses import CognitoIdentityResponse
from moto.cognitoidp.models import CognitoIdpBackend
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import JsonRESTError
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


BEHAVIOUR = Behaviour()


def _record_tokens(result: dict[str, Any]) -> dict[str, Any]:
    """Every answer of the user pool passes here: its tokens are recorded, and an SMS_MFA
    challenge texts its code (moto sends none and would take any)."""
    auth = result.get("AuthenticationResult") or {}
    BEHAVIOUR.record(*(auth.get(name) for name in ("IdToken", "AccessToken", "RefreshToken")))
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


def check_secret_hash(client: Any, username: str, given: str | None) -> None:
    """SECRET_HASH as Cognito checks it, for an app client with a secret."""
    if not client.generate_secret:
        return
    if not given:
        raise _not_authorized(
            f"Client {client.id} is configured with secret but SECRET_HASH was not received"
        )
    if not hmac.compare_digest(given, _secret_hash(client.secret, username, client.id)):
        raise _not_authorized(f"Unable to verify secret hash for client {client.id}")


def _check_client_secret(client: Any, given: str | None, code: str) -> None:
    """ClientSecret as GetTokensFromRefreshToken and RevokeToken take it."""
    if client.generate_secret and not hmac.compare_digest(given or "", client.secret):
        raise JsonRESTError(code, f"Unable to verify client secret for client {client.id}")


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
        if client_id in BEHAVIOUR.rotating_clients:
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
            )
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
        result = _devices_after_sign_in(pool, user.username, params.get("DEVICE_KEY"), result)
    return _record_tokens(result)


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
    answers = dict(challenge_responses or {})
    # After the first step, SECRET_HASH is made with the name the challenge gave.
    check_secret_hash(client, answers.get("USERNAME", ""), answers.get("SECRET_HASH"))
    if challenge_name in ("DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER"):
        return _record_tokens(_device_challenge(pool, session, challenge_name, answers))
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
        result = _devices_after_sign_in(pool, user.username, answers.get("DEVICE_KEY"), result)
    return _record_tokens(result)


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
    if with_client_secret and client.id in BEHAVIOUR.rotating_clients:
        new_token, _ = pool.create_refresh_token(client.id, username)
        pool.refresh_tokens[token] = None  # no grace period: the old one is spent
        with BEHAVIOUR.lock:
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
    return json.dumps(_record_tokens(result))


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
    BEHAVIOUR.count("GlobalSignOut")
    try:
        scopes = str(_claims(access_token).get("scope", "")).split()
    except ValueError:
        scopes = []
    if ADMIN_SCOPE not in scopes:
        raise _not_authorized("Access Token does not have required scopes")
    _MOTO_GLOBAL_SIGN_OUT(self, access_token)


def _identity_pool(pool_id: str) -> Any | None:
    from moto.cognitoidentity.models import cognitoidentity_backends

    region = pool_id.split(":")[0]
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
    if not provider.startswith("cognito-idp."):
        _check_oidc_login(provider, token, claims, pool)
    elif claims.get("iss") != f"https://{provider}":
        raise _not_authorized("Invalid login token. Issuer doesn't match providerName")
    if provider.startswith("cognito-idp."):
        if claims.get("token_use") != "id":
            raise _not_authorized("Invalid login token. Token is not an ID token.")
        if not _user_pool_issued(provider, token):
            raise _not_authorized("Invalid login token. Token signature invalid.")
    if trusted[provider] and claims.get("aud") not in trusted[provider]:
        raise _not_authorized("Invalid login token. Incorrect token audience.")
    if claims.get("exp", 0) <= time.time():
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
    pool = _identity_pool(pool_id)
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


def _identity(identity_id: str, logins: dict[str, str] | None) -> tuple[str, str | None]:
    """Check an IdentityId and the Logins sent with it as Cognito does: the identity must
    exist, an authenticated one needs a valid login of its own user, a guest none.
    Returns (identity pool id, login provider or None)."""
    with BEHAVIOUR.lock:
        found = BEHAVIOUR.identities.get(identity_id)
    pool = _identity_pool(found[0]) if found else None
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
    _identity(identity_id, self._get_param("Logins"))
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
    pool_id, provider = _identity(identity_id, self._get_param("Logins"))
    now = int(time.time())
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
    if claims.get("exp", 0) <= time.time():
        raise STSClientError("ExpiredTokenException", "Token expired.")


_original_assume_role_with_web_identity = TokenResponse.assume_role_with_web_identity


def assume_role_with_web_identity(self: TokenResponse) -> Any:
    BEHAVIOUR.count("AssumeRoleWithWebIdentity")
    _check_openid_token(self._get_param("WebIdentityToken") or "")
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


def install() -> None:
    import moto.cognitoidp.models

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
    CognitoIdentityResponse.get_id = get_id  # type: ignore[method-assign]
    CognitoIdentityResponse.get_credentials_for_identity = get_credentials_for_identity  # type: ignore[method-assign]
    CognitoIdentityResponse.get_open_id_token = get_open_id_token  # type: ignore[method-assign]
    TokenResponse.assume_role_with_web_identity = assume_role_with_web_identity  # type: ignore[method-assign]
    from . import strict_userauth  # USER_AUTH, which moto lacks, on top of these patches

    strict_userauth.install()
