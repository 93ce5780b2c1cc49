"""Bad input of every kind: each case exits with the documented code and one clear
message, shows no traceback, and writes nothing (the cache is left exactly as it was)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ..conftest import Workspace

GOOD = """[dev]
user_pool_id = us-east-1_AbCdEf123
app_client_id = client123
identity_pool_id = us-east-1:11111111-2222-3333-4444-555555555555
username = alice
endpoint_url = http://127.0.0.1:9
"""
BODY = GOOD.split("\n", 1)[1]


@dataclass
class Case:
    name: str
    args: list[str] = field(default_factory=lambda: ["--profile", "dev"])
    config: str | bytes = GOOD
    env: dict[str, str] = field(default_factory=dict)
    cache: dict[str, bytes] = field(default_factory=dict)
    code: int = 2
    needle: str = ""


CASES = [
    # -- arguments ---------------------------------------------------------------------
    Case("unknown option", args=["--nope"], needle="unrecognized arguments"),
    Case("unknown command", args=["frobnicate"], needle="invalid choice"),
    Case("profile without a value", args=["--profile"], needle="expected one argument"),
    Case("empty profile", args=["--profile", ""], needle="not a profile name"),
    Case("profile with brackets", args=["--profile", "de]v"], needle="not a profile name"),
    Case("bad token type", args=["token", "--type", "jwt"], needle="invalid choice"),
    Case("bad env format", args=["env", "--format", "zsh"], needle="invalid choice"),
    Case("status with a stray option", args=["status", "--everything"], needle="unrecognized"),
    Case("exec without command", args=["exec", "--profile", "dev"], needle="needs a command"),
    Case("config is a directory", args=["--config", "/", "--profile", "dev"], needle="directory"),
    # -- environment -------------------------------------------------------------------
    Case(
        "config variable to a missing file",
        env={"COGNITO_CREDPROC_CONFIG": "/nonexistent/c.ini"},
        needle="does not exist",
    ),
    Case(
        "profile variable to a missing profile",
        args=[],
        env={"COGNITO_CREDPROC_PROFILE": "prod"},
        needle="no section [prod]",
    ),
    Case(
        "cache variable to a file",
        env={"COGNITO_CREDPROC_CACHE_DIR": "{root}/afile", "COGNITO_CREDPROC_PASSWORD": "pw"},
        code=1,
        needle="not a directory",
    ),
    Case(
        "malformed endpoint variable",
        config=GOOD.replace("endpoint_url = http://127.0.0.1:9\n", ""),
        env={"AWS_ENDPOINT_URL": "not a url", "COGNITO_CREDPROC_PASSWORD": "pw"},
        needle="endpoint",
    ),
    Case("no password source, no terminal", code=1, needle="cognito-credproc login --profile dev"),
    Case(
        "password command that fails",
        config=GOOD + "password_command = false\n",
        code=1,
        needle="password_command",
    ),
    Case(
        "password command not found",
        config=GOOD + "password_command = /no/such/tool\n",
        code=1,
        needle="command not found",
    ),
    Case(
        "password command unparsable",
        config=GOOD + "password_command = 'unclosed\n",
        needle="cannot parse",
    ),
    # -- config values -----------------------------------------------------------------
    Case("empty file", config="", needle="no section [dev]"),
    Case("only DEFAULT", config="[DEFAULT]\nregion = us-east-1\n", needle="no section [dev]"),
    Case("no section header", config="user_pool_id = x\n", needle="malformed"),
    Case("duplicate section", config=GOOD + GOOD, needle="malformed"),
    Case("duplicate key", config=GOOD + "username = bob\n", needle="malformed"),
    Case("not utf-8", config=b"[dev]\nusername = \xff\xfe\n", needle="not UTF-8"),
    Case("nul byte", config=GOOD.encode() + b"\x00", needle="NUL"),
    Case("huge file", config=GOOD + "# " + "x" * (1 << 20) + "\n", needle="larger than"),
    Case("huge username", config=GOOD.replace("alice", "a" * 100_000), needle="128"),
    Case("empty username", config=GOOD.replace("alice", ""), needle="is empty"),
    Case("unicode pool id", config=GOOD.replace("AbCdEf123", "ÄbCdEf123"), needle="user_pool_id"),
    Case("unicode region", config=GOOD + "region = üs-east-1\n", needle="region"),
    Case(
        "pool id without region",
        config=GOOD.replace("us-east-1_AbCdEf123", "_AbCdEf123"),
        needle="user_pool_id",
    ),
    Case(
        "identity pool id malformed",
        config=GOOD.replace("us-east-1:1111", "us-east-1;1111"),
        needle="identity_pool_id",
    ),
    Case("unknown key", config=GOOD + "pasword_command = x\n", needle="unknown setting"),
    Case("unknown auth flow", config=GOOD + "auth_flow = ADMIN_NO_SRP_AUTH\n", needle="auth_flow"),
    Case("margin not a number", config=GOOD + "refresh_margin = 15m\n", needle="refresh_margin"),
    Case("margin float", config=GOOD + "refresh_margin = 1e3\n", needle="refresh_margin"),
    Case("margin too large", config=GOOD + "refresh_margin = 99999999\n", needle="out of range"),
    Case("lock timeout infinite", config=GOOD + "lock_timeout = inf\n", needle="lock_timeout"),
    Case("lock timeout negative", config=GOOD + "lock_timeout = -1\n", needle="lock_timeout"),
    Case("boolean not a boolean", config=GOOD + "unauthenticated = 2\n", needle="unauthenticated"),
    Case("basic flow without role", config=GOOD + "flow = basic\n", needle="role_arn"),
    Case(
        "duration too short",
        config=GOOD + "flow = basic\nrole_arn = arn:aws:iam::123456789012:role/R\n"
        "duration_seconds = 60\n",
        needle="duration_seconds",
    ),
    Case("account id short", config=GOOD + "account_id = 1234\n", needle="12-digit"),
    Case(
        "role arn of a user",
        config=GOOD + "role_arn = arn:aws:iam::123456789012:user/u\n",
        needle="role_arn",
    ),
    Case(
        "endpoint without scheme",
        config=GOOD.replace("http://127.0.0.1:9", "127.0.0.1:9"),
        needle="endpoint_url",
    ),
    Case("token storage unknown", config=GOOD + "token_storage = vault\n", needle="token_storage"),
    Case(
        "control character",
        config=GOOD.replace("alice", "ali\x07ce"),
        needle="username: contains a control character",
    ),
    Case("key in the wrong section only", config="[other]\n" + BODY, needle="no section [dev]"),
    # -- cache contents (a miss; then sign-in is needed and there is nobody to ask) -----
    Case("cache entry garbage", cache={"credentials": b"\x00garbage"}, code=1, needle="login"),
    Case(
        "cache entry wrong shape",
        cache={"credentials": b'{"version": 1, "AccessKeyId": 5}'},
        code=1,
        needle="login",
    ),
    Case(
        "cache entry expired",
        cache={
            "credentials": b'{"version": 1, "AccessKeyId": "A",'
            b' "SecretAccessKey": "S", "SessionToken": "T", "Expiration": 1}'
        },
        code=1,
        needle="login",
    ),
    Case(
        "tokens entry truncated",
        cache={"signin": b'{"version": 1, "id_tok'},
        code=1,
        needle="login",
    ),
]


def snapshot(ws: Workspace) -> dict[str, bytes]:
    """Cache data; an empty lock file is left in place by design (deleting it would race)."""
    return {
        p.name: p.read_bytes()
        for p in ws.cache.iterdir()
        if not (p.suffix == ".lock" and p.stat().st_size == 0)
    }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(ws: Workspace, case: Case) -> None:
    ws.config.write_bytes(case.config if isinstance(case.config, bytes) else case.config.encode())
    (ws.root / "afile").write_text("not a directory")
    ws.cache.mkdir(mode=0o700)
    from cognito_credproc.config import load_profile

    try:
        profile = load_profile(str(ws.config), "dev", {})
        keys = {"credentials": profile.credentials_key, "signin": profile.signin_key}
    except Exception:  # noqa: BLE001 - the case's config may be the bad input itself
        keys = {}
    for kind, content in case.cache.items():
        (ws.cache / f"{keys[kind]}.json").write_bytes(content)
    (ws.cache / "unrelated.json").write_text('{"keep": true}')
    before = snapshot(ws)

    env = {k: v.replace("{root}", str(ws.root)) for k, v in case.env.items()}
    done = ws.run(*case.args, env=env, timeout=60)

    assert done.returncode == case.code, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("cognito-credproc: ")
    assert 1 <= len(done.stderr.strip().splitlines()) <= 3
    assert case.needle in done.stderr
    assert snapshot(ws) == before


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)
    _ = os.sep, Path
