"""The answers to the user pool's challenges, one handler each (``HANDLERS``).

Every handler takes the sign-in (for calls, prompts and SECRET_HASH), the challenge's
parameters and session, and the sign-in's state, and returns Cognito's next answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import srp
from ..errors import AuthFailed, ServiceError
from ..prompt import get_totp

if TYPE_CHECKING:
    from .api import ApiSignIn, SignInState

Handler = Callable[["ApiSignIn", "dict[str, str]", "str | None", "SignInState"], "dict[str, Any]"]

MFA_TYPES = ("SOFTWARE_TOKEN_MFA", "SMS_MFA", "EMAIL_OTP")
EMPTY_ENTRIES = 3  # empty lines in a row before a code prompt gives up


def _named(params: dict[str, str], state: SignInState) -> None:
    """Answers name the user as the latest challenge did."""
    state.challenge_username = params.get("USERNAME") or state.challenge_username


def password_verifier(
    api: ApiSignIn, params: dict[str, str], session: str | None, state: SignInState
) -> dict[str, Any]:
    assert api.profile.user_pool_id is not None
    # The math uses USER_ID_FOR_SRP; the answer names the user as the challenge did
    # (USERNAME), and SECRET_HASH and device keys use that same name. Cognito puts the
    # same value in both; emulators such as moto put the sub in USER_ID_FOR_SRP and
    # refuse it as USERNAME.
    user_id = params.get("USER_ID_FOR_SRP") or state.username
    answer_name = params.get("USERNAME") or user_id
    state.challenge_username = answer_name
    state.internal_username = answer_name
    return answer_srp(
        api,
        "PASSWORD_VERIFIER",
        params,
        session,
        state,
        realm=srp.pool_realm(api.profile.user_pool_id),
        user_id=user_id,
        password=api.password,
        username=answer_name,
    )


def answer_srp(
    api: ApiSignIn,
    name: str,
    params: dict[str, str],
    session: str | None,
    state: SignInState,
    *,
    realm: str,
    user_id: str,
    password: Callable[[], str],
    username: str,
) -> dict[str, Any]:
    """Answer an SRP challenge (PASSWORD_VERIFIER, DEVICE_PASSWORD_VERIFIER) with the
    proof for ``user_id`` in ``realm``, sent in the name of ``username``."""
    try:
        proof = srp.answer_challenge(
            a=state.a,
            big_a=state.big_a,
            realm=realm,
            user_id=user_id,
            password=password(),
            salt_hex=params["SALT"],
            big_b_hex=params["SRP_B"],
            secret_block_b64=params["SECRET_BLOCK"],
        )
    except (KeyError, ValueError) as exc:
        raise ServiceError(
            f"malformed {name} challenge ({exc})", profile=api.profile.name
        ) from None
    answers = {
        "USERNAME": username,
        "PASSWORD_CLAIM_SECRET_BLOCK": proof.secret_block,
        "PASSWORD_CLAIM_SIGNATURE": proof.signature,
        "TIMESTAMP": proof.timestamp,
    }
    return api.respond(name, session, answers, state)


def new_password_required(
    api: ApiSignIn, params: dict[str, str], session: str | None, state: SignInState
) -> dict[str, Any]:
    ask = api.interaction
    ask.say(f"A new password is required for {state.username} (profile {api.profile.name}).")
    for _attempt in range(3):
        first = ask.ask("New password: ", secret=True)
        second = ask.ask("New password again: ", secret=True)
        if first and first == second:
            break
        ask.say("The passwords did not match, or were empty; try again.")
    else:
        raise AuthFailed(
            "no new password was set (the entries did not match)", profile=api.profile.name
        )
    api.register_secret(first)
    answers = {"NEW_PASSWORD": first}
    try:
        required = json.loads(params.get("requiredAttributes") or "[]")
    except ValueError:
        required = []
    for attribute in required if isinstance(required, list) else []:
        label = str(attribute).removeprefix("userAttributes.")
        answers[f"userAttributes.{label}"] = ask.ask(f"{label} (required by the pool): ")
    _named(params, state)
    response = api.respond("NEW_PASSWORD_REQUIRED", session, answers, state)
    api.use_password(first)
    return response


def code_challenge(
    api: ApiSignIn,
    name: str,
    field: str,
    label: str,
    session: str | None,
    state: SignInState,
    *,
    totp: bool = False,
    secret: bool = False,
) -> dict[str, Any]:
    """Ask for a one-time code (three tries for a person) and send it as ``field``.
    A ``secret`` code (one that signs in by itself) is typed without echo and redacted."""

    def typed() -> str:
        # An empty line is Enter pressed by mistake, not a wrong code: sending it would
        # spend the code's session on an error, so ask again without calling.
        for _ in range(EMPTY_ENTRIES):
            if totp:
                code = get_totp(api.profile, api.interaction, label)
            else:
                code = api.interaction.ask(label, secret=secret).strip()
            if code or (totp and api.profile.totp_command):
                return code
            api.interaction.say("No code entered; type the code, or press Ctrl-C to stop.")
        raise AuthFailed(
            f"no code was entered for {name}",
            profile=api.profile.name,
            hint=f"run: cognito-credproc login --profile {api.profile.name}",
        )

    def attempt() -> dict[str, Any]:
        code = typed()
        if secret and code:
            api.register_secret(code)
        return api.respond(name, session, {field: code}, state)

    return api.retrying(attempt)


def software_token_mfa(
    api: ApiSignIn, params: dict[str, str], session: str | None, state: SignInState
) -> dict[str, Any]:
    _named(params, state)
    return code_challenge(
        api,
        "SOFTWARE_TOKEN_MFA",
        "SOFTWARE_TOKEN_MFA_CODE",
        f"Authenticator app code for {state.username}: ",
        session,
        state,
        totp=True,
    )


def _delivered_code(name: str, medium: str, nowhere: str) -> Handler:
    """The handler of an MFA code the pool sent by ``medium``: asked for, and answered
    as ``NAME_CODE``."""

    def handler(
        api: ApiSignIn, params: dict[str, str], session: str | None, state: SignInState
    ) -> dict[str, Any]:
        _named(params, state)
        where = params.get("CODE_DELIVERY_DESTINATION", nowhere)
        label = f"Code sent by {medium} to {where}: "
        return code_challenge(api, name, f"{name}_CODE", label, session, state)

    return handler


sms_mfa = _delivered_code("SMS_MFA", "SMS", "your phone")
email_otp = _delivered_code("EMAIL_OTP", "email", "your email address")


def select_mfa_type(
    api: ApiSignIn, params: dict[str, str], session: str | None, state: SignInState
) -> dict[str, Any]:
    choices = mfa_names(params.get("MFAS_CAN_CHOOSE")) or ["SOFTWARE_TOKEN_MFA", "SMS_MFA"]
    if api.profile.totp_command and "SOFTWARE_TOKEN_MFA" in choices:
        choice = "SOFTWARE_TOKEN_MFA"
    else:
        choice = pick(api, "Choose a second factor", choices)
    return api.respond("SELECT_MFA_TYPE", session, {"ANSWER": choice}, state)


def pick(api: ApiSignIn, question: str, choices: list[str]) -> str:
    """Ask a person to choose one of ``choices``, by number or by name."""
    names = ", ".join(f"{i}) {c}" for i, c in enumerate(choices, 1))
    while True:
        picked = api.interaction.ask(f"{question} [{names}]: ").strip()
        if picked.isdigit() and 1 <= int(picked) <= len(choices):
            return choices[int(picked) - 1]
        if picked.upper() in choices:
            return picked.upper()
        api.interaction.say(f"Answer with a number from 1 to {len(choices)}.")


def mfa_setup(
    api: ApiSignIn, params: dict[str, str], session: str | None, state: SignInState
) -> dict[str, Any]:
    can = mfa_names(params.get("MFAS_CAN_SETUP"))
    if "SOFTWARE_TOKEN_MFA" not in can:
        raise AuthFailed(
            f"the pool requires setting up MFA ({', '.join(map(str, can)) or 'unknown'}), "
            "which must be done in the pool's hosted sign-in page",
            profile=api.profile.name,
        )
    if not api.interaction.interactive:
        api.interaction.ask("set up an authenticator app")  # raises SignInRequired
    associated = api.call("associate_software_token", Session=session)
    secret = associated["SecretCode"]
    api.register_secret(secret)
    from ..account.mfa import otpauth_uri
    from ..account.qr import TooLong, encode, render

    assert api.profile.user_pool_id is not None
    uri = otpauth_uri(api.profile.user_pool_id, state.username, secret)
    api.interaction.say("Set up an authenticator app (TOTP) to finish signing in.")
    api.interaction.say("Scan this QR code with the app:")
    try:
        for line in render(encode(uri)):
            api.interaction.say(line)
    except TooLong:
        api.interaction.say("(too long for a QR code: type the key instead)")
    api.interaction.say(f"Secret key: {secret}")
    api.interaction.say(f"Or add this URI: {uri}")
    verify_session = associated.get("Session") or session

    def verify() -> dict[str, Any]:
        code = api.interaction.ask("Code shown by the app: ").strip()
        return api.call(
            "verify_software_token",
            Session=verify_session,
            UserCode=code,
            FriendlyDeviceName="cognito-credproc",
        )

    verified = api.retrying(verify)
    if verified.get("Status") != "SUCCESS":
        raise AuthFailed("the authenticator code was not accepted", profile=api.profile.name)
    _named(params, state)
    return api.respond("MFA_SETUP", verified.get("Session") or verify_session, {}, state)


def custom_challenge(
    api: ApiSignIn, params: dict[str, str], session: str | None, state: SignInState
) -> dict[str, Any]:
    shown = {k: v for k, v in params.items() if k not in ("USERNAME",)}
    if shown:
        api.interaction.say("Custom challenge: " + ", ".join(f"{k}={v}" for k, v in shown.items()))
    answer = api.interaction.ask("Answer: ")
    return api.respond("CUSTOM_CHALLENGE", session, {"ANSWER": answer}, state)


def mfa_names(raw: object) -> list[str]:
    """MFAS_CAN_CHOOSE / MFAS_CAN_SETUP: Cognito sends a JSON list inside a string; be
    forgiving about the encoding (emulators differ) and keep Cognito's order."""
    if isinstance(raw, list):
        return [str(item) for item in raw if str(item) in MFA_TYPES]
    if not isinstance(raw, str):
        return []
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if isinstance(parsed, list):
        return [str(item) for item in parsed if str(item) in MFA_TYPES]
    found = [(raw.find(name), name) for name in MFA_TYPES if name in raw]
    return [name for _, name in sorted(found)]


HANDLERS: dict[str, Handler] = {
    "PASSWORD_VERIFIER": password_verifier,
    "NEW_PASSWORD_REQUIRED": new_password_required,
    "SOFTWARE_TOKEN_MFA": software_token_mfa,
    "SMS_MFA": sms_mfa,
    "EMAIL_OTP": email_otp,
    "SELECT_MFA_TYPE": select_mfa_type,
    "MFA_SETUP": mfa_setup,
    "CUSTOM_CHALLENGE": custom_challenge,
}
