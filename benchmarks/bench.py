"""Timings of the installed command against a local Cognito (moto), printed as figures.

    python benchmarks/bench.py [--runs 21]

Paths measured, each as the median wall time of whole processes:
  python -c pass          the floor: starting Python at all
  import boto3            what a helper that imports boto3 on every call pays at least
  boto3 + 2 clients       the naive helper's floor: boto3 and two Cognito clients, no call
  cache hit               cognito-credproc with fresh credentials in the cache
  renew credentials       cached ID token, new GetCredentialsForIdentity
  refresh token           expired ID token renewed with the refresh token
  cold                    empty cache: SRP sign-in, GetId, GetCredentialsForIdentity
Cache-hit runs are interleaved with the `python -c pass` runs so machine noise hits both.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from moto.server import ThreadedMotoServer  # noqa: E402

from tests import strict_cognito  # noqa: E402
from tests.conftest import clean_env, provision  # noqa: E402
from tests.strict_cognito import BEHAVIOUR  # noqa: E402

NAIVE_CLIENTS = (
    "import boto3\n"
    "from botocore import UNSIGNED\n"
    "from botocore.config import Config\n"
    "c = Config(signature_version=UNSIGNED)\n"
    "boto3.client('cognito-idp', region_name='us-east-1', config=c)\n"
    "boto3.client('cognito-identity', region_name='us-east-1', config=c)\n"
)


def helper() -> list[str]:
    console = Path(sys.executable).parent / "cognito-credproc"
    found = str(console) if console.exists() else shutil.which("cognito-credproc")
    if not found:
        sys.exit("cognito-credproc is not installed; run: pip install -e '.[test]'")
    return [found, "--profile", "bench"]


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        argv,
        env=env,
        capture_output=True,
        check=False,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace')}")
    return elapsed


def age_tokens(cache: Path) -> None:
    for path in cache.glob("signin-*.json"):
        entry = json.loads(path.read_text())
        for name in ("id_token", "access_token"):
            head, body, sig = entry[name].split(".")
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            claims["exp"] = int(time.time()) - 10
            body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
            entry[name] = f"{head}.{body}.{sig}"
        path.write_text(json.dumps(entry))


def drop(cache: Path, pattern: str) -> None:
    for path in cache.glob(pattern):
        path.unlink()


def ms(values: list[float]) -> str:
    median, low = statistics.median(values) * 1000, min(values) * 1000
    return f"{median:7.1f} ms (min {low:.1f}, n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="cache-hit runs (at least 15)")
    parser.add_argument("--slow-runs", type=int, default=5, help="runs of each network path")
    args = parser.parse_args()
    runs = max(15, args.runs)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    strict_cognito.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        cognito = provision(f"http://{host}:{port}")
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "home").mkdir()
            env = clean_env(root)
            env.pop("PYTHONWARNINGS", None)
            cache = root / "cache"
            (root / "config.ini").write_text(cognito.profile_section("bench"))
            env.update(
                {
                    "COGNITO_CREDPROC_CONFIG": str(root / "config.ini"),
                    "COGNITO_CREDPROC_CACHE_DIR": str(cache),
                    "COGNITO_CREDPROC_PASSWORD": cognito.password,
                }
            )
            cmd = helper()

            cold, renew, refresh = [], [], []
            for _ in range(args.slow_runs):
                drop(cache, "*.json")
                cold.append(timed(cmd, env))
                drop(cache, "credentials-*.json")
                renew.append(timed(cmd, env))
                drop(cache, "credentials-*.json")
                age_tokens(cache)
                refresh.append(timed(cmd, env))
            signins = BEHAVIOUR.calls["InitiateAuth:USER_SRP_AUTH"]
            refreshes = BEHAVIOUR.calls["InitiateAuth:REFRESH_TOKEN_AUTH"]

            timed(cmd, env)  # warm the file cache
            base, hit, naive, clients = [], [], [], []
            for _ in range(runs):
                base.append(timed([sys.executable, "-c", "pass"], env))
                hit.append(timed(cmd, env))
                naive.append(timed([sys.executable, "-c", "import boto3"], env))
                clients.append(timed([sys.executable, "-c", NAIVE_CLIENTS], env))
            if BEHAVIOUR.calls["InitiateAuth:USER_SRP_AUTH"] != signins:
                sys.exit("a cache-hit run called Cognito: the measurement is wrong")
    finally:
        server.stop()

    floor = statistics.median(base)
    ratio = statistics.median(hit) / floor
    print(f"python -c pass        {ms(base)}")
    print(f"import boto3          {ms(naive)}  = {statistics.median(naive) / floor:.1f}x")
    print(f"boto3 + 2 clients     {ms(clients)}  = {statistics.median(clients) / floor:.1f}x")
    print(f"cache hit             {ms(hit)}  = {ratio:.2f}x python -c pass (target <= 3x)")
    print(f"renew credentials     {ms(renew)}")
    print(f"refresh token         {ms(refresh)}  ({refreshes} refreshes)")
    print(f"cold sign-in (SRP)    {ms(cold)}  ({signins} sign-ins)")


if __name__ == "__main__":
    main()
