"""Ahead-of-time refresh (``early_refresh``): credentials inside the early window are
printed at once, and a detached process renews them under the usual lock, so callers
never wait on Cognito. A failed background refresh changes nothing."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from .errors import EXIT_FAILURE, EXIT_OK, CredprocError, LockTimeout

if TYPE_CHECKING:
    from .cli import Context
    from .config import Profile


# Credentials younger than this are never renewed early: with an early window as long
# as their lifetime, every run would otherwise start a refresh.
MIN_AGE_SECONDS = 60


def maybe_start_background_refresh(ctx: Context, profile: Profile) -> None:
    from .store import Store

    if ctx.now() - Store(profile, ctx.cache).fetched_at() >= MIN_AGE_SECONDS:
        start_background_refresh(ctx.args.config, profile.name)


def start_background_refresh(config: str | None, profile: str) -> None:
    """Start ``background-refresh`` detached from our pipes and our session."""
    from .launch import start_detached, tool_argv

    # Never ``python -m``: that would import from whatever directory the caller is in.
    argv = [*tool_argv(), "background-refresh", "--profile", profile]
    if config:
        argv += ["--config", os.path.abspath(config)]
    # If it cannot start, nothing is lost: the foreground run printed valid credentials.
    with contextlib.suppress(OSError):
        start_detached(argv)


def cmd_background_refresh(ctx: Context) -> int:
    from .prompt import NoTerminal
    from .provider import Provider
    from .store import lookup

    profile = ctx.profile
    provider = Provider(
        profile,
        ctx.cache,
        now=ctx.now,
        interaction=NoTerminal(profile.name),
        environ=ctx.environ,
    )
    # Nobody is there: a browser sign-in must not open a tab, only refresh (without a
    # browser and without a terminal it gives up at once).
    provider.no_browser = True
    try:
        # Someone else holding the lock is already renewing: nothing to do.
        with ctx.cache.lock(profile.lock_key, 0, profile.name):
            found = lookup(profile, ctx.cache, ctx.now)
            if found is not None and found[1] > profile.refresh_margin + profile.early_refresh:
                return EXIT_OK
            provider.renew_credentials()
    except LockTimeout:
        return EXIT_OK
    except CredprocError:
        return EXIT_FAILURE
    return EXIT_OK
