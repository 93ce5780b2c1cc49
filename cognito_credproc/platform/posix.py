"""Linux and the other Unixes: owners and mode bits checked on open descriptors
(``safepath``), the controlling terminal (/dev/tty), sessions and signals.

Light to import: the cache hit uses it.
"""

from __future__ import annotations

import os
import stat
import sys

from .. import safepath
from ..safepath import Directory, Unsafe, is_mine

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from ..prompt import Console
    from ..signin.opener import Launch

_XDG_DIRS = {"config": ("XDG_CONFIG_HOME", "~/.config"), "cache": ("XDG_CACHE_HOME", "~/.cache")}


def xdg_user_dir(kind: str, app: str) -> str | None:
    """platformdirs' user ``kind`` ("config" or "cache") directory for ``app`` on Linux,
    worked out without importing platformdirs: that import (it brings pathlib and
    tempfile) would cost a cache hit more than all of this tool's own work. None where
    the answer is not this plain one (another system, Android, an XDG variable or HOME
    that is not a clean absolute path): then platformdirs is asked, and it stays the
    source of truth (a test checks that both agree)."""
    if not sys.platform.startswith("linux") or "ANDROID_DATA" in os.environ:
        return None
    variable, default = _XDG_DIRS[kind]
    value = os.environ.get(variable, "")
    if value:
        if value != value.strip() or not value.startswith("/"):
            return None
        base = value
    else:
        if not os.environ.get("HOME", "").startswith("/"):
            return None
        base = os.path.expanduser(default)
    return os.path.join(base, app)


def _in_terminal_foreground() -> bool:
    """Whether this process group is in the foreground of a controlling terminal."""
    if sys.platform == "win32":
        return True  # no process groups there (and the Windows layer answers itself)
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


class Posix:
    """Linux, the BSDs and the other Unixes (macOS adds its own in ``macos``)."""

    sys_platform = sys.platform
    script_names: tuple[str, ...] = ("cognito-credproc",)
    script_folders: tuple[str, ...] = ("",)
    # SO_REUSEADDR only skips TIME_WAIT here: nobody else can bind the port with it.
    reuse_address_is_private = True
    knows_loopback_peers = sys.platform.startswith("linux")

    # -- private files and directories ----------------------------------------------------

    def open_directory(
        self, path: str, *, create: bool, mode: int, defer: bool, follow_last: bool
    ) -> tuple[Directory, Unsafe | None]:
        return safepath.walk(path, create=create, mode=mode, defer=defer, follow_last=follow_last)

    def private_directory_problem(self, directory: Directory, where: str) -> Unsafe | None:
        info = directory.info
        if not is_mine(info):
            return Unsafe("other-owner", where, info)
        if info.st_mode & 0o022:
            return Unsafe("writable", where, info)
        return None

    def settings_file_problem(
        self, directory: Directory, fd: int, info: os.stat_result, where: str
    ) -> Unsafe | None:
        if not is_mine(info) and info.st_uid != 0:
            return Unsafe("other-owner", where, info)
        if info.st_mode & 0o022:
            return Unsafe("writable", where, info)
        return None

    def owns_file(self, directory: Directory, fd: int, info: os.stat_result) -> bool:
        return is_mine(info)

    def readable_by_others(self, path: str, *, directory: bool) -> str | None:
        try:
            # The directory itself (a link to one is refused anyway); a file as it is read.
            mode = os.lstat(path).st_mode if directory else os.stat(path).st_mode
        except OSError:
            return None
        return stat.filemode(mode) if mode & (0o077 if directory else 0o044) else None

    def fix_private(self, path: str, *, directory: bool) -> str:
        return f"chmod {'700' if directory else '600'} {path}"

    def fix_not_writable(self, path: str, *, directory: bool) -> str:
        return f"chmod go-w {path}"

    # -- where things are ------------------------------------------------------------------

    def plain_user_dir(self, kind: str, app: str) -> str | None:
        return xdg_user_dir(kind, app)

    # -- the person ------------------------------------------------------------------------

    def open_terminal(self) -> Console | None:
        from ..prompt import Terminal

        return Terminal.open()

    # -- processes and signals ---------------------------------------------------------

    def detached_options(self) -> dict[str, Any]:
        # A session of its own: it never reaches our terminal, nor gets its signals.
        return {"start_new_session": True}

    def no_terminal_options(self) -> dict[str, Any]:
        return {"start_new_session": True}

    def parent_gone(self, parent: int) -> bool:
        # Re-parented (to init or a subreaper): the original parent has exited.
        return os.getppid() != parent

    def in_terminal_foreground(self) -> bool:
        return _in_terminal_foreground()

    def run_command(self, command: list[str], env: Mapping[str, str]) -> int:
        from ..launch import call_child

        return call_child(command, env=env)

    def exit_status(self, code: int) -> int:
        # Killed by signal N (Popen says -N): 128+N, as a shell says.
        return 128 - code if code < 0 else code

    # -- the browser -----------------------------------------------------------------------

    def open_default_browser(self, url: str, environ: Mapping[str, str], launch: Launch) -> None:
        from ..signin.opener import open_with_webbrowser

        open_with_webbrowser(url, launch)

    # -- the credential_process line ---------------------------------------------------

    def command_line(self, argv: list[str]) -> str:
        import shlex

        return " ".join(shlex.quote(part) for part in argv)

    def line_problems(self, line: str) -> list[str]:
        return []

    def split_like_botocore(self, line: str) -> list[str]:
        # botocore.compat.compat_shell_split is shlex.split off Windows; without botocore,
        # which the profile chosen through AWS_PROFILE must not import.
        import shlex

        return shlex.split(line)

    def same_path(self, first: str, second: str) -> bool:
        return first == second

    def open_file_limit(self) -> int | None:
        if sys.platform == "win32":
            return None  # never used there (the Windows layer answers itself)
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        return None if soft == resource.RLIM_INFINITY else soft

    def run_through_shell(
        self, line: str, env: Mapping[str, str], timeout: float
    ) -> tuple[str, Any] | None:
        return None  # every SDK here splits the line into words, as botocore does
