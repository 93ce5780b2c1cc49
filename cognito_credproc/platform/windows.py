"""Windows: owners and DACLs instead of mode bits, the console instead of /dev/tty,
replaces that meet sharing violations, process groups instead of sessions, and a
credential_process line that ``cmd.exe /C`` runs as well as botocore.

Everything the system is asked goes through an ``Api`` (``win32.Win32`` on Windows,
thin ctypes calls): the decisions are made here, in plain Python that imports and
runs anywhere, so the tests run them on Linux against a simulated Windows.

Private files and directories. A directory is opened from the drive's root down, one
component at a time; each is held open (without sharing delete access, so nobody can
rename or delete it meanwhile) and judged on that open handle by its owner and DACL
(``sddl``): a directory above ours is refused when someone other than the user,
SYSTEM, Administrators or TrustedInstaller owns it or may rename what is in it; the
cache directory, its entries and the settings file when anyone else may change them
at all. What the tool creates gets a protected DACL for the user alone.

The credential_process line. botocore splits it with the Windows command-line rules;
the Go, Java, Rust and .NET SDKs run it through ``cmd.exe /C`` after quoting it again,
which breaks any line with a quoted path in it (aws-sdk-go-v2 issue 3208). So the line
has no quotes at all: each word is written as it is when cmd.exe has nothing to say
about it, and a path with a space or a character special to cmd.exe is written in its
8.3 short form (``C:\\Users\\FIRSTL~1\\...``), which has neither. That needs no extra
file and nothing to keep up to date; a launcher copied to a path without spaces would
need a place every user can write (where another user could replace it) or admin
rights. Where a volume has no short names the quoted form is written, and
``configure`` and ``doctor`` say which SDKs cannot run it and what to do.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from ..errors import Aborted, ParentGone
from ..safepath import (
    FILE_FLAGS,
    Directory,
    SharingViolation,
    Unsafe,
    os_problem,
)
from . import sddl

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess

    from ..parentwatch import ParentWatch
    from ..signin.opener import Launch

# Process creation flags (winbase.h).
DETACHED_PROCESS = 0x00000008
CREATE_NEW_PROCESS_GROUP = 0x00000200
CREATE_NO_WINDOW = 0x08000000
# ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION: what a replace onto a file another
# program has open meets (an editor, a virus scan, a backup, a parallel reader).
SHARING_ERRORS = frozenset({5, 32})
# Waits between tries of a replace that met a sharing violation: about 1.5 s in all.
REPLACE_WAITS_SECONDS = (0.01, 0.02, 0.05, 0.1, 0.1, 0.2, 0.2, 0.3, 0.5)
# How often the console is polled for a key while a person is being asked.
KEY_POLL_SECONDS = 0.05
# Characters cmd.exe treats specially outside quotes (and %, ! expand variables); a word
# with none of them, nor a space or a quote, means the same to cmd.exe and to botocore.
CMD_SPECIAL = frozenset('"&|<>^%!(),;=@')


class Api(Protocol):
    """The calls the Windows layer makes to the system (``win32.Win32``)."""

    def user_sid(self) -> str:
        """The SID of the user this process runs as."""
        ...

    def account_name(self, sid: str) -> str | None:
        """DOMAIN\\name of a SID, or None when the system does not know it."""
        ...

    def open_path(self, path: str, *, follow: bool) -> int:
        """A descriptor on ``path`` for reading its attributes and security, which also
        keeps it from being renamed or deleted while open; ``follow``: a link's
        target, else the link itself."""
        ...

    def open_read(self, path: str) -> int:
        """``path`` opened for reading (the link itself when it is one)."""
        ...

    def create_file(self, path: str, descriptor: str) -> int:
        """A new file (FileExistsError when there is one) open for writing, made with
        the security descriptor ``descriptor`` (SDDL) from the start."""
        ...

    def inherit_acl(self, fd: int) -> None:
        """Give the open file its directory's inherited ACL instead of its own."""
        ...

    def make_directory(self, path: str, descriptor: str) -> None:
        """A new directory made with ``descriptor`` (FileExistsError when there is one)."""
        ...

    def kind(self, fd: int) -> str:
        """What is open: "dir", "file", "link" (a symbolic link or junction) or "other"."""
        ...

    def security(self, fd: int) -> str:
        """The owner and DACL of what is open, as SDDL."""
        ...

    def replace(self, source: str, target: str) -> None:
        """``os.replace``."""
        ...

    def short_path(self, path: str) -> str:
        """The 8.3 form of an existing path (the path itself where there is none)."""
        ...

    def long_path(self, path: str) -> str:
        """The long form of an existing path."""
        ...

    def console(self) -> bool:
        """A console a person sees is attached (not a GUI parent's hidden one)."""
        ...

    def key_ready(self) -> bool:
        """A key press is waiting in the console."""
        ...

    def read_key(self) -> str:
        """The next key press, without echo (Ctrl-C is "\\x03")."""
        ...

    def write_console(self, text: str) -> None:
        """Write to the console itself (never stdout or stderr)."""
        ...

    def process_gone(self, pid: int) -> bool:
        """Process ``pid``, the one that started us, has exited."""
        ...

    def popen_options(self, creationflags: int) -> dict[str, Any]:
        """Popen options that create the process with ``creationflags``."""
        ...

    def run_command_line(
        self, command_line: str, env: Mapping[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command_line`` (which starts with ``cmd.exe``) with the system's
        cmd.exe, as an SDK would: output captured, no console window."""
        ...

    def start_file(self, url: str) -> None:
        """Open ``url`` with its default program (``os.startfile``)."""
        ...


def cmd_safe(word: str) -> bool:
    """``word`` means the same to cmd.exe and to botocore's split without quotes."""
    return bool(word) and not any(
        char.isspace() or char in CMD_SPECIAL or ord(char) < 32 for char in word
    )


def escape_like_go(argument: str) -> str:
    """One argument quoted as Go's os/exec quotes it on Windows (syscall.EscapeArg):
    what the Go SDK hands ``cmd.exe /C``."""
    if not argument:
        return '""'
    if not any(char in argument for char in ' \t"\\'):
        return argument
    quote = " " in argument or "\t" in argument
    out = ['"'] if quote else []
    slashes = 0
    for char in argument:
        if char == "\\":
            slashes += 1
        elif char == '"':
            out.append("\\" * (slashes + 1))
            slashes = 0
        else:
            slashes = 0
        out.append(char)
    if quote:
        out.append("\\" * slashes + '"')
    return "".join(out)


def shorten(path: str, short_path: Callable[[str], str], pathmod: Any = os.path) -> str:
    """``path`` with each component that cmd.exe would misread replaced by its 8.3
    short name, the others kept (so the console script keeps its name). Components
    without a short name, or not there, stay as they are."""
    drive, rest = pathmod.splitdrive(path)
    sep = pathmod.sep
    names = [name for name in rest.split(sep) if name]
    anchor = drive + sep if rest.startswith(sep) else drive
    for index, name in enumerate(names):
        if cmd_safe(name):
            continue
        prefix = pathmod.join(anchor, *names[: index + 1])
        try:
            names[index] = pathmod.basename(short_path(prefix)) or name
        except OSError:
            break  # missing from here on: nothing below has a short name either
    return str(pathmod.join(anchor, *names)) if names else anchor


class WindowsDirectory(Directory):
    """A directory opened by ``Windows.open_directory``: names in it are reached by path,
    safe because every directory from the root down is held open and cannot be renamed
    while it is."""

    def __init__(
        self, path: str, info: os.stat_result, handles: list[int], platform: Windows
    ) -> None:
        super().__init__(path, None, info)
        self.handles = handles
        self.platform = platform

    @property
    def handle(self) -> int:
        return self.handles[-1]

    def close(self) -> None:
        while self.handles:
            try:  # noqa: SIM105 - no contextlib on the cache-hit path
                os.close(self.handles.pop())
            except OSError:
                pass

    def open(self, name: str, flags: int = FILE_FLAGS, mode: int = 0o600) -> int:
        path = self.join(name)
        api = self.platform.api
        if flags & os.O_CREAT:
            # Born the user's alone: never a moment with the directory's ACL.
            return api.create_file(path, self.platform.private_descriptor(directory=False))
        fd = api.open_read(path)
        kind = api.kind(fd)
        if kind != "file":
            os.close(fd)
            if kind == "link":
                raise Unsafe("symlink", path)
            if kind == "dir":
                raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
        return fd

    def replace(self, source: str, target: str) -> None:
        self.platform.replace(self.join(source), self.join(target))

    def _set_mode(self, fd: int, name: str, mode: int) -> None:
        if mode & 0o077:
            # Not a private file (an existing AWS config, say): the folder's usual ACL.
            self.platform.api.inherit_acl(fd)


class WindowsConsole:
    """The console a person sees: keys read one at a time without echo (``msvcrt``),
    written to the console itself. Ctrl-C (and Ctrl-Break) end the prompt; backspace
    takes back a character."""

    interactive = True

    def __init__(
        self,
        api: Api,
        watch: ParentWatch | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api = api
        self._watch = watch
        self.sleep = sleep
        self.clock = clock
        self._status_width = 0

    @property
    def watch(self) -> ParentWatch:
        if self._watch is None:
            from ..parentwatch import ParentWatch

            self._watch = ParentWatch()
        return self._watch

    def close(self) -> None:
        pass

    def status(self, text: str) -> None:
        """A line redrawn in place (a countdown); "" clears it. Spaces, not an escape
        sequence, blank what the last one left: an old console shows escapes as text."""
        from ..redact import printable

        shown = printable(text)
        blank = " " * max(0, self._status_width - len(shown))
        self.api.write_console(f"\r{shown}{blank}\r{shown}")
        self._status_width = len(shown)

    def say(self, text: str) -> None:
        from ..redact import printable  # service text must not drive the console

        self.api.write_console(printable(text, lines=True).replace("\n", "\r\n") + "\r\n")

    def ask(self, prompt: str, *, secret: bool = False) -> str:
        from ..prompt import PARENT_GONE_NOTE
        from ..redact import printable

        try:
            with _ctrl_break_interrupts():
                self.api.write_console(printable(prompt, lines=True).replace("\n", "\r\n"))
                return self._read_line(secret)
        except KeyboardInterrupt:
            self.say("")
            raise Aborted("interrupted at a prompt; nothing was changed") from None
        except ParentGone:
            self.say("")
            self.say(PARENT_GONE_NOTE)
            raise

    def _read_line(self, secret: bool) -> str:
        from ..parentwatch import POLL_SECONDS
        from ..prompt import MAX_ANSWER_BYTES

        chars: list[str] = []
        checked = self.clock() - POLL_SECONDS
        while True:
            if not self.api.key_ready():
                if self.clock() - checked >= POLL_SECONDS:
                    self.watch.check()
                    checked = self.clock()
                self.sleep(KEY_POLL_SECONDS)
                continue
            key = self.api.read_key()
            if key in ("\r", "\n"):
                self.api.write_console("\r\n")
                return "".join(chars)
            if key == "\x03":
                raise KeyboardInterrupt
            if key in ("\x00", "\xe0"):
                self.api.read_key()  # a function or arrow key comes as two codes
            elif key == "\x08":
                if chars:
                    chars.pop()
                    if not secret:
                        self.api.write_console("\b \b")
            elif key >= " ":
                chars.append(key)
                if not secret:
                    self.api.write_console(key)
                if len("".join(chars).encode("utf-8", "surrogatepass")) > MAX_ANSWER_BYTES:
                    raise Aborted("answer too long")


@contextmanager
def _ctrl_break_interrupts() -> Iterator[None]:
    """Ctrl-Break at a prompt interrupts like Ctrl-C (by default it ends the process
    at once)."""
    signum = getattr(signal, "SIGBREAK", None)
    try:
        previous = signal.signal(signum, signal.default_int_handler) if signum else None
    except ValueError:  # not the main thread
        signum = None
    try:
        yield
    finally:
        if signum is not None:
            signal.signal(signum, previous)


class Windows:
    """Windows 10 and later, through ``api``."""

    sys_platform = "win32"
    script_names: tuple[str, ...] = ("cognito-credproc.exe", "cognito-credproc-script.py")
    # Beside python.exe in a virtualenv; in Scripts beside it in a system-wide install.
    script_folders: tuple[str, ...] = ("", "Scripts")
    # SO_REUSEADDR would let another program bind the sign-in's port beside us.
    reuse_address_is_private = False
    knows_loopback_peers = False

    def __init__(self, api: Api, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.api = api
        self.sleep = sleep
        self._user: str | None = None

    @property
    def user(self) -> str:
        if self._user is None:
            self._user = self.api.user_sid()
        return self._user

    def private_descriptor(self, *, directory: bool) -> str:
        return sddl.private_descriptor(self.user, directory=directory)

    def describe(self, sids: tuple[str, ...]) -> str:
        """Accounts for a message: their names (as the system has them) and SIDs."""
        named = []
        for sid in sids:
            try:
                name = self.api.account_name(sid)
            except OSError:
                name = None
            name = name or sddl.WELL_KNOWN_NAMES.get(sid) or "an unknown account"
            named.append(f"{name} ({sid})")
        return " and ".join(named)

    def _problem(self, fd: int, where: str, rights: int) -> Unsafe | None:
        try:
            descriptor = sddl.parse(self.api.security(fd))
        except (OSError, sddl.SddlError) as exc:
            return Unsafe("error", where, detail=f"its security cannot be read ({exc})")
        found = sddl.judge(descriptor, self.user, rights)
        if found is None:
            return None
        mine = descriptor.owner == self.user
        return Unsafe(found.reason, where, detail=self.describe(found.sids), mine=mine)

    # -- private files and directories ----------------------------------------------------

    def open_directory(
        self, path: str, *, create: bool, mode: int, defer: bool, follow_last: bool
    ) -> tuple[Directory, Unsafe | None]:
        api = self.api
        absolute = os.path.abspath(path)
        drive, rest = os.path.splitdrive(absolute)
        where = drive + os.sep
        names = [name for name in rest.split(os.sep) if name]
        handles: list[int] = []
        problem: Unsafe | None = None

        def check(fd: int, where: str, rights: int) -> None:
            nonlocal problem
            found = self._problem(fd, where, rights)
            if found is not None:
                if not defer:
                    raise found
                problem = problem or found

        try:
            try:
                handles.append(api.open_path(where, follow=True))
            except OSError as exc:
                raise os_problem(exc, where) from None
            check(handles[-1], where, sddl.SWAP_RIGHTS)
            for index, name in enumerate(names):
                last = index == len(names) - 1
                where = os.path.join(where, name)
                try:
                    fd = api.open_path(where, follow=False)
                except FileNotFoundError:
                    if not create:
                        raise Unsafe("missing", where) from None
                    try:
                        api.make_directory(where, self.private_descriptor(directory=True))
                    except FileExistsError:
                        pass  # made a moment ago by another run; opened and checked below
                    except OSError as exc:
                        raise os_problem(exc, where) from None
                    try:
                        fd = api.open_path(where, follow=False)
                    except OSError as exc:
                        raise os_problem(exc, where) from None
                except OSError as exc:
                    raise os_problem(exc, where) from None
                handles.append(fd)
                kind = api.kind(fd)
                if kind == "link":
                    if last and not follow_last:
                        raise Unsafe("symlink", where)
                    # Followed only when nobody else can change where it points.
                    check(fd, where, sddl.CHANGE_RIGHTS)
                    try:
                        handles.append(api.open_path(where, follow=True))
                    except OSError as exc:
                        raise os_problem(exc, where) from None
                    kind = api.kind(handles[-1])
                if kind != "dir":
                    raise Unsafe("not-dir", where)
                check(handles[-1], where, sddl.SWAP_RIGHTS)
            directory = WindowsDirectory(absolute, os.fstat(handles[-1]), handles, self)
            handles = []
            return directory, problem
        finally:
            for fd in handles:
                os.close(fd)

    def private_directory_problem(self, directory: Directory, where: str) -> Unsafe | None:
        assert isinstance(directory, WindowsDirectory)
        return self._problem(directory.handle, where, sddl.CHANGE_RIGHTS)

    def settings_file_problem(
        self, directory: Directory, fd: int, info: os.stat_result, where: str
    ) -> Unsafe | None:
        return self._problem(fd, where, sddl.CHANGE_RIGHTS)

    def owns_file(self, directory: Directory, fd: int, info: os.stat_result) -> bool:
        return self._problem(fd, "", sddl.CHANGE_RIGHTS) is None

    def _path_descriptor(self, path: str) -> sddl.Descriptor | None:
        try:
            fd = self.api.open_path(path, follow=True)
        except OSError:
            return None
        try:
            return sddl.parse(self.api.security(fd))
        except (OSError, sddl.SddlError):
            return None
        finally:
            os.close(fd)

    def readable_by_others(self, path: str, *, directory: bool) -> str | None:
        descriptor = self._path_descriptor(path)
        if descriptor is None:
            return None
        rights = sddl.READ_RIGHTS | sddl.CHANGE_RIGHTS
        others = sddl.holders(descriptor, self.user, rights, inheritable=directory)
        return f"{self.describe(others)} can read it" if others else None

    def _icacls(self, path: str, *, directory: bool, inheritance: str) -> str:
        descriptor = self._path_descriptor(path)
        others: tuple[str, ...] = ()
        if descriptor is not None:
            rights = sddl.READ_RIGHTS | sddl.CHANGE_RIGHTS
            others = sddl.holders(descriptor, self.user, rights, inheritable=directory)
        command = f'icacls "{path}" /inheritance:{inheritance}'
        if others:
            command += " /remove:g " + " ".join(f"*{sid}" for sid in others)
        return command

    def fix_private(self, path: str, *, directory: bool) -> str:
        grant = "(OI)(CI)F" if directory else "F"
        command = self._icacls(path, directory=directory, inheritance="r")
        return f'{command} /grant:r "*{self.user}:{grant}"'

    def fix_not_writable(self, path: str, *, directory: bool) -> str:
        return self._icacls(path, directory=directory, inheritance="d")

    def replace(self, source: str, target: str) -> None:
        """``os.replace``, tried again while another program has the target open (a
        sharing violation); SharingViolation when it never lets go."""
        for attempt, wait in enumerate((*REPLACE_WAITS_SECONDS, None), start=1):
            try:
                self.api.replace(source, target)
                return
            except PermissionError as exc:
                winerror = getattr(exc, "winerror", None)
                if winerror not in SHARING_ERRORS:
                    raise
                if wait is None:
                    raise SharingViolation(target, attempt, winerror) from None
                self.sleep(wait)

    # -- where things are ------------------------------------------------------------------

    def plain_user_dir(self, kind: str, app: str) -> str | None:
        return None  # %LOCALAPPDATA% is a known folder: platformdirs asks the system

    # -- the person ------------------------------------------------------------------------

    def open_terminal(self) -> WindowsConsole | None:
        return WindowsConsole(self.api) if self.api.console() else None

    # -- processes and signals ---------------------------------------------------------

    def detached_options(self) -> dict[str, Any]:
        # No console (nothing to show, nobody to ask) and a process group of its own, so
        # a Ctrl-C or Ctrl-Break in the console it came from does not reach it.
        return self.api.popen_options(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP)

    def no_terminal_options(self) -> dict[str, Any]:
        # A console without a window, as an IDE gives: nothing can prompt on it.
        return self.api.popen_options(CREATE_NO_WINDOW)

    def parent_gone(self, parent: int) -> bool:
        # Windows never re-parents: the parent process itself is asked.
        return self.api.process_gone(parent)

    def in_terminal_foreground(self) -> bool:
        # The console sends Ctrl-C and Ctrl-Break to every process attached to it.
        return True

    def run_command(self, command: list[str], env: Mapping[str, str]) -> int:
        # Ctrl-C reaches the command from the console itself: while it runs, we wait
        # for it (and its exit status) rather than die first.
        from ..serve import run_child

        return self.exit_status(run_child(command, dict(env)))

    def exit_status(self, code: int) -> int:
        # Windows exit codes are 32-bit unsigned (0xC000013A: ended by Ctrl-C); passed
        # on signed, as ExitProcess takes them on every Python version.
        return code - (1 << 32) if code >= 1 << 31 else code

    # -- the browser -----------------------------------------------------------------------

    def open_default_browser(self, url: str, environ: Mapping[str, str], launch: Launch) -> None:
        from ..signin.opener import no_password_inherited

        if not url.lower().startswith(("https://", "http://")):
            launch._finish(False, "not a web address")  # startfile would run a file
            return
        try:
            with no_password_inherited():  # the browser may be started as our child
                self.api.start_file(url)
        except OSError as exc:
            launch._finish(False, f"the default browser did not start: {exc.strerror or exc}")
            return
        launch._finish(True)

    # -- the credential_process line ---------------------------------------------------

    def command_line(self, argv: list[str]) -> str:
        import subprocess

        words = []
        for part in argv:
            word = part
            if not cmd_safe(word) and os.path.isabs(word):
                word = shorten(word, self.api.short_path)
            words.append(word if cmd_safe(word) else subprocess.list2cmdline([part]))
        return " ".join(words)

    def line_problems(self, line: str) -> list[str]:
        try:
            words = self.split_like_botocore(line)
        except ValueError as exc:
            return [f"botocore cannot split it ({exc})"]
        unsafe = [word for word in words if not cmd_safe(word)]
        if not unsafe and '"' not in line:
            return []
        shown = unsafe[0] if unsafe else line
        return [
            f"{shown!r} has a space, a quote or a character special to cmd.exe, so the "
            "Go, Java, Rust and .NET SDKs, which run the line through cmd.exe /C, cannot "
            "run it"
        ]

    def split_like_botocore(self, line: str) -> list[str]:
        from botocore.compat import compat_shell_split

        parts: list[str] = compat_shell_split(line, "win32")
        return parts

    def same_path(self, first: str, second: str) -> bool:
        def canonical(path: str) -> str:
            try:
                path = self.api.long_path(path)
            except OSError:  # not there (yet): as written
                return os.path.normcase(os.path.normpath(path))
            return os.path.normcase(os.path.normpath(path))

        return canonical(first) == canonical(second)

    def open_file_limit(self) -> int | None:
        # select() on Windows watches at most FD_SETSIZE sockets, 512 in CPython's build
        # (selectmodule.c); the endpoint's selector is select() there.
        return 512

    def run_through_shell(
        self, line: str, env: Mapping[str, str], timeout: float
    ) -> tuple[str, Any] | None:
        command_line = "cmd.exe /C " + escape_like_go(line)
        return "cmd.exe /C", self.api.run_command_line(command_line, env, timeout)


def native_api() -> Api:
    """This machine's Windows API (on Windows only)."""
    if sys.platform == "win32":
        from .win32 import Win32

        return Win32()
    raise OSError("the Windows API exists on Windows only")
