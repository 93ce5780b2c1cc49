"""Every setting a profile may hold, described once.

Each row of ``SETTINGS`` gives a key's parser (its type, range or choices), its default
as documented, and one line of help. Validation (``config.profile_from_section``),
``configure``'s flags and their ``--help``, ``doctor``'s per-key checks and the tests
that keep ``config.example.ini`` and the README in step all derive from it: a new key
is one more row. Cheap to import: the cache-hit path loads it.
"""

from __future__ import annotations

import re

from ._record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    Parser = Callable[[str], object]

# Long enough for any real value (a password_command with a path, a URL); longer ones
# are refused, and never echoed whole.
MAX_VALUE_CHARS = 2048

DEFAULT_REFRESH_MARGIN_SECONDS = 15 * 60
DEFAULT_LOCK_TIMEOUT_SECONDS = 60.0
MAX_REFRESH_MARGIN_SECONDS = 12 * 60 * 60
MAX_LOCK_TIMEOUT_SECONDS = 60 * 60
# GetCredentialsForIdentity's credentials always last one hour.
ENHANCED_LIFETIME_SECONDS = 3600
DEFAULT_DURATION_SECONDS = 3600
MIN_DURATION_SECONDS = 900
MAX_DURATION_SECONDS = 43200

AUTH_FLOWS = ("USER_SRP_AUTH", "USER_PASSWORD_AUTH", "USER_AUTH", "BROWSER")
PREFERRED_CHALLENGES = ("EMAIL_OTP", "SMS_OTP", "PASSWORD", "PASSWORD_SRP")
# Browser sign-in: the callback URL to register on the app client unless redirect_uri
# names another (a port below every OS's ephemeral range, so none is handed out to a
# random connection).
DEFAULT_REDIRECT_URI = "http://localhost:8400/callback"
BROWSER_ONLY = ("login_domain", "oidc_issuer", "redirect_uri", "scopes", "identity_provider")
FLOWS = ("enhanced", "basic")
TOKEN_STORAGES = ("file", "keyring")
BOOLEANS = {"1": True, "yes": True, "true": True, "on": True}
BOOLEANS.update({"0": False, "no": False, "false": False, "off": False})

_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}"
REGION_RE = re.compile(rf"^{_REGION}$")
# cognito-idp's UserPoolIdType: [\w-]+_[0-9a-zA-Z]+, 1 to 55 characters, the region first.
USER_POOL_ID_RE = re.compile(rf"^({_REGION})_[0-9A-Za-z]+$")
MAX_POOL_ID_CHARS = 55
# cognito-identity's IdentityPoolId: [\w-]+:[0-9a-f-]+ (lower-case hex), 1 to 55
# characters; the service makes them REGION:UUID. Anything else is refused by every call.
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
IDENTITY_POOL_ID_RE = re.compile(rf"^({_REGION}):{_UUID}$")
APP_CLIENT_ID_RE = re.compile(r"^[\w+]{1,128}$")
# An OpenID Connect provider's client ids take other forms (GUIDs, x.apps.example.com).
OAUTH_CLIENT_ID_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
ROLE_SESSION_NAME_RE = re.compile(r"^[\w+=,.@-]{2,64}$")
# A key of GetId's Logins map: 1 to 128 characters (IdentityProviderName).
LOGINS_KEY_RE = re.compile(r"^[\x21-\x7e]{1,128}$")
_REDIRECT_RE = re.compile(r"^http://(?:localhost|127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?(/[^\s?#]*)?$")
_SCOPE_RE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")  # RFC 6749 scope-token
_IDP_NAME_RE = re.compile(r"^\S{1,32}$")
_HOST_PORT_RE = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$")


class Invalid(ValueError):
    """A value that does not fit its key; the message says why."""


def shown(value: str, limit: int = 60) -> str:
    """A value quoted for a message, cut short when long."""
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


# -- parsers: str -> value, or Invalid ---------------------------------------------------


def text(value: str) -> str:
    return value


def pattern(regex: re.Pattern[str], what: str, *, longest: int | None = None) -> Parser:
    def parse(value: str) -> str:
        if not regex.match(value) or (longest is not None and len(value) > longest):
            raise Invalid(f"{shown(value)} is not {what}")
        return value

    return parse


def max_length(limit: int, why: str) -> Parser:
    def parse(value: str) -> str:
        if len(value) > limit:
            raise Invalid(f"is longer than {why}")
        return value

    return parse


def integer(low: int, high: int, unit: str = "seconds") -> Parser:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise Invalid(f"{shown(value)} is not a whole number of {unit}") from None
        if not low <= number <= high:
            raise Invalid(f"{value} is out of range ({low} to {high})")
        return number

    return parse


def seconds(low: float, high: float) -> Parser:
    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise Invalid(f"{shown(value)} is not a number of seconds") from None
        if not low <= number <= high:  # also false for nan
            raise Invalid(f"{value} is out of range ({low:g} to {high:g})")
        return number

    return parse


def boolean(value: str) -> bool:
    try:
        return BOOLEANS[value.lower()]
    except KeyError:
        raise Invalid(f"{shown(value)} is not true or false") from None


def choice(options: tuple[str, ...], *, upper: bool = False) -> Parser:
    def parse(value: str) -> str:
        normalised = value.upper() if upper else value.lower()
        if normalised not in options:
            raise Invalid(f"{shown(value)} is not one of {', '.join(options)}")
        return normalised

    return parse


def url(value: str) -> str:
    """An http(s) URL with a host and, if given, a port from 1 to 65535."""
    scheme, sep, rest = value.partition("://")
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    match = _HOST_PORT_RE.match(authority.rsplit("@", 1)[-1]) if sep else None
    if scheme.lower() not in ("http", "https") or not match or any(c.isspace() for c in value):
        raise Invalid(f"{shown(value)} is not an http:// or https:// URL")
    if match.group(1) is not None and not 1 <= int(match.group(1)) <= 65535:
        raise Invalid(f"{shown(value)} has a port outside 1 to 65535")
    return value


def secure_url(value: str) -> str:
    """An https URL, or http on localhost / 127.0.0.1 (emulators and tests), without a
    query or fragment: where codes, tokens and a client secret are sent."""
    url(value)
    scheme, _, rest = value.partition("://")
    authority = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    host = authority if authority.startswith("[") else authority.rsplit(":", 1)[0]
    if "?" in value or "#" in value or "@" in rest.split("/", 1)[0]:
        raise Invalid(f"{shown(value)} must not carry a query, fragment or user")
    if scheme.lower() != "https" and host.lower() not in ("localhost", "127.0.0.1"):
        raise Invalid(f"{shown(value)} must be https (http only for localhost or 127.0.0.1)")
    return value


def redirect_uri(value: str) -> str:
    """The loopback callback: http://localhost, 127.0.0.1 or [::1], a port, a path. These
    are the only plain-http callback URLs Cognito takes ("HTTPS over HTTP except for
    callback URLs to http://localhost, http://127.0.0.1 and http://[::1]": CallbackURLs in
    the CreateUserPoolClient reference), and the tool's listener speaks plain http."""
    match = _REDIRECT_RE.match(value)
    if not match or (match.group(1) is not None and not 1 <= int(match.group(1)) <= 65535):
        raise Invalid(
            f"{shown(value)} is not an http://localhost:PORT/PATH address (the tool listens "
            "there, on this machine only)"
        )
    return value


def scopes(value: str) -> str:
    """Space-separated OAuth scopes; openid among them (the identity pool needs the ID
    token)."""
    found = value.split()
    bad = [scope for scope in found if not _SCOPE_RE.match(scope)]
    if bad:
        raise Invalid(f"{shown(bad[0])} is not an OAuth scope")
    if "openid" not in found:
        raise Invalid("must include openid (the identity pool takes the ID token)")
    return " ".join(found)


# -- the table ---------------------------------------------------------------------------


@record
class Setting:
    """One key of a profile section."""

    name: str
    parse: Parser
    default: str  # as documented; "" when there is none
    help: str
    # configure's question for it on a terminal, asked when the way of signing in needs
    # the key or the profile has a value for it (Enter keeps that value)
    prompt: str | None = None
    # configure also asks for it (optional) wherever the way of signing in uses it
    offered: bool = False
    # configure takes it as --NAME-WITH-DASHES; a secret never comes from argv, and is
    # typed without echo
    flag: bool = True

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "user_pool_id",
        pattern(
            USER_POOL_ID_RE,
            "a user pool id like us-east-1_AbCdEf123 (<region>_<id>, at most 55 characters)",
            longest=MAX_POOL_ID_CHARS,
        ),
        "required",
        "the user pool, <region>_<id>",
        prompt="User pool id (e.g. eu-west-1_AbCdEf123)",
    ),
    Setting(
        "app_client_id",
        pattern(OAUTH_CLIENT_ID_RE, "an app client id"),
        "required",
        "the user pool's app client that people sign in through (with oidc_issuer: the "
        "provider's client id)",
        prompt="App client id",
    ),
    Setting(
        "identity_pool_id",
        pattern(
            IDENTITY_POOL_ID_RE,
            "an identity pool id like us-east-1:00000000-0000-0000-0000-000000000000 "
            "(<region>:<uuid>, lower-case hex)",
        ),
        "required",
        "the identity pool that trades the ID token for AWS credentials, <region>:<uuid>",
        prompt="Identity pool id (e.g. eu-west-1:1111...)",
    ),
    Setting(
        "username",
        max_length(128, "Cognito's 128 characters"),
        "required",
        "user name, or an alias the pool accepts (an email address); optional with "
        "auth_flow = BROWSER, where it is checked against who signed in",
        prompt="Username",
    ),
    Setting(
        "region",
        pattern(REGION_RE, "an AWS region name like eu-west-1"),
        "prefix of user_pool_id (without one: of identity_pool_id)",
        "region of the Cognito and STS calls, and of AWS_REGION and AWS_DEFAULT_REGION in env/exec",
        prompt="Region (the user pool's, unless you know better)",
    ),
    Setting(
        "app_client_secret",
        text,
        "",
        "for app clients with a secret: SECRET_HASH is sent where needed",
        prompt="App client secret",
        offered=True,
        flag=False,
    ),
    Setting(
        "auth_flow",
        choice(AUTH_FLOWS, upper=True),
        "USER_SRP_AUTH",
        "USER_SRP_AUTH (the password never leaves this machine), USER_PASSWORD_AUTH, "
        "USER_AUTH (choice-based: a one-time code by email or SMS, or the password), or "
        "BROWSER (managed login or an OpenID Connect provider, in the browser)",
    ),
    Setting(
        "preferred_challenge",
        choice(PREFERRED_CHALLENGES, upper=True),
        "",
        "USER_AUTH's first factor: EMAIL_OTP, SMS_OTP, PASSWORD or PASSWORD_SRP",
    ),
    Setting(
        "login_domain",
        secure_url,
        "",
        "BROWSER: the user pool's domain, https://PREFIX.auth.REGION.amazoncognito.com "
        "or a custom domain",
        prompt="User pool domain (e.g. https://myapp.auth.eu-west-1.amazoncognito.com)",
    ),
    Setting(
        "oidc_issuer",
        secure_url,
        "",
        "BROWSER: an OpenID Connect provider the identity pool trusts directly, instead of "
        "user_pool_id (e.g. https://dev-123.okta.com/oauth2/default)",
        prompt="OpenID Connect issuer (e.g. https://dev-123.okta.com/oauth2/default)",
    ),
    Setting(
        "redirect_uri",
        redirect_uri,
        DEFAULT_REDIRECT_URI,
        "BROWSER: the callback URL registered on the app client, exactly; the tool listens "
        "there on the loopback interface",
        prompt="Callback URL registered on the app client",
        offered=True,
    ),
    Setting(
        "scopes",
        scopes,
        "openid (openid offline_access with oidc_issuer)",
        "BROWSER: the OAuth scopes to ask for, space-separated",
        prompt="OAuth scopes, space-separated",
    ),
    Setting(
        "identity_provider",
        pattern(_IDP_NAME_RE, "the name of an identity provider of the user pool"),
        "",
        "BROWSER with login_domain: a federated IdP of the pool to go straight to (Okta, "
        "Google, a SAML IdP...)",
        prompt="Identity provider to go straight to (its name in the user pool)",
    ),
    Setting(
        "password_command",
        text,
        "",
        "command whose first line of output is the password, run without a shell",
    ),
    Setting("totp_command", text, "", "command that prints the current authenticator code"),
    Setting("flow", choice(FLOWS), "enhanced", "enhanced (GetCredentialsForIdentity) or basic"),
    Setting(
        "role_arn",
        pattern(ROLE_ARN_RE, "an IAM role ARN like arn:aws:iam::123456789012:role/Name"),
        "",
        "IAM role to ask for (CustomRoleArn; required with flow = basic)",
    ),
    Setting(
        "duration_seconds",
        integer(MIN_DURATION_SECONDS, MAX_DURATION_SECONDS),
        str(DEFAULT_DURATION_SECONDS),
        "basic flow: session length in seconds",
    ),
    Setting(
        "role_session_name",
        pattern(ROLE_SESSION_NAME_RE, "2 to 64 characters of letters, digits and +=,.@_-"),
        "cognito-credproc-<username>",
        "basic flow: the STS role session name",
    ),
    Setting(
        "unauthenticated",
        boolean,
        "false",
        "guest identity: no sign-in (the user pool keys are then optional)",
    ),
    Setting(
        "logins_key",
        pattern(LOGINS_KEY_RE, "a provider name of the identity pool (1 to 128 characters)"),
        "cognito-idp.REGION.amazonaws.com/POOL_ID (with oidc_issuer: the issuer without https://)",
        "the key of the identity pool's Logins map: the name the identity pool knows the "
        "user pool (or provider) by, when it was registered under another",
    ),
    Setting(
        "account_id",
        pattern(ACCOUNT_ID_RE, "a 12-digit AWS account id"),
        "from role_arn",
        "printed as AccountId",
    ),
    Setting(
        "token_storage",
        choice(TOKEN_STORAGES),
        "file",
        "file, or keyring (refresh tokens in the OS keyring)",
    ),
    Setting(
        "endpoint_url",
        url,
        "",
        "endpoint for both Cognito services and STS (VPC endpoints, emulators)",
    ),
    Setting(
        "refresh_margin",
        integer(0, MAX_REFRESH_MARGIN_SECONDS),
        str(DEFAULT_REFRESH_MARGIN_SECONDS),
        "renew cached credentials with fewer seconds than this left",
    ),
    Setting(
        "early_refresh",
        integer(0, MAX_REFRESH_MARGIN_SECONDS),
        "0",
        "seconds before refresh_margin in which a background process renews credentials",
    ),
    Setting(
        "lock_timeout",
        seconds(0.1, MAX_LOCK_TIMEOUT_SECONDS),
        f"{DEFAULT_LOCK_TIMEOUT_SECONDS:g}",
        "seconds to wait for another process holding the sign-in's lock",
    ),
)

BY_NAME = {setting.name: setting for setting in SETTINGS}
