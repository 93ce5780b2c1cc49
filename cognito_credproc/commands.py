"""The everyday commands besides the credential_process run itself (``status`` has its
own module): login, logout, token, env, exec, clear."""

from __future__ import annotations

import sys
import urllib.parse
from typing import TYPE_CHECKING, Any

from .config import ENV_PASSWORD, Profile, profile_from_section
from .configfile import read_config_file
from .errors import EXIT_OK, ConfigError, CredprocError, SignInRequired, cannot_run
from .output import env_lines, env_variables, iso_utc
from .platform import current
from .store import Store

if TYPE_CHECKING:
    from .cli import Context
    from .signin import SignInMethod
    from .tokens import Tokens


def _code_first(profile: Profile) -> bool:
    """USER_AUTH with a one-time code (EMAIL_OTP, SMS_OTP) as the preferred first factor."""
    from .signin.userauth import CODE_FACTORS

    return profile.preferred_challenge in CODE_FACTORS


def cmd_login(ctx: Context) -> int:
    from .prompt import open_terminal
    from .provider import Provider

    profile = ctx.profile
    if profile.unauthenticated:
        raise ConfigError(
            "this profile uses guest (unauthenticated) access; there is no sign-in",
            profile=profile.name,
        )
    terminal = open_terminal()
    no_browser: bool = ctx.args.no_browser
    if profile.browser:
        from .signin.opener import browser_available

        if terminal is None and (no_browser or not browser_available(ctx.environ)):
            raise SignInRequired(
                "login without a browser needs a terminal to paste the address into",
                profile=profile.name,
                hint="run it in a terminal, or where a browser can be opened",
            )
    elif terminal is None and profile.auth_flow == "USER_AUTH" and _code_first(profile):
        # No password source can type a one-time code: only a terminal helps.
        raise SignInRequired(
            f"login with {profile.preferred_challenge} needs a terminal to type the "
            "one-time code on",
            profile=profile.name,
            hint="run it in a terminal",
        )
    elif terminal is None and not (profile.password_command or ctx.environ.get(ENV_PASSWORD)):
        raise SignInRequired(
            "login needs a terminal to ask for the password on",
            profile=profile.name,
            hint="run it in a terminal, or set password_command",
        )
    try:
        provider = Provider(profile, ctx.cache, environ=ctx.environ, interaction=terminal)
        provider.no_browser = no_browser
        provider.switch_user = ctx.args.switch_user
        tokens = provider.login()
        from .redact import printable

        say = terminal.say if terminal else (lambda text: sys.stderr.write(printable(text) + "\n"))
        user = tokens.internal_username or profile.username
        refresh = (
            "refresh token issued just now"
            if tokens.refresh_token
            else "no refresh token (sign in again then)"
        )
        signed_in = (
            f"Signed in as {user} (profile {profile.name}): ID token valid until "
            f"{iso_utc(tokens.id_expiry)}, {refresh}"
        )
        try:
            provider.credentials()
        except CredprocError as exc:
            # The sign-in stays cached; but a script's `login && terraform plan` must stop.
            say(signed_in + ".")
            exc.message = f"signed in, but fetching AWS credentials failed: {exc.message}"
            raise
        say(signed_in + "; AWS credentials cached.")
    finally:
        if terminal is not None:
            terminal.close()
    return EXIT_OK


def sharing_profiles(
    profile: Profile, profiles: list[tuple[str, Profile | None]]
) -> list[tuple[str, Profile]]:
    """The other profiles (of ``all_profiles``) that use the same sign-in."""
    key = profile.signin_key
    return [
        (name, other)
        for name, other in profiles
        if other is not None and key and other.signin_key == key and name != profile.name
    ]


def cmd_logout(ctx: Context) -> int:
    from .aws import Clients
    from .signin import method_for

    profile = ctx.profile
    store = Store(profile, ctx.cache)
    note = ""
    failed: CredprocError | None = None
    everywhere: bool = ctx.args.global_
    # Under the profile's lock: a run refreshing (or rotating) the tokens meanwhile would
    # leave this one signing out with tokens already replaced.
    with ctx.cache.lock(profile.lock_key, profile.lock_timeout, profile.name):
        tokens = store.tokens()
        if tokens is not None and not profile.unauthenticated:
            from .prompt import NoTerminal
            from .redact import register_secret

            register_secret(profile.app_client_secret)  # a broken endpoint may echo it
            pool = method_for(
                profile,
                Clients(profile, ctx.now),
                NoTerminal(profile.name),
                environ=ctx.environ,
                now=ctx.now,
                register_secret=register_secret,
            )
            try:
                if everywhere:
                    fresh = _fresh_for_sign_out(pool, store, tokens, ctx.now())
                    pool.global_sign_out(fresh)
                    note = "signed out of every device"
                elif tokens.refresh_token:
                    pool.revoke(tokens)
                    note = "refresh token revoked"
            except (ConfigError, SignInRequired):
                raise  # the settings, or a dead sign-in, rule it out: the tokens stay
            except CredprocError as exc:
                if everywhere:  # nothing is forgotten until Cognito has signed out
                    raise _not_signed_out_everywhere(profile, exc) from None
                failed = exc  # the local copy goes anyway: this machine is signed out
        removed = store.clear()
        sharing = sharing_profiles(profile, all_profiles(ctx))
        for _, other in sharing:
            Store(other, ctx.cache).clear(tokens=False)
    shared = [name for name, _ in sharing]
    also = f"; this also signed out {', '.join(shared)}" if shared else ""
    if failed is not None:
        raise _not_revoked(profile, failed, also)
    message = f"profile {profile.name}: signed out"
    if note:
        message += f" ({note})"
    message += "; cache entries deleted" if removed else "; nothing was cached"
    sys.stderr.write(message + also + "\n")
    return EXIT_OK


def _fresh_for_sign_out(method: SignInMethod, store: Store, tokens: Tokens, now: float) -> Tokens:
    """Tokens whose access token GlobalSignOut still takes: renewed first when it has
    expired or is about to by Cognito's clock (it refuses an expired one), and saved at
    once, so that a sign-out that fails afterwards leaves the newest tokens cached (a
    rotating client has spent the old refresh token). ``now``: this machine's clock."""
    from .provider import token_margin

    try:
        left = tokens.access_expiry - store.service_time(now)
    except ValueError:
        left = 0.0
    if left > token_margin(tokens.access_token):
        return tokens
    refreshed = method.refresh(tokens) if tokens.refresh_token else None
    if refreshed is None:
        name = store.profile.name
        raise SignInRequired(
            "signing out every device needs an access token, and the cached one has expired "
            "while the refresh token is no longer accepted; nothing was deleted",
            profile=name,
            hint=f"run: cognito-credproc login --profile {name}, then "
            f"cognito-credproc logout --global --profile {name}",
        )
    store.save_tokens(refreshed)
    return refreshed


def _not_signed_out_everywhere(profile: Profile, failed: CredprocError) -> CredprocError:
    """logout --global that Cognito did not confirm: everything stays cached."""
    name = profile.name
    return CredprocError(
        f"Cognito did not sign out every device ({failed.message}); nothing was deleted on "
        "this machine",
        profile=name,
        hint=f"run it again once Cognito answers, or sign out this machine only: "
        f"cognito-credproc logout --profile {name}",
    )


def _not_revoked(profile: Profile, failed: CredprocError, also: str) -> CredprocError:
    """logout signed this machine out, but the service kept the refresh token valid."""
    what = "revoke the refresh token"
    name = profile.name
    if profile.oidc_issuer:  # an OpenID Connect provider, no user pool: no GlobalSignOut
        where = urllib.parse.urlsplit(profile.oidc_issuer).netloc
        lifetime, hint = (
            "the provider's refresh token lifetime",
            f"to end it sooner, revoke this app's sessions at {where} (its console)",
        )
    else:
        where = "Cognito"
        lifetime, hint = (
            "the app client's refresh token lifetime, 30 days by default",
            f"to end it sooner, once Cognito answers: cognito-credproc login --profile {name}, "
            f"then cognito-credproc logout --global --profile {name}",
        )
    return CredprocError(
        f"signed out on this machine (cache deleted{also}), but {where} did not {what} "
        f"({failed.message}): the refresh token is still valid at {where} until it "
        f"expires ({lifetime})",
        profile=name,
        hint=hint,
    )


def all_profiles(ctx: Context) -> list[tuple[str, Profile | None]]:
    """Every profile in the settings file, None for one whose settings are invalid; the
    file is read once."""
    parser = read_config_file(ctx.config_path)
    result: list[tuple[str, Profile | None]] = []
    for name in parser.sections():
        section = dict(parser.items(name))
        try:
            result.append((name, profile_from_section(ctx.config_path, name, section, ctx.environ)))
        except ConfigError:
            result.append((name, None))
    return result


def cmd_token(ctx: Context) -> int:
    from .provider import token_margin

    profile = ctx.profile
    if profile.unauthenticated:
        raise ConfigError("guest profiles have no user-pool tokens", profile=profile.name)
    store = Store(profile, ctx.cache)
    tokens = store.tokens()
    # The tokens' exp is Cognito's clock: judged by it, not by this machine's.
    service_now = store.service_time(ctx.now())
    if (
        tokens is None
        or tokens.id_expiry - service_now <= token_margin(tokens.id_token)
        or tokens.access_expiry - service_now <= token_margin(tokens.access_token)
    ):
        tokens = ctx.provider().tokens()
    sys.stdout.write((tokens.id_token if ctx.args.type == "id" else tokens.access_token) + "\n")
    return EXIT_OK


def _credentials(ctx: Context) -> Any:
    from .provider import Provider
    from .store import cached_credentials

    return (
        cached_credentials(ctx.profile, ctx.cache)
        or Provider(ctx.profile, ctx.cache, environ=ctx.environ).credentials()
    )


def cmd_env(ctx: Context) -> int:
    creds = _credentials(ctx)
    sys.stdout.write(env_lines(env_variables(creds, ctx.profile.region), ctx.args.format) + "\n")
    return EXIT_OK


def cmd_exec(ctx: Context) -> int:
    command = list(ctx.args.cmd)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise ConfigError("exec needs a command: cognito-credproc exec -- COMMAND ...")
    if ctx.args.server:
        from .serve import exec_with_server

        return exec_with_server(ctx, command)
    creds = _credentials(ctx)
    env = dict(ctx.environ)
    # The child must use these keys, not re-enter a profile that runs this helper again;
    # and it has no business with the password.
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", ENV_PASSWORD):
        env.pop(name, None)
    env.update(env_variables(creds, ctx.profile.region))
    try:
        return current().run_command(command, env)
    except OSError as exc:
        raise cannot_run(command[0], exc) from None


def cmd_clear(ctx: Context) -> int:
    if ctx.args.all:
        removed = 0
        for key in ctx.cache.entries():
            removed += ctx.cache.discard(key)
        sys.stderr.write(f"deleted {removed} cache entries from {ctx.cache.directory}\n")
        return EXIT_OK
    profile = ctx.profile
    shared: list[str] = []
    with ctx.cache.lock(profile.lock_key, profile.lock_timeout, profile.name):
        removed_keys = Store(profile, ctx.cache).clear()
        if profile.signin_key in removed_keys:
            # The sign-in is shared: the profiles that used it are signed out too (their
            # credentials go with it, as logout does).
            for name, other in sharing_profiles(profile, all_profiles(ctx)):
                Store(other, ctx.cache).clear(tokens=False)
                shared.append(name)
    also = f"; this also signed out {', '.join(shared)}" if shared else ""
    sys.stderr.write(f"profile {profile.name}: deleted {len(removed_keys)} cache entries{also}\n")
    return EXIT_OK
