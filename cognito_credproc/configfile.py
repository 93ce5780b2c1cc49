"""Where the settings file is, and reading it safely.

The file comes from --config, COGNITO_CREDPROC_CONFIG or the user config directory
(found like the cache directory, without platformdirs where the answer is plain);
the profile from --profile, COGNITO_CREDPROC_PROFILE or "default". The file names
commands that get run, so it is read only through descriptors that prove nobody else
can change it, and parsed strictly. What a profile may hold is checked in ``config``.
"""

from __future__ import annotations

import configparser
import os
import stat

from .errors import ConfigError
from .platform import current
from .safepath import Unsafe, open_directory, open_file, read_fd

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


APP_NAME = "cognito-credproc"
ENV_CONFIG = "COGNITO_CREDPROC_CONFIG"
ENV_PROFILE = "COGNITO_CREDPROC_PROFILE"
ENV_CACHE_DIR = "COGNITO_CREDPROC_CACHE_DIR"
DEFAULT_PROFILE = "default"
MAX_CONFIG_BYTES = 1 << 20


def user_dir(kind: str) -> str:
    """This tool's user config or cache directory, as platformdirs has it (worked out
    without importing platformdirs where the answer is plain: that import would cost a
    cache hit more than all of this tool's own work)."""
    found = current().plain_user_dir(kind, APP_NAME)
    if found is not None:
        return found
    import platformdirs  # off the cache-hit path: only where the answer is not plain

    get = platformdirs.user_config_dir if kind == "config" else platformdirs.user_cache_dir
    return get(APP_NAME, appauthor=False)


def default_config_path() -> str:
    return os.path.join(user_dir("config"), "config.ini")


def resolve_config_path(cli_value: str | None, environ: Mapping[str, str]) -> str:
    if cli_value is not None:
        if not cli_value.strip():
            raise ConfigError(
                "--config was given an empty path", hint="pass --config PATH, or leave it out"
            )
        return cli_value
    if environ.get(ENV_CONFIG):
        return environ[ENV_CONFIG]
    return default_config_path()


def resolve_profile_name(cli_value: str | None, environ: Mapping[str, str]) -> str:
    """--profile, else COGNITO_CREDPROC_PROFILE, else "default" (``awsprofile`` adds the
    AWS CLI's variables, for a run that has neither of the first two)."""
    name = cli_value if cli_value is not None else environ.get(ENV_PROFILE) or DEFAULT_PROFILE
    return check_profile_name(name)


def check_profile_name(name: str) -> str:
    if not name.strip() or any(ch in name for ch in "[]\r\n\x00"):
        raise ConfigError(f"{name!r} is not a profile name", hint="pass --profile NAME")
    return name


def location_error(problem: Unsafe, path: str, profile: str | None = None) -> ConfigError:
    """What to say when the settings file or a directory above it cannot be trusted.
    A shared directory (``/tmp``, anything not the user's) is never to be changed:
    the advice is then to keep the settings somewhere of one's own. ``profile`` (the
    one asked for, if any) goes into the hint for a missing file."""
    absolute = os.path.abspath(path)
    directory = os.path.dirname(absolute)
    where = problem.where
    if where == absolute:
        subject = f"config file {path}"
    elif where == directory:
        subject = f"config directory {where}"
    else:
        subject = f"directory {where} above the config file"
    own_place = f"keep your settings in a directory of your own (--config or {ENV_CONFIG})"
    reason = problem.reason
    if reason == "missing":
        import shlex  # only for this message

        return ConfigError(
            f"config file {path} does not exist",
            hint=f"run: cognito-credproc configure --profile {profile or 'NAME'}"
            + ("" if path == default_config_path() else f" --config {shlex.quote(path)}"),
        )
    if reason == "symlink":
        what = "file" if where == absolute else "directory"
        return ConfigError(
            f"{subject} is a symbolic link",
            hint=f"point --config or {ENV_CONFIG} at the real {what}",
        )
    if reason == "not-file":
        return ConfigError(
            f"config file {path} is a directory",
            hint=f"point --config or {ENV_CONFIG} at the settings file in it "
            f"({os.path.join(path, 'config.ini')}?)",
        )
    if reason == "not-dir":
        return ConfigError(
            f"config file {path} cannot be reached: {where} is not a directory",
            hint=f"point --config or {ENV_CONFIG} at the settings file",
        )
    if reason == "other-owner":
        return ConfigError(
            f"{subject} belongs to {problem.detail or 'another user'}, who could change "
            "the settings",
            hint=own_place if where != absolute else f"{own_place}, or chown it",
        )
    if reason == "writable":
        fix = current().fix_not_writable(where, directory=where != absolute)
        return ConfigError(
            f"{subject} is writable by {problem.detail or 'other users'}, who could change "
            "the settings",
            hint=fix if problem.mine else own_place,
        )
    if reason == "denied":
        return ConfigError(
            f"config file {path} cannot be read (permission denied on {where})",
            hint=f"fix the permissions, or {own_place}",
        )
    detail = problem.detail or reason
    return ConfigError(f"config file {path} cannot be read: {detail}")


def read_config_text(path: str, profile: str | None = None, *, missing_ok: bool = False) -> str:
    """The settings file's text. They name commands that get run (password_command,
    totp_command), so the file is opened once, without following a symbolic link or
    blocking on a FIFO, and refused unless it is a regular file that only its owner
    (the user or root) can change, in directories nobody else can rename things in;
    every check is made on the open descriptors. A missing file is reported first
    (or, with ``missing_ok``, read as empty)."""
    directory, name = os.path.split(os.path.abspath(path))
    if not name:  # the root directory
        raise location_error(Unsafe("not-file", path), path, profile)
    try:
        folder, problem = open_directory(directory, defer=True)
    except Unsafe as exc:
        if missing_ok and exc.reason == "missing":
            return ""
        raise location_error(exc, path, profile) from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    with folder:
        try:
            fd, info = open_file(folder, name)
        except Unsafe as exc:
            if missing_ok and exc.reason == "missing":
                return ""
            raise location_error(exc, path, profile) from None
        try:
            if problem is not None:
                raise location_error(problem, path, profile)
            if stat.S_ISDIR(info.st_mode):
                raise location_error(Unsafe("not-file", path), path, profile)
            if not stat.S_ISREG(info.st_mode):
                raise ConfigError(
                    f"config file {path} is not a regular file (a FIFO, device or socket)",
                    hint=f"point --config or {ENV_CONFIG} at the settings file",
                )
            found = current().settings_file_problem(folder, fd, info, os.path.abspath(path))
            if found is not None:
                raise location_error(found, path, profile)
            try:
                data = read_fd(fd, MAX_CONFIG_BYTES)
            except OSError as exc:
                raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
        finally:
            os.close(fd)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file {path} is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        # A byte-order mark (as some Windows editors write) is not a key. Stripped by
        # hand: the utf-8-sig codec is one more module for the cache hit to load.
        return (data[3:] if data.startswith(b"\xef\xbb\xbf") else data).decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None


def _parse_error(path: str, exc: configparser.Error) -> ConfigError:
    """configparser's errors, said plainly with the line and what to do."""
    lineno = getattr(exc, "lineno", None)
    at = f"line {lineno}" if lineno else "a line"
    if isinstance(exc, configparser.MissingSectionHeaderError):
        from .redact import clip

        line = " ".join(str(exc.line).split())
        key = line.partition("=")[0].strip()
        if key.lower() == "app_client_secret":
            line = f"{key} = …"  # the key says enough; its value is a secret
        line = clip(line, 60)
        return ConfigError(
            f"config file {path} is malformed: {at} ({line!r}) comes before any [section] header",
            hint="start the file with the profile's section line, such as [default]",
        )
    if isinstance(exc, configparser.DuplicateSectionError):
        return ConfigError(
            f"config file {path} is malformed: {at} repeats the section [{exc.section}]",
            hint=f"merge the two [{exc.section}] sections into one",
        )
    if isinstance(exc, configparser.DuplicateOptionError):
        return ConfigError(
            f"config file {path} is malformed: {at} sets {exc.option} in "
            f"[{exc.section}] a second time",
            hint="keep one of the two lines",
        )
    if isinstance(exc, configparser.ParsingError) and exc.errors:
        first_line, text = exc.errors[0]
        from .redact import clip

        shown = clip(" ".join(str(text).split()), 60)
        return ConfigError(
            f"config file {path} is malformed: line {first_line} ({shown}) is not 'key = value'",
            hint="each line is a [section] header, key = value, or a # comment",
        )
    detail = " ".join(str(exc).split())
    return ConfigError(f"config file {path} is malformed: {detail}")


def read_config_file(path: str, profile: str | None = None) -> configparser.ConfigParser:
    """Parse the INI file strictly: duplicate sections or keys are errors. ``profile``
    (the one asked for, if any) goes into the hint for a missing file."""
    return parse_config_text(path, read_config_text(path, profile))


def parse_config_text(path: str, text: str) -> configparser.ConfigParser:
    """The settings text parsed as the tool reads it: strictly, no interpolation."""
    if "\x00" in text:
        raise ConfigError(f"config file {path} contains a NUL byte (is it a binary file?)")
    parser = configparser.ConfigParser(interpolation=None, strict=True, empty_lines_in_values=False)
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        raise _parse_error(path, exc) from None
    return parser
