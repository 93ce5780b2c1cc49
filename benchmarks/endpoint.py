"""The credentials endpoint (``exec --server``, ``serve``) under load, printed as figures.

    python benchmarks/endpoint.py [--source DIR] [--concurrent 200] [--rounds 5]
                                  [--flood 2000] [--flood-seconds 15] [--flood-user UID]

The endpoint runs in a process of its own, from this checkout or from ``--source DIR``
(another checkout, to compare), answering from credentials it holds (no Cognito: what is
measured is the server). Two measurements:
  burst   ``--concurrent`` requests with the right token, all connecting at once, in
          ``--rounds`` rounds: the median, p99 and worst latency of a request
  flood   another process (as user ``--flood-user`` when run as root, else as this
          user) keeps ``--flood`` idle connections open, replacing those the endpoint
          closes, for ``--flood-seconds``; meanwhile a client asks with the right token
          every 50 ms, giving up after 2 s as botocore does: the share answered, the
          worst latency, and the most threads the endpoint process had
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENT_TIMEOUT_SECONDS = 2.0  # botocore's container credentials timeout
BURST_TIMEOUT_SECONDS = 60.0
ASK_EVERY_SECONDS = 0.05

SERVER = """
import json, resource, sys, time
# the usual desktop limit on open files (1024), whatever this machine allows
_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
sys.path.insert(0, {source!r})
from cognito_credproc.credentials import Credentials
from cognito_credproc.endpoint import Endpoint
creds = Credentials("ASIABENCH00000000001", "bench-secret-key", "bench-session-token",
                    time.time() + 3600, None)
endpoint = Endpoint(lambda: creds, profile="bench", report=lambda message: None).start()
print(json.dumps({{"url": endpoint.url, "token": endpoint.token}}), flush=True)
sys.stdin.read()
endpoint.stop()
"""

FLOODER = """
import resource, selectors, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
port, count, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
selector = selectors.DefaultSelector()
opened = 0
end = time.monotonic() + seconds
print("flooding", flush=True)
while time.monotonic() < end:
    while len(selector.get_map()) < count:
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        selector.register(sock, selectors.EVENT_READ)
        opened += 1
    for key, _ in selector.select(0.05):
        sock = key.fileobj
        try:
            data = sock.recv(1)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        if not data:  # closed by the endpoint: open another
            selector.unregister(sock)
            sock.close()
print(opened, flush=True)
"""


def start_server(source: Path) -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER.format(source=str(source))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd="/",
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        sys.exit("the endpoint did not start")
    info = json.loads(line)
    return proc, info["url"], info["token"]


def request_bytes(url: str, token: str) -> tuple[int, bytes]:
    parts = urllib.parse.urlsplit(url)
    assert parts.port is not None
    head = (
        f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: {token}\r\nConnection: close\r\n\r\n"
    )
    return parts.port, head.encode()


FAILURES: dict[str, int] = {}


def failed(why: str) -> None:
    FAILURES[why] = FAILURES.get(why, 0) + 1


async def one_request(port: int, head: bytes, timeout: float) -> float | None:
    """Seconds until the whole answer is in, or None when it failed or took too long
    (counted in FAILURES by what went wrong)."""
    started = time.perf_counter()
    stage = ["connect"]

    async def ask() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            stage[0] = "answer"
            writer.write(head)
            await writer.drain()
            return await reader.read()
        finally:
            writer.close()

    try:
        answer = await asyncio.wait_for(ask(), timeout)
    except asyncio.TimeoutError:
        failed(f"no {stage[0]} in time")
        return None
    except OSError as exc:
        failed(f"{stage[0]}: {exc.strerror or type(exc).__name__}")
        return None
    if not answer.startswith(b"HTTP/1.0 200") and not answer.startswith(b"HTTP/1.1 200"):
        failed("closed without an answer" if not answer else "not a 200")
        return None
    return time.perf_counter() - started


async def burst(port: int, head: bytes, count: int) -> list[float | None]:
    return list(
        await asyncio.gather(
            *(one_request(port, head, BURST_TIMEOUT_SECONDS) for _ in range(count))
        )
    )


def threads_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def reasons() -> str:
    said = ", ".join(f"{why}: {n}" for why, n in sorted(FAILURES.items()))
    FAILURES.clear()
    return f"({said})" if said else ""


def measure_burst(port: int, head: bytes, count: int, rounds: int) -> None:
    times: list[float] = []
    failed = 0
    for _ in range(rounds):
        for result in asyncio.run(burst(port, head, count)):
            if result is None:
                failed += 1
            else:
                times.append(result)
    print(f"burst: {count} concurrent authorised requests x {rounds} rounds")
    if times:
        print(
            f"  median {statistics.median(times) * 1000:8.1f} ms   "
            f"p99 {percentile(times, 0.99) * 1000:8.1f} ms   max {max(times) * 1000:8.1f} ms"
        )
    print(f"  failed or over {BURST_TIMEOUT_SECONDS:.0f} s: {failed} {reasons()}")


def python_for(user: int | None) -> str:
    """An interpreter ``user`` may run (this one may sit in a directory only we enter)."""
    if user is None:
        return sys.executable
    for candidate in (sys.executable, os.path.realpath(sys.executable), "/usr/bin/python3"):
        try:
            probe = subprocess.run(
                [candidate, "-I", "-c", "pass"],
                user=user,
                group=user,
                extra_groups=[],
                cwd="/",
                capture_output=True,
                check=False,
            )
        except OSError:
            continue
        if probe.returncode == 0:
            return candidate
    sys.exit(f"no Python interpreter that user {user} may run")


def start_flooder(port: int, count: int, seconds: float, user: int | None) -> subprocess.Popen[str]:
    extra: dict[str, object] = {}
    if user is not None:
        extra = {"user": user, "group": user, "extra_groups": []}
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [python_for(user), "-I", "-c", FLOODER, str(port), str(count), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd="/",
        **extra,
    )


def measure_flood(
    server: subprocess.Popen[str],
    port: int,
    head: bytes,
    count: int,
    seconds: float,
    user: int | None,
) -> None:
    flooder = start_flooder(port, count, seconds, user)
    assert flooder.stdout is not None
    flooder.stdout.readline()  # flooding
    most_threads = threads_of(server.pid)
    done = threading.Event()

    def watch() -> None:
        nonlocal most_threads
        while not done.is_set():
            most_threads = max(most_threads, threads_of(server.pid))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    results: list[float | None] = []
    end = time.monotonic() + seconds - 1
    while time.monotonic() < end:
        results.append(asyncio.run(one_request(port, head, CLIENT_TIMEOUT_SECONDS)))
        time.sleep(ASK_EVERY_SECONDS)
    done.set()
    watcher.join()
    opened = int((flooder.communicate(timeout=seconds + 60)[0] or "0").split()[-1])
    answered = [r for r in results if r is not None]
    who = f"user {user}" if user is not None else "this user"
    print(
        f"flood: another process ({who}) holding {count} idle connections "
        f"for {seconds:.0f} s ({opened} opened in all)"
    )
    print(
        f"  answered {len(answered)}/{len(results)} "
        f"({100 * len(answered) / max(len(results), 1):.1f}%) within "
        f"{CLIENT_TIMEOUT_SECONDS:.0f} s; worst "
        f"{(max(answered) * 1000 if answered else float('nan')):.1f} ms; "
        f"endpoint threads at most {most_threads}"
    )
    if FAILURES:
        print(f"  failures {reasons()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout to run [this one]")
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--flood", type=int, default=2000)
    parser.add_argument("--flood-seconds", type=float, default=15.0)
    parser.add_argument("--flood-user", type=int, default=None, help="uid to flood as (root)")
    args = parser.parse_args()
    if args.flood_user is None and hasattr(os, "geteuid") and os.geteuid() == 0:
        args.flood_user = 65534  # the unprivileged account of Debian-like systems
    # The endpoint keeps the usual limit on open files; the burst's client needs more.
    server, url, token = start_server(args.source.resolve())
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        port, head = request_bytes(url, token)
        print(f"endpoint from {args.source.resolve()} (pid {server.pid}) at port {port}")
        print(f"  threads when idle: {threads_of(server.pid)}")
        measure_burst(port, head, args.concurrent, args.rounds)
        measure_flood(server, port, head, args.flood, args.flood_seconds, args.flood_user)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
