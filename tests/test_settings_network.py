"""Settings whose exact spelling reaches the network: an issuer with and without its
trailing slash (the discovery URL fetched, the iss the ID token must carry, the Logins
key), a login domain and an endpoint_url that end in a slash, a redirect_uri without a
path, and the default port."""

from __future__ import annotations

import threading
import urllib.parse

import pytest

from cognito_credproc.signin import loopback

from .browser_setup import ManagedPool, OidcSetup, managed, oidc
from .conftest import Cognito, Workspace, parse_output
from .oauth_common import pick_redirect_port
from .test_browser_signin import browser_env, visits
from .test_browser_units import started

pytestmark = pytest.mark.integration

__all__ = ["managed", "oidc"]  # fixtures used below


@pytest.mark.parametrize("slash", ["", "/"], ids=["issuer", "issuer-with-slash"])
def test_an_oidc_issuer_with_or_without_its_trailing_slash(
    ws: Workspace, oidc: OidcSetup, slash: str
) -> None:
    issuer = oidc.provider.issuer
    assert not issuer.endswith("/")  # the provider's own spelling, in its discovery document
    ws.write_config(oidc.profile_section("dev", oidc_issuer=issuer + slash))
    done = ws.run("--profile", "dev", env=browser_env(ws, user="bob"))
    assert done.returncode == 0, done.stderr
    parse_output(done.stdout)
    # {issuer}/.well-known/openid-configuration, not {issuer}//.well-known/...
    assert oidc.provider.calls["discovery"] >= 1
    # the ID token names the issuer as discovery does, and the identity pool took it under
    # the issuer without https:// and without the slash (how IAM names the provider)
    assert oidc.provider.calls["code exchanged"] == 1
    assert len(visits(ws)) == 1


def test_a_login_domain_with_a_trailing_slash(ws: Workspace, managed: ManagedPool) -> None:
    ws.write_config(managed.profile_section("dev", login_domain=managed.login.url + "/"))
    done = ws.run("--profile", "dev", env=browser_env(ws))
    assert done.returncode == 0, done.stderr
    (visit,) = visits(ws)
    assert str(visit["authorize_url"]).startswith(managed.login.url + "/oauth2/authorize?")


def test_a_redirect_uri_without_a_path(ws: Workspace, oidc: OidcSetup) -> None:
    """The app registered ``http://localhost:PORT``: exactly that goes to the authorize
    and token endpoints (nothing appended), and the tool listens at its root."""
    bare = f"http://localhost:{pick_redirect_port()}"
    oidc.client.redirect_uris = [bare]
    ws.write_config(oidc.profile_section("dev", redirect_uri=bare))
    done = ws.run("--profile", "dev", env=browser_env(ws, user="bob"))
    assert done.returncode == 0, done.stderr
    assert oidc.provider.authorize_requests[-1]["redirect_uri"] == bare
    assert oidc.provider.calls["code exchanged"] == 1  # the token endpoint checked it too


def test_the_listener_takes_the_callback_at_the_root_of_a_bare_redirect_uri() -> None:
    port = pick_redirect_port()
    with loopback.Listener(f"http://localhost:{port}") as listener:
        tab = started(listener)  # the browser that loaded the start URL (its cookie)
        seen: list[tuple[int, dict[str, str], str]] = []
        browser = threading.Thread(
            target=lambda: seen.append(tab.get(f"http://localhost:{port}/?code=abc&state=s"))
        )
        browser.start()
        assert listener.wait(10) == {"code": "abc", "state": "s"}
        listener.finish(loopback.Page(True, "Signed in", "Close this tab."))
        browser.join(10)
    assert seen[0][0] == 200


def test_the_default_port_of_a_redirect_uri() -> None:
    """``http://localhost/callback`` is port 80, where a browser's Host header leaves
    the port out. (Nothing listens here: port 80 may be taken.)"""
    assert loopback.parse_redirect_uri("http://localhost/callback") == (
        "localhost",
        80,
        "/callback",
    )
    listener = loopback.Listener("http://127.0.0.1/callback")
    assert listener.port == 80
    for host in ("localhost", "127.0.0.1", "localhost:80", "127.0.0.1:80"):
        assert listener.host_ok(host), host
    assert not listener.host_ok("evil.test")
    assert not loopback.Listener("http://localhost:8400/callback").host_ok("localhost")


def test_an_endpoint_url_with_a_trailing_slash(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev", endpoint_url=cognito.endpoint + "/"))
    done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    assert parse_output(done.stdout)["AccessKeyId"]
    assert cognito.calls["GetCredentialsForIdentity"] == 1
    assert urllib.parse.urlsplit(cognito.endpoint).path == ""
