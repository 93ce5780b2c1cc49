"""ID tokens straight from a token endpoint that must not be used (OpenID Connect Core
3.1.3.7): issued to another client (``azp``), already expired by the server's own
clock, issued in the future. Each is refused before the browser is told "Signed in"
and before anything is cached."""

from __future__ import annotations

import html
import time
from typing import Any

import pytest

from ..browser_setup import (
    ManagedPool,
    OidcSetup,
    browser_command,
    driver_records,
    managed,
    oidc,
)
from ..conftest import PASSWORD, Workspace
from ..strict_cognito import BEHAVIOUR

pytestmark = pytest.mark.integration
__all__ = ["managed", "oidc"]  # fixtures used below

RUN_LOGIN = "run: cognito-credproc login --profile dev"


def person(ws: Workspace, user: str, password: str) -> dict[str, str]:
    return {
        **browser_command(ws.root / "browser.jsonl"),
        "BROWSER_DRIVER_MODE": "signin",
        "BROWSER_DRIVER_USER": user,
        "BROWSER_DRIVER_PASSWORD": password,
    }


def nothing_kept_and_the_page_says_it_failed(ws: Workspace, said: str) -> None:
    kept = [p for p in ws.cache_files() if p.suffix == ".json"]
    assert not [p for p in kept if p.name.startswith(("signin-", "credentials-"))]
    (visit,) = driver_records(ws.root / "browser.jsonl")
    page = str(visit["callback_page"])
    assert visit["callback_status"] == 400
    assert "<title>Sign-in failed</title>" in page and "Signed in" not in page
    assert html.escape(said) in page


def test_an_id_token_that_expired_hours_ago_is_refused_not_cached(
    ws: Workspace, managed: ManagedPool
) -> None:
    """A token endpoint whose tokens expired two hours before they were handed out (its
    Date header says now): refused, with both times, rather than cached with a
    "valid until" in the past."""
    BEHAVIOUR.advance(-3 * 3600)  # the pool's tokens: issued 3 h ago, for an hour
    ws.write_config(managed.profile_section())
    done = ws.run("login", "--profile", "dev", env=person(ws, "alice", PASSWORD))
    assert done.returncode == 1 and done.stdout == ""
    first, hint = done.stderr.strip().splitlines()
    assert first.startswith("cognito-credproc: profile dev: the ID token expired at ")
    assert ", before it arrived (the server's time was " in first
    assert hint.strip() == RUN_LOGIN
    assert "Signed in" not in done.stderr
    nothing_kept_and_the_page_says_it_failed(ws, "the ID token expired at")


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        # OpenID Connect Core 3.1.3.7, 4 and 5: several audiences, and the authorized
        # party is another client
        (
            {"aud": ["0oa-cli-app", "0oa-other-app"], "azp": "0oa-other-app"},
            "the ID token was issued to another app client (azp '0oa-other-app')",
        ),
        (
            {"aud": ["0oa-cli-app", "0oa-other-app"]},
            "the ID token is for several audiences",
        ),
        # issued two hours from now (and after it expires)
        ({"iat": "later"}, "the ID token has no issue time (iat)"),
        ({"iat": "+7200"}, "the ID token says it was issued at "),
    ],
)
def test_a_provider_id_token_for_another_client_or_from_the_future_is_refused(
    ws: Workspace, oidc: OidcSetup, changes: dict[str, Any], said: str
) -> None:
    if changes.get("iat") == "+7200":
        changes = {"iat": int(time.time()) + 7200}
    oidc.provider.id_token_changes = changes
    ws.write_config(oidc.profile_section("dev"))
    done = ws.run("--profile", "dev", env=person(ws, oidc.username, oidc.password))
    assert done.returncode == 1 and done.stdout == ""
    first, hint = done.stderr.strip().splitlines()
    assert first.startswith(f"cognito-credproc: profile dev: {said}"), first
    assert hint.strip() == RUN_LOGIN
    assert oidc.provider.calls["code exchanged"] == 1
    nothing_kept_and_the_page_says_it_failed(ws, said)


def test_the_same_provider_with_its_tokens_in_order_signs_in(
    ws: Workspace, oidc: OidcSetup
) -> None:
    """The control for the test above: nothing else about the provider is refused."""
    ws.write_config(oidc.profile_section("dev"))
    done = ws.run("--profile", "dev", env=person(ws, oidc.username, oidc.password))
    assert done.returncode == 0, done.stderr
