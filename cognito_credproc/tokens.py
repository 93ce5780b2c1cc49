"""User-pool tokens as cached, and reading a JWT's claims without verifying it.

The signature need not be checked to decide whether a token has expired: Cognito
checks it on every use.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from .credentials import MAX_EPOCH


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT; ValueError when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, TypeError, RecursionError) as exc:  # Recursion: nested too deep
        raise ValueError("JWT payload is not JSON") from exc
    if not isinstance(claims, dict):
        raise ValueError("JWT payload is not an object")
    return claims


def jwt_expiry(token: str) -> float:
    exp = jwt_claims(token).get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise ValueError("JWT has no exp claim")
    if exp != exp or not 0 < exp < MAX_EPOCH:
        raise ValueError("JWT exp claim is out of range")
    return float(exp)


# What a well-formed answer holds; anything else is refused before it is cached or shown.
MAX_TOKEN_CHARS = 64 * 1024
MAX_NAME_CHARS = 512
JWT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=")


def _opaque(value: object, what: str, limit: int = MAX_TOKEN_CHARS) -> None:
    """A token-like string: printable ASCII, no spaces or quotes, not absurdly long."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} is not a string")
    if len(value) > limit or not (value.isascii() and value.isprintable()):
        raise ValueError(f"{what} has characters or a length no token has")
    if any(ch in value for ch in " \"'\\"):
        raise ValueError(f"{what} has characters no token has")


def check_tokens(tokens: Tokens) -> None:
    """ValueError unless every field has the shape the services give it: JWTs with a
    numeric ``exp`` for the ID token and the access token (or, from an OpenID Connect
    provider, an opaque access token with its expiry beside it), opaque printable
    strings elsewhere."""
    _opaque(tokens.access_token, "access token")
    jwts = [("ID token", tokens.id_token)]
    if tokens.access_expires_at is None:
        jwts.append(("access token", tokens.access_token))
    else:
        _time(tokens.access_expires_at, "the access token's expiry")
    for what, token in jwts:
        _opaque(token, what)
        if not set(token) <= JWT_CHARS:
            raise ValueError(f"{what} is not a JWT")
        jwt_expiry(token)
    for what, value in (
        ("refresh token", tokens.refresh_token),
        ("device key", tokens.device_key),
        ("device group key", tokens.device_group_key),
        ("device password", tokens.device_password),
    ):
        if value is not None:
            _opaque(value, what)
    name = tokens.internal_username
    if name is not None and (
        not isinstance(name, str) or len(name) > MAX_NAME_CHARS or not name.isprintable()
    ):
        raise ValueError("the user name is not printable text")
    if tokens.refresh_issued_at is not None:
        _time(tokens.refresh_issued_at, "refresh_issued_at")


def _time(value: object, what: str) -> None:
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or value != value
        or not 0 <= value < MAX_EPOCH
    ):
        raise ValueError(f"{what} is not a time")


@dataclass
class Tokens:
    """What one sign-in leaves in the cache."""

    id_token: str
    access_token: str
    refresh_token: str | None = None
    # When the refresh token was issued (epoch seconds); its lifetime is the pool's
    # setting, which the client cannot see, so this is shown as an age.
    refresh_issued_at: float | None = None
    # The name Cognito uses internally (USER_ID_FOR_SRP / cognito:username): SECRET_HASH
    # on refresh must be computed with it, not with an alias such as an email address.
    internal_username: str | None = None
    device_key: str | None = None
    device_group_key: str | None = None
    device_password: str | None = None
    # The app client rotates refresh tokens: renew with GetTokensFromRefreshToken.
    rotating: bool = False
    # When the access token expires (epoch seconds), from the token endpoint's
    # expires_in: an OpenID Connect provider's access token need not be a JWT.
    access_expires_at: float | None = None

    @property
    def id_expiry(self) -> float:
        return jwt_expiry(self.id_token)

    @property
    def access_expiry(self) -> float:
        try:
            return jwt_expiry(self.access_token)
        except ValueError:
            if self.access_expires_at is None:
                raise
            return self.access_expires_at

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, **asdict(self)}

    def secrets(self) -> list[str]:
        """What must never be shown: every token and the device password."""
        values = (self.id_token, self.access_token, self.refresh_token, self.device_password)
        return [value for value in values if value]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tokens:
        """Rebuild from the cache; ValueError on anything misshapen."""
        if data.get("version") != 1:
            raise ValueError("unknown token cache version")
        values: dict[str, Any] = {}
        for spec in fields(cls):
            value = data.get(spec.name)
            if spec.name in ("id_token", "access_token"):
                if not isinstance(value, str) or not value:
                    raise ValueError(f"{spec.name} missing")
            elif spec.name in ("refresh_issued_at", "access_expires_at"):
                if value is not None and (
                    not isinstance(value, (int, float)) or isinstance(value, bool)
                ):
                    raise ValueError(f"{spec.name} is not a number")
            elif spec.name == "rotating":
                value = bool(value)
            elif value is not None and not isinstance(value, str):
                raise ValueError(f"{spec.name} is not a string")
            values[spec.name] = value
        tokens = cls(**values)
        check_tokens(tokens)
        return tokens

    @property
    def has_device(self) -> bool:
        return bool(self.device_key and self.device_group_key and self.device_password)
