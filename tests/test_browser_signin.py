"""Browser sign-in end to end: the helper run as botocore runs it (pipes, no terminal)
or on a pseudo-terminal, against the strict local managed login and OpenID Connect
provider, with a $BROWSER script that signs in at the page as a person would."""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from cognito_credproc.tokens import jwt_claims

from .browser_driver import drive
from .browser_setup import (
    PLUS_SECRET,
    ManagedPool,
    OidcSetup,
    browser_command,
    driver_records,
    managed,
    managed_plus_secret,
    managed_secret,
    oidc,
    provision_oidc,
)
from .conftest import (
    PASSWORD,
    Workspace,
    age_cached_tokens,
    grant_role,
    parse_output,
    run_together,
)
from .oauth_common import RawServer
from .ptyterm import PtyRun
from .strict_cognito import BEHAVIOUR

pytestmark = pytest.mark.integration
__all__ = ["managed", "managed_plus_secret", "managed_secret", "oidc"]  # fixtures used below

RUN_LOGIN = "run: cognito-credproc login --profile dev"


def browser_env(ws: Workspace, mode: str = "signin", user: str = "alice") -> dict[str, str]:
    password = PASSWORD if user == "alice" else "Okta-Style-Pass-77"
    return {
        **browser_command(ws.root / "browser.jsonl"),
        "BROWSER_DRIVER_MODE": mode,
        "BROWSER_DRIVER_USER": user,
        "BROWSER_DRIVER_PASSWORD": password,
    }


def expire_tokens(ws: Workspace) -> None:
    """As if an hour had passed: ID and access tokens expired (an opaque access token's
    expiry is kept beside it) and the credentials gone, so the next run must renew."""
    access = [json.loads(p.read_text())["access_token"] for p in signin_entries(ws)]
    if all(token.count(".") == 2 for token in access):
        age_cached_tokens(ws, 60)  # rewrites JWTs only
    else:
        _age_opaque(ws)
    for path in ws.cache_files():
        if path.name.startswith("credentials-"):
            path.unlink()


def _age_opaque(ws: Workspace) -> None:
    for path in signin_entries(ws):
        entry = json.loads(path.read_text())
        head, body, sig = entry["id_token"].split(".")
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claims["exp"] = int(time.time() - 60)
        new_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        entry["id_token"] = f"{head}.{new_body}.{sig}"
        entry["access_expires_at"] = time.time() - 60
        path.write_text(json.dumps(entry))


def visits(ws: Workspace) -> list[dict[str, object]]:
    return driver_records(ws.root / "browser.jsonl")


def signin_entries(ws: Workspace) -> list[Path]:
    return [p for p in ws.cache_files() if p.name.startswith("signin-") and p.suffix == ".json"]


# managed login -----------------------------------------------------------------------------


@pytest.mark.floor
def test_plain_run_signs_in_through_the_browser_then_serves_the_cache(
    ws: Workspace, managed: ManagedPool
) -> None:
    ws.write_config(managed.profile_section())
    done = ws.run("--profile", "dev", env=browser_env(ws))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    data = parse_output(done.stdout)
    # temporary keys start ASIA (IAM User Guide, "Unique identifiers")
    assert data["AccessKeyId"].startswith("ASIA")
    (visit,) = visits(ws)
    assert visit["callback_status"] == 200
    assert "Signed in as alice (profile dev)" in str(visit["callback_page"])
    assert managed.login.calls["code exchanged"] == 1
    sent = managed.login.authorize_requests[-1]
    assert sent["code_challenge_method"] == "S256" and sent["scope"] == "openid"
    assert sent["redirect_uri"] == managed.redirect_uri and len(sent["state"]) >= 43
    again = ws.run("--profile", "dev")
    assert again.returncode == 0 and again.stdout == done.stdout
    assert len(visits(ws)) == 1 and managed.login.calls["authorize"] == 2  # a check + the browser


@pytest.mark.parametrize(
    ("mode", "page"),
    [
        ("forge-state", "This address belongs to another sign-in"),
        ("drop-state", "This address belongs to another sign-in"),
        ("no-cookie", "This browser did not start this sign-in"),
    ],
)
def test_a_callback_not_of_this_sign_in_is_ignored_and_the_browsers_own_completes(
    ws: Workspace, managed: ManagedPool, mode: str, page: str
) -> None:
    """A callback with another state, none, or without the cookie the start URL set (a
    stale tab, another browser, any program or web page) gets an error page and does
    not end the wait: the browser's own callback then signs in."""
    ws.write_config(managed.profile_section())
    done = ws.run("--profile", "dev", env=browser_env(ws, mode))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    parse_output(done.stdout)
    (visit,) = visits(ws)
    assert visit["first_callback_status"] == 403
    assert page in str(visit["first_callback_page"])
    assert visit["callback_status"] == 200
    assert "Signed in as alice (profile dev)" in str(visit["callback_page"])
    assert managed.login.calls["token:authorization_code"] == 1


def test_the_browser_gets_a_one_time_start_url_not_the_authorize_url(
    ws: Workspace, managed: ManagedPool
) -> None:
    """What $BROWSER gets on its command line (which every user can read) carries no
    state, PKCE challenge, nonce or client id: a one-time address on the listener,
    which sends the browser on to the authorize URL with the binding cookie."""
    ws.write_config(managed.profile_section())
    done = ws.run("--profile", "dev", env=browser_env(ws))
    assert done.returncode == 0, done.stderr
    (visit,) = visits(ws)
    opened = urllib.parse.urlsplit(str(visit["opened_url"]))
    redirect = urllib.parse.urlsplit(managed.redirect_uri)
    assert (opened.scheme, opened.netloc) == (redirect.scheme, redirect.netloc)
    assert opened.path != redirect.path and opened.query == "" and opened.fragment == ""
    sent = managed.login.authorize_requests[-1]
    for value in (sent["state"], sent["code_challenge"], sent["client_id"]):
        assert value not in str(visit["opened_url"])
    assert str(visit["authorize_url"]).startswith(f"{managed.login.url}/oauth2/authorize?")
    visited = visit["visited"]
    assert isinstance(visited, list)
    assert visited[:2] == [visit["opened_url"], visit["authorize_url"]]


def test_a_start_url_opened_twice_ends_the_sign_in_with_nothing_exchanged(
    ws: Workspace, managed: ManagedPool
) -> None:
    """The second load of the start URL means someone raced the browser to it: the
    sign-in stops with that said, and no code is exchanged whoever comes back."""
    ws.write_config(managed.profile_section())
    done = ws.run("--profile", "dev", env=browser_env(ws, "twice"))
    assert done.returncode == 1 and done.stdout == ""
    first, hint = done.stderr.strip().splitlines()
    assert first == (
        "cognito-credproc: profile dev: another program on this machine opened the sign-in "
        "page first (or it was opened twice); the sign-in was stopped and nothing was "
        "exchanged or kept"
    )
    assert hint.strip() == RUN_LOGIN
    (visit,) = visits(ws)
    assert visit["again_status"] == 409 and "Go back to the terminal" in str(visit["again_page"])
    assert managed.login.calls["token:authorization_code"] == 0
    assert signin_entries(ws) == []


def test_a_callback_without_a_code_ends_the_sign_in_at_once(
    ws: Workspace, managed: ManagedPool
) -> None:
    """It carries this sign-in's state, so it is the callback, not a stray request to
    wait past: the sign-in ends with the reason rather than at the timeout."""
    ws.write_config(managed.profile_section())
    done = ws.run("--profile", "dev", env=browser_env(ws, "drop-code"))
    assert done.returncode == 1 and done.stdout == ""
    first, hint = done.stderr.strip().splitlines()
    assert first == "cognito-credproc: profile dev: the browser came back without a code"
    assert hint.strip() == RUN_LOGIN
    assert managed.login.calls["token:authorization_code"] == 0 and signin_entries(ws) == []
    (visit,) = visits(ws)
    assert visit["callback_status"] == 400 and "without a code" in str(visit["callback_page"])


def test_access_denied_in_the_browser(ws: Workspace, managed: ManagedPool) -> None:
    ws.write_config(managed.profile_section())
    done = ws.run("--profile", "dev", env=browser_env(ws, "deny"))
    assert done.returncode == 1
    first, hint = done.stderr.strip().splitlines()
    assert first.startswith("cognito-credproc: profile dev: the sign-in was cancelled")
    assert "access_denied" in first and hint.strip() == RUN_LOGIN
    assert managed.login.calls["token:authorization_code"] == 0
    assert signin_entries(ws) == []


def test_a_redirect_uri_not_on_the_app_client_is_named_before_a_browser_opens(
    ws: Workspace, managed: ManagedPool
) -> None:
    other = managed.redirect_uri.replace("/callback", "/other")
    ws.write_config(managed.profile_section(redirect_uri=other))
    done = ws.run("--profile", "dev", env=browser_env(ws))
    assert done.returncode == 1
    assert f"refused redirect_uri {other}: it is not a callback URL" in done.stderr
    assert f"add {other} to the app client's allowed callback URLs" in done.stderr
    assert visits(ws) == []


@pytest.mark.parametrize(
    ("overrides", "said", "fix"),
    [
        (
            {"scopes": "openid aws.cognito.signin.user.admin"},
            "refused the scopes 'openid aws.cognito.signin.user.admin' (invalid_scope)",
            "allow them on app client",
        ),
        (
            {"app_client_id": "nosuchclient"},
            "refused the sign-in request (invalid_request (Client does not exist))",
            "check app_client_id and login_domain",
        ),
    ],
)
def test_authorize_errors_are_one_or_two_lines_with_the_fix(
    ws: Workspace, managed: ManagedPool, overrides: dict[str, str], said: str, fix: str
) -> None:
    ws.write_config(managed.profile_section(**overrides))
    done = ws.run("--profile", "dev", env=browser_env(ws))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("cognito-credproc: profile dev: ") and said in lines[0]
    assert fix in lines[1]
    assert visits(ws) == []


def test_a_pool_with_the_updated_issuer_signs_in_and_refreshes(
    ws: Workspace, managed: ManagedPool
) -> None:
    """IssuerConfiguration UPDATED: the pool's tokens name
    https://issuer-cognito-idp.REGION.amazonaws.com/POOL_ID; the identity pool still
    knows the pool as cognito-idp.REGION.amazonaws.com/POOL_ID, the Logins key sent."""
    managed.login.issuer_configuration = "UPDATED"
    ws.write_config(managed.profile_section())
    done = ws.run("--profile", "dev", env=browser_env(ws))
    assert done.returncode == 0, done.stderr
    parse_output(done.stdout)
    (entry,) = signin_entries(ws)
    iss = jwt_claims(json.loads(entry.read_text())["id_token"])["iss"]
    pool = managed.cognito.user_pool_id
    assert iss == f"https://issuer-cognito-idp.{pool.split('_')[0]}.amazonaws.com/{pool}"
    expire_tokens(ws)
    again = ws.run("--profile", "dev")  # refreshed tokens name it too
    assert again.returncode == 0, again.stderr
    assert managed.login.calls["refreshed"] == 1


def test_logins_key_names_the_pool_as_the_identity_pool_registered_it(
    ws: Workspace, managed: ManagedPool
) -> None:
    """An identity pool that lists the user pool under another provider name (here the
    updated issuer's host) takes the ID token only under that name: logins_key."""
    pool = managed.cognito.user_pool_id
    region = pool.split("_")[0]
    name = f"issuer-cognito-idp.{region}.amazonaws.com/{pool}"
    identity_pool_id = managed.cognito.identity.create_identity_pool(
        IdentityPoolName="registered_otherwise",
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[{"ProviderName": name, "ClientId": managed.client_id}],
    )["IdentityPoolId"]
    managed.login.issuer_configuration = "UPDATED"
    ws.write_config(
        managed.profile_section("dev", identity_pool_id=identity_pool_id)
        + managed.profile_section("named", identity_pool_id=identity_pool_id, logins_key=name)
    )
    unnamed = ws.run("--profile", "dev", env=browser_env(ws))
    assert unnamed.returncode == 1
    assert "Token is not from a supported provider of this identity pool" in unnamed.stderr
    named = ws.run("--profile", "named", env=browser_env(ws))
    assert named.returncode == 0, named.stderr
    parse_output(named.stdout)


def test_profiles_of_one_sign_in_share_it(ws: Workspace, managed: ManagedPool) -> None:
    role = grant_role(managed.cognito, "arn:aws:iam::123456789012:role/Ops")
    ws.write_config(managed.profile_section("dev") + managed.profile_section("ops", role_arn=role))
    dev = ws.run("--profile", "dev", env=browser_env(ws))
    assert dev.returncode == 0, dev.stderr
    ops = ws.run("--profile", "ops", env=browser_env(ws))
    assert ops.returncode == 0, ops.stderr
    assert parse_output(ops.stdout)["AccessKeyId"] != parse_output(dev.stdout)["AccessKeyId"]
    assert len(visits(ws)) == 1 and managed.login.calls["code exchanged"] == 1
    status = json.loads(ws.run("status", "--profile", "dev", "--json").stdout)
    assert status["profiles"][0]["shared_with"] == ["ops"]


def test_a_stolen_code_is_useless_and_a_used_code_is_refused(
    ws: Workspace, managed: ManagedPool
) -> None:
    ws.write_config(managed.profile_section())
    done = ws.run("--profile", "dev", env=browser_env(ws, "steal-code"))
    (visit,) = visits(ws)
    assert visit["stolen"] == 400  # without the PKCE verifier
    assert managed.login.calls["pkce failed"] == 1
    assert done.returncode == 1  # the thief's try used the code up
    assert "refused the sign-in code (invalid_grant)" in done.stderr
    assert signin_entries(ws) == []


def test_a_taken_port_is_named(ws: Workspace, managed: ManagedPool) -> None:
    port = urllib.parse.urlsplit(managed.redirect_uri).port
    ws.write_config(managed.profile_section())
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        done = ws.run("--profile", "dev", env=browser_env(ws))
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use by another program" in done.stderr
    assert "register another callback URL on the app client" in done.stderr
    assert visits(ws) == [] and managed.login.calls["authorize"] == 0


def test_no_browser_and_no_terminal_fails_at_once(ws: Workspace, managed: ManagedPool) -> None:
    ws.write_config(managed.profile_section())
    done = ws.run("--profile", "dev")  # no BROWSER, DISPLAY or WAYLAND_DISPLAY
    assert done.returncode == 1
    assert "needs a browser, and there is none here" in done.stderr
    assert done.stderr.rstrip().endswith(RUN_LOGIN)
    assert managed.login.calls["authorize"] == 0


def test_a_browser_that_cannot_start_fails_at_once_without_a_terminal(
    ws: Workspace, managed: ManagedPool
) -> None:
    ws.write_config(managed.profile_section())
    done = ws.run("--profile", "dev", env=browser_env(ws, "fail"))
    assert done.returncode == 1
    assert "the browser could not be opened: $BROWSER failed" in done.stderr
    assert done.stderr.rstrip().endswith(RUN_LOGIN)


@pytest.mark.slow
def test_ten_cold_runs_open_one_tab_and_exchange_one_code(
    ws: Workspace, managed: ManagedPool
) -> None:
    ws.write_config(managed.profile_section())
    results = run_together(ws, 10, browser_env(ws), "--profile", "dev")
    assert [r.returncode for r in results] == [0] * 10, [r.stderr for r in results]
    keys = {parse_output(r.stdout)["AccessKeyId"] for r in results}
    assert len(keys) == 1
    assert len(visits(ws)) == 1
    assert managed.login.calls["token:authorization_code"] == 1


@pytest.mark.floor
def test_refresh_after_the_id_token_expired_needs_no_browser(
    ws: Workspace, managed: ManagedPool
) -> None:
    ws.write_config(managed.profile_section())
    assert ws.run("--profile", "dev", env=browser_env(ws)).returncode == 0
    expire_tokens(ws)
    done = ws.run("--profile", "dev")  # no browser now
    assert done.returncode == 0, done.stderr
    parse_output(done.stdout)
    assert managed.login.calls["refreshed"] == 1
    assert len(visits(ws)) == 1


@pytest.mark.floor
def test_a_rotating_client_hands_out_a_new_refresh_token_each_time(
    ws: Workspace, managed: ManagedPool
) -> None:
    client = managed.add_client(rotate=True)
    ws.write_config(managed.profile_section(app_client_id=client["ClientId"]))
    assert ws.run("--profile", "dev", env=browser_env(ws)).returncode == 0
    seen = []
    for _ in range(2):
        seen.append(json.loads(signin_entries(ws)[0].read_text())["refresh_token"])
        expire_tokens(ws)
        done = ws.run("--profile", "dev")  # no browser: the (new) refresh token must do
        assert done.returncode == 0, done.stderr
    seen.append(json.loads(signin_entries(ws)[0].read_text())["refresh_token"])
    assert len(set(seen)) == 3
    assert managed.login.calls["refresh rotated"] == 2 and len(visits(ws)) == 1


def test_logout_revokes_at_the_revocation_endpoint(ws: Workspace, managed: ManagedPool) -> None:
    ws.write_config(managed.profile_section())
    assert ws.run("--profile", "dev", env=browser_env(ws)).returncode == 0
    (entry,) = signin_entries(ws)
    refresh_token = json.loads(entry.read_text())["refresh_token"]
    done = ws.run("logout", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    assert "refresh token revoked" in done.stderr
    assert managed.login.calls["revoked"] == 1
    assert managed.login.pool().refresh_tokens[refresh_token] is None
    assert signin_entries(ws) == []


def test_logout_global_needs_the_admin_scope_and_says_so_before_anything_is_undone(
    ws: Workspace, managed: ManagedPool
) -> None:
    """GlobalSignOut takes only an access token with aws.cognito.signin.user.admin, which
    managed login grants only when it is asked for: without it, nothing is done (the
    local tokens stay, so plain logout can still revoke them) and the fix is named."""
    ws.write_config(managed.profile_section())
    assert ws.run("--profile", "dev", env=browser_env(ws)).returncode == 0
    done = ws.run("logout", "--profile", "dev", "--global")
    assert done.returncode == 2
    first, hint = done.stderr.strip().splitlines()
    assert "aws.cognito.signin.user.admin" in first and "'openid'" in first
    assert "scopes in [dev]" in hint and "or run logout without --global" in hint
    assert signin_entries(ws) != [] and BEHAVIOUR.calls["GlobalSignOut"] == 0
    assert ws.run("logout", "--profile", "dev").returncode == 0
    assert managed.login.calls["revoked"] == 1


def test_logout_global_with_the_admin_scope_signs_out_every_device(
    ws: Workspace, managed: ManagedPool
) -> None:
    admin = ("openid", "aws.cognito.signin.user.admin")
    client = managed.add_client(scopes=admin)
    scopes = " ".join(admin)
    ws.write_config(managed.profile_section(app_client_id=client["ClientId"], scopes=scopes))
    assert ws.run("--profile", "dev", env=browser_env(ws)).returncode == 0
    done = ws.run("logout", "--profile", "dev", "--global")
    assert done.returncode == 0, done.stderr
    assert "signed out of every device" in done.stderr and signin_entries(ws) == []
    assert BEHAVIOUR.calls["GlobalSignOut"] == 1


def test_client_secret_goes_as_http_basic(ws: Workspace, managed_secret: ManagedPool) -> None:
    ws.write_config(managed_secret.profile_section())
    done = ws.run("--profile", "dev", env=browser_env(ws))
    assert done.returncode == 0, done.stderr
    assert managed_secret.login.calls["code exchanged"] == 1
    expire_tokens(ws)
    assert ws.run("--profile", "dev").returncode == 0
    assert managed_secret.login.calls["refreshed"] == 1


def test_a_secret_with_plus_goes_in_cognitos_form_of_basic(
    ws: Workspace, managed_plus_secret: ManagedPool
) -> None:
    """Sign-in, refresh and revocation at the managed login with a secret that holds +
    and _, which Cognito takes only as it is (not form-encoded first)."""
    pool = managed_plus_secret
    ws.write_config(pool.profile_section())
    done = ws.run("--profile", "dev", env=browser_env(ws))
    assert done.returncode == 0, done.stderr
    expire_tokens(ws)
    assert ws.run("--profile", "dev").returncode == 0
    logout = ws.run("logout", "--profile", "dev")
    assert logout.returncode == 0, logout.stderr
    assert [pool.login.calls[n] for n in ("code exchanged", "refreshed", "revoked")] == [1, 1, 1]


def test_a_secret_with_plus_goes_to_an_oidc_provider_as_rfc_6749_says(
    ws: Workspace, moto_endpoint: str
) -> None:
    setup = provision_oidc(moto_endpoint, secret=PLUS_SECRET)
    try:
        ws.write_config(setup.profile_section("dev"))
        done = ws.run("--profile", "dev", env=browser_env(ws, user="bob"))
        assert done.returncode == 0, done.stderr
        expire_tokens(ws)
        assert ws.run("--profile", "dev").returncode == 0
        assert ws.run("logout", "--profile", "dev").returncode == 0
        calls = setup.provider.calls
        assert [calls[n] for n in ("code exchanged", "refreshed", "revoked")] == [1, 1, 1]
    finally:
        setup.provider.stop()


def test_a_wrong_client_secret_is_invalid_client(
    ws: Workspace, managed_secret: ManagedPool
) -> None:
    ws.write_config(managed_secret.profile_section(app_client_secret="not-the-secret"))
    done = ws.run("--profile", "dev", env=browser_env(ws))
    assert done.returncode == 1
    assert "refused app client" in done.stderr and "invalid_client" in done.stderr


def test_identity_provider_goes_to_the_authorize_endpoint(
    ws: Workspace, managed: ManagedPool
) -> None:
    managed.add_federated_idp("Okta")
    client = managed.add_client(identity_providers=("Okta",))
    ws.write_config(
        managed.profile_section(app_client_id=client["ClientId"], identity_provider="Okta")
    )
    done = ws.run("--profile", "dev", env=browser_env(ws))
    assert done.returncode == 0, done.stderr
    assert managed.login.authorize_requests[-1]["identity_provider"] == "Okta"
    assert managed.login.calls["federated:Okta"] == 2 and managed.login.calls["login page"] == 0
    status = ws.run("status", "--profile", "dev", "--json")
    assert json.loads(status.stdout)["profiles"][0]["user"] == "Okta_alice"


def test_token_env_and_status_work_unchanged(ws: Workspace, managed: ManagedPool) -> None:
    ws.write_config(managed.profile_section())
    assert ws.run("--profile", "dev", env=browser_env(ws)).returncode == 0
    token = ws.run("token", "--profile", "dev")
    assert token.returncode == 0 and token.stdout.count(".") == 2
    env = ws.run("env", "--profile", "dev")
    assert env.returncode == 0 and "AWS_SESSION_TOKEN=" in env.stdout
    status = ws.run("status", "--profile", "dev")
    assert re.search(r"^dev\s+alice\s", status.stdout, flags=re.MULTILINE), status.stdout


def test_login_with_a_browser_says_who_signed_in_and_until_when(
    ws: Workspace, managed: ManagedPool
) -> None:
    ws.write_config(managed.profile_section())
    done = ws.run("login", "--profile", "dev", env=browser_env(ws))
    assert done.returncode == 0, done.stderr
    assert re.search(
        r"Signed in as alice \(profile dev\): ID token valid until \d{4}-\d\d-\d\dT[\d:]+Z, "
        r"refresh token issued just now; AWS credentials cached\.",
        done.stderr,
    ), done.stderr


def test_the_url_is_shown_on_the_terminal_too(ws: Workspace, managed: ManagedPool) -> None:
    ws.write_config(managed.profile_section())
    run = PtyRun(["--profile", "dev"], {**ws.env, **browser_env(ws)})
    screen = run.expect("If it does not open, visit:")
    code, out, err = run.finish()
    assert code == 0, err
    parse_output(out)
    assert "opening the browser to sign in (profile dev)" in screen
    (visit,) = visits(ws)
    assert f"visit:\r\n  {visit['opened_url']}\r\n" in run.screen  # the start URL
    assert "/oauth2/authorize" not in run.screen
    assert err == ""  # the terminal, not the pipes


def test_login_no_browser_takes_the_pasted_address(ws: Workspace, managed: ManagedPool) -> None:
    ws.write_config(managed.profile_section())
    run = PtyRun(["login", "--profile", "dev", "--no-browser"], dict(ws.env))
    screen = run.expect("Address the browser ended on: ")
    url = re.search(r"(http://127\.0\.0\.1:\d+/oauth2/authorize\?\S+)", screen)
    assert url, screen
    visit = drive(url.group(1), username="alice", password=PASSWORD, call_back=False)
    assert visit.callback_url
    run.send(visit.callback_url)
    run.expect("Signed in as alice (profile dev)")
    code, _out, err = run.finish()
    assert code == 0, err
    assert managed.login.calls["code exchanged"] == 1
    assert ws.run("--profile", "dev").returncode == 0  # from the cache


def test_login_no_browser_refuses_another_address(ws: Workspace, managed: ManagedPool) -> None:
    ws.write_config(managed.profile_section())
    run = PtyRun(["login", "--profile", "dev", "--no-browser"], dict(ws.env))
    run.expect("Address the browser ended on: ")
    run.send("http://localhost:1/elsewhere?code=abc&state=def")
    code, _out, err = run.finish()
    assert code == 1
    assert "that is not the address the browser was sent to" in err
    assert managed.login.calls["token:authorization_code"] == 0


# an OpenID Connect provider the identity pool trusts directly ------------------------------


def test_oidc_provider_without_a_user_pool_signs_in_and_refreshes(
    ws: Workspace, oidc: OidcSetup
) -> None:
    ws.write_config(oidc.profile_section("dev"))
    done = ws.run("--profile", "dev", env=browser_env(ws, user="bob"))
    assert done.returncode == 0, done.stderr
    parse_output(done.stdout)
    sent = oidc.provider.authorize_requests[-1]
    assert sent["scope"] == "openid offline_access" and sent["nonce"]
    assert oidc.provider.calls["code exchanged"] == 1
    expire_tokens(ws)
    again = ws.run("--profile", "dev")  # no browser
    assert again.returncode == 0, again.stderr
    assert oidc.provider.calls["refreshed"] == 1 and len(visits(ws)) == 1
    logout = ws.run("logout", "--profile", "dev")
    assert logout.returncode == 0 and oidc.provider.calls["revoked"] == 1


def test_a_refresh_answered_without_an_id_token_signs_in_again(
    ws: Workspace, oidc: OidcSetup
) -> None:
    """OpenID Connect Core 12.2 lets a refresh answer leave the ID token out: the
    identity pool needs one, so the refresh did not help and the browser is next."""
    oidc.provider.id_token_on_refresh = False
    ws.write_config(oidc.profile_section("dev"))
    assert ws.run("--profile", "dev", env=browser_env(ws, user="bob")).returncode == 0
    expire_tokens(ws)
    nobody = ws.run("--profile", "dev")  # no browser, no terminal
    assert nobody.returncode == 1 and nobody.stderr.rstrip().endswith(RUN_LOGIN)
    assert "no ID token" not in nobody.stderr
    assert oidc.provider.calls["refreshed"] == 1
    again = ws.run("--profile", "dev", env=browser_env(ws, user="bob"))
    assert again.returncode == 0, again.stderr
    parse_output(again.stdout)
    assert len(visits(ws)) == 2 and oidc.provider.calls["code exchanged"] == 2


def test_logout_at_a_provider_without_revocation_says_what_is_left(
    ws: Workspace, oidc: OidcSetup
) -> None:
    """Entra ID, for one, publishes no revocation_endpoint: this machine is signed out,
    and the message names the provider, not Cognito, and no --global (which needs a
    user pool)."""
    oidc.provider.discovery_changes["revocation_endpoint"] = None
    ws.write_config(oidc.profile_section("dev"))
    assert ws.run("--profile", "dev", env=browser_env(ws, user="bob")).returncode == 0
    done = ws.run("logout", "--profile", "dev")
    assert done.returncode == 1 and signin_entries(ws) == []
    first, hint = done.stderr.strip().splitlines()
    where = oidc.provider.url.split("://", 1)[1]
    assert first.startswith("cognito-credproc: profile dev: signed out on this machine")
    assert f"{where} did not revoke the refresh token ({where} has no revocation" in first
    assert "Cognito" not in done.stderr and "--global" not in hint
    assert where in hint


def test_oidc_unreachable_issuer_is_one_clear_line(ws: Workspace, oidc: OidcSetup) -> None:
    ws.write_config(oidc.profile_section("dev", oidc_issuer=oidc.provider.url + "/nowhere"))
    done = ws.run("--profile", "dev", env=browser_env(ws, user="bob"))
    assert done.returncode == 1
    assert "OpenID Connect discovery:" in done.stderr and "HTTP 404" in done.stderr
    assert "check oidc_issuer" in done.stderr


def test_a_token_endpoint_answering_garbage_is_a_clear_error(
    ws: Workspace, oidc: OidcSetup
) -> None:
    garbage = RawServer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    oidc.provider.discovery_changes["token_endpoint"] = garbage.url + "/v1/token"
    ws.write_config(oidc.profile_section("dev"))
    try:
        done = ws.run("--profile", "dev", env=browser_env(ws, user="bob"))
    finally:
        garbage.stop()
    assert garbage.requests == 1 and done.returncode == 1 and done.stdout == ""
    first, *rest = done.stderr.splitlines()
    assert first == (
        f"cognito-credproc: profile dev: {garbage.url} did not answer in HTTP (IncompleteRead)"
    )
    assert len(rest) == 1 and "check oidc_issuer" in rest[0]
    assert signin_entries(ws) == []
    (visit,) = visits(ws)
    assert visit["callback_status"] == 400
    assert "did not answer in HTTP" in str(visit["callback_page"])


def test_a_discovery_document_sending_the_code_to_plain_http_is_refused(
    ws: Workspace, oidc: OidcSetup
) -> None:
    oidc.provider.discovery_changes["token_endpoint"] = "http://idp.example.com/v1/token"
    ws.write_config(oidc.profile_section("dev"))
    done = ws.run("--profile", "dev", env=browser_env(ws, user="bob"))
    assert done.returncode == 1 and done.stdout == ""
    assert "OpenID Connect discovery: the discovery document's token_endpoint" in done.stderr
    assert visits(ws) == [] and signin_entries(ws) == []


# configure and doctor ------------------------------------------------------------------------


def configure_args(managed: ManagedPool, redirect_uri: str) -> list[str]:
    return [
        "configure",
        "--profile",
        "sso",
        "--auth-flow",
        "BROWSER",
        "--login-domain",
        managed.login.url,
        "--user-pool-id",
        managed.cognito.user_pool_id,
        "--app-client-id",
        managed.client_id,
        "--identity-pool-id",
        managed.identity_pool_id,
        "--redirect-uri",
        redirect_uri,
        "--endpoint-url",
        managed.cognito.endpoint,
    ]


def test_configure_writes_a_browser_profile_without_a_username(
    ws: Workspace, managed: ManagedPool
) -> None:
    done = ws.run(*configure_args(managed, managed.redirect_uri))
    assert done.returncode == 0, done.stderr
    written = ws.config.read_text()
    assert "auth_flow = BROWSER" in written and f"login_domain = {managed.login.url}" in written
    assert "username" not in written
    assert "[profile sso]\ncredential_process = " in ws.aws_config.read_text()
    assert managed.login.calls["authorize"] == 1  # the check, no browser


def test_configure_names_a_callback_url_the_app_client_lacks(
    ws: Workspace, managed: ManagedPool
) -> None:
    other = managed.redirect_uri.replace("/callback", "/elsewhere")
    done = ws.run(*configure_args(managed, other))
    assert done.returncode == 2
    assert f"refused redirect_uri {other}: it is not a callback URL" in done.stderr
    assert not ws.config.exists()


def test_doctor_checks_the_domain_and_the_redirect_port(
    ws: Workspace, managed: ManagedPool
) -> None:
    ws.write_config(managed.profile_section())
    done = ws.run("doctor", "--profile", "dev", env=browser_env(ws))
    assert "answers and accepts the client and redirect_uri" in done.stdout
    port = urllib.parse.urlsplit(managed.redirect_uri).port
    assert f"ok    redirect port {port} is free" in done.stdout
    assert visits(ws) == []  # the helper's own run opened no browser
    assert "needs a browser" in done.stdout  # ... and said so
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        taken = ws.run("doctor", "--profile", "dev")
    assert taken.returncode == 1
    assert f"FAIL  port {port} on 127.0.0.1 is already in use" in taken.stdout


def test_doctor_reports_an_issuer_that_does_not_answer(ws: Workspace, oidc: OidcSetup) -> None:
    ws.write_config(oidc.profile_section("dev", oidc_issuer=oidc.provider.url + "/gone"))
    done = ws.run("doctor", "--profile", "dev")
    assert done.returncode == 1
    assert "FAIL  127.0.0.1" in done.stdout and "HTTP 404" in done.stdout


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_an_orphan_waiting_for_the_browser_gives_up(ws: Workspace, managed: ManagedPool) -> None:
    from .robustness.test_orphans import GO_LIKE_PARENT, ends_soon, gone_for_sure, orphan

    ws.write_config(managed.profile_section())
    stderr = ws.root / "helper-stderr"
    helper = None
    with stderr.open("w") as err:
        parent = subprocess.Popen(
            [*GO_LIKE_PARENT, sys.executable, "-m", "cognito_credproc", "--profile", "dev"],
            env={**ws.env, **browser_env(ws, "never")},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while not visits(ws) and time.monotonic() < deadline:  # the browser was opened:
            time.sleep(0.1)  # the helper now waits for it
        assert visits(ws), "the browser was never opened"
        helper = orphan(parent.pid)
        assert ends_soon(helper), "the orphaned helper kept waiting for the browser"
        assert "has exited; stopped waiting" in stderr.read_text()
        assert signin_entries(ws) == []
    finally:
        gone_for_sure(helper)
        parent.kill()
        parent.wait()


def test_configure_an_oidc_profile_checks_the_issuer(ws: Workspace, oidc: OidcSetup) -> None:
    args = [
        "configure",
        "--profile",
        "okta",
        "--auth-flow",
        "BROWSER",
        "--oidc-issuer",
        oidc.provider.issuer,
        "--app-client-id",
        oidc.client.client_id,
        "--identity-pool-id",
        oidc.identity_pool_id,
        "--redirect-uri",
        oidc.client.redirect_uris[0],
        "--endpoint-url",
        oidc.endpoint,
    ]
    done = ws.run(*args)
    assert done.returncode == 0, done.stderr
    assert f"oidc_issuer = {oidc.provider.issuer}" in ws.config.read_text()
    assert oidc.provider.calls["discovery"] == 1 and oidc.provider.calls["authorize"] == 1
    wrong = ws.run(*args[:-4], "--redirect-uri", "http://localhost:1/nope", *args[-2:], "--force")
    assert wrong.returncode == 2
    assert "refused the sign-in request (HTTP 400: Bad Request: redirect_uri)" in wrong.stderr
