"""The on-disk cache: one private JSON file per key, written atomically, in a directory
checked on its descriptor; and ``FileCache.lock``, the per-key lock (taken in ``locking``).

Reading needs no lock (writes are atomic renames) and imports nothing heavy, so a
cache hit stays cheap. Anything unreadable or wrongly shaped reads as a miss.
"""

from __future__ import annotations

import json
import os
import re
import stat

from .configfile import ENV_CACHE_DIR, user_dir
from .errors import ConfigError, CredprocError
from .platform import current
from .safepath import (
    TEMP_PREFIX,
    Directory,
    SharingViolation,
    Unsafe,
    open_directory,
    open_file,
    read_fd,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from contextlib import AbstractContextManager
    from typing import Any

    from .parentwatch import ParentWatch

DIR_MODE = 0o700
FILE_MODE = 0o600
MAX_ENTRY_BYTES = 1 << 20  # a real entry is a few KiB; anything bigger is not ours
# A temp file this old belongs to a writer that died (killed mid-write); writes take
# milliseconds, so anything older is litter.
STALE_TEMP_SECONDS = 60


def default_cache_dir(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    if env.get(ENV_CACHE_DIR):
        directory = env[ENV_CACHE_DIR]
        if not os.path.isabs(directory):
            # Relative to wherever the SDK runs the helper: tokens would land there.
            raise ConfigError(
                f"{ENV_CACHE_DIR}={directory} is a relative path",
                hint=f"set {ENV_CACHE_DIR} to an absolute path",
            )
        return directory
    return user_dir("cache")


class CacheDirError(CredprocError):
    """The cache directory is unsafe to use."""


class CacheDirMissing(CacheDirError):
    """The cache directory does not exist (yet)."""


# The names the tool gives its entries; ``clear --all`` deletes nothing else.
ENTRY_PATTERN = r"^(?:signin|identity|credentials|browserfail)-[0-9a-f]{32}\.json$"


class FileCache:
    """A mapping of key -> JSON object, stored as ``<dir>/<key>.json``."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def path(self, key: str) -> str:
        return os.path.join(self.directory, self._name(key))

    @staticmethod
    def _name(key: str) -> str:
        if not key or "/" in key or os.sep in key or key.startswith("."):
            raise ValueError(f"bad cache key {key!r}")
        return f"{key}.json"

    # -- the directory -------------------------------------------------------------------

    def _open(self, *, create: bool = False) -> Directory:
        """The cache directory, opened and checked on its descriptor, as are the
        directories above it; CacheDirError when it must not be used."""
        try:
            directory, _ = open_directory(self.directory, create=create, mode=DIR_MODE)
        except Unsafe as exc:
            raise self._refusal(exc) from None
        except OSError as exc:
            raise CacheDirError(
                f"cannot use cache directory {self.directory}: {exc.strerror or exc}",
                hint=f"set {ENV_CACHE_DIR} to a directory of your own",
            ) from None
        problem = current().private_directory_problem(directory, self.directory)
        if problem is not None:
            directory.close()
            raise self._refusal(problem)
        return directory

    def _refusal(self, problem: Unsafe) -> CacheDirError:
        where = problem.where
        own = os.path.abspath(self.directory)
        what = "cache directory" if where == own else f"directory {where} above the cache"
        subject = "cache directory " + self.directory if where == own else what
        elsewhere = f"set {ENV_CACHE_DIR} to a directory of your own"
        if problem.reason == "missing":
            return CacheDirMissing(f"cache directory {self.directory} does not exist")
        if problem.reason == "symlink":
            return CacheDirError(
                f"cache directory {self.directory} is a symbolic link",
                hint=f"point {ENV_CACHE_DIR} at the real directory",
            )
        if problem.reason == "not-dir":
            return CacheDirError(
                f"cache path {where} is not a directory",
                hint=f"remove or rename it, or {elsewhere}",
            )
        if problem.reason == "other-owner":
            return CacheDirError(
                f"{subject} belongs to {problem.detail or 'another user'}",
                hint=f"remove it, or {elsewhere}" if where == own else elsewhere,
            )
        if problem.reason == "writable":
            if where == own:
                hint = current().fix_private(self.directory, directory=True)
            elif problem.mine:
                hint = current().fix_not_writable(where, directory=True)
            else:  # a shared directory (not sticky): never ask to change it
                hint = elsewhere
            who = problem.detail or "other users"
            return CacheDirError(
                f"{subject} is writable by {who}, who could swap the cache", hint=hint
            )
        detail = f": {problem.detail}" if problem.detail else ""
        return CacheDirError(
            f"cannot use cache directory {self.directory} ({problem.reason}{detail})",
            hint=elsewhere,
        )

    def check_directory(self) -> None:
        """Refuse a directory that someone else could plant or swap files in (a missing
        one is fine: it is made on the first write)."""
        try:  # noqa: SIM105 - contextlib.suppress would put contextlib on the cache-hit path
            self._open().close()
        except CacheDirMissing:
            pass

    def ensure_directory(self) -> None:
        """Create the directory, and any missing parent, 0700 whatever the umask; or
        check the existing one."""
        self._open(create=True).close()

    # -- reading -------------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            return self[key]
        except KeyError:
            return None

    def __getitem__(self, key: str) -> dict[str, Any]:
        name = self._name(key)
        try:
            directory = self._open()
        except CacheDirError:
            raise KeyError(key) from None
        with directory:
            try:
                fd, info = open_file(directory, name)
            except (Unsafe, OSError):
                raise KeyError(key) from None
            try:
                # Anything but our own regular file (a FIFO, a device, someone else's
                # file) is a miss; it was opened without blocking, and is never read.
                if (
                    not stat.S_ISREG(info.st_mode)
                    or info.st_size > MAX_ENTRY_BYTES
                    or not current().owns_file(directory, fd, info)
                ):
                    raise KeyError(key)
                raw = read_fd(fd, MAX_ENTRY_BYTES)
            except OSError:
                raise KeyError(key) from None
            finally:
                os.close(fd)
        try:
            value = json.loads(raw)
        except ValueError:
            raise KeyError(key) from None
        if not isinstance(value, dict):
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    # -- writing -------------------------------------------------------------------------

    def __setitem__(self, key: str, value: Mapping[str, Any]) -> None:
        """Write atomically: a private temp file in the same directory, fsync, rename."""
        name = self._name(key)
        data = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        with self._open(create=True) as directory:
            try:
                directory.write_atomically(name, data, FILE_MODE)
            except OSError as exc:
                raise self.unwritable(exc) from None
            self._sweep_stale_temp_files(directory)

    def unwritable(self, exc: OSError) -> CacheDirError:
        hint = f"free some space or fix its permissions, or set {ENV_CACHE_DIR}"
        if isinstance(exc, SharingViolation):
            hint = (
                "close what holds its files open (an editor, a backup or virus scan) and run again"
            )
        return CacheDirError(
            f"cannot write to the cache directory {self.directory}: {exc.strerror or exc}",
            hint=hint,
        )

    def _sweep_stale_temp_files(self, directory: Directory) -> None:
        import time
        from contextlib import suppress

        cutoff = time.time() - STALE_TEMP_SECONDS
        try:
            names = [n for n in directory.names() if n.startswith(TEMP_PREFIX)]
        except OSError:
            return
        for name in names:
            with suppress(OSError):
                if directory.lstat(name).st_mtime < cutoff:
                    directory.unlink(name)

    def __delitem__(self, key: str) -> None:
        name = self._name(key)
        try:
            directory = self._open()
        except CacheDirError:
            raise KeyError(key) from None
        with directory:
            try:
                directory.unlink(name)
            except FileNotFoundError:
                raise KeyError(key) from None

    def discard(self, key: str) -> bool:
        try:
            del self[key]
        except KeyError:
            return False
        return True

    def entries(self) -> list[str]:
        """The keys of the entries this tool wrote (names of its own pattern only);
        CacheDirError when the directory must not be used."""
        try:
            directory = self._open()
        except CacheDirMissing:
            return []
        with directory:
            try:
                names = directory.names()
            except OSError as exc:
                raise CacheDirError(
                    f"cannot list cache directory {self.directory}: {exc.strerror}"
                ) from None
        return sorted(n[: -len(".json")] for n in names if re.match(ENTRY_PATTERN, n))

    # -- locking -------------------------------------------------------------------------

    def lock(
        self,
        key: str,
        timeout: float,
        profile: str | None = None,
        *,
        watch: ParentWatch | None = None,
    ) -> AbstractContextManager[None]:
        """Hold an exclusive OS-level lock; the OS releases it if the holder dies.

        Waits at most ``timeout`` seconds, and gives up sooner (``ParentGone``) when the
        program that started this process exits meanwhile: nobody wants the result."""
        from .locking import hold  # with filelock and contextlib: not on the cache-hit path

        return hold(self, key, timeout, profile, watch)
