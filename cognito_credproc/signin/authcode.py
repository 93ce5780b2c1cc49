"""One authorization code grant, from the authorize URL to checked tokens, whichever
way the browser's answer arrives (the loopback listener, or an address pasted on the
terminal): state, nonce and PKCE made fresh, the authorize request tried first, the
callback's state checked before anything else, the code exchanged, the ID token
checked (aud, azp, iss, nonce, exp, iat) and the tokens' shape, all before anything is
shown or kept."""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..aws import Skew
from ..errors import AuthFailed, CredprocError, ServiceError, ServiceUnreachable
from ..store import MAX_CLOCK_SKEW_SECONDS
from ..tokens import Tokens, check_tokens, jwt_claims
from . import messages
from .oauth import (
    OAuthError,
    Pkce,
    TokenClient,
    TokenResponse,
    Unreachable,
    authorize_url,
    http,
    new_nonce,
    new_state,
    same_secret,
)
from .oidc import Endpoints


@dataclass(frozen=True)
class BrowserSettings:
    """What a browser sign-in needs from the profile."""

    profile: str
    source: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    client_secret: str | None = None
    login_domain: str | None = None
    user_pool_id: str | None = None
    oidc_issuer: str | None = None
    identity_provider: str | None = None
    username: str | None = None

    @property
    def where(self) -> str:
        """The sign-in service's host, for messages."""
        url = self.oidc_issuer or self.login_domain or ""
        return urllib.parse.urlsplit(url).netloc or url

    @property
    def pool_issuers(self) -> tuple[str, ...]:
        """What a user pool's ID tokens may name as iss: the original issuer, or the
        updated one of a pool whose IssuerConfiguration is UPDATED (its primary region,
        the region in the pool id). Amazon Cognito API Reference, IssuerConfigurationType."""
        if not self.user_pool_id:
            return ()
        region = self.user_pool_id.split("_", 1)[0]
        return tuple(
            f"https://{host}.{region}.amazonaws.com/{self.user_pool_id}"
            for host in ("cognito-idp", "issuer-cognito-idp")
        )


@dataclass(frozen=True)
class Attempt:
    """One sign-in's secrets and the URL that carries their public halves."""

    state: str
    nonce: str | None
    pkce: Pkce
    url: str


class CodeGrant:
    """The protocol steps; BrowserSignIn decides how the browser is reached."""

    def __init__(
        self,
        settings: BrowserSettings,
        endpoints: Callable[[], Endpoints],
        *,
        now: Callable[[], float],
        register_secret: Callable[[str], None],
        server_now: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        self.endpoints = endpoints
        self.now = now
        # The service's time by the skew measured before (the provider's), for an answer
        # that carries no Date header of its own.
        self.server_now = server_now or now
        self.register_secret = register_secret
        self.client = TokenClient(
            settings.client_id,
            settings.client_secret,
            # Cognito's managed login takes id and secret as they are; other providers
            # follow RFC 6749 2.3.1 (form-encoded first).
            cognito_basic=settings.oidc_issuer is None,
        )

    def error(
        self,
        kind: type[CredprocError],
        message: str,
        hint: str | None,
        *,
        setting: str | None = None,
    ) -> CredprocError:
        """An error of ``kind`` that names the profile (and ``setting``, the key at fault)."""
        return kind(message, profile=self.settings.profile, hint=hint, setting=setting)

    def unreachable(self, exc: Unreachable) -> CredprocError:
        return self.error(ServiceUnreachable, str(exc), messages.check_where(self.settings))

    def start(self) -> Attempt:
        s = self.settings
        state, pkce = new_state(), Pkce.new()
        nonce = new_nonce() if s.oidc_issuer else None
        url = authorize_url(
            self.endpoints().authorize,
            client_id=s.client_id,
            redirect_uri=s.redirect_uri,
            scopes=s.scopes,
            state=state,
            pkce=pkce,
            nonce=nonce,
            identity_provider=s.identity_provider,
        )
        return Attempt(state, nonce, pkce, url)

    def check_authorize(self, url: str) -> None:
        """Ask the authorize endpoint before the browser does: an unknown client or a
        redirect_uri that is not registered shows up here, not only on its own page."""
        try:
            answer = http(url)
        except Unreachable as exc:
            raise self.unreachable(exc) from None
        headers = {k.lower(): v for k, v in answer.headers.items()}
        if answer.status in (301, 302, 303, 307, 308):
            query = urllib.parse.urlsplit(headers.get("location", "")).query
            found = dict(urllib.parse.parse_qsl(query))
            if "error" in found and "code" not in found:
                raise messages.authorize_error(
                    self.settings, found["error"], found.get("error_description", "")
                )
        elif answer.status >= 400:
            raise messages.authorize_refused(self.settings, answer.status, answer.body)

    def finish(self, params: dict[str, str], attempt: Attempt) -> Tokens:
        """The callback's parameters to tokens: state first, then error, then the code."""
        if not same_secret(params.get("state", ""), attempt.state):
            raise self.error(
                AuthFailed, messages.STATE_MISMATCH, messages.run_login(self.settings.profile)
            )
        if "error" in params:
            raise messages.authorize_error(
                self.settings, params["error"], params.get("error_description", "")
            )
        code = params.get("code", "")
        if not code:
            raise self.error(
                AuthFailed,
                "the browser came back without a code",
                messages.run_login(self.settings.profile),
            )
        self.register_secret(code)
        try:
            answer = self.client.exchange_code(
                self.endpoints().token,
                code=code,
                redirect_uri=self.settings.redirect_uri,
                verifier=attempt.pkce.verifier,
            )
        except OAuthError as exc:
            raise messages.token_error(self.settings, exc, exchanging=True) from None
        except Unreachable as exc:
            raise self.unreachable(exc) from None
        return self.tokens(answer, nonce=attempt.nonce, old=None)

    def tokens(self, answer: TokenResponse, *, nonce: str | None, old: Tokens | None) -> Tokens:
        """A token endpoint's answer as Tokens (``old``: what a refresh keeps)."""
        for secret in (answer.id_token, answer.access_token, answer.refresh_token):
            if secret:
                self.register_secret(secret)
        if answer.id_token is None:
            raise self.error(
                ServiceError, f"{self.settings.where} sent no ID token", messages.OPENID_SCOPE
            )
        claims = jwt_claims(answer.id_token)
        problem = messages.id_token_problem(
            self.settings, claims, self.endpoints(), nonce, self._server_time(answer)
        )
        if problem:
            raise self.error(AuthFailed, problem, messages.run_login(self.settings.profile))
        # An opaque access token expires after expires_in; unsaid, with the ID token.
        expires_in = answer.expires_in
        changes: dict[str, Any] = {
            "id_token": answer.id_token,
            "access_token": answer.access_token,
            "access_expires_at": self.now() + expires_in if expires_in else float(claims["exp"]),
            "internal_username": messages.who(claims),
        }
        if answer.refresh_token:
            changes.update(refresh_token=answer.refresh_token, refresh_issued_at=self.now())
        tokens = Tokens(**changes) if old is None else dataclasses.replace(old, **changes)
        try:
            check_tokens(tokens)  # as the cache will, before the browser is told anything
        except ValueError as exc:
            raise self.error(
                ServiceError,
                f"{self.settings.where} answered with unusable tokens ({exc})",
                "retry with --debug; check a proxy in between",
            ) from None
        return tokens

    def _server_time(self, answer: TokenResponse) -> float:
        """Now by the token endpoint's clock: its Date header, else the skew measured
        before (ID tokens' times are the issuer's)."""
        skew = Skew()
        skew.observe(answer.date, self.now())
        if not skew.measured or abs(skew.seconds) > MAX_CLOCK_SKEW_SECONDS:
            return self.server_now()  # no Date, or one no clock is that far off
        return self.now() + skew.seconds
