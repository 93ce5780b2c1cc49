"""Client side of what moto does not implement, checked with botocore's Stubber (which
validates every request against the real service model): RevokeToken,
GetTokensFromRefreshToken (refresh-token rotation), EMAIL_OTP, SELECT_MFA_TYPE, SMS
code delivery details. Device SRP needs answers computed from what the client sends,
which a Stubber cannot do; it runs against a small fake that uses the test-side SRP
server, so the device proof is checked for real."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.stub import Stubber

from cognito_credproc.aws import Clients
from cognito_credproc.cache import FileCache
from cognito_credproc.config import Profile, profile_from_section
from cognito_credproc.errors import AuthFailed
from cognito_credproc.parentwatch import ParentWatch
from cognito_credproc.provider import Provider
from cognito_credproc.signin.api import ApiSignIn
from cognito_credproc.signin.challenges import mfa_names
from cognito_credproc.store import Store
from cognito_credproc.tokens import Tokens

from . import srp_server
from .fakes import SECTION, make_jwt

SECRET = "client-secret-" + "s" * 20  # app client secrets are at least 24 characters
S1 = "session-1-" + "x" * 20  # Cognito sessions are at least 20 characters
S2 = "session-2-" + "x" * 20


class Script:
    """A person at a terminal, answering from a list."""

    interactive = True

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []
        self.said: list[str] = []

    def ask(self, prompt: str, *, secret: bool = False) -> str:
        self.prompts.append(prompt)
        return self.answers.pop(0)

    def say(self, text: str) -> None:
        self.said.append(text)


def tokens_result(refresh: str | None = "r1", exp: int = 4_000_000_000) -> dict[str, Any]:
    claims = {"sub": "s", "cognito:username": "alice", "exp": exp}
    result: dict[str, Any] = {
        "IdToken": make_jwt({**claims, "token_use": "id"}),
        "AccessToken": make_jwt({**claims, "token_use": "access"}),
    }
    if refresh:
        result["RefreshToken"] = refresh
    return result


def stubbed(**extra: str) -> tuple[ApiSignIn, Stubber, Script]:
    profile = profile_from_section("t.ini", "dev", {**SECTION, **extra}, {})
    client = botocore.session.get_session().create_client(
        "cognito-idp", region_name="us-east-1", config=Config(signature_version=UNSIGNED)
    )
    clients = Clients(profile)
    clients._clients["cognito-idp/us-east-1"] = client
    script = Script()
    pool = ApiSignIn(profile, clients, script, environ={"COGNITO_CREDPROC_PASSWORD": "pw"})
    return pool, Stubber(client), script


def test_email_otp_prompt_names_where_the_code_went() -> None:
    pool, stub, script = stubbed()
    script.answers = ["123456"]
    secrets: list[str] = []
    pool.register_secret = secrets.append
    stub.add_response(
        "initiate_auth",
        {
            "ChallengeName": "EMAIL_OTP",
            "Session": S1,
            "ChallengeParameters": {"CODE_DELIVERY_DESTINATION": "a***@e***", "USERNAME": "alice"},
        },
    )
    stub.add_response(
        "respond_to_auth_challenge",
        {"AuthenticationResult": tokens_result()},
        {
            "ClientId": "client1",
            "ChallengeName": "EMAIL_OTP",
            "Session": S1,
            "ChallengeResponses": {"EMAIL_OTP_CODE": "123456", "USERNAME": "alice"},
        },
    )
    with stub:
        tokens = pool.sign_in()
    stub.assert_no_pending_responses()
    assert "a***@e***" in script.prompts[0]
    assert tokens.refresh_token == "r1"
    assert "123456" not in secrets  # MFA after a password: not a sign-in of its own


def test_sms_code_retried_after_a_mismatch() -> None:
    pool, stub, script = stubbed()
    script.answers = ["111111", "222222"]
    stub.add_response(
        "initiate_auth",
        {
            "ChallengeName": "SMS_MFA",
            "Session": S1,
            "ChallengeParameters": {"CODE_DELIVERY_DESTINATION": "+*******1234"},
        },
    )
    stub.add_client_error("respond_to_auth_challenge", "CodeMismatchException", "Invalid code")
    stub.add_response(
        "respond_to_auth_challenge",
        {"AuthenticationResult": tokens_result()},
        {
            "ClientId": "client1",
            "ChallengeName": "SMS_MFA",
            "Session": S1,
            "ChallengeResponses": {"SMS_MFA_CODE": "222222", "USERNAME": "alice"},
        },
    )
    with stub:
        pool.sign_in()
    assert "+*******1234" in script.prompts[0]
    assert any("not accepted" in line for line in script.said)


def test_select_mfa_type_then_totp() -> None:
    pool, stub, script = stubbed()
    script.answers = ["2", "654321"]
    stub.add_response(
        "initiate_auth",
        {
            "ChallengeName": "SELECT_MFA_TYPE",
            "Session": S1,
            "ChallengeParameters": {"MFAS_CAN_CHOOSE": '["SMS_MFA","SOFTWARE_TOKEN_MFA"]'},
        },
    )
    stub.add_response(
        "respond_to_auth_challenge",
        {"ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": S2, "ChallengeParameters": {}},
        {
            "ClientId": "client1",
            "ChallengeName": "SELECT_MFA_TYPE",
            "Session": S1,
            "ChallengeResponses": {"ANSWER": "SOFTWARE_TOKEN_MFA", "USERNAME": "alice"},
        },
    )
    stub.add_response(
        "respond_to_auth_challenge",
        {"AuthenticationResult": tokens_result()},
        {
            "ClientId": "client1",
            "ChallengeName": "SOFTWARE_TOKEN_MFA",
            "Session": S2,
            "ChallengeResponses": {"SOFTWARE_TOKEN_MFA_CODE": "654321", "USERNAME": "alice"},
        },
    )
    with stub:
        pool.sign_in()
    stub.assert_no_pending_responses()
    assert "1) SMS_MFA" in script.prompts[0] and "2) SOFTWARE_TOKEN_MFA" in script.prompts[0]


def test_secret_hash_uses_the_internal_username_after_srp_style_challenges() -> None:
    pool, stub, script = stubbed(app_client_secret=SECRET)
    script.answers = ["123456"]
    stub.add_response(
        "initiate_auth",
        {
            "ChallengeName": "SOFTWARE_TOKEN_MFA",
            "Session": S1,
            "ChallengeParameters": {"USERNAME": "internal-uuid"},
        },
    )
    from cognito_credproc.srp import secret_hash

    stub.add_response(
        "respond_to_auth_challenge",
        {"AuthenticationResult": tokens_result()},
        {
            "ClientId": "client1",
            "ChallengeName": "SOFTWARE_TOKEN_MFA",
            "Session": S1,
            "ChallengeResponses": {
                "SOFTWARE_TOKEN_MFA_CODE": "123456",
                "USERNAME": "internal-uuid",
                "SECRET_HASH": secret_hash("internal-uuid", "client1", SECRET),
            },
        },
    )
    with stub:
        pool.sign_in()
    stub.assert_no_pending_responses()


def test_rotating_client_renews_with_get_tokens_and_keeps_the_new_refresh_token() -> None:
    pool, stub, _ = stubbed(app_client_secret=SECRET)
    old = Tokens(
        **{
            k: v
            for k, v in {
                "id_token": tokens_result()["IdToken"],
                "access_token": tokens_result()["AccessToken"],
                "refresh_token": "r-old",
                "internal_username": "alice",
            }.items()
        }
    )
    stub.add_client_error(
        "initiate_auth",
        "NotAuthorizedException",
        "Refresh token rotation is enabled for this client",
    )
    stub.add_response(
        "get_tokens_from_refresh_token",
        {"AuthenticationResult": tokens_result(refresh="r-new")},
        {"ClientId": "client1", "RefreshToken": "r-old", "ClientSecret": SECRET},
    )
    with stub:
        new = pool.refresh(old)
    assert new is not None
    assert new.refresh_token == "r-new"
    assert new.rotating
    # the next refresh goes straight to GetTokensFromRefreshToken
    stub.add_response(
        "get_tokens_from_refresh_token",
        {"AuthenticationResult": tokens_result(refresh="r-newer")},
        {"ClientId": "client1", "RefreshToken": "r-new", "ClientSecret": SECRET},
    )
    with stub:
        newer = pool.refresh(new)
    assert newer is not None and newer.refresh_token == "r-newer"
    stub.assert_no_pending_responses()


class LockWatchingCache(FileCache):
    """A cache that notes which refresh token is on disk at the moment each lock is
    about to be released: what the next process finds once it gets the lock."""

    def __init__(self, directory: str, profile: Profile) -> None:
        super().__init__(directory)
        self.store = Store(profile, self)
        self.on_disk_at_release: list[str | None] = []

    @contextlib.contextmanager
    def lock(
        self,
        key: str,
        timeout: float,
        profile: str | None = None,
        *,
        watch: ParentWatch | None = None,
    ) -> Iterator[None]:
        with super().lock(key, timeout, profile, watch=watch):
            yield
            saved = self.store.tokens()  # still held here
            self.on_disk_at_release.append(saved.refresh_token if saved else None)


def test_rotated_refresh_token_is_on_disk_before_the_lock_is_released(tmp_path: Path) -> None:
    pool, stub, _ = stubbed()
    cache = LockWatchingCache(str(tmp_path), pool.profile)
    provider = Provider(pool.profile, cache, clients=pool.clients, interaction=Script(), environ={})
    expired = tokens_result(exp=1)
    provider.store.save_tokens(
        Tokens(
            id_token=expired["IdToken"],
            access_token=expired["AccessToken"],
            refresh_token="r-old",
            rotating=True,
        )
    )
    stub.add_response(
        "get_tokens_from_refresh_token", {"AuthenticationResult": tokens_result(refresh="r-new")}
    )
    with stub:
        provider.tokens()
    stub.assert_no_pending_responses()
    # r-old is spent the moment Cognito answers: a process that took the lock next and
    # found it would be signed out.
    assert cache.on_disk_at_release == ["r-new"]


def test_revoke_token_sends_the_refresh_token() -> None:
    pool, stub, _ = stubbed(app_client_secret=SECRET)
    tokens = Tokens(id_token="a.b.c", access_token="a.b.c", refresh_token="r1")
    stub.add_response(
        "revoke_token", {}, {"ClientId": "client1", "Token": "r1", "ClientSecret": SECRET}
    )
    with stub:
        pool.revoke(tokens)
    stub.assert_no_pending_responses()


def test_unknown_challenge_is_a_clear_error() -> None:
    pool, stub, _ = stubbed()
    stub.add_response(
        "initiate_auth", {"ChallengeName": "WEB_AUTHN", "Session": S1, "ChallengeParameters": {}}
    )
    with stub, pytest.raises(AuthFailed, match="WEB_AUTHN"):
        pool.sign_in()


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ('["SOFTWARE_TOKEN_MFA","SMS_MFA"]', ["SOFTWARE_TOKEN_MFA", "SMS_MFA"]),
        ("['SMS_MFA', 'SOFTWARE_TOKEN_MFA']", ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]),
        (["EMAIL_OTP"], ["EMAIL_OTP"]),
        ("", []),
        (None, []),
    ],
)
def test_mfa_names(raw: object, names: list[str]) -> None:
    assert mfa_names(raw) == names


class DeviceCognito:
    """A user pool that tracks devices: it registers ConfirmDevice's verifier and checks
    the DEVICE_PASSWORD_VERIFIER proof with the test-side SRP server."""

    def __init__(self) -> None:
        self.devices: dict[str, tuple[str, int, int]] = {}  # key -> (group, verifier, salt)
        self.pending: dict[str, srp_server.ServerSession] = {}
        self.calls: list[str] = []
        self.meta = type(
            "Meta",
            (),
            {
                "endpoint_url": "https://fake",
                "service_model": type("M", (), {"service_name": "cognito-idp"})(),
            },
        )()

    def initiate_auth(self, **p: Any) -> dict[str, Any]:
        self.calls.append(f"InitiateAuth:{p['AuthFlow']}")
        params = p["AuthParameters"]
        if p["AuthFlow"] == "REFRESH_TOKEN_AUTH":
            if params.get("DEVICE_KEY") not in self.devices:
                from .fakes import client_error

                raise client_error("NotAuthorizedException", "Invalid device key given.")
            return {"AuthenticationResult": tokens_result(refresh=None)}
        if params.get("DEVICE_KEY") in self.devices:
            return {"ChallengeName": "DEVICE_SRP_AUTH", "Session": "d1", "ChallengeParameters": {}}
        return {
            "AuthenticationResult": {
                **tokens_result(),
                "NewDeviceMetadata": {"DeviceKey": "us-east-1_dev1", "DeviceGroupKey": "-group1"},
            }
        }

    def confirm_device(self, **p: Any) -> dict[str, Any]:
        self.calls.append("ConfirmDevice")
        config = p["DeviceSecretVerifierConfig"]
        verifier = int.from_bytes(base64.b64decode(config["PasswordVerifier"]), "big")
        salt = int.from_bytes(base64.b64decode(config["Salt"]), "big")
        self.devices[p["DeviceKey"]] = ("-group1", verifier, salt)
        return {"UserConfirmationNecessary": False}

    def respond_to_auth_challenge(self, **p: Any) -> dict[str, Any]:
        name = p["ChallengeName"]
        answers = p["ChallengeResponses"]
        self.calls.append(f"Respond:{name}")
        if name == "DEVICE_SRP_AUTH":
            group, verifier, salt = self.devices[answers["DEVICE_KEY"]]
            session = srp_server.start(
                group, answers["DEVICE_KEY"], verifier, salt, answers["SRP_A"]
            )
            self.pending[session.challenge["SECRET_BLOCK"]] = session
            return {
                "ChallengeName": "DEVICE_PASSWORD_VERIFIER",
                "Session": "d2",
                "ChallengeParameters": {**session.challenge, "USERNAME": "alice"},
            }
        if name == "DEVICE_PASSWORD_VERIFIER":
            session = self.pending.pop(answers["PASSWORD_CLAIM_SECRET_BLOCK"])
            if not session.check(answers["PASSWORD_CLAIM_SIGNATURE"], answers["TIMESTAMP"]):
                from .fakes import client_error

                raise client_error("NotAuthorizedException", "Incorrect device proof")
            return {"AuthenticationResult": tokens_result()}
        raise AssertionError(name)


def test_device_is_confirmed_then_used_for_refresh_and_device_srp(tmp_path: Path) -> None:
    profile = profile_from_section("t.ini", "dev", SECTION, {})
    clients = Clients(profile)
    fake = DeviceCognito()
    clients._clients["cognito-idp/us-east-1"] = fake
    pool = ApiSignIn(profile, clients, Script(), environ={"COGNITO_CREDPROC_PASSWORD": "pw"})

    first = pool.sign_in()
    assert fake.calls == ["InitiateAuth:USER_PASSWORD_AUTH", "ConfirmDevice"]
    assert first.has_device and first.device_key == "us-east-1_dev1"

    refreshed = pool.refresh(first)  # DEVICE_KEY sent with the refresh
    assert refreshed is not None and refreshed.device_key == "us-east-1_dev1"

    fake.calls.clear()
    again = pool.sign_in(previous=first)  # the pool asks the remembered device to prove itself
    assert fake.calls == [
        "InitiateAuth:USER_PASSWORD_AUTH",
        "Respond:DEVICE_SRP_AUTH",
        "Respond:DEVICE_PASSWORD_VERIFIER",
    ]
    assert again.device_key == "us-east-1_dev1"
    json.dumps(again.to_json())  # cacheable as is


def test_device_proof_with_a_wrong_device_password_is_refused() -> None:
    profile = profile_from_section("t.ini", "dev", SECTION, {})
    clients = Clients(profile)
    fake = DeviceCognito()
    clients._clients["cognito-idp/us-east-1"] = fake
    pool = ApiSignIn(profile, clients, Script(), environ={"COGNITO_CREDPROC_PASSWORD": "pw"})
    first = pool.sign_in()
    import dataclasses

    tampered = dataclasses.replace(first, device_password="not-it")
    with pytest.raises(AuthFailed, match="Incorrect device proof"):
        pool.sign_in(previous=tampered)


def test_login_starts_again_when_the_sign_in_session_expired(tmp_path: Path) -> None:
    pool, stub, script = stubbed()
    script.answers = ["123456"]  # the SMS code, typed after the session ran out
    provider = Provider(
        pool.profile,
        FileCache(str(tmp_path)),
        clients=pool.clients,
        interaction=script,
        environ={"COGNITO_CREDPROC_PASSWORD": "pw"},
    )
    stub.add_response(
        "initiate_auth", {"ChallengeName": "SMS_MFA", "Session": S1, "ChallengeParameters": {}}
    )
    stub.add_client_error(
        "respond_to_auth_challenge",
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )
    stub.add_response("initiate_auth", {"AuthenticationResult": tokens_result()})
    with stub:
        tokens = provider.login()
    stub.assert_no_pending_responses()
    assert tokens.refresh_token == "r1"
    assert any("session expired" in line for line in script.said)


@pytest.mark.parametrize("cached", ["nothing", "tokens-without-a-device"])
def test_device_srp_auth_without_a_remembered_device_is_refused(cached: str) -> None:
    pool, stub, _ = stubbed()
    previous = None
    if cached != "nothing":
        result = tokens_result()
        previous = Tokens(id_token=result["IdToken"], access_token=result["AccessToken"])
    stub.add_response(
        "initiate_auth",
        {"ChallengeName": "DEVICE_SRP_AUTH", "Session": S1, "ChallengeParameters": {}},
    )
    # No answer is stubbed: a DEVICE_SRP_AUTH answer without a device would be a call
    # the Stubber refuses, which is not the error expected here.
    with stub, pytest.raises(AuthFailed, match="remembered device") as caught:
        pool.sign_in(previous)
    stub.assert_no_pending_responses()
    assert caught.value.hint == "run: cognito-credproc login --profile dev"
