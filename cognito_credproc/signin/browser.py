"""The browser sign-in: the OAuth 2.0 authorization code grant with PKCE (authcode.py)
against a user pool's managed login or an OpenID Connect provider (oidc.py), the
browser sent back to a loopback listener (loopback.py), or, with ``login
--no-browser``, the address it ended on pasted on the terminal.

sign_in:  no browser and nobody to ask -> fail at once; else listen on redirect_uri ->
          try the authorize request -> open the browser (opener.py) at a one-time start
          URL on the listener, never at the authorize URL (command lines are public) ->
          wait (less than the Go SDKs' 60 s in a credential_process run) for the
          callback of the browser that fetched it -> exchange the code -> refuse a
          person other than the one the profile signed in as, unless switching was
          asked for (``login --switch-user``)
refresh:  the token endpoint's refresh_token grant (a new refresh token when the client
          rotates); None when it answers invalid_grant, or without an ID token
revoke:   /oauth2/revoke, or the provider's revocation endpoint
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ..errors import (
    AuthFailed,
    ConfigError,
    CredprocError,
    ServiceError,
    ServiceUnreachable,
    SignInRequired,
)
from ..prompt import Interaction
from ..tokens import Tokens, jwt_claims
from . import messages
from .authcode import BrowserSettings, CodeGrant
from .loopback import Listener, ListenError, Page, PeerCheck, peer_is_ours
from .oauth import OAuthError, Unreachable
from .oidc import DiscoveryError, Endpoints, discover, managed_login
from .opener import Launch, browser_available, open_browser

if TYPE_CHECKING:
    from ..aws import Clients
    from ..config import Profile
    from ..parentwatch import ParentWatch

log = logging.getLogger("cognito_credproc")

# The Go SDKs kill a credential_process after 60 s: give up well before.
CREDENTIAL_PROCESS_WAIT_SECONDS = 50
LOGIN_WAIT_SECONDS = 5 * 60

__all__ = ["BrowserSettings", "BrowserSignIn", "browser_sign_in"]


def browser_sign_in(
    profile: Profile,
    clients: Clients,
    interaction: Interaction,
    *,
    environ: Mapping[str, str],
    now: Callable[[], float],
    register_secret: Callable[[str], None],
    no_browser: bool,
    switch_user: bool = False,
    server_now: Callable[[], float] | None = None,
) -> BrowserSignIn:
    """The browser sign-in for a profile with ``auth_flow = BROWSER``."""
    from ..parentwatch import ParentWatch

    assert profile.app_client_id is not None
    settings = BrowserSettings(
        profile=profile.name,
        source=profile.source,
        client_id=profile.app_client_id,
        redirect_uri=profile.redirect_uri,
        scopes=profile.oauth_scopes,
        client_secret=profile.app_client_secret,
        login_domain=profile.login_domain,
        user_pool_id=profile.user_pool_id,
        oidc_issuer=profile.oidc_issuer,
        identity_provider=profile.identity_provider,
        username=profile.username,
    )

    def global_sign_out(tokens: Tokens) -> None:
        from ..aws import call

        call(clients.idp, "global_sign_out", profile, AccessToken=tokens.access_token)

    return BrowserSignIn(
        settings,
        interaction,
        environ=environ,
        now=now,
        register_secret=register_secret,
        no_browser=no_browser,
        switch_user=switch_user,
        server_now=server_now,
        global_sign_out=global_sign_out if profile.user_pool_id else None,
        watch=ParentWatch(),
    )


class BrowserSignIn:
    """One profile's sign-in through the browser. ``switch_user``: a person other than
    the one the profile signed in as before may sign in (``login --switch-user``)."""

    def __init__(
        self,
        settings: BrowserSettings,
        interaction: Interaction,
        *,
        environ: Mapping[str, str],
        now: Callable[[], float] = time.time,
        server_now: Callable[[], float] | None = None,
        register_secret: Callable[[str], None] = lambda _s: None,
        no_browser: bool = False,
        switch_user: bool = False,
        opener: Callable[[str, Mapping[str, str]], Launch] = open_browser,
        global_sign_out: Callable[[Tokens], None] | None = None,
        watch: ParentWatch | None = None,
        peer_check: PeerCheck = peer_is_ours,
    ) -> None:
        self.settings = settings
        self.interaction = interaction
        self.environ = environ
        self.no_browser = no_browser
        self.switch_user = switch_user
        self.opener = opener
        self.peer_check = peer_check
        self._global_sign_out = global_sign_out
        # The Go SDKs kill the helper's parent at 60 s: an orphan stops waiting.
        self.watch = watch
        self.grant = CodeGrant(
            settings,
            self.endpoints,
            now=now,
            register_secret=register_secret,
            server_now=server_now,
        )
        self._endpoints: Endpoints | None = None

    def describe(self) -> str:
        who = f"{self.settings.username} " if self.settings.username else ""
        return f"{who}through the browser at {self.settings.where}"

    def endpoints(self) -> Endpoints:
        if self._endpoints is None:
            issuer = self.settings.oidc_issuer
            if issuer is None:
                assert self.settings.login_domain is not None
                self._endpoints = managed_login(self.settings.login_domain)
            else:
                try:
                    self._endpoints = discover(issuer)
                except Unreachable as exc:
                    raise self.grant.error(
                        ServiceUnreachable, str(exc), messages.CHECK_ISSUER
                    ) from None
                except DiscoveryError as exc:
                    raise self.grant.error(
                        ServiceError,
                        f"OpenID Connect discovery: {exc}",
                        messages.CHECK_ISSUER,
                        setting="oidc_issuer",
                    ) from None
        return self._endpoints

    # -- signing in ----------------------------------------------------------------------

    def sign_in(self, previous: Tokens | None = None, *, attempts: int = 1) -> Tokens:
        """``attempts`` > 1 is ``login``: a person is there, so wait longer, and without
        a browser (or with ``--no-browser``) ask for the address on the terminal."""
        for_person = attempts > 1
        has_browser = browser_available(self.environ)
        if self.no_browser or (for_person and not has_browser):
            return self._paste_back(previous)
        if not has_browser:
            raise self.grant.error(
                SignInRequired,
                messages.no_browser(self.interaction.interactive),
                messages.run_login(self.settings.profile),
            )
        wait = LOGIN_WAIT_SECONDS if for_person else CREDENTIAL_PROCESS_WAIT_SECONDS
        return self._with_browser(wait, previous, countdown=for_person)

    def _same_person(self, previous: Tokens | None, tokens: Tokens) -> None:
        """Refuse a sign-in as someone other than who the profile signed in as before
        (the ID token's sub), unless switching was asked for: whoever finishes a
        browser sign-in decides who it is."""
        if previous is None or self.switch_user:
            return
        try:
            before = jwt_claims(previous.id_token)
        except ValueError:
            return  # nothing to compare with
        now = jwt_claims(tokens.id_token)
        if before.get("sub") != now.get("sub"):
            raise messages.switch_refused(self.settings.profile, before, now)

    def _with_browser(
        self, wait: float, previous: Tokens | None, *, countdown: bool = False
    ) -> Tokens:
        attempt = self.grant.start()
        try:
            listener = Listener(self.settings.redirect_uri, peer_check=self.peer_check)
            listener.start()
        except ListenError as exc:
            raise self.grant.error(
                CredprocError, str(exc), messages.port_hint(self.settings)
            ) from None
        try:
            self.grant.check_authorize(attempt.url)
            # The browser gets a one-time address on the listener, never the authorize
            # URL: a command line can be read by every user of this machine.
            start_url = listener.expect(attempt.url, attempt.state)
            self.interaction.say(messages.opening(self.settings.profile, start_url))
            launch = self.opener(start_url, self.environ)
            person = self.interaction.interactive

            def give_up() -> bool:
                orphaned = self.watch is not None and self.watch.gone()
                return orphaned or (launch.failed and not person)

            # login: a line on the terminal counts down, drawn over itself
            status = getattr(self.interaction, "status", None) if countdown else None
            shown = [""]

            def tick(left: float) -> None:
                line = messages.waiting(left)
                if status is not None and line != shown[0]:
                    status(line)
                    shown[0] = line

            try:
                params = listener.wait(wait, give_up=give_up, tick=tick)
            finally:
                if status is not None and shown[0]:
                    status("")
            raced = self.grant.error(
                AuthFailed, messages.RACED, messages.run_login(self.settings.profile)
            )
            if listener.raced:
                raise raced
            if params is None and self.watch is not None:
                self.watch.check(self.settings.profile)  # raises ParentGone
            if params is None:
                why = (
                    f"the browser could not be opened: {launch.reason}"
                    if launch.failed
                    else f"no sign-in came back from the browser within {wait:.0f} s"
                )
                raise self.grant.error(
                    SignInRequired, why, messages.run_login(self.settings.profile)
                )
            try:
                tokens = self.grant.finish(params, attempt)
                self._same_person(previous, tokens)
                if listener.raced:  # the start URL was fetched again meanwhile
                    raise raced
            except CredprocError as exc:
                listener.finish(Page(False, "Sign-in failed", messages.page_failed(exc)))
                raise
            said = messages.page_signed_in(tokens.internal_username, self.settings.profile)
            listener.finish(Page(True, "Signed in", said))
            return tokens
        finally:
            listener.close()

    def _paste_back(self, previous: Tokens | None) -> Tokens:
        if not self.interaction.interactive:
            raise self.grant.error(
                SignInRequired,
                "signing in without a browser needs a terminal to paste the address into",
                "run it in a terminal",
            )
        attempt = self.grant.start()
        self.grant.check_authorize(attempt.url)
        self.interaction.say(messages.paste_instructions(self.settings, attempt.url))
        answer = self.interaction.ask("Address the browser ended on: ").strip()
        self.grant.register_secret(answer)
        params = messages.parse_pasted(answer, self.settings.redirect_uri)
        if params is None:
            raise self.grant.error(
                AuthFailed,
                "that is not the address the browser was sent to "
                f"(it starts with {self.settings.redirect_uri}?)",
                messages.run_login(self.settings.profile, no_browser=True),
            )
        tokens = self.grant.finish(params, attempt)
        self._same_person(previous, tokens)
        return tokens

    def check_request(self) -> None:
        """Ask the authorize endpoint what ``login`` asks before the browser opens, and
        fail as ``login`` would: ServiceUnreachable when the domain or issuer does not
        answer, the refusal (with its fix, and the setting at fault) when it says no."""
        self.grant.check_authorize(self.grant.start().url)

    def check_setup(self, *, port: bool) -> list[tuple[bool, str, str]]:
        """(ok, what, fix) for ``doctor``: the domain or issuer answers and takes this
        client and redirect_uri; with ``port``, the redirect port is free."""
        where, found = self.settings.where, []
        try:
            self.check_request()
        except CredprocError as exc:
            found.append((False, f"{where}: {exc.message}", exc.hint or "check the settings"))
        else:
            found.append((True, f"{where} answers and accepts the client and redirect_uri", ""))
        if port:
            listener = Listener(self.settings.redirect_uri)
            try:
                listener.start()
            except ListenError as exc:
                found.append((False, str(exc), messages.port_hint(self.settings)))
            else:
                found.append((True, f"redirect port {listener.port} is free", ""))
            finally:
                listener.close()
        return found

    # -- renewing and ending -------------------------------------------------------------

    def refresh(self, tokens: Tokens) -> Tokens | None:
        if not tokens.refresh_token:
            return None
        try:
            answer = self.grant.client.refresh(self.endpoints().token, tokens.refresh_token)
        except OAuthError as exc:
            if exc.error == "invalid_grant":
                log.debug("refresh token not accepted (invalid_grant)")
                return None
            raise messages.token_error(self.settings, exc, exchanging=False) from None
        except Unreachable as exc:
            raise self.grant.unreachable(exc) from None
        if answer.id_token is None:
            # Allowed (OpenID Connect Core 12.2), but the identity pool takes only the
            # ID token: this refresh token cannot renew it, so sign in again.
            log.debug("the refresh brought no ID token; signing in again")
            return None
        return self.grant.tokens(answer, nonce=None, old=tokens)

    def revoke(self, tokens: Tokens) -> None:
        assert tokens.refresh_token is not None
        endpoint = self.endpoints().revoke
        if endpoint is None:
            raise self.grant.error(
                ServiceError, f"{self.settings.where} has no revocation endpoint", None
            )
        try:
            self.grant.client.revoke(endpoint, tokens.refresh_token)
        except OAuthError as exc:
            raise messages.token_error(self.settings, exc, exchanging=False) from None
        except Unreachable as exc:
            raise self.grant.unreachable(exc) from None

    def global_sign_out(self, tokens: Tokens) -> None:
        """GlobalSignOut; a ConfigError, before anything is undone, where it cannot work."""
        if self._global_sign_out is None:
            raise self.grant.error(
                ConfigError,
                f"signing out everywhere needs a user pool; this profile signs in at "
                f"{self.settings.where}",
                f"sign out at {self.settings.where} itself, or run logout without --global",
            )
        granted = messages.granted_scopes(tokens.access_token, self.settings.scopes)
        if messages.ADMIN_SCOPE not in granted:
            raise self.grant.error(
                ConfigError,
                f"signing out every device takes an access token with the scope "
                f"{messages.ADMIN_SCOPE}, and this sign-in's has '{' '.join(granted)}'",
                messages.admin_scope_hint(self.settings),
            )
        self._global_sign_out(tokens)
