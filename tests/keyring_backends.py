"""Keyring backends for the tests: in memory, and one that keeps its secrets in a JSON
file so that child processes share them. Both enforce Windows Credential Manager's
2,560-byte limit (UTF-16) so the chunking is exercised."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

LIMIT_BYTES = 2560


def _check_size(password: str) -> None:
    if len(password.encode("utf-16-le")) > LIMIT_BYTES:
        raise KeyringError(f"secret of {len(password)} characters exceeds {LIMIT_BYTES} bytes")


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        _check_size(password)
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


class FileKeyring(KeyringBackend):
    """Set CREDPROC_TEST_KEYRING_FILE; select with PYTHON_KEYRING_BACKEND."""

    priority = 1

    @property
    def path(self) -> Path:
        return Path(os.environ["CREDPROC_TEST_KEYRING_FILE"])

    def _load(self) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        return data

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        _check_size(password)
        data = self._load()
        data[f"{service}/{username}"] = password
        self.path.write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError(username)
        self.path.write_text(json.dumps(data))


class BrokenKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("the keychain is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("the keychain is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringError("the keychain is locked")
