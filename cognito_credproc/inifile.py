"""Edit INI files as text: add or replace one section and keep everything else (comments,
order, spacing) exactly as the user wrote it."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable

from .errors import ConfigError
from .safepath import Unsafe, follow_file_links, open_directory

# A section header as configparser reads one (a comment may follow it); a byte-order
# mark may come before the first.
HEADER_RE = re.compile(r"^\ufeff?\s*\[([^\]]+)\]\s*(?:[#;].*)?$")
BOM = "\ufeff"


def line_ending(text: str) -> str:
    """The file's line ending: CRLF where a Windows editor saved it, else LF."""
    return "\r\n" if "\r\n" in text else "\n"


def find_section(
    text: str, name: str, same: Callable[[str], bool] | None = None
) -> tuple[int, int] | None:
    """(start, end) character offsets of section ``name`` including its header; ``same``
    says whether a header (stripped) names it, where that is not plain equality."""
    named = same or (lambda header: header == name)
    lines = text.splitlines(keepends=True)
    offset = 0
    start: int | None = None
    for line in lines:
        match = HEADER_RE.match(line)
        if match:
            if start is not None:
                return start, offset
            if named(match.group(1).strip()):
                start = offset
        offset += len(line)
    return (start, offset) if start is not None else None


def section_body(text: str, name: str, same: Callable[[str], bool] | None = None) -> str | None:
    """The section's lines after its header, with LF endings; None when it is not there."""
    found = find_section(text, name, same)
    if found is None:
        return None
    block = text[found[0] : found[1]].replace("\r\n", "\n")
    return block.split("\n", 1)[1] if "\n" in block else ""


def put_section(text: str, name: str, body: str, same: Callable[[str], bool] | None = None) -> str:
    """Replace section ``name`` (or append it) with ``body`` (lines of ``key = value``),
    in the file's own line endings."""
    eol = line_ending(text)
    block = f"[{name}]{eol}" + eol.join(body.rstrip().split("\n")) + eol
    found = find_section(text, name, same)
    if found is not None:
        start, end = found
        tail = text[end:]
        gap = eol if tail and not tail.startswith(("\n", "\r\n")) else ""
        return text[:start] + block + gap + tail
    if text and not text.endswith("\n"):
        text += eol
    if text.strip(BOM + " \t\r\n"):
        text += eol
    return text + block


SECRET_KEY_RE = re.compile(r"^\s*app_client_secret\s*[=:]", re.MULTILINE)


def holds_secret(text: str) -> bool:
    """The settings text has an app client secret in it (in any section)."""
    return SECRET_KEY_RE.search(text) is not None


def write_private(
    path: str,
    text: str,
    *,
    private: bool = False,
    mode: int = 0o600,
    linked_directory_ok: bool = False,
    through_links: bool = False,
) -> None:
    """Write a file atomically. New files get ``mode``; existing ones keep theirs, unless
    ``private``, which makes the file 0600 whatever it was. Missing directories are made
    0700, each of them; Unsafe when a directory on the way could be swapped by others
    (or is a symbolic link, unless ``linked_directory_ok``). With ``through_links``, a
    file that is a symbolic link is written where the link leads, after the same checks
    there (``follow_file_links``), and the link stays a link."""
    folder, name = os.path.split(os.path.abspath(path))
    directory, _ = open_directory(folder, create=True, follow_last=linked_directory_ok)
    if through_links:
        directory, name = follow_file_links(directory, name)
    with directory:
        try:
            info = directory.lstat(name)
        except FileNotFoundError:
            keep = mode
        else:
            keep = stat.S_IMODE(info.st_mode) if stat.S_ISREG(info.st_mode) else mode
        if private:
            keep = 0o600
        directory.write_atomically(name, text.encode("utf-8"), keep)


# The AWS CLI reads a file of any size; a larger one than this is not a config file.
MAX_AWS_CONFIG_BYTES = 4 << 20
WHY = {
    "other-owner": "owned by another user",
    "writable": "writable by other users",
    "symlink": "a symbolic link",
    "not-dir": "not a directory",
    "not-file": "not a regular file",
    "loop": "a loop of symbolic links",
}


class ForeignFile(ConfigError):
    """An AWS config file that others could have written or could swap: whoever can
    chooses the commands the AWS CLI runs from it (credential_process), so nothing
    builds on what it says."""

    def __init__(self, path: str, problem: Unsafe) -> None:
        why = WHY.get(problem.reason, problem.detail or problem.reason)
        if problem.reason == "other-owner" and problem.info is not None:
            why += f" (uid {problem.info.st_uid})"
        where = problem.where
        shown = f"{path} is {why}" if where == path else f"{path}: {where} is {why}"
        super().__init__(shown)
        self.path = path
        self.problem = problem


def read_regular_file(path: str) -> str:
    """An AWS config file's text ("" when there is none yet), read as configure writes
    it: every directory from ``/`` down is opened and checked, a symbolic link (dotfile
    managers link these files) is followed only as ``follow_file_links`` allows, and the
    file is opened once without following a link or blocking on a FIFO. ForeignFile
    unless it is a regular file of the user or root that only its owner can change, in
    directories nobody else can swap it in: what anyone else could have put there is
    never read as the user's."""
    from .platform import current
    from .safepath import open_file, read_fd

    folder, name = os.path.split(os.path.abspath(path))
    try:
        directory, _ = open_directory(folder, follow_last=True)
    except Unsafe as exc:
        if exc.reason == "missing":
            return ""
        raise ForeignFile(path, exc) from None
    try:
        directory, name = follow_file_links(directory, name, root_ok=True)
    except Unsafe as exc:
        raise ForeignFile(path, exc) from None
    with directory:
        try:
            fd, info = open_file(directory, name)
        except Unsafe as exc:
            if exc.reason == "missing":
                return ""
            raise ForeignFile(path, exc) from None
        try:
            if not stat.S_ISREG(info.st_mode):
                raise ConfigError(f"{path} is not a regular file")
            problem = current().settings_file_problem(directory, fd, info, directory.join(name))
            if problem is not None:
                raise ForeignFile(path, problem)
            data = read_fd(fd, MAX_AWS_CONFIG_BYTES)
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
        finally:
            os.close(fd)
    if len(data) > MAX_AWS_CONFIG_BYTES:
        raise ConfigError(f"{path} is larger than {MAX_AWS_CONFIG_BYTES} bytes")
    try:
        # bytes decoded as they are: CRLF stays CRLF, so an edited file keeps its endings
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
