"""OAuth 2.0 with the standard library: PKCE, state and nonce, the authorize URL, and a
client for the token and revocation endpoints (urllib; a client secret goes as HTTP
Basic, in Cognito's form or RFC 6749's; the service's JSON errors become one-line
messages).

Every URL the tool sends a code, a token or a secret to must be https, except on a
loopback host (local emulators and tests).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any

from ..tokens import jwt_claims

log = logging.getLogger("cognito_credproc")

HTTP_TIMEOUT_SECONDS = 10
MAX_ANSWER_BYTES = 1 << 20
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


class OAuthError(Exception):
    """The authorization server said no: ``error`` as it sent it, ``description`` too."""

    def __init__(self, error: str, description: str = "", status: int | None = None) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.status = status


class Unreachable(Exception):
    """No answer (connection refused, DNS, timeout, TLS), or one that is not HTTP."""


def is_secure_url(url: str) -> bool:
    """https, or http on localhost / 127.0.0.1 (emulators and tests)."""
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


# PKCE, state, nonce ----------------------------------------------------------------------


@dataclass(frozen=True)
class Pkce:
    """RFC 7636 with S256: a fresh 86-character verifier for every sign-in."""

    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9_-]
        return cls(verifier, s256(verifier))


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def new_state() -> str:
    """An unguessable value the callback must carry back (CSRF, mix-up)."""
    return secrets.token_urlsafe(32)


def new_nonce() -> str:
    """An unguessable value the ID token must carry (replay of an ID token)."""
    return secrets.token_urlsafe(32)


def same_secret(given: str, expected: str) -> bool:
    """Whether a state or nonce that came back is ours, in constant time. Compared as
    UTF-8 bytes: what comes back may be any text (``compare_digest`` refuses non-ASCII
    str with a TypeError, which would end the sign-in in "unexpected error")."""
    return hmac.compare_digest(
        given.encode("utf-8", "replace"), expected.encode("utf-8", "replace")
    )


def authorize_url(
    endpoint: str,
    *,
    client_id: str,
    redirect_uri: str,
    scopes: tuple[str, ...],
    state: str,
    pkce: Pkce,
    nonce: str | None = None,
    identity_provider: str | None = None,
) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    if nonce is not None:
        params["nonce"] = nonce
    if identity_provider is not None:
        params["identity_provider"] = identity_provider
    joiner = "&" if urllib.parse.urlsplit(endpoint).query else "?"
    return endpoint + joiner + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


# HTTP --------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to read (Location), never a request to send again."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener() -> urllib.request.OpenerDirector:
    # Proxies from the environment (HTTPS_PROXY, NO_PROXY) apply as they do to botocore.
    return urllib.request.build_opener(_NoRedirect())


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        """The body as JSON; ValueError (or UnicodeDecodeError) when it is not."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except RecursionError:  # nested deeper than the parser goes: not an answer
            raise ValueError("JSON nested too deeply") from None


def basic_authorization(client_id: str, secret: str, *, cognito: bool) -> str:
    """The Authorization header of a client with a secret. Cognito's token and revocation
    endpoints take ``Basic Base64Encode(client_id:client_secret)`` of the values as they
    are (Amazon Cognito Developer Guide, "The token issuer endpoint" and "The token
    revocation endpoint"); RFC 6749 2.3.1 form-encodes both first. The two differ for a
    secret with ``+``, which Cognito's secrets may hold (``[\\w+]+``)."""
    if cognito:
        pair = f"{client_id}:{secret}"
    else:
        pair = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def http(
    url: str,
    *,
    form: dict[str, str] | None = None,
    authorization: str | None = None,
    timeout: float = HTTP_TIMEOUT_SECONDS,
) -> Answer:
    """GET (or POST ``form``) without following redirects; any HTTP status is an Answer."""
    if not is_secure_url(url):
        raise Unreachable(f"refusing to send a request to {url}: https is required")
    headers = {"Accept": "application/json", "User-Agent": "cognito-credproc"}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if authorization is not None:
        headers["Authorization"] = authorization
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - checked above
    try:
        return _send(request, timeout)
    except HTTPException as exc:
        # Not OSErrors: a status line that is not HTTP, a broken chunk, endless headers.
        raise Unreachable(f"{_origin(url)} did not answer in HTTP ({type(exc).__name__})") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unreachable(f"cannot reach {_origin(url)} ({_one_line(str(reason))})") from None


def _send(request: urllib.request.Request, timeout: float) -> Answer:
    try:
        with _opener().open(request, timeout=timeout) as response:
            body = response.read(MAX_ANSWER_BYTES)
            return Answer(response.status, dict(response.headers.items()), body)
    except urllib.error.HTTPError as exc:
        with exc:
            body = exc.read(MAX_ANSWER_BYTES)
        return Answer(exc.code, dict(exc.headers.items()), body)


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def error_of(answer: Answer) -> OAuthError:
    """An error answer as the service put it: its JSON ``error``, else the HTTP status."""
    try:
        data = answer.json()
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        description = data.get("error_description")
        return OAuthError(
            _one_line(data["error"], 60),
            _one_line(description) if isinstance(description, str) else "",
            answer.status,
        )
    kind = "an HTML page" if answer.body.lstrip()[:1] == b"<" else "no error code"
    return OAuthError(f"HTTP {answer.status}", f"{kind} instead of an OAuth answer", answer.status)


# the token endpoint ------------------------------------------------------------------------


@dataclass
class TokenResponse:
    """A token endpoint's answer, checked."""

    access_token: str
    id_token: str | None
    refresh_token: str | None
    expires_in: int | None
    date: str | None = None  # the answer's Date header: the server's clock


class TokenClient:
    """One app client at one token endpoint (and revocation endpoint). ``cognito_basic``:
    the secret goes in Cognito's form of HTTP Basic, not RFC 6749's."""

    def __init__(
        self, client_id: str, client_secret: str | None = None, *, cognito_basic: bool = False
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.cognito_basic = cognito_basic

    def _post(self, url: str, form: dict[str, str]) -> Answer:
        form = {**form, "client_id": self.client_id}
        authorization = None
        if self.client_secret:
            authorization = basic_authorization(
                self.client_id, self.client_secret, cognito=self.cognito_basic
            )
        return http(url, form=form, authorization=authorization)

    def exchange_code(
        self, token_endpoint: str, *, code: str, redirect_uri: str, verifier: str
    ) -> TokenResponse:
        log.debug("exchanging the authorization code at %s", _origin(token_endpoint))
        answer = self._post(
            token_endpoint,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
        )
        return self._tokens(answer)

    def refresh(self, token_endpoint: str, refresh_token: str) -> TokenResponse:
        log.debug("refreshing at %s", _origin(token_endpoint))
        answer = self._post(
            token_endpoint, {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )
        return self._tokens(answer)

    def revoke(self, revocation_endpoint: str, refresh_token: str) -> None:
        log.debug("revoking the refresh token at %s", _origin(revocation_endpoint))
        answer = self._post(revocation_endpoint, {"token": refresh_token})
        if answer.status != 200:
            raise error_of(answer)

    @staticmethod
    def _tokens(answer: Answer) -> TokenResponse:
        if answer.status != 200:
            raise error_of(answer)
        try:
            data = answer.json()
        except (ValueError, UnicodeDecodeError):
            raise OAuthError(
                "malformed answer", "the token endpoint's answer is not JSON"
            ) from None
        if not isinstance(data, dict):
            raise OAuthError("malformed answer", "the token endpoint's answer is not an object")
        token_type = data.get("token_type")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise OAuthError("malformed answer", f"token_type is {token_type!r}, not Bearer")
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise OAuthError("malformed answer", "no access_token")
        id_token = data.get("id_token")
        if id_token is not None:
            if not isinstance(id_token, str):
                raise OAuthError("malformed answer", "id_token is not a string")
            try:
                jwt_claims(id_token)
            except ValueError:
                raise OAuthError("malformed answer", "id_token is not a JWT") from None
        refresh = data.get("refresh_token")
        if refresh is not None and (not isinstance(refresh, str) or not refresh):
            raise OAuthError("malformed answer", "refresh_token is not a string")
        expires_in = data.get("expires_in")
        if expires_in is not None:
            if isinstance(expires_in, str) and expires_in.isdigit():
                expires_in = int(expires_in)  # some providers send it as a string
            if not isinstance(expires_in, int) or isinstance(expires_in, bool) or expires_in <= 0:
                raise OAuthError("malformed answer", f"expires_in is {expires_in!r}")
        return TokenResponse(access, id_token, refresh, expires_in, answer.header("Date"))
