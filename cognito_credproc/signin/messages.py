"""What the browser sign-in makes of answers (the callback, a pasted address, the ID
token, OAuth errors) and what it tells the person: one or two lines naming the
profile, what the service said and the fix."""

from __future__ import annotations

import html.parser
import math
import urllib.parse
from typing import TYPE_CHECKING, Any

from ..credentials import MAX_EPOCH
from ..errors import AuthFailed, CredprocError, ServiceError
from ..output import iso_utc
from ..tokens import jwt_claims
from .oauth import same_secret

if TYPE_CHECKING:
    from .authcode import BrowserSettings
    from .oauth import OAuthError
    from .oidc import Endpoints

STATE_MISMATCH = (
    "the browser came back with a state that does not belong to this sign-in "
    "(a forged or stale callback); nothing was exchanged"
)
RACED = (
    "another program on this machine opened the sign-in page first (or it was opened "
    "twice); the sign-in was stopped and nothing was exchanged or kept"
)
# An ID token may say it was issued this much later than the server's clock reads: the
# Date header has one-second resolution and the answer takes time to arrive.
IAT_LEEWAY_SECONDS = 60
OPENID_SCOPE = "include openid in scopes, and allow it on the app client"
# What a user pool's access token needs for GlobalSignOut (and the other user API calls).
ADMIN_SCOPE = "aws.cognito.signin.user.admin"
CHECK_ISSUER = "check oidc_issuer (it must serve /.well-known/openid-configuration)"


def run_login(profile: str, *, no_browser: bool = False) -> str:
    flag = " --no-browser" if no_browser else ""
    return f"run: cognito-credproc login --profile {profile}{flag}"


def no_browser(interactive: bool) -> str:
    where = "no terminal either" if not interactive else "sign in from a terminal"
    return (
        "signing in needs a browser, and there is none here "
        f"(no DISPLAY, WAYLAND_DISPLAY or BROWSER); {where}"
    )


def check_where(settings: BrowserSettings) -> str:
    if settings.oidc_issuer:
        return "check oidc_issuer, the network, or a proxy (HTTPS_PROXY)"
    return "check login_domain, the network, or a proxy (HTTPS_PROXY)"


def port_hint(settings: BrowserSettings) -> str:
    return (
        "stop the program using that port, or register another callback URL on the app "
        f"client and set redirect_uri in [{settings.profile}] of {settings.source}"
    )


def granted_scopes(access_token: str, asked: tuple[str, ...]) -> list[str]:
    """The scopes an access token carries (a user pool's is a JWT with ``scope``), else
    the ones the sign-in asked for."""
    try:
        scope = jwt_claims(access_token).get("scope")
    except ValueError:
        scope = None
    return scope.split() if isinstance(scope, str) else list(asked)


def admin_scope_hint(settings: BrowserSettings) -> str:
    return (
        f"add {ADMIN_SCOPE} to scopes in [{settings.profile}] of {settings.source} and to "
        "the app client's allowed scopes, sign in again, or run logout without --global"
    )


def opening(profile: str, url: str) -> str:
    return (
        f"cognito-credproc: opening the browser to sign in (profile {profile}). "
        f"If it does not open, visit:\n  {url}"
    )


def paste_instructions(settings: BrowserSettings, url: str) -> str:
    return (
        f"Open this address in a browser (on any machine) and sign in:\n\n  {url}\n\n"
        f"The browser is then sent to {settings.redirect_uri}?code=... , a page that may "
        "not load. Copy that whole address from the address bar and paste it here."
    )


def page_signed_in(who: str | None, profile: str) -> str:
    person = f" as {who}" if who else ""
    return (
        f"Signed in{person} (profile {profile}). You can close this tab and go back to "
        "the terminal."
    )


def page_failed(exc: CredprocError) -> str:
    return f"{exc.message}. You can close this tab; the terminal says what to do next."


def parse_pasted(answer: str, redirect_uri: str) -> dict[str, str] | None:
    """The query of a pasted address, if it is redirect_uri's (scheme, host, port, path)."""
    given, expected = urllib.parse.urlsplit(answer), urllib.parse.urlsplit(redirect_uri)
    try:
        same = (given.scheme, given.hostname, given.port, given.path or "/") == (
            expected.scheme,
            expected.hostname,
            expected.port,
            expected.path or "/",
        )
    except ValueError:
        return None
    if not same:
        return None
    return dict(urllib.parse.parse_qsl(given.query, keep_blank_values=True))


# errors the authorize step shows -----------------------------------------------------------


def authorize_error(settings: BrowserSettings, error: str, description: str) -> CredprocError:
    where, client = settings.where, settings.client_id
    said = f" ({description})" if description and description != error else ""
    profile = settings.profile
    if error == "redirect_mismatch":
        return AuthFailed(
            f"{where} refused redirect_uri {settings.redirect_uri}: it is not a callback "
            f"URL of app client {client}",
            profile=profile,
            hint=f"add {settings.redirect_uri} to the app client's allowed callback URLs, "
            "or set redirect_uri to one that is there",
            setting="redirect_uri",
        )
    if error == "invalid_scope":
        return AuthFailed(
            f"{where} refused the scopes '{' '.join(settings.scopes)}' (invalid_scope{said})",
            profile=profile,
            hint=f"allow them on app client {client}, or change scopes in [{profile}]",
            setting="scopes",
        )
    if error == "unauthorized_client":
        return AuthFailed(
            f"{where} does not let app client {client} sign in this way "
            f"(unauthorized_client{said})",
            profile=profile,
            hint="allow the authorization code grant (OAuth flow 'code') on the app client",
        )
    if error == "access_denied":
        return AuthFailed(
            f"the sign-in was cancelled or refused in the browser (access_denied{said})",
            profile=profile,
            hint=run_login(profile),
        )
    what = "oidc_issuer" if settings.oidc_issuer else "login_domain"
    return AuthFailed(
        f"{where} refused the sign-in request ({error}{said})",
        profile=profile,
        hint=f"check app_client_id and {what}, and the app client's OAuth settings",
    )


class _Title(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self._in = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._in = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in = False

    def handle_data(self, data: str) -> None:
        if self._in:
            self.title += data


def authorize_refused(settings: BrowserSettings, status: int, body: bytes) -> CredprocError:
    """An error page instead of a redirect (what OpenID Connect providers show for an
    unknown client or a redirect_uri that is not registered)."""
    parser = _Title()
    parser.feed(body[:20000].decode("utf-8", "replace"))
    title = " ".join(parser.title.split())[:120]
    said = f": {title}" if title else ""
    kind = ServiceError if status >= 500 else AuthFailed
    return kind(
        f"{settings.where} refused the sign-in request (HTTP {status}{said})",
        profile=settings.profile,
        hint=f"check app_client_id, and that {settings.redirect_uri} is a sign-in "
        "redirect URI of the app",
    )


def token_error(settings: BrowserSettings, exc: OAuthError, *, exchanging: bool) -> CredprocError:
    said = f"{exc.error}: {exc.description}" if exc.description else exc.error
    profile, client = settings.profile, settings.client_id
    where = settings.where
    if exc.error == "invalid_grant":
        return AuthFailed(
            f"{where} refused the sign-in code ({said}): it expired, was used already, or "
            "does not match this sign-in",
            profile=profile,
            hint=run_login(profile),
        )
    if exc.error in ("invalid_client", "unauthorized_client"):
        secret = "set app_client_secret" if not settings.client_secret else "app_client_secret"
        return AuthFailed(
            f"{where} refused app client {client} ({said})",
            profile=profile,
            hint=f"check app_client_id and {secret}, and that the client allows the "
            "code grant and refresh",
        )
    if exc.status is None or exc.status >= 500:
        return ServiceError(
            f"{where} failed ({said})", profile=profile, hint="try again later; --debug shows more"
        )
    doing = "exchanging the sign-in code" if exchanging else "calling the token endpoint"
    what = "oidc_issuer" if settings.oidc_issuer else "login_domain"
    return AuthFailed(
        f"{where} refused {doing} ({said})",
        profile=profile,
        hint=f"check {what} and app client {client}'s OAuth settings (the code grant, "
        "refresh tokens); --debug shows more",
    )


# the ID token --------------------------------------------------------------------------------


def who(claims: dict[str, Any]) -> str | None:
    for name in ("cognito:username", "preferred_username", "email", "username", "sub"):
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def identity(claims: dict[str, Any], *, with_sub: bool = False) -> str:
    """Who an ID token names, for people: the user name, with the email address when
    that says more (``alice (alice@example.com)``); with ``with_sub``, the sub too."""
    name = who(claims) or "someone without a name"
    email = claims.get("email")
    details = [email] if isinstance(email, str) and email and email != name else []
    sub = claims.get("sub")
    if with_sub and isinstance(sub, str) and sub and sub != name:
        details.append(f"sub {sub}")
    return f"{name} ({', '.join(details)})" if details else name


def _time_claim(value: object) -> float | None:
    """A NumericDate claim (seconds since the epoch) as a number, or None when it is not
    one (a string, a boolean, NaN, out of range)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    if not math.isfinite(value) or not 0 < value < MAX_EPOCH:
        return None
    return float(value)


def id_token_problem(
    settings: BrowserSettings,
    claims: dict[str, Any],
    endpoints: Endpoints,
    nonce: str | None,
    server_now: float,
) -> str | None:
    """Why this ID token must not be used, or None: the checks of OpenID Connect Core
    3.1.3.7 (its signature is TLS's business: it came straight from the token endpoint).
    ``server_now`` is the time by the issuer's clock (this machine's, corrected by the
    skew measured on the answer)."""
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if settings.client_id not in audiences:
        return f"the ID token is for another app client ({audience!r})"
    # 3.1.3.7 items 4 and 5: an authorized party must be this client; with several
    # audiences there must be one.
    azp = claims.get("azp")
    if azp is not None and azp != settings.client_id:
        return f"the ID token was issued to another app client (azp {azp!r})"
    if len(audiences) > 1 and azp is None:
        return f"the ID token is for several audiences ({audience!r}) and names no azp"
    expected = (endpoints.issuer,) if endpoints.issuer else settings.pool_issuers
    if expected and claims.get("iss") not in expected:
        return f"the ID token was issued by {claims.get('iss')!r}, not {' or '.join(expected)}"
    if nonce is not None and not same_secret(str(claims.get("nonce", "")), nonce):
        return "the ID token does not carry this sign-in's nonce (a replayed token?)"
    exp, iat = _time_claim(claims.get("exp")), _time_claim(claims.get("iat"))
    if exp is None:
        return "the ID token has no expiry"
    if iat is None:
        return "the ID token has no issue time (iat)"
    if exp <= server_now:
        return (
            f"the ID token expired at {iso_utc(exp)}, before it arrived (the server's "
            f"time was {iso_utc(server_now)})"
        )
    if iat > server_now + IAT_LEEWAY_SECONDS or iat > exp:
        return (
            f"the ID token says it was issued at {iso_utc(iat)}, after the server's time "
            f"({iso_utc(server_now)}) or after it expires"
        )
    if settings.username and settings.username not in (
        claims.get("cognito:username"),
        claims.get("preferred_username"),
        claims.get("email"),
        claims.get("username"),
    ):
        return f"signed in as {who(claims)}, but the profile is for {settings.username}"
    return None


def waiting(seconds_left: float) -> str:
    """The countdown line ``login`` shows while the browser is out."""
    left = max(0, math.ceil(seconds_left))
    return f"waiting for the browser, {left // 60}:{left % 60:02d} left, Ctrl-C to stop"


def switch_refused(profile: str, before: dict[str, Any], now: dict[str, Any]) -> CredprocError:
    """A sign-in as someone else than the profile's person, not asked for."""
    same_names = identity(before) == identity(now)
    was, came = identity(before, with_sub=same_names), identity(now, with_sub=same_names)
    return AuthFailed(
        f"this sign-in is {came}, but the profile signed in as {was} before: refused, "
        "and the earlier sign-in is kept",
        profile=profile,
        hint=f"to sign in as someone else on purpose, run: cognito-credproc login --profile "
        f"{profile} --switch-user",
    )
