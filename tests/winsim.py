"""A simulated Windows for the tests: ``SimulatedWin32`` answers the Windows layer's
calls (``cognito_credproc.platform.windows.Api``) as Windows does, on Linux.

- Security descriptors are SDDL, as ``ConvertSecurityDescriptorToStringSecurityDescriptorW``
  gives them: a test can set one for a file or directory (``set_sddl``); otherwise
  the file's POSIX owner and mode are said the Windows way (owner: the user's SID,
  SYSTEM for root, another account for anyone else; group and other bits: an entry
  for BUILTIN\\Users and one for Everyone, where a writable directory without the
  sticky bit lets them delete what is in it and a sticky one lets them only add; a
  link: its owner's alone), so what another user can do stays what the SDDL says.
  Creating with a descriptor makes the file or directory private (0600, 0700).
- ``os.stat`` and friends answer as on Windows (``install_os``): every directory
  0o40777, every file 0o100666, owner 0; so no check may look at mode bits there.
  There is no /dev/tty.
- The console: keys queued by the test (``keys``), including Ctrl-C ("\\x03"), backspace
  ("\\x08") and the two codes of an arrow key; what is written to it is kept (``shown``).
  ``console_attached = False`` is a GUI parent.
- ``os.replace`` fails with the sharing violations queued in ``replace_failures``.
- ``cmd.exe`` is ``tests.cmdexe``: the command line is read with cmd.exe's rules and the
  program it names runs (here, on Linux).
- 8.3 short names: a component with a space gets one (``FIRSTL~1``), made as a link
  beside it that points to it, which is what a short name is: another name for it.

``main()`` runs the tool with this Windows selected, in a process of its own: the
tests start ``python -c BOOTSTRAP ARGS...``. Nothing in the package reads anything to
choose a platform: only code running in the process (this module) can swap it.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cognito_credproc import platform
from cognito_credproc.platform.windows import Windows

from . import cmdexe

ROOT = Path(__file__).resolve().parent.parent
USER_SID = "S-1-5-21-3623811015-3361044348-30300820-1001"
OTHER_SID_PREFIX = "S-1-5-21-3623811015-3361044348-30300820-"
ACCOUNTS = {USER_SID: "DESKTOP-SIM\\alice"}
# What the tests start instead of ``python -m cognito_credproc``.
BOOTSTRAP = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from tests.winsim import main; main()"
# For a tool started with BOOTSTRAP: a file of console keys (none: no console), a file
# that receives what the console shows.
ENV_KEYS = "WINSIM_CONSOLE_KEYS"
ENV_SHOWN = "WINSIM_CONSOLE_SHOWN"
# The console script the tool was started as (on Windows cognito-credproc.exe; here the
# Linux one, somewhere the test chose).
ENV_SCRIPT = "WINSIM_SCRIPT"

_real_stat = os.stat
_real_lstat = os.lstat
_real_fstat = os.fstat
_real_replace = os.replace
_real_open = os.open
_MY_UID = os.getuid() if hasattr(os, "getuid") else -1  # the simulation runs on Linux

# Rights the simulation gives Users or Everyone for POSIX group or other bits.
READ_EXECUTE = "0x1200a9"
ADD_ENTRIES = "0x1200af"  # read, add files and folders: a sticky directory
MODIFY_DIRECTORY = "0x1301ff"  # modify and delete what is in it
MODIFY_FILE = "0x1301bf"


def _sid_for(uid: int) -> str:
    if uid == _MY_UID:
        return USER_SID
    return "SY" if uid == 0 else f"{OTHER_SID_PREFIX}{1000 + uid}"


def posix_sddl(info: os.stat_result) -> str:
    """A POSIX owner and mode as a Windows security descriptor (see the docstring)."""
    directory = stat.S_ISDIR(info.st_mode)
    inherit = "OICI" if directory else ""
    owner = _sid_for(info.st_uid)
    aces = [f"(A;{inherit};FA;;;{owner})"]
    if stat.S_ISLNK(info.st_mode):
        # A link's mode means nothing on Linux (its folder decides who may change it):
        # on Windows it has the ACL its maker's folder gives it.
        return f"O:{owner}D:P{aces[0]}"
    for shift, trustee in ((3, "BU"), (0, "WD")):
        bits = (info.st_mode >> shift) & 0o7
        if not bits:
            continue
        if bits & 0o2:
            if not directory:
                rights = MODIFY_FILE
            else:
                rights = ADD_ENTRIES if info.st_mode & stat.S_ISVTX else MODIFY_DIRECTORY
        else:
            rights = READ_EXECUTE
        aces.append(f"(A;{inherit};{rights};;;{trustee})")
    return f"O:{owner}D:P{''.join(aces)}"


def _windows_stat(info: os.stat_result) -> os.stat_result:
    """What os.stat says on Windows: no owner, and 0o777 or 0o666 for everything."""
    kind = stat.S_IFMT(info.st_mode)
    if stat.S_ISDIR(info.st_mode) or stat.S_ISLNK(info.st_mode):
        mode = kind | 0o777
    else:
        mode = kind | (0o666 if info.st_mode & stat.S_IWUSR else 0o444)
    fields = list(info)
    fields[0], fields[4], fields[5] = mode, 0, 0
    extra = {
        name: getattr(info, name)
        for name in ("st_atime", "st_mtime", "st_ctime", "st_atime_ns", "st_mtime_ns")
    }
    extra["st_ctime_ns"] = info.st_ctime_ns
    return os.stat_result(fields[:10], extra)


def install_os(api: SimulatedWin32, patch: Any) -> None:
    """The ``os`` functions answer as on Windows: ``stat``, ``lstat`` and ``fstat`` with
    Windows' modes, ``replace`` meets the sharing violations queued on ``api``, and there
    is no /dev/tty. ``patch`` is ``monkeypatch.setattr`` (or plain ``setattr``)."""

    def windows_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        return _windows_stat(_real_stat(path, *args, **kwargs))

    def windows_lstat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        return _windows_stat(_real_lstat(path, *args, **kwargs))

    def windows_fstat(fd: int) -> os.stat_result:
        return _windows_stat(_real_fstat(fd))

    def windows_replace(source: Any, target: Any, **kwargs: Any) -> None:
        api.replaces += 1
        if api.replace_failures:
            code = api.replace_failures.pop(0)
            failure = PermissionError(errno.EACCES, "The process cannot access the file", target)
            failure.winerror = code  # type: ignore[attr-defined]
            raise failure
        _real_replace(source, target, **kwargs)

    def windows_open(path: Any, *args: Any, **kwargs: Any) -> int:
        if path == "/dev/tty":
            raise FileNotFoundError(errno.ENOENT, "The system cannot find the path specified")
        return _real_open(path, *args, **kwargs)

    patch(os, "stat", windows_stat)
    patch(os, "lstat", windows_lstat)
    patch(os, "fstat", windows_fstat)
    patch(os, "replace", windows_replace)
    patch(os, "open", windows_open)


def short_name(name: str) -> str:
    """An 8.3 name for ``name``: its first six usable characters, ~1, its extension."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    keep = "".join(c for c in stem.upper() if c.isalnum() or c in "-_")[:6]
    ext = "".join(c for c in extension.upper() if c.isalnum())[:3]
    return f"{keep}~1" + (f".{ext}" if ext else "")


class SimulatedWin32:
    """``windows.Api`` answered as Windows answers, on Linux."""

    def __init__(self, *, keys: str = "", console_attached: bool = True) -> None:
        self.sddl: dict[tuple[int, int], str] = {}
        self.keys = list(keys)
        self.shown: list[str] = []
        self.console_attached = console_attached
        self.replace_failures: list[int] = []
        self.replaces = 0
        self.creation_flags: list[int] = []
        self.started: list[str] = []

    # -- accounts --------------------------------------------------------------------------

    def user_sid(self) -> str:
        return USER_SID

    def account_name(self, sid: str) -> str | None:
        if sid.startswith(OTHER_SID_PREFIX):
            return "DESKTOP-SIM\\mallory"
        return ACCOUNTS.get(sid)

    # -- files -----------------------------------------------------------------------------

    def set_sddl(self, path: Path | str, sddl: str) -> None:
        """From now on ``path`` has this security descriptor (owner and DACL)."""
        info = _real_lstat(path)
        self.sddl[(info.st_dev, info.st_ino)] = sddl

    def open_path(self, path: str, *, follow: bool) -> int:
        return os.open(path, os.O_PATH | (0 if follow else os.O_NOFOLLOW) | os.O_CLOEXEC)

    def open_read(self, path: str) -> int:
        try:
            return os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            # FILE_FLAG_OPEN_REPARSE_POINT opens the link itself.
            return os.open(path, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)

    def create_file(self, path: str, descriptor: str) -> int:
        assert descriptor == f"D:P(A;;FA;;;{USER_SID})", descriptor
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(path, flags, 0o600)
        os.fchmod(fd, 0o600)
        return fd

    def inherit_acl(self, fd: int) -> None:
        # The folder's ACL, as a file in it inherits it: its mode, less execute.
        folder = _real_stat(os.path.dirname(os.readlink(f"/proc/self/fd/{fd}")))
        os.fchmod(fd, stat.S_IMODE(folder.st_mode) & 0o666)

    def make_directory(self, path: str, descriptor: str) -> None:
        assert descriptor == f"D:P(A;OICI;FA;;;{USER_SID})", descriptor
        os.mkdir(path, 0o700)
        os.chmod(path, 0o700, follow_symlinks=False)

    def kind(self, fd: int) -> str:
        mode = _real_fstat(fd).st_mode
        if stat.S_ISLNK(mode):
            return "link"
        if stat.S_ISDIR(mode):
            return "dir"
        return "file" if stat.S_ISREG(mode) else "other"

    def security(self, fd: int) -> str:
        info = _real_fstat(fd)
        return self.sddl.get((info.st_dev, info.st_ino)) or posix_sddl(info)

    def replace(self, source: str, target: str) -> None:
        os.replace(source, target)  # as on Windows: see install_os

    def short_path(self, path: str) -> str:
        parent, name = os.path.split(path)
        if parent != path:
            parent = self.short_path(parent)
        if " " not in name:
            return os.path.join(parent, name)
        alias = os.path.join(parent, short_name(name))
        if not os.path.lexists(alias):
            _real_lstat(os.path.join(parent, name))  # FileNotFoundError when it is not there
            os.symlink(name, alias)
        return alias

    def long_path(self, path: str) -> str:
        parts: list[str] = []
        for part in Path(path).parts:
            here = os.path.join(*parts, part) if parts else part
            if "~" in part and os.path.islink(here):
                part = os.readlink(here)
            parts.append(part)
        return os.path.join(*parts)

    # -- the console -----------------------------------------------------------------------

    def console(self) -> bool:
        return self.console_attached

    def key_ready(self) -> bool:
        return bool(self.keys)

    def read_key(self) -> str:
        return self.keys.pop(0)

    def write_console(self, text: str) -> None:
        self.shown.append(text)

    # -- processes -------------------------------------------------------------------------

    def process_gone(self, pid: int) -> bool:
        return os.getppid() != pid  # Linux can tell: the simulated parent is the real one

    def popen_options(self, creationflags: int) -> dict[str, Any]:
        self.creation_flags.append(creationflags)
        return {"start_new_session": True}

    def run_command_line(
        self, command_line: str, env: Mapping[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        try:
            argv = cmdexe.cmd_c(command_line, environ=env)
        except cmdexe.CmdFailure as failure:
            return subprocess.CompletedProcess(command_line, failure.code, "", failure.message)
        return subprocess.run(
            argv,
            env=dict(env),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
            start_new_session=True,
        )

    def start_file(self, url: str) -> None:
        self.started.append(url)


class RecordedSleep:
    """A ``sleep`` that only records (the replace's waits): no test waits for real."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def simulate(api: SimulatedWin32, patch: Any, sleep: Any = None) -> Windows:
    """Select the Windows layer over ``api`` in this process, with Windows' os.stat;
    ``patch`` is ``monkeypatch.setattr``. Undo with ``platform.use(None)``."""
    windows = Windows(api, sleep=sleep or RecordedSleep())
    # The console script: cognito-credproc.exe there, the Linux one here.
    windows.script_names = ("cognito-credproc", *windows.script_names)
    install_os(api, patch)
    platform.use(windows)
    return windows


class _ShownFile(SimulatedWin32):
    """The console of a tool started with BOOTSTRAP: keys from a file, shown to a file."""

    def __init__(self, keys: str, shown: str | None) -> None:
        super().__init__(keys=keys, console_attached=True)
        self.shown_path = shown

    def write_console(self, text: str) -> None:
        if self.shown_path:
            with open(self.shown_path, "a", encoding="utf-8") as out:
                out.write(text)


def main() -> None:
    """The tool, with the simulated Windows selected (see BOOTSTRAP)."""
    keys_file = os.environ.get(ENV_KEYS)
    if keys_file:
        keys = Path(keys_file).read_text(encoding="utf-8")
        api: SimulatedWin32 = _ShownFile(keys, os.environ.get(ENV_SHOWN))
    else:
        api = SimulatedWin32(console_attached=False)  # a GUI parent: no console
    simulate(api, setattr)
    if os.environ.get(ENV_SCRIPT):
        sys.argv[0] = os.environ[ENV_SCRIPT]  # as if started as this console script
    from cognito_credproc.cli import run

    run()
