"""``demo``: the whole flow against a local Cognito, with nothing to set up and nothing
left behind. Needs the ``demo`` extra (moto's server)."""

from __future__ import annotations

import json
import os
import pathlib
import re
import secrets
import shlex
import shutil
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any

from .errors import EXIT_OK, CredprocError
from .launch import command_line, tool_argv
from .platform import current
from .processline import run_like_botocore
from .settings import DEFAULT_REDIRECT_URI

if TYPE_CHECKING:
    from .cli import Context

REGION = "us-east-1"
FLOWS = ("password", "browser", "email-code")
DEMO_EMAIL = "demo-user@example.com"


def _step(text: str, started: float) -> None:
    sys.stdout.write(f"  {text:<58} {(time.monotonic() - started) * 1000:7.0f} ms\n")
    sys.stdout.flush()


EMULATOR = "'moto[server]'"
# What `uv tool install` recorded as the tool's source: a checkout (directory), an
# editable checkout, a git repository, an archive's URL or a local archive.
_UV_SOURCE_RE = re.compile(r'\b(directory|editable|git|url|path)\s*=\s*"((?:[^"\\]|\\.)*)"')
_UV_EXTRAS_RE = re.compile(r"\bextras\s*=\s*\[([^\]]*)\]")


def install_hint(prefix: str = sys.prefix, executable: str = sys.executable) -> str:
    """How to add moto's server (the ``demo`` extra) to this installation of the tool:
    the command that fits how it was installed (pipx, uv tool, a virtualenv uv made, pip)."""
    if os.path.isfile(os.path.join(prefix, "pipx_metadata.json")):
        # pipx names the environment after the package (plus any --suffix)
        return f"pipx inject {os.path.basename(prefix)} {EMULATOR}"
    receipt = os.path.join(prefix, "uv-receipt.toml")
    if os.path.isfile(receipt):
        return _uv_tool_hint(receipt)
    python = shlex.quote(executable)
    if _made_by_uv(prefix):  # `uv venv` makes virtualenvs without pip
        return f"uv pip install --python {python} {EMULATOR}"
    return f"{python} -m pip install {EMULATOR}"


def _uv_tool_hint(receipt: str) -> str:
    """`uv tool install` again, from the source its receipt names, with the demo extra
    added to the extras it has (uv replaces the tool's environment)."""
    try:
        with open(receipt, encoding="utf-8") as handle:
            text = handle.read(1 << 16)
    except (OSError, UnicodeDecodeError):
        text = ""
    # the inline table of this package in `requirements = [{ name = ..., ... }]`
    entry = re.search(r'\{[^{}]*\bname\s*=\s*"cognito-credproc"[^{}]*\}', text)
    found = entry.group(0) if entry else ""
    extras = ["demo"]
    listed = _UV_EXTRAS_RE.search(found)
    for name in re.findall(r'"([\w.-]+)"', listed.group(1) if listed else ""):
        if name not in extras:
            extras.append(name)
    wanted = f"[{','.join(sorted(extras))}]"
    source = _UV_SOURCE_RE.search(found)
    if source is None:  # from the package index, by name
        return f"uv tool install {shlex.quote('cognito-credproc' + wanted)}"
    kind, raw = source.groups()
    try:
        value = str(json.loads(f'"{raw}"'))  # TOML's basic-string escapes, as JSON's
    except ValueError:
        return f"uv tool install {shlex.quote('cognito-credproc' + wanted)}"
    if kind == "directory":
        return f"uv tool install {shlex.quote(value + wanted)}"
    if kind == "editable":
        return f"uv tool install -e {shlex.quote(value + wanted)}"
    if kind == "git":
        value = "git+" + value
    elif kind == "path":
        value = pathlib.Path(value).absolute().as_uri()
    return f"uv tool install {shlex.quote(f'cognito-credproc{wanted} @ {value}')}"


def _made_by_uv(prefix: str) -> bool:
    """A virtualenv `uv venv` made: its pyvenv.cfg names uv's version."""
    try:
        with open(os.path.join(prefix, "pyvenv.cfg"), encoding="utf-8") as handle:
            lines = handle.read(1 << 16).splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    return any(line.partition("=")[0].strip() == "uv" for line in lines)


def shortened(data: dict[str, Any]) -> list[str]:
    """The printed JSON, one key a line, the keys themselves cut short."""
    lines = []
    for key, value in data.items():
        if key in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
            value = f"{str(value)[:4]}..."
        lines.append(f"{json.dumps(key)}: {json.dumps(value)}")
    return ["{"] + [f"  {line}," for line in lines[:-1]] + [f"  {lines[-1]}", "}"]


def _run_helper(argv: list[str], env: dict[str, str]) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    done = run_like_botocore(argv, env)
    if done.returncode != 0:
        raise CredprocError(f"the demo's helper run failed: {' '.join(done.stderr.split())}")
    data: dict[str, Any] = json.loads(done.stdout)
    return data, started


def _provision(endpoint: str, flow: str = "password") -> tuple[str, str, str, str]:
    """A user pool, app client, user and identity pool on the local Cognito; the client
    as each way of signing in needs it."""
    import boto3

    keys = {"aws_access_key_id": "demo", "aws_secret_access_key": "demo"}
    idp = boto3.client("cognito-idp", region_name=REGION, endpoint_url=endpoint, **keys)
    identity = boto3.client("cognito-identity", region_name=REGION, endpoint_url=endpoint, **keys)
    pool = idp.create_user_pool(PoolName="demo-people")["UserPool"]["Id"]
    options: dict[str, Any] = {}
    if flow == "browser":
        options = {
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": ["openid"],
            "CallbackURLs": [DEFAULT_REDIRECT_URI],
            "SupportedIdentityProviders": ["COGNITO"],
        }
    elif flow == "email-code":
        options = {"ExplicitAuthFlows": ["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}
    client = idp.create_user_pool_client(UserPoolId=pool, ClientName="demo-cli", **options)[
        "UserPoolClient"
    ]
    # Random, and certain to meet the default policy (upper, lower, digit, symbol).
    password = "Demo-" + secrets.token_urlsafe(12) + "-7a"
    idp.admin_create_user(
        UserPoolId=pool,
        Username="demo-user",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": DEMO_EMAIL},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    idp.admin_set_user_password(
        UserPoolId=pool, Username="demo-user", Password=password, Permanent=True
    )
    identity_pool = identity.create_identity_pool(
        IdentityPoolName="demo_ids",
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[
            {
                "ProviderName": f"cognito-idp.{REGION}.amazonaws.com/{pool}",
                "ClientId": client["ClientId"],
            }
        ],
    )["IdentityPoolId"]
    return pool, client["ClientId"], identity_pool, password


def cmd_demo(ctx: Context) -> int:
    import logging
    import warnings

    # The emulator's own warnings and log lines are not the demo's to show.
    warnings.filterwarnings("ignore", module=r"(moto|werkzeug|flask)(\.|$)")
    for name in ("moto", "werkzeug", "flask"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    # moto dates its credentials with a naive UTC time's .timestamp(), which reads it as
    # local time: east of UTC they would arrive already expired. This process and the
    # helpers it starts run in UTC (the helper's own dates do not depend on it).
    os.environ["TZ"] = "UTC"
    if hasattr(time, "tzset"):
        time.tzset()
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise CredprocError(
            "the demo needs a local Cognito emulator (moto's server)",
            hint=f"run: {install_hint()}",
        ) from None
    flow: str = getattr(ctx.args, "flow", None) or "password"
    if flow != "password" and current().sys_platform == "win32":
        raise CredprocError(
            f"demo --flow {flow} plays the person at a terminal, which needs a POSIX system",
            hint="run: cognito-credproc demo",
        )
    out = sys.stdout.write
    if flow == "password":
        out("cognito-credproc demo: the real flow against a local Cognito on 127.0.0.1\n\n")
    else:
        out(f"cognito-credproc demo: {WAYS[flow]} against a local Cognito\n\n")
    workdir = tempfile.mkdtemp(prefix="cognito-credproc-demo-")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    started = time.monotonic()
    server.start()
    login: Any = None
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        _step(f"started a local Cognito at {endpoint}", started)

        started = time.monotonic()
        try:
            pool, client_id, identity_pool, password = _provision(endpoint, flow)
        except Exception as exc:  # noqa: BLE001 - whatever the emulator throws, say so plainly
            raise CredprocError(
                f"setting up the local Cognito failed: {type(exc).__name__}: {exc}"
            ) from None
        _step("created a user pool, app client, user and identity pool", started)
        way = ""
        if flow == "browser":
            from .demo_servers import ManagedLogin

            started = time.monotonic()
            login = ManagedLogin(pool)
            login.start()
            _step(f"started its managed login at {login.url}", started)
            way = f"auth_flow = BROWSER\nlogin_domain = {login.url}\n"
        elif flow == "email-code":
            from .demo_servers import install_email_codes

            install_email_codes()
            way = "auth_flow = USER_AUTH\npreferred_challenge = EMAIL_OTP\n"

        config = os.path.join(workdir, "config.ini")
        aws_config = os.path.join(workdir, "aws-config")
        with open(config, "w", encoding="utf-8") as handle:
            # The default SRP flow, as a real profile uses. The emulator's credentials last
            # 90 s (real ones: 1 h), so the demo reuses them while more than 60 s remain
            # instead of the usual 15 minutes.
            handle.write(
                f"[demo]\nuser_pool_id = {pool}\napp_client_id = {client_id}\n"
                f"identity_pool_id = {identity_pool}\nusername = demo-user\n"
                f"{way}endpoint_url = {endpoint}\nrefresh_margin = 60\n"
            )
        argv = [*tool_argv(), "--profile", "demo"]
        command = command_line(argv)
        aws_profile = f"[profile demo]\ncredential_process = {command}\nregion = {REGION}\n"
        with open(aws_config, "w", encoding="utf-8") as handle:
            handle.write(aws_profile + f"endpoint_url = {endpoint}\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            {
                "COGNITO_CREDPROC_CONFIG": config,
                "COGNITO_CREDPROC_CACHE_DIR": os.path.join(workdir, "cache"),
                "COGNITO_CREDPROC_PASSWORD": password,
                "AWS_CONFIG_FILE": aws_config,
                "AWS_SHARED_CREDENTIALS_FILE": os.path.join(workdir, "no-credentials"),
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        )
        out("\n  the settings, in a temporary config.ini (COGNITO_CREDPROC_CONFIG):\n")
        with open(config, encoding="utf-8") as handle:
            out("".join(f"    {line}" for line in handle))
        out("\n  and the profile in a temporary ~/.aws/config (AWS_CONFIG_FILE):\n")
        out("".join(f"    {line}\n" for line in aws_profile.splitlines()))
        out("\n")

        if flow == "password":
            first, started = _run_helper(argv, env)
            _step("SRP sign-in + GetId + GetCredentialsForIdentity", started)
        else:
            env.pop("COGNITO_CREDPROC_PASSWORD")  # no password typed at the terminal
            _sign_in_as_a_person(flow, argv, env, password, login)
            first, started = _run_helper(argv, env)
            _step("credential_process: the credentials login cached", started)
        lifetime = _seconds_until(str(first.get("Expiration")))
        out("  credential_process printed (keys shortened):\n")
        out("".join(f"    {line}\n" for line in shortened(first)))
        out(f"  They last {lifetime} s: the local emulator's choice (Cognito's last an hour).\n\n")
        second, started = _run_helper(argv, {**env, "COGNITO_CREDPROC_PASSWORD": ""})
        asked = {"password": "no password", "browser": "no browser", "email-code": "no code"}[flow]
        _step(f"second run: served from the cache, {asked} needed", started)
        if second != first:
            raise CredprocError("the second run did not reuse the cached credentials")

        started = time.monotonic()
        # "-c" puts the working directory first on sys.path: drop it before importing.
        script = (
            "import sys; sys.path[:1] = [p for p in sys.path[:1] if p]\n"
            "import boto3; s = boto3.Session(profile_name='demo');"
            "print(s.client('sts').get_caller_identity()['Arn'])"
        )
        done = run_like_botocore(
            [sys.executable, "-c", script], {**env, "COGNITO_CREDPROC_PASSWORD": ""}
        )
        if done.returncode != 0:
            raise CredprocError(
                f"boto3 through credential_process failed: {' '.join(done.stderr.split())}"
            )
        _step("boto3 -> credential_process -> sts:GetCallerIdentity", started)
        out(f"      {done.stdout.strip()}\n")
    finally:
        if login is not None:
            login.stop()
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    out(
        "\nStopped the local Cognito and removed every file the demo made.\n"
        "Next, with your own pools:\n"
        "  cognito-credproc configure --profile NAME\n"
        "  cognito-credproc login --profile NAME\n"
    )
    return EXIT_OK


WAYS = {
    "password": "the password (SRP) sign-in",
    "browser": "sign-in through managed login",
    "email-code": "sign-in by email code",
}


def _sign_in_as_a_person(
    flow: str, argv: list[str], env: dict[str, str], password: str, login: Any
) -> None:
    """``login`` on a terminal, answered as a person would: the browser's address pasted
    back (``--no-browser``), or the code from the mail typed in."""
    from .demo_servers import Person, outbox, sign_in_in_browser

    out = sys.stdout.write
    started = time.monotonic()
    if flow == "browser":
        out("  $ cognito-credproc login --profile demo --no-browser\n")
        person = Person([*argv, "login", "--no-browser"], env)
        screen = person.wait_for("Address the browser ended on: ")
        url = next(w for w in screen.split() if w.startswith(login.url + "/oauth2/authorize"))
        out("    it prints the address to open in a browser; there, on the managed login\n")
        out("    page, demo-user signs in with the password; the browser ends on\n")
        pasted = sign_in_in_browser(url, DEFAULT_REDIRECT_URI, "demo-user", password)
        out(f"    {pasted.split('?', 1)[0]}?code=..., which is pasted back\n")
        person.type(pasted)
        what = "authorization code + PKCE + GetId + GetCredentials..."
    else:
        out("  $ cognito-credproc login --profile demo\n")
        person = Person([*argv, "login"], env)
        person.wait_for("Code sent by email to ")
        address, code = outbox[-1]
        out("    Cognito mails a code; the mail you would get:\n\n")
        out(f"      To: {address}\n      Subject: Your sign-in code\n\n")
        out(f"      Your code is {code}\n\n")
        out("    and it is typed at the prompt (not echoed)\n")
        person.type(code)
        what = "USER_AUTH + EMAIL_OTP + GetId + GetCredentialsForIdentity"
    status, err = person.finish()
    if status != 0:
        raise CredprocError(f"the demo's login failed: {' '.join(err.split())}")
    _step(what, started)


def _seconds_until(expiration: str) -> int:
    import calendar

    try:
        then = calendar.timegm(time.strptime(expiration, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return 0
    return max(0, round((then - time.time()) / 10) * 10)
