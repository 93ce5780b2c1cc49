"""The account commands' small pieces, without a service: what is registered for
redaction, how Cognito's answers are read and shown."""

from __future__ import annotations

import pytest

from cognito_credproc.account import ask_code, ask_new_password, delivered_to
from cognito_credproc.account.mfa import mfa_settings, otpauth_uri
from cognito_credproc.account.password import policy_text
from cognito_credproc.account.whoami import role_of
from cognito_credproc.awserrors import CognitoError
from cognito_credproc.config import Profile
from cognito_credproc.errors import AuthFailed
from cognito_credproc.redact import REDACTED, redact

PROFILE = Profile(
    name="dev", source="config.ini", identity_pool_id="us-east-1:x", region="us-east-1"
)


class Typed:
    """A person at a terminal who types the given lines in turn."""

    interactive = True

    def __init__(self, *lines: str) -> None:
        self.lines = list(lines)
        self.said: list[str] = []
        self.secret_prompts: list[str] = []

    def ask(self, prompt: str, *, secret: bool = False) -> str:
        if secret:
            self.secret_prompts.append(prompt)
        return self.lines.pop(0)

    def say(self, text: str) -> None:
        self.said.append(text)


def test_a_code_is_typed_unseen_and_redacted_from_then_on() -> None:
    person = Typed("", " 739184 ")
    assert ask_code(person, "Code: ", PROFILE) == "739184"
    assert person.secret_prompts == ["Code: ", "Code: "]  # an empty line is asked again
    assert redact("ConfirmForgotPassword said 739184") == f"ConfirmForgotPassword said {REDACTED}"


def test_no_code_after_three_empty_lines() -> None:
    with pytest.raises(AuthFailed, match="no code was entered"):
        ask_code(Typed("", "", ""), "Code: ", PROFILE)


def test_a_new_password_must_match_and_is_redacted() -> None:
    person = Typed("Blue-Moon-42-x", "Blue-Moon-42-y", "Red-Sun-17-z", "Red-Sun-17-z")
    assert ask_new_password(person, PROFILE) == "Red-Sun-17-z"
    assert "did not match" in person.said[0]
    assert len(person.secret_prompts) == 4
    assert REDACTED in redact("password Red-Sun-17-z refused")
    with pytest.raises(AuthFailed, match="did not match"):
        ask_new_password(Typed("a1", "b1", "a2", "b2", "a3", "b3"), PROFILE)


def test_where_a_code_went_is_shown_as_cognito_masked_it() -> None:
    assert delivered_to({"Destination": "a***@e***", "DeliveryMedium": "EMAIL"}) == (
        "a***@e*** by email"
    )
    assert delivered_to({"Destination": "+*******1234", "DeliveryMedium": "SMS"}) == (
        "+*******1234 by SMS"
    )
    # nothing the service sends drives the terminal
    assert delivered_to({"Destination": "a\x1b[2J***@e***", "DeliveryMedium": "EMAIL"}) == (
        "a[2J***@e*** by email"
    )
    assert delivered_to(None) == "you"


def test_the_policy_is_read_from_the_message() -> None:
    exc = CognitoError(
        "InvalidPasswordException",
        "Password does not conform to policy: Password must have symbol characters",
    )
    assert policy_text(exc) == "Password must have symbol characters"
    assert policy_text(CognitoError("InvalidPasswordException", "too short")) == "too short"


def test_mfa_settings_from_get_user() -> None:
    user = {
        "UserMFASettingList": ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "WEB_AUTHN"],
        "PreferredMfaSetting": "EMAIL_OTP",
        "MFAOptions": [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}],
    }
    assert mfa_settings(user) == (["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"], "EMAIL_OTP", ["SMS"])
    assert mfa_settings({}) == ([], None, [])


def test_the_role_of_an_assumed_role_arn() -> None:
    assert role_of("arn:aws:sts::111122223333:assumed-role/admin/CognitoIdentityCredentials") == (
        "arn:aws:iam::111122223333:role/admin"
    )
    assert role_of("arn:aws:iam::111122223333:user/bob") == "arn:aws:iam::111122223333:user/bob"


def test_the_otpauth_uri_quotes_the_label() -> None:
    assert otpauth_uri("eu-west-1_Ab", "a b@example.com", "SECRET") == (
        "otpauth://totp/eu-west-1_Ab%3Aa%20b%40example.com?secret=SECRET&issuer=AmazonCognito"
    )
