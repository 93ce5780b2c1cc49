"""Profiles: where the settings file is, what a section may hold, and validation.

A Profile is loaded from one INI section (plus ``[DEFAULT]``) and the environment.
Every error names the file, the section and the key, and exits with code 2.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import re
import stat

from ._record import record
from .errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


APP_NAME = "cognito-credproc"
ENV_CONFIG = "COGNITO_CREDPROC_CONFIG"
ENV_PROFILE = "COGNITO_CREDPROC_PROFILE"
ENV_PASSWORD = "COGNITO_CREDPROC_PASSWORD"
ENV_CACHE_DIR = "COGNITO_CREDPROC_CACHE_DIR"
DEFAULT_PROFILE = "default"
MAX_CONFIG_BYTES = 1 << 20

# botocore's advisory refresh window is 15 minutes: handing back credentials with less
# left than that makes a long-running SDK client call the helper again on every request.
DEFAULT_REFRESH_MARGIN_SECONDS = 15 * 60
DEFAULT_LOCK_TIMEOUT_SECONDS = 60.0
MAX_REFRESH_MARGIN_SECONDS = 12 * 60 * 60
MAX_LOCK_TIMEOUT_SECONDS = 60 * 60
DEFAULT_DURATION_SECONDS = 3600
MIN_DURATION_SECONDS = 900
MAX_DURATION_SECONDS = 43200

AUTH_FLOWS = ("USER_SRP_AUTH", "USER_PASSWORD_AUTH")
FLOWS = ("enhanced", "basic")
TOKEN_STORAGES = ("file", "keyring")

# The environment variables botocore reads for endpoints; they change which service
# answers, so they are part of what defines an identity in the cache.
ENDPOINT_ENV_VARS = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY",
    "AWS_ENDPOINT_URL_STS",
)

_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}"
REGION_RE = re.compile(rf"^{_REGION}$")
USER_POOL_ID_RE = re.compile(rf"^({_REGION})_[0-9A-Za-z]+$")
IDENTITY_POOL_ID_RE = re.compile(rf"^({_REGION}):[0-9a-fA-F-]+$")
APP_CLIENT_ID_RE = re.compile(r"^[\w+]{1,128}$")
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
ROLE_SESSION_NAME_RE = re.compile(r"^[\w+=,.@-]{2,64}$")

KNOWN_KEYS = frozenset(
    {
        "user_pool_id",
        "app_client_id",
        "identity_pool_id",
        "username",
        "region",
        "app_client_secret",
        "auth_flow",
        "password_command",
        "totp_command",
        "role_arn",
        "endpoint_url",
        "refresh_margin",
        "lock_timeout",
        "flow",
        "duration_seconds",
        "role_session_name",
        "unauthenticated",
        "account_id",
        "token_storage",
        "early_refresh",
    }
)


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
    def login_provider(self) -> str:
        """The key of the Logins map: the user pool as an identity provider."""
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
        return f"{kind}-{hashlib.sha256(blob.encode()).hexdigest()[:32]}"

    def _endpoints(self) -> dict[str, object]:
        return {"endpoint_url": self.endpoint_url, "endpoint_env": list(self.endpoint_env)}

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
                **self._endpoints(),
            },
        )

    @property
    def lock_key(self) -> str:
        """Work on one sign-in is serialised, whichever profile does it."""
        return self.signin_key or self.credentials_key


def default_config_path() -> str:
    import platformdirs  # only when neither --config nor the variable names the file

    return os.path.join(platformdirs.user_config_dir(APP_NAME, appauthor=False), "config.ini")


def resolve_config_path(cli_value: str | None, environ: Mapping[str, str]) -> str:
    if cli_value:
        return cli_value
    if environ.get(ENV_CONFIG):
        return environ[ENV_CONFIG]
    return default_config_path()


def resolve_profile_name(cli_value: str | None, environ: Mapping[str, str]) -> str:
    name = cli_value if cli_value is not None else environ.get(ENV_PROFILE) or DEFAULT_PROFILE
    if not name.strip() or any(ch in name for ch in "[]\r\n\x00"):
        raise ConfigError(f"{name!r} is not a profile name", hint="pass --profile NAME")
    return name


def check_config_location(path: str) -> None:
    """The settings name commands that get run (password_command, totp_command): refuse
    a file or directory that another user could change or swap."""
    directory = os.path.dirname(os.path.abspath(path))
    uid = os.getuid() if hasattr(os, "getuid") else None
    try:
        info = os.lstat(directory)
    except OSError:
        return  # a missing directory is reported as a missing file
    if stat.S_ISLNK(info.st_mode):
        raise ConfigError(
            f"config directory {directory} is a symbolic link",
            hint=f"point --config or {ENV_CONFIG} at the real directory",
        )
    for what, where, found in (("config directory", directory, info), ("config file", path, None)):
        if found is None:
            try:
                found = os.stat(where)
            except OSError:
                return
        if uid is not None and found.st_uid not in (uid, 0):
            raise ConfigError(
                f"{what} {where} belongs to another user",
                hint=f"keep your settings in a file and directory you own "
                f"(chown, or set {ENV_CONFIG})",
            )
        if found.st_mode & 0o022:
            raise ConfigError(
                f"{what} {where} is writable by other users", hint=f"chmod go-w {where}"
            )


def read_config_file(path: str) -> configparser.ConfigParser:
    """Parse the INI file strictly: duplicate sections or keys are errors."""
    check_config_location(path)
    parser = configparser.ConfigParser(interpolation=None, strict=True, empty_lines_in_values=False)
    try:
        # utf-8-sig: a byte-order mark (as some Windows editors write) is not a key
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read(MAX_CONFIG_BYTES + 1)
        if len(text) > MAX_CONFIG_BYTES:
            raise ConfigError(f"config file {path} is larger than {MAX_CONFIG_BYTES} bytes")
        if "\x00" in text:
            raise ConfigError(f"config file {path} contains a NUL byte (is it a binary file?)")
        parser.read_string(text, source=path)
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} does not exist",
            hint="cognito-credproc configure, or copy config.example.ini there",
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a directory") from None
    except PermissionError:
        raise ConfigError(f"config file {path} cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    except configparser.Error as exc:
        detail = " ".join(str(exc).split())
        raise ConfigError(f"config file {path} is malformed: {detail}") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    return parser


def _bad(path: str, section: str, key: str, problem: str, profile: str) -> ConfigError:
    return ConfigError(f"{path} [{section}] {key}: {problem}", profile=profile)


def load_profile(path: str, name: str, environ: Mapping[str, str] | None = None) -> Profile:
    """Load and validate one profile; raises ConfigError naming what is wrong."""
    env = os.environ if environ is None else environ
    parser = read_config_file(path)
    if not parser.has_section(name):
        available = ", ".join(parser.sections()) or "none"
        raise ConfigError(
            f"no section [{name}] in {path} (profiles there: {available})",
            profile=name,
            hint=f"add a [{name}] section, or pass --profile with one of those",
        )
    return profile_from_section(path, name, dict(parser.items(name)), env)


def profile_from_section(
    path: str, name: str, raw: Mapping[str, str], environ: Mapping[str, str]
) -> Profile:
    def bad(key: str, problem: str) -> ConfigError:
        return _bad(path, name, key, problem, name)

    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise bad(unknown[0], "unknown setting (see config.example.ini for the keys)")

    def text(key: str) -> str | None:
        value = raw.get(key)
        if value is None:
            return None
        value = value.strip()
        if not value:
            raise bad(key, "is empty")
        if any(ch in value for ch in "\x00\r\n"):
            raise bad(key, "contains a control character")
        return value

    def number(key: str, default: float, low: float, high: float, *, integer: bool) -> float:
        value = text(key)
        if value is None:
            return default
        try:
            parsed = int(value) if integer else float(value)
        except ValueError:
            kind = "a whole number of seconds" if integer else "a number of seconds"
            raise bad(key, f"{value!r} is not {kind}") from None
        if not (low <= parsed <= high) or parsed != parsed:
            raise bad(key, f"{value} is out of range ({low:g} to {high:g})")
        return parsed

    def choice(key: str, options: tuple[str, ...], default: str, *, upper: bool = False) -> str:
        value = text(key)
        if value is None:
            return default
        normalised = value.upper() if upper else value.lower()
        if normalised not in options:
            raise bad(key, f"{value!r} is not one of {', '.join(options)}")
        return normalised

    unauth_raw = text("unauthenticated")
    unauthenticated = False
    if unauth_raw is not None:
        lowered = unauth_raw.lower()
        if lowered not in configparser.ConfigParser.BOOLEAN_STATES:
            raise bad("unauthenticated", f"{unauth_raw!r} is not true or false")
        unauthenticated = configparser.ConfigParser.BOOLEAN_STATES[lowered]

    required = ["identity_pool_id"]
    if not unauthenticated:
        required += ["user_pool_id", "app_client_id", "username"]
    for key in required:
        if key not in raw:
            raise bad(key, "is required but missing")

    identity_pool_id = text("identity_pool_id")
    assert identity_pool_id is not None
    id_match = IDENTITY_POOL_ID_RE.match(identity_pool_id)
    if not id_match:
        raise bad(
            "identity_pool_id",
            f"{identity_pool_id!r} is not an identity pool id like "
            "us-east-1:00000000-0000-0000-0000-000000000000",
        )

    user_pool_id = text("user_pool_id")
    pool_region: str | None = None
    if user_pool_id is not None:
        pool_match = USER_POOL_ID_RE.match(user_pool_id)
        if not pool_match:
            raise bad(
                "user_pool_id", f"{user_pool_id!r} is not a user pool id like us-east-1_AbCdEf123"
            )
        pool_region = pool_match.group(1)

    app_client_id = text("app_client_id")
    if app_client_id is not None and not APP_CLIENT_ID_RE.match(app_client_id):
        raise bad("app_client_id", f"{app_client_id!r} is not an app client id")

    username = text("username")
    if username is not None and len(username) > 128:
        raise bad("username", "is longer than Cognito's 128 characters")

    region = text("region") or pool_region or id_match.group(1)
    if not REGION_RE.match(region):
        raise bad("region", f"{region!r} is not an AWS region name like eu-west-1")

    endpoint_url = text("endpoint_url")
    if endpoint_url is not None and not re.match(r"^https?://[^\s/]+", endpoint_url):
        raise bad("endpoint_url", f"{endpoint_url!r} is not an http:// or https:// URL")

    flow = choice("flow", FLOWS, "enhanced")
    role_arn = text("role_arn")
    if role_arn is not None and not ROLE_ARN_RE.match(role_arn):
        raise bad(
            "role_arn",
            f"{role_arn!r} is not an IAM role ARN like arn:aws:iam::123456789012:role/Name",
        )
    if flow == "basic" and role_arn is None:
        raise bad("role_arn", "is required with flow = basic (the role to assume)")

    account_id = text("account_id")
    if account_id is not None and not ACCOUNT_ID_RE.match(account_id):
        raise bad("account_id", f"{account_id!r} is not a 12-digit AWS account id")

    role_session_name = text("role_session_name")
    if role_session_name is not None and not ROLE_SESSION_NAME_RE.match(role_session_name):
        raise bad("role_session_name", "must be 2 to 64 characters of letters, digits and +=,.@_-")

    endpoint_env = tuple((var, environ[var]) for var in ENDPOINT_ENV_VARS if environ.get(var))

    return Profile(
        name=name,
        source=path,
        identity_pool_id=identity_pool_id,
        region=region,
        user_pool_id=user_pool_id,
        app_client_id=app_client_id,
        username=username,
        app_client_secret=text("app_client_secret"),
        auth_flow=choice("auth_flow", AUTH_FLOWS, "USER_SRP_AUTH", upper=True),
        password_command=text("password_command"),
        totp_command=text("totp_command"),
        role_arn=role_arn,
        endpoint_url=endpoint_url,
        refresh_margin=int(
            number(
                "refresh_margin",
                DEFAULT_REFRESH_MARGIN_SECONDS,
                0,
                MAX_REFRESH_MARGIN_SECONDS,
                integer=True,
            )
        ),
        lock_timeout=number(
            "lock_timeout",
            DEFAULT_LOCK_TIMEOUT_SECONDS,
            0.1,
            MAX_LOCK_TIMEOUT_SECONDS,
            integer=False,
        ),
        flow=flow,
        duration_seconds=int(
            number(
                "duration_seconds",
                DEFAULT_DURATION_SECONDS,
                MIN_DURATION_SECONDS,
                MAX_DURATION_SECONDS,
                integer=True,
            )
        ),
        role_session_name=role_session_name,
        unauthenticated=unauthenticated,
        account_id=account_id,
        token_storage=choice("token_storage", TOKEN_STORAGES, "file"),
        early_refresh=int(number("early_refresh", 0, 0, MAX_REFRESH_MARGIN_SECONDS, integer=True)),
        endpoint_env=endpoint_env,
    )
