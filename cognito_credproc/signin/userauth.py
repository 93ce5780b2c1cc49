"""Choice-based sign-in (``auth_flow = USER_AUTH``): the first factor is a one-time code
by email or SMS, the password (SRP or sent as it is), or a passkey. What follows the first
factor (MFA, devices, tokens) is the same as for the other API flows.

    InitiateAuth USER_AUTH [PREFERRED_CHALLENGE + PASSWORD | SRP_A]
        -> EMAIL_OTP | SMS_OTP    code typed on the terminal (three tries) -> tokens
        -> PASSWORD_VERIFIER      (PASSWORD_SRP) the usual SRP proof
        -> tokens or MFA          (PASSWORD)
        -> SELECT_CHALLENGE       AvailableChallenges: answer with a password source,
                                  else ask the person; a passkey alone needs a browser
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import srp
from ..awserrors import CognitoError
from ..config import ENV_PASSWORD
from ..errors import AuthFailed, SignInRequired
from . import challenges

if TYPE_CHECKING:
    from .api import ApiSignIn, SignInState
    from .challenges import Handler

log = logging.getLogger("cognito_credproc")

# first factor -> (answer field, how the code travels)
CODE_FACTORS = {"EMAIL_OTP": ("EMAIL_OTP_CODE", "email"), "SMS_OTP": ("SMS_OTP_CODE", "SMS")}
# SRP first: the password never leaves this machine.
PASSWORD_FACTORS = ("PASSWORD_SRP", "PASSWORD")


def _shown(text: str, limit: int = 80) -> str:
    """Text from the service as it may appear on a terminal: printable, and short."""
    from ..redact import clip

    return clip("".join(ch for ch in text if ch.isprintable()), limit)


def has_password_source(api: ApiSignIn) -> bool:
    """A password is at hand without asking anyone."""
    return bool(api.profile.password_command or api.environ.get(ENV_PASSWORD))


def _login_hint(api: ApiSignIn) -> str:
    return f"run: cognito-credproc login --profile {api.profile.name}"


def first_parameters(api: ApiSignIn, state: SignInState) -> dict[str, str]:
    """InitiateAuth's AuthParameters for USER_AUTH (SECRET_HASH and DEVICE_KEY are the
    caller's). Fails before any call when nobody could answer what would follow, so that
    no code is sent to a mailbox for a run that cannot type it."""
    preferred = api.profile.preferred_challenge
    params = {"USERNAME": state.username}
    if preferred in CODE_FACTORS and not api.interaction.interactive:
        raise SignInRequired(
            f"signing in needs the one-time code Cognito sends by {CODE_FACTORS[preferred][1]} "
            f"({preferred}), and there is no terminal to type it on",
            profile=api.profile.name,
            hint=_login_hint(api),
        )
    if preferred is None and not api.interaction.interactive and not has_password_source(api):
        raise SignInRequired(
            "signing in needs a choice of first factor (a code, or a password) and there is "
            f"no terminal, no password_command and no {ENV_PASSWORD}",
            profile=api.profile.name,
            hint=_login_hint(api),
        )
    if preferred is not None:
        state.first_factor = preferred
        params["PREFERRED_CHALLENGE"] = preferred
        params.update(_factor_parameters(api, preferred, state))
    return params


def _factor_parameters(api: ApiSignIn, factor: str, state: SignInState) -> dict[str, str]:
    """What a first factor needs up front: the password, or SRP's A."""
    if factor == "PASSWORD":
        return {"PASSWORD": api.password()}
    if factor == "PASSWORD_SRP":
        api.password()  # without a password source, fail before any call
        state.a, state.big_a = srp.generate_private()
        return {"SRP_A": format(state.big_a, "x")}
    return {}


def _passkey_only(api: ApiSignIn) -> AuthFailed:
    return AuthFailed(
        f"Cognito offers {api.profile.username} only a passkey (WEB_AUTHN), "
        "which needs a browser, not a terminal",
        profile=api.profile.name,
        hint=f"set auth_flow = BROWSER in [{api.profile.name}] of {api.profile.source} "
        "to sign in through managed login, which supports passkeys",
    )


def choose(api: ApiSignIn, available: list[str]) -> str:
    """The first factor to answer SELECT_CHALLENGE with."""
    preferred = api.profile.preferred_challenge
    if preferred in available:
        return preferred
    if preferred is not None:
        # Cognito offers the choices when the preferred one is not there for this user.
        log.debug("%s is not offered (offered: %s)", preferred, ", ".join(available))
        api.interaction.say(f"{preferred} is not available for {api.profile.username}.")
    password = next((f for f in PASSWORD_FACTORS if f in available), None)
    if password is not None and has_password_source(api):
        return password
    answerable = [f for f in CODE_FACTORS if f in available]
    if password is not None:
        answerable.append(password)  # one entry: both ask for the same password
    if not answerable:
        if "WEB_AUTHN" in available:
            raise _passkey_only(api)
        raise AuthFailed(
            "Cognito offers no first factor this tool can answer "
            f"({', '.join(available) or 'none'})",
            profile=api.profile.name,
            hint="check the user pool's allowed first factors and the user's "
            "verified email address or phone number",
        )
    if not api.interaction.interactive:
        raise SignInRequired(
            f"Cognito offers {', '.join(answerable)} for {api.profile.username}; choosing "
            "needs a terminal",
            profile=api.profile.name,
            hint=_login_hint(api),
        )
    if len(answerable) == 1:
        return answerable[0]
    return challenges.pick(api, "Sign in with", answerable)


def _answering(api: ApiSignIn, step: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one step of the first factor; say plainly what a refusal means."""
    try:
        return step()
    except CognitoError as exc:
        if exc.code == "CodeMismatchException":
            raise AuthFailed(
                "the one-time code was not accepted; after three wrong codes Cognito ends "
                "the sign-in",
                profile=api.profile.name,
                hint=f"{_login_hint(api)} (a new code is sent)",
            ) from None
        if exc.code == "ExpiredCodeException" or (
            exc.code == "NotAuthorizedException" and "session" in exc.detail.lower()
        ):
            # A CognitoError that mentions the session: ``login`` starts again.
            raise SessionExpired(
                exc.code,
                "the sign-in session or its code expired before the answer arrived",
                profile=api.profile.name,
                hint=f"{_login_hint(api)} and type the code within a few minutes",
            ) from None
        raise


class SessionExpired(CognitoError, AuthFailed):
    """The code, or the sign-in session it belongs to, ran out."""


def select_challenge(
    api: ApiSignIn, params: dict[str, str], session: str | None, state: SignInState
) -> dict[str, Any]:
    # names only: nothing the service sends reaches the terminal unfiltered
    available = [c for c in state.available if c.isidentifier() and c.isupper() and len(c) < 40]
    log.debug("Cognito offers %s", ", ".join(available) or "nothing")
    choice = choose(api, available)
    state.first_factor = choice
    answers = {"ANSWER": choice, **_factor_parameters(api, choice, state)}
    return _answering(api, lambda: api.respond("SELECT_CHALLENGE", session, answers, state))


def _code(
    api: ApiSignIn, name: str, params: dict[str, str], session: str | None, state: SignInState
) -> dict[str, Any]:
    """A one-time code as the first factor: it signs in by itself, so it is typed without
    echo and kept out of every message, like a password."""
    state.challenge_username = params.get("USERNAME") or state.challenge_username
    field, medium = CODE_FACTORS[name]
    where = _shown(params.get("CODE_DELIVERY_DESTINATION") or "") or (
        "your email address" if name == "EMAIL_OTP" else "your phone"
    )
    label = f"Code sent by {medium} to {where}: "
    return _answering(
        api,
        lambda: challenges.code_challenge(api, name, field, label, session, state, secret=True),
    )


def email_otp(
    api: ApiSignIn, params: dict[str, str], session: str | None, state: SignInState
) -> dict[str, Any]:
    if api.profile.auth_flow != "USER_AUTH" or state.first_factor in PASSWORD_FACTORS:
        # EMAIL_OTP after a password is MFA: answered as it is for the other flows
        return challenges.email_otp(api, params, session, state)
    # Otherwise it is the first factor, whatever was preferred: Cognito may answer a
    # preference the user lacks with the factor they have. It signs in by itself.
    state.first_factor = "EMAIL_OTP"
    return _code(api, "EMAIL_OTP", params, session, state)


def sms_otp(
    api: ApiSignIn, params: dict[str, str], session: str | None, state: SignInState
) -> dict[str, Any]:
    return _code(api, "SMS_OTP", params, session, state)


def web_authn(
    api: ApiSignIn, params: dict[str, str], session: str | None, state: SignInState
) -> dict[str, Any]:
    raise _passkey_only(api)


HANDLERS: dict[str, Handler] = {
    "SELECT_CHALLENGE": select_challenge,
    "EMAIL_OTP": email_otp,
    "SMS_OTP": sms_otp,
    "WEB_AUTHN": web_authn,
}
