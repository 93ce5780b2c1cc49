"""--debug logging that never shows a secret.

Every password, token and key the run handles is registered here as soon as it is
known; the log filter replaces any registered value, and anything shaped like a
JWT, before a record is written.
"""

from __future__ import annotations

import logging
import re
import sys

MIN_SECRET_LENGTH = 4
JWT_RE = re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")
REDACTED = "[redacted]"

_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    if value and len(value) >= MIN_SECRET_LENGTH:
        _secrets.add(value)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return JWT_RE.sub(REDACTED, text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def enable_debug() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("debug: %(message)s"))
    logger = logging.getLogger("cognito_credproc")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
