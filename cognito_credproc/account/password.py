"""``password reset`` and ``password change``, and the reset a sign-in offers when Cognito
answers PasswordResetRequiredException (an administrator reset the password, or threat
protection found it among leaked ones).

    reset:  ForgotPassword -> "a code was sent to a***@e***" -> the code, a new password
            twice -> ConfirmForgotPassword -> the sign-in goes on with the new password
    change: a fresh access token (refreshed when needed) -> the old password, the new one
            twice -> ChangePassword
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from ..awserrors import CognitoError
from ..errors import EXIT_OK, AuthFailed
from . import (
    PASSWORD_TRIES,
    WRONG_CODE,
    api_profile,
    ask_code,
    ask_new_password,
    client_params,
    command,
    delivered_to,
    open_terminal,
    user_pool_profile,
    username_of,
)

if TYPE_CHECKING:
    from ..cli import Context
    from ..config import Profile
    from ..signin import SignInMethod
    from ..signin.api import ApiSignIn

# New codes sent when the one typed has expired, before giving up.
MAX_RESENDS = 2


def _reset_hint(profile: Profile) -> str:
    return command("password reset", profile.name)


def _limit(profile: Profile, exc: CognitoError) -> AuthFailed:
    return AuthFailed(
        f"Cognito refuses more password reset attempts for now ({exc.message})",
        profile=profile.name,
        hint=f"wait a while (Cognito limits reset codes and tries per user), then "
        f"{_reset_hint(profile)}",
    )


def _admin_only(profile: Profile, username: str, exc: CognitoError) -> AuthFailed:
    return AuthFailed(
        f"only an administrator can reset the password of {username} ({exc.message}): the "
        "user pool allows no self-service recovery, or the user has no verified email "
        "address or phone number to send a code to",
        profile=profile.name,
        hint="ask the user pool's administrator to set a new password (AdminSetUserPassword), "
        f"then run: {command('login', profile.name).removeprefix('run: ')}",
    )


def send_code(api: ApiSignIn, params: dict[str, Any], username: str) -> object:
    """ForgotPassword: Cognito sends a code; where it went (CodeDeliveryDetails)."""
    profile = api.profile
    try:
        answer = api.call("forgot_password", **params)
    except CognitoError as exc:
        if exc.code == "LimitExceededException":
            raise _limit(profile, exc) from None
        if (exc.code == "NotAuthorizedException" and "administrator" in exc.detail.lower()) or (
            exc.code == "InvalidParameterException" and "verified" in exc.detail.lower()
        ):
            raise _admin_only(profile, username, exc) from None
        raise
    return answer.get("CodeDeliveryDetails")


def policy_text(exc: CognitoError) -> str:
    """What the pool's password policy wants, from InvalidPasswordException's message
    ("Password does not conform to policy: Password must have uppercase characters")."""
    detail = exc.detail or exc.code
    return detail.split("policy:", 1)[1].strip() if "policy:" in detail else detail


def reset(api: ApiSignIn, username: str) -> str:
    """The whole reset dialogue on the terminal; the new password, which ``api`` signs in
    with from now on."""
    profile = api.profile
    term = api.interaction
    params = client_params(api, username)
    details = send_code(api, params, username)
    term.say(
        f"Password reset for {username} (profile {profile.name}): a code was sent to "
        f"{delivered_to(details)}."
    )
    code: str | None = None
    password: str | None = None
    wrong = resent = refused = 0
    while True:
        if code is None:
            code = ask_code(term, "Code: ", profile)
        if password is None:
            password = ask_new_password(term, profile)
        try:
            api.call("confirm_forgot_password", **params, ConfirmationCode=code, Password=password)
            break
        except CognitoError as exc:
            if exc.code == WRONG_CODE:
                wrong += 1
                if wrong >= PASSWORD_TRIES:
                    raise AuthFailed(
                        "the code was not accepted (three tries); the password is unchanged",
                        profile=profile.name,
                        hint=f"{_reset_hint(profile)} (a new code is sent)",
                    ) from None
                term.say("That code was not accepted; type it again.")
                code = None
            elif exc.code == "ExpiredCodeException":
                resent += 1
                if resent > MAX_RESENDS:
                    raise AuthFailed(
                        "the codes expired before they were used; the password is unchanged",
                        profile=profile.name,
                        hint=_reset_hint(profile),
                    ) from None
                details = send_code(api, params, username)
                term.say(f"That code has expired; a new one was sent to {delivered_to(details)}.")
                code = None
            elif exc.code == "InvalidPasswordException":
                refused += 1
                if refused >= PASSWORD_TRIES:
                    raise AuthFailed(
                        f"the user pool refused the new password: {policy_text(exc)}",
                        profile=profile.name,
                        hint=_reset_hint(profile),
                    ) from None
                term.say(
                    f"The user pool refused that password: {policy_text(exc)}. "
                    "Choose another (the code stays valid)."
                )
                password = None
            elif exc.code == "LimitExceededException":
                raise _limit(profile, exc) from None
            else:
                raise
    api.use_password(password)
    term.say(f"The password of {username} is reset.")
    if profile.password_command:
        term.say(
            "password_command still prints the old password: update what it reads before "
            "the next sign-in."
        )
    return password


def reset_during_sign_in(api: ApiSignIn) -> bool:
    """PasswordResetRequiredException met while signing in: on a terminal, offer the reset;
    True once the password is reset (the sign-in then starts again with it)."""
    term = api.interaction
    if not term.interactive:
        return False
    profile = api.profile
    username = username_of(profile)
    term.say(
        f"Cognito requires a new password for {username} (profile {profile.name}) before "
        "signing in: an administrator reset it, or it was found among leaked passwords."
    )
    answer = term.ask("Reset it now? A code will be sent to you. [Y/n] ").strip().lower()
    if answer not in ("", "y", "yes"):
        raise AuthFailed(
            "the password must be reset before signing in",
            profile=profile.name,
            hint=_reset_hint(profile),
        )
    reset(api, username)
    return True


def cmd_password(ctx: Context) -> int:
    if ctx.args.action == "reset":
        return _cmd_reset(ctx)
    return _cmd_change(ctx)


def _cmd_reset(ctx: Context) -> int:
    from ..provider import Provider
    from ..signin.api import ApiSignIn

    profile = api_profile(ctx, "reset the password ('Forgot your password?')")
    username = username_of(profile)
    terminal = open_terminal(profile, "resetting the password", _reset_hint(profile))
    try:
        provider = Provider(profile, ctx.cache, environ=ctx.environ, interaction=terminal)

        def reset_first(method: SignInMethod) -> None:
            assert isinstance(method, ApiSignIn)
            reset(method, username)

        tokens = provider.login(before=reset_first)
        terminal.say(
            f"Signed in as {tokens.internal_username or username} (profile {profile.name}) "
            "with the new password."
        )
    finally:
        terminal.close()
    return EXIT_OK


OTHER_SESSIONS = (
    "Other sessions stay signed in: ChangePassword revokes no tokens, so refresh tokens "
    "held elsewhere (other machines, other apps) keep working until they expire."
)


def _cmd_change(ctx: Context) -> int:
    from ..redact import register_secret
    from . import signed_in, user_call

    profile = user_pool_profile(ctx)
    name = profile.name
    terminal = open_terminal(profile, "changing the password", command("password change", name))
    try:
        provider, tokens = signed_in(ctx, terminal)
        who = tokens.internal_username or profile.username or "you"
        for attempt in range(1, PASSWORD_TRIES + 1):
            old = terminal.ask(f"Current password for {who} (profile {name}): ", secret=True)
            register_secret(old)
            new = ask_new_password(terminal, profile)
            try:
                user_call(
                    provider,
                    "change_password",
                    AccessToken=tokens.access_token,
                    PreviousPassword=old,
                    ProposedPassword=new,
                )
                break
            except CognitoError as exc:
                last = attempt == PASSWORD_TRIES
                if exc.code == "InvalidPasswordException" and not last:
                    terminal.say(f"The user pool refused that password: {policy_text(exc)}.")
                    continue
                if exc.code == "NotAuthorizedException" and "incorrect" in exc.detail.lower():
                    if not last:
                        terminal.say("The current password is not right; try again.")
                        continue
                    raise AuthFailed(
                        "the current password was not right (three tries); nothing changed",
                        profile=name,
                        hint=f"{command('password reset', name)} if it is forgotten",
                    ) from None
                if exc.code == "InvalidPasswordException":
                    raise AuthFailed(
                        f"the user pool refused the new password: {policy_text(exc)}",
                        profile=name,
                        hint=command("password change", name),
                    ) from None
                if exc.code == "LimitExceededException":
                    raise AuthFailed(
                        f"Cognito refuses more attempts for now ({exc.message})",
                        profile=name,
                        hint=f"wait a while, then {command('password change', name)}",
                    ) from None
                raise
        terminal.say(f"Password changed for {who} (profile {name}).")
        terminal.say(OTHER_SESSIONS)
        terminal.say(
            f"To end them: cognito-credproc logout --global --profile {name} (this machine "
            f"too), then cognito-credproc login --profile {name}."
        )
        if profile.password_command:
            terminal.say("password_command still prints the old password: update what it reads.")
    finally:
        terminal.close()
    sys.stdout.flush()
    return EXIT_OK
