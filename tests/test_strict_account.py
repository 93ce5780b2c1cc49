"""The strict Cognito's account layer (``strict_account``) against plain boto3 calls: where
it is stricter than moto, it behaves as the API reference says."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Cognito, provision
from .strict_account import ACCOUNT
from .strict_userauth import USERAUTH
from .test_strict_fakes import error_of, sign_in

pytestmark = pytest.mark.integration

NEW = "New-Horse-8-staple"


@pytest.fixture
def pool(moto_endpoint: str) -> Cognito:
    cognito = provision(moto_endpoint, email="alice@example.com")
    USERAUTH.reset()
    ACCOUNT.reset()
    return cognito


def forgot(cognito: Cognito) -> dict[str, Any]:
    answer: dict[str, Any] = cognito.idp.forgot_password(
        ClientId=cognito.client_id, Username="alice"
    )
    return answer


def test_forgot_password_sends_a_code_to_the_outbox_not_a_header(pool: Cognito) -> None:
    answer = forgot(pool)
    headers = answer["ResponseMetadata"]["HTTPHeaders"]
    assert "x-moto-forgot-password-confirmation-code" not in headers
    assert answer["CodeDeliveryDetails"] == {
        "Destination": "a***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    code = USERAUTH.last_code("alice")
    assert len(code) == 6 and code.isdigit()


def test_confirm_forgot_password_checks_the_code_and_the_policy(pool: Cognito) -> None:
    forgot(pool)
    code = USERAUTH.last_code("alice")
    confirm = pool.idp.confirm_forgot_password
    params = {"ClientId": pool.client_id, "Username": "alice", "Password": NEW}
    wrong = "000000" if code != "000000" else "111111"
    assert error_of(confirm, **params, ConfirmationCode=wrong)[0] == "CodeMismatchException"
    # moto took any code not shaped like its own
    assert error_of(confirm, **params, ConfirmationCode="moto")[0] == "CodeMismatchException"
    weak = {**params, "Password": "weakpassword"}
    found = error_of(confirm, **weak, ConfirmationCode=code)
    assert found == (
        "InvalidPasswordException",
        "Password does not conform to policy: Password must have uppercase characters",
    )
    confirm(**params, ConfirmationCode=code)  # the refused password left the code valid
    assert error_of(confirm, **params, ConfirmationCode=code)[0] == "ExpiredCodeException"
    sign_in(pool, "alice", NEW)


def test_codes_expire_and_wrong_ones_run_out(pool: Cognito) -> None:
    confirm = pool.idp.confirm_forgot_password
    params = {"ClientId": pool.client_id, "Username": "alice", "Password": NEW}
    forgot(pool)
    ACCOUNT.expire_codes()
    code = USERAUTH.last_code("alice")
    assert error_of(confirm, **params, ConfirmationCode=code)[0] == "ExpiredCodeException"
    forgot(pool)
    code = USERAUTH.last_code("alice")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(ACCOUNT.max_wrong_codes):
        assert error_of(confirm, **params, ConfirmationCode=wrong)[0] == "CodeMismatchException"
    assert error_of(confirm, **params, ConfirmationCode=code)[0] == "LimitExceededException"
    ACCOUNT.max_codes_per_hour = 2
    assert error_of(pool.idp.forgot_password, ClientId=pool.client_id, Username="alice") == (
        "LimitExceededException",
        "Attempt limit exceeded, please try after some time.",
    )


def test_a_reset_user_gets_password_reset_required_not_a_new_password_challenge(
    pool: Cognito,
) -> None:
    pool.idp.admin_reset_user_password(UserPoolId=pool.user_pool_id, Username="alice")
    assert USERAUTH.codes_for("alice")  # the administrator's reset sends a code too
    with pytest.raises(ClientError) as caught:
        sign_in(pool)
    assert caught.value.response["Error"]["Code"] == "PasswordResetRequiredException"
    forgot(pool)
    pool.idp.confirm_forgot_password(
        ClientId=pool.client_id,
        Username="alice",
        Password=NEW,
        ConfirmationCode=USERAUTH.last_code("alice"),
    )
    user = pool.idp.admin_get_user(UserPoolId=pool.user_pool_id, Username="alice")
    assert user["UserStatus"] == "CONFIRMED"
    sign_in(pool, "alice", NEW)


def test_admin_only_recovery_and_no_verified_address(pool: Cognito) -> None:
    pool.idp.admin_update_user_attributes(
        UserPoolId=pool.user_pool_id,
        Username="alice",
        UserAttributes=[{"Name": "email_verified", "Value": "false"}],
    )
    call = pool.idp.forgot_password
    assert error_of(call, ClientId=pool.client_id, Username="alice")[0] == (
        "InvalidParameterException"
    )
    pool.idp.update_user_pool(
        UserPoolId=pool.user_pool_id,
        AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "admin_only"}]},
    )
    assert error_of(call, ClientId=pool.client_id, Username="alice") == (
        "NotAuthorizedException",
        "Contact administrator to reset password.",
    )


def test_change_password_checks_the_old_one_and_revokes_nothing(pool: Cognito) -> None:
    tokens = sign_in(pool)
    change = pool.idp.change_password
    found = error_of(
        change,
        AccessToken=tokens["AccessToken"],
        PreviousPassword="Wrong-1-x",
        ProposedPassword=NEW,
    )
    assert found == ("NotAuthorizedException", "Incorrect username or password.")
    change(AccessToken=tokens["AccessToken"], PreviousPassword=pool.password, ProposedPassword=NEW)
    pool.idp.get_user(AccessToken=tokens["AccessToken"])  # the access token still works
    pool.idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )


def test_an_unconfirmed_user_confirms_with_the_code_sent(pool: Cognito) -> None:
    pool.idp.update_user_pool(UserPoolId=pool.user_pool_id, AutoVerifiedAttributes=["email"])
    signed_up = pool.idp.sign_up(
        ClientId=pool.client_id,
        Username="bob",
        Password=pool.password,
        UserAttributes=[{"Name": "email", "Value": "bob@example.org"}],
    )
    assert signed_up["UserConfirmed"] is False
    assert signed_up["CodeDeliveryDetails"]["Destination"] == "b***@e***"
    with pytest.raises(ClientError) as caught:
        sign_in(pool, "bob", pool.password)
    assert caught.value.response["Error"]["Code"] == "UserNotConfirmedException"
    first = USERAUTH.last_code("bob")
    pool.idp.resend_confirmation_code(ClientId=pool.client_id, Username="bob")
    second = USERAUTH.last_code("bob")
    confirm = pool.idp.confirm_sign_up
    assert first != second
    found = error_of(confirm, ClientId=pool.client_id, Username="bob", ConfirmationCode=first)
    assert found[0] == "CodeMismatchException"  # the new code replaced the first
    confirm(ClientId=pool.client_id, Username="bob", ConfirmationCode=second)
    sign_in(pool, "bob", pool.password)
    assert error_of(pool.idp.resend_confirmation_code, ClientId=pool.client_id, Username="bob") == (
        "InvalidParameterException",
        "User is already confirmed.",
    )


def test_mfa_preference_rules(pool: Cognito) -> None:
    access = sign_in(pool)["AccessToken"]
    prefer = pool.idp.set_user_mfa_preference
    both = {
        "SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True},
        "EmailMfaSettings": {"Enabled": True, "PreferredMfa": True},
    }
    assert error_of(prefer, AccessToken=access, **both)[0] == "InvalidParameterException"
    totp = {"SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}}
    assert error_of(prefer, AccessToken=access, **totp) == (
        "InvalidParameterException",
        "User has not verified software token mfa",
    )
    prefer(AccessToken=access, EmailMfaSettings={"Enabled": True, "PreferredMfa": True})
    user = pool.idp.get_user(AccessToken=access)
    assert user["UserMFASettingList"] == ["EMAIL_OTP"]
    assert user["PreferredMfaSetting"] == "EMAIL_OTP"
    pool.idp.set_user_pool_mfa_config(
        UserPoolId=pool.user_pool_id,
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    off = {"EmailMfaSettings": {"Enabled": False, "PreferredMfa": False}}
    assert error_of(prefer, AccessToken=access, **off)[0] == "InvalidParameterException"


def test_group_roles_and_the_email_are_in_the_id_token(pool: Cognito) -> None:
    from .strict_cognito import _claims

    for name, precedence in (("b", 9), ("a", 2)):
        pool.idp.create_group(
            UserPoolId=pool.user_pool_id,
            GroupName=name,
            RoleArn=f"arn:aws:iam::111122223333:role/{name}",
            Precedence=precedence,
        )
        pool.idp.admin_add_user_to_group(
            UserPoolId=pool.user_pool_id, Username="alice", GroupName=name
        )
    claims = _claims(sign_in(pool)["IdToken"])
    assert sorted(claims["cognito:roles"]) == [
        "arn:aws:iam::111122223333:role/a",
        "arn:aws:iam::111122223333:role/b",
    ]
    assert claims["cognito:preferred_role"] == "arn:aws:iam::111122223333:role/a"
    assert claims["email"] == "alice@example.com" and claims["email_verified"] is True
