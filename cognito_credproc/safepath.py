"""Opening what another local user might tamper with: checks made on open descriptors,
never by looking at a path and then opening it again.

A directory is walked from ``/`` one component at a time, each opened relative to its
parent's descriptor without following a symbolic link, and checked on that descriptor
(``fstat``). A directory that someone else can rename things in (owned by another
user, or writable by others without the sticky bit) makes everything below it
swappable, so it is refused; a symbolic link is followed only where nobody else can
change it. Once a chain has passed, nobody but its owners can change it, so what the
caller then does below it cannot be redirected. Files are opened once, with
``O_NOFOLLOW | O_NONBLOCK`` (a planted FIFO cannot hang the tool), and checked on the
descriptor.

This module is the POSIX mechanism and the shared vocabulary (``Unsafe``,
``Directory``); ``platform`` decides which walk and which rules apply.

Light to import: the cache-hit path uses it.
"""

from __future__ import annotations

import errno
import os
import stat
import sys

from .platform import current

_UID = os.getuid() if hasattr(os, "getuid") else None
# Without ``dir_fd`` (a Unix without openat) the checks fall back to paths. Windows
# has a walk of its own (``platform.windows``): ownership and modes mean little there.
DESCRIPTORS = (
    os.open in os.supports_dir_fd and hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY")
)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | _CLOEXEC
# O_BINARY (Windows only): no newline translation, no stop at Ctrl-Z.
_BINARY = getattr(os, "O_BINARY", 0)
FILE_FLAGS = (
    os.O_RDONLY
    | _BINARY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | _CLOEXEC
)
MAX_SYMLINKS = 40
# A file being written, before it is renamed onto its final name.
TEMP_PREFIX = ".tmp-"
_TEMP_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY | getattr(os, "O_NOFOLLOW", 0) | _CLOEXEC
)


class SharingViolation(PermissionError):
    """Windows: another program kept a file open, so it could not be replaced, however
    often that was tried."""

    def __init__(self, path: str, attempts: int, winerror: int) -> None:
        name = os.path.basename(path)
        super().__init__(
            errno.EACCES,
            f"another program has {name} open (WinError {winerror}, tried {attempts} times)",
            path,
        )


class Unsafe(Exception):
    """Why a path cannot be used; callers turn it into their own error and wording.

    ``reason`` is one of: missing, symlink, not-dir, not-file, other-owner, writable,
    denied, loop, error."""

    def __init__(
        self,
        reason: str,
        where: str,
        info: os.stat_result | None = None,
        detail: str = "",
        *,
        mine: bool | None = None,
    ) -> None:
        super().__init__(f"{where}: {reason}")
        self.reason = reason
        self.where = where
        self.info = info
        # For "other-owner" and "writable": who it is (empty: "another user", "other users").
        self.detail = detail
        self._mine = mine

    @property
    def mine(self) -> bool:
        """The path belongs to whoever runs the tool (so changing it is theirs to do)."""
        if self._mine is not None:
            return self._mine
        return self.info is not None and (_UID is None or self.info.st_uid == _UID)


def is_mine(info: os.stat_result) -> bool:
    return _UID is None or info.st_uid == _UID


def others_can_swap(info: os.stat_result, where: str) -> Unsafe | None:
    """A directory in which someone else could rename or replace what we open below it:
    owned by another user (root aside), or writable by group or others without the
    sticky bit (with it, only an entry's owner may rename the entry)."""
    if _UID is not None and info.st_uid not in (_UID, 0):
        return Unsafe("other-owner", where, info)
    if info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX:
        return Unsafe("writable", where, info)
    return None


def _readlink(name: str, dir_fd: int) -> str | None:
    try:
        return os.readlink(name, dir_fd=dir_fd)
    except OSError:
        return None


def os_problem(exc: OSError, where: str) -> Unsafe:
    """The Unsafe that says why ``where`` could not be opened."""
    if exc.errno == errno.ENOENT:
        return Unsafe("missing", where)
    if exc.errno == errno.ENOTDIR:
        return Unsafe("not-dir", where)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return Unsafe("denied", where, detail=exc.strerror or "")
    return Unsafe("error", where, detail=exc.strerror or str(exc))


class Directory:
    """An open, checked directory: operations on names inside it go through its
    descriptor (or, without ``dir_fd`` support, its path)."""

    def __init__(self, path: str, fd: int | None, info: os.stat_result) -> None:
        self.path = path
        self.fd = fd
        self.info = info

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> Directory:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def join(self, name: str) -> str:
        return os.path.join(self.path, name)

    def open(self, name: str, flags: int = FILE_FLAGS, mode: int = 0o600) -> int:
        if self.fd is not None:
            return os.open(name, flags, mode, dir_fd=self.fd)
        return os.open(self.join(name), flags, mode)

    def lstat(self, name: str) -> os.stat_result:
        if self.fd is not None:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        return os.lstat(self.join(name))

    def unlink(self, name: str) -> None:
        if self.fd is not None:
            os.unlink(name, dir_fd=self.fd)
        else:
            os.unlink(self.join(name))

    def replace(self, source: str, target: str) -> None:
        if self.fd is not None:
            os.replace(source, target, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        else:
            os.replace(self.join(source), self.join(target))

    def names(self) -> list[str]:
        return os.listdir(self.fd if self.fd is not None else self.path)

    def _set_mode(self, fd: int, name: str, mode: int) -> None:
        """Give the new file ``name`` (open as ``fd``, made 0600) the mode it is to have,
        whatever the umask."""
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        else:  # a Unix without fchmod
            os.chmod(self.join(name), mode)

    def write_atomically(self, name: str, data: bytes, mode: int) -> None:
        """Replace ``name`` with ``data`` in one rename: a fresh temp file, made ``mode``
        whatever the umask, written and synced, then renamed onto ``name``; both made
        through this directory's descriptor, so the file lands in the directory that
        was checked even if its path has changed since. OSError when it cannot be
        written (the old file is then untouched and no temp file is left)."""
        temp = TEMP_PREFIX + os.urandom(8).hex()
        fd = self.open(temp, _TEMP_FLAGS, 0o600)
        try:
            self._set_mode(fd, temp, mode)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            self.replace(temp, name)
        except BaseException:
            try:  # noqa: SIM105 - no contextlib on the cache-hit path
                self.unlink(temp)
            except OSError:
                pass
            raise


def open_directory(
    path: str,
    *,
    create: bool = False,
    mode: int = 0o700,
    defer: bool = False,
    follow_last: bool = False,
) -> tuple[Directory, Unsafe | None]:
    """Open directory ``path``, checking every directory on the way down, as this
    platform checks them: ``walk`` on POSIX, owners and ACLs on Windows."""
    return current().open_directory(
        path, create=create, mode=mode, defer=defer, follow_last=follow_last
    )


def walk(
    path: str,
    *,
    create: bool = False,
    mode: int = 0o700,
    defer: bool = False,
    follow_last: bool = False,
) -> tuple[Directory, Unsafe | None]:
    """Open directory ``path``, checking every directory on the way down (POSIX).

    Raises Unsafe when the path cannot be opened (missing, not a directory, a symbolic
    link as its last component) and, unless ``defer``, when a directory on the way is
    one others could swap things in. With ``defer`` that problem is returned instead,
    so a caller can first say that the file it wanted is missing. With ``create``,
    missing directories are made ``mode`` (0700) whatever the umask, each of them (never
    the target of a dangling link). A symbolic link as the last component is refused
    unless ``follow_last``. The last directory is checked like the others; callers add
    their own rules."""
    absolute = os.path.abspath(path)
    if not DESCRIPTORS or sys.platform == "win32":
        return _open_directory_by_path(absolute, create=create, mode=mode)
    fd = os.open("/", _DIR_FLAGS)
    where = os.sep
    try:
        info = os.fstat(fd)
        problem = others_can_swap(info, where)
        if problem is not None and not defer:
            raise problem
        # A stack of (name, came from a link's target), the next component on top.
        pending = [(part, False) for part in absolute.split(os.sep) if part]
        pending.reverse()
        links = 0
        while pending:
            name, linked = pending.pop()
            last = not pending
            if name == ".":
                continue
            here = os.path.dirname(where) if name == ".." else os.path.join(where, name)
            try:
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create or linked:
                    raise Unsafe("missing", here) from None
                try:  # noqa: SIM105 - no contextlib on the cache-hit path
                    os.mkdir(name, mode, dir_fd=fd)
                except FileExistsError:
                    pass  # made a moment ago by another run; opened and checked below
                try:
                    child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    raise os_problem(exc, here) from None
                if is_mine(os.fstat(child)):
                    os.fchmod(child, mode)  # the umask may have left more, or less
            except OSError as exc:
                target = _readlink(name, fd)
                if target is None:
                    raise os_problem(exc, here) from None
                if last and not follow_last:
                    raise Unsafe("symlink", here) from None
                # A link in a directory others may write to (a sticky /tmp) could be
                # theirs, pointing wherever they like: follow only ours or root's.
                if info.st_mode & 0o022:
                    owner = os.stat(name, dir_fd=fd, follow_symlinks=False).st_uid
                    if _UID is not None and owner not in (_UID, 0):
                        raise Unsafe("other-owner", here) from None
                links += 1
                if links > MAX_SYMLINKS:
                    raise Unsafe("loop", here) from None
                if target.startswith(os.sep):
                    os.close(fd)
                    fd = -1
                    fd = os.open(os.sep, _DIR_FLAGS)
                    where = os.sep
                    info = os.fstat(fd)
                pending.extend(reversed([(part, True) for part in target.split(os.sep) if part]))
                continue
            os.close(fd)
            fd = child
            where = here
            info = os.fstat(fd)
            found = others_can_swap(info, where)
            if found is not None:
                if not defer:
                    raise found
                problem = problem or found
        directory = Directory(absolute, fd, info)
        fd = -1
        return directory, problem
    finally:
        if fd >= 0:
            os.close(fd)


def _open_directory_by_path(
    absolute: str, *, create: bool, mode: int
) -> tuple[Directory, Unsafe | None]:
    if create:
        parts = absolute.split(os.sep)
        for end in range(2, len(parts) + 1):
            partial = os.sep.join(parts[:end]) or os.sep
            try:
                os.mkdir(partial, mode)
            except FileExistsError:
                pass
            except OSError as exc:
                raise os_problem(exc, partial) from None
    try:
        info = os.lstat(absolute)
    except OSError as exc:
        raise os_problem(exc, absolute) from None
    if stat.S_ISLNK(info.st_mode):
        raise Unsafe("symlink", absolute)
    if not stat.S_ISDIR(info.st_mode):
        raise Unsafe("not-dir", absolute)
    return Directory(absolute, None, info), None


def follow_file_links(
    directory: Directory, name: str, *, root_ok: bool = False
) -> tuple[Directory, str]:
    """Where a file's name leads when it is a symbolic link (``~/.aws/config`` linked
    into someone's dotfiles): the directory (open, checked) and the name of the file the
    links end at, so a write lands there instead of replacing the link with a copy.

    Each link is read through its directory's descriptor; each target's directory is
    opened from ``/`` and checked like any other (Unsafe when others could swap entries
    in it or above it). A link in a directory others may write to is followed only when
    it is ours or root's. The file at the end must be the user's own regular file (or,
    with ``root_ok``, root's), or not exist yet. ``directory`` is closed when the walk
    moves on from it."""
    where = directory.join(name)
    try:
        for _ in range(MAX_SYMLINKS):
            try:
                info = directory.lstat(name)
            except FileNotFoundError:
                return directory, name
            where = directory.join(name)
            if not stat.S_ISLNK(info.st_mode):
                if not stat.S_ISREG(info.st_mode):
                    raise Unsafe("not-file", where, info)
                if not is_mine(info) and not (root_ok and info.st_uid == 0):
                    raise Unsafe("other-owner", where, info)
                return directory, name
            if directory.info.st_mode & 0o022 and not is_mine(info) and info.st_uid != 0:
                raise Unsafe("other-owner", where, info)
            if directory.fd is not None:
                target = os.readlink(name, dir_fd=directory.fd)
            else:
                target = os.readlink(where)
            folder, base = os.path.split(os.path.join(directory.path, target))
            if not base:
                raise Unsafe("not-file", target)
            following, _ = open_directory(folder, follow_last=True)
            directory.close()
            directory, name = following, base
        raise Unsafe("loop", where)
    except BaseException:
        directory.close()
        raise


def open_file(directory: Directory, name: str) -> tuple[int, os.stat_result]:
    """Open ``name`` read-only once (no symbolic link followed, never blocking) and
    return the descriptor with its ``fstat``; Unsafe when it cannot be opened."""
    where = directory.join(name)
    try:
        fd = directory.open(name)
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise Unsafe("not-file", where) from None
        if directory.fd is not None and _readlink(name, directory.fd) is not None:
            raise Unsafe("symlink", where) from None
        raise os_problem(exc, where) from None
    try:
        info = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise os_problem(exc, where) from None
    return fd, info


def read_fd(fd: int, limit: int) -> bytes:
    """Up to ``limit`` bytes (one more tells the caller it was larger)."""
    chunks = []
    left = limit + 1
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
