"""A local Cognito set up for choice-based sign-in (USER_AUTH), through the real API."""

from __future__ import annotations

from collections.abc import Sequence

from .conftest import Cognito, provision
from .strict_userauth import USERAUTH

EMAIL = "alice@example.com"
PHONE = "+15555550123"
USER_AUTH_FLOWS = ["ALLOW_USER_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def provision_user_auth(
    endpoint: str,
    *,
    secret: bool = False,
    tier: str = "ESSENTIALS",
    factors: Sequence[str] = ("PASSWORD", "EMAIL_OTP", "SMS_OTP"),
    flows: Sequence[str] = tuple(USER_AUTH_FLOWS),
    email: str | None = EMAIL,
    phone: str | None = PHONE,
    email_as_username: bool = False,
) -> Cognito:
    """provision(), then the pool's plan and first factors, the client's flows, and a
    verified email address and phone number for alice (who signs in with the address
    on an email-as-username pool)."""
    USERAUTH.reset()
    cognito = provision(
        endpoint,
        secret=secret,
        email_as_username=email_as_username,
        username=EMAIL if email_as_username else "alice",
    )
    idp = cognito.idp
    idp.update_user_pool(
        UserPoolId=cognito.user_pool_id,
        UserPoolTier=tier,
        Policies={
            "PasswordPolicy": {"MinimumLength": 8},
            "SignInPolicy": {"AllowedFirstAuthFactors": list(factors)},
        },
    )
    if email_as_username:
        # moto's UpdateUserPool replaces the whole configuration, UsernameAttributes too,
        # which the real one cannot change: put it back.
        from moto.cognitoidp.models import cognitoidp_backends

        for account in cognitoidp_backends.values():
            for backend in account.values():
                pool = backend.user_pools.get(cognito.user_pool_id)
                if pool is not None:
                    pool.extended_config["UsernameAttributes"] = ["email"]
    idp.update_user_pool_client(
        UserPoolId=cognito.user_pool_id, ClientId=cognito.client_id, ExplicitAuthFlows=list(flows)
    )
    attributes = []
    if email and not email_as_username:  # there, the address is already the user's
        attributes.append({"Name": "email", "Value": email})
    if email:
        attributes.append({"Name": "email_verified", "Value": "true"})
    if phone:
        attributes += [
            {"Name": "phone_number", "Value": phone},
            {"Name": "phone_number_verified", "Value": "true"},
        ]
    if attributes:
        idp.admin_update_user_attributes(
            UserPoolId=cognito.user_pool_id, Username=cognito.username, UserAttributes=attributes
        )
    return cognito


def make_passwordless(cognito: Cognito, username: str | None = None) -> None:
    """The user has no password: only one-time codes (and passkeys) are offered."""
    with USERAUTH.lock:
        USERAUTH.passwordless.add((cognito.user_pool_id, username or cognito.username))


def add_passkey(cognito: Cognito, username: str | None = None) -> None:
    with USERAUTH.lock:
        USERAUTH.passkeys.add((cognito.user_pool_id, username or cognito.username))
