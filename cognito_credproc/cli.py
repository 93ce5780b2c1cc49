"""The command line: the commands, and the only place that turns errors into exit codes
and messages.

With no subcommand the tool is a credential_process: exactly one JSON object on stdout.
That run takes a few flags, read by ``plain_run_args`` without argparse: importing it
and building every subcommand's parser would cost the cache hit more than the rest of
its work. Anything else goes to the full parser (``arguments``), which also says what
is wrong.
"""

from __future__ import annotations

import errno
import os
import sys
import time

from .cache import FileCache, default_cache_dir
from .config import Profile, load_profile
from .configfile import ENV_PROFILE, resolve_config_path, resolve_profile_name
from .errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    ConfigError,
    CredprocError,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any, NoReturn

    from .provider import Provider


PROG = "cognito-credproc"
# The command the tool starts itself with (early_refresh); not one for people, so it is
# neither in --help nor among the commands an error lists.
BACKGROUND_REFRESH = "background-refresh"


class PlainArgs:
    """What the full parser makes of a plain run's arguments: the same attributes."""

    def __init__(
        self, command: str | None, profile: str | None, config: str | None, debug: bool | None
    ) -> None:
        self.command = command
        self.profile = profile
        self.config = config
        self.debug = debug


def plain_run_args(argv: Sequence[str]) -> PlainArgs | None:
    """``[credentials] [--profile NAME | -p NAME] [--config PATH] [--debug]`` (also as
    ``--opt=value``, in any order, repeats keeping the last), or the internal
    ``background-refresh`` followed by those flags. None for anything else, which the
    full parser then handles: other commands, --help, abbreviations, values that start
    with '-' or are empty."""
    values: dict[str, str | None] = {"--profile": None, "--config": None}
    command: str | None = None
    debug: bool | None = None  # as argparse leaves it when --debug is not given
    i = 0
    if argv[:1] == [BACKGROUND_REFRESH]:
        command, i = BACKGROUND_REFRESH, 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--debug":
            debug = True
            continue
        if arg == "credentials" and command is None:
            command = arg
            continue
        name, eq, value = arg.partition("=")
        if name == "-p" and not eq:
            name = "--profile"
        if name not in values:
            return None
        if not eq:  # the value is the next argument
            value = argv[i] if i < len(argv) else ""
            i += 1
        if not value or value.startswith("-"):
            return None
        values[name] = value
    return PlainArgs(command, values["--profile"], values["--config"], debug)


class Context:
    """What every command needs: the parsed arguments, the profile, the cache."""

    def __init__(
        self,
        args: Any,
        environ: dict[str, str] | os._Environ[str],
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        """``args``: an argparse.Namespace, or PlainArgs for the plain run."""
        self.args = args
        self.environ = environ
        self.now = now
        # Where the profile's name came from, in words (status says it).
        self.profile_reason: str | None = None
        # The settings file the AWS profile in AWS_PROFILE names on its credential_process
        # line, when it names one.
        self._mapped_config: str | None = None
        if args.profile is None and not environ.get(ENV_PROFILE) and _aws_profile_set(environ):
            from .awsprofile import choose_profile

            choice = choose_profile(None, environ)
            self.profile_name = choice.name
            self.profile_reason = choice.reason
            self._mapped_config = choice.config
        else:
            self.profile_name = resolve_profile_name(args.profile, environ)
        self._config_path: str | None = None
        self._profile: Profile | None = None
        self._cache: FileCache | None = None

    @property
    def config_path(self) -> str:
        if self._config_path is None:
            given = self.args.config if self.args.config is not None else self._mapped_config
            self._config_path = resolve_config_path(given, self.environ)
        return self._config_path

    @property
    def profile(self) -> Profile:
        if self._profile is None:
            try:
                self._profile = load_profile(self.config_path, self.profile_name, self.environ)
            except ConfigError as exc:
                if self.profile_reason is not None and exc.message.startswith("no section"):
                    exc.message += f"; the profile name came {self.profile_reason}"
                raise
        return self._profile

    @property
    def cache(self) -> FileCache:
        if self._cache is None:
            self._cache = FileCache(default_cache_dir(self.environ))
        return self._cache

    def provider(self) -> Provider:
        from .provider import Provider

        return Provider(self.profile, self.cache, now=self.now, environ=self.environ)


def _aws_profile_set(environ: Mapping[str, str]) -> bool:
    return bool(
        environ.get("AWS_PROFILE", "").strip() or environ.get("AWS_DEFAULT_PROFILE", "").strip()
    )


def _write(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def cmd_credentials(ctx: Context) -> int:
    from .output import credential_process_json
    from .store import lookup

    # The hot path: a fresh cache entry is printed without the lock or botocore.
    profile = ctx.profile
    found = lookup(profile, ctx.cache, ctx.now)
    if found is not None and found[1] > profile.refresh_margin:
        creds, left = found
        if ctx.args.debug:
            _debug(
                f"cache hit: credentials valid for {left:.0f} s "
                f"(refresh margin {profile.refresh_margin} s)"
            )
        _write(credential_process_json(creds))
        if left <= profile.refresh_margin + profile.early_refresh:
            from .background import maybe_start_background_refresh

            maybe_start_background_refresh(ctx, profile)
        return EXIT_OK
    if ctx.args.debug:
        left_text = "none cached" if found is None else f"{found[1]:.0f} s left"
        _debug(f"cache miss ({left_text}, refresh margin {profile.refresh_margin} s)")
    _write(credential_process_json(ctx.provider().credentials()))
    return EXIT_OK


def _debug(message: str) -> None:
    import logging  # only with --debug: the hot path does not load logging otherwise

    logging.getLogger("cognito_credproc").debug(message)


def main(argv: Sequence[str] | None = None) -> int:
    _plug_closed_standard_streams()
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list[: args_list.index("--") if "--" in args_list else None]
    ctx: Context | None = None
    try:
        args: Any = plain_run_args(args_list)
        if args is None:
            try:
                from .arguments import build_parser

                args = build_parser().parse_args(args_list)
            except SystemExit as exc:  # --help and --version
                return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
        if args.debug:
            from .redact import enable_debug

            enable_debug()
        ctx = Context(args, os.environ)
        command = args.command or "credentials"
        if _stdout_closed and command in PRINTS_ON_STDOUT:
            raise CredprocError(
                "standard output is closed: there is nowhere to print to",
                hint="run it with its output going to a pipe, a file or the terminal",
            )
        code = COMMANDS[command](ctx)
        sys.stdout.flush()  # a full disk or a closed pipe shows here, not at exit
        return code
    except CredprocError as exc:
        return _fail(exc, ctx)
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _discard_stdout()  # the reader went away: nothing to say, nowhere to say it
        return EXIT_FAILURE
    except OSError as exc:
        if exc.filename is not None or exc.errno not in OUTPUT_ERRNOS:
            return _unexpected(exc, debug)
        # Every file the tool opens is reported where it is used: this is stdout.
        _discard_stdout()
        failed = CredprocError(
            f"cannot write to standard output: {exc.strerror or exc}",
            hint="send the output somewhere with room (a pipe, a file on another disk)",
        )
        return _fail(failed, ctx)
    except UnicodeError as exc:
        failed = CredprocError(
            f"text this terminal's encoding cannot carry ({type(exc).__name__})",
            hint="use a UTF-8 locale, e.g. LANG=C.UTF-8",
        )
        return _fail(failed, ctx)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        return _unexpected(exc, debug)


# The commands whose result is what they print on stdout.
PRINTS_ON_STDOUT = frozenset(
    {"credentials", "status", "token", "env", "doctor", "demo", "completion", "whoami", "devices"}
)
_stdout_closed = False


def _plug_closed_standard_streams() -> None:
    """A closed stdin, stdout or stderr (``>&-``) would hand its descriptor number to the
    next file the tool opens, and what it prints would land in that file: occupy them
    with /dev/null first. Output that cannot be encoded is escaped, not fatal."""
    global _stdout_closed
    for number, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is None:
            try:
                os.fstat(number)
            except OSError:
                fd = os.open(os.devnull, os.O_RDWR)
                if fd != number:
                    os.dup2(fd, number)
                    os.close(fd)
            setattr(sys, name, open(number, "w" if number else "r", closefd=False))  # noqa: SIM115
            if number == 1:
                _stdout_closed = True
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        reconfigure = getattr(stream, "reconfigure", None)
        if encoding != "utf8" and reconfigure is not None:
            reconfigure(errors="backslashreplace")


OUTPUT_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("EPIPE", "ENOSPC", "EIO", "EBADF", "EFBIG", "EDQUOT", "EINVAL")
    if hasattr(errno, name)
)


def _discard_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush at exit does not fail
    again (which would print "Exception ignored" and exit 120)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _unexpected(exc: BaseException, debug: bool) -> int:
    if debug:
        import traceback

        from .redact import printable, redact

        for line in traceback.format_exception(exc):
            sys.stderr.write(printable(redact(line.rstrip("\n"))) + "\n")
    name = type(exc).__name__
    sys.stderr.write(f"{PROG}: unexpected error ({name}); run again with --debug for details\n")
    return EXIT_FAILURE


def run() -> NoReturn:
    """The ``cognito-credproc`` command (and ``python -m cognito_credproc``): ``main()``,
    then exit with its code.

    After the plain run (the credential_process one) everything is on disk, the lock is
    released and stdout is flushed; the interpreter's own teardown, which frees every
    module and object one by one, would add about a fifth to a cache hit, so there the
    process ends at once (``os._exit``). Other commands exit the ordinary way."""
    argv = sys.argv[1:]
    code = main(argv)
    if plain_run_args(argv) is None:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a reader that went away (EPIPE), a closed stream
            code = code or EXIT_FAILURE
    os._exit(code)


def _about_one_profile(ctx: Context) -> bool:
    return ctx.args.command != "demo" and not getattr(ctx.args, "all", False)


def _fail(exc: CredprocError, ctx: Context | None) -> int:
    """The one place that prints an error, and returns its exit code: it names the
    profile it is about, secrets are redacted (the client secret too) and control
    characters escaped, so a service's message cannot drive the terminal."""
    from .redact import printable, redact, register_secret

    if exc.profile is None and ctx is not None and _about_one_profile(ctx):
        exc.profile = ctx.profile_name
    if ctx is not None and ctx._profile is not None:
        register_secret(ctx._profile.app_client_secret)
    exc.message = printable(exc.message)
    if exc.hint is not None:
        exc.hint = printable(exc.hint)
    try:
        sys.stderr.write(f"{PROG}: {redact(str(exc))}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr itself is gone: the exit code says it
    return exc.exit_code


def _lazy(module: str, name: str) -> Callable[[Context], int]:
    def run(ctx: Context) -> int:
        import importlib

        handler: Callable[[Context], int] = getattr(
            importlib.import_module(f"cognito_credproc.{module}"), name
        )
        return handler(ctx)

    return run


COMMANDS: dict[str, Callable[[Context], int]] = {
    "credentials": cmd_credentials,
    "login": _lazy("commands", "cmd_login"),
    "logout": _lazy("commands", "cmd_logout"),
    "status": _lazy("status", "cmd_status"),
    "token": _lazy("commands", "cmd_token"),
    "env": _lazy("commands", "cmd_env"),
    "exec": _lazy("commands", "cmd_exec"),
    "serve": _lazy("serve", "cmd_serve"),
    "clear": _lazy("commands", "cmd_clear"),
    "configure": _lazy("configure", "cmd_configure"),
    "doctor": _lazy("doctor", "cmd_doctor"),
    "demo": _lazy("demo", "cmd_demo"),
    "console": _lazy("console", "cmd_console"),
    "completion": _lazy("completion", "cmd_completion"),
    "background-refresh": _lazy("background", "cmd_background_refresh"),
    # account self-service (account/)
    "password": _lazy("account.password", "cmd_password"),
    "signup": _lazy("account.signup", "cmd_signup"),
    "mfa": _lazy("account.mfa", "cmd_mfa"),
    "devices": _lazy("account.devices", "cmd_devices"),
    "whoami": _lazy("account.whoami", "cmd_whoami"),
}
