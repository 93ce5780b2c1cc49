"""The strict local Cognito refuses what the real service refuses. The product's tests
stand on these fakes, so each refusal is shown here once, through boto3 over HTTP."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import REGION, Cognito, aws_client, known_secrets, provision
from .strict_cognito import BEHAVIOUR

pytestmark = pytest.mark.integration

ROLE = "arn:aws:iam::123456789012:role/Basic"


def sign_in(cognito: Cognito, username: str | None = None, password: str | None = None) -> Any:
    return cognito.idp.initiate_auth(
        ClientId=cognito.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": username or cognito.username,
            "PASSWORD": password or cognito.password,
        },
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
