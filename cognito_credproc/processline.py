"""The profile's credential_process line, as ``doctor`` checks it: split and read as
the AWS CLI reads it (which tool, profile and settings file it names, where the
command is found), then run as botocore runs it, its output checked as the SDKs
check it."""

from __future__ import annotations

import calendar
import json
import os
import shutil
import subprocess
import time
from typing import TYPE_CHECKING

from .errors import CredprocError
from .launch import SCRIPT_NAME, command_line, tool_argv
from .platform import current

if TYPE_CHECKING:
    from collections.abc import Callable

    from .cli import Context
    from .doctor import Report

# botocore refreshes credentials that have less than this left (advisory window).
SDK_ADVISORY_SECONDS = 15 * 60


def run_like_botocore(
    argv: list[str], env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a command as botocore runs credential_process: stdout and stderr piped,
    nothing on stdin, and (here) no controlling terminal, so nothing can prompt."""
    from .launch import run

    return run(
        argv,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        **current().no_terminal_options(),
    )


def _parse_output(stdout: str) -> dict[str, object] | None:
    try:
        data = json.loads(stdout)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("Version") != 1:
        return None
    keys = ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")
    if not all(isinstance(data.get(key), str) and data[key] for key in keys):
        return None
    return data


def config_args(ctx: Context) -> list[str]:
    """The --config the helper must be run with: the one given to this run, absolute."""
    return ["--config", os.path.abspath(ctx.args.config)] if ctx.args.config else []


def _named_options(args: list[str]) -> dict[str, str]:
    """The --profile and --config values a command line gives the tool, as argparse
    reads them (the last one wins; ``--opt=value``, ``-pNAME`` forms too)."""
    found: dict[str, str] = {}
    rest = iter(args)
    for arg in rest:
        if arg == "--":
            break
        for option, short in (("--profile", "-p"), ("--config", None)):
            if arg == option or (short is not None and arg == short):
                value = next(rest, None)
                if value is not None:
                    found[option] = value
            elif arg.startswith(option + "="):
                found[option] = arg.split("=", 1)[1]
            elif short is not None and arg.startswith(short) and not arg.startswith("--"):
                found[option] = arg[len(short) :]
    return found


# Interpreter options that take a value (``-W error``, ``-Wend``, ``-X dev``).
PYTHON_OPTIONS_WITH_VALUE = "WX"
PYTHON_LONG_OPTIONS_WITH_VALUE = ("--check-hash-based-pycs",)
# -I (isolated) and -P (3.11+) keep the working directory off ``sys.path``.
PYTHON_SAFE_PATH_OPTIONS = "IP"


def _python_module(argv: list[str]) -> tuple[str | None, bool]:
    """The module an interpreter's command line runs with ``-m``, as the interpreter
    reads its options (``-mNAME``, ``-u -m NAME``, ``-Bm NAME``), and whether an option
    keeps the working directory off ``sys.path``. The tool's own script has neither."""
    isolated = False
    if os.path.basename(argv[0]).lower().startswith(SCRIPT_NAME):
        return None, isolated
    rest = iter(argv[1:])
    for arg in rest:
        if arg in ("-", "--") or not arg.startswith("-"):
            break  # a script, stdin or the end of the options: no module
        if arg.startswith("--"):
            if arg in PYTHON_LONG_OPTIONS_WITH_VALUE:
                next(rest, None)
            continue  # --version, --help and the like
        for index, letter in enumerate(arg[1:], start=1):
            value = arg[index + 1 :]
            if letter in PYTHON_SAFE_PATH_OPTIONS:
                isolated = True
            elif letter == "c":
                return None, isolated
            elif letter == "m":
                return value or next(rest, None), isolated
            elif letter in PYTHON_OPTIONS_WITH_VALUE:
                if not value:
                    next(rest, None)
                break
    return None, isolated


def _is_this_package(module: str | None) -> bool:
    return module is not None and module.split(".", 1)[0] == "cognito_credproc"


def _runs_this_tool(argv: list[str]) -> bool:
    if os.path.basename(argv[0]).lower().startswith(SCRIPT_NAME):
        return True
    # an interpreter: ``python -m cognito_credproc`` or the bootstrap ``python -c ...``
    module, _ = _python_module(argv)
    return _is_this_package(module) or any("cognito_credproc" in part for part in argv[1:3])


def check_process_line(
    report: Report, ctx: Context, line: str | None, where: str
) -> list[str] | None:
    """Check the credential_process line as the AWS CLI will use it. Returns the argv to
    run, or None when the line cannot run this tool or fails a check: a line that was
    just called unsafe (``python -m``, a command found in the working directory) is
    never run, since running it would do the harm it was flagged for."""
    from .configfile import resolve_config_path, resolve_profile_name

    name = ctx.profile_name
    wanted = command_line([*tool_argv(), *config_args(ctx), "--profile", name])
    fix = f"set credential_process = {wanted} in {where}"
    if not line or not line.strip():
        report.fail(
            f"{where} has no credential_process = cognito-credproc",
            f"cognito-credproc configure --profile {name}",
        )
        return None
    try:
        argv = current().split_like_botocore(line)
    except ValueError as exc:
        report.fail(f"{where} credential_process cannot be split into words: {exc}", fix)
        return None
    if not argv:
        report.fail(f"{where} credential_process is empty", fix)
        return None
    if not _runs_this_tool(argv):
        report.fail(f"{where} credential_process runs {argv[0]}, not cognito-credproc", fix)
        return None
    problems = 0
    module, isolated = _python_module(argv)
    if _is_this_package(module) and not isolated:
        problems += 1
        report.fail(
            f"{where} credential_process runs 'python -m cognito_credproc', which imports "
            "the tool from whatever directory the SDK runs in",
            fix,
        )
    options = _named_options(argv[1:])
    environ = dict(ctx.environ)
    try:
        runs = resolve_profile_name(options.get("--profile"), environ)
    except CredprocError:
        runs = options.get("--profile", "")
    if runs != name:
        problems += 1
        report.fail(f"{where} credential_process runs profile {runs!r}, not {name!r}", fix)
    else:
        theirs = options.get("--config")
        their_path = os.path.abspath(
            os.path.expanduser(theirs or resolve_config_path(None, environ))
        )
        ours = os.path.abspath(ctx.config_path)
        if not current().same_path(their_path, ours):
            problems += 1
            report.fail(
                f"{where} credential_process reads settings from {their_path}, not {ours}", fix
            )
    command = argv[0]
    if os.sep not in command and not (os.altsep and os.altsep in command):
        found = shutil.which(command, path=environ.get("PATH", os.defpath))
        if found is None:
            report.fail(f"{where} runs {command}, which is not on PATH", fix)
            return None
        if not os.path.isabs(found):
            # an empty or relative PATH entry: the command is looked up in whatever
            # directory the SDK runs in
            report.fail(
                f"{where} runs {command}, which PATH finds at {found}, a path relative to "
                "whatever directory the SDK runs in",
                fix,
            )
            return None
        relative = _relative_entry_before(environ.get("PATH", os.defpath), found)
        if relative is not None:
            # found elsewhere here, but run from a directory holding a command of that
            # name, the SDK would run that one
            report.fail(
                f"{where} runs {command} through a PATH whose entry {relative!r} comes before "
                f"{os.path.dirname(found)} and is looked up in whatever directory the SDK "
                "runs in",
                fix,
            )
            return None
        if problems:
            return None
        report.warn(
            f"{where} finds {command} through PATH ({found}); IDEs and GUI apps often start "
            "with another PATH and would not find it",
            fix,
        )
        return argv
    if not os.path.isabs(command):
        report.fail(
            f"{where} runs {command}, a path relative to whatever directory the SDK runs in",
            fix,
        )
        return None
    if not os.path.isfile(command):
        report.fail(f"{where} runs {command}, which does not exist", fix)
        return None
    if not os.access(command, os.X_OK):
        report.fail(f"{where} runs {command}, which is not executable", f"chmod +x {command}")
        return None
    if problems:
        return None
    report.ok(f"{where} runs: {line.strip()}")
    return argv


# Windows: the SDKs that run credential_process through cmd.exe /C.
SHELL_SDKS = "the Go, Java, Rust and .NET SDKs run it so"


def run_through_shell(report: Report, ctx: Context, line: str, env: dict[str, str]) -> None:
    """Where some SDKs run the line another way than botocore (Windows: through
    ``cmd.exe /C``), run it that way too and check that it prints credentials."""
    try:
        ran = current().run_through_shell(line, env, 120)
    except subprocess.TimeoutExpired:
        report.fail("the line did not finish within 120 s through the shell", "run it with --debug")
        return
    except OSError as exc:
        report.fail(f"cannot run the shell: {exc.strerror or exc}", "run it with --debug")
        return
    if ran is None:
        return
    how, done = ran
    if done.returncode == 0 and _parse_output(done.stdout) is not None:
        report.ok(f"{how} runs the line too ({SHELL_SDKS})")
        return
    said = done.stderr.strip().splitlines()
    why = said[0] if said else f"exit {done.returncode}, no credential_process JSON"
    name = ctx.profile_name
    wanted = command_line([*tool_argv(), *config_args(ctx), "--profile", name])
    fix = f"cognito-credproc configure --profile {name} --force"
    if current().line_problems(wanted):
        fix = (
            "install cognito-credproc where its path has no spaces (this drive has no 8.3 "
            f"short names for it), then: {fix}"
        )
    report.fail(f"{how} cannot run the line ({SHELL_SDKS}): {why}", fix)


def _relative_entry_before(path: str, found: str) -> str | None:
    """A PATH entry that is empty or relative (so, the working directory or one below it)
    and comes before the directory ``found`` is in; None when there is none."""
    home = os.path.dirname(found)
    for entry in path.split(os.pathsep):
        if not entry or not os.path.isabs(entry):
            return entry or "(empty)"
        if current().same_path(os.path.normpath(entry), os.path.normpath(home)):
            return None
    return None


def run_process_line(
    report: Report,
    argv: list[str],
    env: dict[str, str],
    now: Callable[[], float] = time.time,
    *,
    configured: bool = True,
) -> None:
    """Run the command as the AWS CLI does and check what it prints (how long its
    credentials have left is judged by ``now``, this machine's clock, as the SDKs judge it).
    ``configured``: ``argv`` is the profile's own line (else the tool's own command, run
    instead of a line that failed a check)."""
    started = time.monotonic()
    try:
        done = run_like_botocore(argv, env)
    except subprocess.TimeoutExpired:
        report.fail("the helper did not finish within 120 s", "run it with --debug")
        return
    except OSError as exc:
        report.fail(f"cannot run {argv[0]}: {exc.strerror}", "fix the credential_process line")
        return
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()
        report.fail(
            f"the helper failed (exit {done.returncode}): {message[0] if message else ''}",
            " ".join(message[1:]).replace("next:", "").replace("run:", "").strip()
            or "run it with --debug",
        )
        return
    data = _parse_output(done.stdout)
    if data is None:
        report.fail(
            "the helper's output is not credential_process JSON",
            "run it with --debug and report the problem",
        )
        return
    which = "the helper" if configured else "the tool's own command"
    report.ok(f"{which} printed credential_process JSON ({elapsed * 1000:.0f} ms)")
    expiration = str(data["Expiration"])
    try:
        left = calendar.timegm(time.strptime(expiration, "%Y-%m-%dT%H:%M:%SZ")) - now()
    except ValueError:
        report.fail(
            f"Expiration {expiration} is not a UTC time like 2026-01-01T00:00:00Z",
            "report this as a bug",
        )
        return
    if left <= SDK_ADVISORY_SECONDS:
        report.fail(
            f"credentials expire in {left:.0f} s, inside the SDKs' 15-minute "
            "refresh window (the SDK would call the helper on every request)",
            "keep refresh_margin at 900 or more",
        )
    else:
        report.ok(f"Expiration {expiration} is UTC, {left / 60:.0f} min away")
