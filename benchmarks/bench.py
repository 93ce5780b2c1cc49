"""Timings of the installed command against a local Cognito (moto), printed as figures.

    python benchmarks/bench.py [--runs 21] [--slow-runs 5] [--lean-venv DIR]

Two environments run the cache hit, each with the default settings file and cache
directory (under a temporary HOME, no XDG or COGNITO_CREDPROC_* variables):
  dev    this interpreter's virtualenv: the tool plus everything the tests need
  lean   the tool and its runtime dependencies only, as `pipx install` makes it: built
         from this checkout into a temporary directory (or reused from --lean-venv DIR);
         this is what a user has, and the figure the README quotes
Paths measured, each as the median wall time of whole processes:
  python -c pass          the floor: starting that environment's Python at all
  cache hit               cognito-credproc with fresh credentials in the cache
  import boto3            what a helper that imports boto3 on every call pays at least
  boto3 + 2 clients       the naive helper's floor: boto3 and two Cognito clients, no call
  renew credentials       cached ID token, new GetCredentialsForIdentity
  refresh token           expired ID token renewed with the refresh token
  cold                    empty cache: SRP sign-in, GetId, GetCredentialsForIdentity
Each environment's cache-hit runs are interleaved with its `python -c pass` runs so
machine noise hits both alike; their CPU time (user + system) is printed too, as it
suffers less than wall time from other work on the machine.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import resource
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
from tests.conftest import Cognito, clean_env, provision  # noqa: E402
from tests.strict_cognito import BEHAVIOUR  # noqa: E402

TARGET_RATIO = 2.5
NAIVE_CLIENTS = (
    "import boto3\n"
    "from botocore import UNSIGNED\n"
    "from botocore.config import Config\n"
    "c = Config(signature_version=UNSIGNED)\n"
    "boto3.client('cognito-idp', region_name='us-east-1', config=c)\n"
    "boto3.client('cognito-identity', region_name='us-east-1', config=c)\n"
)
# What a copy of the checkout leaves out when the lean venv's wheel is built from it.
NOT_SOURCE = (".git", ".venv", "*.egg-info", "__pycache__", "*_cache", "build", "dist")


class Venv:
    def __init__(self, name: str, bin_dir: Path) -> None:
        self.name = name
        self.python = str(bin_dir / "python")
        self.helper = str(bin_dir / "cognito-credproc")


def dev_venv() -> Venv:
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "cognito-credproc").exists():
        sys.exit("cognito-credproc is not installed here; run: pip install -e '.[test]'")
    return Venv("dev", bin_dir)


def lean_venv(where: Path, reuse: str | None) -> Venv | str:
    """A virtualenv with the tool and its runtime dependencies only; or why there is none."""
    if reuse:
        venv = Path(reuse)
        if not (venv / "bin" / "cognito-credproc").exists():
            return f"{reuse} has no cognito-credproc"
        return Venv("lean", venv / "bin")
    source = where / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    steps = [
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(where / "wheel"),
            str(source),
        ],
        [sys.executable, "-m", "venv", "--without-pip", str(where / "lean")],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return f"could not build it: {done.stderr.strip().splitlines()[-1:]}"
    (wheel,) = (where / "wheel").glob("cognito_credproc-*.whl")
    python = where / "lean" / "bin" / "python"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return f"could not install its dependencies: {done.stderr.strip().splitlines()[-1:]}"
    return Venv("lean", where / "lean" / "bin")


def measured(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one whole process."""
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
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
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace')}")
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return elapsed, cpu


def timed(argv: list[str], env: dict[str, str]) -> float:
    return measured(argv, env)[0]


def default_home(root: Path, name: str, cognito: Cognito) -> dict[str, str]:
    """An environment whose settings file and cache are in their default places."""
    home = root / f"home-{name}"
    settings = home / ".config" / "cognito-credproc"
    settings.mkdir(parents=True, mode=0o700)
    (settings / "config.ini").write_text(cognito.profile_section("bench"))
    (settings / "config.ini").chmod(0o600)
    env = clean_env(root)
    for key in ("PYTHONWARNINGS", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env.pop(key, None)
    env["HOME"] = str(home)
    return env


def service_calls() -> int:
    return sum(BEHAVIOUR.calls.values())


Runs = tuple[list[float], list[float]]  # wall times, CPU times


def cache_hits(venv: Venv, env: dict[str, str], password: str, runs: int) -> tuple[Runs, Runs]:
    cmd = [venv.helper, "--profile", "bench"]
    default_cache = Path(env["HOME"]) / ".cache" / "cognito-credproc"
    timed(cmd, {**env, "COGNITO_CREDPROC_PASSWORD": password})  # sign in once
    if not list(default_cache.glob("credentials-*.json")):
        sys.exit(f"{venv.name}: the default cache directory {default_cache} was not used")
    timed(cmd, env)  # warm the file cache
    calls = service_calls()
    base: Runs = ([], [])
    hit: Runs = ([], [])
    for _ in range(runs):
        for runs_of, argv in ((base, [venv.python, "-c", "pass"]), (hit, cmd)):
            wall, cpu = measured(argv, env)
            runs_of[0].append(wall)
            runs_of[1].append(cpu)
    if service_calls() != calls:
        sys.exit(f"{venv.name}: a cache-hit run called Cognito: the measurement is wrong")
    return base, hit


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


def times(values: list[float], floor: list[float]) -> str:
    return f"{statistics.median(values) / statistics.median(floor):.2f}x python -c pass"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="cache-hit runs (at least 15)")
    parser.add_argument("--slow-runs", type=int, default=5, help="runs of each network path")
    parser.add_argument("--lean-venv", metavar="DIR", help="reuse this runtime-only venv")
    args = parser.parse_args()
    runs = max(15, args.runs)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    strict_cognito.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    lines: list[str] = []
    try:
        host, port = server.get_host_and_port()
        cognito = provision(f"http://{host}:{port}")
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            venvs: list[Venv] = [dev_venv()]
            lean = lean_venv(root / "lean-build", args.lean_venv)
            if isinstance(lean, Venv):
                venvs.append(lean)
            else:
                lines.append(f"lean venv: none ({lean}); only the dev venv's figures follow")

            for venv in venvs:
                env = default_home(root, venv.name, cognito)
                base, hit = cache_hits(venv, env, cognito.password, runs)
                target = f" (target <= {TARGET_RATIO}x)" if venv.name == "lean" else ""
                lines.append(f"python -c pass      {venv.name:<4}  {ms(base[0])}")
                lines.append(
                    f"cache hit           {venv.name:<4}  {ms(hit[0])}  = "
                    f"{times(hit[0], base[0])}{target}"
                )
                lines.append(
                    f"  CPU time          {venv.name:<4}  {ms(hit[1])}  = "
                    f"{times(hit[1], base[1])} (CPU {statistics.median(base[1]) * 1000:.1f} ms)"
                )

            naive_venv = venvs[-1]
            env = default_home(root, "naive", cognito)
            floor: list[float] = []
            naive: list[float] = []
            clients: list[float] = []
            for _ in range(runs):
                floor.append(timed([naive_venv.python, "-c", "pass"], env))
                naive.append(timed([naive_venv.python, "-c", "import boto3"], env))
                clients.append(timed([naive_venv.python, "-c", NAIVE_CLIENTS], env))
            name = f"{naive_venv.name:<4}"
            lines.append(f"import boto3        {name}  {ms(naive)}  = {times(naive, floor)}")
            lines.append(f"boto3 + 2 clients   {name}  {ms(clients)}  = {times(clients, floor)}")

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
            cmd = [venvs[0].helper, "--profile", "bench"]
            signins_before = BEHAVIOUR.calls["InitiateAuth:USER_SRP_AUTH"]
            refreshes_before = BEHAVIOUR.calls["InitiateAuth:REFRESH_TOKEN_AUTH"]
            cold, renew, refresh = [], [], []
            for _ in range(args.slow_runs):
                drop(cache, "*.json")
                cold.append(timed(cmd, env))
                drop(cache, "credentials-*.json")
                renew.append(timed(cmd, env))
                drop(cache, "credentials-*.json")
                age_tokens(cache)
                refresh.append(timed(cmd, env))
            signins = BEHAVIOUR.calls["InitiateAuth:USER_SRP_AUTH"] - signins_before
            refreshes = BEHAVIOUR.calls["InitiateAuth:REFRESH_TOKEN_AUTH"] - refreshes_before
            lines.append(f"renew credentials   dev   {ms(renew)}")
            lines.append(f"refresh token       dev   {ms(refresh)}  ({refreshes} refreshes)")
            lines.append(f"cold sign-in (SRP)  dev   {ms(cold)}  ({signins} sign-ins)")
            if signins != args.slow_runs:
                sys.exit(
                    f"{signins} sign-ins for {args.slow_runs} cold runs: the measurement is wrong"
                )
    finally:
        server.stop()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
