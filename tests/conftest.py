"""Fixtures: a local Cognito (moto's server on 127.0.0.1, made strict) and helpers
to run the command the way botocore does: pipes, no terminal."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from . import strict_cognito
from .floors import floor_python, floors, tool_python
from .strict_cognito import BEHAVIOUR

REGION = "us-east-1"
JWT_RE = re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.")
TEST_PASSWORDS: set[str] = set()


def known_secrets() -> set[str]:
    """The leak oracle: every secret the fakes handed out (user-pool tokens, AWS keys and
    session tokens, OpenID tokens, STS credentials, app client secrets) and every
    password the tests use."""
    with BEHAVIOUR.lock:
        issued = set(BEHAVIOUR.issued)
    return {s for s in issued | TEST_PASSWORDS if len(s) >= 6}


def check_no_secrets(*streams: str) -> None:
    """What a person or a log sees must never carry a password, token or key."""
    secrets = known_secrets()
    for stream in streams:
        leaked = [s for s in secrets if s in stream]
        assert not leaked, f"secret leaked into output: {leaked[0][:12]}..."
        assert not JWT_RE.search(stream), "a JWT leaked into output"


PASSWORD = "Correct-Horse-9-battery"
TEST_CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    strict_cognito.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


BOTOCORE_IN_USER_AGENT = re.compile(r"(?:^|\s)Botocore/(\S+)")


def tool_botocore() -> str:
    """The botocore version the tool must run with: the floor in the floor run, else this
    virtualenv's own."""
    if floor_python():
        return floors()["botocore"]
    import botocore

    return str(botocore.__version__)


@pytest.fixture(autouse=True)
def _floor_tests_show_the_tools_botocore(request: pytest.FixtureRequest) -> Iterator[None]:
    """The tests the floor run repeats (marker ``floor``) that talk to the local Cognito
    check, from the User-Agent of the requests it received, that the tool ran the botocore
    it should: the floor's in the floor run. A tool that fell back on another
    virtualenv's packages would name another version."""
    with BEHAVIOUR.lock:
        BEHAVIOUR.tool_user_agents.clear()
    yield
    marker = request.node.get_closest_marker("floor")
    if marker is None or "moto_endpoint" not in request.fixturenames:
        return
    if not marker.kwargs.get("requests", True):
        return  # the tool is not meant to reach the local Cognito in this test
    with BEHAVIOUR.lock:
        agents = list(BEHAVIOUR.tool_user_agents)
    assert agents, "the tool made no request to the local Cognito"
    named = {m[1] if (m := BOTOCORE_IN_USER_AGENT.search(a)) else a for a in agents}
    assert named == {tool_botocore()}, f"the tool ran botocore {sorted(named)}"


def aws_client(service: str, endpoint: str, region: str = REGION) -> Any:
    """A signed client of the local server: moto files what it creates under ``region``."""
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=TEST_CONFIG,
    )


def ini_section(name: str, values: dict[str, Any], **overrides: Any) -> str:
    """A settings section: ``values`` with ``overrides``, a line each (None: left out)."""
    merged = {**values, **overrides}
    lines = [f"[{name}]"] + [f"{k} = {v}" for k, v in merged.items() if v is not None]
    return "\n".join(lines) + "\n"


@dataclass
class Cognito:
    """One provisioned user pool + app client + user + identity pool."""

    endpoint: str
    user_pool_id: str
    client_id: str
    identity_pool_id: str
    username: str
    password: str
    client_secret: str | None = None
    idp: Any = None
    identity: Any = None

    @property
    def calls(self) -> Any:
        return BEHAVIOUR.calls

    def sign_ins(self) -> int:
        return sum(
            n
            for k, n in BEHAVIOUR.calls.items()
            if k in ("InitiateAuth:USER_SRP_AUTH", "InitiateAuth:USER_PASSWORD_AUTH")
        )

    def profile_section(self, name: str = "dev", **overrides: Any) -> str:
        values: dict[str, Any] = {
            "user_pool_id": self.user_pool_id,
            "app_client_id": self.client_id,
            "identity_pool_id": self.identity_pool_id,
            "username": self.username,
            "endpoint_url": self.endpoint,
        }
        if self.client_secret:
            values["app_client_secret"] = self.client_secret
        return ini_section(name, values, **overrides)

    def configure_args(self, *extra: str, profile: str = "dev") -> list[str]:
        """A ``configure`` command line for this pool, client, user and endpoint."""
        return [
            "configure",
            *("--profile", profile),
            *("--user-pool-id", self.user_pool_id),
            *("--app-client-id", self.client_id),
            *("--identity-pool-id", self.identity_pool_id),
            *("--username", self.username),
            *("--endpoint-url", self.endpoint),
            *extra,
        ]

    def add_user(
        self,
        username: str,
        password: str,
        *,
        permanent: bool = True,
        attributes: list[dict[str, str]] | None = None,
    ) -> None:
        TEST_PASSWORDS.add(password)
        self.idp.admin_create_user(
            UserPoolId=self.user_pool_id,
            Username=username,
            TemporaryPassword=password if not permanent else "Temp-Pass-123",
            UserAttributes=attributes or [],
            MessageAction="SUPPRESS",
        )
        if permanent:
            self.idp.admin_set_user_password(
                UserPoolId=self.user_pool_id, Username=username, Password=password, Permanent=True
            )

    def add_client(
        self, name: str, *, secret: bool = False, flows: list[str] | None = None
    ) -> dict[str, Any]:
        created = self.idp.create_user_pool_client(
            UserPoolId=self.user_pool_id,
            ClientName=name,
            GenerateSecret=secret,
            ExplicitAuthFlows=flows
            or ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]
        BEHAVIOUR.record(created.get("ClientSecret"))
        return dict(created)


def grant_role(
    cognito: Cognito, arn: str, *, max_session_seconds: int = 3600, username: str | None = None
) -> str:
    """The IAM role ``arn`` (sessions up to ``max_session_seconds``), and a user-pool group
    with it holding the user: their ID tokens then list it in cognito:roles, which is what
    lets them choose it (role_arn) in the identity pool."""
    strict_cognito.create_role(arn, max_session_seconds=max_session_seconds)
    group = "role-" + arn.rsplit("/", 1)[-1]
    cognito.idp.create_group(UserPoolId=cognito.user_pool_id, GroupName=group, RoleArn=arn)
    cognito.idp.admin_add_user_to_group(
        UserPoolId=cognito.user_pool_id, Username=username or cognito.username, GroupName=group
    )
    return arn


def create_identity_pool(
    identity: Any,
    name: str,
    user_pool_id: str,
    client_id: str,
    allow_unauthenticated: bool = False,
) -> str:
    """An identity pool that trusts the user pool's app client; its id."""
    created = identity.create_identity_pool(
        IdentityPoolName=name,
        AllowUnauthenticatedIdentities=allow_unauthenticated,
        CognitoIdentityProviders=[
            {
                "ProviderName": f"cognito-idp.{REGION}.amazonaws.com/{user_pool_id}",
                "ClientId": client_id,
            }
        ],
    )
    return str(created["IdentityPoolId"])


def provision(
    endpoint: str,
    *,
    secret: bool = False,
    allow_unauthenticated: bool = False,
    email_as_username: bool = False,
    username: str = "alice",
    alias_attributes: list[str] | None = None,
    email: str | None = None,
    rotation: bool = False,
    grace_seconds: int = 0,
) -> Cognito:
    """A fresh pool, app client (all three flows), user and identity pool.

    ``email_as_username``: people sign in with their email and the pool's username is
    the sub. ``alias_attributes`` (e.g. ["email"]) with ``email``: the user keeps a
    username and may also sign in with the verified address. ``rotation``: the client
    rotates refresh tokens (GetTokensFromRefreshToken only), a rotated-out token working for
    ``grace_seconds`` more (RetryGracePeriodSeconds)."""
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))  # noqa: S310
    BEHAVIOUR.reset()
    idp = aws_client("cognito-idp", endpoint)
    identity = aws_client("cognito-identity", endpoint)
    pool_args: dict[str, Any] = {"PoolName": "people"}
    if email_as_username:
        # The pool's username is then the sub; people sign in with their email address.
        pool_args["UsernameAttributes"] = ["email"]
    if alias_attributes:
        pool_args["AliasAttributes"] = alias_attributes
    pool_id = idp.create_user_pool(**pool_args)["UserPool"]["Id"]
    client_args: dict[str, Any] = {}
    if rotation:
        client_args["RefreshTokenRotation"] = {
            "Feature": "ENABLED",
            "RetryGracePeriodSeconds": grace_seconds,
        }
    client = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="cli",
        GenerateSecret=secret,
        ExplicitAuthFlows=[
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
        **client_args,
    )["UserPoolClient"]
    identity_pool_id = create_identity_pool(
        identity, "people_ids", pool_id, client["ClientId"], allow_unauthenticated
    )
    if allow_unauthenticated:
        BEHAVIOUR.unauth_pools.add(identity_pool_id)
    BEHAVIOUR.record(client.get("ClientSecret"))
    cognito = Cognito(
        endpoint=endpoint,
        user_pool_id=pool_id,
        client_id=client["ClientId"],
        identity_pool_id=identity_pool_id,
        username=username,
        password=PASSWORD,
        client_secret=client.get("ClientSecret"),
        idp=idp,
        identity=identity,
    )
    attributes = None
    if email:
        attributes = [
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ]
    cognito.add_user(username, PASSWORD, attributes=attributes)
    return cognito


@pytest.fixture
def cognito(moto_endpoint: str) -> Cognito:
    return provision(moto_endpoint)


@pytest.fixture
def cognito_secret(moto_endpoint: str) -> Cognito:
    return provision(moto_endpoint, secret=True)


@dataclass
class Workspace:
    """A temporary home: settings file, cache dir, AWS config, and the environment."""

    root: Path
    config: Path
    cache: Path
    aws_config: Path
    env: dict[str, str]

    def check_no_secrets(self, *streams: str) -> None:
        check_no_secrets(*streams)

    def write_config(self, text: str) -> None:
        self.config.write_text(text, encoding="utf-8")

    def run(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        timeout: float = 60,
        stdin: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the installed module as botocore would: pipes, no controlling terminal; with
        the floor virtualenv's interpreter in the floor run (tests/floors.py).

        Every run's stderr (errors, --debug logs), and the stdout of the commands that
        never print credentials, is checked for every secret the local Cognito handed
        out and every password the tests use."""
        done = run_like_botocore(
            [tool_python(), "-m", "cognito_credproc", *args],
            {**self.env, **(env or {})},
            timeout=timeout,
            stdin=stdin,
        )
        self.check_no_secrets(done.stderr)
        if args and args[0] in ("status", "doctor", "configure", "clear", "logout", "login"):
            self.check_no_secrets(done.stdout)
        return done

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start the installed module as botocore would (pipes, stdin empty, no controlling
        terminal) and return at once; the caller waits and checks its streams."""
        return subprocess.Popen(
            [tool_python(), "-m", "cognito_credproc", *args],
            env={**self.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )

    def cache_files(self) -> list[Path]:
        return sorted(self.cache.glob("*")) if self.cache.exists() else []


def run_like_botocore(
    argv: list[str],
    env: dict[str, str],
    *,
    cwd: Path | None = None,
    timeout: float = 120,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``argv`` as botocore runs credential_process: stdout and stderr piped, stdin empty
    (or ``stdin``), and no controlling terminal (a new session)."""
    return subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        start_new_session=True,
        check=False,
    )


def run_python(
    args: list[str], env: dict[str, str], *, timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """This interpreter with ``args``, as botocore runs it."""
    return run_like_botocore([sys.executable, *args], env, timeout=timeout, stdin=stdin)


def run_together(
    ws: Workspace, count: int, env: dict[str, str], *args: str, timeout: float = 300
) -> list[subprocess.CompletedProcess[str]]:
    """Start ``count`` helpers at once (pipes, no terminal) and wait for all of them."""
    procs = [ws.start(*args, env=env) for _ in range(count)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        ws.check_no_secrets(err)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def clean_env(root: Path) -> dict[str, str]:
    # TZ too: a run of the suite in another time zone runs the tool in it as well.
    keep = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV", "TZ")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        {
            "HOME": str(root / "home"),
            "XDG_CONFIG_HOME": str(root / "home" / ".config"),
            "XDG_CACHE_HOME": str(root / "home" / ".cache"),
            "AWS_CONFIG_FILE": str(root / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(root / "aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1,localhost",
            "PYTHONWARNINGS": "error",
        }
    )
    return env


def processes_with(variable: str, value: str) -> list[int]:
    """Processes (other than this one) whose environment has variable=value: the helpers
    a test started, including the detached ones (early_refresh). From /proc on Linux,
    from ``ps -E`` on macOS and the BSDs; elsewhere the list is empty."""
    if not Path("/proc/self/environ").exists():
        return _processes_with_ps(f"{variable}={value}")
    wanted = f"{variable}={value}".encode() + b"\0"
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        if int(entry.name) == os.getpid():
            continue
        try:
            environ = b"\0" + (entry / "environ").read_bytes()
        except OSError:  # gone, or not ours to read
            continue
        if b"\0" + wanted in environ:
            found.append(int(entry.name))
    return found


def _processes_with_ps(assignment: str) -> list[int]:
    ps = shutil.which("ps")
    if ps is None or sys.platform == "win32":
        return []
    listed = subprocess.run(
        [ps, "-axwwE", "-o", "pid=,command="], capture_output=True, text=True, check=False
    )
    found = []
    for line in listed.stdout.splitlines():
        pid, _, command = line.strip().partition(" ")
        if pid.isdigit() and int(pid) != os.getpid() and f" {assignment} " in f"{command} ":
            found.append(int(pid))
    return found


# The Go SDK v2 from Debian's package, for a Go program that reads credentials as any does.
GO_SDK_V2 = Path("/usr/share/gocode/src/github.com/aws/aws-sdk-go-v2")
GO_CLIENT = Path(__file__).resolve().parent / "goclient" / "credcheck.go"
DEBIAN_HINT = "install with apt-get (.ci/run does): {}"


@pytest.fixture(scope="session")
def go_credcheck(tmp_path_factory: pytest.TempPathFactory) -> str:
    """tests/goclient/credcheck.go, built once per session in GOPATH mode against Debian's
    Go SDK v2: no module proxy, nothing fetched, nothing written to the repository."""
    go = shutil.which("go")
    if go is None or not (GO_SDK_V2 / "service" / "sts").is_dir():
        pytest.skip(
            "Go or the AWS SDK for Go v2 is not installed; "
            + DEBIAN_HINT.format("golang-go golang-github-aws-aws-sdk-go-v2-dev")
        )
    out = tmp_path_factory.mktemp("goclient")
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": str(GO_SDK_V2.parents[3]),
        "GOPROXY": "off",
        "GOFLAGS": "",
        "GOCACHE": str(out / "cache"),
    }
    built = subprocess.run(
        [go, "build", "-o", str(out / "credcheck"), str(GO_CLIENT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    return str(out / "credcheck")


# The time zones the zone-sensitive tests run in (the machine and CI run in UTC, where a
# local time labelled Z, or a Z time read as local, looks right): west of UTC with DST,
# east without, central Europe's DST, and two half-hour offsets, one with southern DST.
TIME_ZONES = (
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Europe/Berlin",
    "Australia/Adelaide",
    "Asia/Kolkata",
)


@pytest.fixture(params=TIME_ZONES)
def time_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test in a time zone: TZ for the tool's subprocesses (``zoned_ws``), and
    ``time.tzset()`` for this process; both are put back afterwards."""
    zone: str = request.param
    if not os.path.exists(os.path.join("/usr/share/zoneinfo", zone)):
        pytest.skip(f"time zone {zone} is not installed; " + DEBIAN_HINT.format("tzdata"))
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield zone
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.fixture
def zoned_ws(time_zone: str, ws: Workspace) -> Workspace:
    """A workspace whose tool runs in ``time_zone``."""
    ws.env["TZ"] = time_zone
    return ws


def zone_edges(zone: str, year: int = 2026) -> list[float]:
    """Instants that catch a time read in the wrong zone: around each change of the
    zone's UTC offset in ``year`` (DST starting and ending: a second before, the change,
    and half an hour either side, where local times repeat or do not exist), or, for a
    zone that keeps one offset, the turn of the year and midsummer."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)

    def offset(epoch: int) -> Any:
        return datetime.fromtimestamp(epoch, tz).utcoffset()

    start = int(datetime(year, 1, 1, tzinfo=timezone.utc).timestamp())
    end = int(datetime(year + 1, 1, 1, tzinfo=timezone.utc).timestamp())
    changes = []
    step = 900  # every change falls on a quarter hour
    for t in range(start, end, step):
        if offset(t) != offset(t + step):
            low, high = t, t + step  # the change is in (low, high]
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == offset(t) else (low, middle)
            changes.append(high)
    if not changes:
        return [float(start), float(start + 181 * 86400 + 43200)]
    return [float(c + d) for c in changes for d in (-1800, -1, 0, 1800)]


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """A temporary home. Every helper started with it must be gone when the test ends,
    so that no late call reaches the local Cognito while the next test counts calls."""
    (tmp_path / "home").mkdir()
    env = clean_env(tmp_path)
    env["COGNITO_CREDPROC_CONFIG"] = str(tmp_path / "config.ini")
    env["COGNITO_CREDPROC_CACHE_DIR"] = str(tmp_path / "cache")
    yield Workspace(
        root=tmp_path,
        config=tmp_path / "config.ini",
        cache=tmp_path / "cache",
        aws_config=tmp_path / "aws-config",
        env=env,
    )
    deadline = time.monotonic() + 60
    left = processes_with("COGNITO_CREDPROC_CACHE_DIR", env["COGNITO_CREDPROC_CACHE_DIR"])
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = processes_with("COGNITO_CREDPROC_CACHE_DIR", env["COGNITO_CREDPROC_CACHE_DIR"])
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"helper processes outlived the test by a minute: {left}"


def age_cached_tokens(ws: Workspace, seconds: float) -> None:
    """Rewrite the cached ID/access tokens' exp claim as if time had passed."""
    for path in ws.cache.glob("signin-*.json"):
        entry = json.loads(path.read_text())
        for name in ("id_token", "access_token"):
            head, body, sig = entry[name].split(".")
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            claims["exp"] = int(time.time() - seconds)
            new_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
            entry[name] = f"{head}.{new_body}.{sig}"
        path.write_text(json.dumps(entry))


def cached_signin(ws: Workspace) -> dict[str, Any]:
    """The profile's cached sign-in entry (tokens, device, rotation), as written."""
    entry: dict[str, Any] = json.loads(next(ws.cache.glob("signin-*.json")).read_text())
    return entry


def renew_with_the_refresh_token(ws: Workspace) -> None:
    """Expired tokens and no credentials cached, no password and no terminal: a plain run
    can only use the refresh token, and must succeed."""
    age_cached_tokens(ws, 10)
    for path in ws.cache.glob("credentials-*.json"):
        path.unlink()
    done = ws.run("--profile", "dev")
    assert done.returncode == 0, done.stderr
    parse_output(done.stdout)


def two_refreshes_on_a_rotating_client(ws: Workspace, cognito: Cognito) -> None:
    """On a client that rotates refresh tokens, the first refresh finds REFRESH_TOKEN_AUTH
    refused and keeps the new token GetTokensFromRefreshToken hands out; the second goes
    straight to GetTokensFromRefreshToken."""
    first = cached_signin(ws)["refresh_token"]
    renew_with_the_refresh_token(ws)
    second = cached_signin(ws)
    assert second["rotating"] is True
    assert second["refresh_token"] != first  # the rotated one is kept: the old is spent
    renew_with_the_refresh_token(ws)
    assert cognito.calls["InitiateAuth:REFRESH_TOKEN_AUTH"] == 1
    assert cognito.calls["GetTokensFromRefreshToken"] == 2


def expire_cached_credentials(ws: Workspace, left: float = 60) -> None:
    """Make the cached AWS credentials due for renewal (inside any refresh margin), so
    the next run has work to do. The service never hands out such credentials itself:
    they would be an error."""
    for path in ws.cache.glob("credentials-*.json"):
        entry = json.loads(path.read_text())
        entry["Expiration"] = time.time() + left
        path.write_text(json.dumps(entry))


def parse_output(stdout: str) -> dict[str, Any]:
    """The whole of stdout must be one JSON object."""
    data = json.loads(stdout)
    assert isinstance(data, dict)
    return data


# Test modules built on what Windows has not (mode bits, POSIX signals and sessions,
# shell scripts, another user to attack with, /proc): skipped there, with the reason. The
# Windows branches themselves are tested everywhere through the simulated Windows
# (winsim), and natively by the rest of the suite on the Windows runners.
POSIX_ONLY = {
    "tests.test_cache": "mode bits, symbolic links and /proc",
    "tests.test_demo_flows": "a pseudo-terminal (the demo plays the person on one)",
    "tests.test_config_messages": "mode bits",
    "tests.test_doctor": "shell scripts as stand-ins for the tool",
    "tests.test_endpoint": "POSIX signals",
    "tests.test_exec_server": "POSIX signals and shell scripts",
    "tests.test_integration": "mode bits",
    "tests.test_browser_chromium": "Chromium from Debian",
    "tests.robustness.test_kill": "POSIX signals",
    "tests.robustness.test_load": "/proc",
    "tests.robustness.test_paths": "mode bits and FIFOs",
    "tests.security.test_failures": "mode bits",
    "tests.security.test_planted_files": "another user, FIFOs and symbolic links",
    "tests.security.test_private_directories": "mode bits",
    "tests.security.test_secret_leaks": "/proc and shell scripts",
    "tests.security.test_settings_swap": "another user",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if sys.platform != "win32":
        return
    for item in items:
        reason = POSIX_ONLY.get(getattr(getattr(item, "module", None), "__name__", ""))
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=f"needs {reason}, which Windows has not"))


def pytest_collection_finish(session: pytest.Session) -> None:
    """A run that collects nothing is a broken run, not a green one."""
    if not session.items and not session.config.option.collectonly:
        raise pytest.UsageError("no tests were collected: check the test paths and -k/-m filters")
