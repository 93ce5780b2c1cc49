"""The one place that decides: cached credentials, refresh, or sign in.

    cache hit (no lock, nothing heavy imported) -> lock -> look again ->
    ID token still good? else refresh token? else sign in -> identity id (cached
    for ever) -> credentials -> atomic cache writes -> back to the caller

Collaborators (cache, clock, terminal, clients) are parameters so tests can swap them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from .cache import FileCache
from .config import Profile
from .errors import AuthFailed, SignInRequired
from .store import Store, cached_credentials

if TYPE_CHECKING:
    from .aws import Clients
    from .credentials import Credentials
    from .prompt import Interaction
    from .signin import SignInMethod
    from .tokens import Tokens

log = logging.getLogger("cognito_credproc")

# An ID token with less than this left is renewed rather than sent to the identity pool;
# a token that lives only minutes (app clients allow 5) gets a fifth of its lifetime.
TOKEN_MARGIN_SECONDS = 5 * 60
TOKEN_MARGIN_FRACTION = 0.2


def token_margin(token: str) -> float:
    """How long before its expiry a token is renewed rather than used."""
    from .tokens import jwt_claims

    try:
        claims = jwt_claims(token)
        lifetime = float(claims["exp"]) - float(claims["iat"])
    except (ValueError, KeyError, TypeError):
        return TOKEN_MARGIN_SECONDS
    if lifetime <= 0:
        return TOKEN_MARGIN_SECONDS
    return min(TOKEN_MARGIN_SECONDS, lifetime * TOKEN_MARGIN_FRACTION)


Clock = Callable[[], float]


class Provider:
    """Gets credentials (and tokens) for one profile, signing in only when it must."""

    def __init__(
        self,
        profile: Profile,
        cache: FileCache,
        *,
        now: Clock = time.time,
        interaction: Interaction | None = None,
        clients: Clients | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        from .redact import register_secret

        register_secret(profile.app_client_secret)
        self.profile = profile
        self.cache = cache
        self.store = Store(profile, cache)
        self.now = now
        self.environ = os.environ if environ is None else environ
        self._interaction = interaction
        self._clients = clients
        self.register_secret = register_secret
        # login --no-browser: a browser sign-in asks for the address it ended on instead
        self.no_browser = False
        # login --switch-user: a browser sign-in may bring another person than last time
        self.switch_user = False
        # When this run asked for credentials or tokens (before waiting for the lock).
        self.asked_at: float | None = None

    # collaborators, made on first use ----------------------------------------------------

    @property
    def clients(self) -> Clients:
        if self._clients is None:
            from .aws import Clients

            self._clients = Clients(self.profile, self.now)
        return self._clients

    @property
    def interaction(self) -> Interaction:
        if self._interaction is None:
            from .prompt import open_interaction

            self._interaction = open_interaction(self.profile.name)
        return self._interaction

    def server_now(self) -> float:
        """The service's time: skew measured on this run's calls, else on the last fetch."""
        if self._clients is not None and self._clients.skew.measured:
            return self.now() + self.checked_skew()
        return self.store.service_time(self.now())

    def checked_skew(self) -> float:
        """The skew this run measured; an error when this machine's clock is more than a
        day off, since every expiry decision (ours and the SDKs') reads that clock."""
        from .errors import ServiceError
        from .store import MAX_CLOCK_SKEW_SECONDS

        skew = self.clients.skew.seconds
        if abs(skew) > MAX_CLOCK_SKEW_SECONDS:
            direction = "behind" if skew > 0 else "ahead of"
            raise ServiceError(
                f"this machine's clock is {abs(skew) / 3600:.0f} hours {direction} the "
                "service's clock: credentials would look valid when they are not",
                profile=self.profile.name,
                hint="fix the clock (turn on time synchronisation, NTP), then run again",
            )
        return skew

    def signin(self) -> SignInMethod:
        """The profile's way of signing in (API, browser, ...), behind one interface."""
        from .signin import method_for

        return method_for(
            self.profile,
            self.clients,
            self.interaction,
            environ=self.environ,
            now=self.now,
            register_secret=self.register_secret,
            no_browser=self.no_browser,
            switch_user=self.switch_user,
            server_now=self.server_now,
        )

    # the public entry points -------------------------------------------------------------

    def credentials(self, margin: float | None = None) -> Credentials:
        """Credentials with more than ``margin`` seconds left (the refresh margin unless
        given: the credentials endpoint asks for more, to renew ahead of it)."""
        self.asked_at = self.now()
        hit = cached_credentials(self.profile, self.cache, self.now, margin)
        if hit is not None:
            return hit
        with self.cache.lock(self.profile.lock_key, self.profile.lock_timeout, self.profile.name):
            # Another process may have done the work while this one waited.
            hit = cached_credentials(self.profile, self.cache, self.now, margin)
            if hit is not None:
                log.debug("another process refreshed the credentials")
                return hit
            return self.renew_credentials()

    def tokens(self) -> Tokens:
        """Valid user-pool tokens (for ``token``)."""
        self.asked_at = self.now()
        with self.cache.lock(self.profile.lock_key, self.profile.lock_timeout, self.profile.name):
            tokens, _ = self._obtain_tokens()
            return tokens

    def fresh_tokens(self) -> Tokens:
        """Valid tokens whose access token, too, has minutes left: the account commands
        call the user pool with it (``password change``, ``mfa``, ``devices``)."""
        self.asked_at = self.now()
        with self.cache.lock(self.profile.lock_key, self.profile.lock_timeout, self.profile.name):
            tokens, _ = self._obtain_tokens()
            if tokens.access_expiry - self.server_now() <= TOKEN_MARGIN_SECONDS:
                tokens, _ = self._obtain_tokens(distrust_cached=True)
            return tokens

    def login(
        self, attempts: int = 3, before: Callable[[SignInMethod], None] | None = None
    ) -> Tokens:
        """Sign in afresh, giving a person a few tries (``login``). ``before`` runs with the
        sign-in method first, under the lock (``password reset`` sets the password there)."""
        with self.cache.lock(self.profile.lock_key, self.profile.lock_timeout, self.profile.name):
            method = self.signin()
            if before is not None:
                before(method)
            self.interaction.say(
                f"Signing in {method.describe()} (profile {self.profile.name}) ..."
            )
            previous = self.store.tokens()
            tokens = method.sign_in(previous=previous, attempts=attempts)
            self._forget_identity_of_someone_else(previous, tokens)
            self.store.save_tokens(tokens)
            self.store.cache.discard(self.profile.credentials_key)
            return tokens

    # the work --------------------------------------------------------------------------

    def _forget_identity_of_someone_else(self, before: Tokens | None, after: Tokens) -> None:
        """A sign-in may bring another person than last time (``login --switch-user``,
        or a user pool user deleted and made again under the same name): their
        IdentityId is not this one's."""
        from .tokens import jwt_claims

        if before is None:
            return
        try:
            same = jwt_claims(before.id_token).get("sub") == jwt_claims(after.id_token).get("sub")
        except ValueError:
            same = False
        if not same:
            log.debug("someone else signed in; forgetting the cached identity id")
            self.cache.discard(self.profile.identity_key)
            self.cache.discard(self.profile.credentials_key)

    def _obtain_tokens(self, *, distrust_cached: bool = False) -> tuple[Tokens, bool]:
        """(tokens, came_from_cache_unchanged)."""
        cached = self.store.tokens(migrate=True)
        if cached is not None and not distrust_cached:
            try:
                left = cached.id_expiry - self.server_now()
            except ValueError:
                left = 0
            if left > token_margin(cached.id_token) and cached.access_expiry > self.server_now():
                log.debug("reusing the cached ID token (%.0f s left)", left)
                return cached, True
        method = self.signin()
        if cached is not None and cached.refresh_token:
            refreshed = method.refresh(cached)
            if refreshed is not None:
                self.store.save_tokens(refreshed)
                return refreshed, False
            log.debug("refresh token refused; signing in again")
        if self.profile.browser:
            self._check_browser_failure()
        self.interaction.say(
            f"cognito-credproc: signing in {method.describe()} (profile {self.profile.name})"
        )
        try:
            tokens = method.sign_in(previous=cached)
        except (SignInRequired, AuthFailed) as exc:
            if self.profile.browser:  # nobody came back, Cancel, a forged callback
                from .redact import clip

                # read by other runs, which may not know this run's secrets: redacted here
                note = {"failed_at": self.now(), "message": clip(exc.message, 300)}
                self.cache[self.profile.browser_failure_key] = note
            raise
        self._forget_identity_of_someone_else(cached, tokens)
        self.store.save_tokens(tokens)
        return tokens, False

    def _check_browser_failure(self) -> None:
        """Runs started together wait for the lock while one of them has the browser
        open; when that sign-in fails, the others fail with it instead of each opening
        a tab in turn. A run that asked after the failure tries again."""
        note = self.cache.get(self.profile.browser_failure_key)
        failed_at = note.get("failed_at") if note else None
        if self.asked_at is None or not isinstance(failed_at, (int, float)):
            return
        if failed_at < self.asked_at:
            return
        said = note.get("message") if note else None
        why = f": {said}" if isinstance(said, str) and said else ""
        raise SignInRequired(
            f"the browser sign-in this run waited for, another run's, did not succeed{why}",
            profile=self.profile.name,
            hint=f"run: cognito-credproc login --profile {self.profile.name}",
        )

    def renew_credentials(self) -> Credentials:
        """Fetch new credentials now; the caller holds the lock."""
        from .awserrors import CognitoError
        from .errors import ServiceError
        from .identitypool import IdentityPool

        profile = self.profile
        tokens: Tokens | None = None
        from_cache = False
        if not profile.unauthenticated:
            tokens, from_cache = self._obtain_tokens()
        pool = IdentityPool(profile, self.clients, self.register_secret)

        identity_id = self.store.identity_id()
        identity_cached = identity_id is not None
        if identity_id is None:
            identity_id = pool.get_id(tokens.id_token if tokens else None)
            self.store.save_identity_id(identity_id)

        try:
            creds = pool.credentials(identity_id, tokens.id_token if tokens else None)
        except CognitoError as exc:
            if exc.code == "ResourceNotFoundException" and identity_cached:
                log.debug("cached identity id unknown to the pool; asking GetId again")
                identity_id = pool.get_id(tokens.id_token if tokens else None)
                self.store.save_identity_id(identity_id)
            elif exc.code == "NotAuthorizedException" and from_cache:
                log.debug("cached ID token refused; renewing it")
                tokens, _ = self._obtain_tokens(distrust_cached=True)
            else:
                raise
            creds = pool.credentials(identity_id, tokens.id_token if tokens else None)

        skew = self.checked_skew()
        local = creds.shifted(-skew)  # Expiration by this machine's clock, as the SDKs read it
        left = local.expiration - self.now()
        if left <= 0:
            raise ServiceError(
                "the service handed out credentials that have already expired",
                profile=profile.name,
                hint="check this machine's clock; retry with --debug",
            )
        if left <= profile.refresh_margin:
            # The SDKs would renew them at once, and again on every request.
            if profile.flow == "basic" and profile.duration_seconds <= profile.refresh_margin:
                hint = (
                    f"raise duration_seconds ({profile.duration_seconds}) above "
                    f"refresh_margin ({profile.refresh_margin}), or lower refresh_margin"
                )
            else:
                hint = (
                    "check this machine's clock and endpoint_url; lower refresh_margin "
                    "if the role's sessions really are that short"
                )
            raise ServiceError(
                f"the service handed out credentials that expire in {left:.0f} s, within "
                f"the refresh margin ({profile.refresh_margin} s)",
                profile=profile.name,
                hint=hint,
            )
        self.store.save_credentials(creds, skew, fetched_at=self.now())
        return local
