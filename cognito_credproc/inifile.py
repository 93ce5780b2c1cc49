"""Edit INI files as text: add or replace one section and keep everything else (comments,
order, spacing) exactly as the user wrote it."""

from __future__ import annotations

import os
import re

from .cache import set_private_mode

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


def write_private(path: str, text: str, mode: int = 0o600) -> None:
    """Write a file atomically; new files get ``mode``, existing ones keep theirs."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    try:
        keep = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        keep = mode
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        set_private_mode(fd, tmp, keep)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
