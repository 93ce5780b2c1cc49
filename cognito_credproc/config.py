"""Profiles: what a section of the settings file may hold, validated against the
settings table, and the cache keys a profile defines.

A Profile is loaded from one INI section (plus ``[DEFAULT]``) and the environment
(finding and reading the file is ``configfile``'s job). Every error names the file,
the section and the key, and exits with code 2.
"""

from __future__ import annotations

import json
import os

from ._record import record
from .configfile import read_config_file
from .errors import ConfigError
from .settings import (
    APP_CLIENT_ID_RE,
    BOOLEANS,
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


ENV_PASSWORD = "COGNITO_CREDPROC_PASSWORD"

# The environment variables botocore reads for endpoints; they change which service
# answers, so they are part of what defines an identity in the cache.
ENDPOINT_ENV_VARS = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY",
    "AWS_ENDPOINT_URL_STS",
)

KNOWN_KEYS = frozenset(BY_NAME)
# With auth_flow = BROWSER and oidc_issuer, the provider replaces the user pool.
MANAGED_LOGIN_ONLY = ("user_pool_id", "login_domain", "identity_provider")


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
    logins_key: str | None = None
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
        """The key of the Logins map: ``logins_key`` when set, else the user pool as an
        identity provider (its original issuer's name, whichever issuer its tokens
        name), or an OpenID Connect provider's issuer without its scheme (how IAM
        names it)."""
        if self.logins_key:
            return self.logins_key
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

    def _logins(self) -> dict[str, object]:
        """Another Logins key may be another identity of the pool (nothing when it is not
        set, so the keys of profiles without it stay as they were)."""
        return {"logins_key": self.logins_key} if self.logins_key else {}

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
                **self._logins(),
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
                **self._logins(),
                **self._endpoints(),
            },
        )

    @property
    def browser_failure_key(self) -> str:
        """Cache key of the note a browser sign-in that failed leaves for the runs that
        waited for it (they fail too, rather than each open a tab in turn)."""
        return self._digest("browserfail", {"lock": self.lock_key})

    @property
    def lock_key(self) -> str:
        """Work on one sign-in is serialised, whichever profile does it."""
        return self.signin_key or self.credentials_key


def _bad(path: str, section: str, key: str, problem: str, profile: str) -> ConfigError:
    return ConfigError(f"{path} [{section}] {key}: {problem}", profile=profile, setting=key)


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
    if BOOLEANS.get(raw.get("unauthenticated", "").strip().lower()):
        return required
    if raw.get("auth_flow", "").strip().upper() == "BROWSER":
        # who signs in comes from the ID token; an OpenID Connect provider needs no pool
        if "oidc_issuer" in raw:
            return [*required, "app_client_id", "oidc_issuer"]
        return [*required, "user_pool_id", "app_client_id", "login_domain"]
    return [*required, "user_pool_id", "app_client_id", "username"]


def misplaced_keys(raw: Mapping[str, object]) -> list[tuple[str, str]]:
    """(key, why) for each key of the section that its way of signing in does not use,
    in the table's order: what validation refuses, and what ``configure`` drops when a
    profile changes its way."""
    flow = str(raw.get("auth_flow", "")).strip().upper()
    guest = BOOLEANS.get(str(raw.get("unauthenticated", "")).strip().lower(), False)
    found = []
    for setting in SETTINGS:
        key = setting.name
        if key not in raw:
            continue
        if flow == "BROWSER":
            if "oidc_issuer" in raw and key in MANAGED_LOGIN_ONLY:
                found.append((key, "is for managed login; oidc_issuer names a provider instead"))
        elif key in BROWSER_ONLY:
            found.append((key, "is used only with auth_flow = BROWSER"))
        if key == "preferred_challenge" and flow != "USER_AUTH":
            found.append((key, "is only used with auth_flow = USER_AUTH"))
        if key == "logins_key" and guest:
            found.append((key, "is not used with unauthenticated = true (guests send no Logins)"))
    return found


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
    values: dict[str, object] = {}
    for setting in SETTINGS:  # in documented order
        if setting.name in raw:
            try:
                values[setting.name] = check_value(setting.name, raw[setting.name])
            except Invalid as exc:
                problems.append((setting.name, str(exc)))
    region = _region_problem(values)
    if region is not None:
        problems.append(("region", region))
    return problems


def _region_problem(values: Mapping[str, object]) -> str | None:
    """Every user pool call goes to ``region``, and a user pool is found only in its own
    region (the prefix of its id): any other region fails every sign-in with
    ResourceNotFoundException, so it is refused when read."""
    region, pool = values.get("region"), values.get("user_pool_id")
    if not isinstance(region, str) or not isinstance(pool, str):
        return None
    pool_region = pool.split("_", 1)[0]
    if region == pool_region:
        return None
    return (
        f"{region} is not the region of user_pool_id {pool} ({pool_region}), and a user "
        f"pool answers only in its own region; set region = {pool_region} or leave it out"
    )


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
    misplaced = misplaced_keys(values)
    if misplaced:
        raise bad(*misplaced[0])
    if values.get("flow") == "basic" and "role_arn" not in values:
        raise bad("role_arn", "is required with flow = basic (the role to assume)")
    _check_margin(values, bad)
    region_problem = _region_problem(values)
    if region_problem is not None:
        raise bad("region", region_problem)
    if "region" not in values:
        pool = values.get("user_pool_id") or values["identity_pool_id"]
        values["region"] = str(pool).split("_" if "user_pool_id" in values else ":", 1)[0]
    endpoint_env = tuple((var, environ[var]) for var in ENDPOINT_ENV_VARS if environ.get(var))
    return Profile(name=name, source=path, endpoint_env=endpoint_env, **values)
