"""A local managed login (a user pool's hosted sign-in pages and OAuth 2.0 endpoints)
for a moto user pool, as strict as Cognito where it matters, and stricter on PKCE.

moto has no /oauth2 endpoints. This server plays them over real HTTP on 127.0.0.1. It
reads the app client (callback and sign-out URLs, allowed OAuth flows and scopes,
identity providers, secret) from moto's backend in the same process, and mints tokens
through moto's user pool, so REFRESH_TOKEN_AUTH, GlobalSignOut and the strict identity
pool accept them and a revoked refresh token is revoked everywhere.

    GET  /oauth2/authorize  unknown client -> /error page; redirect_uri not exactly a
                            callback URL -> /error?error=redirect_mismatch (never the
                            callback); then response type, flows, scopes, PKCE S256 and
                            identity_provider -> error redirects to the callback with
                            state. A session (cookie, or ``session_user``) gets a code at
                            once; otherwise /login, or the page of the federated IdP
                            that identity_provider names.
    GET|POST /login         the sign-in form; Cancel -> error=access_denied
    GET|POST /federated/NAME  the federated IdP's page (stands in for Okta, Google...)
    POST /oauth2/token      authorization_code (code single-use and short-lived by the
                            injected clock, PKCE verifier, same redirect_uri and client)
                            and refresh_token (rotation when the client rotates); a
                            client secret only as HTTP Basic
    POST /oauth2/revoke     revokes a refresh token of that client
    GET  /logout            ends the session, back to a registered sign-out URL
"""

from __future__ import annotations

import html
import secrets
import urllib.parse
from typing import Any

from .oauth_common import (
    CHALLENGE_RE,
    AuthorizationServer,
    Clock,
    Request,
    Response,
    authenticate_client,
    back_to_client,
    hidden_inputs,
    html_page,
    json_response,
    login_form,
    oauth_error,
    pkce_matches,
    redirect,
)
from .strict_cognito import BEHAVIOUR

ACCOUNT = "123456789012"
CODE_LIFETIME_SECONDS = 5 * 60  # Cognito's authorization codes last five minutes
SESSION_COOKIE = "cognito"
# The parameters of /oauth2/authorize that travel on to /login and the IdP's page.
AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "identity_provider",
    "nonce",
)


class ManagedLogin(AuthorizationServer):
    """The user pool's domain, served locally; knobs and records are attributes."""

    def __init__(
        self,
        user_pool_id: str,
        *,
        clock: Clock | None = None,
        account: str = ACCOUNT,
        issuer_configuration: str = "ORIGINAL",
    ) -> None:
        super().__init__(clock, CODE_LIFETIME_SECONDS)
        self.user_pool_id = user_pool_id
        self.region = user_pool_id.split("_", 1)[0]
        self.account = account
        # The pool's IssuerConfiguration (moto has none): ORIGINAL tokens name
        # https://cognito-idp.REGION.amazonaws.com/POOL_ID as iss, UPDATED ones
        # https://issuer-cognito-idp.REGION.amazonaws.com/POOL_ID, REGION being the
        # pool's primary region (Amazon Cognito API Reference, IssuerConfigurationType).
        self.issuer_configuration = issuer_configuration
        self.sessions: dict[str, str] = {}
        self.scopes_of: dict[str, tuple[str, ...]] = {}  # refresh token -> its scopes

    # moto's model of the pool, read on every request ----------------------------------

    def pool(self) -> Any:
        from moto.cognitoidp.models import cognitoidp_backends

        return cognitoidp_backends[self.account][self.region].user_pools[self.user_pool_id]

    def _client(self, client_id: str | None) -> Any:
        if not client_id:
            return None
        return self.pool().clients.get(client_id)

    # dispatch --------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        route = (request.method, request.path)
        if route == ("GET", "/oauth2/authorize"):
            return self.authorize(request)
        if request.path == "/login":
            return self.login(request)
        if request.path.startswith("/federated/"):
            return self.federated(request, request.path.removeprefix("/federated/"))
        if route == ("POST", "/oauth2/token"):
            return self.token(request)
        if route == ("POST", "/oauth2/revoke"):
            return self.revoke(request)
        if route == ("GET", "/logout"):
            return self.logout(request)
        if route == ("GET", "/error"):
            self.count("error page")
            shown = html.escape(request.query.get("error", ""))
            return html_page(
                400, "An error was encountered with the requested page.", f"<p>{shown}</p>"
            )
        return html_page(404, "Not found", "")

    # the authorize step ----------------------------------------------------------------

    def _error_page(self, error: str, client_id: str | None = None, **extra: str) -> Response:
        params = {"error": error, **extra}
        if client_id:
            params["client_id"] = client_id
        return redirect(f"{self.url}/error?{urllib.parse.urlencode(params)}")

    def _error_redirect(self, query: dict[str, str], error: str, description: str) -> Response:
        """Errors once the callback is known good go back to it, with state."""
        return back_to_client(query, {"error_description": description, "error": error})

    def check_authorize(self, query: dict[str, str]) -> Response | None:
        """None when the request may proceed; else the response Cognito gives."""
        client = self._client(query.get("client_id"))
        if client is None:
            return self._error_page("invalid_request", error_description="Client does not exist")
        config = client.extended_config
        if query.get("redirect_uri") not in (config.get("CallbackURLs") or []):
            return self._error_page("redirect_mismatch", client.id)
        if query.get("response_type") != "code":
            return self._error_redirect(query, "unsupported_response_type", "response_type")
        if not config.get("AllowedOAuthFlowsUserPoolClient") or "code" not in (
            config.get("AllowedOAuthFlows") or []
        ):
            return self._error_redirect(
                query, "unauthorized_client", "the client may not use the code grant"
            )
        allowed = set(config.get("AllowedOAuthScopes") or [])
        if not set(query.get("scope", "").split()) <= allowed:
            return self._error_redirect(query, "invalid_scope", "invalid_scope")
        if query.get("code_challenge_method") != "S256" or not CHALLENGE_RE.match(
            query.get("code_challenge", "")
        ):
            return self._error_redirect(
                query, "invalid_request", "a PKCE code_challenge with method S256 is required"
            )
        idp = query.get("identity_provider")
        supported = config.get("SupportedIdentityProviders") or ["COGNITO"]
        if idp is not None and (
            idp not in supported or (idp != "COGNITO" and idp not in self.pool().identity_providers)
        ):
            return self._error_redirect(
                query, "invalid_request", f"identity provider {idp} is not enabled for the client"
            )
        return None

    def authorize(self, request: Request) -> Response:
        query = request.query
        refused = self.begin_authorize(request)
        if refused is not None:
            return refused
        signed_in = self.sessions.get(request.cookies.get(SESSION_COOKIE, "")) or self.session_user
        if signed_in:
            return self._issue_code(query, signed_in)
        params = urllib.parse.urlencode({k: query[k] for k in AUTHORIZE_PARAMS if k in query})
        idp = query.get("identity_provider")
        if idp and idp != "COGNITO":
            return redirect(f"{self.url}/federated/{urllib.parse.quote(idp)}?{params}")
        return redirect(f"{self.url}/login?{params}")

    def _issue_code(self, query: dict[str, str], username: str) -> Response:
        scopes = tuple(query.get("scope", "").split()) or tuple(
            self._client(query["client_id"]).extended_config.get("AllowedOAuthScopes") or []
        )
        return self.issue_code(query, username, scopes)

    # the pages a person sees -----------------------------------------------------------

    def _params_of(self, request: Request) -> dict[str, str]:
        source = request.form if request.method == "POST" else request.query
        return {k: source[k] for k in AUTHORIZE_PARAMS if k in source}

    def login(self, request: Request) -> Response:
        params = self._params_of(request)
        refused = self.check_authorize(params)
        if refused is not None:
            return refused
        if request.method == "GET":
            self.count("login page")
            return self._login_form(params, "")
        self.count("login post")
        if request.form.get("action") == "cancel":
            return self._error_redirect(params, "access_denied", "The user cancelled sign-in.")
        user = self.pool()._get_user(request.form.get("username", ""))
        password = request.form.get("password", "")
        if (
            user is None
            or not user.enabled
            or user.status != "CONFIRMED"
            or not secrets.compare_digest(str(user.password or ""), password)
        ):
            self.count("login failed")
            return self._login_form(params, "Incorrect username or password.")
        return self._signed_in(params, user.username)

    def _signed_in(self, params: dict[str, str], username: str) -> Response:
        cookie = secrets.token_urlsafe(16)
        self.sessions[cookie] = username
        response = self._issue_code(params, username)
        response.headers.append(
            ("Set-Cookie", f"{SESSION_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Lax")
        )
        return response

    def _login_form(self, params: dict[str, str], problem: str) -> Response:
        shown = f"<p class='error'>{html.escape(problem)}</p>" if problem else ""
        return html_page(200, "Sign in", login_form("/login", params, shown))

    def federated(self, request: Request, name: str) -> Response:
        """The page of a federated IdP: who signs in there becomes NAME_user in the pool."""
        params = self._params_of(request)
        if params.get("identity_provider") != name:
            return html_page(400, "Unknown request", "")
        refused = self.check_authorize(params)
        if refused is not None:
            return refused
        self.count(f"federated:{name}")
        if request.method == "GET":
            form = (
                f"<form method='post'>{hidden_inputs(params)}"
                "<label>Username <input name='username'></label>"
                "<button name='action' value='signin'>Sign in</button>"
                "<button name='action' value='cancel'>Cancel</button></form>"
            )
            return html_page(200, f"Sign in with {name}", form)
        if request.form.get("action") == "cancel":
            return self._error_redirect(params, "access_denied", f"{name} Error - user cancelled")
        username = f"{name}_{request.form.get('username', '')}"
        pool = self.pool()
        if pool._get_user(username) is None:
            from moto.cognitoidp.models import cognitoidp_backends

            backend = cognitoidp_backends[self.account][self.region]
            user = backend.admin_create_user(
                self.user_pool_id, username, "SUPPRESS", secrets.token_urlsafe(12), []
            )
            user.status = "EXTERNAL_PROVIDER"
        return self._signed_in(params, username)

    # the token endpoint ----------------------------------------------------------------

    def _authenticate(self, request: Request) -> tuple[Any, Response | None]:
        """The client, authenticated as Cognito does: a secret only by HTTP Basic, as
        ``Basic Base64Encode(client_id:client_secret)`` of the values as they are, not
        form-encoded first (Amazon Cognito Developer Guide, "The token issuer endpoint"
        and "The token revocation endpoint": docs.aws.amazon.com/cognito/latest/
        developerguide/token-endpoint.html, .../revocation-endpoint.html); its
        invalid_client says no more."""
        return authenticate_client(
            request,
            self._client,
            lambda client: client.secret if client.generate_secret else None,
            form_encoded=False,
            described=False,
        )

    def token(self, request: Request) -> Response:
        grant_type = request.form.get("grant_type", "")
        self.count(f"token:{grant_type}")
        client, refused = self._authenticate(request)
        if refused is not None:
            return refused
        config = client.extended_config
        if not config.get("AllowedOAuthFlowsUserPoolClient"):
            return oauth_error("unauthorized_client")
        if grant_type == "authorization_code":
            return self._exchange_code(request, client)
        if grant_type == "refresh_token":
            return self._refresh(request, client)
        return oauth_error("unsupported_grant_type")

    def _exchange_code(self, request: Request, client: Any) -> Response:
        code = request.form.get("code")
        if not code:
            return oauth_error("invalid_request")
        grant, problem = self.codes.redeem(code)
        if problem == "code already used" and grant is not None:
            # A replayed code: whatever it produced is revoked (RFC 6749 4.1.2).
            self.count("code replayed")
            for refresh_token in grant.refresh_tokens:
                self.pool().refresh_tokens[refresh_token] = None
            return oauth_error("invalid_grant")
        if grant is None or problem:
            return oauth_error("invalid_grant")
        if grant.client_id != client.id or request.form.get("redirect_uri") != grant.redirect_uri:
            return oauth_error("invalid_grant")
        if not pkce_matches(request.form.get("code_verifier"), grant.code_challenge):
            self.count("pkce failed")
            return oauth_error("invalid_grant")
        self.count("code exchanged")
        tokens = self._mint(client.id, grant.username, grant.scopes, grant.nonce, None)
        grant.refresh_tokens.append(tokens["refresh_token"])
        return json_response(200, tokens)

    def _refresh(self, request: Request, client: Any) -> Response:
        refresh_token = request.form.get("refresh_token", "")
        pool = self.pool()
        entry = pool.refresh_tokens.get(refresh_token)
        if entry is None or entry[0] != client.id:
            return oauth_error("invalid_grant")
        _client_id, username, _origin = entry
        scopes = self.scopes_of.get(refresh_token, ("openid",))
        rotation = client.extended_config.get("RefreshTokenRotation") or {}
        if rotation.get("Feature") == "ENABLED":
            pool.refresh_tokens[refresh_token] = None
            tokens = self._mint(client.id, username, scopes, None, None)
            self.count("refresh rotated")
        else:
            tokens = self._mint(client.id, username, scopes, None, refresh_token)
            del tokens["refresh_token"]
        self.count("refreshed")
        return json_response(200, tokens)

    def _mint(
        self,
        client_id: str,
        username: str,
        scopes: tuple[str, ...],
        nonce: str | None,
        refresh_token: str | None,
    ) -> dict[str, Any]:
        """Tokens through moto's pool (its key, its refresh-token table, the strict
        fake's clock and lifetimes), with the iss of the pool's issuer configuration."""
        pool = self.pool()
        issuer: dict[str, Any] = {}
        if self.issuer_configuration == "UPDATED":
            issuer["iss"] = f"https://issuer-cognito-idp.{self.region}.amazonaws.com/{pool.id}"
        if refresh_token is None:
            refresh_token, origin = pool.create_refresh_token(client_id, username)
            self.scopes_of[refresh_token] = scopes
        else:
            origin = pool.refresh_tokens[refresh_token][2]
        access_token, expires_in = pool.create_jwt(
            client_id,
            username,
            "access",
            extra_data={"origin_jti": origin, "scope": " ".join(scopes), **issuer},
        )
        pool.access_tokens[access_token] = (client_id, username)
        result: dict[str, Any] = {
            "access_token": access_token,
            "refresh_token": refresh_token,
            "expires_in": expires_in,
            "token_type": "Bearer",
        }
        if "openid" in scopes:
            extra = pool.get_user_extra_data_by_client_id(client_id, username)
            extra["origin_jti"] = origin
            extra.update(issuer)
            if nonce is not None:
                extra["nonce"] = nonce
            id_token, _ = pool.create_jwt(client_id, username, "id", extra_data=extra)
            pool.id_tokens[id_token] = (client_id, username)
            result["id_token"] = id_token
        BEHAVIOUR.record(*(v for k, v in result.items() if k.endswith("_token")))
        return result

    # revocation and sign-out -----------------------------------------------------------

    def revoke(self, request: Request) -> Response:
        self.count("revoke")
        client, refused = self._authenticate(request)
        if refused is not None:
            return refused
        token = request.form.get("token")
        if not token:
            return oauth_error("invalid_request")
        if not client.extended_config.get("EnableTokenRevocation", True):
            return oauth_error("unsupported_token_type")
        pool = self.pool()
        if token in pool.access_tokens:
            return oauth_error("unsupported_token_type")
        entry = pool.refresh_tokens.get(token)
        if entry is not None and entry[0] == client.id:
            pool.refresh_tokens[token] = None
            self.count("revoked")
        return Response(200)

    def logout(self, request: Request) -> Response:
        self.count("logout")
        client = self._client(request.query.get("client_id"))
        target = request.query.get("logout_uri", "")
        if client is None or target not in (client.extended_config.get("LogoutURLs") or []):
            return self._error_page("invalid_request", request.query.get("client_id"))
        self.sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        response = redirect(target)
        response.headers.append(("Set-Cookie", f"{SESSION_COOKIE}=; Path=/; Max-Age=0"))
        return response
