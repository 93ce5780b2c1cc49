"""``whoami [--json]``: who the profile signs in as and what AWS sees.

From the ID token: the user, the groups (``cognito:groups``), the roles the token allows
(``cognito:roles``, ``cognito:preferred_role``). From the cache or the identity pool: the
identity id and credentials; then STS GetCallerIdentity, signed with those credentials
(never with a profile, which could be this very helper): the account and the role in use.
A profile's ``role_arn`` that the token does not allow is named.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from ..errors import EXIT_OK, CredprocError
from . import interaction_for

if TYPE_CHECKING:
    from ..cli import Context
    from ..config import Profile
    from ..credentials import Credentials


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def caller_identity(profile: Profile, creds: Credentials) -> dict[str, Any]:
    """STS GetCallerIdentity signed with ``creds`` (explicit keys: no profile is read)."""
    import botocore.session
    from botocore.config import Config

    from ..aws import CONNECT_TIMEOUT_SECONDS, MAX_ATTEMPTS, READ_TIMEOUT_SECONDS, call

    session = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    client = session.create_client(
        "sts",
        region_name=profile.region,
        endpoint_url=profile.endpoint_url,
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        aws_session_token=creds.session_token,
        config=Config(
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
            user_agent_extra="cognito-credproc",
        ),
    )
    return call(client, "get_caller_identity", profile)


def role_of(assumed: str) -> str:
    """arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION -> arn:aws:iam::ACCOUNT:role/NAME (a
    role's path is not in the assumed-role ARN)."""
    parts = assumed.split(":", 5)
    if len(parts) == 6 and parts[5].startswith("assumed-role/"):
        name = parts[5].split("/")[1]
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{name}"
    return assumed


def whoami(ctx: Context) -> tuple[dict[str, Any], CredprocError | None]:
    from ..provider import Provider
    from ..store import Store, cached_credentials
    from ..tokens import jwt_claims

    profile = ctx.profile
    provider = Provider(
        profile, ctx.cache, environ=ctx.environ, interaction=interaction_for(profile)
    )
    info: dict[str, Any] = {"profile": profile.name}
    if profile.unauthenticated:
        info["user"] = None
    else:
        claims = jwt_claims(provider.tokens().id_token)
        info["user"] = claims.get("cognito:username") or claims.get("email") or claims.get("sub")
        info["sub"] = claims.get("sub")
        info["email"] = claims.get("email")
        info["groups"] = _strings(claims.get("cognito:groups"))
        info["roles"] = sorted(_strings(claims.get("cognito:roles")))
        info["preferred_role"] = claims.get("cognito:preferred_role")
    info["role_arn"] = profile.role_arn
    if profile.role_arn and not profile.unauthenticated:
        info["role_arn_allowed"] = profile.role_arn in info["roles"]
    failed: CredprocError | None = None
    try:
        creds = cached_credentials(profile, ctx.cache) or provider.credentials()
        info["identity_id"] = Store(profile, ctx.cache).identity_id()
        caller = caller_identity(profile, creds)
        info["account"] = caller.get("Account")
        info["caller_arn"] = caller.get("Arn")
        info["role_in_use"] = role_of(str(caller.get("Arn") or "")) or None
    except CredprocError as exc:
        failed = exc
        info.setdefault("identity_id", Store(profile, ctx.cache).identity_id())
        info["error"] = exc.message
    return info, failed


def _text(info: dict[str, Any]) -> list[str]:
    rows: list[tuple[str, str]] = [("profile", info["profile"])]
    if info.get("user") is None:
        rows.append(("user", "(guest identity: no sign-in)"))
    else:
        rows.append(("user", f"{info['user']} (sub {info.get('sub') or '-'})"))
        if info.get("email"):
            rows.append(("email", str(info["email"])))
        rows.append(("groups", ", ".join(info["groups"]) or "none"))
        roles = info["roles"]
        if not roles:
            rows.append(("roles allowed", "none named in the token (cognito:roles)"))
        for i, role in enumerate(roles):
            mark = " (preferred)" if role == info.get("preferred_role") else ""
            rows.append(("roles allowed" if i == 0 else "", role + mark))
    rows.append(("identity id", info.get("identity_id") or "-"))
    if info.get("error"):
        rows.append(("account", f"unknown: {info['error']}"))
    else:
        rows.append(("account", str(info.get("account") or "-")))
        rows.append(("role in use", f"{info.get('role_in_use') or '-'}"))
        rows.append(("", f"(as {info.get('caller_arn') or '-'})"))
    if info.get("role_arn"):
        note = ""
        if info.get("role_arn_allowed") is False:
            note = ": NOT one of the roles the token allows (cognito:roles)"
        rows.append(("role_arn", f"{info['role_arn']}{note}"))
    return [f"{label + ':' if label else '':15} {value}" for label, value in rows]


def cmd_whoami(ctx: Context) -> int:
    from ..redact import printable

    info, failed = whoami(ctx)
    if ctx.args.json:
        sys.stdout.write(json.dumps(info, indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(printable(line) for line in _text(info)) + "\n")
    if failed is not None:
        raise failed
    return EXIT_OK
