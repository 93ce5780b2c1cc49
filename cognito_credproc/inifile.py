"""Edit INI files as text: add or replace one section and keep everything else (comments,
order, spacing) exactly as the user wrote it."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable

from .errors import ConfigError
from .safepath import follow_file_links, open_directory

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


class ForeignFile(ConfigError):
    """An AWS config file that belongs to another user: whoever owns it chooses the
    commands the AWS CLI runs from it (credential_process), so nothing builds on it."""

    def __init__(self, path: str, uid: int) -> None:
        real = os.path.realpath(path)  # for the wording only: the check was on the descriptor
        shown = path if real == path else f"{path} (a link to {real})"
        super().__init__(f"{shown} is owned by another user (uid {uid})")
        self.path = path
        self.uid = uid


def read_regular_file(path: str) -> str:
    """An AWS config file's text ("" when there is none yet). Opened without blocking and
    checked on the descriptor, so a FIFO or a device planted there cannot hang us, and
    one of another user (root aside) is ForeignFile, whatever it says; symbolic links are
    followed (dotfile managers link these files)."""
    from .safepath import FILE_FLAGS, is_mine

    try:
        fd = os.open(path, FILE_FLAGS & ~getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{path} is not a regular file")
        if not is_mine(info) and info.st_uid != 0:
            raise ForeignFile(path, info.st_uid)
        # newline="": CRLF stays CRLF, so an edited file keeps its line endings
        with os.fdopen(os.dup(fd), encoding="utf-8", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    finally:
        os.close(fd)
