"""Ways of signing in, behind one small interface.

    method_for(profile, ...) -> SignInMethod
        ApiSignIn   (api.py)  InitiateAuth and the challenges that follow:
                              SRP, the password flow, choice-based and passwordless
                              sign-in (userauth.py), MFA, devices; refresh and revoke
                              through the user pool API (refresh.py)
        BrowserSignIn (browser.py)  auth_flow = BROWSER: the authorization code grant
                              with PKCE at managed login or an OpenID Connect provider
                              (authcode.py, oauth.py, oidc.py), the browser sent back to
                              a loopback listener (loopback.py, opener.py)

The provider, the cache and the commands only ever see ``SignInMethod``: which way a
profile signs in is decided here, from ``auth_flow``.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ..aws import Clients
    from ..config import Profile
    from ..prompt import Interaction
    from ..tokens import Tokens


class SignInMethod(Protocol):
    """What the provider and the commands need from a way of signing in."""

    def describe(self) -> str:
        """Who signs in where, for progress lines: ``alice at eu-west-1_AbC``."""
        ...

    def sign_in(self, previous: Tokens | None = None, *, attempts: int = 1) -> Tokens:
        """A new sign-in. ``previous`` carries what a fresh sign-in keeps (a remembered
        device); ``attempts`` > 1 gives a person at a terminal more tries (``login``)."""
        ...

    def refresh(self, tokens: Tokens) -> Tokens | None:
        """New tokens from the refresh token; None when it is no longer accepted
        (expired, revoked): the caller signs in again. Transient failures raise."""
        ...

    def revoke(self, tokens: Tokens) -> None:
        """Revoke the refresh token (``logout``)."""
        ...

    def global_sign_out(self, tokens: Tokens) -> None:
        """Sign out every device (``logout --global``)."""
        ...


def method_for(
    profile: Profile,
    clients: Clients,
    interaction: Interaction,
    *,
    environ: Mapping[str, str] | None = None,
    now: Callable[[], float] = time.time,
    register_secret: Callable[[str], None] | None = None,
    no_browser: bool = False,
    switch_user: bool = False,
    server_now: Callable[[], float] | None = None,
) -> SignInMethod:
    """The sign-in method the profile's ``auth_flow`` selects. ``no_browser``: a browser
    sign-in asks for the address the browser ended on instead (``login --no-browser``).
    ``switch_user``: a browser sign-in may bring another person than the profile's last
    (``login --switch-user``; the API flows sign in the configured ``username``).
    ``server_now``: the service's time, by the clock skew measured so far.
    Every secret the method handles is registered for redaction (``redact``) unless the
    caller passes its own ``register_secret``."""
    from ..redact import register_secret as register_for_redaction

    environ = os.environ if environ is None else environ
    register = register_secret if register_secret is not None else register_for_redaction
    if profile.browser:
        from .browser import browser_sign_in

        return browser_sign_in(
            profile,
            clients,
            interaction,
            environ=environ,
            now=now,
            register_secret=register,
            no_browser=no_browser,
            switch_user=switch_user,
            server_now=server_now,
        )
    from .api import ApiSignIn

    return ApiSignIn(
        profile, clients, interaction, environ=environ, now=now, register_secret=register
    )
