"""The on-disk cache: one private JSON file per key, written atomically, and the locks.

Reading needs no lock (writes are atomic renames) and imports nothing heavy, so a
cache hit stays cheap. Anything unreadable or wrongly shaped reads as a miss.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat

from .config import APP_NAME, ENV_CACHE_DIR
from .errors import CredprocError, LockTimeout

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

    from .parentwatch import ParentWatch

DIR_MODE = 0o700
FILE_MODE = 0o600
MAX_ENTRY_BYTES = 1 << 20  # a real entry is a few KiB; anything bigger is not ours
# A temp file this old belongs to a writer that died (killed mid-write); writes take
# milliseconds, so anything older is litter.
STALE_TEMP_SECONDS = 60


def set_private_mode(fd: int, path: str, mode: int) -> None:
    """Set a new file's mode whatever the umask (mkstemp already makes it 0600 on POSIX)."""
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # Windows: no fchmod; the mode bits mean little there anyway
        os.chmod(path, mode)


def default_cache_dir(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    if env.get(ENV_CACHE_DIR):
        return env[ENV_CACHE_DIR]
    import platformdirs  # only when the variable does not name the directory

    return platformdirs.user_cache_dir(APP_NAME, appauthor=False)


class CacheDirError(CredprocError):
    """The cache directory is unsafe to use."""


class FileCache:
    """A mapping of key -> JSON object, stored as ``<dir>/<key>.json``."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def path(self, key: str) -> str:
        if not key or "/" in key or key.startswith("."):
            raise ValueError(f"bad cache key {key!r}")
        return os.path.join(self.directory, f"{key}.json")

    # -- reading -------------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            return self[key]
        except KeyError:
            return None

    def __getitem__(self, key: str) -> dict[str, Any]:
        try:
            self.check_directory()
        except CacheDirError:
            raise KeyError(key) from None
        try:
            fd = os.open(self.path(key), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            raise KeyError(key) from None
        try:
            info = os.fstat(fd)
            if (
                not stat.S_ISREG(info.st_mode)
                or info.st_size > MAX_ENTRY_BYTES
                or (hasattr(os, "getuid") and info.st_uid != os.getuid())
            ):
                raise KeyError(key)
            with os.fdopen(fd, "rb") as handle:
                fd = -1
                raw = handle.read(MAX_ENTRY_BYTES + 1)
        except OSError:
            raise KeyError(key) from None
        finally:
            if fd >= 0:
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

    def ensure_directory(self) -> None:
        """Create the directory 0700 (whatever the umask), or check the existing one."""
        try:
            os.makedirs(self.directory, mode=DIR_MODE)
        except FileExistsError:
            pass
        except OSError as exc:
            raise CacheDirError(
                f"cannot create cache directory {self.directory}: {exc.strerror}",
                hint=f"set {ENV_CACHE_DIR} to a writable directory",
            ) from None
        else:
            os.chmod(self.directory, DIR_MODE)
        self.check_directory()

    def check_directory(self) -> None:
        """Refuse a directory that someone else could plant or swap files in."""
        try:
            info = os.lstat(self.directory)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise CacheDirError(
                f"cannot use cache directory {self.directory}: {exc.strerror}"
            ) from None
        if stat.S_ISLNK(info.st_mode):
            raise CacheDirError(
                f"cache directory {self.directory} is a symbolic link",
                hint=f"point {ENV_CACHE_DIR} at the real directory",
            )
        if not stat.S_ISDIR(info.st_mode):
            raise CacheDirError(f"cache path {self.directory} is not a directory")
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise CacheDirError(
                f"cache directory {self.directory} belongs to another user",
                hint=f"remove it, or set {ENV_CACHE_DIR} to a directory of your own",
            )
        if info.st_mode & 0o022:
            raise CacheDirError(
                f"cache directory {self.directory} is writable by other users",
                hint=f"chmod 700 {self.directory}",
            )

    def __setitem__(self, key: str, value: Mapping[str, Any]) -> None:
        """Write atomically: a private temp file in the same directory, fsync, rename."""
        import tempfile  # only writes need it

        self.ensure_directory()
        data = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        try:
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        except OSError as exc:
            raise self._unwritable(exc) from None
        try:
            set_private_mode(fd, tmp, FILE_MODE)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path(key))
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError):
                raise self._unwritable(exc) from None
            raise
        self._sweep_stale_temp_files()

    def _unwritable(self, exc: OSError) -> CacheDirError:
        return CacheDirError(
            f"cannot write to the cache directory {self.directory}: {exc.strerror or exc}",
            hint=f"free some space or fix its permissions, or set {ENV_CACHE_DIR}",
        )

    def _sweep_stale_temp_files(self) -> None:
        import time

        cutoff = time.time() - STALE_TEMP_SECONDS
        try:
            names = [n for n in os.listdir(self.directory) if n.startswith(".tmp-")]
        except OSError:
            return
        for name in names:
            path = os.path.join(self.directory, name)
            with contextlib.suppress(OSError):
                if os.lstat(path).st_mtime < cutoff:
                    os.unlink(path)

    def __delitem__(self, key: str) -> None:
        try:
            os.unlink(self.path(key))
        except FileNotFoundError:
            raise KeyError(key) from None

    def discard(self, key: str) -> bool:
        try:
            del self[key]
        except KeyError:
            return False
        return True

    def entries(self) -> list[str]:
        try:
            names = os.listdir(self.directory)
        except OSError:
            return []
        return sorted(
            n[: -len(".json")] for n in names if n.endswith(".json") and not n.startswith(".")
        )

    # -- locking -------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(
        self,
        key: str,
        timeout: float,
        profile: str | None = None,
        *,
        watch: ParentWatch | None = None,
    ) -> Iterator[None]:
        """Hold an exclusive OS-level lock; the OS releases it if the holder dies.

        Waits at most ``timeout`` seconds, and gives up sooner (``ParentGone``) when the
        program that started this process exits meanwhile: nobody wants the result."""
        import time

        import filelock  # imported here, not at the top: the cache-hit path must not pay for it

        from .parentwatch import POLL_SECONDS, ParentWatch

        self.ensure_directory()
        path = os.path.join(self.directory, f"{key}.lock")
        lock = filelock.FileLock(path, mode=FILE_MODE)
        watch = watch or ParentWatch()
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    lock.acquire(timeout=max(0.0, min(POLL_SECONDS, deadline - time.monotonic())))
                    break
                except filelock.Timeout:
                    if time.monotonic() >= deadline:
                        raise LockTimeout(
                            f"another cognito-credproc process held the lock for over "
                            f"{timeout:g}s ({path})",
                            profile=profile,
                            hint="wait for it to finish or end the stuck process; "
                            "raise lock_timeout if sign-in is slow",
                        ) from None
                    watch.check(profile)
        except OSError as exc:  # after Timeout, which is an OSError too
            raise self._unwritable(exc) from None
        try:
            yield
        finally:
            lock.release()
