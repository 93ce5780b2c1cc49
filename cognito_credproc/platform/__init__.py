"""Everything that differs between operating systems, behind one object.

    current() -> Platform   this machine's: Windows, MacOS or Posix (Linux and the
                            other Unixes), chosen once from ``sys.platform``
    use(platform)           put another in its place, in this process only (the tests
                            run the Windows and macOS layers on Linux this way)

The rest of the tool asks ``current()`` and never looks at ``sys.platform`` or
``os.name`` itself. ``base.Platform`` lists what a platform decides; ``posix``,
``macos`` and ``windows`` decide it. Nothing here reads the environment or a file to
choose: only code already running in the process can swap the platform.

Light to import: the cache hit uses it (on POSIX it loads ``posix`` and nothing else).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .base import Platform

_current: Platform | None = None


def current() -> Platform:
    """The platform the tool runs on (or the one ``use`` put in its place)."""
    global _current
    if _current is None:
        _current = native()
    return _current


def native() -> Platform:
    """This machine's platform, from ``sys.platform``."""
    if sys.platform == "win32":
        from .windows import Windows, native_api

        return Windows(native_api())
    if sys.platform == "darwin":
        from .macos import MacOS

        return MacOS()
    from .posix import Posix

    return Posix()


def use(platform: Platform | None) -> Platform | None:
    """Make ``platform`` the current one (None: this machine's again, chosen afresh);
    returns the one it replaces."""
    global _current
    previous = _current
    _current = platform
    return previous
