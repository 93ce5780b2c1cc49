"""Attacks on the browser sign-in from the other side: a hostile or broken authorization
server (its discovery document, its token endpoint, its ID tokens), and hostile text
wherever the sign-in's answers come back. Servers are real HTTP on 127.0.0.1."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from cognito_credproc.errors import AuthFailed
from cognito_credproc.signin import messages
from cognito_credproc.signin.authcode import BrowserSettings, CodeGrant
from cognito_credproc.signin.oauth import TokenResponse
from cognito_credproc.signin.oidc import Endpoints

from ..fakes import make_jwt

ISSUER = "https://issuer.example"
OIDC = BrowserSettings(
    profile="okta",
    source="config.ini",
    client_id="cid",
    redirect_uri="http://localhost:8765/callback",
    scopes=("openid", "offline_access"),
    oidc_issuer=ISSUER,
)
ENDPOINTS = Endpoints(f"{ISSUER}/authorize", f"{ISSUER}/token", None, ISSUER)


def test_an_id_token_whose_nonce_is_not_ascii_is_a_replay_not_a_crash() -> None:
    claims = {"aud": "cid", "iss": ISSUER, "iat": 1, "exp": 2_000_000_000, "nonce": "n\u00f6nce"}
    problem = messages.id_token_problem(OIDC, claims, ENDPOINTS, "the-nonce-we-sent", 2.0)
    assert problem is not None and "nonce" in problem


def test_a_pasted_address_whose_state_is_not_ascii_is_a_forged_state() -> None:
    grant = CodeGrant(OIDC, lambda: ENDPOINTS, now=lambda: 0.0, register_secret=lambda _s: None)
    attempt = grant.start()
    with pytest.raises(AuthFailed, match="state that does not belong"):
        grant.finish({"state": "\u00e9t\u00e9", "code": "c0de"}, attempt)


def test_a_pasted_address_without_a_state_is_a_forged_state() -> None:
    grant = CodeGrant(OIDC, lambda: ENDPOINTS, now=lambda: 0.0, register_secret=lambda _s: None)
    attempt = grant.start()
    with pytest.raises(AuthFailed, match="state that does not belong"):
        grant.finish({"code": "c0de"}, attempt)


# The ID token's times are the issuer's: judged by the token endpoint's own clock (its
# Date header) when it sends one, else by the skew measured before.

LOCAL_NOW = 1_800_000_000.0
THREE_HOURS = 3 * 3600


def grant_at(local_now: float, measured_before: float) -> CodeGrant:
    return CodeGrant(
        OIDC,
        lambda: ENDPOINTS,
        now=lambda: local_now,
        register_secret=lambda _s: None,
        server_now=lambda: local_now + measured_before,
    )


def answer_from(server_now: float, date: str | None) -> TokenResponse:
    claims = {"aud": "cid", "iss": ISSUER, "sub": "s-1", "iat": server_now - 5}
    claims["exp"] = server_now + 3600
    return TokenResponse("opaque-access", make_jwt(claims), "refresh", 3600, date)


def test_a_server_whose_clock_is_hours_behind_is_judged_by_its_date_header() -> None:
    """This machine's clock is three hours ahead of the server's: the server's fresh
    tokens look expired by it, but the answer's Date header says what time it is
    there."""
    server_now = LOCAL_NOW - THREE_HOURS
    grant = grant_at(LOCAL_NOW, 0.0)
    tokens = grant.tokens(
        answer_from(server_now, formatdate(server_now, usegmt=True)), nonce=None, old=None
    )
    assert tokens.id_expiry == server_now + 3600
    with pytest.raises(AuthFailed, match="the ID token expired at"):
        grant.tokens(answer_from(server_now, None), nonce=None, old=None)  # no Date: local
    # no Date, but a skew measured before (the provider's): that is used
    measured = grant_at(LOCAL_NOW, -THREE_HOURS)
    assert measured.tokens(answer_from(server_now, None), nonce=None, old=None)


def test_a_date_header_no_clock_could_be_off_by_is_not_believed() -> None:
    """A Date two days away says nothing about the clock: an expired token stays
    expired."""
    grant = grant_at(LOCAL_NOW, 0.0)
    long_ago = LOCAL_NOW - 2 * 86400
    with pytest.raises(AuthFailed, match="the ID token expired at"):
        grant.tokens(answer_from(long_ago, formatdate(long_ago, usegmt=True)), nonce=None, old=None)
