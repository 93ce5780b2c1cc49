"""Attacks on the browser sign-in from the other side: a hostile or broken authorization
server (its discovery document, its token endpoint, its ID tokens), and hostile text
wherever the sign-in's answers come back. Servers are real HTTP on 127.0.0.1."""

from __future__ import annotations

import pytest

from cognito_credproc.errors import AuthFailed
from cognito_credproc.signin import messages
from cognito_credproc.signin.authcode import BrowserSettings, CodeGrant
from cognito_credproc.signin.oidc import Endpoints

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
    claims = {"aud": "cid", "iss": ISSUER, "exp": 2_000_000_000, "nonce": "n\u00f6nce"}
    problem = messages.id_token_problem(OIDC, claims, ENDPOINTS, "the-nonce-we-sent")
    assert problem is not None and "nonce" in problem


def test_a_pasted_address_whose_state_is_not_ascii_is_a_forged_state() -> None:
    grant = CodeGrant(OIDC, lambda: ENDPOINTS, now=lambda: 0.0, register_secret=lambda _s: None)
    attempt = grant.start()
    with pytest.raises(AuthFailed, match="state that does not belong"):
        grant.finish({"state": "\u00e9t\u00e9", "code": "c0de"}, attempt)
