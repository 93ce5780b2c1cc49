"""Server misbehaviour: retried when it is transient, a clean error when it is not, and
never garbage in the cache."""

from __future__ import annotations

import calendar
import json
import time
from collections.abc import Callable

import pytest

from ..conftest import Workspace, expire_cached_credentials, parse_output
from ..json_endpoint import Answer
from .scripted_server import Script, error, serve

PASSWORD = {"COGNITO_CREDPROC_PASSWORD": "scripted-password"}


def profile(endpoint: str, **extra: str) -> str:
    lines = [
        "[dev]",
        "user_pool_id = us-east-1_Fake",
        "app_client_id = fakeclient",
        "identity_pool_id = us-east-1:11111111-2222-3333-4444-555555555555",
        "username = alice",
        "auth_flow = USER_PASSWORD_AUTH",
        f"endpoint_url = {endpoint}",
    ]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def run(ws: Workspace, script: Script, *args: str) -> tuple[int, str, str]:
    with serve(script) as endpoint:
        ws.write_config(profile(endpoint))
        done = ws.run("--profile", "dev", *args, env=PASSWORD, timeout=90)
    for stream in (done.stdout, done.stderr):
        assert "scripted-secret-key" not in done.stderr and "scripted-password" not in stream
    return done.returncode, done.stdout, done.stderr


def credentials_cached(ws: Workspace) -> bool:
    return bool(list(ws.cache.glob("credentials-*.json")))


@pytest.mark.parametrize(
    "transient",
    [
        error("InternalErrorException", "busy", 500),
        (503, "<html><body>Service Unavailable</body></html>"),
        error("TooManyRequestsException", "Rate exceeded"),
    ],
    ids=["500", "503-html", "throttled"],
)
def test_transient_failures_are_retried(ws: Workspace, transient: Answer) -> None:
    script = Script().happy()
    script.on("InitiateAuth", transient, transient, script.tokens)
    code, out, err = run(ws, script)
    assert code == 0, err
    assert parse_output(out)["AccessKeyId"] == "ASIASCRIPTED"
    assert script.calls["InitiateAuth"] == 3


def test_a_service_that_keeps_failing_gives_up_cleanly(ws: Workspace) -> None:
    script = (
        Script()
        .happy()
        .on("GetCredentialsForIdentity", error("InternalErrorException", "down", 500))
    )
    started = time.monotonic()
    code, out, err = run(ws, script)
    assert time.monotonic() - started < 35
    assert code == 1
    assert out == ""
    assert "profile dev" in err and "InternalErrorException" in err and "try again later" in err
    assert script.calls["GetCredentialsForIdentity"] == 3  # botocore's standard retries
    assert not credentials_cached(ws)


Case = tuple[str, Callable[[Script], Script], str]
BAD_ANSWERS: list[Case] = [
    (
        "html page from a proxy",
        lambda s: s.on("InitiateAuth", (502, "<html>Bad Gateway</html>")),
        "502",
    ),
    ("html with 200", lambda s: s.on("GetId", (200, "<html>captive portal</html>")), "IdentityId"),
    (
        "truncated json",
        lambda s: s.on("InitiateAuth", (200, '{"AuthenticationResult": {"IdT')),
        "neither tokens nor a challenge",
    ),
    ("no tokens", lambda s: s.on("InitiateAuth", (200, {})), "neither tokens nor a challenge"),
    (
        "id token not a jwt",
        lambda s: s.on(
            "InitiateAuth",
            (200, {"AuthenticationResult": {"IdToken": "garbage", "AccessToken": "x"}}),
        ),
        "no usable ID token",
    ),
    ("no identity id", lambda s: s.on("GetId", (200, {})), "without an IdentityId"),
    (
        "no credentials",
        lambda s: s.on("GetCredentialsForIdentity", (200, {"IdentityId": "x"})),
        "without complete credentials",
    ),
    (
        "credentials missing the secret",
        lambda s: s.on(
            "GetCredentialsForIdentity",
            (
                200,
                {
                    "Credentials": {
                        "AccessKeyId": "A",
                        "SessionToken": "T",
                        "Expiration": time.time() + 3600,
                    }
                },
            ),
        ),
        "without complete credentials",
    ),
    (
        "expired on arrival",
        lambda s: s.on("GetCredentialsForIdentity", lambda: s.credentials(-60)),
        "already expired",
    ),
    (
        "expiration is text",
        lambda s: s.on(
            "GetCredentialsForIdentity",
            (
                200,
                {
                    "Credentials": {
                        "AccessKeyId": "A",
                        "SecretKey": "S",
                        "SessionToken": "T",
                        "Expiration": "soon",
                    }
                },
            ),
        ),
        "failed",
    ),
    (
        "unknown error code",
        lambda s: s.on("GetId", error("WeirdNewException", "what")),
        "WeirdNewException",
    ),
    (
        "not authorized",
        lambda s: s.on(
            "InitiateAuth", error("NotAuthorizedException", "Incorrect username or password.")
        ),
        "Incorrect username or password",
    ),
]


@pytest.mark.parametrize(
    ("setup", "needle"), [c[1:] for c in BAD_ANSWERS], ids=[c[0] for c in BAD_ANSWERS]
)
def test_bad_answers_are_clean_errors_and_never_cached(
    ws: Workspace, setup: Callable[[Script], Script], needle: str
) -> None:
    code, out, err = run(ws, setup(Script().happy()))
    assert code == 1, err
    assert out == ""
    assert needle in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) <= 3
    assert not credentials_cached(ws)


def test_bad_answer_leaves_good_cached_credentials_alone(ws: Workspace) -> None:
    script = Script().happy()
    with serve(script) as endpoint:
        ws.write_config(profile(endpoint))
        first = ws.run("--profile", "dev", env=PASSWORD)
        assert first.returncode == 0, first.stderr
        expire_cached_credentials(ws)  # due again
        before = {p.name: p.read_bytes() for p in ws.cache.glob("*.json")}
        # the credentials are due for renewal, and now the service answers garbage
        script.on("GetCredentialsForIdentity", (200, "<html>oops</html>"))
        done = ws.run("--profile", "dev", env=PASSWORD)
    assert done.returncode == 1
    assert "malformed" in done.stderr or "without complete credentials" in done.stderr
    assert {p.name: p.read_bytes() for p in ws.cache.glob("*.json")} == before


@pytest.mark.parametrize("offset", [-7200, 7200], ids=["machine-ahead", "machine-behind"])
def test_clock_skew_is_measured_and_applied(ws: Workspace, offset: float) -> None:
    script = Script(clock_offset=offset).happy()
    code, out, err = run(ws, script, "--debug")
    assert code == 0, err
    assert "clock skew" in err  # reported in --debug
    data = parse_output(out)
    # Expiration is given in this machine's clock, so the SDK refreshes at the right moment
    printed = calendar.timegm(time.strptime(data["Expiration"], "%Y-%m-%dT%H:%M:%SZ"))
    assert 3500 < printed - time.time() <= 3600
    # and the next run reuses them: by the service's clock there is an hour left
    again = ws.run("--profile", "dev", timeout=30)
    assert again.returncode == 0
    assert again.stdout == out
    entry = json.loads(next(ws.cache.glob("credentials-*.json")).read_text())
    assert abs(entry["skew"] - offset) < 10


def test_a_service_that_never_answers_ends_in_a_clean_error(ws: Workspace) -> None:
    def hang() -> Answer:
        time.sleep(12)  # longer than the 8-second read timeout
        return 500, {"__type": "InternalErrorException", "message": "too late"}

    script = Script().happy().on("InitiateAuth", hang)
    started = time.monotonic()
    code, out, err = run(ws, script)
    elapsed = time.monotonic() - started
    assert code == 1
    assert out == ""
    assert "cannot reach" in err and "ReadTimeout" in err
    assert elapsed < 40  # three attempts of 8 s, plus backoff
    assert script.calls["InitiateAuth"] == 3
