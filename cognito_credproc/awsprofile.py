"""Which profile a run is about, and why: ``--profile``, ``COGNITO_CREDPROC_PROFILE``, then
the AWS CLI's own ``AWS_PROFILE`` and ``AWS_DEFAULT_PROFILE``, else ``default``.

An AWS profile need not share its name with this tool's: ``[profile foo]`` in
``~/.aws/config`` may run ``cognito-credproc --profile bar``. ``AWS_PROFILE=foo`` then
means this tool's profile ``bar`` (and the settings file that line names), which is what
the SDK would run for foo. Only runs without ``--profile`` get here: the credential_process
run's own ``--profile`` always wins over the ``AWS_PROFILE`` the SDK passes on to it, and
its cache hit reads no AWS file.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping

from ._record import record
from .configfile import DEFAULT_PROFILE, ENV_PROFILE, check_profile_name
from .errors import CredprocError

AWS_PROFILE_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")


@record
class ProfileChoice:
    """The profile a run uses, the settings file its AWS profile names (if any), and
    where the name came from, in words for ``status``."""

    name: str
    reason: str
    config: str | None = None


def choose_profile(cli_value: str | None, environ: Mapping[str, str]) -> ProfileChoice:
    if cli_value is not None:
        return ProfileChoice(check_profile_name(cli_value), "from --profile")
    if environ.get(ENV_PROFILE):
        return ProfileChoice(check_profile_name(environ[ENV_PROFILE]), f"from {ENV_PROFILE}")
    for variable in AWS_PROFILE_VARIABLES:
        aws_name = environ.get(variable, "").strip()
        if aws_name:
            return _through_aws_config(variable, aws_name, environ)
    return ProfileChoice(DEFAULT_PROFILE, "the default (no --profile, no profile variable set)")


def aws_config_path(environ: Mapping[str, str]) -> str:
    return os.path.expanduser(environ.get("AWS_CONFIG_FILE") or "~/.aws/config")


def _through_aws_config(variable: str, aws_name: str, environ: Mapping[str, str]) -> ProfileChoice:
    given = f"from {variable}={aws_name}"
    path = aws_config_path(environ)
    line = credential_process_line(path, aws_name)
    options = _our_options(line) if line else None
    if options is None:  # no such AWS profile, or one that runs something else
        return ProfileChoice(check_profile_name(aws_name), given)
    name = options.get("--profile") or aws_name
    config = options.get("--config")
    if name == aws_name and config is None:
        return ProfileChoice(check_profile_name(aws_name), given)
    section = "default" if aws_name == "default" else f"profile {aws_name}"
    via = f"--profile {name}" + (f" --config {config}" if config else "")
    return ProfileChoice(
        check_profile_name(name),
        f"{given}, whose credential_process in {path} [{section}] runs {via}",
        config=os.path.expanduser(config) if config else None,
    )


def credential_process_line(path: str, aws_name: str) -> str | None:
    """The credential_process of AWS profile ``aws_name`` in the AWS config file, if any.
    A file that cannot be read or parsed maps nothing: the name is then taken as it is."""
    from .inifile import read_regular_file

    section = "default" if aws_name == "default" else f"profile {aws_name}"
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(read_regular_file(path), source=path)
    except (CredprocError, configparser.Error):
        return None
    value = parser.get(section, "credential_process", fallback=None)
    return value.strip() if value else None


def _our_options(line: str) -> dict[str, str] | None:
    """The --profile and --config a credential_process line gives this tool, or None when
    the line runs another program (or cannot be split)."""
    from .processline import _named_options, _runs_this_tool

    try:
        argv = split_command_line(line)
    except ValueError:
        return None
    if not argv or not _runs_this_tool(argv):
        return None
    return _named_options(argv[1:])


def split_command_line(line: str) -> list[str]:
    """Split as botocore splits credential_process (shell rules on POSIX, the Windows
    command-line rules there)."""
    from .platform import current

    return current().split_like_botocore(line)
