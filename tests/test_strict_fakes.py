"""The strict local Cognito refuses what the real service refuses. The product's tests
stand on these fakes, so each refusal is shown here once, through boto3 over HTTP."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import REGION, Cognito, aws_client, grant_role, known_secrets, provision
from .strict_cognito import BEHAVIOUR, _secret_hash, allowed_flows

pytestmark = pytest.mark.integration

ROLE = "arn:aws:iam::123456789012:role/Basic"


def sign_in(cognito: Cognito, username: str | None = None, password: str | None = None) -> Any:
    """USER_PASSWORD_AUTH, with the SECRET_HASH a client with a secret needs."""
    name = username or cognito.username
    parameters = {"USERNAME": name, "PASSWORD": password or cognito.password}
    if cognito.client_secret:
        parameters["SECRET_HASH"] = secret_hash(cognito, name)
    return cognito.idp.initiate_auth(
        ClientId=cognito.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=parameters
    )["AuthenticationResult"]


def logins(cognito: Cognito, token: str) -> dict[str, str]:
    return {f"cognito-idp.{REGION}.amazonaws.com/{cognito.user_pool_id}": token}


def identity_of(cognito: Cognito, id_token: str) -> str:
    found = cognito.identity.get_id(
        IdentityPoolId=cognito.identity_pool_id, Logins=logins(cognito, id_token)
    )
    return str(found["IdentityId"])


def error_of(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def tampered(token: str, **claims: Any) -> str:
    """The same JWT with some claims changed (its signature no longer matches)."""
    head, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload.update(claims)
    new_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return f"{head}.{new_body}.{signature}"


# -- identity pool ------------------------------------------------------------------------

IDENTITY_OPERATIONS = ["get_credentials_for_identity", "get_open_id_token"]


@pytest.mark.parametrize("operation", IDENTITY_OPERATIONS)
def test_an_authenticated_identity_needs_its_own_login(cognito: Cognito, operation: str) -> None:
    tokens = sign_in(cognito)
    identity_id = identity_of(cognito, tokens["IdToken"])
    call = getattr(cognito.identity, operation)

    code, message = error_of(call, IdentityId=identity_id)
    assert code == "NotAuthorizedException" and "forbidden" in message

    cognito.add_user("bob", "Bob-Pass-12345")
    bob = sign_in(cognito, "bob", "Bob-Pass-12345")
    code, message = error_of(call, IdentityId=identity_id, Logins=logins(cognito, bob["IdToken"]))
    assert code == "NotAuthorizedException" and "Logins don't match" in message

    code, message = error_of(
        call, IdentityId=identity_id, Logins=logins(cognito, tokens["AccessToken"])
    )
    assert code == "NotAuthorizedException" and "not an ID token" in message

    forged = tampered(tokens["IdToken"], exp=4_000_000_000)
    code, message = error_of(call, IdentityId=identity_id, Logins=logins(cognito, forged))
    assert code == "NotAuthorizedException" and "signature" in message

    answer = call(IdentityId=identity_id, Logins=logins(cognito, tokens["IdToken"]))
    assert answer["IdentityId"] == identity_id


@pytest.mark.parametrize("operation", IDENTITY_OPERATIONS)
def test_an_unknown_identity_is_not_found(cognito: Cognito, operation: str) -> None:
    tokens = sign_in(cognito)
    made_up = f"{REGION}:00000000-0000-4000-8000-000000000000"
    code, _ = error_of(
        getattr(cognito.identity, operation),
        IdentityId=made_up,
        Logins=logins(cognito, tokens["IdToken"]),
    )
    assert code == "ResourceNotFoundException"


def test_get_id_refuses_a_provider_the_pool_does_not_trust(
    cognito: Cognito, moto_endpoint: str
) -> None:
    other_pool = cognito.idp.create_user_pool(PoolName="others")["UserPool"]["Id"]
    client = cognito.idp.create_user_pool_client(
        UserPoolId=other_pool, ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.idp.admin_create_user(UserPoolId=other_pool, Username="eve", MessageAction="SUPPRESS")
    cognito.idp.admin_set_user_password(
        UserPoolId=other_pool, Username="eve", Password="Eve-Pass-12345", Permanent=True
    )
    eve = cognito.idp.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "eve", "PASSWORD": "Eve-Pass-12345"},
    )["AuthenticationResult"]
    code, message = error_of(
        cognito.identity.get_id,
        IdentityPoolId=cognito.identity_pool_id,
        Logins={f"cognito-idp.{REGION}.amazonaws.com/{other_pool}": eve["IdToken"]},
    )
    assert code == "NotAuthorizedException" and "supported provider" in message


def test_get_id_is_stable_per_user_and_refuses_guests_unless_allowed(cognito: Cognito) -> None:
    first = identity_of(cognito, sign_in(cognito)["IdToken"])
    assert identity_of(cognito, sign_in(cognito)["IdToken"]) == first
    code, _ = error_of(cognito.identity.get_id, IdentityPoolId=cognito.identity_pool_id)
    assert code == "NotAuthorizedException"


def test_a_guest_identity_takes_no_login(moto_endpoint: str) -> None:
    cognito = provision(moto_endpoint, allow_unauthenticated=True)
    guest = cognito.identity.get_id(IdentityPoolId=cognito.identity_pool_id)["IdentityId"]
    tokens = sign_in(cognito)
    code, _ = error_of(
        cognito.identity.get_credentials_for_identity,
        IdentityId=guest,
        Logins=logins(cognito, tokens["IdToken"]),
    )
    assert code == "NotAuthorizedException"
    creds = cognito.identity.get_credentials_for_identity(IdentityId=guest)["Credentials"]
    assert creds["SecretKey"] in known_secrets()


def test_credentials_are_recorded_as_handed_out(cognito: Cognito) -> None:
    tokens = sign_in(cognito)
    identity_id = identity_of(cognito, tokens["IdToken"])
    creds = cognito.identity.get_credentials_for_identity(
        IdentityId=identity_id, Logins=logins(cognito, tokens["IdToken"])
    )["Credentials"]
    assert {creds["SecretKey"], creds["SessionToken"]} <= known_secrets()


# -- STS ----------------------------------------------------------------------------------


def open_id_token(cognito: Cognito) -> str:
    tokens = sign_in(cognito)
    identity_id = identity_of(cognito, tokens["IdToken"])
    answer = cognito.identity.get_open_id_token(
        IdentityId=identity_id, Logins=logins(cognito, tokens["IdToken"])
    )
    return str(answer["Token"])


def assume(cognito: Cognito, token: str) -> Any:
    grant_role(cognito, ROLE)
    sts = aws_client("sts", cognito.endpoint)
    return sts.assume_role_with_web_identity(
        RoleArn=ROLE, RoleSessionName="tests", WebIdentityToken=token
    )


def test_sts_takes_only_the_identity_pools_open_id_token(cognito: Cognito) -> None:
    token = open_id_token(cognito)
    assert token in known_secrets()
    sts = aws_client("sts", cognito.endpoint)
    id_token = sign_in(cognito)["IdToken"]
    for wrong in ("not-a-token", id_token, tampered(token, sub=f"{REGION}:someone-else")):
        code, _ = error_of(
            sts.assume_role_with_web_identity,
            RoleArn=ROLE,
            RoleSessionName="tests",
            WebIdentityToken=wrong,
        )
        assert code == "InvalidIdentityToken", wrong
    creds = assume(cognito, token)["Credentials"]
    assert {creds["SecretAccessKey"], creds["SessionToken"]} <= known_secrets()
    assert BEHAVIOUR.calls["AssumeRoleWithWebIdentity"] == 4


def test_sts_refuses_an_expired_open_id_token(cognito: Cognito) -> None:
    BEHAVIOUR.openid_lifetime = -1
    token = open_id_token(cognito)
    sts = aws_client("sts", cognito.endpoint)
    code, _ = error_of(
        sts.assume_role_with_web_identity,
        RoleArn=ROLE,
        RoleSessionName="tests",
        WebIdentityToken=token,
    )
    assert code == "ExpiredTokenException"


def _backend() -> Any:
    from moto.cognitoidp.models import cognitoidp_backends

    return cognitoidp_backends["123456789012"][REGION]


# -- user pool: allowed flows, SECRET_HASH, refresh, revocation -----------------------------


def secret_hash(cognito: Cognito, name: str) -> str:
    assert cognito.client_secret is not None
    return _secret_hash(cognito.client_secret, name, cognito.client_id)


@pytest.mark.parametrize(
    ("flow", "allowed"),
    [
        ("USER_PASSWORD_AUTH", ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]),
        ("USER_SRP_AUTH", ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]),
        ("REFRESH_TOKEN_AUTH", ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"]),
    ],
)
def test_every_flow_must_be_allowed_on_the_app_client(
    cognito: Cognito, flow: str, allowed: list[str]
) -> None:
    refresh = sign_in(cognito)["RefreshToken"]
    client = cognito.add_client("narrow", flows=allowed)["ClientId"]
    params = {
        "USER_PASSWORD_AUTH": {"USERNAME": "alice", "PASSWORD": cognito.password},
        "USER_SRP_AUTH": {"USERNAME": "alice", "SRP_A": "abc123"},
        "REFRESH_TOKEN_AUTH": {"REFRESH_TOKEN": refresh},
    }[flow]
    code, message = error_of(
        cognito.idp.initiate_auth, ClientId=client, AuthFlow=flow, AuthParameters=params
    )
    assert (code, message) == (
        "InvalidParameterException",
        f"{flow} flow not enabled for this client",
    )


def test_a_client_without_explicit_flows_allows_srp_and_refresh_only(cognito: Cognito) -> None:
    client = cognito.idp.create_user_pool_client(
        UserPoolId=cognito.user_pool_id, ClientName="defaults"
    )["UserPoolClient"]["ClientId"]
    (pool,) = [p for p in _backend().user_pools.values() if client in p.clients]
    assert allowed_flows(pool.clients[client]) == {
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_CUSTOM_AUTH",
    }
    code, _ = error_of(
        cognito.idp.initiate_auth,
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": cognito.password},
    )
    assert code == "InvalidParameterException"


@pytest.mark.parametrize("flow", ["USER_PASSWORD_AUTH", "USER_SRP_AUTH"])
def test_sign_in_needs_the_secret_hash_of_the_name_given(moto_endpoint: str, flow: str) -> None:
    cognito = provision(moto_endpoint, secret=True)
    base = {"USERNAME": "alice"}
    base.update(
        {"PASSWORD": cognito.password} if flow == "USER_PASSWORD_AUTH" else {"SRP_A": "abc123"}
    )
    for wrong, needle in (
        # the service's wording (InitiateAuth), not moto's
        ({}, f"Client {cognito.client_id} is configured for secret but secret was not received"),
        ({"SECRET_HASH": secret_hash(cognito, "bob")}, "Unable to verify secret hash"),
    ):
        code, message = error_of(
            cognito.idp.initiate_auth,
            ClientId=cognito.client_id,
            AuthFlow=flow,
            AuthParameters={**base, **wrong},
        )
        assert code == "NotAuthorizedException" and needle in message
    answer = cognito.idp.initiate_auth(
        ClientId=cognito.client_id,
        AuthFlow=flow,
        AuthParameters={**base, "SECRET_HASH": secret_hash(cognito, "alice")},
    )
    if flow == "USER_PASSWORD_AUTH":
        assert answer["AuthenticationResult"]["IdToken"]
    else:
        assert answer["ChallengeName"] == "PASSWORD_VERIFIER"


def test_refresh_needs_the_secret_hash_of_the_internal_name(moto_endpoint: str) -> None:
    cognito = provision(
        moto_endpoint, secret=True, alias_attributes=["email"], email="alice@example.com"
    )
    tokens = cognito.idp.initiate_auth(
        ClientId=cognito.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": "alice@example.com",  # an alias: fine for the first step
            "PASSWORD": cognito.password,
            "SECRET_HASH": secret_hash(cognito, "alice@example.com"),
        },
    )["AuthenticationResult"]

    def refresh(**extra: str) -> Any:
        return cognito.idp.initiate_auth(
            ClientId=cognito.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"], **extra},
        )

    for wrong in ({}, {"SECRET_HASH": secret_hash(cognito, "alice@example.com")}):
        code, _ = error_of(refresh, **wrong)
        assert code == "NotAuthorizedException"
    assert refresh(SECRET_HASH=secret_hash(cognito, "alice"))["AuthenticationResult"]["IdToken"]


def test_a_refresh_token_works_only_for_its_own_app_client(cognito: Cognito) -> None:
    refresh = sign_in(cognito)["RefreshToken"]
    other = cognito.add_client("other")["ClientId"]
    code, _ = error_of(
        cognito.idp.initiate_auth,
        ClientId=other,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh},
    )
    assert code == "NotAuthorizedException"
    code, _ = error_of(
        cognito.idp.get_tokens_from_refresh_token, ClientId=other, RefreshToken=refresh
    )
    assert code == "NotAuthorizedException"


def test_get_tokens_from_refresh_token_checks_the_client_secret(moto_endpoint: str) -> None:
    cognito = provision(moto_endpoint, secret=True)
    refresh = sign_in(cognito)["RefreshToken"]
    get = cognito.idp.get_tokens_from_refresh_token
    for wrong in ({}, {"ClientSecret": "not-the-secret-of-this-client"}):
        code, _ = error_of(get, ClientId=cognito.client_id, RefreshToken=refresh, **wrong)
        assert code == "NotAuthorizedException"
    answer = get(
        ClientId=cognito.client_id, RefreshToken=refresh, ClientSecret=cognito.client_secret
    )["AuthenticationResult"]
    assert answer["IdToken"] in known_secrets()
    assert "RefreshToken" not in answer  # no rotation on this client


def test_a_rotating_client_hands_out_a_new_refresh_token_and_spends_the_old(
    moto_endpoint: str,
) -> None:
    cognito = provision(moto_endpoint, rotation=True)
    old = sign_in(cognito)["RefreshToken"]
    code, message = error_of(
        cognito.idp.initiate_auth,
        ClientId=cognito.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": old},
    )
    assert code == "NotAuthorizedException" and "rotation" in message
    new = cognito.idp.get_tokens_from_refresh_token(ClientId=cognito.client_id, RefreshToken=old)[
        "AuthenticationResult"
    ]["RefreshToken"]
    assert new != old and new in known_secrets()
    code, _ = error_of(
        cognito.idp.get_tokens_from_refresh_token, ClientId=cognito.client_id, RefreshToken=old
    )
    assert code == "RefreshTokenReuseException"  # no grace period: spent at once


def test_revoke_token_checks_the_secret_and_the_token_type(moto_endpoint: str) -> None:
    cognito = provision(moto_endpoint, secret=True)
    tokens = sign_in(cognito)
    revoke = cognito.idp.revoke_token
    for token, secret, expected in (
        (tokens["RefreshToken"], None, "UnauthorizedException"),
        (tokens["RefreshToken"], "not-the-secret-of-this-client", "UnauthorizedException"),
        (tokens["AccessToken"], cognito.client_secret, "UnsupportedTokenTypeException"),
    ):
        extra = {"ClientSecret": secret} if secret else {}
        code, _ = error_of(revoke, ClientId=cognito.client_id, Token=token, **extra)
        assert code == expected
    revoke(
        ClientId=cognito.client_id, Token=tokens["RefreshToken"], ClientSecret=cognito.client_secret
    )
    code, message = error_of(
        cognito.idp.initiate_auth,
        ClientId=cognito.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={
            "REFRESH_TOKEN": tokens["RefreshToken"],
            "SECRET_HASH": secret_hash(cognito, "alice"),
        },
    )
    assert code == "NotAuthorizedException" and "revoked" in message
    code, _ = error_of(cognito.idp.get_user, AccessToken=tokens["AccessToken"])
    assert code == "NotAuthorizedException"  # the access tokens it issued went with it


def test_sign_in_with_a_verified_alias_only(moto_endpoint: str) -> None:
    cognito = provision(moto_endpoint, alias_attributes=["email"], email="alice@example.com")
    tokens = sign_in(cognito, "alice@example.com")
    assert (
        json.loads(base64.urlsafe_b64decode(tokens["IdToken"].split(".")[1] + "=="))[
            "cognito:username"
        ]
        == "alice"
    )
    cognito.add_user(
        "bob",
        "Bob-Pass-12345",
        attributes=[
            {"Name": "email", "Value": "bob@example.com"},
            {"Name": "email_verified", "Value": "false"},
        ],
    )
    code, _ = error_of(
        cognito.idp.initiate_auth,
        ClientId=cognito.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bob@example.com", "PASSWORD": "Bob-Pass-12345"},
    )
    assert code == "UserNotFoundException"


# -- remembered devices ---------------------------------------------------------------------


def test_a_refresh_token_bound_to_a_device_needs_its_device_key(cognito: Cognito) -> None:
    BEHAVIOUR.device_tracking = True
    result = sign_in(cognito)
    device = result["NewDeviceMetadata"]
    cognito.idp.confirm_device(
        AccessToken=result["AccessToken"],
        DeviceKey=device["DeviceKey"],
        DeviceSecretVerifierConfig={"PasswordVerifier": "AAEC", "Salt": "AAEC"},
    )

    def refresh(**extra: str) -> Any:
        return cognito.idp.initiate_auth(
            ClientId=cognito.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": result["RefreshToken"], **extra},
        )

    for wrong in ({}, {"DEVICE_KEY": f"{REGION}_00000000-0000-4000-8000-000000000000"}):
        code, _ = error_of(refresh, **wrong)
        assert code == "NotAuthorizedException"
    assert refresh(DEVICE_KEY=device["DeviceKey"])["AuthenticationResult"]["AccessToken"]
    code, _ = error_of(
        cognito.idp.get_tokens_from_refresh_token,
        ClientId=cognito.client_id,
        RefreshToken=result["RefreshToken"],
    )
    assert code == "NotAuthorizedException"


# -- SMS MFA --------------------------------------------------------------------------------


def test_sms_mfa_takes_only_the_code_texted_for_the_challenge(cognito: Cognito) -> None:
    cognito.idp.admin_set_user_mfa_preference(
        UserPoolId=cognito.user_pool_id,
        Username=cognito.username,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    challenge = cognito.idp.initiate_auth(
        ClientId=cognito.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": cognito.username, "PASSWORD": cognito.password},
    )
    assert challenge["ChallengeName"] == "SMS_MFA"
    sent = BEHAVIOUR.last_sms_code()

    def answer(code: str) -> Any:
        return cognito.idp.respond_to_auth_challenge(
            ClientId=cognito.client_id,
            ChallengeName="SMS_MFA",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": cognito.username, "SMS_MFA_CODE": code},
        )

    wrong = f"{(int(sent) + 1) % 10**6:06d}"
    assert error_of(answer, code=wrong)[0] == "CodeMismatchException"  # moto would take it
    assert answer(sent)["AuthenticationResult"]["IdToken"] in known_secrets()
    code, _ = error_of(answer, code=sent)  # used: the session is over
    assert code in ("NotAuthorizedException", "ResourceNotFoundException")


# -- MFA setup ------------------------------------------------------------------------------


def test_mfa_setup_is_answered_only_with_the_session_of_a_verified_authenticator(
    cognito: Cognito,
) -> None:
    from .test_login import totp_now

    cognito.idp.set_user_pool_mfa_config(
        UserPoolId=cognito.user_pool_id,
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )

    cognito.idp.admin_create_user(
        UserPoolId=cognito.user_pool_id,
        Username="carol",
        TemporaryPassword="Temp-Pass-1234",
        MessageAction="SUPPRESS",
    )
    # moto asks for MFA setup after a new password (or SRP)
    challenge = cognito.idp.initiate_auth(
        ClientId=cognito.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "carol", "PASSWORD": "Temp-Pass-1234"},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    setup = cognito.idp.respond_to_auth_challenge(
        ClientId=cognito.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "carol", "NEW_PASSWORD": "New-Pass-12345"},
    )
    assert setup["ChallengeName"] == "MFA_SETUP"

    def answer(session: str) -> Any:
        return cognito.idp.respond_to_auth_challenge(
            ClientId=cognito.client_id,
            ChallengeName="MFA_SETUP",
            Session=session,
            ChallengeResponses={"USERNAME": "carol"},
        )

    # no authenticator verified yet: moto would sign in here
    code, _ = error_of(answer, session=setup["Session"])
    assert code == "NotAuthorizedException"
    associated = cognito.idp.associate_software_token(Session=setup["Session"])
    session = associated["Session"]
    verified = cognito.idp.verify_software_token(
        Session=session, UserCode=totp_now(associated["SecretCode"])
    )
    code, _ = error_of(answer, session=session)  # the session before the verification
    assert code == "NotAuthorizedException"
    assert answer(verified["Session"])["AuthenticationResult"]["IdToken"] in known_secrets()


# -- the service's rules: lifetimes, sessions, rotation, secrets, roles, MFA choice ---------


def claims_of(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return claims


def test_token_lifetimes_follow_the_app_client(cognito: Cognito) -> None:
    cognito.idp.update_user_pool_client(
        UserPoolId=cognito.user_pool_id,
        ClientId=cognito.client_id,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        IdTokenValidity=5,
        AccessTokenValidity=1,
        RefreshTokenValidity=2,
        TokenValidityUnits={"IdToken": "minutes", "AccessToken": "days", "RefreshToken": "hours"},
    )
    tokens = sign_in(cognito)
    assert tokens["ExpiresIn"] == 86400  # the access token's
    for name, seconds in (("IdToken", 300), ("AccessToken", 86400)):
        claims = claims_of(tokens[name])
        assert claims["exp"] - claims["iat"] == seconds
    refresh = {"REFRESH_TOKEN": tokens["RefreshToken"]}

    def renew() -> Any:
        return cognito.idp.initiate_auth(
            ClientId=cognito.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=refresh
        )

    BEHAVIOUR.advance(2 * 3600 - 5)
    assert renew()["AuthenticationResult"]["IdToken"]
    BEHAVIOUR.advance(10)  # past the refresh token's two hours (moto: never)
    assert error_of(renew) == ("NotAuthorizedException", "Refresh Token has expired")


@pytest.mark.parametrize(
    "settings",
    [
        {"IdTokenValidity": 4, "TokenValidityUnits": {"IdToken": "minutes"}},
        {"AccessTokenValidity": 2},  # hours by default: 2 days is fine, 25 hours is not
        {"AccessTokenValidity": 25},
        {"RefreshTokenValidity": 59, "TokenValidityUnits": {"RefreshToken": "minutes"}},
        {"RefreshTokenValidity": 3651},
        {"AuthSessionValidity": 16},  # (below 3, botocore refuses it before sending)
        {"RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 61}},
    ],
)
def test_app_client_settings_out_of_range_are_refused(
    cognito: Cognito, settings: dict[str, Any]
) -> None:
    if settings == {"AccessTokenValidity": 2}:
        cognito.idp.create_user_pool_client(
            UserPoolId=cognito.user_pool_id, ClientName="ok", **settings
        )
        return
    code, _ = error_of(
        cognito.idp.create_user_pool_client,
        UserPoolId=cognito.user_pool_id,
        ClientName="bad",
        **settings,
    )
    assert code == "InvalidParameterException"


def test_roles_of_the_users_groups_are_in_the_id_token(cognito: Cognito) -> None:
    for name, precedence in (("Analyst", 5), ("Ops", 1)):
        cognito.idp.create_group(
            UserPoolId=cognito.user_pool_id,
            GroupName=name,
            RoleArn=f"arn:aws:iam::123456789012:role/{name}",
            Precedence=precedence,
        )
        cognito.idp.admin_add_user_to_group(
            UserPoolId=cognito.user_pool_id, Username="alice", GroupName=name
        )
    claims = claims_of(sign_in(cognito)["IdToken"])
    assert sorted(claims["cognito:roles"]) == [
        "arn:aws:iam::123456789012:role/Analyst",
        "arn:aws:iam::123456789012:role/Ops",
    ]
    assert claims["cognito:preferred_role"] == "arn:aws:iam::123456789012:role/Ops"


def test_global_sign_out_refuses_an_expired_access_token(cognito: Cognito) -> None:
    BEHAVIOUR.advance(-2 * 3600)
    old = sign_in(cognito)
    BEHAVIOUR.advance(2 * 3600)
    code, message = error_of(cognito.idp.global_sign_out, AccessToken=old["AccessToken"])
    assert (code, message) == ("NotAuthorizedException", "Access Token has expired")
    cognito.idp.global_sign_out(AccessToken=sign_in(cognito)["AccessToken"])
    code, _ = error_of(
        cognito.idp.initiate_auth,
        ClientId=cognito.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": old["RefreshToken"]},
    )
    assert code == "NotAuthorizedException"  # signed out everywhere: the old one too


def test_sign_in_sessions_expire(moto_endpoint: str) -> None:
    from .test_login import enable_totp_for, totp_now

    cognito = provision(moto_endpoint)
    secret = enable_totp_for(cognito, "alice", cognito.password)
    cognito.idp.update_user_pool_client(
        UserPoolId=cognito.user_pool_id,
        ClientId=cognito.client_id,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AuthSessionValidity=5,
    )

    def challenge() -> str:
        answer = cognito.idp.initiate_auth(
            ClientId=cognito.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": cognito.password},
        )
        assert answer["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        return str(answer["Session"])

    def answer(session: str) -> Any:
        return cognito.idp.respond_to_auth_challenge(
            ClientId=cognito.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=session,
            ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": totp_now(secret)},
        )

    slow = challenge()
    BEHAVIOUR.advance(5 * 60 + 1)  # the client's AuthSessionValidity: five minutes
    assert error_of(answer, session=slow) == (
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )
    quick = challenge()
    BEHAVIOUR.advance(5 * 60 - 1)
    assert answer(quick)["AuthenticationResult"]["IdToken"]


def test_password_verifier_must_follow_within_seconds(cognito: Cognito) -> None:
    from cognito_credproc import srp

    from .strict_cognito import PASSWORD_VERIFIER_SECONDS

    _a, big_a = srp.generate_private()
    answer = cognito.idp.initiate_auth(
        ClientId=cognito.client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": "alice", "SRP_A": format(big_a, "x")},
    )
    BEHAVIOUR.advance(PASSWORD_VERIFIER_SECONDS + 1)
    code, message = error_of(
        cognito.idp.respond_to_auth_challenge,
        ClientId=cognito.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=answer["Session"],
        ChallengeResponses={
            "USERNAME": "alice",
            "PASSWORD_CLAIM_SECRET_BLOCK": answer["ChallengeParameters"]["SECRET_BLOCK"],
            "PASSWORD_CLAIM_SIGNATURE": "c2lnbmF0dXJl",
            "TIMESTAMP": "Mon Dec 7 23:00:00 UTC 2026",
        },
    )
    assert (code, message) == (
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )


def test_a_rotated_out_refresh_token_works_for_the_grace_period_only(moto_endpoint: str) -> None:
    cognito = provision(moto_endpoint, rotation=True, grace_seconds=20)
    old = sign_in(cognito)["RefreshToken"]

    def renew(token: str) -> Any:
        return cognito.idp.get_tokens_from_refresh_token(
            ClientId=cognito.client_id, RefreshToken=token
        )["AuthenticationResult"]

    first = renew(old)["RefreshToken"]
    BEHAVIOUR.advance(19)
    retried = renew(old)["RefreshToken"]  # a client's retry: still good
    assert len({old, first, retried}) == 3
    BEHAVIOUR.advance(2)
    code, _ = error_of(renew, token=old)
    assert code == "RefreshTokenReuseException"
    assert renew(first)["RefreshToken"]


def test_an_app_client_holds_at_most_two_secrets_and_both_work(moto_endpoint: str) -> None:
    cognito = provision(moto_endpoint, secret=True)
    args = {"UserPoolId": cognito.user_pool_id, "ClientId": cognito.client_id}
    created = cognito.idp.add_user_pool_client_secret(**args)["ClientSecretDescriptor"]
    new = created["ClientSecretValue"]
    assert new in known_secrets()
    listed = cognito.idp.list_user_pool_client_secrets(**args)["ClientSecrets"]
    assert len(listed) == 2 and all("ClientSecretValue" not in s for s in listed)
    code, _ = error_of(cognito.idp.add_user_pool_client_secret, **args)
    assert code == "LimitExceededException"
    for secret in (cognito.client_secret, new):
        assert secret is not None
        parameters = {
            "USERNAME": "alice",
            "PASSWORD": cognito.password,
            "SECRET_HASH": _secret_hash(secret, "alice", cognito.client_id),
        }
        assert cognito.idp.initiate_auth(
            ClientId=cognito.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=parameters
        )["AuthenticationResult"]["IdToken"]
    (old,) = [s for s in listed if s["ClientSecretId"] != created["ClientSecretId"]]
    cognito.idp.delete_user_pool_client_secret(**args, ClientSecretId=old["ClientSecretId"])
    code, message = error_of(
        cognito.idp.initiate_auth,
        ClientId=cognito.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={**parameters, "SECRET_HASH": secret_hash(cognito, "alice")},
    )
    assert code == "NotAuthorizedException" and "Unable to verify secret hash" in message
    code, _ = error_of(
        cognito.idp.delete_user_pool_client_secret,
        **args,
        ClientSecretId=created["ClientSecretId"],
    )
    assert code == "InvalidParameterException"  # the last one stays


def test_sts_holds_a_session_to_the_roles_maximum(cognito: Cognito) -> None:
    from .strict_cognito import create_role

    sts = aws_client("sts", cognito.endpoint)
    create_role("arn:aws:iam::123456789012:role/Short", max_session_seconds=3600)

    def assume_for(role: str, seconds: int) -> Any:
        return sts.assume_role_with_web_identity(
            RoleArn=role,
            RoleSessionName="tests",
            WebIdentityToken=open_id_token(cognito),
            DurationSeconds=seconds,
        )

    code, message = error_of(assume_for, role="arn:aws:iam::123456789012:role/Short", seconds=3601)
    assert code == "ValidationError" and "MaxSessionDuration" in message
    assert assume_for("arn:aws:iam::123456789012:role/Short", 3600)["Credentials"]
    code, _ = error_of(assume_for, role="arn:aws:iam::123456789012:role/Nowhere", seconds=900)
    assert code == "AccessDenied"


def test_custom_role_arn_must_be_one_of_the_tokens_roles(cognito: Cognito) -> None:
    analyst = grant_role(cognito, "arn:aws:iam::123456789012:role/Analyst")
    tokens = sign_in(cognito)
    identity_id = identity_of(cognito, tokens["IdToken"])

    def credentials(role: str) -> Any:
        return cognito.identity.get_credentials_for_identity(
            IdentityId=identity_id, Logins=logins(cognito, tokens["IdToken"]), CustomRoleArn=role
        )

    code, _ = error_of(credentials, role="arn:aws:iam::123456789012:role/Ops")
    assert code == "InvalidParameterException"  # moto would hand out credentials
    assert credentials(analyst)["Credentials"]["AccessKeyId"]


def test_select_mfa_type_takes_only_a_name_it_offered(cognito: Cognito) -> None:
    cognito.idp.admin_update_user_attributes(
        UserPoolId=cognito.user_pool_id,
        Username="alice",
        UserAttributes=[
            {"Name": "email", "Value": "alice@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    cognito.idp.admin_set_user_mfa_preference(
        UserPoolId=cognito.user_pool_id,
        Username="alice",
        SMSMfaSettings={"Enabled": True, "PreferredMfa": False},
        EmailMfaSettings={"Enabled": True, "PreferredMfa": False},
    )

    def start() -> Any:
        return cognito.idp.initiate_auth(
            ClientId=cognito.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": cognito.password},
        )

    def respond(name: str, session: str, **answers: str) -> Any:
        return cognito.idp.respond_to_auth_challenge(
            ClientId=cognito.client_id,
            ChallengeName=name,
            Session=session,
            ChallengeResponses={"USERNAME": "alice", **answers},
        )

    choice = start()
    assert choice["ChallengeName"] == "SELECT_MFA_TYPE"  # moto would hand out tokens
    assert choice["ChallengeParameters"]["MFAS_CAN_CHOOSE"] == '["SMS_MFA","EMAIL_OTP"]'
    # EMAIL_MFA: what the reference's SELECT_MFA_TYPE example names, and no challenge has
    code, _ = error_of(
        respond, name="SELECT_MFA_TYPE", session=choice["Session"], ANSWER="EMAIL_MFA"
    )
    assert code == "InvalidParameterException"
    choice = start()
    email = respond("SELECT_MFA_TYPE", choice["Session"], ANSWER="EMAIL_OTP")
    assert email["ChallengeName"] == "EMAIL_OTP"
    assert email["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    sent = BEHAVIOUR.last_email_code()
    wrong = f"{(int(sent) + 1) % 10**6:06d}"
    code, _ = error_of(respond, name="EMAIL_OTP", session=email["Session"], EMAIL_OTP_CODE=wrong)
    assert code == "CodeMismatchException"
    done = respond("EMAIL_OTP", email["Session"], EMAIL_OTP_CODE=sent)
    assert done["AuthenticationResult"]["IdToken"] in known_secrets()
