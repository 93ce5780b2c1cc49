"""token_storage = keyring, with test-suite keyring backends."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from cognito_credproc.cache import FileCache
from cognito_credproc.config import profile_from_section
from cognito_credproc.errors import CredprocError
from cognito_credproc.prompt import NoTerminal
from cognito_credproc.provider import Provider
from cognito_credproc.tokens import Tokens

from .conftest import Cognito, Workspace, parse_output, run_python
from .fakes import SECTION, Clock, FakeClients, make_jwt
from .keyring_backends import BrokenKeyring, MemoryKeyring

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def provider(
    tmp_path: Path, clock: Clock, storage: str, clients: FakeClients | None = None
) -> tuple[Provider, FakeClients]:
    profile = profile_from_section("t.ini", "dev", {**SECTION, "token_storage": storage}, {})
    clients = clients or FakeClients(clock)
    return Provider(
        profile,
        FileCache(str(tmp_path / "cache")),
        now=clock,
        clients=clients,  # type: ignore[arg-type]
        interaction=NoTerminal("dev"),
        environ={"COGNITO_CREDPROC_PASSWORD": "pw"},
    ), clients


JWT = make_jwt({"exp": 4_000_000_000})


def signin_file(tmp_path: Path) -> dict[str, object]:
    (path,) = (tmp_path / "cache").glob("signin-*.json")
    data: dict[str, object] = json.loads(path.read_text())
    return data


def test_refresh_token_lives_in_the_keyring_not_on_disk(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    clock = Clock()
    prov, clients = provider(tmp_path, clock, "keyring")
    prov.credentials()
    on_disk = signin_file(tmp_path)
    assert "refresh_token" not in on_disk
    assert on_disk["keyring"] is True
    assert "refresh-1" in memory_keyring.store.values()
    # an hour later the refresh token comes back from the keyring and works
    clock.advance(7200)
    prov.credentials()
    assert clients.idp.calls == ["USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH"]


def test_large_secrets_are_split_and_joined(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    prov, _ = provider(tmp_path, Clock(), "keyring")
    big = "r" * 5000  # real refresh tokens are ~1.8 KB JWEs; this is larger than any backend slot
    prov.store.save_tokens(
        Tokens(
            id_token=JWT,
            access_token=JWT,
            refresh_token=big,
            device_key="us-east-1_d",
            device_group_key="g",
            device_password="p" * 1500,
        )
    )
    loaded = prov.store.tokens()
    assert loaded is not None
    assert loaded.refresh_token == big
    assert loaded.device_password == "p" * 1500
    assert max(len(v) for v in memory_keyring.store.values()) <= 1000
    # shrinking removes the chunks no longer needed
    prov.store.save_tokens(Tokens(id_token=JWT, access_token=JWT, refresh_token="small"))
    assert sum(1 for (_, account) in memory_keyring.store if ":refresh_token:" in account) == 1


def test_switching_from_file_to_keyring_moves_the_token_off_disk(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    clock = Clock()
    as_file, clients = provider(tmp_path, clock, "file")
    as_file.credentials()
    assert signin_file(tmp_path)["refresh_token"] == "refresh-1"
    as_keyring, _ = provider(tmp_path, clock, "keyring", clients)  # the same user pool
    clients.idp.calls.clear()
    clock.advance(7200)
    as_keyring.credentials()  # reads the file entry, moves the token, refreshes with it
    assert "refresh_token" not in signin_file(tmp_path)
    assert "refresh-1" in memory_keyring.store.values()
    assert clients.idp.calls == ["REFRESH_TOKEN_AUTH"]


def test_logout_style_clear_removes_keyring_entries(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    prov, _ = provider(tmp_path, Clock(), "keyring")
    prov.credentials()
    assert memory_keyring.store
    prov.store.clear()
    assert memory_keyring.store == {}


def test_unavailable_keyring_is_a_clear_error_naming_the_backend(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(BrokenKeyring())
    try:
        prov, _ = provider(tmp_path, Clock(), "keyring")
        with pytest.raises(CredprocError) as caught:
            prov.credentials()
    finally:
        keyring.set_keyring(previous)
    text = str(caught.value)
    assert "BrokenKeyring" in text and "keychain is locked" in text
    assert "token_storage = file" in text
    assert not list((tmp_path / "cache").glob("signin-*.json"))  # no silent fallback to files


@pytest.mark.integration
def test_cli_with_keyring_and_a_cache_hit_that_never_touches_it(
    ws: Workspace, cognito: Cognito
) -> None:
    ws.write_config(cognito.profile_section("dev", token_storage="keyring"))
    env = {
        "PYTHON_KEYRING_BACKEND": "tests.keyring_backends.FileKeyring",
        "CREDPROC_TEST_KEYRING_FILE": str(ws.root / "keyring.json"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), ws.env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    }
    done = ws.run("--profile", "dev", env={**env, "COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    assert "refresh_token" in (ws.root / "keyring.json").read_text()
    hit = run_python(
        ["-X", "importtime", "-m", "cognito_credproc", "--profile", "dev"], {**ws.env, **env}
    )
    assert hit.returncode == 0
    parse_output(hit.stdout)
    imported = {line.split("|")[-1].strip() for line in hit.stderr.splitlines() if "|" in line}
    assert not {
        m for m in imported if m.split(".")[0] in ("keyring", "boto3", "botocore", "filelock")
    }
    assert "cognito_credproc.keyring_store" not in imported
