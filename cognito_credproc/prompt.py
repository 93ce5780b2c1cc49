"""Talking to a person: only ever through the controlling terminal (/dev/tty; on
Windows the console, see ``platform.windows``).

The SDKs capture the helper's stdout and stderr, so a prompt written there would be
invisible and the command would look hung. Without a terminal, asking fails at once.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator, Mapping
from typing import Protocol

from .config import ENV_PASSWORD, Profile
from .errors import Aborted, AuthFailed, ConfigError, SignInRequired
from .parentwatch import ParentGone, ParentWatch, wait_readable

COMMAND_TIMEOUT_SECONDS = 120
MAX_ANSWER_BYTES = 4096
PARENT_GONE_NOTE = (
    "cognito-credproc: the program that asked for credentials has exited; "
    "no answer is needed any more."
)


class Interaction(Protocol):
    """What sign-in needs from a person."""

    @property
    def interactive(self) -> bool: ...

    def ask(self, prompt: str, *, secret: bool = False) -> str: ...

    def say(self, text: str) -> None: ...


class Console(Interaction, Protocol):
    """A terminal (or a Windows console) that was opened for us, to close when done."""

    def close(self) -> None: ...


class NoTerminal:
    """Nobody to ask: any question means the user must run ``login`` in a terminal."""

    interactive = False

    def __init__(self, profile: str) -> None:
        self.profile = profile

    def ask(self, prompt: str, *, secret: bool = False) -> str:
        what = prompt.strip().rstrip(":").strip()
        raise SignInRequired(
            f"sign-in needs an answer ({what}) and there is no terminal to ask on",
            profile=self.profile,
            hint=f"run: cognito-credproc login --profile {self.profile}",
        )

    def say(self, text: str) -> None:
        pass


class Terminal:
    """The controlling terminal, opened read-write without becoming ours."""

    interactive = True

    def __init__(self, fd: int, watch: ParentWatch | None = None) -> None:
        self.fd = fd
        # The program that started this one may die while a person is being asked (the Go
        # SDKs kill their `sh -c` after 60 s): then nobody wants the answer any more.
        self.watch = watch or ParentWatch()

    @classmethod
    def open(cls) -> Terminal | None:
        try:
            fd = os.open("/dev/tty", os.O_RDWR | getattr(os, "O_NOCTTY", 0))
        except OSError:
            return None
        return cls(fd)

    def close(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1

    def say(self, text: str) -> None:
        from .redact import printable  # service text must not drive the terminal

        data = (printable(text, lines=True) + "\n").encode()
        with contextlib.suppress(OSError):
            while data:
                written = os.write(self.fd, data)
                data = data[written:]

    def status(self, text: str) -> None:
        """A line redrawn in place (a countdown): back to the line's start, the text,
        the rest of the line cleared; "" clears it."""
        from .redact import printable

        with contextlib.suppress(OSError):
            os.write(self.fd, f"\r{printable(text)}\x1b[K".encode())

    @contextlib.contextmanager
    def _no_echo(self) -> Iterator[None]:
        if sys.platform == "win32":  # pragma: no cover - the console has its own (windows)
            yield
            return
        import termios

        try:
            old = termios.tcgetattr(self.fd)
        except termios.error:
            yield
            return
        new = list(old)
        new[3] = new[3] & ~termios.ECHO
        termios.tcsetattr(self.fd, termios.TCSAFLUSH, new)
        try:
            yield
        finally:
            termios.tcsetattr(self.fd, termios.TCSAFLUSH, old)
            self.say("")

    def ask(self, prompt: str, *, secret: bool = False) -> str:
        try:
            # Echo goes off before the prompt appears, so nothing typed after it is lost.
            with self._no_echo() if secret else contextlib.nullcontext():
                with contextlib.suppress(OSError):
                    from .redact import printable

                    os.write(self.fd, printable(prompt, lines=True).encode())
                return self._read_line()
        except KeyboardInterrupt:
            self.say("")
            raise Aborted("interrupted at a prompt; nothing was changed") from None
        except ParentGone:
            self.say("")
            self.say(PARENT_GONE_NOTE)
            raise

    def _read_line(self) -> str:
        buffer = b""
        while b"\n" not in buffer:
            wait_readable(self.fd, self.watch)
            chunk = os.read(self.fd, 1024)
            if not chunk:
                raise Aborted("the terminal closed before an answer was given")
            buffer += chunk
            if len(buffer) > MAX_ANSWER_BYTES:
                raise Aborted("answer too long")
        line = buffer.split(b"\n", 1)[0].rstrip(b"\r")
        return line.decode("utf-8", errors="replace")


def open_terminal() -> Console | None:
    """The person's terminal (this platform's: /dev/tty, or the Windows console), or
    None when there is none."""
    from .platform import current

    return current().open_terminal()


def open_interaction(profile: str) -> Console | NoTerminal:
    return open_terminal() or NoTerminal(profile)


def run_secret_command(command: str, key: str, profile: Profile) -> str:
    """Run password_command / totp_command (no shell) and return its first line."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ConfigError(
            f"{profile.source} [{profile.name}] {key}: cannot parse: {exc}", profile=profile.name
        ) from None
    if not argv:
        raise ConfigError(f"{profile.source} [{profile.name}] {key} is empty", profile=profile.name)
    # The command gets the user's environment, less the password itself.
    env = {name: value for name, value in os.environ.items() if name != ENV_PASSWORD}
    from .launch import run

    try:
        done = run(argv, capture_output=True, timeout=COMMAND_TIMEOUT_SECONDS, env=env)
    except FileNotFoundError:
        raise AuthFailed(
            f"{key}: command not found: {argv[0]}",
            profile=profile.name,
            hint=f"fix {key} in {profile.source}",
        ) from None
    except subprocess.TimeoutExpired:
        raise AuthFailed(
            f"{key} did not finish within {COMMAND_TIMEOUT_SECONDS}s", profile=profile.name
        ) from None
    except OSError as exc:
        raise AuthFailed(
            f"{key}: cannot run {argv[0]}: {exc.strerror}", profile=profile.name
        ) from None
    if done.returncode != 0:
        last = done.stderr.decode(errors="replace").strip().splitlines()
        from .redact import clip

        why = f": {clip(last[-1], 200)}" if last else ""
        raise AuthFailed(
            f"{key} ({argv[0]}) failed with exit code {done.returncode}{why}",
            profile=profile.name,
            hint=f"run it by hand, or fix {key} in {profile.source}",
        )
    try:
        lines: list[str] = done.stdout.decode("utf-8", errors="strict").splitlines()
    except UnicodeDecodeError:
        raise AuthFailed(
            f"{key} ({argv[0]}) printed something that is not UTF-8 text",
            profile=profile.name,
            hint=f"make it print the secret as UTF-8, or fix {key} in {profile.source}",
        ) from None
    if not lines or not lines[0]:
        raise AuthFailed(f"{key} ({argv[0]}) printed nothing", profile=profile.name)
    return lines[0]


def get_password(profile: Profile, interaction: Interaction, environ: Mapping[str, str]) -> str:
    """password_command, then COGNITO_CREDPROC_PASSWORD, then the terminal."""
    if profile.password_command:
        return run_secret_command(profile.password_command, "password_command", profile)
    if environ.get(ENV_PASSWORD):
        return environ[ENV_PASSWORD]
    if not interaction.interactive:
        raise SignInRequired(
            "a password is needed and there is no password_command, "
            f"no {ENV_PASSWORD} and no terminal to ask on",
            profile=profile.name,
            hint=f"run: cognito-credproc login --profile {profile.name} (or set password_command)",
        )
    password = interaction.ask(
        f"Password for {profile.username} (profile {profile.name}): ", secret=True
    )
    if not password:
        raise AuthFailed("no password given", profile=profile.name)
    return password


def get_totp(profile: Profile, interaction: Interaction, label: str) -> str:
    if profile.totp_command:
        return run_secret_command(profile.totp_command, "totp_command", profile).strip()
    return interaction.ask(label).strip()
