"""ParentWatch and the waits that use it, in-process, with a scripted parent."""

from __future__ import annotations

import os
import select
import sys
from collections.abc import Iterator
from pathlib import Path

import filelock
import pytest

if sys.platform == "win32":
    pytest.skip("needs a pseudo-terminal, which Windows has not", allow_module_level=True)
import pty

import cognito_credproc
from cognito_credproc.cache import FileCache
from cognito_credproc.errors import EXIT_FAILURE, LockTimeout
from cognito_credproc.parentwatch import ParentGone, ParentWatch, wait_readable
from cognito_credproc.prompt import Terminal


class Parent:
    """getppid() as scripted: the original parent until ``die()``."""

    def __init__(self, pid: int = 4242) -> None:
        self.pid = pid
        self.checks = 0

    def __call__(self) -> int:
        self.checks += 1
        return self.pid

    def die(self) -> None:
        self.pid = 1  # re-parented to init


def test_the_watch_sees_the_parent_go() -> None:
    parent = Parent()
    watch = ParentWatch(4242, parent)
    assert not watch.gone()
    watch.check("dev")
    parent.die()
    assert watch.gone()
    with pytest.raises(ParentGone) as caught:
        watch.check("dev")
    assert caught.value.exit_code == EXIT_FAILURE
    assert str(caught.value).startswith("profile dev: the program that started")
    assert "changed nothing" in str(caught.value)


def test_a_subreaper_counts_as_a_new_parent_and_init_as_unknown() -> None:
    assert ParentWatch(4242, lambda: 77).gone()  # re-parented to a subreaper
    assert not ParentWatch(1, lambda: 77).gone()  # started by init: nothing to tell
    assert not ParentWatch(0, lambda: 77).gone()


def test_the_default_parent_is_the_one_the_process_started_with() -> None:
    assert ParentWatch().parent == cognito_credproc.STARTED_BY == os.getppid()


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read, write = os.pipe()
    yield read, write
    os.close(read)
    os.close(write)


def test_wait_readable_returns_on_data_and_on_timeout(pipe: tuple[int, int]) -> None:
    read, write = pipe
    watch = ParentWatch(4242, Parent())
    assert wait_readable(read, watch, timeout=0.05, poll=0.01) is False
    os.write(write, b"x")
    assert wait_readable(read, watch, timeout=5, poll=0.01) is True


def test_wait_readable_gives_up_when_the_parent_dies(pipe: tuple[int, int]) -> None:
    read, _ = pipe
    parent = Parent()

    class DiesOnThirdLook(ParentWatch):
        def gone(self) -> bool:
            if parent.checks == 2:
                parent.die()
            return super().gone()

    with pytest.raises(ParentGone):
        wait_readable(read, DiesOnThirdLook(4242, parent), poll=0.01)  # no timeout
    assert parent.checks == 3


def read_all(fd: int) -> str:
    """Everything written to the terminal so far: one read may return only a part."""
    data = b""
    while select.select([fd], [], [], 0.5)[0]:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data.decode()


def test_a_prompt_ends_when_the_parent_dies_and_says_why_on_the_terminal() -> None:
    master, slave = pty.openpty()
    parent = Parent()
    parent.die()
    terminal = Terminal(slave, ParentWatch(4242, parent))
    try:
        with pytest.raises(ParentGone):
            terminal.ask("Password: ", secret=True)
        screen = read_all(master)
    finally:
        terminal.close()
        os.close(master)
    assert "Password: " in screen
    assert "has exited; no answer is needed any more" in screen


def test_the_lock_wait_ends_when_the_parent_dies(tmp_path: Path) -> None:
    cache = FileCache(str(tmp_path / "cache"))
    cache.ensure_directory()
    parent = Parent()
    parent.die()
    dead, alive = ParentWatch(4242, parent), ParentWatch(4242, Parent())
    with filelock.FileLock(str(tmp_path / "cache" / "k.lock")):
        with pytest.raises(ParentGone), cache.lock("k", 60, "dev", watch=dead):
            pytest.fail("the lock was taken while another holder had it")
        # ...while with the parent alive the wait runs to its timeout
        with pytest.raises(LockTimeout), cache.lock("k", 0, "dev", watch=alive):
            pytest.fail("the lock was taken while another holder had it")
    with cache.lock("k", 0, "dev", watch=dead):
        pass  # free: taken at once, whatever the parent
