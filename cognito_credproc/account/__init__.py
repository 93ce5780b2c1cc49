"""Account self-service: what a user does to their own user-pool account from the terminal,
for people whose only Cognito client is this tool.

    password reset | change     password.py   ForgotPassword + ConfirmForgotPassword (also
                                              when a sign-in meets PasswordResetRequired),
                                              ChangePassword
    signup [confirm | resend]   signup.py     SignUp, ConfirmSignUp (also when a sign-in
                                              meets UserNotConfirmed), ResendConfirmationCode
    mfa status | setup totp | prefer F | off
                                mfa.py        GetUser, AssociateSoftwareToken (qr.py draws
                                              the otpauth URI), VerifySoftwareToken,
                                              SetUserMFAPreference
    devices [forget [KEY]]      devices.py    ListDevices, ForgetDevice
    whoami [--json]             whoami.py     the tokens' claims, the identity pool, STS

Calls before a sign-in (a reset, a confirmation) carry the app client id and its
SECRET_HASH; the others the signed-in user's access token, from the profile's one
shared sign-in (the cache, its lock, the refresh token). Every code, password and
secret typed or shown here is registered for redaction, and typed only on the terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..awserrors import CognitoError
from ..errors import AuthFailed, ConfigError, SignInRequired

if TYPE_CHECKING:
    from ..cli import Context
    from ..config import Profile
    from ..prompt import Interaction, Terminal
    from ..provider import Provider
    from ..signin.api import ApiSignIn
    from ..tokens import Tokens

PROG = "cognito-credproc"
# What an access token needs for the user's own API calls (GetUser, ChangePassword, ...).
ADMIN_SCOPE = "aws.cognito.signin.user.admin"
PASSWORD_TRIES = 3
WRONG_CODE = "CodeMismatchException"


def command(name: str, profile: str) -> str:
    """``run: cognito-credproc NAME --profile PROFILE``, the hint every message ends with."""
    return f"run: {PROG} {name} --profile {profile}"


def user_pool_profile(ctx: Context) -> Profile:
    """The profile, which must sign in to a user pool (not a guest, not an OpenID Connect
    provider trusted directly)."""
    profile = ctx.profile
    if profile.unauthenticated:
        raise ConfigError(
            "this profile uses guest (unauthenticated) access: it has no user-pool account",
            profile=profile.name,
        )
    if not profile.user_pool_id:
        raise ConfigError(
            "this profile signs in at an OpenID Connect provider, not a user pool: manage "
            "the account there",
            profile=profile.name,
        )
    return profile


def api_profile(ctx: Context, what: str) -> Profile:
    """A user-pool profile that names its user and signs in with the API (not through a
    browser, whose managed login pages have their own forms for ``what``)."""
    profile = user_pool_profile(ctx)
    if profile.browser:
        raise ConfigError(
            f"this profile signs in through the browser: use the managed login pages to {what}",
            profile=profile.name,
        )
    return profile


def open_terminal(profile: Profile, needs: str, run: str) -> Terminal:
    """The controlling terminal, or a failure at once (before any call) naming what the
    terminal is needed for and the command to run in one."""
    from ..prompt import Terminal

    terminal = Terminal.open()
    if terminal is None:
        raise SignInRequired(
            f"{needs} needs a terminal to type on, and there is none",
            profile=profile.name,
            hint=f"{run} (in a terminal)",
        )
    return terminal


def api_for(ctx: Context, profile: Profile, interaction: Interaction) -> ApiSignIn:
    """The user pool conversation of the API sign-in, for the calls made before anyone is
    signed in (they carry the client id and SECRET_HASH)."""
    from ..aws import Clients
    from ..redact import register_secret
    from ..signin.api import ApiSignIn

    register_secret(profile.app_client_secret)
    return ApiSignIn(
        profile,
        Clients(profile),
        interaction,
        environ=ctx.environ,
        register_secret=register_secret,
    )


def client_params(api: ApiSignIn, username: str) -> dict[str, Any]:
    """ClientId, Username and, for a client with a secret, SecretHash (made with the name
    as sent)."""
    params: dict[str, Any] = {"ClientId": api.client_id, "Username": username}
    hashed = api.with_secret_hash({}, username)
    if "SECRET_HASH" in hashed:
        params["SecretHash"] = hashed["SECRET_HASH"]
    return params


def username_of(profile: Profile) -> str:
    if not profile.username:
        raise ConfigError(
            f"{profile.source} [{profile.name}] has no username", profile=profile.name
        )
    return profile.username


def ask_new_password(interaction: Interaction, profile: Profile, intro: str | None = None) -> str:
    """A new password typed twice without echo (three tries to make them match)."""
    from ..redact import register_secret

    if intro:
        interaction.say(intro)
    for _ in range(PASSWORD_TRIES):
        first = interaction.ask("New password: ", secret=True)
        second = interaction.ask("New password again: ", secret=True)
        if first and first == second:
            register_secret(first)
            return first
        interaction.say("The passwords did not match, or were empty; try again.")
    raise AuthFailed("no new password was set (the entries did not match)", profile=profile.name)


def ask_code(interaction: Interaction, label: str, profile: Profile) -> str:
    """A code sent by email or SMS, typed without echo (it changes the account) and
    registered for redaction; an empty line is asked again, not sent."""
    from ..redact import register_secret

    for _ in range(PASSWORD_TRIES):
        code = interaction.ask(label, secret=True).strip()
        if code:
            register_secret(code)
            return code
        interaction.say("No code entered; type the code, or press Ctrl-C to stop.")
    raise AuthFailed("no code was entered", profile=profile.name)


def delivered_to(details: object) -> str:
    """Where Cognito sent a code (``CodeDeliveryDetails``), as it masks it: ``a***@e***
    by email``. Only printable text of the service reaches the terminal."""
    if not isinstance(details, dict):
        return "you"
    where = "".join(ch for ch in str(details.get("Destination") or "") if ch.isprintable())
    medium = str(details.get("DeliveryMedium") or "").upper()
    how = {"EMAIL": " by email", "SMS": " by SMS"}.get(medium, "")
    return f"{where[:80] or 'you'}{how}"


def signed_in(ctx: Context, interaction: Interaction) -> tuple[Provider, Tokens]:
    """The profile's shared sign-in, with an access token that has minutes left (renewed
    with the refresh token, or a new sign-in on the terminal, when it has not)."""
    from ..provider import Provider

    provider = Provider(ctx.profile, ctx.cache, environ=ctx.environ, interaction=interaction)
    return provider, provider.fresh_tokens()


def interaction_for(profile: Profile) -> Interaction:
    from ..prompt import open_interaction

    return open_interaction(profile.name)


def user_call(provider: Provider, operation: str, **params: Any) -> dict[str, Any]:
    """A user pool call authorized by the user's access token. A token without the scope
    these calls need (a managed login that did not ask for it) is said so, with the fix."""
    from ..aws import call

    profile = provider.profile
    try:
        return call(provider.clients.idp, operation, profile, **params)
    except CognitoError as exc:
        if exc.code == "NotAuthorizedException" and "scope" in exc.detail.lower():
            exc.hint = (
                f"the access token lacks {ADMIN_SCOPE}: add it to scopes in [{profile.name}] "
                f"of {profile.source} and to the app client's allowed scopes, then "
                f"{command('login', profile.name)}"
            )
        raise


def recovered(api: ApiSignIn, exc: CognitoError) -> bool:
    """A sign-in met an account state a person can fix on the terminal (a password reset
    is required, the sign-up is not confirmed): fix it and say True, so the sign-in
    starts again; False when there is nothing to do here (no terminal, another error)."""
    if exc.code == "PasswordResetRequiredException":
        from .password import reset_during_sign_in

        return reset_during_sign_in(api)
    if exc.code == "UserNotConfirmedException":
        from .signup import confirm_during_sign_in

        return confirm_during_sign_in(api)
    return False
