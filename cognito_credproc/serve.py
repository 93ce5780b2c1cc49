"""``exec --server`` and ``serve``: the profile's credentials behind a loopback endpoint,
so a long-running program's SDK renews them by itself instead of holding keys that end
within the hour."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from . import launch
from .cli import PROG
from .config import ENV_PASSWORD
from .endpoint import LOOPBACK, Endpoint
from .errors import EXIT_OK, CredprocError, SignInRequired, cannot_run
from .output import env_lines
from .platform import current

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType

    from .cli import Context
    from .credentials import Credentials

# What would be read before the endpoint in the SDKs' chain (keys, profiles, web
# identity, another container endpoint or token file), and what must never reach a child.
CHILD_DROPS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    ENV_PASSWORD,
)
# Signals a terminal sends to its whole foreground process group (a Windows console: to
# every process attached to it, SIGBREAK being Ctrl-Break): the child has had them.
# Those a system lacks are skipped.
TERMINAL_SIGNALS = ("SIGINT", "SIGQUIT", "SIGHUP", "SIGBREAK")
FORWARDED_SIGNALS = (*TERMINAL_SIGNALS, "SIGTERM")
STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")
STOP_POLL_SECONDS = 0.5


def open_endpoint(ctx: Context, port: int = 0) -> Endpoint:
    """The port first (a taken one fails before anyone signs in), then credentials,
    signing in on the terminal if need be; the endpoint is not started yet.

    Renewals happen later, in the endpoint's threads, while the child may own the
    terminal: they never ask, and a browser sign-in opens no tab from there (nobody
    may be at the screen, and a tab a request opened would be a surprise). A sign-in
    they cannot finish answers 503 and says once to run ``login`` in another terminal."""
    from .prompt import NoTerminal
    from .provider import Provider
    from .store import Store

    profile = ctx.profile
    renewer = Provider(
        profile,
        ctx.cache,
        environ=ctx.environ,
        interaction=NoTerminal(profile.name),
        now=ctx.now,
    )
    renewer.no_browser = True  # as the background refresh: ask the person to run login
    store = Store(profile, ctx.cache)

    def fetch() -> Credentials:
        return _login_advice(renewer.credentials, profile.name)

    def renew(margin: float) -> Credentials:
        return _login_advice(lambda: renewer.credentials(margin), profile.name)

    try:
        endpoint = Endpoint(
            fetch,
            profile=profile.name,
            port=port,
            report=_report,
            now=ctx.now,
            peek=store.credentials,
            renew=renew,
            margin=profile.refresh_margin,
        )
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CredprocError(
            f"cannot listen on {LOOPBACK} port {port}: {reason}",
            profile=profile.name,
            hint="choose another --port, or leave it out for a free one",
        ) from None
    try:
        ctx.provider().credentials()
    except BaseException:
        endpoint.stop()
        raise
    return endpoint


def _login_advice(get: Callable[[], Credentials], profile: str) -> Credentials:
    """A renewal that needs a person says what to run, in another terminal."""
    try:
        return get()
    except SignInRequired as exc:
        if "cognito-credproc login" not in (exc.hint or ""):
            exc.hint = f"run: cognito-credproc login --profile {profile} (in another terminal)"
        raise


def _report(message: str) -> None:
    sys.stderr.write(f"{PROG}: credentials endpoint: {message}\n")
    sys.stderr.flush()


def endpoint_variables(endpoint: Endpoint, region: str) -> dict[str, str]:
    """What a program needs to use the endpoint: its URL and token, and the region."""
    return {**endpoint.environment(), "AWS_REGION": region, "AWS_DEFAULT_REGION": region}


def child_environment(
    environ: Mapping[str, str], endpoint: Endpoint, region: str
) -> dict[str, str]:
    env = {k: v for k, v in environ.items() if k not in CHILD_DROPS}
    env.update(endpoint_variables(endpoint, region))
    return env


def exec_with_server(ctx: Context, command: list[str]) -> int:
    """Run ``command`` against the endpoint; its exit code is ours (a signal N: 128+N)."""
    with open_endpoint(ctx) as endpoint:
        env = child_environment(ctx.environ, endpoint, ctx.profile.region)
        code = run_child(command, env)
    return current().exit_status(code)


def run_child(command: list[str], env: dict[str, str]) -> int:
    """Popen's return code: negative for a signal."""
    child: list[subprocess.Popen[bytes]] = []
    pending: list[int] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        if signal.Signals(signum).name in TERMINAL_SIGNALS and _in_terminal_foreground():
            return  # the terminal sent it to the child too; twice makes terraform quit dirty
        if child:
            child[0].send_signal(signum)
        else:
            pending.append(signum)

    with _handling(FORWARDED_SIGNALS, forward):
        try:
            child.append(launch.popen(command, env=env))
        except OSError as exc:
            raise cannot_run(command[0], exc) from None
        for signum in pending:
            child[0].send_signal(signum)
        return child[0].wait()


def _in_terminal_foreground() -> bool:
    """Whether a Ctrl-C typed now reached the child too: this process group is in the
    foreground of a controlling terminal (Windows: the console sends Ctrl-C and
    Ctrl-Break to every process attached to it)."""
    return current().in_terminal_foreground()


@contextmanager
def _handling(names: tuple[str, ...], handler: signal._HANDLER) -> Iterator[None]:
    previous: list[tuple[int, signal._HANDLER]] = []
    try:
        for name in names:
            signum = getattr(signal, name, None)
            if signum is not None:
                previous.append((signum, signal.signal(signum, handler)))
        yield
    finally:
        for signum, old in previous:
            signal.signal(signum, old)


def cmd_serve(ctx: Context) -> int:
    """Serve until Ctrl-C or SIGTERM; stopping that way is the normal end (exit 0)."""
    stop = threading.Event()

    def stop_serving(signum: int, frame: FrameType | None) -> None:
        stop.set()

    with open_endpoint(ctx, ctx.args.port) as endpoint, _handling(STOP_SIGNALS, stop_serving):
        # The region too, as exec --server sets it: the AWS CLI v1 has no other way to it.
        variables = endpoint_variables(endpoint, ctx.profile.region)
        sys.stdout.write(env_lines(variables, ctx.args.format) + "\n")
        sys.stdout.flush()
        sys.stderr.write(
            f"{PROG}: serving profile {ctx.profile.name}'s credentials at "
            f"http://{LOOPBACK}:{endpoint.port}/... until Ctrl-C\n"
        )
        if ctx.args.port:
            # Once we stop, anyone may listen there, and an SDK still holding these
            # variables would take whatever keys that listener hands out.
            sys.stderr.write(
                f"{PROG}: note: with a fixed --port, another user can listen on port "
                f"{endpoint.port} once this stops; leave --port out for a new random port "
                "each run\n"
            )
        sys.stderr.flush()
        while not stop.wait(STOP_POLL_SECONDS):
            pass
    sys.stderr.write(
        f"{PROG}: stopped; unset {' and '.join(endpoint.environment())} wherever they "
        "were exported\n"
    )
    return EXIT_OK
