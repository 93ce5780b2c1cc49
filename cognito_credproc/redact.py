"""What a person sees never shows a secret, nor lets a service drive their terminal.

Every password, token and key the run handles is registered here as soon as it is
known; messages and the --debug log replace any registered value, and anything shaped
like a JWT, before they are written. Text that came from elsewhere (a service's error
message, a cached value) has its terminal control characters escaped, so it cannot
move the cursor, retitle the window or fake a line of its own.

Light to import: the logging machinery loads only with --debug.
"""

from __future__ import annotations

import re

MIN_SECRET_LENGTH = 4
JWT_RE = re.compile(r"eyJ[\w-]{5,}(?:\.[\w-]*){1,4}")
REDACTED = "[redacted]"
# C0 and C1 controls, DEL, and the Unicode marks that reorder text (bidi overrides).
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    if value and len(value) >= MIN_SECRET_LENGTH:
        _secrets.add(value)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return JWT_RE.sub(REDACTED, text)


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
