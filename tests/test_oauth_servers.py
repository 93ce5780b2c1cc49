"""The local managed login and OpenID Connect provider are as strict as the services
(stricter on PKCE), and the strict identity pool accepts what they mint, and only that.

These drive the servers with plain HTTP (the browser driver and urllib), without the
helper, so a lenient fake cannot hide behind a lenient client."""

from __future__ import annotations

import base64
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest

from .browser_driver import drive
from .browser_setup import (
    PLUS_SECRET,
    ManagedPool,
    OidcSetup,
    managed,
    managed_plus_secret,
    managed_secret,
    oidc,
    provision_oidc,
)
from .conftest import PASSWORD, aws_client
from .managed_login import CODE_LIFETIME_SECONDS
from .oauth_common import s256
from .strict_cognito import BEHAVIOUR

pytestmark = pytest.mark.integration
__all__ = ["managed", "managed_plus_secret", "managed_secret", "oidc"]  # fixtures used below


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with OPENER.open(url, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read().decode()


def post(
    url: str, form: dict[str, str], basic: tuple[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if basic is not None:
        raw = f"{basic[0]}:{basic[1]}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
    request = urllib.request.Request(  # noqa: S310
        url, data=urllib.parse.urlencode(form).encode(), headers=headers, method="POST"
    )
    try:
        with OPENER.open(request, timeout=10) as answer:
            body = answer.read()
            return answer.status, json.loads(body) if body else {}
    except urllib.error.HTTPError as exc:
        with exc:
            body = exc.read()
        return exc.code, json.loads(body) if body else {}


def query_of(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


class Pkce:
    def __init__(self) -> None:
        self.verifier = secrets.token_urlsafe(48)
        self.challenge = s256(self.verifier)


def authorize_url(base: str, client_id: str, redirect_uri: str, pkce: Pkce, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": "st-123",
        "scope": "openid email",
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{base}?{urllib.parse.urlencode({k: v for k, v in params.items() if v})}"


def managed_authorize(
    pool: ManagedPool,
    pkce: Pkce | None = None,
    *,
    client_id: str | None = None,
    redirect_uri: str | None = None,
    **extra: str,
) -> str:
    """The managed login's authorize URL, for the pool's client and callback unless told."""
    return authorize_url(
        pool.login.url + "/oauth2/authorize",
        client_id or pool.client_id,
        redirect_uri or pool.redirect_uri,
        pkce or Pkce(),
        **extra,
    )


def managed_code(pool: ManagedPool, pkce: Pkce, **extra: str) -> str:
    url = managed_authorize(pool, pkce, **extra)
    visit = drive(url, username="alice", password=PASSWORD, call_back=False)
    assert visit.callback_url, visit
    found = query_of(visit.callback_url)
    assert found.get("state") == "st-123"
    return found["code"]


def exchange(pool: ManagedPool, code: str, verifier: str, **changes: str) -> tuple[int, Any]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": pool.client_id,
        "redirect_uri": pool.redirect_uri,
        "code_verifier": verifier,
        **changes,
    }
    basic = (pool.client_id, pool.client_secret) if pool.client_secret else None
    return post(pool.login.url + "/oauth2/token", form, basic)


def identity_accepts(endpoint: str, pool_id: str, key: str, id_token: str) -> str:
    identity = aws_client("cognito-identity", endpoint)
    identity_id = identity.get_id(IdentityPoolId=pool_id, Logins={key: id_token})["IdentityId"]
    identity.get_credentials_for_identity(IdentityId=identity_id, Logins={key: id_token})
    return str(identity_id)


# managed login ---------------------------------------------------------------------------


def test_sign_in_code_exchange_and_tokens_the_identity_pool_accepts(managed: ManagedPool) -> None:
    pkce = Pkce()
    code = managed_code(managed, pkce)
    status, tokens = exchange(managed, code, pkce.verifier)
    assert status == 200, tokens
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    key = f"cognito-idp.us-east-1.amazonaws.com/{managed.cognito.user_pool_id}"
    assert identity_accepts(
        managed.cognito.endpoint, managed.identity_pool_id, key, tokens["id_token"]
    )
    # REFRESH_TOKEN_AUTH through moto's API accepts the refresh token it minted
    refreshed = managed.cognito.idp.initiate_auth(
        ClientId=managed.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["refresh_token"]},
    )
    assert refreshed["AuthenticationResult"]["IdToken"]


def test_a_code_is_single_use_and_a_replay_revokes_its_tokens(managed: ManagedPool) -> None:
    pkce = Pkce()
    code = managed_code(managed, pkce)
    status, tokens = exchange(managed, code, pkce.verifier)
    assert status == 200
    assert exchange(managed, code, pkce.verifier) == (400, {"error": "invalid_grant"})
    form = {"grant_type": "refresh_token", "client_id": managed.client_id}
    status, answer = post(
        managed.login.url + "/oauth2/token", {**form, "refresh_token": tokens["refresh_token"]}
    )
    assert (status, answer) == (400, {"error": "invalid_grant"})


def test_a_code_expires_after_five_minutes_by_the_injected_clock(managed: ManagedPool) -> None:
    pkce = Pkce()
    code = managed_code(managed, pkce)
    managed.login.clock.advance(CODE_LIFETIME_SECONDS + 1)
    assert exchange(managed, code, pkce.verifier) == (400, {"error": "invalid_grant"})


def test_just_inside_the_code_lifetime_is_accepted(managed: ManagedPool) -> None:
    pkce = Pkce()
    code = managed_code(managed, pkce)
    managed.login.clock.advance(CODE_LIFETIME_SECONDS - 1)
    assert exchange(managed, code, pkce.verifier)[0] == 200


@pytest.mark.parametrize(
    "changes",
    [
        {"code_verifier": "x" * 50},  # another verifier
        {"code_verifier": ""},  # none
        {"redirect_uri": "http://localhost:1/callback"},  # not the authorize request's
    ],
)
def test_pkce_and_redirect_uri_are_checked_at_the_token_endpoint(
    managed: ManagedPool, changes: dict[str, str]
) -> None:
    pkce = Pkce()
    code = managed_code(managed, pkce)
    assert exchange(managed, code, pkce.verifier, **changes) == (400, {"error": "invalid_grant"})


def test_pkce_is_required_at_authorize(managed: ManagedPool) -> None:
    url = managed_authorize(managed, code_challenge_method="plain")
    status, headers, _ = get(url)
    assert status == 302
    found = query_of(headers["Location"])
    assert found["error"] == "invalid_request" and found["state"] == "st-123"
    assert headers["Location"].startswith(managed.redirect_uri)


def test_redirect_uri_must_match_exactly_and_the_error_stays_on_the_domain(
    managed: ManagedPool,
) -> None:
    for wrong in (
        managed.redirect_uri + "/",
        managed.redirect_uri.replace("localhost", "127.0.0.1"),
    ):
        url = managed_authorize(managed, redirect_uri=wrong)
        status, headers, _ = get(url)
        assert status == 302
        assert headers["Location"] == (
            f"{managed.login.url}/error?error=redirect_mismatch&client_id={managed.client_id}"
        )
    status, _, page = get(headers["Location"])
    assert status == 400 and "An error was encountered" in page


def test_unknown_client_gets_the_error_page(managed: ManagedPool) -> None:
    url = managed_authorize(managed, client_id="no-such-client")
    status, headers, _ = get(url)
    assert status == 302
    assert headers["Location"].startswith(managed.login.url + "/error?error=invalid_request")


def test_scope_not_allowed_on_the_client_is_an_error_redirect(managed: ManagedPool) -> None:
    url = managed_authorize(managed, scope="openid aws.cognito.signin.user.admin")
    status, headers, _ = get(url)
    assert status == 302 and headers["Location"].startswith(managed.redirect_uri + "?")
    assert query_of(headers["Location"])["error"] == "invalid_scope"


def test_cancel_on_the_sign_in_page_is_access_denied_with_state(managed: ManagedPool) -> None:
    url = managed_authorize(managed)
    visit = drive(url, mode="deny", call_back=False)
    assert visit.callback_url
    found = query_of(visit.callback_url)
    assert found["error"] == "access_denied" and found["state"] == "st-123"
    assert "code" not in found


def test_wrong_password_stays_on_the_sign_in_page(managed: ManagedPool) -> None:
    url = managed_authorize(managed)
    visit = drive(url, username="alice", password="not-it", call_back=False, max_steps=4)
    assert visit.callback_url is None
    assert managed.login.calls["login failed"] >= 1
    assert managed.login.calls["code issued"] == 0


def test_a_session_redirects_at_once(managed: ManagedPool) -> None:
    managed.login.session_user = "alice"
    url = managed_authorize(managed)
    status, headers, _ = get(url)
    assert status == 302 and "code" in query_of(headers["Location"])
    assert managed.login.calls["login page"] == 0


def test_identity_provider_sends_the_person_to_that_idp(managed: ManagedPool) -> None:
    managed.add_federated_idp("Okta")
    client = managed.add_client(identity_providers=("COGNITO", "Okta"))
    url = managed_authorize(managed, client_id=client["ClientId"], identity_provider="Okta")
    visit = drive(url, username="carol", call_back=False)
    assert visit.callback_url and "code" in query_of(visit.callback_url)
    assert managed.login.calls["federated:Okta"] == 2  # the IdP's page, then its form post
    assert managed.login.calls["login page"] == 0
    # not enabled on the first client: an error redirect
    url = managed_authorize(managed, identity_provider="Okta")
    assert query_of(get(url)[1]["Location"])["error"] == "invalid_request"


def test_client_secret_only_as_http_basic(managed_secret: ManagedPool) -> None:
    pool = managed_secret
    assert pool.client_secret
    pkce = Pkce()
    code = managed_code(pool, pkce)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": pool.client_id,
        "redirect_uri": pool.redirect_uri,
        "code_verifier": pkce.verifier,
    }
    url = pool.login.url + "/oauth2/token"
    assert post(url, form)[1]["error"] == "invalid_client"  # no secret
    assert post(url, form, (pool.client_id, "wrong"))[1]["error"] == "invalid_client"
    assert post(url, {**form, "client_secret": pool.client_secret})[1]["error"] == "invalid_client"
    status, tokens = post(url, form, (pool.client_id, pool.client_secret))
    assert status == 200 and tokens["id_token"]


def basic(client_id: str, secret: str, *, form_encoded: bool) -> str:
    if form_encoded:
        client_id, secret = urllib.parse.quote_plus(client_id), urllib.parse.quote_plus(secret)
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def revoke_status(url: str, client_id: str, authorization: str) -> tuple[int, dict[str, Any]]:
    """A revocation of a token nobody holds: only the client's authentication matters."""
    request = urllib.request.Request(  # noqa: S310
        url,
        data=urllib.parse.urlencode({"token": "nobodys", "client_id": client_id}).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": authorization,
        },
        method="POST",
    )
    try:
        with OPENER.open(request, timeout=10) as answer:
            return answer.status, {}
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def test_managed_login_takes_a_secret_only_in_cognitos_form_of_basic(
    managed_plus_secret: ManagedPool,
) -> None:
    """Basic Base64Encode(client_id:client_secret), the values as they are: a secret
    with + form-encoded first (RFC 6749 2.3.1's way) is another secret to Cognito."""
    pool = managed_plus_secret
    assert pool.client_secret == PLUS_SECRET
    url = pool.login.url + "/oauth2/revoke"
    as_is = basic(pool.client_id, PLUS_SECRET, form_encoded=False)
    assert revoke_status(url, pool.client_id, as_is) == (200, {})
    encoded = basic(pool.client_id, PLUS_SECRET, form_encoded=True)
    assert revoke_status(url, pool.client_id, encoded) == (400, {"error": "invalid_client"})


def test_the_oidc_provider_takes_a_secret_only_as_rfc_6749_encodes_it(moto_endpoint: str) -> None:
    setup = provision_oidc(moto_endpoint, secret=PLUS_SECRET)
    try:
        url = setup.provider.issuer + "/v1/revoke"
        client_id = setup.client.client_id
        encoded = basic(client_id, PLUS_SECRET, form_encoded=True)
        assert revoke_status(url, client_id, encoded) == (200, {})
        status, error = revoke_status(
            url, client_id, basic(client_id, PLUS_SECRET, form_encoded=False)
        )
        assert status == 401 and error["error"] == "invalid_client"
    finally:
        setup.provider.stop()


def test_refresh_and_revoke_through_the_oauth_endpoints(managed: ManagedPool) -> None:
    pkce = Pkce()
    _, tokens = exchange(managed, managed_code(managed, pkce), pkce.verifier)
    url = managed.login.url
    form = {"grant_type": "refresh_token", "client_id": managed.client_id}
    status, renewed = post(
        url + "/oauth2/token", {**form, "refresh_token": tokens["refresh_token"]}
    )
    assert status == 200 and renewed["id_token"] and "refresh_token" not in renewed
    revoke = {"token": tokens["refresh_token"], "client_id": managed.client_id}
    assert post(url + "/oauth2/revoke", revoke)[0] == 200
    status, answer = post(url + "/oauth2/token", {**form, "refresh_token": tokens["refresh_token"]})
    assert (status, answer) == (400, {"error": "invalid_grant"})
    with pytest.raises(Exception, match="revoked"):
        managed.cognito.idp.initiate_auth(
            ClientId=managed.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["refresh_token"]},
        )


def test_rotation_hands_out_a_new_refresh_token_and_retires_the_old(managed: ManagedPool) -> None:
    client = managed.add_client(rotate=True)
    pool = ManagedPool(
        managed.cognito,
        managed.login,
        client["ClientId"],
        None,
        managed.redirect_uri,
        managed.identity_pool_id,
    )
    pkce = Pkce()
    _, tokens = exchange(pool, managed_code(pool, pkce), pkce.verifier)
    form = {"grant_type": "refresh_token", "client_id": pool.client_id}
    url = pool.login.url + "/oauth2/token"
    status, renewed = post(url, {**form, "refresh_token": tokens["refresh_token"]})
    assert status == 200 and renewed["refresh_token"] != tokens["refresh_token"]
    assert post(url, {**form, "refresh_token": tokens["refresh_token"]})[0] == 400
    assert post(url, {**form, "refresh_token": renewed["refresh_token"]})[0] == 200


# the OpenID Connect provider -----------------------------------------------------------


def oidc_tokens(setup: OidcSetup, **extra: str) -> dict[str, Any]:
    discovery = json.loads(get(setup.provider.issuer + "/.well-known/openid-configuration")[2])
    assert discovery["issuer"] == setup.provider.issuer
    pkce = Pkce()
    url = authorize_url(
        discovery["authorization_endpoint"],
        setup.client.client_id,
        setup.client.redirect_uris[0],
        pkce,
        scope="openid email offline_access",
        **extra,
    )
    visit = drive(url, username=setup.username, password=setup.password, call_back=False)
    assert visit.callback_url, visit
    status, tokens = post(
        discovery["token_endpoint"],
        {
            "grant_type": "authorization_code",
            "code": query_of(visit.callback_url)["code"],
            "client_id": setup.client.client_id,
            "redirect_uri": setup.client.redirect_uris[0],
            "code_verifier": pkce.verifier,
        },
    )
    assert status == 200, tokens
    return tokens


def claims_of(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))


def test_oidc_sign_in_echoes_nonce_and_the_identity_pool_trusts_the_issuer(oidc: OidcSetup) -> None:
    tokens = oidc_tokens(oidc, nonce="n-0S6_WzA2Mj")
    claims = claims_of(tokens["id_token"])
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["iss"] == oidc.provider.issuer and claims["aud"] == oidc.client.client_id
    assert tokens["refresh_token"] and tokens["access_token"].count(".") == 0  # opaque
    assert identity_accepts(
        oidc.endpoint, oidc.identity_pool_id, oidc.logins_key, tokens["id_token"]
    )


def test_identity_pool_refuses_a_provider_it_does_not_list(moto_endpoint: str) -> None:
    setup = provision_oidc(moto_endpoint, register=False)
    try:
        tokens = oidc_tokens(setup)
        with pytest.raises(Exception, match="not from a supported provider"):
            identity_accepts(
                setup.endpoint, setup.identity_pool_id, setup.logins_key, tokens["id_token"]
            )
    finally:
        setup.provider.stop()


def test_identity_pool_checks_audience_issuer_and_signature(oidc: OidcSetup) -> None:
    provider = oidc.provider
    good = claims_of(oidc_tokens(oidc)["id_token"])
    for changed, reason in (
        ({"aud": "another-app"}, "audience"),
        ({"iss": "https://" + oidc.logins_key + "/x"}, "Issuer"),
    ):
        token = provider.sign({**good, **changed})
        with pytest.raises(Exception, match=reason):
            identity_accepts(oidc.endpoint, oidc.identity_pool_id, oidc.logins_key, token)
    head, body, _sig = provider.sign(good).split(".")
    forged = f"{head}.{body}.{base64.urlsafe_b64encode(b'x' * 256).decode().rstrip('=')}"
    with pytest.raises(Exception, match="signature"):
        identity_accepts(oidc.endpoint, oidc.identity_pool_id, oidc.logins_key, forged)


def test_oidc_refresh_needs_offline_access_and_revoke_ends_it(oidc: OidcSetup) -> None:
    discovery = oidc.provider.discovery()
    tokens = oidc_tokens(oidc)
    form = {"grant_type": "refresh_token", "client_id": oidc.client.client_id}
    status, renewed = post(
        discovery["token_endpoint"], {**form, "refresh_token": tokens["refresh_token"]}
    )
    assert status == 200 and renewed["id_token"] and "nonce" not in claims_of(renewed["id_token"])
    revoke = {"token": tokens["refresh_token"], "client_id": oidc.client.client_id}
    assert post(discovery["revocation_endpoint"], revoke)[0] == 200
    status, answer = post(
        discovery["token_endpoint"], {**form, "refresh_token": tokens["refresh_token"]}
    )
    assert status == 400 and answer["error"] == "invalid_grant"


def test_oidc_redirect_uri_mismatch_is_a_400_page_not_a_redirect(oidc: OidcSetup) -> None:
    url = authorize_url(
        oidc.provider.discovery()["authorization_endpoint"],
        oidc.client.client_id,
        "http://localhost:1/elsewhere",
        Pkce(),
    )
    status, headers, page = get(url)
    assert status == 400 and "Location" not in headers and "redirect_uri" in page


def test_issued_tokens_are_known_to_the_leak_oracle(managed: ManagedPool) -> None:
    pkce = Pkce()
    _, tokens = exchange(managed, managed_code(managed, pkce), pkce.verifier)
    with BEHAVIOUR.lock:
        assert {tokens["id_token"], tokens["access_token"], tokens["refresh_token"]} <= (
            BEHAVIOUR.issued
        )
