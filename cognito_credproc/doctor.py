"""``doctor``: check what usually goes wrong, one line of report each: the settings,
the profile's credential_process line run as botocore runs it (``processline``), the
AWS files and environment, regions, the browser sign-in's setup, the cache, the clock."""

from __future__ import annotations

import configparser
import os
import sys
import time
from typing import TYPE_CHECKING

from .cache import CacheDirError
from .errors import EXIT_FAILURE, EXIT_OK, CredprocError
from .launch import tool_argv
from .platform import current
from .processline import check_process_line, config_args, run_process_line, run_through_shell
from .store import Store

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .cli import Context
    from .config import Profile

SKEW_LIMIT_SECONDS = 5 * 60


class Report:
    """The lines doctor prints: ok, FAIL with the fix, warn with the fix."""

    def __init__(self) -> None:
        self.failed = 0

    def ok(self, text: str) -> None:
        sys.stdout.write(f"ok    {_shown(text)}\n")

    def fail(self, text: str, fix: str) -> None:
        self.failed += 1
        sys.stdout.write(f"FAIL  {_shown(text)}\n      fix: {_shown(fix)}\n")

    def warn(self, text: str, fix: str) -> None:
        sys.stdout.write(f"warn  {_shown(text)}\n      fix: {_shown(fix)}\n")

    def note(self, text: str) -> None:
        sys.stdout.write(f"      {_shown(text)}\n")


def _shown(text: str) -> str:
    """No secret, and no control character from a service or a file, reaches the terminal."""
    from .redact import printable, redact

    return printable(redact(text))


def _aws_file(report: Report, path: str, *, config: bool) -> dict[str, dict[str, str]]:
    """The profiles of the AWS config file (``config``) or credentials file as botocore
    reads them: parsed strictly (a repeated section or key stops the AWS CLI), profile
    names from ``[profile NAME]`` and ``[default]`` in the config file, section names in
    the credentials file. A file the AWS CLI cannot parse is reported; it, and one that
    is not a regular file, reads as empty."""
    from botocore.configloader import build_profile_map

    from .inifile import BOM, ForeignFile, read_regular_file

    try:
        text = read_regular_file(path)
    except ForeignFile as exc:
        report.fail(
            f"{exc.message}, who can change the commands the AWS CLI runs from it",
            f"remove {path}, or set AWS_CONFIG_FILE to a file of your own",
        )
        return {}
    except CredprocError:  # not a regular file: botocore finds no profiles there either
        return {}
    if text.startswith(BOM):
        report.fail(
            f"{path} starts with a byte-order mark, so the AWS CLI cannot read it",
            f"save {path} as UTF-8 without a byte-order mark",
        )
        return {}
    parser = configparser.RawConfigParser()  # botocore's: strict, no interpolation
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        report.fail(
            f"the AWS CLI cannot read {path}: {' '.join(str(exc).split())[:200]}",
            f"fix {path}",
        )
        return {}
    sections = {name: dict(parser.items(name)) for name in parser.sections()}
    if not config:
        return sections
    profiles: dict[str, dict[str, str]] = build_profile_map(sections)["profiles"]
    return profiles


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
        readers = current().readable_by_others(profile.source, directory=False)
        if readers is not None:
            report.fail(
                f"settings file {profile.source} holds app_client_secret and other users can "
                f"read it ({readers})",
                current().fix_private(profile.source, directory=False),
            )

    # 1. the profile's own credential_process line, checked, then run as the AWS CLI
    #    runs it: split as botocore splits it, the same environment, no shell
    aws_config = os.path.expanduser(ctx.environ.get("AWS_CONFIG_FILE") or "~/.aws/config")
    aws_section = "default" if name == "default" else f"profile {name}"
    line = _aws_file(report, aws_config, config=True).get(name, {}).get("credential_process")
    argv = check_process_line(report, ctx, line, f"{aws_config} [{aws_section}]")
    checked = argv is not None
    if argv is None:
        # Nothing of ours to run, or a line that failed a check and must not run (it
        # could import or run another user's code): still find out whether the profile
        # itself works, with the tool's own command.
        if line and line.strip():
            report.note("that line was not run; the profile is checked with the tool's own command")
        argv = [*tool_argv(), *config_args(ctx), "--profile", name]
    env = dict(ctx.environ)
    if profile.browser:
        # Checking must not open a browser tab: without one the helper says what to run.
        for name_of_var in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY"):
            env.pop(name_of_var, None)
    run_process_line(report, argv, env, ctx.now, configured=checked)
    if checked and line:
        # Windows: as the SDKs that go through cmd.exe /C run it, too.
        run_through_shell(report, ctx, line, env)

    # 2. nothing the SDKs look at first: keys in the shared credentials file or the
    #    environment
    creds_file = os.path.expanduser(
        ctx.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    )
    shared = _aws_file(report, creds_file, config=False)
    if "aws_access_key_id" in shared.get(name, {}):
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
    mismatch = region_mismatch(profile)
    if mismatch is None:
        report.ok(regions_line(profile))
    else:
        report.warn(mismatch, "set region to the user pool's region, or remove it")

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
        exists = os.path.lexists(directory)
    except CacheDirError as exc:
        report.fail(exc.message, exc.hint or f"set COGNITO_CREDPROC_CACHE_DIR for {name}")
    else:
        readers = current().readable_by_others(directory, directory=True) if exists else None
        if not exists:
            report.warn(f"cache directory {directory} does not exist yet", "run the helper once")
        elif readers is not None:
            report.fail(
                f"cache directory {directory} is not private ({readers})",
                current().fix_private(directory, directory=True),
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
    skew = measure_skew(profile, ctx.now)
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


def region_mismatch(profile: Profile) -> str | None:
    """What disagrees when the user pool is not in the region its calls go to; else None.
    The identity pool is always asked in the region its own id names, so an identity pool
    in another region than the user pool is a working setup, not a mismatch."""
    if not profile.user_pool_id:
        return None
    pool_region = profile.user_pool_id.split("_", 1)[0]
    if pool_region == profile.region:
        return None
    return (
        f"region is {profile.region}, but user pool {profile.user_pool_id} is in "
        f"{pool_region}: its calls would go to {profile.region}"
    )


def regions_line(profile: Profile) -> str:
    """Where the calls go, when they all go where the pools are."""
    line = f"region {profile.region} matches the pool ids"
    if profile.identity_region != profile.region:
        line += f" (identity pool {profile.identity_pool_id} is asked in {profile.identity_region})"
    return line


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


def measure_skew(profile: Profile, now: Callable[[], float] = time.time) -> float | None:
    """One harmless unsigned call, for the service's Date header (against ``now``)."""
    from .aws import Clients, probe

    clients = Clients(profile, now)
    try:
        pool_client = profile.app_client_id and profile.user_pool_id
        probe(clients, profile, "app_client" if pool_client else "identity_pool")
    except CredprocError:
        return None  # unreachable: reported as unmeasured
    return clients.skew.seconds if clients.skew.measured else None
