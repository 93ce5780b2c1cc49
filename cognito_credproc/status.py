"""``status``: what is cached for a profile (or every profile), as a table or JSON;
never a secret, and every cell made safe for the terminal."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from .commands import all_profiles, sharing_profiles
from .errors import EXIT_OK
from .output import iso_utc
from .store import Store

if TYPE_CHECKING:
    from .cli import Context
    from .config import Profile


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def profile_status(
    ctx: Context, profile: Profile, now: float, profiles: list[tuple[str, Profile | None]]
) -> dict[str, Any]:
    """One row; ``profiles`` is ``all_profiles``, for the ones sharing its sign-in."""
    store = Store(profile, ctx.cache)
    tokens = store.tokens()
    found = store.credentials()
    row: dict[str, Any] = {
        "profile": profile.name,
        "user": profile.username
        or (tokens.internal_username if tokens else None)
        or ("(guest)" if profile.unauthenticated else "-"),
        "identity_id": store.identity_id(),
        "id_token_expires": None,
        "credentials_expire": None,
        "refresh_token_age_seconds": None,
        "refresh_token": bool(tokens and tokens.refresh_token),
        "device_remembered": bool(tokens and tokens.has_device),
        "token_storage": profile.token_storage,
        "shared_with": [name for name, _ in sharing_profiles(profile, profiles)],
        "cache_files": [
            ctx.cache.path(k)
            for k in (profile.signin_key, profile.identity_key, profile.credentials_key)
            if k and k in ctx.cache
        ],
    }
    if tokens is not None:
        row["id_token_expires"] = iso_utc(tokens.id_expiry)
        if tokens.refresh_issued_at:
            row["refresh_token_age_seconds"] = int(now - tokens.refresh_issued_at)
    if found is not None:
        row["credentials_expire"] = iso_utc(found.expiration)
        row["credentials_valid"] = found.expiration > now
    return row


def profile_reason(ctx: Context) -> str:
    """Where the run's profile name came from, in words."""
    if ctx.profile_reason is not None:
        return ctx.profile_reason
    from .awsprofile import choose_profile

    return choose_profile(ctx.args.profile, ctx.environ).reason


def cmd_status(ctx: Context) -> int:
    from .cache import CacheDirError

    now = ctx.now()
    # An unusable cache directory reads as "nothing cached": say which it is.
    cache_problem: CacheDirError | None = None
    try:
        ctx.cache.check_directory()
    except CacheDirError as exc:
        cache_problem = exc
    rows: list[dict[str, Any]]
    if ctx.args.all:
        rows = []
        profiles = all_profiles(ctx)
        for name, profile in profiles:
            if profile is None:
                rows.append({"profile": name, "error": "invalid settings"})
            else:
                rows.append(profile_status(ctx, profile, now, profiles))
    else:
        profile = ctx.profile  # its own error first, when its settings are wrong
        rows = [profile_status(ctx, profile, now, all_profiles(ctx))]
    chosen = None if ctx.args.all else profile_reason(ctx)
    if ctx.args.json:
        data: dict[str, Any] = {"cache_dir": ctx.cache.directory, "profiles": rows}
        if chosen is not None:
            data["profile_chosen"] = {"name": ctx.profile_name, "why": chosen}
        if cache_problem is not None:
            data["cache_error"] = cache_problem.message
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        if cache_problem is not None:
            raise cache_problem
        return EXIT_OK
    headers = (
        "PROFILE",
        "USER",
        "IDENTITY ID",
        "ID TOKEN UNTIL",
        "CREDENTIALS UNTIL",
        "REFRESH TOKEN",
        "SHARED WITH",
    )
    table = [headers]
    for row in rows:
        if "error" in row:
            table.append((row["profile"], "(invalid settings)", "", "", "", "", ""))
            continue
        age = row["refresh_token_age_seconds"]
        refresh = (
            "none"
            if not row["refresh_token"]
            else f"{_age(age)} old"
            if age is not None
            else "present"
        )
        table.append(
            (
                row["profile"],
                row["user"],
                row["identity_id"] or "-",
                row["id_token_expires"] or "-",
                row["credentials_expire"] or "-",
                refresh,
                ",".join(row["shared_with"]) or "-",
            )
        )
    from .redact import printable  # cached values and names must not drive the terminal

    shown = [[printable(str(cell)) for cell in r] for r in table]
    widths = [max(len(r[i]) for r in shown) for i in range(len(headers))]
    for r in shown:
        sys.stdout.write(
            "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n"
        )
    if chosen is not None:
        sys.stdout.write(f"profile: {printable(ctx.profile_name)}, {printable(chosen)}\n")
    unusable = " (unusable: see below)" if cache_problem is not None else ""
    sys.stdout.write(f"cache: {printable(ctx.cache.directory)}{unusable}\n")
    if cache_problem is not None:
        raise cache_problem
    return EXIT_OK
