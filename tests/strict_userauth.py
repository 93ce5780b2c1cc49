"""Choice-based sign-in (``AuthFlow=USER_AUTH``) for the strict local Cognito.

moto answers USER_AUTH with InvalidParameterException. This layer, installed on top of
``strict_cognito``, plays the service's side of it inside the test process:

- the app client must list ``ALLOW_USER_AUTH``; a pool on the LITE plan has no USER_AUTH;
- the first factors offered are the pool's ``Policies.SignInPolicy.AllowedFirstAuthFactors``
  (PASSWORD only when unset; PASSWORD stands for both PASSWORD and PASSWORD_SRP) that the
  user can use: a password, a verified email (EMAIL_OTP), a verified phone (SMS_OTP), a
  registered passkey (WEB_AUTHN);
- no ``PREFERRED_CHALLENGE``, or one the user cannot use: SELECT_CHALLENGE with a top-level
  ``AvailableChallenges``;
- EMAIL_OTP / SMS_OTP send a code to ``USERAUTH.outbox`` (the test reads it there) and say
  where it went, masked; three wrong codes end the session;
- PASSWORD and PASSWORD_SRP go through moto's own password and SRP paths, so what follows
  (NEW_PASSWORD_REQUIRED, MFA) and the tokens are moto's; the SRP proof is checked with
  the test-side verifier in ``srp_server`` as ``strict_cognito`` does;
- sessions expire after the app client's AuthSessionValidity (minutes) by ``USERAUTH.clock``,
  and every step hands out a new session: an old, unknown or expired one is refused;
- SECRET_HASH is checked on every call for clients with a secret;
- with device tracking on (``BEHAVIOUR.device_tracking``) every first factor ends as the
  other flows do: a new device in NewDeviceMetadata, or DEVICE_SRP_AUTH for the remembered
  one named by InitiateAuth's DEVICE_KEY.

Tokens are minted by moto's user pool, so refresh, sign-out and the identity pool work on
them as on any other. Every call is counted in ``BEHAVIOUR.calls`` and every code and token
is recorded in ``BEHAVIOUR.issued`` for the leak checks.
"""

from __future__ import annotations

import base64
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.cognitoidp.models import CognitoIdpBackend
from moto.core.exceptions import JsonRESTError

from . import strict_cognito
from .strict_cognito import BEHAVIOUR

FIRST_FACTORS = ("EMAIL_OTP", "SMS_OTP", "WEB_AUTHN", "PASSWORD", "PASSWORD_SRP")
PASSWORDLESS = ("EMAIL_OTP", "SMS_OTP", "WEB_AUTHN")
OTP_FIELDS = {"EMAIL_OTP": "EMAIL_OTP_CODE", "SMS_OTP": "SMS_OTP_CODE"}
MAX_WRONG_CODES = 3
CODE_DIGITS = 8


@dataclass
class Delivery:
    """One code "sent" by email or SMS."""

    pool_id: str
    username: str
    medium: str  # EMAIL or SMS
    destination: str
    code: str


@dataclass
class _Session:
    pool_id: str
    client_id: str
    username: str  # the pool's username (internal)
    signed_in_as: str  # what USERNAME said at InitiateAuth (may be an alias)
    expires_at: float
    step: str  # SELECT_CHALLENGE, EMAIL_OTP, SMS_OTP, WEB_AUTHN, PASSWORD_VERIFIER
    device_key: str | None = None  # InitiateAuth's DEVICE_KEY: a remembered device
    available: list[str] = field(default_factory=list)
    code: str = ""
    wrong: int = 0
    secret_block: str = ""


class UserAuthBehaviour:
    """Knobs, state and the outbox of the USER_AUTH layer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # the service's clock (strict_cognito's), unless a test sets its own
        self.clock: Callable[[], float] = BEHAVIOUR.now
        self.sessions: dict[str, _Session] = {}
        self.srp_blocks: dict[str, str] = {}  # SECRET_BLOCK -> USER_AUTH session
        self.outbox: list[Delivery] = []
        self.passkeys: set[tuple[str, str]] = set()  # (pool id, username)
        self.passwordless: set[tuple[str, str]] = set()  # users without a password
        self.codes_expired = False
        # every InitiateAuth USER_AUTH's PREFERRED_CHALLENGE (None when absent)
        self.preferred: list[str | None] = []
        self.answers: list[str] = []  # every SELECT_CHALLENGE ANSWER

    def reset(self) -> None:
        with self.lock:
            self.clock = BEHAVIOUR.now
            self.sessions.clear()
            self.srp_blocks.clear()
            self.outbox.clear()
            self.passkeys.clear()
            self.passwordless.clear()
            self.codes_expired = False
            self.preferred.clear()
            self.answers.clear()

    def codes_for(self, username: str) -> list[str]:
        with self.lock:
            return [d.code for d in self.outbox if d.username == username]

    def last_code(self, username: str) -> str:
        codes = self.codes_for(username)
        assert codes, f"no code was sent to {username}"
        return codes[-1]

    def expire_sessions(self) -> None:
        """As if the person took longer than the session allows."""
        with self.lock:
            for session in self.sessions.values():
                session.expires_at = 0.0


USERAUTH = UserAuthBehaviour()


def _error(code: str, message: str) -> JsonRESTError:
    return JsonRESTError(code, message)


def _invalid_session(expired: bool = False) -> JsonRESTError:
    text = "Invalid session for the user, session is expired." if expired else ""
    return _error("NotAuthorizedException", text or "Invalid session for the user.")


def _check_secret_hash(
    client: Any, params: dict[str, str], missing: str = strict_cognito.NO_SECRET_INITIATE
) -> None:
    strict_cognito.check_secret_hash(
        client, params.get("USERNAME", ""), params.get("SECRET_HASH"), missing
    )


def _attributes(user: Any) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in user.attributes}


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


def mask_phone(number: str) -> str:
    return "+" + "*" * max(len(number) - 5, 1) + number[-4:]


def _tier(pool: Any) -> str:
    return str(pool.extended_config.get("UserPoolTier") or "ESSENTIALS")


def _pool_factors(pool: Any) -> list[str]:
    policy = (pool.extended_config.get("Policies") or {}).get("SignInPolicy") or {}
    allowed = list(policy.get("AllowedFirstAuthFactors") or ["PASSWORD"])
    if _tier(pool) == "LITE":
        allowed = [f for f in allowed if f == "PASSWORD"]
    return allowed


def available_for(pool: Any, user: Any) -> list[str]:
    """The first factors this user can use on this pool, in the order the layer offers them."""
    allowed = _pool_factors(pool)
    attrs = _attributes(user)
    key = (pool.id, user.username)
    can = {
        "EMAIL_OTP": bool(attrs.get("email")) and attrs.get("email_verified") == "true",
        "SMS_OTP": bool(attrs.get("phone_number")) and attrs.get("phone_number_verified") == "true",
        "WEB_AUTHN": key in USERAUTH.passkeys,
        "PASSWORD": key not in USERAUTH.passwordless,
        "PASSWORD_SRP": key not in USERAUTH.passwordless,
    }
    factor_of = {"PASSWORD_SRP": "PASSWORD"}
    return [name for name in FIRST_FACTORS if can[name] and factor_of.get(name, name) in allowed]


def _new_session(session: _Session) -> str:
    token = base64.urlsafe_b64encode(os.urandom(48)).decode()
    with USERAUTH.lock:
        USERAUTH.sessions[token] = session
    return token


def _take_session(token: str | None, step: str | None = None) -> _Session:
    """The session named by ``token``; it is used up (each answer gets a new one)."""
    with USERAUTH.lock:
        session = USERAUTH.sessions.get(token or "")
        if session is None:
            raise _invalid_session()
        if session.expires_at <= USERAUTH.clock():
            del USERAUTH.sessions[token or ""]
            raise _invalid_session(expired=True)
        if step is not None and session.step != step:
            raise _invalid_session()
        return session


def _end_session(token: str | None) -> None:
    with USERAUTH.lock:
        USERAUTH.sessions.pop(token or "", None)


def _record(result: dict[str, Any]) -> dict[str, Any]:
    return strict_cognito._record_tokens(result)


def _signed_in(pool: Any, session: _Session, result: dict[str, Any]) -> dict[str, Any]:
    """Tokens from a first factor, through the pool's device tracking as for any flow."""
    return _record(
        strict_cognito._devices_after_sign_in(pool, session.username, session.device_key, result)
    )


def _challenge(name: str, session: _Session, params: dict[str, str]) -> dict[str, Any]:
    session.step = name
    return {"ChallengeName": name, "ChallengeParameters": params, "Session": _new_session(session)}


def _start_factor(
    backend: CognitoIdpBackend,
    pool: Any,
    client: Any,
    user: Any,
    factor: str,
    params: dict[str, str],
    session: _Session,
) -> dict[str, Any]:
    """Begin (or, for PASSWORD, finish) the chosen first factor."""
    if factor == "PASSWORD":
        if not params.get("PASSWORD"):
            raise _error("InvalidParameterException", "Missing required parameter PASSWORD")
        result = strict_cognito._original_initiate(
            backend,
            client.id,
            "USER_PASSWORD_AUTH",
            {"USERNAME": user.username, "PASSWORD": params["PASSWORD"]},
        )
        return _signed_in(pool, session, result)
    if factor == "PASSWORD_SRP":
        if not params.get("SRP_A"):
            raise _error("InvalidParameterException", "Missing required parameter SRP_A")
        moto_params = {"USERNAME": user.username, "SRP_A": params["SRP_A"]}
        if client.generate_secret:
            moto_params["SECRET_HASH"] = strict_cognito._secret_hash(
                client.secret, user.username, client.id
            )
        result = strict_cognito._original_initiate(backend, client.id, "USER_SRP_AUTH", moto_params)
        challenge = strict_cognito.start_password_srp(
            pool, user, params["SRP_A"], result["Session"]
        )
        session.secret_block = challenge["SECRET_BLOCK"]
        answer = _challenge("PASSWORD_VERIFIER", session, challenge)
        with USERAUTH.lock:
            USERAUTH.srp_blocks[challenge["SECRET_BLOCK"]] = answer["Session"]
        return answer
    if factor in OTP_FIELDS:
        attrs = _attributes(user)
        if factor == "EMAIL_OTP":
            medium, destination = "EMAIL", attrs["email"]
            shown = mask_email(destination)
        else:
            medium, destination = "SMS", attrs["phone_number"]
            shown = mask_phone(destination)
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        session.code = code
        session.wrong = 0
        with USERAUTH.lock:
            USERAUTH.outbox.append(Delivery(pool.id, user.username, medium, destination, code))
        with BEHAVIOUR.lock:
            BEHAVIOUR.issued.add(code)
        return _challenge(
            factor,
            session,
            {"CODE_DELIVERY_DELIVERY_MEDIUM": medium, "CODE_DELIVERY_DESTINATION": shown},
        )
    if factor == "WEB_AUTHN":
        options = '{"challenge":"' + secrets.token_urlsafe(32) + '","rpId":"auth.example.test"}'
        return _challenge("WEB_AUTHN", session, {"CREDENTIAL_REQUEST_OPTIONS": options})
    raise _error("InvalidParameterException", f"{factor} is not a first factor")


def _initiate_user_auth(
    backend: CognitoIdpBackend, client_id: str, params: dict[str, str]
) -> dict[str, Any]:
    BEHAVIOUR.count("InitiateAuth:USER_AUTH")
    pool, client = strict_cognito._find_client(backend, client_id)
    flows = client.extended_config.get("ExplicitAuthFlows") or []
    if "ALLOW_USER_AUTH" not in flows:
        raise _error("InvalidParameterException", "USER_AUTH flow not enabled for this client")
    if _tier(pool) == "LITE":
        raise _error(
            "FeatureUnavailableInTierException",
            "USER_AUTH is not available for the LITE feature plan of this user pool",
        )
    preferred = params.get("PREFERRED_CHALLENGE")
    with USERAUTH.lock:
        USERAUTH.preferred.append(preferred)
    if not params.get("USERNAME"):
        raise _error("InvalidParameterException", "Missing required parameter USERNAME")
    if preferred is not None and preferred not in FIRST_FACTORS:
        raise _error(
            "InvalidParameterException",
            f"Value '{preferred}' at 'PREFERRED_CHALLENGE' failed to satisfy constraint",
        )
    _check_secret_hash(client, params)
    user = pool._get_user(params["USERNAME"])
    if user is None:
        raise _error("UserNotFoundException", "User does not exist.")
    if not user.enabled:
        raise _error("NotAuthorizedException", "User is disabled.")
    available = available_for(pool, user)
    validity = float(client.extended_config.get("AuthSessionValidity") or 3) * 60
    session = _Session(
        pool_id=pool.id,
        client_id=client_id,
        username=user.username,
        signed_in_as=params["USERNAME"],
        expires_at=USERAUTH.clock() + validity,
        step="SELECT_CHALLENGE",
        available=available,
        device_key=params.get("DEVICE_KEY"),
    )
    if preferred in available:
        return _start_factor(backend, pool, client, user, preferred, params, session)
    # No preference, or one this user cannot use here: the service lists the choices.
    answer = _challenge("SELECT_CHALLENGE", session, {})
    answer["AvailableChallenges"] = list(available)
    return answer


def _names_user(session: _Session, given: str | None) -> bool:
    return given in (session.username, session.signed_in_as)


def _respond(
    backend: CognitoIdpBackend,
    token: str | None,
    client_id: str,
    name: str,
    answers: dict[str, str],
) -> dict[str, Any]:
    BEHAVIOUR.count(f"RespondToAuthChallenge:{name}")
    pool, client = strict_cognito._find_client(backend, client_id)
    _check_secret_hash(client, answers, strict_cognito.NO_SECRET_RESPOND)
    session = _take_session(token, name)
    if session.client_id != client_id:
        raise _invalid_session()
    if not _names_user(session, answers.get("USERNAME")):
        raise _error("NotAuthorizedException", "Invalid session for the user.")
    user = pool._get_user(session.username)
    if name == "SELECT_CHALLENGE":
        choice = answers.get("ANSWER", "")
        with USERAUTH.lock:
            USERAUTH.answers.append(choice)
        if choice not in session.available:
            raise _error(
                "InvalidParameterException",
                f"ANSWER {choice or '(none)'} is not one of the available challenges",
            )
        _end_session(token)
        return _start_factor(backend, pool, client, user, choice, answers, session)
    if name in OTP_FIELDS:
        code = answers.get(OTP_FIELDS[name])
        if not code:
            raise _error(
                "InvalidParameterException", f"Missing required parameter {OTP_FIELDS[name]}"
            )
        if USERAUTH.codes_expired:
            _end_session(token)
            raise _error(
                "ExpiredCodeException", "Invalid code provided, please request a code again."
            )
        if code != session.code:
            with USERAUTH.lock:
                session.wrong += 1
                if session.wrong >= MAX_WRONG_CODES:
                    USERAUTH.sessions.pop(token or "", None)
            raise _error("CodeMismatchException", "Invalid code or auth state for the user.")
        _end_session(token)
        # A one-time code as the first factor: no MFA follows, tokens now.
        return _signed_in(pool, session, backend._log_user_in(pool, client, session.username))
    if name == "WEB_AUTHN":
        _end_session(token)
        raise _error("NotAuthorizedException", "Incorrect username or passkey credential.")
    raise _invalid_session()


_previous_initiate: Any = None
_previous_respond: Any = None


def initiate_auth(
    self: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
) -> dict[str, Any]:
    if auth_flow == "USER_AUTH":
        return _initiate_user_auth(self, client_id, auth_parameters or {})
    result: dict[str, Any] = _previous_initiate(self, client_id, auth_flow, auth_parameters)
    return result


def respond_to_auth_challenge(
    self: CognitoIdpBackend,
    session: str,
    client_id: str,
    challenge_name: str,
    challenge_responses: dict[str, str],
) -> dict[str, Any]:
    answers = challenge_responses or {}
    with USERAUTH.lock:
        mine = session in USERAUTH.sessions
        srp_session = USERAUTH.srp_blocks.get(answers.get("PASSWORD_CLAIM_SECRET_BLOCK", ""))
    if challenge_name == "PASSWORD_VERIFIER" and srp_session is not None:
        # PASSWORD_SRP of USER_AUTH: this session must be the one that began it.
        if session != srp_session:
            BEHAVIOUR.count("RespondToAuthChallenge:PASSWORD_VERIFIER")
            raise _invalid_session()
        _take_session(session, "PASSWORD_VERIFIER")
        _end_session(session)
        with USERAUTH.lock:
            USERAUTH.srp_blocks.pop(answers["PASSWORD_CLAIM_SECRET_BLOCK"], None)
    elif mine or challenge_name in ("SELECT_CHALLENGE", "SMS_OTP", "WEB_AUTHN"):
        return _respond(self, session, client_id, challenge_name, answers)
    elif challenge_name in ("PASSWORD", "PASSWORD_SRP"):
        BEHAVIOUR.count(f"RespondToAuthChallenge:{challenge_name}")
        raise _invalid_session()
    elif challenge_name == "EMAIL_OTP" and session not in self.sessions:
        BEHAVIOUR.count("RespondToAuthChallenge:EMAIL_OTP")
        raise _invalid_session()
    result: dict[str, Any] = _previous_respond(
        self, session, client_id, challenge_name, challenge_responses
    )
    return result


def install() -> None:
    """Wrap whatever InitiateAuth / RespondToAuthChallenge are installed (strict's)."""
    global _previous_initiate, _previous_respond
    if CognitoIdpBackend.initiate_auth is initiate_auth:
        return
    _previous_initiate = CognitoIdpBackend.initiate_auth
    _previous_respond = CognitoIdpBackend.respond_to_auth_challenge
    CognitoIdpBackend.initiate_auth = initiate_auth  # type: ignore[method-assign]
    CognitoIdpBackend.respond_to_auth_challenge = respond_to_auth_challenge  # type: ignore[method-assign]
