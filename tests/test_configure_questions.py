"""configure on a terminal (a pseudo-terminal, typed into as a person types) and by its
flags, against the strict local Cognito, managed login and OpenID Connect provider: how
people sign in decides the questions; a bad answer is asked again with the reason; a
profile's current values are the defaults; one key changes without --force; the region
is checked against the pool ids; an unreachable login domain and an unregistered
callback URL are reported as login reports them."""

from __future__ import annotations

import configparser
import socket

import pytest

from .browser_setup import ManagedPool, OidcSetup, managed, oidc
from .conftest import Cognito, Workspace, cognito_secret
from .ptyterm import PtyRun
from .test_browser_signin import browser_env

pytestmark = pytest.mark.integration
__all__ = ["cognito_secret", "managed", "oidc"]  # fixtures used below

WAY = "Choose 1-6 "
USER_POOL = "User pool id (e.g. eu-west-1_AbCdEf123)"
CLIENT = "App client id"
IDENTITY_POOL = "Identity pool id (e.g. eu-west-1:1111...)"
USERNAME = "Username"
SECRET = "App client secret (typed unseen; "
DOMAIN = "User pool domain (e.g. https://myapp.auth.eu-west-1.amazoncognito.com)"
CALLBACK = "Callback URL registered on the app client"
ISSUER = "OpenID Connect issuer (e.g. https://dev-123.okta.com/oauth2/default)"
REGION = "Region (the user pool's, unless you know better)"


def pty(ws: Workspace, *args: str, env: dict[str, str] | None = None) -> PtyRun:
    return PtyRun(["configure", *args], {**ws.env, **(env or {})})


def local(endpoint: str) -> dict[str, str]:
    """The local Cognito for the checks of a profile whose questions have no endpoint."""
    return {"AWS_ENDPOINT_URL": endpoint}


def section(ws: Workspace, name: str) -> dict[str, str]:
    """The profile's keys and values as written, in the file's order."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(ws.config.read_text())
    return dict(parser.items(name))


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def finished(run: PtyRun) -> str:
    """The run ended well; its stderr."""
    code, out, err = run.finish()
    assert code == 0, err + run.transcript
    assert out == ""
    return err


# how people sign in decides the questions -----------------------------------------------------


def test_configure_asks_for_a_browser_profile(ws: Workspace, managed: ManagedPool) -> None:
    endpoint = local(managed.cognito.endpoint)
    run = pty(ws, "--profile", "sso", env=endpoint)
    run.expect("How do people sign in?")
    run.answer(WAY, "2")
    run.answer(USER_POOL, "people")  # not a pool id: the reason, and the question again
    run.expect("user_pool_id 'people' is not a user pool id like us-east-1_AbCdEf123")
    run.expect("; try again")
    run.answer(USER_POOL, managed.cognito.user_pool_id)
    run.answer(CLIENT, managed.client_id)
    run.answer(IDENTITY_POOL, managed.identity_pool_id)
    run.answer(SECRET, "")
    run.answer(DOMAIN, "myapp.example.com")
    run.expect("login_domain 'myapp.example.com' is not an http:// or https:// URL; try again")
    run.answer(DOMAIN, managed.login.url)
    run.answer(f"{CALLBACK} [http://localhost:8400/callback]: ", managed.redirect_uri)
    err = finished(run)
    assert USERNAME not in run.transcript  # the ID token says who signed in
    assert section(ws, "sso") == {
        "user_pool_id": managed.cognito.user_pool_id,
        "app_client_id": managed.client_id,
        "identity_pool_id": managed.identity_pool_id,
        "auth_flow": "BROWSER",
        "login_domain": managed.login.url,
        "redirect_uri": managed.redirect_uri,
    }
    assert f"wrote [sso] to {ws.config}\n" in err
    assert "[profile sso]\ncredential_process = " in ws.aws_config.read_text()
    assert managed.login.calls["authorize"] == 1  # checked as login checks, no browser
    # the profile it wrote signs in
    done = ws.run("login", "--profile", "sso", env={**endpoint, **browser_env(ws)})
    assert done.returncode == 0, done.stderr
    assert "Signed in as alice (profile sso)" in done.stderr


def test_configure_asks_for_an_openid_connect_provider(ws: Workspace, oidc: OidcSetup) -> None:
    run = pty(ws, "--profile", "okta", env=local(oidc.endpoint))
    run.answer(WAY, "3")
    run.answer(CLIENT, oidc.client.client_id)
    run.answer(IDENTITY_POOL, oidc.identity_pool_id)
    run.answer(SECRET, "")
    run.answer(ISSUER, oidc.provider.issuer)
    run.answer(CALLBACK, oidc.client.redirect_uris[0])
    finished(run)
    assert USER_POOL not in run.transcript and DOMAIN not in run.transcript
    assert section(ws, "okta") == {
        "app_client_id": oidc.client.client_id,
        "identity_pool_id": oidc.identity_pool_id,
        "auth_flow": "BROWSER",
        "oidc_issuer": oidc.provider.issuer,
        "redirect_uri": oidc.client.redirect_uris[0],
    }
    assert oidc.provider.calls["discovery"] == 1 and oidc.provider.calls["authorize"] == 1


@pytest.mark.parametrize(("choice", "challenge"), [("4", "EMAIL_OTP"), ("5", "SMS_OTP")])
def test_configure_asks_for_a_one_time_code_profile(
    ws: Workspace, cognito: Cognito, choice: str, challenge: str
) -> None:
    run = pty(ws, "--profile", "dev", env=local(cognito.endpoint))
    run.answer(WAY, choice)
    run.answer(USER_POOL, cognito.user_pool_id)
    run.answer(CLIENT, cognito.client_id)
    run.answer(IDENTITY_POOL, cognito.identity_pool_id)
    run.answer(USERNAME, "")  # required: asked again
    run.expect("username is required; try again")
    run.answer(USERNAME, cognito.username)
    run.answer(SECRET, "")
    finished(run)
    assert DOMAIN not in run.transcript and CALLBACK not in run.transcript
    assert section(ws, "dev") == {
        "user_pool_id": cognito.user_pool_id,
        "app_client_id": cognito.client_id,
        "identity_pool_id": cognito.identity_pool_id,
        "username": cognito.username,
        "auth_flow": "USER_AUTH",
        "preferred_challenge": challenge,
    }


def test_a_client_secret_is_typed_unseen_and_kept_unseen(
    ws: Workspace, cognito_secret: Cognito
) -> None:
    secret = cognito_secret.client_secret
    assert secret
    ws.write_config(f"[dev]\nendpoint_url = {cognito_secret.endpoint}\n")
    run = pty(ws, "--profile", "dev")
    run.answer(WAY, "")  # a password, the default
    run.answer(USER_POOL, cognito_secret.user_pool_id)
    run.answer(CLIENT, cognito_secret.client_id)
    run.answer(IDENTITY_POOL, cognito_secret.identity_pool_id)
    run.answer(USERNAME, cognito_secret.username)
    run.answer(f"{SECRET}Enter for none): ", secret)
    err = finished(run)  # neither the terminal nor stderr showed it
    assert section(ws, "dev")["app_client_secret"] == secret
    assert oct(ws.config.stat().st_mode & 0o777) == "0o600"
    assert (
        "(added user_pool_id, app_client_id, identity_pool_id, username, app_client_secret)" in err
    )
    # changing it again: the secret is kept with Enter, and never shown
    again = pty(ws, "--profile", "dev")
    for prompt in (WAY, USER_POOL, CLIENT, IDENTITY_POOL, USERNAME):
        again.answer(prompt, "")
    again.answer(f"{SECRET}Enter keeps the current one, - removes it): ", "")
    assert f"[dev] in {ws.config} is already up to date" in finished(again)
    signed = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito_secret.password})
    assert signed.returncode == 0, signed.stderr


def test_an_id_cognito_does_not_know_is_asked_again(ws: Workspace, cognito: Cognito) -> None:
    run = pty(ws, "--profile", "dev", env=local(cognito.endpoint))
    run.answer(WAY, "1")
    run.answer(USER_POOL, cognito.user_pool_id)
    run.answer(CLIENT, "nosuchclient")
    run.answer(IDENTITY_POOL, cognito.identity_pool_id)
    run.answer(USERNAME, cognito.username)
    run.answer(SECRET, "")
    run.expect(
        "Cognito did not accept the settings: app client nosuchclient does not exist in "
        + cognito.user_pool_id
    )
    run.answer(f"{CLIENT} [nosuchclient]: ", cognito.client_id)
    finished(run)
    assert section(ws, "dev")["app_client_id"] == cognito.client_id


def test_a_flag_no_question_asks_for_leaves_the_whole_conversation(
    ws: Workspace, cognito: Cognito
) -> None:
    # --endpoint-url (an emulator's, a VPC endpoint's) decides neither the way nor an
    # answer: the way is still asked, and the secret, and the flag's value is written
    run = pty(ws, "--profile", "dev", "--endpoint-url", cognito.endpoint, "--refresh-margin", "60")
    run.expect("Profile dev (new) in ")
    run.answer(WAY, "1")
    run.answer(USER_POOL, cognito.user_pool_id)
    run.answer(CLIENT, cognito.client_id)
    run.answer(IDENTITY_POOL, cognito.identity_pool_id)
    run.answer(USERNAME, cognito.username)
    run.answer(SECRET, "")
    finished(run)
    written = section(ws, "dev")
    assert written["endpoint_url"] == cognito.endpoint
    assert written["refresh_margin"] == "60"
    assert written["username"] == cognito.username


# current values are the defaults; one key changes without --force ------------------------------


def test_enter_keeps_each_current_value_and_one_answer_changes_one_key(
    ws: Workspace, cognito: Cognito
) -> None:
    cognito.add_user("bob", cognito.password)
    ws.write_config(cognito.profile_section("dev", password_command="pass show cognito"))
    before = section(ws, "dev")
    run = pty(ws, "--profile", "dev")
    run.expect(f"Profile dev (changing it) in {ws.config}.")
    run.answer(f"{WAY}[1]: ", "")
    run.answer(f"{USER_POOL} [{cognito.user_pool_id}]: ", "")
    run.answer(f"{CLIENT} [{cognito.client_id}]: ", "")
    run.answer(f"{IDENTITY_POOL} [{cognito.identity_pool_id}]: ", "")
    run.answer(f"{USERNAME} [{cognito.username}]: ", "bob")
    run.answer(SECRET, "")
    err = finished(run)
    assert f"wrote [dev] to {ws.config} (changed username)\n" in err
    # only that key changed; what no question asks (endpoint_url, password_command) stays
    assert section(ws, "dev") == {**before, "username": "bob"}


def test_one_flag_changes_one_key_without_force(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    assert ws.run(*cognito.configure_args()).returncode == 0  # the AWS profile too
    aws = ws.aws_config.read_text()
    done = ws.run("configure", "--profile", "dev", "--region", "us-east-1")
    assert done.returncode == 0, done.stderr
    assert f"wrote [dev] to {ws.config} (added region)\n" in done.stderr
    assert section(ws, "dev") == {
        "user_pool_id": cognito.user_pool_id,
        "app_client_id": cognito.client_id,
        "identity_pool_id": cognito.identity_pool_id,
        "username": cognito.username,
        "region": "us-east-1",
        "endpoint_url": cognito.endpoint,
    }
    assert ws.aws_config.read_text() == aws
    # nothing given, nobody to ask: the profile stays as it is
    same = ws.run("configure", "--profile", "dev")
    assert same.returncode == 0, same.stderr
    assert f"[dev] in {ws.config} is already up to date" in same.stderr


def test_force_replaces_the_aws_profile_and_keeps_the_settings(
    ws: Workspace, cognito: Cognito
) -> None:
    ws.write_config(cognito.profile_section("dev", password_command="pass show cognito"))
    before = section(ws, "dev")
    ws.aws_config.write_text("[profile dev]\nsso_session = corp\n")
    refused = ws.run("configure", "--profile", "dev", "--region", "us-east-1")
    assert refused.returncode == 2
    assert f"[profile dev] already exists in {ws.aws_config}" in refused.stderr
    assert section(ws, "dev") == before  # neither file changed
    done = ws.run("configure", "--profile", "dev", "--region", "us-east-1", "--force")
    assert done.returncode == 0, done.stderr
    assert section(ws, "dev") == {**before, "region": "us-east-1"}  # nothing dropped
    aws = ws.aws_config.read_text()
    assert "sso_session" not in aws and "credential_process = " in aws
    # and the tool by another path (it moved): --force alone writes the new line
    ws.aws_config.write_text("[profile dev]\ncredential_process = /old/place/cognito-credproc\n")
    moved = ws.run("configure", "--profile", "dev", "--force")
    assert moved.returncode == 0, moved.stderr
    assert "/old/place" not in ws.aws_config.read_text()
    assert section(ws, "dev") == {**before, "region": "us-east-1"}


def test_a_new_way_drops_what_the_old_one_used(ws: Workspace, managed: ManagedPool) -> None:
    ws.write_config(managed.profile_section("sso"))
    run = pty(ws, "--profile", "sso")
    run.answer(f"{WAY}[2]: ", "1")  # from managed login to a password
    for prompt in (USER_POOL, CLIENT, IDENTITY_POOL):
        run.answer(prompt, "")
    run.answer(f"{USERNAME}: ", "alice")  # now required, and there is no current one
    run.answer(SECRET, "")
    err = finished(run)
    assert DOMAIN not in run.transcript and CALLBACK not in run.transcript
    assert "removed auth_flow, login_domain, redirect_uri: the profile signs in another way" in err
    wrote = f"wrote [sso] to {ws.config} (added username; removed auth_flow, login_domain, "
    assert wrote + "redirect_uri)\n" in err
    assert section(ws, "sso") == {
        "user_pool_id": managed.cognito.user_pool_id,
        "app_client_id": managed.client_id,
        "identity_pool_id": managed.identity_pool_id,
        "username": "alice",
        "endpoint_url": managed.cognito.endpoint,
    }


# the region against the pool ids ------------------------------------------------------------


def test_a_region_that_disagrees_with_the_pools_is_refused(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    written = ws.config.read_text()
    done = ws.run("configure", "--profile", "dev", "--region", "eu-west-1")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "cognito-credproc: profile dev: region eu-west-1 disagrees with the user pool id: "
        f"user pool {cognito.user_pool_id} is in us-east-1, and its calls would go to "
        "eu-west-1",
        "  next: pass --region us-east-1 (the user pool's region), or leave --region out",
    ]
    assert ws.config.read_text() == written
    assert not ws.aws_config.exists()


def test_a_wrong_region_is_asked_again_with_the_pools_region(
    ws: Workspace, cognito: Cognito
) -> None:
    ws.write_config(cognito.profile_section("dev", region="eu-west-1"))
    run = pty(ws, "--profile", "dev")
    for prompt in (WAY, USER_POOL, CLIENT, IDENTITY_POOL, USERNAME):
        run.answer(prompt, "")
    run.answer(f"{REGION} [eu-west-1] (- removes it): ", "")
    run.answer(SECRET, "")
    run.expect(
        f"region eu-west-1 disagrees with the user pool id: user pool {cognito.user_pool_id} "
        "is in us-east-1"
    )
    run.answer(f"{REGION} [us-east-1] (- removes it): ", "")  # Enter takes the pool's
    err = finished(run)
    assert f"wrote [dev] to {ws.config} (changed region)" in err
    assert section(ws, "dev")["region"] == "us-east-1"


# the login domain and the callback URL, as login checks them ----------------------------------


def configure_browser(managed: ManagedPool, **changes: str) -> list[str]:
    values = {
        "--auth-flow": "BROWSER",
        "--login-domain": managed.login.url,
        "--user-pool-id": managed.cognito.user_pool_id,
        "--app-client-id": managed.client_id,
        "--identity-pool-id": managed.identity_pool_id,
        "--redirect-uri": managed.redirect_uri,
        "--endpoint-url": managed.cognito.endpoint,
        **changes,
    }
    return ["configure", "--profile", "sso", *(part for pair in values.items() for part in pair)]


def test_an_unreachable_login_domain_is_reported_unreachable(
    ws: Workspace, managed: ManagedPool
) -> None:
    closed = closed_port_url()
    done = ws.run(*configure_browser(managed, **{"--login-domain": closed}))
    assert done.returncode == 1, done.stderr
    first, hint = done.stderr.splitlines()
    assert first.startswith(
        f"cognito-credproc: profile sso: the login domain {closed} is unreachable (cannot reach "
    )
    assert first.endswith("; nothing was written")
    assert "check login_domain" in hint and "--no-validate" in hint
    assert not ws.config.exists() and not ws.aws_config.exists()
    # on a terminal too: there is nothing to type that would make it answer
    run = pty(ws, "--profile", "sso", env=local(managed.cognito.endpoint))
    run.answer(WAY, "2")
    run.answer(USER_POOL, managed.cognito.user_pool_id)
    run.answer(CLIENT, managed.client_id)
    run.answer(IDENTITY_POOL, managed.identity_pool_id)
    run.answer(SECRET, "")
    run.answer(DOMAIN, closed)
    run.answer(CALLBACK, managed.redirect_uri)
    code, _out, err = run.finish()
    assert code == 1
    assert f"the login domain {closed} is unreachable" in err
    assert not ws.config.exists()


def test_an_unregistered_callback_url_gets_the_fix_login_gives(
    ws: Workspace, managed: ManagedPool
) -> None:
    other = managed.redirect_uri.replace("/callback", "/elsewhere")
    done = ws.run(*configure_browser(managed, **{"--redirect-uri": other}))
    assert done.returncode == 2
    assert not ws.config.exists()
    said = done.stderr.splitlines()
    assert f"refused redirect_uri {other}: it is not a callback URL" in said[0]
    # login, with the same settings, says the same two lines
    ws.write_config(managed.profile_section("sso", redirect_uri=other))
    login = ws.run("login", "--profile", "sso", env=browser_env(ws))
    assert login.returncode == 1
    assert login.stderr.splitlines()[-2:] == said
    ws.config.unlink()
    # on a terminal: said there, and the callback URL asked again
    run = pty(ws, "--profile", "sso", env=local(managed.cognito.endpoint))
    run.answer(WAY, "2")
    run.answer(USER_POOL, managed.cognito.user_pool_id)
    run.answer(CLIENT, managed.client_id)
    run.answer(IDENTITY_POOL, managed.identity_pool_id)
    run.answer(SECRET, "")
    run.answer(DOMAIN, managed.login.url)
    run.answer(CALLBACK, other)
    run.expect(said[0].split("profile sso: ", 1)[1] + "\r\n" + said[1] + "\r\n")
    run.answer(f"{CALLBACK} [{other}] (- removes it): ", managed.redirect_uri)
    finished(run)
    assert section(ws, "sso")["redirect_uri"] == managed.redirect_uri
