"""Renewing and revoking user-pool tokens through the API: REFRESH_TOKEN_AUTH,
GetTokensFromRefreshToken (clients that rotate refresh tokens), RevokeToken and
GlobalSignOut."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from ..awserrors import CognitoError, secret_refused
from ..errors import ServiceError
from ..tokens import jwt_claims

if TYPE_CHECKING:
    from ..tokens import Tokens
    from .api import ApiSignIn

log = logging.getLogger("cognito_credproc")

# Codes that mean the refresh token is no good (expired, revoked, reused): sign in again.
REFRESH_REJECTED = {"NotAuthorizedException", "RefreshTokenReuseException", "UserNotFoundException"}


def refresh(api: ApiSignIn, tokens: Tokens) -> Tokens | None:
    """New ID/access tokens from the refresh token; None when it is no longer accepted.

    REFRESH_TOKEN_AUTH works on every client without rotation. A rotating client
    refuses it, and then GetTokensFromRefreshToken (remembered in the cache) is used;
    it also tells a refused token apart from a rotating client.
    """
    if not tokens.refresh_token:
        return None
    if not tokens.rotating:
        try:
            return _with_initiate_auth(api, tokens)
        except CognitoError as exc:
            if exc.transient or secret_refused(exc):
                # The refresh token may be fine; signing in again would not help either.
                raise
            if exc.code == "UserNotFoundException" or refresh_token_dead(exc):
                return None
            # Any other refusal may mean a rotating client; the next call tells.
            log.debug("REFRESH_TOKEN_AUTH refused (%s); trying GetTokensFromRefreshToken", exc.code)
    try:
        return _with_get_tokens(api, tokens)
    except CognitoError as exc:
        if secret_refused(exc):
            raise
        if exc.code in REFRESH_REJECTED or not tokens.rotating:
            log.debug("refresh token not accepted (%s)", exc.code)
            return None
        raise


def refresh_token_dead(exc: CognitoError) -> bool:
    """Cognito says the refresh token itself is over ("Refresh Token has expired", "Refresh
    Token has been revoked"): no other way of refreshing will take it, only a sign-in. The
    code (NotAuthorizedException) is the one a rotating client's refusal of
    REFRESH_TOKEN_AUTH may have too, so the words tell them apart."""
    said = exc.detail.lower()
    return exc.code == "NotAuthorizedException" and ("expired" in said or "revoked" in said)


def _with_initiate_auth(api: ApiSignIn, tokens: Tokens) -> Tokens:
    assert tokens.refresh_token is not None
    # SECRET_HASH on refresh takes the name Cognito uses internally, not an alias.
    username = tokens.internal_username or api.profile.username or ""
    params = {"REFRESH_TOKEN": tokens.refresh_token}
    if tokens.device_key:
        params["DEVICE_KEY"] = tokens.device_key
    api.with_secret_hash(params, username)
    log.debug("refreshing with REFRESH_TOKEN_AUTH")
    response = api.call(
        "initiate_auth",
        AuthFlow="REFRESH_TOKEN_AUTH",
        ClientId=api.client_id,
        AuthParameters=params,
    )
    return _merge(api, tokens, response.get("AuthenticationResult"), rotating=False)


def _with_get_tokens(api: ApiSignIn, tokens: Tokens) -> Tokens:
    assert tokens.refresh_token is not None
    params: dict[str, Any] = {"ClientId": api.client_id, "RefreshToken": tokens.refresh_token}
    if api.profile.app_client_secret:
        params["ClientSecret"] = api.profile.app_client_secret
    if tokens.device_key:
        params["DeviceKey"] = tokens.device_key
    log.debug("refreshing with GetTokensFromRefreshToken")
    response = api.call("get_tokens_from_refresh_token", **params)
    return _merge(api, tokens, response.get("AuthenticationResult"), rotating=True)


def _merge(api: ApiSignIn, old: Tokens, result: dict[str, Any] | None, *, rotating: bool) -> Tokens:
    if not result or not result.get("IdToken") or not result.get("AccessToken"):
        raise ServiceError("refresh answer carried no tokens", profile=api.profile.name)
    new = dataclasses.replace(
        old, id_token=result["IdToken"], access_token=result["AccessToken"], rotating=rotating
    )
    if result.get("RefreshToken"):
        new.refresh_token = result["RefreshToken"]
        new.refresh_issued_at = api.now()
    for secret in (new.id_token, new.access_token, new.refresh_token):
        if secret:
            api.register_secret(secret)
    try:
        jwt_claims(new.id_token)
    except ValueError:
        raise ServiceError(
            "refresh answer carried a malformed ID token", profile=api.profile.name
        ) from None
    return new


def revoke(api: ApiSignIn, tokens: Tokens) -> None:
    assert tokens.refresh_token is not None
    params: dict[str, Any] = {"ClientId": api.client_id, "Token": tokens.refresh_token}
    if api.profile.app_client_secret:
        params["ClientSecret"] = api.profile.app_client_secret
    api.call("revoke_token", **params)


def global_sign_out(api: ApiSignIn, tokens: Tokens) -> None:
    api.call("global_sign_out", AccessToken=tokens.access_token)
