"""Opening the person's browser.

``$BROWSER`` is honoured the way Python's ``webbrowser`` module reads it: a list of
commands separated by ``os.pathsep``, tried in order; a command with ``%s`` has the
URL put there (a trailing ``&`` runs it in the background), any other is run with the
URL as its one argument; a command counts as having opened the browser when it
exits 0. Unlike ``webbrowser`` the command gets no stdin, stdout or stderr of ours (a
credential_process's stdout carries only the JSON), nor ``COGNITO_CREDPROC_PASSWORD``
(a browser, its helpers and extensions have no use for it), and it never falls back
to a console browser that would take over the terminal.

Without ``$BROWSER``: on Linux and the BSDs, only with ``DISPLAY`` or
``WAYLAND_DISPLAY`` is there a browser (then ``webbrowser`` picks it); macOS and
Windows always have one.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import threading
from collections.abc import Iterator, Mapping

from ..config import ENV_PASSWORD
from ..launch import empty_signal_mask, start_detached
from ..platform import current

# webbrowser's text-mode browsers: they would fight us for the terminal.
CONSOLE_BROWSERS = frozenset({"www-browser", "links", "elinks", "lynx", "w3m"})


def browser_commands(environ: Mapping[str, str]) -> list[str]:
    return [entry for entry in environ.get("BROWSER", "").split(os.pathsep) if entry.strip()]


def browser_available(environ: Mapping[str, str], platform: str | None = None) -> bool:
    """Whether a browser can be opened: ``platform`` is a ``sys.platform`` value (by
    default the current platform's)."""
    if browser_commands(environ):
        return True
    if platform is None:
        platform = current().sys_platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def browser_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """What a browser is started with: the user's environment, less the password."""
    return {name: value for name, value in environ.items() if name != ENV_PASSWORD}


def command_line(entry: str, url: str) -> tuple[list[str], bool]:
    """(argv, wait) for one $BROWSER entry, as webbrowser builds it."""
    if "%s" in entry:
        argv = shlex.split(entry)
        background = bool(argv) and argv[-1] == "&"
        if background:
            argv = argv[:-1]
        return [arg.replace("%s", url) for arg in argv], not background
    return [entry.strip(), url], True


class Launch:
    """A browser being opened in the background; ``failed`` once every way has failed."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.opened = False
        self.reason = ""

    @property
    def failed(self) -> bool:
        return self.done.is_set() and not self.opened

    def _finish(self, opened: bool, reason: str = "") -> None:
        self.opened = opened
        self.reason = reason
        self.done.set()


def _run_commands(entries: list[str], url: str, environ: Mapping[str, str], launch: Launch) -> None:
    problems = []
    for entry in entries:
        argv, wait = command_line(entry, url)
        if not argv:
            continue
        try:
            child = start_detached(argv, browser_environment(environ))
        except OSError as exc:
            problems.append(f"{os.path.basename(argv[0])}: {exc.strerror or exc}")
            continue
        status = child.wait() if wait else 0
        if status == 0:
            launch._finish(True)
            return
        problems.append(f"{os.path.basename(argv[0])} exited with {status}")
    launch._finish(False, "$BROWSER failed (" + "; ".join(problems) + ")")


@contextlib.contextmanager
def no_password_inherited() -> Iterator[None]:
    """webbrowser starts the browser with this process's environment: take the password
    out of it meanwhile (nothing else here reads it while the browser is started)."""
    password = os.environ.pop(ENV_PASSWORD, None)
    try:
        yield
    finally:
        if password is not None:
            os.environ[ENV_PASSWORD] = password


@contextlib.contextmanager
def _no_inherited_streams() -> Iterator[None]:
    """Point fds 0-2 at /dev/null while webbrowser starts a browser, which inherits them."""
    sys.stdout.flush()
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_RDWR)
    saved = [os.dup(fd) for fd in (0, 1, 2)]
    try:
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        yield
    finally:
        for fd, copy in zip((0, 1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)
        os.close(devnull)


def open_with_webbrowser(url: str, launch: Launch) -> None:
    """The default browser as Python's ``webbrowser`` finds it (Linux and the BSDs)."""
    import webbrowser

    # webbrowser.get() may run xdg-settings to find the default browser: no password there
    with no_password_inherited():
        try:
            controller = webbrowser.get()
        except webbrowser.Error:
            launch._finish(False, "no browser was found")
            return
        if getattr(controller, "basename", getattr(controller, "name", "")) in CONSOLE_BROWSERS:
            launch._finish(False, "only a text-mode browser was found")
            return
        # webbrowser starts the browser itself: with an empty signal mask, as every child
        with _no_inherited_streams(), empty_signal_mask():
            opened = controller.open(url, new=2)
    launch._finish(bool(opened), "" if opened else "the browser did not start")


def open_browser(url: str, environ: Mapping[str, str]) -> Launch:
    """Start opening ``url``; returns at once (a $BROWSER command may run until the
    person closes it, as webbrowser's GenericBrowser waits for it)."""
    launch = Launch()
    entries = browser_commands(environ)
    if entries:
        threading.Thread(
            target=_run_commands, args=(entries, url, environ, launch), daemon=True
        ).start()
    elif browser_available(environ):
        current().open_default_browser(url, environ, launch)
    else:
        launch._finish(False, "there is no browser (no DISPLAY, WAYLAND_DISPLAY or BROWSER)")
    return launch
