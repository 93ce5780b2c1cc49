"""token_storage = keyring: refresh tokens and device secrets in the OS keyring.

The file cache then keeps only what expires within the hour (ID and access tokens).
Secrets are split into chunks that fit every backend (Windows Credential Manager
takes 2,560 bytes, stored as UTF-16) and joined again on reading.
"""

from __future__ import annotations

from typing import Any

from .config import Profile
from .errors import CredprocError

SERVICE = "cognito-credproc"
SECRET_FIELDS = ("refresh_token", "device_password")
# 1,000 characters: under 2,560 bytes as UTF-16 with room for the backend's overhead.
CHUNK_CHARS = 1000


class KeyringUnavailable(CredprocError):
    """The configured keyring backend cannot be used."""


def _keyring() -> Any:
    try:
        import keyring
        import keyring.errors
    except ImportError:
        raise KeyringUnavailable(
            "token_storage = keyring needs the keyring package",
            hint="pip install 'cognito-credproc[keyring]', or set token_storage = file",
        ) from None
    return keyring


def _backend_name(keyring: Any) -> str:
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - any failure here just means "unknown"
        return "unknown backend"
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _call(profile: Profile, what: str, fn: Any, *args: str) -> Any:
    keyring = _keyring()
    try:
        return fn(keyring, *args)
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable(
            f"the OS keyring ({_backend_name(keyring)}) failed to {what}: {exc}",
            profile=profile.name,
            hint="unlock or configure the keyring, or set token_storage = file",
        ) from None


def _account(profile: Profile, field: str) -> str:
    assert profile.signin_key is not None
    return f"{profile.signin_key}:{field}"


def _write(profile: Profile, field: str, value: str | None) -> None:
    base = _account(profile, field)
    old = _read_count(profile, field)
    chunks = (
        [value[i : i + CHUNK_CHARS] for i in range(0, len(value), CHUNK_CHARS)] if value else []
    )
    for index, chunk in enumerate(chunks):
        _call(
            profile,
            "store a secret",
            lambda k, a, c: k.set_password(SERVICE, a, c),
            f"{base}:{index}",
            chunk,
        )
    _call(
        profile,
        "store a secret",
        lambda k, a, c: k.set_password(SERVICE, a, c),
        base,
        str(len(chunks)),
    )
    for index in range(len(chunks), old):
        _delete(profile, f"{base}:{index}")


def _read_count(profile: Profile, field: str) -> int:
    raw = _call(
        profile, "read a secret", lambda k, a: k.get_password(SERVICE, a), _account(profile, field)
    )
    return int(raw) if isinstance(raw, str) and raw.isdigit() else 0


def _read(profile: Profile, field: str) -> str | None:
    count = _read_count(profile, field)
    if count == 0:
        return None
    base = _account(profile, field)
    parts = []
    for index in range(count):
        part = _call(
            profile, "read a secret", lambda k, a: k.get_password(SERVICE, a), f"{base}:{index}"
        )
        if not isinstance(part, str):
            return None  # a chunk went missing: treat the secret as absent
        parts.append(part)
    return "".join(parts)


def _delete(profile: Profile, account: str) -> None:
    keyring = _keyring()
    try:
        keyring.delete_password(SERVICE, account)
    except keyring.errors.PasswordDeleteError:
        pass
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable(
            f"the OS keyring ({_backend_name(keyring)}) failed to delete a secret: {exc}",
            profile=profile.name,
        ) from None


def store_secrets(profile: Profile, entry: dict[str, Any]) -> dict[str, Any]:
    """Move the secret fields of a token entry into the keyring; return what stays on disk."""
    kept = dict(entry)
    for field in SECRET_FIELDS:
        _write(profile, field, kept.pop(field, None))
    kept["keyring"] = True
    return kept


def load_secrets(profile: Profile, entry: dict[str, Any]) -> dict[str, Any]:
    """Put the keyring's secrets back into a token entry read from disk."""
    full = dict(entry)
    if not full.pop("keyring", False):
        return full  # written with token_storage = file: the secrets are still in it
    for field in SECRET_FIELDS:
        full[field] = _read(profile, field)
    return full


def delete_secrets(profile: Profile) -> None:
    for field in SECRET_FIELDS:
        count = _read_count(profile, field)
        for index in range(count):
            _delete(profile, f"{_account(profile, field)}:{index}")
        _delete(profile, _account(profile, field))
