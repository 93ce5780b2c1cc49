"""What a platform decides: the interface ``posix.Posix``, ``macos.MacOS`` and
``windows.Windows`` implement. Imported for type checking only."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Protocol

from ..prompt import Console
from ..safepath import Directory, Unsafe
from ..signin.opener import Launch


class Platform(Protocol):
    """Every decision of the tool that differs by operating system."""

    # ``sys.platform`` as this platform's own would say it ("linux", "darwin", "win32").
    sys_platform: str
    # The names of the console script's files in a Scripts or bin directory, and the
    # folders (relative to the interpreter's) where it may be.
    script_names: tuple[str, ...]
    script_folders: tuple[str, ...]
    # Whether SO_REUSEADDR on a listening socket keeps others off its port.
    reuse_address_is_private: bool
    # Whether the kernel says which user owns the far end of a loopback connection (Linux:
    # /proc/net/tcp); where it should and cannot be read, a connection is not trusted.
    knows_loopback_peers: bool

    # -- private files and directories ----------------------------------------------------

    def open_directory(
        self, path: str, *, create: bool, mode: int, defer: bool, follow_last: bool
    ) -> tuple[Directory, Unsafe | None]:
        """Open directory ``path``, checking it and every directory above it on what was
        opened (never by looking a path up twice); see ``safepath.open_directory``."""
        ...

    def private_directory_problem(self, directory: Directory, where: str) -> Unsafe | None:
        """A directory that holds secrets (the cache): the user's own, and nobody else
        can write to it. None when it is fine."""
        ...

    def settings_file_problem(
        self, directory: Directory, fd: int, info: os.stat_result, where: str
    ) -> Unsafe | None:
        """The open settings file: owned by the user (or the system), and nobody else
        can change it. None when it is fine."""
        ...

    def owns_file(self, directory: Directory, fd: int, info: os.stat_result) -> bool:
        """The open cache entry is the user's own, and nobody else can change it."""
        ...

    def readable_by_others(self, path: str, *, directory: bool) -> str | None:
        """Who else can read ``path``, said briefly (None: nobody); ``doctor`` and
        ``configure`` use it for files that hold secrets."""
        ...

    def fix_private(self, path: str, *, directory: bool) -> str:
        """The command that makes ``path`` the user's alone."""
        ...

    def fix_not_writable(self, path: str, *, directory: bool) -> str:
        """The command that stops others writing to ``path``, which is the user's."""
        ...

    # -- where things are ------------------------------------------------------------------

    def plain_user_dir(self, kind: str, app: str) -> str | None:
        """platformdirs' user ``kind`` ("config" or "cache") directory for ``app``,
        worked out without importing platformdirs; None where that is not simple."""
        ...

    # -- the person ------------------------------------------------------------------------

    def open_terminal(self) -> Console | None:
        """The person's terminal or console, never stdin/stdout/stderr (the SDKs capture
        those); None when there is none."""
        ...

    # -- processes and signals ---------------------------------------------------------

    def detached_options(self) -> dict[str, Any]:
        """Popen options for a process we do not wait for (the background refresh, a
        browser): away from our terminal and its Ctrl-C."""
        ...

    def no_terminal_options(self) -> dict[str, Any]:
        """Popen options for running the credential_process line as an SDK would in
        ``doctor``: without a terminal to prompt on."""
        ...

    def parent_gone(self, parent: int) -> bool:
        """The process that started this one (pid ``parent``, above 1) has exited."""
        ...

    def in_terminal_foreground(self) -> bool:
        """A Ctrl-C typed now reaches our child as well as us (the terminal or console
        sends it to the child itself)."""
        ...

    def run_command(self, command: list[str], env: Mapping[str, str]) -> int:
        """Run ``exec``'s command in the foreground; its exit status (OSError when it
        cannot be started)."""
        ...

    def exit_status(self, code: int) -> int:
        """The exit status that passes on a child's Popen return code ``code``."""
        ...

    # -- the browser -----------------------------------------------------------------------

    def open_default_browser(self, url: str, environ: Mapping[str, str], launch: Launch) -> None:
        """Open ``url`` in the default browser, reporting on ``launch``."""
        ...

    # -- the credential_process line ---------------------------------------------------

    def command_line(self, argv: list[str]) -> str:
        """One line that the SDKs turn back into ``argv``."""
        ...

    def line_problems(self, line: str) -> list[str]:
        """What keeps ``line`` from running in some SDK here (empty: none)."""
        ...

    def split_like_botocore(self, line: str) -> list[str]:
        """``line`` split as botocore splits credential_process here (ValueError)."""
        ...

    def same_path(self, first: str, second: str) -> bool:
        """Two absolute paths name the same file, as this system spells paths."""
        ...

    def open_file_limit(self) -> int | None:
        """How many descriptors or sockets this process may have open at once
        (None: no limit)."""
        ...

    def run_through_shell(
        self, line: str, env: Mapping[str, str], timeout: float
    ) -> tuple[str, Any] | None:
        """Run ``line`` the other way SDKs run it here (Windows: ``cmd.exe /C``, as the
        Go, Java, Rust and .NET SDKs do): (how, CompletedProcess); None where every
        SDK splits the line as botocore does."""
        ...
