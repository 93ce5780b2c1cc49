"""Where a browser sign-in goes: a user pool's managed login (endpoints under
``login_domain``), or an OpenID Connect provider (endpoints from its discovery
document, ``{oidc_issuer}/.well-known/openid-configuration``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .oauth import Unreachable, http, is_secure_url

log = logging.getLogger("cognito_credproc")

DISCOVERY_PATH = "/.well-known/openid-configuration"


class DiscoveryError(Exception):
    """The provider answered, but not with a usable discovery document."""


@dataclass(frozen=True)
class Endpoints:
    """The endpoints of one authorization server. ``issuer`` is what an OpenID Connect
    provider's ID tokens must name (None for managed login, whose tokens name the pool)."""

    authorize: str
    token: str
    revoke: str | None
    issuer: str | None = None


def managed_login(login_domain: str) -> Endpoints:
    """A user pool's domain: https://PREFIX.auth.REGION.amazoncognito.com or custom."""
    base = login_domain.rstrip("/")
    return Endpoints(
        authorize=f"{base}/oauth2/authorize",
        token=f"{base}/oauth2/token",
        revoke=f"{base}/oauth2/revoke",
    )


def logins_key(issuer: str) -> str:
    """The identity pool's name for an OpenID Connect provider: the issuer without its
    scheme (and without a trailing slash), as IAM names the provider."""
    return issuer.split("://", 1)[-1].rstrip("/")


def discover(issuer: str) -> Endpoints:
    """Read the provider's discovery document and check it (OpenID Connect Discovery 1.0
    section 4.3: it must name the same issuer). Unreachable or DiscoveryError."""
    if not is_secure_url(issuer):
        raise DiscoveryError(f"{issuer} is not https (http is allowed only for localhost)")
    url = issuer.rstrip("/") + DISCOVERY_PATH
    log.debug("reading %s", url)
    answer = http(url)
    if answer.status != 200:
        raise DiscoveryError(f"{url} answered HTTP {answer.status}")
    try:
        data = answer.json()
    except (ValueError, UnicodeDecodeError):
        raise DiscoveryError(f"{url} is not JSON") from None
    if not isinstance(data, dict):
        raise DiscoveryError(f"{url} is not a JSON object")
    named = data.get("issuer")
    if not isinstance(named, str) or named.rstrip("/") != issuer.rstrip("/"):
        raise DiscoveryError(f"the discovery document names the issuer {named!r}, not {issuer}")
    endpoints: dict[str, str | None] = {}
    for field, required in (
        ("authorization_endpoint", True),
        ("token_endpoint", True),
        ("revocation_endpoint", False),
    ):
        value = data.get(field)
        if value is None and not required:
            endpoints[field] = None
            continue
        if not isinstance(value, str) or not is_secure_url(value):
            raise DiscoveryError(f"the discovery document's {field} is missing or not https")
        endpoints[field] = value
    methods = data.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise DiscoveryError("the provider does not support PKCE with S256")
    authorize, token = endpoints["authorization_endpoint"], endpoints["token_endpoint"]
    assert authorize is not None
    assert token is not None
    return Endpoints(authorize, token, endpoints["revocation_endpoint"], named)


__all__ = ["DiscoveryError", "Endpoints", "Unreachable", "discover", "logins_key", "managed_login"]
