"""USER_AUTH on the client side, in process: which first factor is chosen from what
Cognito offers, the requests (checked against the real service model by botocore's
Stubber), device tracking and the messages of each refusal."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.stub import ANY, Stubber

from cognito_credproc.aws import Clients
from cognito_credproc.config import profile_from_section
from cognito_credproc.errors import AuthFailed, SignInRequired
from cognito_credproc.prompt import NoTerminal
from cognito_credproc.signin.api import ApiSignIn
from cognito_credproc.signin.userauth import choose
from cognito_credproc.tokens import Tokens

from .fakes import SECTION
from .test_challenges import S1, S2, SECRET, Script, tokens_result

PASSWORD_ENV = {"COGNITO_CREDPROC_PASSWORD": "pw"}
ALL = ["EMAIL_OTP", "SMS_OTP", "WEB_AUTHN", "PASSWORD", "PASSWORD_SRP"]


class Person(Script):
    """A Script that also notes which prompts hide what is typed."""

    def __init__(self, *answers: str) -> None:
        super().__init__(*answers)
        self.hidden: list[bool] = []

    def ask(self, prompt: str, *, secret: bool = False) -> str:
        self.hidden.append(secret)
        return super().ask(prompt, secret=secret)


def sign_in_for(
    *,
    environ: dict[str, str] | None = None,
    interactive: bool = True,
    answers: tuple[str, ...] = (),
    preferred_challenge: str | None = None,
    **extra: str,
) -> tuple[ApiSignIn, Stubber, Person]:
    section = {**SECTION, "auth_flow": "USER_AUTH", **extra}
    if preferred_challenge:
        section["preferred_challenge"] = preferred_challenge
    profile = profile_from_section("t.ini", "dev", section, {})
    client = botocore.session.get_session().create_client(
        "cognito-idp", region_name="us-east-1", config=Config(signature_version=UNSIGNED)
    )
    clients = Clients(profile)
    clients._clients["cognito-idp/us-east-1"] = client
    script = Person(*answers)
    script.interactive = interactive
    api = ApiSignIn(profile, clients, script, environ=environ or {})
    return api, Stubber(client), script


@pytest.mark.parametrize(
    ("available", "environ", "preferred", "expected"),
    [
        # a password source answers with SRP, whatever order Cognito lists them in
        (ALL, PASSWORD_ENV, None, "PASSWORD_SRP"),
        (["PASSWORD", "PASSWORD_SRP"], PASSWORD_ENV, None, "PASSWORD_SRP"),
        # ... or with the password itself when SRP is not offered
        (["EMAIL_OTP", "PASSWORD"], PASSWORD_ENV, None, "PASSWORD"),
        # a preference the user has wins over the password source
        (ALL, PASSWORD_ENV, "SMS_OTP", "SMS_OTP"),
        # a single answerable choice needs no question (the passkey cannot be answered)
        (["WEB_AUTHN", "EMAIL_OTP"], {}, None, "EMAIL_OTP"),
        # a preference that is not offered: the password source still answers
        (["PASSWORD", "PASSWORD_SRP"], PASSWORD_ENV, "EMAIL_OTP", "PASSWORD_SRP"),
    ],
)
def test_choice_without_asking(
    available: list[str], environ: dict[str, str], preferred: str | None, expected: str
) -> None:
    api, _stub, script = sign_in_for(environ=environ, preferred_challenge=preferred)
    assert choose(api, available) == expected
    assert script.prompts == []


def test_a_person_without_a_password_source_picks_by_name_or_number() -> None:
    api, _stub, script = sign_in_for(answers=("sms_otp",))
    assert choose(api, ALL) == "SMS_OTP"
    # the passkey is not offered, and the two password flows are one entry
    assert script.prompts == ["Sign in with [1) EMAIL_OTP, 2) SMS_OTP, 3) PASSWORD_SRP]: "]
    api, _stub, script = sign_in_for(answers=("9", "3"))
    assert choose(api, ALL) == "PASSWORD_SRP"
    assert script.said == ["Answer with a number from 1 to 3."]


def test_a_passkey_alone_sends_people_to_managed_login() -> None:
    api, _stub, _script = sign_in_for(environ=PASSWORD_ENV)
    with pytest.raises(AuthFailed) as excinfo:
        choose(api, ["WEB_AUTHN"])
    text = str(excinfo.value)
    assert "only a passkey (WEB_AUTHN)" in text
    assert "auth_flow = BROWSER" in text
    assert "managed login, which supports passkeys" in text
    assert len(text.splitlines()) == 2


def test_no_answerable_choice_and_no_terminal() -> None:
    api, _stub, _script = sign_in_for(interactive=False)
    with pytest.raises(SignInRequired) as excinfo:
        choose(api, ["EMAIL_OTP", "SMS_OTP"])
    assert "EMAIL_OTP, SMS_OTP" in str(excinfo.value)
    assert "run: cognito-credproc login --profile dev" in str(excinfo.value)
    api, _stub, _script = sign_in_for()
    with pytest.raises(AuthFailed, match="no first factor"):
        choose(api, [])


def initiate(
    params: dict[str, Any], response: dict[str, Any]
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Stubber.add_response's arguments for one InitiateAuth USER_AUTH."""
    expected = {"AuthFlow": "USER_AUTH", "ClientId": "client1", "AuthParameters": params}
    return "initiate_auth", response, expected


def select_challenge(available: list[str]) -> dict[str, Any]:
    return {
        "ChallengeName": "SELECT_CHALLENGE",
        "Session": S1,
        "ChallengeParameters": {},
        "AvailableChallenges": available,
    }


def code_challenge(name: str, where: str) -> dict[str, Any]:
    medium = "EMAIL" if name == "EMAIL_OTP" else "SMS"
    return {
        "ChallengeName": name,
        "Session": S2,
        "ChallengeParameters": {
            "CODE_DELIVERY_DELIVERY_MEDIUM": medium,
            "CODE_DELIVERY_DESTINATION": where,
        },
    }


def test_preferred_email_code_with_a_client_secret() -> None:
    from cognito_credproc import srp

    api, stub, script = sign_in_for(
        answers=("12345678",), preferred_challenge="EMAIL_OTP", app_client_secret=SECRET
    )
    hashed = srp.secret_hash("alice", "client1", SECRET)
    stub.add_response(
        "initiate_auth",
        code_challenge("EMAIL_OTP", "a***@e***"),
        {
            "AuthFlow": "USER_AUTH",
            "ClientId": "client1",
            "AuthParameters": {
                "USERNAME": "alice",
                "PREFERRED_CHALLENGE": "EMAIL_OTP",
                "SECRET_HASH": hashed,
            },
        },
    )
    stub.add_response(
        "respond_to_auth_challenge",
        {"AuthenticationResult": tokens_result()},
        {
            "ClientId": "client1",
            "ChallengeName": "EMAIL_OTP",
            "Session": S2,
            "ChallengeResponses": {
                "USERNAME": "alice",
                "EMAIL_OTP_CODE": "12345678",
                "SECRET_HASH": hashed,
            },
        },
    )
    with stub:
        tokens = api.sign_in()
    stub.assert_no_pending_responses()
    assert script.prompts == ["Code sent by email to a***@e***: "]
    assert tokens.refresh_token == "r1"


def test_no_preference_on_a_terminal_then_sms_code_with_a_wrong_one_first() -> None:
    api, stub, script = sign_in_for(answers=("2", "1111", "2222"))
    stub.add_response(
        "initiate_auth",
        select_challenge(["EMAIL_OTP", "SMS_OTP"]),
        {"AuthFlow": "USER_AUTH", "ClientId": "client1", "AuthParameters": {"USERNAME": "alice"}},
    )
    stub.add_response(
        "respond_to_auth_challenge",
        code_challenge("SMS_OTP", "+*******0123"),
        {
            "ClientId": "client1",
            "ChallengeName": "SELECT_CHALLENGE",
            "Session": S1,
            "ChallengeResponses": {"USERNAME": "alice", "ANSWER": "SMS_OTP"},
        },
    )
    wrong = {
        "ClientId": "client1",
        "ChallengeName": "SMS_OTP",
        "Session": S2,
        "ChallengeResponses": {"USERNAME": "alice", "SMS_OTP_CODE": "1111"},
    }
    stub.add_client_error(
        "respond_to_auth_challenge", "CodeMismatchException", "Invalid code", expected_params=wrong
    )
    right = {**wrong, "ChallengeResponses": {"USERNAME": "alice", "SMS_OTP_CODE": "2222"}}
    stub.add_response("respond_to_auth_challenge", {"AuthenticationResult": tokens_result()}, right)
    with stub:
        api.sign_in()
    stub.assert_no_pending_responses()
    assert script.prompts[1:] == ["Code sent by SMS to +*******0123: "] * 2
    assert "That code was not accepted; try again." in script.said


def test_password_source_answers_select_challenge_with_srp() -> None:
    api, stub, script = sign_in_for(environ=PASSWORD_ENV)
    stub.add_response(
        "initiate_auth",
        select_challenge(["EMAIL_OTP", "PASSWORD", "PASSWORD_SRP"]),
        {"AuthFlow": "USER_AUTH", "ClientId": "client1", "AuthParameters": {"USERNAME": "alice"}},
    )
    stub.add_response(
        "respond_to_auth_challenge",
        {"AuthenticationResult": tokens_result()},  # what PASSWORD_VERIFIER would lead to
        {
            "ClientId": "client1",
            "ChallengeName": "SELECT_CHALLENGE",
            "Session": S1,
            "ChallengeResponses": {"USERNAME": "alice", "ANSWER": "PASSWORD_SRP", "SRP_A": ANY},
        },
    )
    with stub:
        api.sign_in()
    stub.assert_no_pending_responses()
    assert script.prompts == []


def test_preferred_password_is_sent_with_initiate_auth() -> None:
    api, stub, _script = sign_in_for(environ=PASSWORD_ENV, preferred_challenge="PASSWORD")
    stub.add_response(
        *initiate(
            {"USERNAME": "alice", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": "pw"},
            {"AuthenticationResult": tokens_result()},
        )
    )
    with stub:
        api.sign_in()
    stub.assert_no_pending_responses()


@pytest.mark.parametrize("preferred", ["EMAIL_OTP", "SMS_OTP", None])
def test_without_a_terminal_nothing_is_sent(preferred: str | None) -> None:
    api, stub, _script = sign_in_for(interactive=False, preferred_challenge=preferred)
    api.interaction = NoTerminal("dev")
    with stub, pytest.raises(SignInRequired) as excinfo:
        api.sign_in()  # the stub has no answers: any call would fail differently
    assert "run: cognito-credproc login --profile dev" in str(excinfo.value)
    assert "no terminal" in str(excinfo.value)


def test_three_wrong_codes_say_so_with_the_fix() -> None:
    api, stub, _script = sign_in_for(answers=("1", "2", "3"), preferred_challenge="EMAIL_OTP")
    stub.add_response(
        *initiate(
            {"USERNAME": "alice", "PREFERRED_CHALLENGE": "EMAIL_OTP"},
            code_challenge("EMAIL_OTP", "a***@e***"),
        )
    )
    for _ in range(3):
        stub.add_client_error("respond_to_auth_challenge", "CodeMismatchException", "Invalid code")
    with stub, pytest.raises(AuthFailed) as excinfo:
        api.sign_in()
    text = str(excinfo.value)
    assert "after three wrong codes" in text
    assert "run: cognito-credproc login --profile dev" in text
    assert len(text.splitlines()) == 2


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("NotAuthorizedException", "Invalid session for the user, session is expired."),
        ("ExpiredCodeException", "Invalid code provided, please request a code again."),
    ],
)
def test_expired_code_session_restarts_at_a_terminal_and_is_explained_otherwise(
    code: str, message: str
) -> None:
    api, stub, script = sign_in_for(answers=("1", "2"), preferred_challenge="EMAIL_OTP")
    first = initiate(
        {"USERNAME": "alice", "PREFERRED_CHALLENGE": "EMAIL_OTP"},
        code_challenge("EMAIL_OTP", "a***@e***"),
    )
    stub.add_response(*first)
    stub.add_client_error("respond_to_auth_challenge", code, message)
    stub.add_response(*first)
    stub.add_response("respond_to_auth_challenge", {"AuthenticationResult": tokens_result()})
    with stub:
        api.sign_in(attempts=3)  # login
    stub.assert_no_pending_responses()
    assert "The sign-in session expired; starting again." in script.said

    api, stub, script = sign_in_for(answers=("1", "2"), preferred_challenge="EMAIL_OTP")
    stub.add_response(*first)
    stub.add_client_error("respond_to_auth_challenge", code, message)
    stub.add_response(*first)
    stub.add_response("respond_to_auth_challenge", {"AuthenticationResult": tokens_result()})
    with stub:
        api.sign_in()  # a plain run at a terminal: one attempt at the password, but
    assert "The sign-in session expired; starting again." in script.said  # a new session

    api, stub, _script = sign_in_for(answers=("1", "2", "3"), preferred_challenge="EMAIL_OTP")
    for _ in range(3):
        stub.add_response(*first)
        stub.add_client_error("respond_to_auth_challenge", code, message)
    with stub, pytest.raises(AuthFailed) as excinfo:
        api.sign_in()  # starting again twice at most; then it says what to do
    text = str(excinfo.value)
    assert "expired" in text
    assert "run: cognito-credproc login --profile dev" in text
    assert len(text.splitlines()) == 2


def test_a_remembered_device_is_offered_and_a_new_one_confirmed() -> None:
    api, stub, _script = sign_in_for(answers=("12345678",), preferred_challenge="EMAIL_OTP")
    previous = Tokens(
        id_token="x",
        access_token="y",
        refresh_token=None,
        device_key="us-east-1_dev0",
        device_group_key="-g0",
        device_password="dp",
    )
    stub.add_response(
        *initiate(
            {
                "USERNAME": "alice",
                "PREFERRED_CHALLENGE": "EMAIL_OTP",
                "DEVICE_KEY": "us-east-1_dev0",
            },
            code_challenge("EMAIL_OTP", "a***@e***"),
        )
    )
    result = {
        **tokens_result(),
        "NewDeviceMetadata": {"DeviceKey": "us-east-1_dev1", "DeviceGroupKey": "-g1"},
    }
    stub.add_response(
        "respond_to_auth_challenge",
        {"AuthenticationResult": result},
        {
            "ClientId": "client1",
            "ChallengeName": "EMAIL_OTP",
            "Session": S2,
            "ChallengeResponses": {
                "USERNAME": "alice",
                "EMAIL_OTP_CODE": "12345678",
                "DEVICE_KEY": "us-east-1_dev0",
            },
        },
    )
    stub.add_response(
        "confirm_device",
        {"UserConfirmationNecessary": False},
        {
            "AccessToken": ANY,
            "DeviceKey": "us-east-1_dev1",
            "DeviceSecretVerifierConfig": ANY,
            "DeviceName": ANY,
        },
    )
    with stub:
        tokens = api.sign_in(previous=previous)
    stub.assert_no_pending_responses()
    assert tokens.device_key == "us-east-1_dev1"
    assert tokens.device_password


def test_web_authn_challenge_is_not_answered() -> None:
    api, stub, _script = sign_in_for(environ=PASSWORD_ENV)
    stub.add_response(
        *initiate(
            {"USERNAME": "alice"},
            {"ChallengeName": "WEB_AUTHN", "Session": S1, "ChallengeParameters": {}},
        )
    )
    with stub, pytest.raises(AuthFailed, match="auth_flow = BROWSER"):
        api.sign_in()


def test_a_code_that_signs_in_is_hidden_and_redacted_an_mfa_code_is_not() -> None:
    api, stub, person = sign_in_for(answers=("31415926",), preferred_challenge="EMAIL_OTP")
    secrets: list[str] = []
    api.register_secret = secrets.append
    stub.add_response(
        *initiate(
            {"USERNAME": "alice", "PREFERRED_CHALLENGE": "EMAIL_OTP"},
            code_challenge("EMAIL_OTP", "a***@e***"),
        )
    )
    stub.add_response("respond_to_auth_challenge", {"AuthenticationResult": tokens_result()})
    with stub:
        api.sign_in()
    assert person.hidden == [True]
    assert "31415926" in secrets

    # EMAIL_OTP after the password is MFA: the same prompt as for the other flows
    api, stub, person = sign_in_for(
        answers=("27182818",), environ=PASSWORD_ENV, preferred_challenge="PASSWORD"
    )
    stub.add_response(
        *initiate(
            {"USERNAME": "alice", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": "pw"},
            code_challenge("EMAIL_OTP", "a***@e***"),
        )
    )
    stub.add_response("respond_to_auth_challenge", {"AuthenticationResult": tokens_result()})
    with stub:
        api.sign_in()
    assert person.prompts == ["Code sent by email to a***@e***: "]
    assert person.hidden == [False]


@pytest.mark.parametrize(
    ("preferred", "sent"),
    [
        # a preference the user lacks, and Cognito goes straight to what they have
        ("SMS_OTP", {"USERNAME": "alice", "PREFERRED_CHALLENGE": "SMS_OTP"}),
        # no preference and a single factor, should Cognito skip SELECT_CHALLENGE
        (None, {"USERNAME": "alice"}),
    ],
)
def test_an_email_code_no_password_came_before_is_a_first_factor(
    preferred: str | None, sent: dict[str, str]
) -> None:
    api, stub, person = sign_in_for(answers=("16180339",), preferred_challenge=preferred)
    secrets: list[str] = []
    api.register_secret = secrets.append
    stub.add_response(*initiate(sent, code_challenge("EMAIL_OTP", "a***@e***")))
    stub.add_response("respond_to_auth_challenge", {"AuthenticationResult": tokens_result()})
    with stub:
        api.sign_in()
    assert person.prompts == ["Code sent by email to a***@e***: "]
    assert person.hidden == [True]  # it signs in by itself: typed unseen, kept out of logs
    assert "16180339" in secrets


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"auth_flow": "USER_AUTH", "preferred_challenge": "WEB_AUTHN"}, "is not one of"),
        ({"preferred_challenge": "EMAIL_OTP"}, "only used with auth_flow = USER_AUTH"),
    ],
)
def test_preferred_challenge_settings(extra: dict[str, str], needle: str) -> None:
    from cognito_credproc.errors import ConfigError

    with pytest.raises(ConfigError) as excinfo:
        profile_from_section("t.ini", "dev", {**SECTION, "auth_flow": "USER_SRP_AUTH", **extra}, {})
    assert "preferred_challenge" in str(excinfo.value)
    assert needle in str(excinfo.value)
    assert excinfo.value.exit_code == 2
    profile = profile_from_section(
        "t.ini", "dev", {**SECTION, "auth_flow": "user_auth", "preferred_challenge": "sms_otp"}, {}
    )
    assert (profile.auth_flow, profile.preferred_challenge) == ("USER_AUTH", "SMS_OTP")


def test_what_the_service_sends_is_filtered_before_the_terminal() -> None:
    api, stub, person = sign_in_for(answers=("1",))
    stub.add_response(
        *initiate(
            {"USERNAME": "alice"},
            select_challenge(["\x1b]0;owned\x07", "EMAIL_OTP", "SMS_OTP"]),
        )
    )
    stub.add_response(
        "respond_to_auth_challenge", code_challenge("EMAIL_OTP", "a***@e***\x1b[2J\x1b[H")
    )
    person.answers.append("12345678")
    stub.add_response("respond_to_auth_challenge", {"AuthenticationResult": tokens_result()})
    with stub:
        api.sign_in()
    assert person.prompts == [
        "Sign in with [1) EMAIL_OTP, 2) SMS_OTP]: ",
        "Code sent by email to a***@e***[2J[H: ",
    ]
    assert not any("\x1b" in p for p in person.prompts)
    # and a list of nothing answerable is named in the message without the junk
    api, stub, _person = sign_in_for(environ=PASSWORD_ENV)
    stub.add_response(*initiate({"USERNAME": "alice"}, select_challenge(["\x1b[2JEVIL"])))
    with stub, pytest.raises(AuthFailed) as excinfo:
        api.sign_in()
    assert "\x1b" not in str(excinfo.value)
    assert "(none)" in str(excinfo.value)
