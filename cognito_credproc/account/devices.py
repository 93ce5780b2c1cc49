"""``devices`` and ``devices forget [KEY]``: the devices Cognito remembers for the user
(ListDevices, ForgetDevice). Forgetting this machine's own device also drops it from the
cached sign-in, so the tool stops offering a key Cognito no longer knows."""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING, Any

from ..errors import EXIT_OK, ConfigError
from ..output import iso_utc
from ..store import Store
from . import command, interaction_for, signed_in, user_call, user_pool_profile

if TYPE_CHECKING:
    from ..cli import Context

PAGE = 60  # ListDevices' largest page


def _attribute(device: dict[str, Any], name: str) -> str:
    for attribute in device.get("DeviceAttributes") or []:
        if isinstance(attribute, dict) and attribute.get("Name") == name:
            return str(attribute.get("Value") or "")
    return ""


def _when(value: object) -> str:
    from ..aws import to_epoch

    try:
        return iso_utc(to_epoch(value))
    except (ValueError, OverflowError):
        return "-"


def cmd_devices(ctx: Context) -> int:
    profile = user_pool_profile(ctx)
    provider, tokens = signed_in(ctx, interaction_for(profile))
    mine = tokens.device_key
    who = tokens.internal_username or profile.username or "you"
    if ctx.args.action == "forget":
        key = ctx.args.key or mine
        if not key:
            raise ConfigError(
                "this machine has no remembered device to forget; name one (KEY)",
                profile=profile.name,
                hint=command("devices", profile.name) + " (lists them)",
            )
        user_call(provider, "forget_device", AccessToken=tokens.access_token, DeviceKey=key)
        note = ""
        if key == mine:
            with ctx.cache.lock(profile.lock_key, profile.lock_timeout, profile.name):
                store = Store(profile, ctx.cache)
                cached = store.tokens()
                if cached is not None and cached.device_key == key:
                    store.save_tokens(
                        dataclasses.replace(
                            cached, device_key=None, device_group_key=None, device_password=None
                        )
                    )
            note = (
                " (this machine's: dropped from the cache too; the next sign-in remembers "
                "this machine again where the pool tracks devices)"
            )
        sys.stdout.write(f"Forgot device {key} of {who} (profile {profile.name}){note}.\n")
        return EXIT_OK
    devices: list[dict[str, Any]] = []
    params: dict[str, Any] = {"AccessToken": tokens.access_token, "Limit": PAGE}
    while True:
        answer = user_call(provider, "list_devices", **params)
        devices += [d for d in answer.get("Devices") or [] if isinstance(d, dict)]
        token = answer.get("PaginationToken")
        if not token:
            break
        params["PaginationToken"] = token
    from ..redact import printable

    rows = [("DEVICE KEY", "NAME", "LAST SIGN-IN", "")]
    for device in devices:
        key = str(device.get("DeviceKey") or "")
        rows.append(
            (
                key,
                _attribute(device, "device_name") or "-",
                _when(device.get("DeviceLastAuthenticatedDate")),
                "this machine" if key and key == mine else "",
            )
        )
    if len(rows) == 1:
        sys.stdout.write(f"Cognito remembers no device of {who} (profile {profile.name}).\n")
        return EXIT_OK
    shown = [[printable(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in shown) for i in range(4)]
    for row in shown:
        sys.stdout.write(
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n"
        )
    return EXIT_OK
