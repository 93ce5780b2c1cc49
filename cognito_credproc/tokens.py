"""User-pool tokens as cached, and reading a JWT's claims without verifying it.

The signature need not be checked to decide whether a token has expired: Cognito
checks it on every use.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, fields
from typing import Any


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT; ValueError when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, TypeError) as exc:
        raise ValueError("JWT payload is not JSON") from exc
    if not isinstance(claims, dict):
        raise ValueError("JWT payload is not an object")
    return claims


def jwt_expiry(token: str) -> float:
    exp = jwt_claims(token).get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise ValueError("JWT has no exp claim")
    return float(exp)


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
        tokens.id_expiry  # noqa: B018 - raises ValueError for a token that is not a JWT
        return tokens

    @property
    def has_device(self) -> bool:
        return bool(self.device_key and self.device_group_key and self.device_password)
