"""Attack: another user who can rename a directory above the settings swaps in their
own settings (a password_command of their choosing) between the tool's check of the
file and its open. The check and the read must be one open descriptor."""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cognito_credproc.config import load_profile
from cognito_credproc.errors import ConfigError

from .conftest import ATTACKER_GID, ATTACKER_UID, as_attacker, need_root

SECTION = """[dev]
user_pool_id = us-east-1_AbCdEf123
app_client_id = client123
identity_pool_id = us-east-1:11111111-2222-3333-4444-555555555555
username = alice
password_command = {command}
"""


def hook_before_opening(
    monkeypatch: pytest.MonkeyPatch, name: str, action: Callable[[], None]
) -> list[str]:
    """Run ``action`` once, right before the tool opens a file called ``name``, or
    starting with it when it ends with ``-`` (by path or relative to a directory
    descriptor): the moment between its checks and its read or write."""
    done: list[str] = []
    real_open = builtins.open
    real_os_open = os.open

    def named(target: object) -> bool:
        base = os.path.basename(str(target))
        return base.startswith(name) if name.endswith("-") else base == name

    def trigger(target: object) -> None:
        if not done and named(target):
            done.append(str(target))
            action()

    def hooked_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        trigger(file)
        return real_open(file, *args, **kwargs)

    def hooked_os_open(path: Any, *args: Any, **kwargs: Any) -> int:
        trigger(path)
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", hooked_open)
    monkeypatch.setattr(os, "open", hooked_os_open)
    return done


def test_rename_race_cannot_swap_in_another_users_settings(
    monkeypatch: pytest.MonkeyPatch, shared_tmp: Path
) -> None:
    need_root()
    # The victim's settings sit in a directory whose parent the attacker can write to.
    parent = shared_tmp / "projects"
    parent.mkdir()
    parent.chmod(0o777)
    mine = parent / "settings"
    mine.mkdir(mode=0o700)
    (mine / "config.ini").write_text(SECTION.format(command="pass show cognito"))
    (mine / "config.ini").chmod(0o600)
    # The attacker's replacement, prepared in advance.
    evil = parent / "evil"
    evil.mkdir()
    (evil / "config.ini").write_text(SECTION.format(command="/tmp/attacker-runs-this"))
    for path in (evil, evil / "config.ini"):
        os.chown(path, ATTACKER_UID, ATTACKER_GID)

    def swap() -> None:
        done = as_attacker("mv settings settings.old && mv evil settings", cwd=parent)
        assert done.returncode == 0, done.stderr

    opened = hook_before_opening(monkeypatch, "config.ini", swap)
    # Refused: the directory above can be renamed in by others. (The file itself was
    # opened through the descriptor of the directory as checked: the victim's own.)
    with pytest.raises(ConfigError, match="projects above the config file is writable by"):
        load_profile(str(mine / "config.ini"), "dev", {})
    assert opened, "the hook never ran: the settings were not opened"


def test_settings_are_opened_once_and_checked_on_the_descriptor(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = tmp_path / "config.ini"
    settings.write_text(SECTION.format(command="pass show cognito"))
    settings.chmod(0o600)
    looked_up_by_path: list[str] = []
    opens: list[str] = []
    real_os_open, real_stat, real_lstat = os.open, os.stat, os.lstat

    def os_open(path: Any, *args: Any, **kwargs: Any) -> int:
        if os.path.basename(str(path)) == "config.ini":
            opens.append(str(path))
        return real_os_open(path, *args, **kwargs)

    def by_path(real: Callable[..., os.stat_result]) -> Callable[..., os.stat_result]:
        def check(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
            if isinstance(path, (str, Path)) and os.path.basename(str(path)) == "config.ini":
                looked_up_by_path.append(str(path))
            return real(path, *args, **kwargs)

        return check

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(os, "stat", by_path(real_stat))
    monkeypatch.setattr(os, "lstat", by_path(real_lstat))
    monkeypatch.setattr(builtins, "open", lambda *a, **k: pytest.fail("opened by path"))
    profile = load_profile(str(settings), "dev", {})
    assert profile.password_command == "pass show cognito"
    assert opens == ["config.ini"]  # once, relative to the checked directory's descriptor
    assert looked_up_by_path == []


def test_rename_race_cannot_redirect_the_cache(
    monkeypatch: pytest.MonkeyPatch, shared_tmp: Path
) -> None:
    """The same race on the cache: tokens written into a directory the attacker owns."""
    from cognito_credproc.cache import CacheDirError, FileCache

    need_root()
    parent = shared_tmp / "cache-parent"
    parent.mkdir()
    parent.chmod(0o777)
    cache_dir = parent / "cache"
    cache_dir.mkdir(mode=0o700)
    evil = parent / "evil"
    evil.mkdir(mode=0o777)
    os.chown(evil, ATTACKER_UID, ATTACKER_GID)

    def swap() -> None:
        done = as_attacker("mv cache cache.old && mv evil cache", cwd=parent)
        assert done.returncode == 0, done.stderr

    # (The write is refused before its temp file is made, so the swap does not happen;
    # without the refusal it would, and the temp file is still made in the directory
    # as checked.)
    hook_before_opening(monkeypatch, ".tmp-", swap)
    cache = FileCache(str(cache_dir))
    with pytest.raises(CacheDirError, match="writable by other users"):
        cache["signin-" + "0" * 32] = {"refresh_token": "victim's secret"}
    attacker_dir = parent / ("cache" if (parent / "cache.old").exists() else "evil")
    assert [p for p in attacker_dir.iterdir()] == []
