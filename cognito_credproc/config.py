"""Profiles: where the settings file is, what a section may hold, and validation.

A Profile is loaded from one INI section (plus ``[DEFAULT]``) and the environment.
Every error names the file, the section and the key, and exits with code 2.
"""

from __future__ import annotations

import configparser
import json
import os
import stat
import sys

from ._record import record
from .errors import ConfigError
from .safepath import Unsafe, is_mine, open_directory, open_file, read_fd
from .settings import (
    APP_CLIENT_ID_RE,
    BROWSER_ONLY,
    BY_NAME,
    DEFAULT_DURATION_SECONDS,
    DEFAULT_LOCK_TIMEOUT_SECONDS,
    DEFAULT_REDIRECT_URI,
    DEFAULT_REFRESH_MARGIN_SECONDS,
    ENHANCED_LIFETIME_SECONDS,
    MAX_VALUE_CHARS,
    ROLE_ARN_RE,
    SETTINGS,
    Invalid,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any


APP_NAME = "cognito-credproc"
ENV_CONFIG = "COGNITO_CREDPROC_CONFIG"
ENV_PROFILE = "COGNITO_CREDPROC_PROFILE"
ENV_PASSWORD = "COGNITO_CREDPROC_PASSWORD"
ENV_CACHE_DIR = "COGNITO_CREDPROC_CACHE_DIR"
DEFAULT_PROFILE = "default"
MAX_CONFIG_BYTES = 1 << 20

# botocore's advisory refresh window is 15 minutes: handing back credentials with less
# left than that makes a long-running SDK client call the helper again on every request
# (the default refresh_margin, in settings.py).
# The environment variables botocore reads for endpoints; they change which service
# answers, so they are part of what defines an identity in the cache.
ENDPOINT_ENV_VARS = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY",
    "AWS_ENDPOINT_URL_STS",
)

KNOWN_KEYS = frozenset(BY_NAME)


def builtin_sha256() -> Any:
    """SHA-256 from the interpreter's own module where it has one. ``hashlib`` would load
    OpenSSL first, about 2 ms of a cache hit that needs three short digests; the digest is
    the same (a test compares them)."""
    for module in ("_sha2", "_sha256"):  # Python 3.12 and later, then 3.10 and 3.11
        try:
            return __import__(module).sha256
        except (ImportError, AttributeError):
            continue
    import hashlib  # a build without the builtin hashes

    return hashlib.sha256


sha256 = builtin_sha256()


@record
class Profile:
    """One profile's settings, validated."""

    _hidden_in_repr = ("app_client_secret",)

    name: str
    source: str
    identity_pool_id: str
    region: str
    user_pool_id: str | None = None
    app_client_id: str | None = None
    username: str | None = None
    app_client_secret: str | None = None
    auth_flow: str = "USER_SRP_AUTH"
    preferred_challenge: str | None = None
    login_domain: str | None = None
    oidc_issuer: str | None = None
    redirect_uri: str = DEFAULT_REDIRECT_URI
    scopes: str | None = None
    identity_provider: str | None = None
    password_command: str | None = None
    totp_command: str | None = None
    role_arn: str | None = None
    endpoint_url: str | None = None
    refresh_margin: int = DEFAULT_REFRESH_MARGIN_SECONDS
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS
    flow: str = "enhanced"
    duration_seconds: int = DEFAULT_DURATION_SECONDS
    role_session_name: str | None = None
    unauthenticated: bool = False
    account_id: str | None = None
    token_storage: str = "file"
    early_refresh: int = 0
    endpoint_env: tuple[tuple[str, str], ...] = ()

    @property
    def identity_region(self) -> str:
        """The identity pool lives in the region its id starts with."""
        return self.identity_pool_id.split(":", 1)[0]

    @property
    def browser(self) -> bool:
        """Signs in through the browser (managed login or an OpenID Connect provider)."""
        return self.auth_flow == "BROWSER"

    @property
    def oauth_scopes(self) -> tuple[str, ...]:
        """The scopes a browser sign-in asks for: offline_access by default with an
        OpenID Connect provider, for a refresh token."""
        if self.scopes:
            return tuple(self.scopes.split())
        return ("openid", "offline_access") if self.oidc_issuer else ("openid",)

    @property
    def login_provider(self) -> str:
        """The key of the Logins map: the user pool as an identity provider, or an
        OpenID Connect provider's issuer without its scheme (how IAM names it)."""
        if self.oidc_issuer:
            return self.oidc_issuer.split("://", 1)[-1].rstrip("/")
        assert self.user_pool_id is not None
        pool_region = self.user_pool_id.split("_", 1)[0]
        return f"cognito-idp.{pool_region}.amazonaws.com/{self.user_pool_id}"

    @property
    def effective_account_id(self) -> str | None:
        if self.account_id:
            return self.account_id
        if self.role_arn:
            match = ROLE_ARN_RE.match(self.role_arn)
            if match:
                return match.group(1)
        return None

    def _digest(self, kind: str, parts: Mapping[str, object]) -> str:
        blob = json.dumps({"kind": kind, **parts}, sort_keys=True, separators=(",", ":"))
        return f"{kind}-{sha256(blob.encode()).hexdigest()[:32]}"

    def _endpoints(self) -> dict[str, object]:
        return {"endpoint_url": self.endpoint_url, "endpoint_env": list(self.endpoint_env)}

    def _browser(self) -> dict[str, object]:
        """What defines a browser sign-in besides the client (none for the API flows, so
        their cache keys stay as they were)."""
        if not self.browser:
            return {}
        return {
            "auth_flow": self.auth_flow,
            "login_domain": self.login_domain,
            "oidc_issuer": self.oidc_issuer,
            "identity_provider": self.identity_provider,
            "scopes": list(self.oauth_scopes),
        }

    @property
    def signin_key(self) -> str | None:
        """Cache key of the user-pool tokens: one per (region, pool, client, user, endpoint)."""
        if self.unauthenticated:
            return None
        return self._digest(
            "signin",
            {
                "region": self.region,
                "user_pool_id": self.user_pool_id,
                "app_client_id": self.app_client_id,
                "username": self.username,
                **self._browser(),
                **self._endpoints(),
            },
        )

    @property
    def identity_key(self) -> str:
        """Cache key of the IdentityId: one per (identity pool, user or guest)."""
        return self._digest(
            "identity",
            {
                "identity_pool_id": self.identity_pool_id,
                "user_pool_id": self.user_pool_id,
                "username": self.username,
                "unauthenticated": self.unauthenticated,
                **self._browser(),
                **self._endpoints(),
            },
        )

    @property
    def credentials_key(self) -> str:
        """Cache key of the AWS credentials: everything that decides which keys come back."""
        return self._digest(
            "credentials",
            {
                "region": self.region,
                "identity_pool_id": self.identity_pool_id,
                "user_pool_id": self.user_pool_id,
                "app_client_id": self.app_client_id,
                "username": self.username,
                "role_arn": self.role_arn,
                "flow": self.flow,
                "duration_seconds": self.duration_seconds if self.flow == "basic" else None,
                "role_session_name": self.role_session_name,
                "unauthenticated": self.unauthenticated,
                **self._browser(),
                **self._endpoints(),
            },
        )

    @property
    def lock_key(self) -> str:
        """Work on one sign-in is serialised, whichever profile does it."""
        return self.signin_key or self.credentials_key


_XDG_DIRS = {"config": ("XDG_CONFIG_HOME", "~/.config"), "cache": ("XDG_CACHE_HOME", "~/.cache")}


def xdg_user_dir(kind: str) -> str | None:
    """platformdirs' user ``kind`` ("config" or "cache") directory for this tool on Linux,
    worked out without importing platformdirs: that import (it brings pathlib and
    tempfile) would cost a cache hit more than all of this tool's own work. None where
    the answer is not this plain one (another system, Android, an XDG variable or HOME
    that is not a clean absolute path): then platformdirs is asked, and it stays the
    source of truth (a test checks that both agree)."""
    if not sys.platform.startswith("linux") or "ANDROID_DATA" in os.environ:
        return None
    variable, default = _XDG_DIRS[kind]
    value = os.environ.get(variable, "")
    if value:
        if value != value.strip() or not value.startswith("/"):
            return None
        base = value
    else:
        if not os.environ.get("HOME", "").startswith("/"):
            return None
        base = os.path.expanduser(default)
    return os.path.join(base, APP_NAME)


def user_dir(kind: str) -> str:
    """This tool's user config or cache directory, as platformdirs has it."""
    found = xdg_user_dir(kind)
    if found is not None:
        return found
    import platformdirs  # off the cache-hit path: only where xdg_user_dir cannot tell

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
    name = cli_value if cli_value is not None else environ.get(ENV_PROFILE) or DEFAULT_PROFILE
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
            f"{subject} belongs to another user, who could change the settings",
            hint=own_place if where != absolute else f"{own_place}, or chown it",
        )
    if reason == "writable":
        return ConfigError(
            f"{subject} is writable by other users, who could change the settings",
            hint=f"chmod go-w {where}" if problem.mine else own_place,
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
            if not is_mine(info) and info.st_uid != 0:
                raise location_error(
                    Unsafe("other-owner", os.path.abspath(path), info), path, profile
                )
            if info.st_mode & 0o022:
                raise location_error(Unsafe("writable", os.path.abspath(path), info), path, profile)
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
        line = " ".join(str(exc.line).split())[:60]
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
        shown = " ".join(str(text).split())[:60]
        return ConfigError(
            f"config file {path} is malformed: line {first_line} ({shown}) is not 'key = value'",
            hint="each line is a [section] header, key = value, or a # comment",
        )
    detail = " ".join(str(exc).split())
    return ConfigError(f"config file {path} is malformed: {detail}")


def read_config_file(path: str, profile: str | None = None) -> configparser.ConfigParser:
    """Parse the INI file strictly: duplicate sections or keys are errors. ``profile``
    (the one asked for, if any) goes into the hint for a missing file."""
    text = read_config_text(path, profile)
    if "\x00" in text:
        raise ConfigError(f"config file {path} contains a NUL byte (is it a binary file?)")
    parser = configparser.ConfigParser(interpolation=None, strict=True, empty_lines_in_values=False)
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        raise _parse_error(path, exc) from None
    return parser


def _bad(path: str, section: str, key: str, problem: str, profile: str) -> ConfigError:
    return ConfigError(f"{path} [{section}] {key}: {problem}", profile=profile)


def load_profile(path: str, name: str, environ: Mapping[str, str] | None = None) -> Profile:
    """Load and validate one profile; raises ConfigError naming what is wrong."""
    env = os.environ if environ is None else environ
    parser = read_config_file(path, name)
    if not parser.has_section(name):
        available = ", ".join(parser.sections()) or "none"
        raise ConfigError(
            f"no section [{name}] in {path} (profiles there: {available})",
            profile=name,
            hint=f"add a [{name}] section, or pass --profile with one of those",
        )
    return profile_from_section(path, name, dict(parser.items(name)), env)


def required_keys(raw: Mapping[str, str]) -> list[str]:
    """The keys a section must have, given what it has (guests need no user pool)."""
    required = ["identity_pool_id"]
    guest = raw.get("unauthenticated", "").strip().lower()
    if guest in ("1", "yes", "true", "on"):
        return required
    if raw.get("auth_flow", "").strip().upper() == "BROWSER":
        # who signs in comes from the ID token; an OpenID Connect provider needs no pool
        if "oidc_issuer" in raw:
            return [*required, "app_client_id", "oidc_issuer"]
        return [*required, "user_pool_id", "app_client_id", "login_domain"]
    return [*required, "user_pool_id", "app_client_id", "username"]


def check_value(key: str, value: str) -> object:
    """One setting's value, parsed by its row in the settings table; Invalid if bad."""
    value = value.strip()
    if not value:
        raise Invalid("is empty")
    if any((ord(ch) < 32 and ch != "\t") or ord(ch) == 127 for ch in value):
        raise Invalid("contains a control character")
    parsed = BY_NAME[key].parse(value)  # a key's own limit speaks first
    if len(value) > MAX_VALUE_CHARS:
        raise Invalid(f"is longer than {MAX_VALUE_CHARS} characters")
    return parsed


def section_problems(raw: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every (key, problem) of a section, not only the first (for ``doctor``)."""
    problems = [(key, _unknown(key)) for key in raw if key not in BY_NAME]
    problems += [(key, "is required but missing") for key in required_keys(raw) if key not in raw]
    for setting in SETTINGS:  # in documented order
        if setting.name in raw:
            try:
                check_value(setting.name, raw[setting.name])
            except Invalid as exc:
                problems.append((setting.name, str(exc)))
    return problems


def _unknown(key: str) -> str:
    import difflib  # only on this error path

    close = difflib.get_close_matches(key, list(BY_NAME), n=1)
    hint = f"did you mean {close[0]}?" if close else "see cognito-credproc configure --help"
    return f"unknown setting ({hint})"


def _check_margin(values: Mapping[str, Any], bad: Callable[[str, str], ConfigError]) -> None:
    """Credentials must outlive the refresh margin, or every run would renew them (and
    the SDKs would call the helper again on every request)."""
    margin = values.get("refresh_margin", DEFAULT_REFRESH_MARGIN_SECONDS)
    if values.get("flow") == "basic":
        duration = values.get("duration_seconds", DEFAULT_DURATION_SECONDS)
        if duration <= margin:
            raise bad(
                "duration_seconds",
                f"{duration} is not above refresh_margin ({margin}): the credentials would "
                "be renewed on every run; raise duration_seconds or lower refresh_margin",
            )
    elif margin >= ENHANCED_LIFETIME_SECONDS:
        raise bad(
            "refresh_margin",
            f"{margin} is not below the {ENHANCED_LIFETIME_SECONDS} s that identity-pool "
            "credentials last: they would be renewed on every run (use flow = basic "
            "with a longer duration_seconds for a larger margin)",
        )


def profile_from_section(
    path: str, name: str, raw: Mapping[str, str], environ: Mapping[str, str]
) -> Profile:
    """Validate one section against the settings table and build the Profile."""

    def bad(key: str, problem: str) -> ConfigError:
        return _bad(path, name, key, problem, name)

    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise bad(unknown[0], _unknown(unknown[0]))
    values: dict[str, Any] = {}
    for setting in SETTINGS:  # the table's order: errors come in documented order
        if setting.name in raw:
            try:
                values[setting.name] = check_value(setting.name, raw[setting.name])
            except Invalid as exc:
                raise bad(setting.name, str(exc)) from None
    for key in required_keys(raw):
        if key not in values:
            raise bad(key, "is required but missing")
    client_id = values.get("app_client_id")
    if (
        client_id is not None
        and "oidc_issuer" not in values
        and not APP_CLIENT_ID_RE.match(client_id)
    ):
        raise bad("app_client_id", f"{client_id!r} is not a user pool app client id")
    if values.get("auth_flow") == "BROWSER":
        if "oidc_issuer" in values:
            for key in ("user_pool_id", "login_domain", "identity_provider"):
                if key in values:
                    raise bad(key, "is for managed login; oidc_issuer names a provider instead")
    else:
        for key in BROWSER_ONLY:
            if key in values:
                raise bad(key, "is used only with auth_flow = BROWSER")
    if values.get("flow") == "basic" and "role_arn" not in values:
        raise bad("role_arn", "is required with flow = basic (the role to assume)")
    _check_margin(values, bad)
    if "preferred_challenge" in values and values.get("auth_flow") != "USER_AUTH":
        raise bad("preferred_challenge", "is only used with auth_flow = USER_AUTH")
    if "region" not in values:
        pool = values.get("user_pool_id") or values["identity_pool_id"]
        values["region"] = str(pool).split("_" if "user_pool_id" in values else ":", 1)[0]
    endpoint_env = tuple((var, environ[var]) for var in ENDPOINT_ENV_VARS if environ.get(var))
    return Profile(name=name, source=path, endpoint_env=endpoint_env, **values)
