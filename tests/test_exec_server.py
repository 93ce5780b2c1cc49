"""``exec --server`` and ``serve`` as processes, read by real SDKs through their own
credential chains (boto3, the AWS CLI, the JavaScript SDK v3, the Go SDK v2) against the
strict local Cognito; the child's exit code and signals; the endpoint gone when the child
is."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from .conftest import Cognito, Workspace, expire_cached_credentials, parse_output, run_python
from .ptyterm import PtyRun
from .strict_cognito import BEHAVIOUR

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
# Where .ci/run installs the JavaScript SDK (outside the package); override to test another.
NODE_MODULES = Path(
    os.environ.get("COGNITO_CREDPROC_TEST_NODE_MODULES", ROOT / ".ci" / "node" / "node_modules")
)
DEBIAN_AWS_CLI = Path("/usr/bin/aws")

# Variables that would beat the endpoint in an SDK's chain, or must never reach a child.
PARENT_NOISE = {
    "AWS_ACCESS_KEY_ID": "AKIAPARENTKEY0000000",
    "AWS_SECRET_ACCESS_KEY": "parent-secret-key",
    "AWS_SESSION_TOKEN": "parent-session-token",
    "AWS_PROFILE": "dev",
    "AWS_DEFAULT_PROFILE": "dev",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/parent",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/nonexistent/parent-token",
    "AWS_WEB_IDENTITY_TOKEN_FILE": "/nonexistent/parent-web-identity-token",
    "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/parent",
    "AWS_ROLE_SESSION_NAME": "parent",
    "AWS_SECURITY_TOKEN": "parent-security-token",
    "AWS_CREDENTIAL_EXPIRATION": "2000-01-01T00:00:00Z",
}

ASK = """
import json, os, sys, urllib.error, urllib.request

def ask():
    request = urllib.request.Request(
        os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
        headers={"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return [answer.status, json.loads(answer.read())]
    except urllib.error.HTTPError as exc:
        return [exc.code, exc.read().decode()]
"""


def configured(ws: Workspace, cognito: Cognito, **overrides: str) -> dict[str, str]:
    """The profile written, and the environment the tool runs with (password included)."""
    ws.write_config(cognito.profile_section("dev", **overrides))
    return {**ws.env, "COGNITO_CREDPROC_PASSWORD": cognito.password}


def exec_server(
    ws: Workspace, env: dict[str, str], *command: str
) -> subprocess.CompletedProcess[str]:
    done = run_python(
        ["-m", "cognito_credproc", "exec", "--server", "--profile", "dev", "--", *command], env
    )
    ws.check_no_secrets(done.stderr)
    return done


def cached_key(ws: Workspace) -> str:
    done = ws.run("--profile", "dev")
    assert done.returncode == 0, done.stderr
    return str(parse_output(done.stdout)["AccessKeyId"])


BOTO3_CHILD = """
import boto3, json, os, sys
session = boto3.Session()
creds = session.get_credentials()
first = creds.get_frozen_credentials().access_key
sts = session.client("sts", endpoint_url=os.environ["TEST_STS_ENDPOINT"])
account = sts.get_caller_identity()["Account"]
second = creds.get_frozen_credentials().access_key
names = [n for n in os.environ if n.startswith(("AWS_", "COGNITO_CREDPROC_"))]
print(json.dumps({"method": creds.method, "first": first, "second": second,
                  "account": account, "region": session.region_name, "names": sorted(names)}))
"""


def test_boto3_child_reads_the_endpoint_through_its_chain(ws: Workspace, cognito: Cognito) -> None:
    env = {**configured(ws, cognito), **PARENT_NOISE, "TEST_STS_ENDPOINT": cognito.endpoint}
    done = exec_server(ws, env, sys.executable, "-c", BOTO3_CHILD)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["method"] == "container-role"
    assert seen["first"] == seen["second"] == cached_key(ws)  # one fetch, then the cache
    assert seen["account"]
    assert seen["region"] == "us-east-1"
    for name in (*PARENT_NOISE, "COGNITO_CREDPROC_PASSWORD"):
        assert name not in seen["names"]
    for name in (
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        # Kept: they hold the person's other settings, and without them the SDKs read
        # ~/.aws/config and ~/.aws/credentials, whose [default] comes first just the same.
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
    ):
        assert name in seen["names"]
    assert BEHAVIOUR.calls["GetCredentialsForIdentity"] == 1


def test_boto3_child_gets_new_keys_after_a_renewal(ws: Workspace, cognito: Cognito) -> None:
    # Keys that live less than the SDK's 15 minutes: it asks again when it looks at them
    # next; by then (the child ages the cache, as if time had passed) they are due, and
    # the endpoint renews.
    BEHAVIOUR.credentials_lifetime = 700
    env = {
        **configured(ws, cognito, refresh_margin="600"),
        "TEST_STS_ENDPOINT": cognito.endpoint,
        "TEST_CACHE_DIR": str(ws.cache),
    }
    aging = BOTO3_CHILD.replace(
        "sts = session.client(",
        "import glob, time\n"
        "for path in glob.glob(os.environ['TEST_CACHE_DIR'] + '/credentials-*.json'):\n"
        "    entry = json.load(open(path))\n"
        "    entry['Expiration'] = time.time() + 60\n"
        "    open(path, 'w').write(json.dumps(entry))\n"
        "sts = session.client(",
    )
    done = exec_server(ws, env, sys.executable, "-c", aging)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["method"] == "container-role"
    assert seen["first"] != seen["second"]
    assert cognito.sign_ins() == 1  # renewals reuse the sign-in


def check_aws_cli_child(ws: Workspace, env: dict[str, str], aws: str, endpoint: str) -> None:
    """``aws`` (a command line, quoted) as the child of ``exec --server``: it calls STS
    with the endpoint's keys, and ``configure list`` says where they came from."""
    script = (
        f"{aws} sts get-caller-identity --endpoint-url {shlex.quote(endpoint)}"
        f" && {aws} configure list"
    )
    done = exec_server(ws, env, "sh", "-c", script)
    assert done.returncode == 0, done.stderr
    assert '"Account"' in done.stdout
    access_line = next(line for line in done.stdout.splitlines() if "access_key" in line)
    assert "container-role" in access_line
    assert access_line.split()[1].strip("*") == cached_key(ws)[-4:]


def test_aws_cli_child_uses_the_endpoint(ws: Workspace, cognito: Cognito) -> None:
    env = {**configured(ws, cognito), **PARENT_NOISE}
    aws = f"{shlex.quote(sys.executable)} -m awscli"
    check_aws_cli_child(ws, env, aws, cognito.endpoint)


def test_debian_aws_cli_v2_child_uses_the_endpoint(ws: Workspace, cognito: Cognito) -> None:
    if not DEBIAN_AWS_CLI.exists():
        pytest.skip(f"{DEBIAN_AWS_CLI} is not installed (Debian package awscli)")
    env = {**configured(ws, cognito), **PARENT_NOISE, "PYTHONWARNINGS": "ignore"}
    check_aws_cli_child(ws, env, shlex.quote(str(DEBIAN_AWS_CLI)), cognito.endpoint)


NODE_CHILD = """
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
(async () => {
  const client = new STSClient({ endpoint: process.env.TEST_STS_ENDPOINT });
  const identity = await client.send(new GetCallerIdentityCommand({}));
  const creds = await client.config.credentials();
  console.log(JSON.stringify({ account: identity.Account, key: creds.accessKeyId,
                               expiration: creds.expiration.toISOString() }));
})().catch((error) => { console.error(String(error)); process.exit(3); });
"""


def test_javascript_sdk_v3_child_uses_the_endpoint(ws: Workspace, cognito: Cognito) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (NODE_MODULES / "@aws-sdk" / "client-sts").is_dir():
        pytest.skip(f"@aws-sdk/client-sts is not installed in {NODE_MODULES} (.ci/run does it)")
    env = {
        **configured(ws, cognito),
        **PARENT_NOISE,
        "TEST_STS_ENDPOINT": cognito.endpoint,
        "NODE_PATH": str(NODE_MODULES),
    }
    done = exec_server(ws, env, node, "-e", NODE_CHILD)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["account"]
    assert seen["key"] == cached_key(ws)
    assert seen["expiration"].endswith("Z")


def test_go_sdk_v2_child_uses_the_endpoint(
    ws: Workspace, cognito: Cognito, go_credcheck: str
) -> None:
    env = {**configured(ws, cognito), **PARENT_NOISE}
    done = exec_server(ws, env, go_credcheck, "", cognito.endpoint)  # "": the default chain
    assert done.returncode == 0, done.stderr
    seen = parse_output(done.stdout)
    ours = parse_output(ws.run("--profile", "dev").stdout)
    assert seen["Source"] == "CredentialsEndpointProvider"
    assert seen["AccessKeyId"] == ours["AccessKeyId"]
    assert seen["CanExpire"] is True  # it renews from the endpoint by itself
    assert seen["Account"]


def test_the_childs_exit_code_is_the_tools(ws: Workspace, cognito: Cognito) -> None:
    env = configured(ws, cognito)
    done = exec_server(ws, env, sys.executable, "-c", "import sys; sys.exit(7)")
    assert done.returncode == 7
    killed = exec_server(
        ws, env, sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    )
    assert killed.returncode == 128 + signal.SIGKILL


def test_a_missing_command_and_no_command(ws: Workspace, cognito: Cognito) -> None:
    env = configured(ws, cognito)
    missing = exec_server(ws, env, "no-such-command-here")
    assert missing.returncode == 127  # as a shell says
    assert "command not found: no-such-command-here" in missing.stderr
    not_executable = ws.root / "not-executable"
    not_executable.write_text("#!/bin/sh\n")
    refused = exec_server(ws, env, str(not_executable))
    assert refused.returncode == 126
    assert f"cannot run {not_executable}: Permission denied" in refused.stderr
    none = run_python(["-m", "cognito_credproc", "exec", "--server", "--profile", "dev"], env)
    assert none.returncode == 2


def test_the_endpoint_is_gone_after_the_child(ws: Workspace, cognito: Cognito) -> None:
    env = configured(ws, cognito)
    code = ASK + "print(os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI']); print(ask()[0])"
    done = exec_server(ws, env, sys.executable, "-c", code)
    assert done.returncode == 0, done.stderr
    url, status = done.stdout.split()
    assert status == "200"
    port = urllib.parse.urlsplit(url).port
    assert port is not None
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass


WAIT_FOR_SIGNAL = """
import os, signal, sys

def on(signum, frame):
    # os.write: the signal may land while print("ready") is still inside stdout's flush
    os.write(1, ("got " + signal.Signals(signum).name + "\\n").encode())
    os._exit(42)

signal.signal(signal.SIGINT, on)
signal.signal(signal.SIGTERM, on)
print("ready", flush=True)
sys.stdin.read()  # until the test gives up
sys.exit(1)
"""


@pytest.fixture
def popen_tool() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def start_tool(
    started: list[subprocess.Popen[str]], env: dict[str, str], *args: str
) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cognito_credproc", *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    started.append(proc)
    return proc


def read_line(stream: IO[str] | None) -> str:
    assert stream is not None
    return stream.readline().strip()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signals_reach_the_child(
    ws: Workspace, cognito: Cognito, popen_tool: list[subprocess.Popen[str]], signum: int
) -> None:
    env = configured(ws, cognito)
    args = ["exec", "--server", "--profile", "dev", "--", sys.executable, "-c", WAIT_FOR_SIGNAL]
    proc = start_tool(popen_tool, env, *args)
    assert read_line(proc.stdout) == "ready"
    proc.send_signal(signum)  # to the tool alone, as kill(1) would
    # Wait before communicate(), which closes stdin: the child would end on that instead.
    proc.wait(timeout=60)
    out, err = proc.communicate()
    assert out.strip() == f"got {signal.Signals(signum).name}", err
    assert proc.returncode == 42, err
    assert "Traceback" not in err


def test_a_child_killed_by_the_forwarded_signal_exits_128_plus_n(
    ws: Workspace, cognito: Cognito, popen_tool: list[subprocess.Popen[str]]
) -> None:
    env = configured(ws, cognito)
    child = "import sys; print('ready', flush=True); sys.stdin.read()"
    proc = start_tool(
        popen_tool,
        env,
        "exec",
        "--server",
        "--profile",
        "dev",
        "--",
        "sh",
        "-c",
        f"exec {shlex.quote(sys.executable)} -c {shlex.quote(child)}",
    )
    assert read_line(proc.stdout) == "ready"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)  # before communicate() closes the child's stdin
    assert proc.returncode == 128 + signal.SIGTERM


COUNT_SIGINTS = """
import json, signal
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
print("ready", flush=True)
first = signal.sigwaitinfo({signal.SIGINT})
print("first", flush=True)
after = signal.sigwaitinfo({signal.SIGINT, signal.SIGTERM})
print(json.dumps({"first_pid": first.si_pid, "next": signal.Signals(after.si_signo).name}))
"""


@pytest.mark.skipif(not hasattr(signal, "sigwaitinfo"), reason="needs sigwaitinfo")
def test_ctrl_c_in_a_terminal_reaches_the_child_once(ws: Workspace, cognito: Cognito) -> None:
    # The terminal signals the whole foreground group; passing it on as well would
    # deliver two, and a second Ctrl-C makes terraform quit without cleaning up.
    env = configured(ws, cognito)
    run = PtyRun(
        ["exec", "--server", "--profile", "dev", "--", sys.executable, "-c", COUNT_SIGINTS], env
    )
    try:
        assert run.proc.stdout is not None
        assert run.proc.stdout.readline().decode().strip() == "ready"
        # Two SIGINTs pending at once merge into one: hold the tool still until the child
        # has taken the terminal's, so one passed on afterwards would be seen.
        os.kill(run.proc.pid, signal.SIGSTOP)
        os.waitpid(run.proc.pid, os.WUNTRACED)
        os.write(run.master, b"\x03")
        assert run.proc.stdout.readline().decode().strip() == "first"
        # The tool handles its pending SIGINT before this SIGTERM, which it passes on:
        # the next signal the child sees tells whether the SIGINT was passed on too.
        os.kill(run.proc.pid, signal.SIGCONT)
        os.kill(run.proc.pid, signal.SIGTERM)
        code, out, err = run.finish(timeout=30)
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
            run.finish()
    assert code == 0, err
    seen = json.loads(out)
    assert seen["first_pid"] == 0  # from the terminal (the kernel), not from a process
    assert seen["next"] == "SIGTERM"


def test_a_failed_renewal_answers_503_and_says_so_once(
    ws: Workspace, cognito: Cognito, popen_tool: list[subprocess.Popen[str]]
) -> None:
    env = configured(ws, cognito)
    child = ASK + "print(json.dumps(ask()), flush=True)\nsys.stdin.readline()\n"
    child += "print(json.dumps([ask() for _ in range(3)]), flush=True)\n"
    proc = start_tool(
        popen_tool, env, "exec", "--server", "--profile", "dev", "--", sys.executable, "-c", child
    )
    status, good = json.loads(read_line(proc.stdout))
    assert status == 200
    expire_cached_credentials(ws)  # due: every ask now renews
    BEHAVIOUR.fail_credentials = True
    out, err = proc.communicate("\n", timeout=60)
    assert proc.returncode == 0, err
    for status, body in json.loads(out):
        assert status == 503
        assert good["AccessKeyId"] not in body
        assert "profile dev" in json.loads(body)["message"]
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cognito-credproc: credentials endpoint: profile dev:")
    ws.check_no_secrets(err)


# serve ------------------------------------------------------------------------------------


SERVED = (
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
)


def exports(proc: subprocess.Popen[str]) -> dict[str, str]:
    found = {}
    for _ in SERVED:
        line = read_line(proc.stdout)
        assert line.startswith("export "), line
        name, _, value = line[len("export ") :].partition("=")
        found[name] = shlex.split(value)[0]
    return found


def ask_many(variables: dict[str, str], count: int) -> list[tuple[int, Any]]:
    start = threading.Barrier(count)
    answers: list[tuple[int, Any]] = []

    def ask() -> None:
        request = urllib.request.Request(  # noqa: S310 - the endpoint under test
            variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
            headers={"Authorization": variables["AWS_CONTAINER_AUTHORIZATION_TOKEN"]},
        )
        start.wait()
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            answers.append((answer.status, json.loads(answer.read())))

    threads = [threading.Thread(target=ask) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_serve_answers_another_process_and_stops_on_ctrl_c(
    ws: Workspace, cognito: Cognito, popen_tool: list[subprocess.Popen[str]]
) -> None:
    env = configured(ws, cognito)
    proc = start_tool(popen_tool, env, "serve", "--profile", "dev")
    variables = exports(proc)
    assert list(variables) == list(SERVED)
    assert variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
    # The region, as exec --server sets it (the AWS CLI v1 and boto3 read only the second).
    assert variables["AWS_REGION"] == variables["AWS_DEFAULT_REGION"] == "us-east-1"

    # Nothing but what serve printed: the region comes from there too.
    client = {**ws.env, **variables, "TEST_STS_ENDPOINT": cognito.endpoint}
    done = run_python(["-c", BOTO3_CHILD], client)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["method"] == "container-role"
    assert seen["first"] == cached_key(ws)

    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out == ""
    assert "Traceback" not in err and "cognito-credproc: stopped" in err.splitlines()[-1]
    assert variables["AWS_CONTAINER_AUTHORIZATION_TOKEN"] not in err
    ws.check_no_secrets(err)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"], timeout=10)  # noqa: S310


def test_serve_renews_once_for_twenty_concurrent_requests(
    ws: Workspace, cognito: Cognito, popen_tool: list[subprocess.Popen[str]]
) -> None:
    env = configured(ws, cognito)
    proc = start_tool(popen_tool, env, "serve", "--profile", "dev")
    variables = exports(proc)
    expire_cached_credentials(ws)  # the first keys are due
    before = BEHAVIOUR.calls["GetCredentialsForIdentity"]
    answers = ask_many(variables, 20)
    assert BEHAVIOUR.calls["GetCredentialsForIdentity"] - before == 1
    assert [status for status, _ in answers] == [200] * 20
    assert len({body["AccessKeyId"] for _, body in answers}) == 1
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 0


@pytest.mark.parametrize(
    ("fmt", "first", "region"),
    [
        (
            "sh",
            "export AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:",
            "export {}=us-east-1",
        ),
        (
            "fish",
            "set -gx AWS_CONTAINER_CREDENTIALS_FULL_URI 'http://127.0.0.1:",
            "set -gx {} 'us-east-1'",
        ),
        (
            "powershell",
            "$Env:AWS_CONTAINER_CREDENTIALS_FULL_URI = 'http://127.0.0.1:",
            "$Env:{} = 'us-east-1'",
        ),
        ("dotenv", 'AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:', '{}="us-east-1"'),
    ],
)
def test_serve_prints_the_variables_in_each_format(
    ws: Workspace,
    cognito: Cognito,
    popen_tool: list[subprocess.Popen[str]],
    fmt: str,
    first: str,
    region: str,
) -> None:
    env = configured(ws, cognito, region="us-east-1")
    proc = start_tool(popen_tool, env, "serve", "--profile", "dev", "--format", fmt)
    lines = [read_line(proc.stdout) for _ in SERVED]
    assert lines[0].startswith(first)
    assert "AWS_CONTAINER_AUTHORIZATION_TOKEN" in lines[1]
    assert lines[2:] == [region.format("AWS_REGION"), region.format("AWS_DEFAULT_REGION")]
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 0


def test_serve_on_a_taken_port_or_a_bad_one(ws: Workspace, cognito: Cognito) -> None:
    env = configured(ws, cognito)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_python(
            ["-m", "cognito_credproc", "serve", "--profile", "dev", "--port", str(port)], env
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1 port {port}" in done.stderr
    assert "Traceback" not in done.stderr
    assert cognito.sign_ins() == 0  # the port is tried before anyone signs in
    bad = run_python(
        ["-m", "cognito_credproc", "serve", "--profile", "dev", "--port", "70000"], env
    )
    assert bad.returncode == 2
    assert "--port" in bad.stderr
