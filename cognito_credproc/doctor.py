"""``doctor``: run the helper the way botocore does and check what usually goes wrong."""

from __future__ import annotations

import calendar
import configparser
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from .cache import CacheDirError
from .errors import EXIT_FAILURE, EXIT_OK, CredprocError
from .launch import SCRIPT_NAME, command_line, tool_argv
from .store import Store

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .cli import Context
    from .config import Profile

# botocore refreshes credentials that have less than this left (advisory window).
SDK_ADVISORY_SECONDS = 15 * 60
SKEW_LIMIT_SECONDS = 5 * 60


def run_like_botocore(
    argv: list[str], env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a command as botocore runs credential_process: stdout and stderr piped,
    nothing on stdin, and (here) no controlling terminal, so nothing can prompt."""
    return subprocess.run(
        argv,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        timeout=timeout,
        check=False,
    )


class Report:
    def __init__(self) -> None:
        self.failed = 0

    def ok(self, text: str) -> None:
        sys.stdout.write(f"ok    {_shown(text)}\n")

    def fail(self, text: str, fix: str) -> None:
        self.failed += 1
        sys.stdout.write(f"FAIL  {_shown(text)}\n      fix: {_shown(fix)}\n")

    def warn(self, text: str, fix: str) -> None:
        sys.stdout.write(f"warn  {_shown(text)}\n      fix: {_shown(fix)}\n")


def _shown(text: str) -> str:
    """No secret, and no control character from a service or a file, reaches the terminal."""
    from .redact import printable, redact

    return printable(redact(text))


def _aws_profiles(path: str) -> configparser.RawConfigParser | None:
    from .inifile import read_regular_file

    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(read_regular_file(path), source=path)
    except (CredprocError, configparser.Error):
        return None
    return parser


def cmd_doctor(ctx: Context) -> int:
    report = Report()
    name = ctx.profile_name
    try:
        profile = ctx.profile
    except CredprocError as exc:
        # Every bad key at once, checked by its row in the settings table.
        problems = _section_problems(ctx.config_path, name)
        for key, problem in problems:
            report.fail(f"settings: [{name}] {key}: {problem}", f"edit {ctx.config_path}")
        if not problems:
            report.fail(f"settings: {exc.message}", exc.hint or "fix the settings file")
        return EXIT_FAILURE
    report.ok(f"settings: profile {name} in {profile.source}")
    if profile.app_client_secret:
        try:
            mode = os.stat(profile.source).st_mode
        except OSError:
            mode = 0
        if mode & 0o044:
            report.fail(
                f"settings file {profile.source} holds app_client_secret and other users can "
                f"read it ({stat.filemode(mode)})",
                f"chmod 600 {profile.source}",
            )

    # 1. the profile's own credential_process line, checked, then run as the AWS CLI
    #    runs it: split as botocore splits it, the same environment, no shell
    aws_config = os.path.expanduser(ctx.environ.get("AWS_CONFIG_FILE") or "~/.aws/config")
    aws_section = "default" if name == "default" else f"profile {name}"
    parsed = _aws_profiles(aws_config)
    line = parsed.get(aws_section, "credential_process", fallback=None) if parsed else None
    argv = check_process_line(report, ctx, line, f"{aws_config} [{aws_section}]")
    if argv is None:
        # Nothing of ours to run: still find out whether the profile itself works.
        argv = [*tool_argv(), *_config_args(ctx), "--profile", name]
    env = dict(ctx.environ)
    if profile.browser:
        # Checking must not open a browser tab: without one the helper says what to run.
        for name_of_var in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY"):
            env.pop(name_of_var, None)
    run_process_line(report, argv, env)

    creds_file = os.path.expanduser(
        ctx.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    )
    shared = _aws_profiles(creds_file)
    if shared is not None and shared.has_option(name, "aws_access_key_id"):
        report.fail(
            f"{creds_file} [{name}] has keys, which the SDKs use before credential_process",
            f"remove the [{name}] section from {creds_file}",
        )
    else:
        report.ok(f"{creds_file} does not shadow the profile")
    if ctx.environ.get("AWS_ACCESS_KEY_ID"):
        report.fail(
            "AWS_ACCESS_KEY_ID is set in the environment: the SDKs use it instead of "
            "the profile's credential_process",
            "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN",
        )
    else:
        report.ok("no AWS_ACCESS_KEY_ID in the environment")

    # 3. the ids agree on the region
    regions = {profile.region, profile.identity_region}
    if profile.user_pool_id:
        regions.add(profile.user_pool_id.split("_", 1)[0])
    if len(regions) == 1:
        report.ok(f"region {profile.region} matches the pool ids")
    else:
        report.warn(
            f"regions differ: region {profile.region}, pools in {', '.join(sorted(regions))}",
            "set region to the user pool's region unless you know better",
        )

    # 3b. browser sign-in: the domain or issuer answers; the redirect port is free
    if profile.browser:
        for ok, text, fix in browser_checks(profile, ctx.environ):
            if ok:
                report.ok(text)
            else:
                report.fail(text, fix)

    # 4. the cache (the same checks as every cache access: on descriptors, parents too)
    directory = ctx.cache.directory
    try:
        ctx.cache.check_directory()
        info = os.lstat(directory)
    except CacheDirError as exc:
        report.fail(exc.message, exc.hint or f"set COGNITO_CREDPROC_CACHE_DIR for {name}")
    except FileNotFoundError:
        report.warn(f"cache directory {directory} does not exist yet", "run the helper once")
    else:
        if info.st_mode & 0o077:
            report.fail(
                f"cache directory {directory} is not private ({stat.filemode(info.st_mode)})",
                f"chmod 700 {directory}",
            )
        else:
            report.ok(f"cache directory {directory} is private")
    if not profile.unauthenticated:
        tokens = Store(profile, ctx.cache).tokens()
        if tokens is not None and tokens.refresh_token:
            report.ok("a refresh token is cached: no password needed until it expires")
        else:
            report.fail("no refresh token is cached", f"cognito-credproc login --profile {name}")

    # 5. the clock
    skew = measure_skew(profile)
    if skew is None:
        report.warn("could not measure clock skew (no answer from Cognito)", "check the network")
    elif abs(skew) > SKEW_LIMIT_SECONDS:
        report.fail(
            f"this machine's clock is {-skew:+.0f} s off Cognito's",
            "enable time synchronisation (NTP)",
        )
    else:
        report.ok(f"clock within {abs(skew):.0f} s of Cognito's")
    return EXIT_OK if report.failed == 0 else EXIT_FAILURE


def _section_problems(path: str, name: str) -> list[tuple[str, str]]:
    from .config import section_problems
    from .configfile import read_config_file

    try:
        parser = read_config_file(path)
    except CredprocError:
        return []  # the file itself is the problem; its message says so
    if not parser.has_section(name):
        return []
    return section_problems(dict(parser.items(name)))


def browser_checks(
    profile: Profile, environ: Mapping[str, str], *, port: bool = True
) -> list[tuple[bool, str, str]]:
    """The browser sign-in's setup: the domain or issuer answers; the port is free."""
    from .aws import Clients
    from .prompt import NoTerminal
    from .signin.browser import browser_sign_in

    method = browser_sign_in(
        profile,
        Clients(profile),
        NoTerminal(profile.name),
        environ=environ,
        now=time.time,
        register_secret=lambda _s: None,
        no_browser=True,
    )
    return method.check_setup(port=port)


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


def measure_skew(profile: Profile) -> float | None:
    """One harmless unsigned call, for the service's Date header."""
    from .aws import Clients, probe

    clients = Clients(profile)
    try:
        pool_client = profile.app_client_id and profile.user_pool_id
        probe(clients, profile, "app_client" if pool_client else "identity_pool")
    except CredprocError:
        return None  # unreachable: reported as unmeasured
    return clients.skew.seconds if clients.skew.measured else None


def _config_args(ctx: Context) -> list[str]:
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


def _runs_this_tool(argv: list[str]) -> bool:
    if os.path.basename(argv[0]).lower().startswith(SCRIPT_NAME):
        return True
    # an interpreter: ``python -m cognito_credproc`` or the bootstrap ``python -c ...``
    return any("cognito_credproc" in part for part in argv[1:3])


def check_process_line(
    report: Report, ctx: Context, line: str | None, where: str
) -> list[str] | None:
    """Check the credential_process line as the AWS CLI will use it. Returns the argv to
    run, or None when the line cannot run this tool."""
    from botocore.compat import compat_shell_split

    from .configfile import resolve_config_path, resolve_profile_name

    name = ctx.profile_name
    wanted = command_line([*tool_argv(), *_config_args(ctx), "--profile", name])
    fix = f"set credential_process = {wanted} in {where}"
    if not line or not line.strip():
        report.fail(
            f"{where} has no credential_process = cognito-credproc",
            f"cognito-credproc configure --profile {name}",
        )
        return None
    try:
        argv: list[str] = compat_shell_split(line)
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
    if argv[1:3] == ["-m", "cognito_credproc"]:
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
        if their_path != ours:
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
    if not problems:
        report.ok(f"{where} runs: {line.strip()}")
    return argv


def run_process_line(report: Report, argv: list[str], env: dict[str, str]) -> None:
    """Run the command as the AWS CLI does and check what it prints."""
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
    report.ok(f"the helper printed credential_process JSON ({elapsed * 1000:.0f} ms)")
    expiration = str(data["Expiration"])
    try:
        left = calendar.timegm(time.strptime(expiration, "%Y-%m-%dT%H:%M:%SZ")) - time.time()
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
