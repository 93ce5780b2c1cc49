"""Attack: a stopped ``serve --port N`` is replaced. After the victim stops it, another
user listens on the same port; an SDK still holding the exported variables sends its
(dead) token there and takes whatever keys that listener hands out.

Nothing a process does can stop another user from listening on a port it has given
up, so the tool makes a stale endpoint hard to meet and easy to notice: a random port
unless ``--port`` is given (and a warning when it is), a path of each run's own in the
exported URL (a later endpoint on that port, or any server that does not answer every
path, turns the stale client away), nothing of the URL or token where others can read
it, and a reminder at the end to unset the variables."""

from __future__ import annotations

import json
import shlex
import signal
import socket
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator

import pytest

from cognito_credproc.endpoint import Endpoint

from ..conftest import Cognito, Workspace
from ..fakes import Clock
from ..test_endpoint import Fetch, creds, request
from .conftest import python_as_attacker

VARIABLES = ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN")


@pytest.fixture
def clock() -> Clock:
    return Clock(start=1_800_000_000.0)


def test_the_exported_url_has_a_path_of_each_runs_own(clock: Clock) -> None:
    fetch = Fetch(lambda: creds(clock() + 3600))
    paths = set()
    for _ in range(3):
        with Endpoint(fetch, profile="dev", report=print, now=clock) as running:
            url = urllib.parse.urlsplit(running.environment()[VARIABLES[0]])
            assert url.path == running.path and len(running.path) > 20
            paths.add(running.path)
            assert request(running)[0] == 200
            for other in ("/", running.path + "x", running.path[:-1], running.path + "/"):
                status, body = request(running, target=other)  # with the right token
                assert (status, body) == (404, b"")
    assert len(paths) == 3
    assert fetch.calls == 1 * 3


def test_a_client_of_a_stopped_endpoint_is_turned_away_by_a_later_one(clock: Clock) -> None:
    fetch = Fetch(lambda: creds(clock() + 3600))
    for _ in range(20):  # another test running beside this one may take the port first
        first = Endpoint(fetch, profile="dev", report=print, now=clock)
        port, stale_path, stale_token = first.port, first.path, first.token
        first.stop()  # never connected to: the port is free again at once
        try:
            later = Endpoint(fetch, profile="dev", report=print, now=clock, port=port)
        except OSError:
            continue
        break
    else:
        pytest.fail("no port stayed free long enough")
    with later:
        status, body = request(later, target=stale_path, token=stale_token)
    assert (status, body) == (404, b"")
    assert fetch.calls == 0


@pytest.fixture
def popen_tool() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def start_serve(
    started: list[subprocess.Popen[str]], ws: Workspace, cognito: Cognito, *extra: str
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    ws.write_config(cognito.profile_section("dev"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "cognito_credproc", "serve", "--profile", "dev", *extra],
        env={**ws.env, "COGNITO_CREDPROC_PASSWORD": cognito.password},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    started.append(proc)
    assert proc.stdout is not None
    found = {}
    for _ in VARIABLES:
        name, _, value = proc.stdout.readline().strip()[len("export ") :].partition("=")
        found[name] = shlex.split(value)[0]
    assert set(found) == set(VARIABLES), found
    return proc, found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.integration
def test_serve_warns_about_a_fixed_port_and_says_to_unset_the_variables(
    ws: Workspace, cognito: Cognito, popen_tool: list[subprocess.Popen[str]]
) -> None:
    port = free_port()
    proc, found = start_serve(popen_tool, ws, cognito, "--port", str(port))
    assert urllib.parse.urlsplit(found[VARIABLES[0]]).port == port
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert f"another user can listen on port {port} once this stops" in err
    assert "leave --port out" in err
    last = err.splitlines()[-1]
    assert last.startswith("cognito-credproc: stopped; unset ")
    assert all(name in last for name in VARIABLES)
    assert found[VARIABLES[1]] not in err and found[VARIABLES[0]] not in err


@pytest.mark.integration
def test_serve_without_a_port_says_nothing_of_fixed_ports(
    ws: Workspace, cognito: Cognito, popen_tool: list[subprocess.Popen[str]]
) -> None:
    proc, _ = start_serve(popen_tool, ws, cognito)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "fixed --port" not in err


PROBE = """
import json, os, socket, sys
pid, port = int(sys.argv[1]), int(sys.argv[2])
seen = {"cmdline": open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")}
try:
    seen["environ"] = open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace")
except OSError as exc:
    seen["environ"] = type(exc).__name__
seen["net"] = open("/proc/net/tcp").read()
with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
    conn.sendall(f"GET / HTTP/1.1\\r\\nHost: 127.0.0.1:{port}\\r\\n\\r\\n".encode())
    seen["answer"] = conn.recv(4096).decode(errors="replace")
print(json.dumps(seen))
"""


@pytest.mark.integration
def test_another_user_learns_neither_the_path_nor_the_token_while_serve_runs(
    ws: Workspace, cognito: Cognito, popen_tool: list[subprocess.Popen[str]]
) -> None:
    proc, found = start_serve(popen_tool, ws, cognito)
    url = urllib.parse.urlsplit(found[VARIABLES[0]])
    token = found[VARIABLES[1]]
    assert url.port is not None
    code = PROBE.replace("sys.argv[1]", str(proc.pid)).replace("sys.argv[2]", str(url.port))
    done = python_as_attacker(code)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert f"{url.port:04X}" in seen["net"]  # the port is no secret to anyone
    assert seen["environ"] == "PermissionError"
    for secret in (url.path.strip("/"), token):
        assert secret not in done.stdout
    assert seen["answer"].startswith("HTTP/1.0 404 ")  # without the path, nothing
