"""``signup``, ``signup confirm`` and ``signup resend``, and the confirmation a sign-in
offers when Cognito answers UserNotConfirmedException.

    signup:  a password twice (and the attributes the pool requires) -> SignUp -> confirm
    confirm: the code sent at sign-up (Enter: ResendConfirmationCode) -> ConfirmSignUp
    resend:  ResendConfirmationCode -> where the code went
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any

from ..awserrors import CognitoError
from ..errors import EXIT_OK, AuthFailed
from . import (
    PASSWORD_TRIES,
    WRONG_CODE,
    api_for,
    api_profile,
    ask_new_password,
    client_params,
    command,
    delivered_to,
    interaction_for,
    open_terminal,
    username_of,
)

if TYPE_CHECKING:
    from ..cli import Context
    from ..config import Profile
    from ..signin.api import ApiSignIn

MAX_SENDS = 3
# "Attributes did not conform to the schema: email: The attribute email is required"
REQUIRED_RE = re.compile(r"([\w:.]+): The attribute(?: [\w:.]+)? is required")


def _confirm_hint(profile: Profile) -> str:
    return command("signup confirm", profile.name)


def resend(api: ApiSignIn, params: dict[str, Any]) -> object:
    """ResendConfirmationCode; where the new code went."""
    try:
        answer = api.call("resend_confirmation_code", **params)
    except CognitoError as exc:
        if exc.code == "LimitExceededException":
            raise AuthFailed(
                f"Cognito refuses to send more codes for now ({exc.message})",
                profile=api.profile.name,
                hint=f"wait a while, then {_confirm_hint(api.profile)}",
            ) from None
        raise
    return answer.get("CodeDeliveryDetails")


def confirm(api: ApiSignIn, username: str) -> None:
    """Ask for the code sent at sign-up and confirm the user; an empty line sends a new
    code, and so does one that has expired."""
    profile = api.profile
    term = api.interaction
    params = client_params(api, username)
    wrong = sends = 0
    from ..redact import register_secret

    while True:
        code = term.ask("Confirmation code (Enter sends a new one): ", secret=True).strip()
        if code:
            register_secret(code)
            try:
                api.call("confirm_sign_up", **params, ConfirmationCode=code)
                break
            except CognitoError as exc:
                if exc.code == WRONG_CODE:
                    wrong += 1
                    if wrong >= PASSWORD_TRIES:
                        raise AuthFailed(
                            "the confirmation code was not accepted (three tries)",
                            profile=profile.name,
                            hint=_confirm_hint(profile),
                        ) from None
                    term.say("That code was not accepted; type it again.")
                    continue
                if exc.code == "NotAuthorizedException" and "CONFIRMED" in exc.detail:
                    break  # someone confirmed it meanwhile (an administrator)
                if exc.code == "LimitExceededException":
                    raise AuthFailed(
                        f"Cognito refuses more tries for now ({exc.message})",
                        profile=profile.name,
                        hint=f"wait a while, then {_confirm_hint(profile)}",
                    ) from None
                if exc.code != "ExpiredCodeException":
                    raise
                term.say("That code has expired.")
        sends += 1
        if sends > MAX_SENDS:
            raise AuthFailed(
                "no code was confirmed after three new ones were sent",
                profile=profile.name,
                hint=_confirm_hint(profile),
            )
        term.say(f"A new code was sent to {delivered_to(resend(api, params))}.")
    term.say(f"The sign-up of {username} is confirmed (profile {profile.name}).")


def confirm_during_sign_in(api: ApiSignIn) -> bool:
    """UserNotConfirmedException met while signing in: on a terminal, offer to confirm
    with the code sent at sign-up; True once confirmed (the sign-in starts again)."""
    term = api.interaction
    if not term.interactive:
        return False
    username = username_of(api.profile)
    term.say(
        f"The sign-up of {username} is not confirmed yet (profile {api.profile.name}): type "
        "the code that was sent at sign-up."
    )
    confirm(api, username)
    return True


def cmd_signup(ctx: Context) -> int:
    action = ctx.args.action
    if action == "resend":
        return _cmd_resend(ctx)
    profile = api_profile(ctx, "sign up")
    username = username_of(profile)
    what = "confirming the sign-up" if action == "confirm" else "signing up"
    name = "signup confirm" if action == "confirm" else "signup"
    terminal = open_terminal(profile, what, command(name, profile.name))
    try:
        api = api_for(ctx, profile, terminal)
        if action == "confirm":
            confirm(api, username)
        else:
            _sign_up(api, username)
        terminal.say(f"Next: cognito-credproc login --profile {profile.name}")
    finally:
        terminal.close()
    return EXIT_OK


def _sign_up(api: ApiSignIn, username: str) -> None:
    """SignUp with a new password and whatever attributes the pool says it requires; then
    the code it sent confirms the user."""
    profile = api.profile
    term = api.interaction
    term.say(f"Signing up {username} at {profile.user_pool_id} (profile {profile.name}).")
    password = ask_new_password(term, profile)
    attributes: dict[str, str] = {}
    for _ in range(PASSWORD_TRIES):
        params = client_params(api, username)
        params["Password"] = password
        if attributes:
            params["UserAttributes"] = [{"Name": k, "Value": v} for k, v in attributes.items()]
        try:
            answer = api.call("sign_up", **params)
            break
        except CognitoError as exc:
            required = [n for n in REQUIRED_RE.findall(exc.detail) if n not in attributes]
            if exc.code == "InvalidParameterException" and required:
                for attribute in required:
                    attributes[attribute] = term.ask(f"{attribute} (required by the pool): ")
                continue
            if exc.code == "InvalidPasswordException":
                from .password import policy_text

                term.say(f"The user pool refused that password: {policy_text(exc)}.")
                password = ask_new_password(term, profile)
                continue
            if exc.code == "NotAuthorizedException" and "not permitted" in exc.detail:
                raise AuthFailed(
                    f"the user pool does not allow signing up ({exc.message})",
                    profile=profile.name,
                    hint="ask the user pool's administrator to create the user",
                ) from None
            raise
    else:
        raise AuthFailed("the sign-up was refused three times", profile=profile.name)
    api.use_password(password)
    if answer.get("UserConfirmed"):
        term.say(f"{username} is signed up and confirmed.")
        return
    details = answer.get("CodeDeliveryDetails")
    if not details:
        term.say(
            f"{username} is signed up; the user pool sends no code, so an administrator "
            "must confirm the user."
        )
        return
    term.say(f"{username} is signed up: a code was sent to {delivered_to(details)}.")
    confirm(api, username)


def _cmd_resend(ctx: Context) -> int:
    profile = api_profile(ctx, "sign up")
    username = username_of(profile)
    api = api_for(ctx, profile, interaction_for(profile))
    details = resend(api, client_params(api, username))
    sys.stdout.write(
        f"A new confirmation code for {username} was sent to {delivered_to(details)}.\n"
        f"Next: cognito-credproc signup confirm --profile {profile.name}\n"
    )
    return EXIT_OK
