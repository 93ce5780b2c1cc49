"""Give up waiting once the process that started this one is gone.

The Go SDKs run a credential_process through ``sh -c`` and kill ``sh`` after 60 seconds;
the helper itself lives on, orphaned, still prompting on the terminal or waiting on the
lock for as long as nobody answers. Every wait loop of the tool therefore wakes at least
every ``POLL_SECONDS`` and asks a ``ParentWatch`` whether the original parent is still
there; when it is not, the wait ends with ``ParentGone`` (exit 1) before anything is
written, so the cache stays as it was.

API (for every loop that waits on a person, another process or a browser):

``ParentWatch(parent=None, getppid=None)``
    Remembers the original parent: by default the one this process had when the package
    was first imported (``cognito_credproc.STARTED_BY``), so a parent that died before
    the wait began is noticed too. ``getppid`` is injectable for tests (by default the
    platform tells).
``watch.gone() -> bool``
    True once the parent has exited: on POSIX this process was re-parented (to init or
    a subreaper), so ``getppid()`` no longer returns the original parent; Windows does
    not re-parent, so there the parent process itself is asked (``platform.windows``).
    Never true where that cannot be told: a process started by init itself (parent 1).
``watch.check(profile=None) -> None``
    Raises ``ParentGone`` (a ``CredprocError``, exit 1) when ``gone()``.
``wait_readable(fd, watch=None, *, timeout=None, poll=POLL_SECONDS) -> bool``
    Blocks until ``fd`` is readable (True) or ``timeout`` seconds passed (False),
    checking ``watch`` (a new ``ParentWatch()`` when None) every ``poll`` seconds.
``POLL_SECONDS``
    How often a wait loop should check: a server loop sets its socket timeout to this
    (for example ``server.timeout = POLL_SECONDS`` around ``handle_request()``) and calls
    ``watch.check()`` each time round.
"""

from __future__ import annotations

import select
import time
from collections.abc import Callable

from . import STARTED_BY
from .errors import ParentGone

__all__ = ["POLL_SECONDS", "ParentGone", "ParentWatch", "wait_readable"]

# An orphaned helper notices within this many seconds.
POLL_SECONDS = 1.0


class ParentWatch:
    """Tells whether the process that started this one has exited."""

    def __init__(self, parent: int | None = None, getppid: Callable[[], int] | None = None) -> None:
        self._getppid = getppid
        self.parent = STARTED_BY if parent is None else parent

    def gone(self) -> bool:
        if self.parent <= 1:
            return False  # started by init (or unknown): nothing to compare against
        if self._getppid is None:
            from .platform import current

            return current().parent_gone(self.parent)
        return self._getppid() != self.parent

    def check(self, profile: str | None = None) -> None:
        if self.gone():
            raise ParentGone(
                f"the program that started cognito-credproc (process {self.parent}) has "
                "exited; stopped waiting and changed nothing",
                profile=profile,
            )


def wait_readable(
    fd: int,
    watch: ParentWatch | None = None,
    *,
    timeout: float | None = None,
    poll: float = POLL_SECONDS,
) -> bool:
    """Wait until ``fd`` can be read without blocking; False after ``timeout`` seconds.
    Raises ``ParentGone`` once the original parent has exited."""
    watch = watch or ParentWatch()
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        watch.check()
        slice_ = poll if deadline is None else min(poll, max(0.0, deadline - time.monotonic()))
        ready, _, _ = select.select([fd], [], [], slice_)
        if ready:
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False
