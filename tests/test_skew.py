"""Clock skew on every reuse decision. The service's clock is ten minutes ahead of this
machine's, or ten minutes behind (its Date header says so, as a real service's does):
cached credentials, the cached ID and access tokens, the early refresh, ``token`` and
``logout --global`` must each decide by the service's clock, to the second, in both
directions. Everything runs in-process on a test clock against the scripted service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest

from cognito_credproc import background
from cognito_credproc.background import cmd_background_refresh
from cognito_credproc.cli import cmd_credentials
from cognito_credproc.commands import cmd_logout, cmd_token

from .conftest import parse_output
from .fakes import Clock
from .robustness.scripted_server import ClockedScript, serve
from .scripted_home import Home

SKEWS = pytest.mark.parametrize("skew", [600, -600], ids=["service-ahead", "service-behind"])
# A run in a new process measures the skew anew; a long-lived one (serve, exec --server)
# has measured it on its earlier calls.
PROCESSES = pytest.mark.parametrize("fresh", [True, False], ids=["new-process", "same-process"])
LIFETIME = 3600  # the scripted service's credentials and tokens
MARGIN = 900  # refresh_margin
TOKEN_MARGIN = 300  # a token with under five minutes left is renewed


def utc(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def signed_in(
    tmp_path: Path, skew: float, *, fresh: bool = True, **settings: str
) -> Iterator[tuple[Home, ClockedScript, Clock]]:
    """A first run at the clock's start has signed in and fetched credentials: the
    service handed out tokens and credentials for an hour of its own clock."""
    clock = Clock()
    script = ClockedScript(clock, skew)
    script.on("GlobalSignOut", (200, {}))
    with serve(script) as endpoint:
        home = Home(tmp_path, endpoint, clock, fresh=fresh, **settings)
        code, out = home.run(cmd_credentials)
        assert code == 0
        # The service's Expiration told by this machine's clock, as the SDKs compare it.
        assert parse_output(out)["Expiration"] == utc(clock.now + LIFETIME)
        assert script.calls["InitiateAuth"] == 1
        yield home, script, clock


@SKEWS
def test_cached_credentials_last_their_hour_by_the_services_clock(
    tmp_path: Path, skew: float
) -> None:
    with signed_in(tmp_path, skew) as (home, script, clock):
        start = clock.now
        clock.now = start + LIFETIME - MARGIN - 1  # 901 s left by the service's clock
        code, out = home.run(cmd_credentials)
        assert code == 0 and parse_output(out)["Expiration"] == utc(start + LIFETIME)
        assert script.calls["GetCredentialsForIdentity"] == 1  # served from the cache
        clock.now = start + LIFETIME - MARGIN  # exactly the margin: renewed
        code, out = home.run(cmd_credentials)
        assert code == 0 and parse_output(out)["Expiration"] == utc(clock.now + LIFETIME)
        assert script.calls["GetCredentialsForIdentity"] == 2


@SKEWS
@PROCESSES
@pytest.mark.parametrize(
    ("left", "refreshed"), [(TOKEN_MARGIN + 1, False), (TOKEN_MARGIN, True)], ids=["301s", "300s"]
)
def test_the_cached_id_token_is_judged_by_the_services_clock(
    tmp_path: Path, skew: float, fresh: bool, left: int, refreshed: bool
) -> None:
    with signed_in(tmp_path, skew, fresh=fresh) as (home, script, clock):
        clock.now += LIFETIME - left  # credentials due; the ID token has ``left`` seconds
        assert home.run(cmd_credentials)[0] == 0
        assert script.calls["GetCredentialsForIdentity"] == 2
        assert script.calls["InitiateAuth"] == 1 + refreshed


@SKEWS
@pytest.mark.parametrize(
    ("left", "early"), [(MARGIN + 601, False), (MARGIN + 600, True)], ids=["outside", "inside"]
)
def test_the_early_refresh_window_is_judged_by_the_services_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, skew: float, left: int, early: bool
) -> None:
    started: list[str] = []
    monkeypatch.setattr(background, "start_background_refresh", lambda *a: started.append("run"))
    with signed_in(tmp_path, skew, early_refresh="600") as (home, script, clock):
        clock.now += LIFETIME - left
        code, _ = home.run(cmd_credentials)  # printed from the cache at once either way
        assert code == 0 and script.calls["GetCredentialsForIdentity"] == 1
        assert started == (["run"] if early else [])
        # the background run itself checks again before it renews
        assert home.run(cmd_background_refresh, "background-refresh")[0] == 0
        assert script.calls["GetCredentialsForIdentity"] == 1 + early


@SKEWS
@pytest.mark.parametrize(
    ("left", "refreshed"), [(TOKEN_MARGIN + 1, False), (TOKEN_MARGIN, True)], ids=["301s", "300s"]
)
def test_token_prints_the_cached_token_while_the_service_takes_it(
    tmp_path: Path, skew: float, left: int, refreshed: bool
) -> None:
    with signed_in(tmp_path, skew) as (home, script, clock):
        cached = home.store.tokens()
        assert cached is not None
        clock.now += LIFETIME - left
        code, out = home.run(cmd_token, "token")
        assert code == 0
        assert script.calls["InitiateAuth"] == 1 + refreshed
        assert (out.strip() == cached.id_token) is not refreshed


@SKEWS
@pytest.mark.parametrize(
    ("left", "refreshed"), [(TOKEN_MARGIN + 1, False), (TOKEN_MARGIN, True)], ids=["301s", "300s"]
)
def test_logout_global_renews_an_access_token_the_service_would_refuse(
    tmp_path: Path, skew: float, left: int, refreshed: bool
) -> None:
    with signed_in(tmp_path, skew) as (home, script, clock):
        clock.now += LIFETIME - left
        assert home.run(cmd_logout, "logout", "--global")[0] == 0
        assert script.calls["GlobalSignOut"] == 1
        assert script.calls["InitiateAuth"] == 1 + refreshed
