"""``mfa status``, ``mfa setup totp``, ``mfa prefer totp|sms|email`` and ``mfa off``: the
user's own second factors, through their access token.

    status: GetUser -> which factors are on (UserMFASettingList, MFAOptions), which is preferred
    setup:  AssociateSoftwareToken -> the secret, an otpauth:// URI and its QR code on the
            terminal -> a code from the app -> VerifySoftwareToken -> SetUserMFAPreference
"""

from __future__ import annotations

import sys
import urllib.parse
from typing import TYPE_CHECKING, Any

from ..awserrors import CognitoError
from ..errors import EXIT_OK, AuthFailed, ServiceError
from . import command, interaction_for, open_terminal, signed_in, user_call, user_pool_profile

if TYPE_CHECKING:
    from ..cli import Context
    from ..config import Profile
    from ..prompt import Interaction
    from ..provider import Provider
    from ..tokens import Tokens

# what people call a factor -> (Cognito's name, SetUserMFAPreference's settings key)
FACTORS = {
    "totp": ("SOFTWARE_TOKEN_MFA", "SoftwareTokenMfaSettings"),
    "sms": ("SMS_MFA", "SMSMfaSettings"),
    "email": ("EMAIL_OTP", "EmailMfaSettings"),
}
LABELS = {
    "SOFTWARE_TOKEN_MFA": "authenticator app (totp)",
    "SMS_MFA": "SMS (sms)",
    "EMAIL_OTP": "email (email)",
}
CODE_TRIES = 3


def otpauth_uri(pool_id: str, username: str, secret: str) -> str:
    """The key URI authenticator apps read (the Key Uri Format of Google Authenticator)."""
    label = urllib.parse.quote(f"{pool_id}:{username}")
    return f"otpauth://totp/{label}?secret={secret}&issuer=AmazonCognito"


def mfa_settings(user: dict[str, Any]) -> tuple[list[str], str | None, list[str]]:
    """(factors on, the preferred one, the legacy SMS options) from GetUser."""
    on = [str(f) for f in user.get("UserMFASettingList") or [] if str(f) in LABELS]
    preferred = user.get("PreferredMfaSetting") or None
    legacy = [
        str(option.get("DeliveryMedium"))
        for option in user.get("MFAOptions") or []
        if isinstance(option, dict)
    ]
    return on, str(preferred) if preferred else None, legacy


def _context(ctx: Context, interaction: Interaction) -> tuple[Profile, Provider, Tokens]:
    profile = user_pool_profile(ctx)
    provider, tokens = signed_in(ctx, interaction)
    return profile, provider, tokens


def cmd_mfa(ctx: Context) -> int:
    action = ctx.args.action
    if action == "setup":
        return _setup(ctx)
    profile = user_pool_profile(ctx)
    _, provider, tokens = _context(ctx, interaction_for(profile))
    who = tokens.internal_username or profile.username or "you"
    if action == "status":
        user = user_call(provider, "get_user", AccessToken=tokens.access_token)
        on, preferred, legacy = mfa_settings(user)
        lines = [f"MFA of {who} (profile {profile.name}):"]
        for name, label in LABELS.items():
            state = "on" if name in on else "off"
            if name == preferred:
                state += ", preferred"
            lines.append(f"  {label + ':':26} {state}")
        if legacy:
            lines.append(f"  {'legacy MFAOptions:':26} {', '.join(legacy)}")
        if not on and not legacy:
            add = command("mfa setup totp", profile.name).removeprefix("run: ")
            lines.append(f"  no second factor is set up; add an authenticator app: {add}")
        from ..redact import printable

        sys.stdout.write("\n".join(printable(line) for line in lines) + "\n")
        return EXIT_OK
    if action == "prefer":
        factor = ctx.args.factor
        name, key = FACTORS[factor]
        try:
            user_call(
                provider,
                "set_user_mfa_preference",
                AccessToken=tokens.access_token,
                **{key: {"Enabled": True, "PreferredMfa": True}},
            )
        except CognitoError as exc:
            if exc.code == "InvalidParameterException" and factor == "totp":
                exc.hint = command("mfa setup totp", profile.name)
            raise
        sys.stdout.write(
            f"{LABELS[name].split(' (')[0].capitalize()} is now the preferred second factor "
            f"of {who} (profile {profile.name}).\n"
        )
        return EXIT_OK
    return _off(profile, provider, tokens, who)


def _off(profile: Profile, provider: Provider, tokens: Tokens, who: str) -> int:
    """Every factor off. Where the pool requires MFA (MfaConfiguration ON) Cognito keeps
    one on: say so. (A user cannot read the pool's setting: Cognito's refusal tells.)"""
    settings = {key: {"Enabled": False, "PreferredMfa": False} for _, key in FACTORS.values()}
    try:
        user_call(provider, "set_user_mfa_preference", AccessToken=tokens.access_token, **settings)
    except CognitoError as exc:
        if exc.code != "InvalidParameterException":
            raise
        raise AuthFailed(
            f"Cognito kept MFA on for {who} ({exc.message}): the user pool requires MFA "
            "(its MfaConfiguration is ON), so it cannot be turned off",
            profile=profile.name,
            hint="only the user pool's administrator can make MFA optional (which factor "
            "sign-in asks for: cognito-credproc mfa prefer totp|sms|email "
            f"--profile {profile.name})",
        ) from None
    sys.stdout.write(
        f"MFA is off for {who} (profile {profile.name}): sign-in asks for the password only.\n"
    )
    return EXIT_OK


def _setup(ctx: Context) -> int:
    """An authenticator app: the secret (and its QR code) only on the terminal."""
    from ..redact import register_secret
    from .qr import TooLong, encode, render

    profile = user_pool_profile(ctx)
    terminal = open_terminal(
        profile, "setting up an authenticator app", command("mfa setup totp", profile.name)
    )
    try:
        _, provider, tokens = _context(ctx, terminal)
        who = tokens.internal_username or profile.username or "you"
        associated = user_call(
            provider, "associate_software_token", AccessToken=tokens.access_token
        )
        secret = associated.get("SecretCode")
        if not isinstance(secret, str) or not secret.isalnum():
            raise ServiceError(
                "AssociateSoftwareToken answered without a usable secret", profile=profile.name
            )
        register_secret(secret)
        assert profile.user_pool_id is not None
        uri = otpauth_uri(profile.user_pool_id, who, secret)
        terminal.say(f"Add an authenticator app (TOTP) for {who} (profile {profile.name}).")
        terminal.say("Scan this QR code with the app:")
        try:
            for line in render(encode(uri)):
                terminal.say(line)
        except TooLong:
            terminal.say("(too long for a QR code: type the key instead)")
        terminal.say(f"Or add this URI: {uri}")
        terminal.say(f"Or type the secret key: {secret}")
        for attempt in range(1, CODE_TRIES + 1):
            code = terminal.ask("Code shown by the app: ").strip()
            if not code:
                continue
            register_secret(code)
            try:
                verified = user_call(
                    provider,
                    "verify_software_token",
                    AccessToken=tokens.access_token,
                    UserCode=code,
                    FriendlyDeviceName="cognito-credproc",
                )
            except CognitoError as exc:
                if exc.code in ("CodeMismatchException", "EnableSoftwareTokenMFAException"):
                    if attempt < CODE_TRIES:
                        terminal.say("That code was not accepted; try the next one the app shows.")
                        continue
                    raise AuthFailed(
                        "the app's code was not accepted (three tries); MFA is unchanged",
                        profile=profile.name,
                        hint=f"check the phone's clock, then "
                        f"{command('mfa setup totp', profile.name)}",
                    ) from None
                raise
            if verified.get("Status") != "SUCCESS":
                raise AuthFailed("Cognito did not accept the app", profile=profile.name)
            break
        else:
            raise AuthFailed("no code was entered; MFA is unchanged", profile=profile.name)
        user_call(
            provider,
            "set_user_mfa_preference",
            AccessToken=tokens.access_token,
            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
        )
        terminal.say(
            f"The authenticator app is set up and preferred for {who}: every sign-in asks "
            "for its code (totp_command can answer it)."
        )
    finally:
        terminal.close()
    return EXIT_OK
