"""A local OpenID Connect provider (in the manner of Okta's authorization servers) that
an identity pool can trust directly, with no user pool in between.

    {issuer}/.well-known/openid-configuration  the discovery document
    {issuer}/v1/authorize   unknown client or a redirect_uri that is not registered ->
                            HTTP 400 page (never a redirect); then scopes (offline_access
                            only for clients allowed refresh tokens) and PKCE S256 ->
                            error redirects with state; the sign-in page, or a code at
                            once for a session
    {issuer}/v1/token       authorization_code (single-use, short-lived by the injected
                            clock, PKCE verified) and refresh_token; the ID token echoes
                            nonce; access tokens are opaque unless ``jwt_access_tokens``
    {issuer}/v1/revoke      revokes a refresh or access token
    {issuer}/v1/keys        the JWKS the ID tokens are signed with (RS256)
"""

from __future__ import annotations

import secrets
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from .oauth_common import (
    CHALLENGE_RE,
    AuthorizationServer,
    Clock,
    Request,
    Response,
    authenticate_client,
    back_to_client,
    html_page,
    json_response,
    login_form,
    oauth_error,
    pkce_matches,
    redirect,
)
from .strict_cognito import BEHAVIOUR

AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "nonce",
)


@dataclass
class OidcClient:
    client_id: str
    redirect_uris: list[str]
    secret: str | None = None
    scopes: tuple[str, ...] = ("openid", "email", "profile", "offline_access")
    refresh_tokens: bool = True  # the refresh_token grant is allowed
    rotate: bool = False  # each refresh hands out a new refresh token


@dataclass
class _Refresh:
    client_id: str
    username: str
    scopes: tuple[str, ...]
    revoked: bool = False
    access_tokens: list[str] = field(default_factory=list)


class OidcProvider(AuthorizationServer):
    """One authorization server; its issuer is ``{url}{path}``."""

    def __init__(self, path: str = "/oauth2/default", *, clock: Clock | None = None) -> None:
        super().__init__(clock, 60)  # Okta's codes last one minute
        self.path = path.rstrip("/")
        self.key = RSAKey.generate_key(2048, parameters={"kid": uuid.uuid4().hex[:8]})
        self.clients: dict[str, OidcClient] = {}
        self.users: dict[str, str] = {}
        self.token_lifetime = 3600
        self.jwt_access_tokens = False
        self.refresh: dict[str, _Refresh] = {}
        self.access_tokens: dict[str, bool] = {}  # token -> still valid
        self.discovery_changes: dict[str, Any] = {}  # what the document says instead
        # OpenID Connect Core 12.2: a refresh's answer "might not contain an id_token"
        self.id_token_on_refresh = True
        # Claims a broken or hostile provider puts in its ID tokens instead
        self.id_token_changes: dict[str, Any] = {}

    @property
    def issuer(self) -> str:
        return f"{self.url}{self.path}"

    def add_client(self, client: OidcClient) -> OidcClient:
        self.clients[client.client_id] = client
        return client

    def add_user(self, username: str, password: str) -> None:
        self.users[username] = password

    def subject(self, username: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.issuer}/{username}"))

    # dispatch --------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if not request.path.startswith(self.path + "/"):
            return html_page(404, "Not found", "")
        route = (request.method, request.path[len(self.path) :])
        if route == ("GET", "/.well-known/openid-configuration"):
            self.count("discovery")
            return json_response(200, self.discovery())
        if route == ("GET", "/v1/keys"):
            self.count("keys")
            return json_response(200, KeySet([self.key]).as_dict(private=False))
        if route == ("GET", "/v1/authorize"):
            return self.authorize(request)
        if route[1] == "/v1/login":
            return self.login(request)
        if route == ("POST", "/v1/token"):
            return self.token(request)
        if route == ("POST", "/v1/revoke"):
            return self.revoke(request)
        return html_page(404, "Not found", "")

    def discovery(self) -> dict[str, Any]:
        base = self.issuer
        document = {
            "issuer": base,
            "authorization_endpoint": f"{base}/v1/authorize",
            "token_endpoint": f"{base}/v1/token",
            "revocation_endpoint": f"{base}/v1/revoke",
            "jwks_uri": f"{base}/v1/keys",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "profile", "offline_access"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "none"],
        }
        return {**document, **self.discovery_changes}

    # authorize and sign in -------------------------------------------------------------

    def _error_redirect(self, query: dict[str, str], error: str, description: str) -> Response:
        return back_to_client(query, {"error": error, "error_description": description})

    def check_authorize(self, query: dict[str, str]) -> Response | None:
        client = self.clients.get(query.get("client_id", ""))
        if client is None:
            return html_page(400, "Bad Request: invalid_client", "<p>Unknown client_id.</p>")
        if query.get("redirect_uri") not in client.redirect_uris:
            return html_page(
                400,
                "Bad Request: redirect_uri",
                "<p>The redirect_uri parameter must be a sign-in redirect URI of the app.</p>",
            )
        if query.get("response_type") != "code":
            return self._error_redirect(query, "unsupported_response_type", "use code")
        scopes = query.get("scope", "").split()
        allowed = set(client.scopes) | ({"offline_access"} if client.refresh_tokens else set())
        if "openid" not in scopes or not set(scopes) <= allowed:
            return self._error_redirect(query, "invalid_scope", "One or more scopes are invalid.")
        if "offline_access" in scopes and not client.refresh_tokens:
            return self._error_redirect(query, "invalid_scope", "offline_access is not allowed.")
        if query.get("code_challenge_method") != "S256" or not CHALLENGE_RE.match(
            query.get("code_challenge", "")
        ):
            return self._error_redirect(query, "invalid_request", "PKCE S256 is required.")
        return None

    def authorize(self, request: Request) -> Response:
        query = request.query
        refused = self.begin_authorize(request)
        if refused is not None:
            return refused
        if self.session_user:
            return self._issue_code(query, self.session_user)
        params = urllib.parse.urlencode({k: query[k] for k in AUTHORIZE_PARAMS if k in query})
        return redirect(f"{self.issuer}/v1/login?{params}")

    def _issue_code(self, query: dict[str, str], username: str) -> Response:
        return self.issue_code(query, username, tuple(query.get("scope", "").split()))

    def login(self, request: Request) -> Response:
        source = request.form if request.method == "POST" else request.query
        params = {k: source[k] for k in AUTHORIZE_PARAMS if k in source}
        refused = self.check_authorize(params)
        if refused is not None:
            return refused
        problem = ""
        if request.method == "POST":
            self.count("login post")
            if request.form.get("action") == "cancel":
                return self._error_redirect(params, "access_denied", "User cancelled sign-in.")
            username = request.form.get("username", "")
            expected = self.users.get(username)
            if expected is not None and secrets.compare_digest(
                expected, request.form.get("password", "")
            ):
                return self._issue_code(params, username)
            self.count("login failed")
            problem = "<p class='error'>Unable to sign in.</p>"
        return html_page(200, "Sign in", login_form(f"{self.issuer}/v1/login", params, problem))

    # tokens ----------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> tuple[OidcClient | None, Response | None]:
        # client_secret_basic as RFC 6749 2.3.1 defines it (OpenID Connect Core 9):
        # id and secret form-encoded, then joined.
        return authenticate_client(
            request, self.clients.get, lambda client: client.secret, form_encoded=True, status=401
        )

    def token(self, request: Request) -> Response:
        grant_type = request.form.get("grant_type", "")
        self.count(f"token:{grant_type}")
        client, refused = self._authenticate(request)
        if refused is not None:
            return refused
        assert client is not None
        if grant_type == "authorization_code":
            grant, problem = self.codes.redeem(request.form.get("code", ""))
            if grant is None or problem:
                return oauth_error("invalid_grant", description=problem or "bad code")
            if (
                grant.client_id != client.client_id
                or request.form.get("redirect_uri") != grant.redirect_uri
            ):
                return oauth_error("invalid_grant", description="redirect_uri or client")
            if not pkce_matches(request.form.get("code_verifier"), grant.code_challenge):
                self.count("pkce failed")
                return oauth_error("invalid_grant", description="PKCE verification failed.")
            self.count("code exchanged")
            return json_response(200, self._mint(client, grant.username, grant.scopes, grant.nonce))
        if grant_type == "refresh_token":
            if not client.refresh_tokens:
                return oauth_error("unauthorized_client")
            old = request.form.get("refresh_token", "")
            entry = self.refresh.get(old)
            if entry is None or entry.revoked or entry.client_id != client.client_id:
                return oauth_error("invalid_grant", description="The refresh token is invalid.")
            self.count("refreshed")
            if client.rotate:
                entry.revoked = True
                minted = self._mint(client, entry.username, entry.scopes, None, refreshing=True)
                return json_response(200, minted)
            tokens = self._mint(
                client, entry.username, entry.scopes, None, keep=old, refreshing=True
            )
            return json_response(200, tokens)
        return oauth_error("unsupported_grant_type")

    def _mint(
        self,
        client: OidcClient,
        username: str,
        scopes: tuple[str, ...],
        nonce: str | None,
        *,
        keep: str | None = None,
        refreshing: bool = False,
    ) -> dict[str, Any]:
        now = int(self.clock())
        if self.jwt_access_tokens:
            access = self.sign(
                {
                    "iss": self.issuer,
                    "aud": "api://default",
                    "sub": self.subject(username),
                    "cid": client.client_id,
                    "scp": list(scopes),
                    "iat": now,
                    "exp": now + self.token_lifetime,
                    "jti": uuid.uuid4().hex,
                }
            )
        else:
            access = secrets.token_urlsafe(32)
        self.access_tokens[access] = True
        result: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "access_token": access,
            "scope": " ".join(scopes),
        }
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": client.client_id,
            "sub": self.subject(username),
            "iat": now,
            "auth_time": now,
            "exp": now + self.token_lifetime,
            "preferred_username": username,
            "email": f"{username}@example.com",
        }
        if nonce is not None:
            claims["nonce"] = nonce
        claims.update(self.id_token_changes)
        if not refreshing or self.id_token_on_refresh:
            result["id_token"] = self.sign(claims)
        if keep is not None:
            self.refresh[keep].access_tokens.append(access)
        elif "offline_access" in scopes:
            refresh_token = secrets.token_urlsafe(32)
            self.refresh[refresh_token] = _Refresh(
                client.client_id, username, scopes, False, [access]
            )
            result["refresh_token"] = refresh_token
        BEHAVIOUR.record(*(v for k, v in result.items() if k.endswith("_token")))
        return result

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "RS256", "kid": str(self.key.kid)}, claims, self.key)

    def revoke(self, request: Request) -> Response:
        self.count("revoke")
        client, refused = self._authenticate(request)
        if refused is not None:
            return refused
        assert client is not None
        token = request.form.get("token")
        if not token:
            return oauth_error("invalid_request")
        entry = self.refresh.get(token)
        if entry is not None and entry.client_id == client.client_id:
            entry.revoked = True
            for access in entry.access_tokens:
                self.access_tokens[access] = False
            self.count("revoked")
        elif token in self.access_tokens:
            self.access_tokens[token] = False
            self.count("revoked")
        return Response(200)
