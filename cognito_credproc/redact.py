"""What a person sees never shows a secret, nor lets a service drive their terminal.

Every password, token and key the run handles is registered here as soon as it is
known; messages and the --debug log replace any registered value, and anything shaped
like a JWT, before they are written. Text is cut short only by ``clip``, which redacts
before it cuts: a secret cut in half would no longer be found. A prefix of a secret (6
characters or more) that ends where text was cut anyway (at its end, or at a ``…`` or
``...``: a server's own cut, a message made before the secret was known) is redacted
too, and so is every overlap of secrets that contain or touch one another.

Text that came from elsewhere (a service's error message, a cached value) has its
terminal control characters escaped, so it cannot move the cursor, retitle the window
or fake a line of its own.

Light to import: the logging machinery loads only with --debug.
"""

from __future__ import annotations

import re

MIN_SECRET_LENGTH = 4
# The shortest prefix of a secret that is redacted where a cut may have left it.
MIN_PREFIX_CHARS = 6
CUT_MARK = "…"
CUT_MARKS = (CUT_MARK, "...")
JWT_RE = re.compile(r"eyJ[\w-]{5,}(?:\.[\w-]*){1,4}")
REDACTED = "[redacted]"
# C0 and C1 controls, DEL, and the Unicode marks that reorder text (bidi overrides).
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    if value and len(value) >= MIN_SECRET_LENGTH:
        _secrets.add(value)


def _occurrences(text: str, needle: str) -> list[int]:
    found, at = [], text.find(needle)
    while at != -1:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def _secret_spans(text: str) -> list[tuple[int, int]]:
    """Where registered secrets are in ``text``: every whole one, and every prefix of 6
    or more characters that runs up to a cut (the end, ``…`` or ``...``); merged where
    they overlap, so that secrets inside or across one another leave nothing."""
    spans = []
    for secret in _secrets:
        spans += [(at, at + len(secret)) for at in _occurrences(text, secret)]
        if len(secret) <= MIN_PREFIX_CHARS:
            continue
        for at in _occurrences(text, secret[:MIN_PREFIX_CHARS]):
            end = at + MIN_PREFIX_CHARS
            while end < len(text) and end - at < len(secret) and text[end] == secret[end - at]:
                end += 1
            if end - at < len(secret) and (end == len(text) or text.startswith(CUT_MARKS, end)):
                spans.append((at, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def redact(text: str) -> str:
    if _secrets:
        for start, end in reversed(_secret_spans(text)):
            text = text[:start] + REDACTED + text[end:]
    return JWT_RE.sub(REDACTED, text)


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text``, its secrets redacted before the cut
    (after it, half a secret would no longer be recognised); a cut ends in ``…``."""
    text = redact(text)
    if len(text) <= limit:
        return text
    room = max(limit - len(CUT_MARK), 0)
    piece = text[:room]
    while True:
        # the cut may end on the first letters of a secret: redacted, which may lengthen it
        shown = redact(piece)
        if len(shown) <= room:
            return shown + CUT_MARK
        piece = piece[: len(piece) - (len(shown) - room)]


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, lines: bool = False) -> str:
    """``text`` with every control character shown as an escape; with ``lines``, line
    breaks stay (for the tool's own multi-line text on the terminal)."""
    if lines:
        return "\n".join(CONTROL_RE.sub(_escape, line) for line in text.split("\n"))
    return CONTROL_RE.sub(_escape, text)


def enable_debug() -> None:
    import logging
    import sys

    class RedactingFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return printable(redact(super().format(record)))

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("debug: %(message)s"))
    logger = logging.getLogger("cognito_credproc")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
