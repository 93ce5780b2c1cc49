"""The file cache: private atomic writes, corrupt means miss, unsafe directories refused."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from cognito_credproc.cache import CacheDirError, FileCache


def test_round_trip_and_modes_under_umask_000(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        cache = FileCache(str(tmp_path / "c"))
        cache["creds-1"] = {"a": 1}
    finally:
        os.umask(old)
    assert cache["creds-1"] == {"a": 1}
    assert stat.S_IMODE((tmp_path / "c").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "c" / "creds-1.json").stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "c").iterdir()] == ["creds-1.json"]  # no temp files left


@pytest.mark.parametrize(
    "content", [b"", b"{", b"[1]", b'"x"', b"\xff\xfe", b"{}" + b" " * (2 << 20)]
)
def test_unreadable_entries_are_misses(tmp_path: Path, content: bytes) -> None:
    cache = FileCache(str(tmp_path))
    (tmp_path / "k.json").write_bytes(content)
    assert cache.get("k") is None
    with pytest.raises(KeyError):
        cache["k"]


def test_missing_entry_is_a_key_error(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        FileCache(str(tmp_path / "absent"))["k"]


def test_entry_that_is_a_symlink_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text('{"planted": true}')
    cache_dir = tmp_path / "c"
    cache_dir.mkdir(mode=0o700)
    (cache_dir / "k.json").symlink_to(target)
    assert FileCache(str(cache_dir)).get("k") is None


def test_symlinked_directory_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    cache = FileCache(str(tmp_path / "link"))
    with pytest.raises(CacheDirError, match="symbolic link"):
        cache["k"] = {"a": 1}
    assert cache.get("k") is None


def test_group_writable_directory_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    cache = FileCache(str(shared))
    with pytest.raises(CacheDirError, match="chmod 700"):
        cache["k"] = {"a": 1}


def test_failed_write_keeps_the_old_entry(tmp_path: Path) -> None:
    cache = FileCache(str(tmp_path / "c"))
    cache["k"] = {"v": "old"}

    class Boom:
        pass

    with pytest.raises(TypeError):
        cache["k"] = {"v": Boom()}
    assert cache["k"] == {"v": "old"}
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["k.json"]


def test_bad_keys_are_rejected(tmp_path: Path) -> None:
    cache = FileCache(str(tmp_path))
    for key in ("", "../x", ".hidden"):
        with pytest.raises(ValueError, match="bad cache key"):
            cache.path(key)


def test_delete(tmp_path: Path) -> None:
    cache = FileCache(str(tmp_path / "c"))
    cache["k"] = {}
    assert cache.discard("k") is True
    assert cache.discard("k") is False


def test_a_full_disk_is_a_clear_error_and_keeps_the_old_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    cache = FileCache(str(tmp_path / "c"))
    cache["k"] = {"v": "old"}

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(CacheDirError, match="No space left on device"):
        cache["k"] = {"v": "new"}
    monkeypatch.undo()
    assert cache["k"] == {"v": "old"}
    assert [p.name for p in (tmp_path / "c").iterdir()] == ["k.json"]  # no temp file left


def test_an_entry_lands_in_the_directory_that_was_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache path is renamed away and another directory put in its place between
    the checks and the write: the entry still goes into the directory checked (the
    temp file is made through its descriptor, not by looking up the path again)."""
    checked = tmp_path / "c"
    cache = FileCache(str(checked))
    cache["k"] = {"v": "old"}
    moved, other = tmp_path / "c.moved", tmp_path / "other"
    other.mkdir(mode=0o700)
    real_open = os.open
    swapped: list[str] = []

    def swap_then_open(path: Any, *args: Any, **kwargs: Any) -> int:
        if not swapped and os.path.basename(str(path)).startswith(".tmp-"):
            swapped.append(str(path))
            checked.rename(moved)
            other.rename(checked)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", swap_then_open)
    cache["k"] = {"v": "new"}
    monkeypatch.undo()
    assert swapped, "the write never made a temp file"
    assert json.loads((moved / "k.json").read_text()) == {"v": "new"}
    assert list(checked.iterdir()) == []  # nothing, not even a temp file, went elsewhere


def test_symlinked_parent_directories_are_followed_when_nobody_else_can_change_them(
    tmp_path: Path,
) -> None:
    real_parent = tmp_path / "real-home"
    real_parent.mkdir(mode=0o700)
    (tmp_path / "home").symlink_to(real_parent)  # like /home -> /usr/home
    cache = FileCache(str(tmp_path / "home" / "cache"))
    cache["k"] = {"a": 1}
    assert cache["k"] == {"a": 1}
    assert (real_parent / "cache" / "k.json").exists()


def test_a_parent_others_can_write_to_is_refused_with_the_fix(tmp_path: Path) -> None:
    parent = tmp_path / "parent"
    parent.mkdir()
    parent.chmod(0o777)
    cache = FileCache(str(parent / "cache"))
    with pytest.raises(CacheDirError, match=f"chmod go-w {parent}"):
        cache["k"] = {"a": 1}
    assert not (parent / "cache").exists()
    parent.chmod(0o1777)  # sticky, like /tmp: only an entry's owner may rename it
    cache["k"] = {"a": 1}
    assert cache["k"] == {"a": 1}


def _where(name: str, dir_fd: object) -> str:
    """An absolute path for a name that may be relative to a directory descriptor."""
    if isinstance(dir_fd, int) and dir_fd >= 0 and not os.path.isabs(name):
        return os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), name)
    return os.path.abspath(name)


class _FileEvents:
    """Opens and renames seen through audit hooks (they cannot be removed, so the hook
    records only while a test has it switched on)."""

    def __init__(self) -> None:
        self.active = False
        self.opened: list[tuple[str, int]] = []  # (name as given, os.open-style flags)
        self.renamed: list[tuple[str, str, bytes]] = []  # (source, target, source's bytes)

    def hook(self, event: str, args: tuple[object, ...]) -> None:
        if not self.active:
            return
        if event == "open" and isinstance(args[0], str):
            mode, flags = args[1], args[2] if isinstance(args[2], int) else 0
            if isinstance(mode, str):  # builtins.open: the mode string
                writing = any(c in mode for c in "wax+")
                flags = os.O_WRONLY if writing else os.O_RDONLY
            self.opened.append((args[0], flags))
        elif event == "os.rename":
            source = _where(str(args[0]), args[2])
            target = _where(str(args[1]), args[3])
            self.active = False  # reading the source must not count as an open
            try:
                with open(source, "rb") as handle:
                    content = handle.read()
            finally:
                self.active = True
            self.renamed.append((source, target, content))


_EVENTS = _FileEvents()
sys.addaudithook(_EVENTS.hook)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names descriptors via /proc")
def test_an_entry_is_never_written_in_place_only_renamed_onto(tmp_path: Path) -> None:
    cache = FileCache(str(tmp_path / "c"))
    cache["k"] = {"v": "old"}
    final = os.path.abspath(cache.path("k"))
    _EVENTS.opened.clear()
    _EVENTS.renamed.clear()
    _EVENTS.active = True
    try:
        cache["k"] = {"v": "new"}
    finally:
        _EVENTS.active = False

    def names(path: str, given: str) -> bool:  # a given name, absolute or descriptor-relative
        return given == path or (not os.path.isabs(given) and given == os.path.basename(path))

    write_flags = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    assert [g for g, flags in _EVENTS.opened if names(final, g) and flags & write_flags] == []
    ((source, target, content),) = _EVENTS.renamed
    assert target == final
    assert os.path.dirname(source) == os.path.dirname(final)  # same directory: atomic
    assert os.path.basename(source).startswith(".tmp-")
    assert json.loads(content) == {"v": "new"}  # whole before it takes the entry's place
    created = [flags for g, flags in _EVENTS.opened if names(source, g)]
    assert created and created[0] & os.O_EXCL  # a fresh file nobody else could have made
    assert not os.path.exists(source)
    assert cache["k"] == {"v": "new"}
