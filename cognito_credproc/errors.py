"""Errors the tool reports, each with the exit code the command line returns.

    CredprocError                 exit 1 unless a subclass says otherwise
    ├── ConfigError               exit 2: bad or missing settings, bad arguments
    ├── SignInRequired            exit 1: a person must sign in (no password source, no terminal)
    ├── AuthFailed                exit 1: Cognito refused the password, code or token
    ├── ServiceError              exit 1: Cognito or STS failed, or could not be reached
    │   └── ServiceUnreachable    exit 1: a sign-in service did not answer at all
    ├── LockTimeout               exit 1: another process held the profile's lock too long
    ├── ParentGone                exit 1: the program that started the helper exited meanwhile
    ├── CannotRun                 exit 126: exec's command could not be started
    │   └── CommandNotFound       exit 127: exec's command does not exist
    └── Aborted                   exit 130: the person pressed Ctrl-C at a prompt

Every message names the profile, says what went wrong and, where there is one,
the next command to run; an error about one setting names it (``setting``), so that
``configure`` can ask for it again. ``cli.main`` is the only place that prints them.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
# exec's command could not be started: the codes a shell gives (and env, nohup, timeout).
EXIT_CANNOT_RUN = 126
EXIT_NOT_FOUND = 127
EXIT_INTERRUPTED = 130


class CredprocError(Exception):
    """Base class: a failure the user can act on."""

    exit_code = EXIT_FAILURE

    def __init__(
        self,
        message: str,
        *,
        profile: str | None = None,
        hint: str | None = None,
        setting: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.profile = profile
        self.hint = hint
        # the settings key whose value is at fault, where it is one key's
        self.setting = setting

    def __str__(self) -> str:
        where = f"profile {self.profile}: " if self.profile else ""
        text = f"{where}{self.message}"
        if self.hint:
            # "run: COMMAND" hints stand as they are; others read as the next step.
            text += f"\n  {self.hint}" if self.hint.startswith("run:") else f"\n  next: {self.hint}"
        return text


class ConfigError(CredprocError):
    """The settings or the command line are wrong."""

    exit_code = EXIT_USAGE


class SignInRequired(CredprocError):
    """A person has to sign in, and nobody is there to ask."""


class AuthFailed(CredprocError):
    """Cognito refused what was offered (password, code, refresh token)."""


class ServiceError(CredprocError):
    """An AWS service failed, answered nonsense, or could not be reached."""


class ServiceUnreachable(ServiceError):
    """No answer at all (connection refused, DNS, timeout, TLS): not a refusal."""


class LockTimeout(CredprocError):
    """Another process held the lock for longer than lock_timeout."""


class ParentGone(CredprocError):
    """The program that started this process exited while it waited (see parentwatch)."""


class CannotRun(CredprocError):
    """exec's command exists but could not be started (not executable, not a program)."""

    exit_code = EXIT_CANNOT_RUN


class CommandNotFound(CannotRun):
    """exec's command is not on PATH, or not at the path given."""

    exit_code = EXIT_NOT_FOUND


def cannot_run(command: str, exc: OSError) -> CannotRun:
    """The error for a command that ``exec`` could not start."""
    if isinstance(exc, FileNotFoundError):
        return CommandNotFound(f"command not found: {command}")
    return CannotRun(f"cannot run {command}: {exc.strerror or type(exc).__name__}")


class Aborted(CredprocError):
    """The person interrupted a prompt."""

    exit_code = EXIT_INTERRUPTED
