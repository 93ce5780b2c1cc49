"""macOS: POSIX (``posix``) with its own directories (``~/Library``) and its own way of
opening the default browser (``open``). The keychain is reached through keyring
(``token_storage = keyring``); nothing here is Linux-only (no /proc, no XDG).

Light to import: the cache hit uses it on macOS.
"""

from __future__ import annotations

import os

from .posix import Posix

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..signin.opener import Launch

# platformdirs' user directories on macOS (``platformdirs.macos.MacOS``).
_LIBRARY_DIRS = {"config": "Library/Application Support", "cache": "Library/Caches"}
_XDG_VARIABLES = {"config": "XDG_CONFIG_HOME", "cache": "XDG_CACHE_HOME"}


class MacOS(Posix):
    """macOS 12 and later."""

    sys_platform = "darwin"
    knows_loopback_peers = False  # no /proc/net/tcp: the one-time addresses protect
    # LaunchServices' command: the default browser, started by launchd (not as our
    # child, so it inherits neither our descriptors nor our environment).
    open_command = "/usr/bin/open"

    def plain_user_dir(self, kind: str, app: str) -> str | None:
        home = os.environ.get("HOME", "")
        if not home.startswith("/") or home != home.strip():
            return None  # platformdirs then works it out (from the password database)
        if os.environ.get(_XDG_VARIABLES[kind]):
            return None  # newer platformdirs honour it on macOS too, older ones do not
        return os.path.join(os.path.expanduser("~"), _LIBRARY_DIRS[kind], app)

    def open_default_browser(self, url: str, environ: Mapping[str, str], launch: Launch) -> None:
        import threading  # not for the cache hit

        from ..launch import start_detached
        from ..signin.opener import browser_environment

        try:
            child = start_detached([self.open_command, url], browser_environment(environ))
        except OSError as exc:
            launch._finish(False, f"{self.open_command} failed: {exc.strerror or exc}")
            return

        def wait() -> None:  # open exits once the browser has the address
            status = child.wait()
            launch._finish(
                status == 0, f"{self.open_command} exited with {status}" if status else ""
            )

        threading.Thread(target=wait, daemon=True).start()
