"""The strict local Cognito's USER_AUTH, checked through boto3 as any client would see it.

The product's tests lean on this layer; these tests pin what it does (and refuses), so
that a product test passing against it means something."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cognito_credproc import srp

from .conftest import Cognito, aws_client
from .strict_cognito import BEHAVIOUR
from .strict_userauth import USERAUTH, mask_email, mask_phone
from .userauth_setup import EMAIL, PHONE, add_passkey, make_passwordless, provision_user_auth

pytestmark = pytest.mark.integration


@pytest.fixture
def pool(moto_endpoint: str) -> Iterator[Cognito]:
    yield provision_user_auth(moto_endpoint)
    USERAUTH.reset()


def start(cognito: Cognito, **params: str) -> dict[str, Any]:
    auth = {"USERNAME": cognito.username, **params}
    result: dict[str, Any] = cognito.idp.initiate_auth(
        ClientId=cognito.client_id, AuthFlow="USER_AUTH", AuthParameters=auth
    )
    return result


def respond(cognito: Cognito, name: str, session: str, **answers: str) -> dict[str, Any]:
    result: dict[str, Any] = cognito.idp.respond_to_auth_challenge(
        ClientId=cognito.client_id,
        ChallengeName=name,
        Session=session,
        ChallengeResponses={"USERNAME": cognito.username, **answers},
    )
    return result


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return str(error["Code"]), str(error.get("Message", ""))


def test_without_a_preference_the_choices_come_back(pool: Cognito) -> None:
    answer = start(pool)
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    assert answer["AvailableChallenges"] == ["EMAIL_OTP", "SMS_OTP", "PASSWORD", "PASSWORD_SRP"]
    assert answer["Session"]
    assert BEHAVIOUR.calls["InitiateAuth:USER_AUTH"] == 1
    assert USERAUTH.preferred == [None]


def test_client_without_allow_user_auth_is_refused(moto_endpoint: str) -> None:
    cognito = provision_user_auth(moto_endpoint, flows=["ALLOW_USER_SRP_AUTH"])
    with pytest.raises(ClientError) as excinfo:
        start(cognito)
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "USER_AUTH flow not enabled for this client",
    )


def test_lite_plan_has_no_user_auth(moto_endpoint: str) -> None:
    cognito = provision_user_auth(moto_endpoint, tier="LITE")
    with pytest.raises(ClientError) as excinfo:
        start(cognito, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert error_of(excinfo)[0] == "FeatureUnavailableInTierException"


def test_pool_factors_and_user_attributes_decide_what_is_offered(moto_endpoint: str) -> None:
    only_password = provision_user_auth(moto_endpoint, factors=["PASSWORD"])
    assert start(only_password)["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]
    no_phone = provision_user_auth(moto_endpoint, phone=None, factors=["PASSWORD", "SMS_OTP"])
    assert start(no_phone)["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]
    passkey = provision_user_auth(moto_endpoint, factors=["EMAIL_OTP", "WEB_AUTHN"])
    add_passkey(passkey)
    make_passwordless(passkey)
    assert start(passkey)["AvailableChallenges"] == ["EMAIL_OTP", "WEB_AUTHN"]


def test_email_code_signs_in_after_a_wrong_one(pool: Cognito) -> None:
    challenge = start(pool, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    assert challenge["ChallengeParameters"] == {
        "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
        "CODE_DELIVERY_DESTINATION": "a***@e***",
    }
    (delivery,) = USERAUTH.outbox
    assert (delivery.medium, delivery.destination) == ("EMAIL", EMAIL)
    assert delivery.code in BEHAVIOUR.issued  # the leak checks look for it
    with pytest.raises(ClientError) as excinfo:
        respond(pool, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE="00000000x")
    assert error_of(excinfo)[0] == "CodeMismatchException"
    done = respond(pool, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=delivery.code)
    tokens = done["AuthenticationResult"]
    assert tokens["RefreshToken"] in BEHAVIOUR.issued
    # moto's pool minted them: the refresh token works like any other
    renewed = pool.idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )
    assert renewed["AuthenticationResult"]["IdToken"]
    assert BEHAVIOUR.calls["RespondToAuthChallenge:EMAIL_OTP"] == 2
    # and the session was used up
    with pytest.raises(ClientError) as excinfo:
        respond(pool, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=delivery.code)
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid session for the user.")


def test_three_wrong_codes_end_the_session(pool: Cognito) -> None:
    challenge = start(pool, PREFERRED_CHALLENGE="SMS_OTP")
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "+*******0123"
    for _ in range(3):
        with pytest.raises(ClientError) as excinfo:
            respond(pool, "SMS_OTP", challenge["Session"], SMS_OTP_CODE="1")
        assert error_of(excinfo)[0] == "CodeMismatchException"
    with pytest.raises(ClientError) as excinfo:
        respond(pool, "SMS_OTP", challenge["Session"], SMS_OTP_CODE=USERAUTH.last_code("alice"))
    assert error_of(excinfo)[0] == "NotAuthorizedException"


def test_expired_and_unknown_sessions_are_refused(pool: Cognito) -> None:
    challenge = start(pool, PREFERRED_CHALLENGE="EMAIL_OTP")
    USERAUTH.expire_sessions()
    with pytest.raises(ClientError) as excinfo:
        respond(pool, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=USERAUTH.last_code("alice"))
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )
    with pytest.raises(ClientError) as excinfo:
        respond(pool, "SELECT_CHALLENGE", "made-up-session-" + "x" * 20, ANSWER="EMAIL_OTP")
    assert error_of(excinfo)[0] == "NotAuthorizedException"


def test_session_lifetime_follows_the_client_setting(pool: Cognito) -> None:
    now = [1_000_000.0]
    USERAUTH.clock = lambda: now[0]
    challenge = start(pool)
    now[0] += 3 * 60 - 1  # AuthSessionValidity defaults to 3 minutes
    picked = respond(pool, "SELECT_CHALLENGE", challenge["Session"], ANSWER="EMAIL_OTP")
    now[0] += 3 * 60 + 1
    with pytest.raises(ClientError) as excinfo:
        respond(pool, "EMAIL_OTP", picked["Session"], EMAIL_OTP_CODE=USERAUTH.last_code("alice"))
    assert "expired" in error_of(excinfo)[1]


def test_select_challenge_answers_and_old_sessions(pool: Cognito) -> None:
    challenge = start(pool)
    with pytest.raises(ClientError) as excinfo:
        respond(pool, "SELECT_CHALLENGE", challenge["Session"], ANSWER="WEB_AUTHN")
    assert error_of(excinfo)[0] == "InvalidParameterException"
    picked = respond(pool, "SELECT_CHALLENGE", challenge["Session"], ANSWER="EMAIL_OTP")
    assert picked["ChallengeName"] == "EMAIL_OTP"
    assert picked["Session"] != challenge["Session"]
    # the first session was used up by the answer
    with pytest.raises(ClientError):
        respond(pool, "SELECT_CHALLENGE", challenge["Session"], ANSWER="EMAIL_OTP")
    assert USERAUTH.answers == ["WEB_AUTHN", "EMAIL_OTP"]  # the refused one never got that far


def test_preference_the_user_cannot_use_falls_back_to_the_choices(moto_endpoint: str) -> None:
    cognito = provision_user_auth(moto_endpoint, email=None)
    answer = start(cognito, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    assert "EMAIL_OTP" not in answer["AvailableChallenges"]
    assert not USERAUTH.outbox


def test_password_first_factor(pool: Cognito) -> None:
    with pytest.raises(ClientError) as excinfo:
        start(pool, PREFERRED_CHALLENGE="PASSWORD", PASSWORD="not-it")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")
    done = start(pool, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=pool.password)
    assert done["AuthenticationResult"]["AccessToken"] in BEHAVIOUR.issued


def _srp_answer(cognito: Cognito, challenge: dict[str, Any], a: int, big_a: int, pw: str) -> Any:
    params = challenge["ChallengeParameters"]
    proof = srp.answer_challenge(
        a=a,
        big_a=big_a,
        realm=srp.pool_realm(cognito.user_pool_id),
        user_id=params["USER_ID_FOR_SRP"],
        password=pw,
        salt_hex=params["SALT"],
        big_b_hex=params["SRP_B"],
        secret_block_b64=params["SECRET_BLOCK"],
    )
    return {
        "PASSWORD_CLAIM_SECRET_BLOCK": proof.secret_block,
        "PASSWORD_CLAIM_SIGNATURE": proof.signature,
        "TIMESTAMP": proof.timestamp,
    }


def test_password_srp_is_verified(pool: Cognito) -> None:
    for password, ok in (("not-it", False), (pool.password, True)):
        a, big_a = srp.generate_private()
        challenge = start(pool)
        verifier = respond(
            pool,
            "SELECT_CHALLENGE",
            challenge["Session"],
            ANSWER="PASSWORD_SRP",
            SRP_A=format(big_a, "x"),
        )
        assert verifier["ChallengeName"] == "PASSWORD_VERIFIER"
        answers = _srp_answer(pool, verifier, a, big_a, password)
        if ok:
            done = respond(pool, "PASSWORD_VERIFIER", verifier["Session"], **answers)
            assert done["AuthenticationResult"]["IdToken"]
        else:
            with pytest.raises(ClientError) as excinfo:
                respond(pool, "PASSWORD_VERIFIER", verifier["Session"], **answers)
            assert error_of(excinfo)[0] == "NotAuthorizedException"


def test_password_verifier_needs_its_own_session(pool: Cognito) -> None:
    a, big_a = srp.generate_private()
    verifier = start(pool, PREFERRED_CHALLENGE="PASSWORD_SRP", SRP_A=format(big_a, "x"))
    answers = _srp_answer(pool, verifier, a, big_a, pool.password)
    other = start(pool)["Session"]
    with pytest.raises(ClientError) as excinfo:
        respond(pool, "PASSWORD_VERIFIER", other, **answers)
    assert error_of(excinfo)[0] == "NotAuthorizedException"


def test_client_secret_is_checked(moto_endpoint: str) -> None:
    cognito = provision_user_auth(moto_endpoint, secret=True)
    with pytest.raises(ClientError) as excinfo:
        start(cognito)
    assert "is configured for secret but secret was not received" in error_of(excinfo)[1]
    assert cognito.client_secret is not None
    good = srp.secret_hash(cognito.username, cognito.client_id, cognito.client_secret)
    challenge = start(cognito, SECRET_HASH=good, PREFERRED_CHALLENGE="EMAIL_OTP")
    code = USERAUTH.last_code("alice")
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=code, SECRET_HASH="x")
    assert "Unable to verify secret hash" in error_of(excinfo)[1]
    done = respond(
        cognito, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=code, SECRET_HASH=good
    )
    assert done["AuthenticationResult"]["IdToken"]


def test_web_authn_is_offered_but_cannot_be_answered_here(moto_endpoint: str) -> None:
    cognito = provision_user_auth(moto_endpoint, factors=["WEB_AUTHN"])
    add_passkey(cognito)
    assert start(cognito)["AvailableChallenges"] == ["WEB_AUTHN"]
    challenge = start(cognito, PREFERRED_CHALLENGE="WEB_AUTHN")
    assert challenge["ChallengeName"] == "WEB_AUTHN"
    assert "CREDENTIAL_REQUEST_OPTIONS" in challenge["ChallengeParameters"]


def test_mfa_follows_a_password_but_not_a_code(pool: Cognito) -> None:
    pool.idp.admin_set_user_mfa_preference(
        UserPoolId=pool.user_pool_id,
        Username=pool.username,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    after_password = start(pool, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=pool.password)
    assert after_password["ChallengeName"] == "SMS_MFA"
    challenge = start(pool, PREFERRED_CHALLENGE="EMAIL_OTP")
    done = respond(
        pool, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=USERAUTH.last_code("alice")
    )
    assert "AuthenticationResult" in done


def test_tokens_work_with_the_identity_pool(pool: Cognito) -> None:
    challenge = start(pool, PREFERRED_CHALLENGE="EMAIL_OTP")
    tokens = respond(
        pool, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=USERAUTH.last_code("alice")
    )["AuthenticationResult"]
    identity = aws_client("cognito-identity", pool.endpoint)
    logins = {f"cognito-idp.us-east-1.amazonaws.com/{pool.user_pool_id}": tokens["IdToken"]}
    identity_id = identity.get_id(IdentityPoolId=pool.identity_pool_id, Logins=logins)
    creds = identity.get_credentials_for_identity(
        IdentityId=identity_id["IdentityId"], Logins=logins
    )
    assert creds["Credentials"]["AccessKeyId"]


@pytest.mark.parametrize(
    ("given", "shown"),
    [("alice@example.com", "a***@e***"), ("b@x.org", "b***@x***")],
)
def test_mask_email(given: str, shown: str) -> None:
    assert mask_email(given) == shown


def test_mask_phone() -> None:
    assert mask_phone(PHONE) == "+*******0123"


def test_an_expired_code_ends_the_session(pool: Cognito) -> None:
    challenge = start(pool, PREFERRED_CHALLENGE="EMAIL_OTP")
    USERAUTH.codes_expired = True
    code = USERAUTH.last_code("alice")
    with pytest.raises(ClientError) as excinfo:
        respond(pool, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=code)
    assert error_of(excinfo)[0] == "ExpiredCodeException"
    USERAUTH.codes_expired = False
    with pytest.raises(ClientError) as excinfo:
        respond(pool, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=code)
    assert error_of(excinfo)[0] == "NotAuthorizedException"


def test_device_tracking_after_every_first_factor(pool: Cognito) -> None:
    BEHAVIOUR.device_tracking = True
    challenge = start(pool, PREFERRED_CHALLENGE="EMAIL_OTP")
    code = USERAUTH.last_code("alice")
    by_code = respond(pool, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=code)
    by_password = start(pool, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=pool.password)
    devices = [r["AuthenticationResult"]["NewDeviceMetadata"] for r in (by_code, by_password)]
    assert devices[0]["DeviceKey"] != devices[1]["DeviceKey"]  # neither sign-in named one
    # once confirmed, the device named by DEVICE_KEY proves itself after either factor
    key, group = devices[1]["DeviceKey"], devices[1]["DeviceGroupKey"]
    verifier = srp.device_verifier(group, key)
    pool.idp.confirm_device(
        AccessToken=by_password["AuthenticationResult"]["AccessToken"],
        DeviceKey=key,
        DeviceSecretVerifierConfig={
            "PasswordVerifier": verifier.verifier_b64,
            "Salt": verifier.salt_b64,
        },
    )
    again = start(pool, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=pool.password, DEVICE_KEY=key)
    assert again["ChallengeName"] == "DEVICE_SRP_AUTH"
    challenge = start(pool, PREFERRED_CHALLENGE="SMS_OTP", DEVICE_KEY=key)
    code = USERAUTH.last_code("alice")
    after_code = respond(pool, "SMS_OTP", challenge["Session"], SMS_OTP_CODE=code)
    assert after_code["ChallengeName"] == "DEVICE_SRP_AUTH"
    assert "AuthenticationResult" not in after_code
