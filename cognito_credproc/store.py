"""Typed views of the cache: tokens per sign-in, IdentityId per identity, credentials
per profile definition. A misshapen entry reads as a miss."""

from __future__ import annotations

from .cache import FileCache
from .config import Profile
from .credentials import Credentials

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .tokens import Tokens


class Store:
    def __init__(self, profile: Profile, cache: FileCache) -> None:
        self.profile = profile
        self.cache = cache

    # credentials ---------------------------------------------------------------------------

    def credentials_entry(self) -> dict[str, Any] | None:
        return self.cache.get(self.profile.credentials_key)

    def credentials(self) -> Credentials | None:
        """Cached credentials, their Expiration moved into this machine's clock.

        The cache keeps the service's Expiration and the clock skew measured when they
        were fetched; every decision, and what the SDKs are told, uses local time.
        AccountId is this profile's own: profiles that differ only in ``account_id``
        share one entry, so the AccountId stored in it may be another profile's."""
        entry = self.credentials_entry()
        if entry is None:
            return None
        try:
            creds = Credentials.from_json(entry)
            skew = _skew_of(entry)
        except ValueError:
            return None
        return creds.shifted(-skew).with_account(self.profile.effective_account_id)

    def last_skew(self) -> float:
        """The clock skew measured when the cached credentials were fetched."""
        try:
            return _skew_of(self.credentials_entry() or {})
        except ValueError:
            return 0.0  # that entry is a miss anyway

    def service_time(self, now: float) -> float:
        """This machine's ``now`` by the service's clock, as last measured (token expiry
        times are the service's)."""
        return now + self.last_skew()

    def save_credentials(self, creds: Credentials, skew: float, fetched_at: float) -> None:
        self.cache[self.profile.credentials_key] = {
            **creds.to_json(),
            "skew": skew,
            "fetched_at": fetched_at,
            "profile": self.profile.name,
        }

    def fetched_at(self) -> float:
        """When the cached credentials were fetched (local clock); 0 when unknown."""
        entry = self.credentials_entry() or {}
        value = entry.get("fetched_at")
        return (
            float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
        )

    # tokens ------------------------------------------------------------------------------

    def tokens(self, *, migrate: bool = False) -> Tokens | None:
        """The cached tokens. With ``migrate`` (only under the sign-in's lock), a refresh
        token still on disk under ``token_storage = keyring`` is moved to the keyring."""
        from .tokens import Tokens

        key = self.profile.signin_key
        if key is None:
            return None
        entry = self.cache.get(key)
        if entry is None:
            return None
        on_disk = entry
        if self.profile.token_storage == "keyring":
            from .keyring_store import load_secrets

            entry = load_secrets(self.profile, entry)
        try:
            tokens = Tokens.from_json(entry)
        except (ValueError, TypeError):
            return None
        from .redact import register_secret  # a message may yet quote one of them

        for secret in tokens.secrets():
            register_secret(secret)
        if migrate and self.profile.token_storage == "keyring" and not on_disk.get("keyring"):
            # Switched from file storage: move the refresh token off the disk now.
            self.save_tokens(tokens)
        return tokens

    def save_tokens(self, tokens: Tokens) -> None:
        from .errors import ServiceError
        from .tokens import check_tokens

        key = self.profile.signin_key
        assert key is not None
        try:
            check_tokens(tokens)  # what the user pool sent, before it is kept or used
        except ValueError as exc:
            raise ServiceError(
                f"the user pool answered with unusable tokens ({exc})",
                profile=self.profile.name,
                hint="retry with --debug; check endpoint_url or a proxy in between",
            ) from None
        entry = tokens.to_json()
        if self.profile.token_storage == "keyring":
            from .keyring_store import store_secrets

            entry = store_secrets(self.profile, entry)
        entry["username"] = self.profile.username
        entry["user_pool_id"] = self.profile.user_pool_id
        entry["app_client_id"] = self.profile.app_client_id
        self.cache[key] = entry

    # identity ----------------------------------------------------------------------------

    def identity_id(self) -> str | None:
        entry = self.cache.get(self.profile.identity_key)
        value = entry.get("identity_id") if entry else None
        # region:uuid; anything else (control characters, say) is not ours: a miss
        if not isinstance(value, str) or not value or len(value) > 128 or ":" not in value:
            return None
        return value if value.isascii() and value.isprintable() and " " not in value else None

    def save_identity_id(self, identity_id: str) -> None:
        self.cache[self.profile.identity_key] = {
            "version": 1,
            "identity_id": identity_id,
            "identity_pool_id": self.profile.identity_pool_id,
        }

    # removal -----------------------------------------------------------------------------

    def clear(self, *, tokens: bool = True) -> list[str]:
        """Delete this profile's entries; returns the keys that were there."""
        keys = [self.profile.credentials_key, self.profile.identity_key]
        if tokens and self.profile.signin_key:
            keys.append(self.profile.signin_key)
            if self.profile.token_storage == "keyring":
                from .keyring_store import delete_secrets

                delete_secrets(self.profile)
        return [key for key in keys if self.cache.discard(key)]


# Further off than this, a clock is simply wrong: refuse rather than serve credentials
# that the SDKs, reading this machine's clock, would take as valid long after they died.
MAX_CLOCK_SKEW_SECONDS = 24 * 60 * 60


def _skew_of(entry: dict[str, Any]) -> float:
    """The skew stored with an entry; ValueError (the entry is a miss) when it is not a
    number or larger than a day."""
    skew = entry.get("skew", 0.0)
    if not isinstance(skew, (int, float)) or isinstance(skew, bool) or skew != skew:
        raise ValueError("skew is not a number")
    if abs(skew) > MAX_CLOCK_SKEW_SECONDS:
        raise ValueError("skew over a day")
    return float(skew)


def lookup(
    profile: Profile, cache: FileCache, now: Callable[[], float] | None = None
) -> tuple[Credentials, float] | None:
    """Cached credentials and the seconds they have left."""
    creds = Store(profile, cache).credentials()
    if creds is None:
        return None
    if now is None:
        import time

        now = time.time
    return creds, creds.expiration - now()


def cached_credentials(
    profile: Profile,
    cache: FileCache,
    now: Callable[[], float] | None = None,
    margin: float | None = None,
) -> Credentials | None:
    """Cached credentials with more than the refresh margin left, else None."""
    found = lookup(profile, cache, now)
    wanted = profile.refresh_margin if margin is None else margin
    return found[0] if found is not None and found[1] > wanted else None
