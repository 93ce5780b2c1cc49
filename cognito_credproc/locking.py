"""The per-sign-in lock: an OS-level file lock (the OS releases it when its holder dies),
waited for at most ``lock_timeout``, and not at all once nobody wants the result.

Apart from ``cache`` so that a cache hit imports neither filelock nor contextlib.
"""

from __future__ import annotations

import contextlib
import os
import time

import filelock

from .cache import FILE_MODE
from .errors import LockTimeout
from .parentwatch import POLL_SECONDS, ParentWatch

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from .cache import FileCache


def _log_wait(path: str, timeout: float) -> None:
    import logging  # only when there is a wait

    logging.getLogger("cognito_credproc").debug(
        "another process holds the lock %s; waiting up to %g s", path, timeout
    )


@contextlib.contextmanager
def hold(
    cache: FileCache,
    key: str,
    timeout: float,
    profile: str | None,
    watch: ParentWatch | None = None,
) -> Iterator[None]:
    """Take ``key``'s lock file in ``cache`` within ``timeout`` seconds, checking every
    ``POLL_SECONDS`` that the process that started this one is still there, and hold it
    for the block."""
    cache.ensure_directory()
    # The directory passed the checks: nobody else can plant or swap the lock file.
    path = os.path.join(cache.directory, f"{key}.lock")
    lock = filelock.FileLock(path, mode=FILE_MODE)
    watch = watch or ParentWatch()
    deadline = time.monotonic() + timeout
    waited = False
    try:
        while True:
            try:
                lock.acquire(timeout=max(0.0, min(POLL_SECONDS, deadline - time.monotonic())))
                break
            except filelock.Timeout:
                if not waited:
                    waited = True
                    _log_wait(path, timeout)
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
        raise cache.unwritable(exc) from None
    try:
        yield
    finally:
        lock.release()
