"""Edit INI files as text: add or replace one section and keep everything else (comments,
order, spacing) exactly as the user wrote it."""

from __future__ import annotations

import os
import re
import stat

from .errors import ConfigError
from .safepath import open_directory

HEADER_RE = re.compile(r"^\s*\[([^\]]+)\]\s*(?:[#;].*)?$")


def find_section(text: str, name: str) -> tuple[int, int] | None:
    """(start, end) character offsets of section ``name`` including its header."""
    lines = text.splitlines(keepends=True)
    offset = 0
    start: int | None = None
    for line in lines:
        match = HEADER_RE.match(line)
        if match:
            if start is not None:
                return start, offset
            if match.group(1).strip() == name:
                start = offset
        offset += len(line)
    return (start, offset) if start is not None else None


def section_body(text: str, name: str) -> str | None:
    found = find_section(text, name)
    if found is None:
        return None
    block = text[found[0] : found[1]]
    return block.split("\n", 1)[1] if "\n" in block else ""


def put_section(text: str, name: str, body: str) -> str:
    """Replace section ``name`` (or append it) with ``body`` (lines of ``key = value``)."""
    block = f"[{name}]\n{body.rstrip()}\n"
    found = find_section(text, name)
    if found is not None:
        start, end = found
        tail = text[end:]
        return text[:start] + block + ("\n" if tail and not tail.startswith("\n") else "") + tail
    if text and not text.endswith("\n"):
        text += "\n"
    if text.strip():
        text += "\n"
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
) -> None:
    """Write a file atomically. New files get ``mode``; existing ones keep theirs, unless
    ``private``, which makes the file 0600 whatever it was. Missing directories are made
    0700, each of them; Unsafe when a directory on the way could be swapped by others
    (or is a symbolic link, unless ``linked_directory_ok``)."""
    folder, name = os.path.split(os.path.abspath(path))
    directory, _ = open_directory(folder, create=True, follow_last=linked_directory_ok)
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


def read_regular_file(path: str) -> str:
    """An AWS config file's text ("" when there is none yet). Opened without blocking and
    checked on the descriptor, so a FIFO or a device planted there cannot hang us;
    symbolic links are followed (dotfile managers link these files)."""
    from .safepath import FILE_FLAGS

    try:
        fd = os.open(path, FILE_FLAGS & ~getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError(f"{path} is not a regular file")
        with os.fdopen(os.dup(fd), encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    finally:
        os.close(fd)
