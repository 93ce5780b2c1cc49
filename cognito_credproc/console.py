"""``console``: the AWS Management Console, signed in as the identity pool's role.

As a custom identity broker does (IAM User Guide, "Enable custom identity broker access
to the AWS console"): the session credentials go to the federation endpoint's
``getSigninToken`` as JSON (``sessionId``, ``sessionKey``, ``sessionToken``), and the
``SigninToken`` it returns goes into the login URL (``Action=login``, ``Issuer``,
``Destination``, ``SigninToken``), which signs the browser in. The token is valid for 15
minutes and is as good as the credentials for that long: it is a secret, never logged.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING

from .errors import EXIT_OK, ConfigError, CredprocError, ServiceError
from .settings import Invalid, secure_url

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .cli import Context
    from .credentials import Credentials

# Another federation endpoint (an emulator, a test's); https, or http on loopback only.
ENV_FEDERATION_URL = "COGNITO_CREDPROC_FEDERATION_URL"
ISSUER = "cognito-credproc"
TIMEOUT_SECONDS = 10
MAX_ANSWER_BYTES = 64 * 1024
# How long to wait for a $BROWSER command to fail before taking it as opened.
OPEN_WAIT_SECONDS = 10
# How long the one-time loopback address waits for the browser to fetch it.
HANDOFF_WAIT_SECONDS = 120


def partition_hosts(region: str) -> tuple[str, str]:
    """(federation endpoint, console) for the region's partition."""
    if region.startswith("cn-"):
        return "https://signin.amazonaws.cn/federation", "https://console.amazonaws.cn"
    if region.startswith("us-gov-"):
        return (
            "https://signin.amazonaws-us-gov.com/federation",
            "https://console.amazonaws-us-gov.com",
        )
    return "https://signin.aws.amazon.com/federation", "https://console.aws.amazon.com"


def federation_endpoint(region: str, environ: Mapping[str, str]) -> str:
    override = environ.get(ENV_FEDERATION_URL)
    if override:
        try:
            return secure_url(override)
        except Invalid as exc:
            raise ConfigError(f"{ENV_FEDERATION_URL}: {exc}") from None
    return partition_hosts(region)[0]


def session_json(creds: Credentials) -> str:
    """The Session parameter of getSigninToken."""
    return json.dumps(
        {
            "sessionId": creds.access_key_id,
            "sessionKey": creds.secret_access_key,
            "sessionToken": creds.session_token,
        }
    )


def signin_token(endpoint: str, creds: Credentials, profile: str) -> str:
    """Ask the federation endpoint for a sign-in token for these credentials."""
    from .redact import register_secret

    query = urllib.parse.urlencode({"Action": "getSigninToken", "Session": session_json(creds)})
    request = urllib.request.Request(  # noqa: S310 - https, or http on loopback (checked)
        f"{endpoint}?{query}", headers={"Accept": "application/json"}
    )
    where = urllib.parse.urlsplit(endpoint).netloc
    try:
        # S310: the endpoint is https, or http on loopback (checked above)
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            body = answer.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise ServiceError(
            f"the AWS sign-in federation endpoint {where} refused the credentials for a "
            f"console session (HTTP {exc.code})",
            profile=profile,
            hint="try again in a minute",
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ServiceError(
            f"cannot reach the AWS sign-in federation endpoint {where}: {reason}",
            profile=profile,
            hint="check the network or a proxy (HTTPS_PROXY)",
        ) from None
    try:
        if len(body) > MAX_ANSWER_BYTES:
            raise ValueError("too long")
        data = json.loads(body)
        token = data["SigninToken"]
        if not isinstance(token, str) or not token or not token.isprintable():
            raise ValueError("not a token")
    except (ValueError, KeyError, TypeError):
        raise ServiceError(
            f"the AWS sign-in federation endpoint {where} answered without a SigninToken",
            profile=profile,
        ) from None
    register_secret(token)
    return token


def login_url(endpoint: str, token: str, region: str) -> str:
    """The URL that signs the browser in and lands on the console in ``region``."""
    console = partition_hosts(region)[1]
    destination = f"{console}/console/home?region={region}"
    query = urllib.parse.urlencode(
        {"Action": "login", "Issuer": ISSUER, "Destination": destination, "SigninToken": token}
    )
    return f"{endpoint}?{query}"


def cmd_console(ctx: Context) -> int:
    from .commands import _credentials
    from .redact import register_secret

    profile = ctx.profile
    creds = _credentials(ctx)
    for secret in (creds.secret_access_key, creds.session_token):
        register_secret(secret)
    endpoint = federation_endpoint(profile.region, ctx.environ)
    url = login_url(endpoint, signin_token(endpoint, creds, profile.name), profile.region)
    register_secret(url)
    if ctx.args.print:
        sys.stdout.write(url + "\n")
        return EXIT_OK
    _open(url, ctx, profile.name)
    sys.stderr.write(
        f"profile {profile.name}: opened the AWS console in the browser (the sign-in link "
        "works once, for 15 minutes)\n"
    )
    return EXIT_OK


def _open(url: str, ctx: Context, profile: str) -> None:
    """Through the tool's browser opener ($BROWSER, else the system's browser). The login
    URL is as good as the credentials, and a command line is readable by every user of
    the machine: the browser is handed a one-time loopback address that redirects to it
    (see ``loopback.Handoff``), and this waits until the browser has fetched it."""
    from .signin.loopback import Handoff
    from .signin.opener import browser_available, open_browser

    if not browser_available(ctx.environ):
        raise CredprocError(
            "there is no browser to open the console in (no DISPLAY, WAYLAND_DISPLAY or BROWSER)",
            profile=profile,
            hint=f"run: cognito-credproc console --profile {profile} --print, and open the "
            "address it prints in a browser within 15 minutes",
        )
    with Handoff(url) as handoff:
        launch = open_browser(handoff.start_url, ctx.environ)
        launch.done.wait(OPEN_WAIT_SECONDS)
        if launch.failed:
            raise CredprocError(
                f"the browser could not be opened: {launch.reason}",
                profile=profile,
                hint=f"run: cognito-credproc console --profile {profile} --print",
            )
        if not handoff.wait(HANDOFF_WAIT_SECONDS):
            raise CredprocError(
                f"the browser did not open the console's sign-in page within "
                f"{HANDOFF_WAIT_SECONDS // 60} minutes",
                profile=profile,
                hint=f"run: cognito-credproc console --profile {profile} --print, and open "
                "the address it prints in a browser",
            )
