"""Make moto behave like the real Cognito where it matters to this tool.

moto (5.x) accepts any SRP proof, skips SECRET_HASH on the password flow, ignores
ExplicitAuthFlows, hands out a new random IdentityId per GetId without checking the
token, and returns the same keys for 90 seconds. These patches, applied inside the
test process that runs ThreadedMotoServer, close those gaps and count the calls.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from moto.cognitoidentity.responses import CognitoIdentityResponse
from moto.cognitoidp.models import CognitoIdpBackend
from moto.core.exceptions import JsonRESTError

from . import srp_server


class Behaviour:
    """Knobs and counters shared by the fixture and the patches."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.credentials_lifetime = 3600
        self.srp_sessions: dict[str, tuple[str, srp_server.ServerSession, str]] = {}
        self.key_counter = itertools.count(1)
        self.custom_roles: list[str | None] = []
        self.unauth_pools: set[str] = set()
        # every token and key handed out: no stderr of the suite may contain one
        self.issued: set[str] = set()
        self.fail_credentials = False
        self.device_tracking = False
        # Which name USER_ID_FOR_SRP carries: "username" as Cognito does for plain-username
        # pools, or "sub" as moto does (Cognito too, for email-as-username pools, where the
        # username itself is the sub). USERNAME is always the pool's username.
        self.srp_user_id = "username"

    def count(self, name: str) -> None:
        with self.lock:
            self.calls[name] += 1

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.srp_sessions.clear()
            self.custom_roles.clear()
            self.unauth_pools.clear()
            self.credentials_lifetime = 3600
            self.fail_credentials = False
            self.srp_user_id = "username"


BEHAVIOUR = Behaviour()


def _record_tokens(result: dict[str, Any]) -> dict[str, Any]:
    auth = result.get("AuthenticationResult") or {}
    with BEHAVIOUR.lock:
        for name in ("IdToken", "AccessToken", "RefreshToken"):
            if auth.get(name):
                BEHAVIOUR.issued.add(str(auth[name]))
    return result


def _not_authorized(message: str) -> JsonRESTError:
    return JsonRESTError("NotAuthorizedException", message)


def _secret_hash(secret: str, username: str, client_id: str) -> str:
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _find_client(backend: CognitoIdpBackend, client_id: str) -> tuple[Any, Any]:
    for pool in backend.user_pools.values():
        if client_id in pool.clients:
            return pool, pool.clients[client_id]
    raise JsonRESTError("ResourceNotFoundException", f"client {client_id} not found")


_original_initiate = CognitoIdpBackend.initiate_auth
_original_respond = CognitoIdpBackend.respond_to_auth_challenge


def initiate_auth(
    self: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
) -> dict[str, Any]:
    BEHAVIOUR.count(f"InitiateAuth:{auth_flow}")
    pool, client = _find_client(self, client_id)
    flows = client.extended_config.get("ExplicitAuthFlows") or []
    if auth_flow == "USER_PASSWORD_AUTH":
        if flows and "ALLOW_USER_PASSWORD_AUTH" not in flows:
            raise JsonRESTError(
                "InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client"
            )
        if client.generate_secret:
            username = auth_parameters.get("USERNAME", "")
            if auth_parameters.get("SECRET_HASH") != _secret_hash(
                client.secret, username, client_id
            ):
                raise _not_authorized("Unable to verify secret hash for client " + client_id)
    result = _record_tokens(_original_initiate(self, client_id, auth_flow, auth_parameters))
    if auth_flow == "USER_SRP_AUTH" and result.get("ChallengeName") == "PASSWORD_VERIFIER":
        params = result["ChallengeParameters"]
        user = pool._get_user(auth_parameters["USERNAME"])
        realm = pool.id.split("_", 1)[1]
        srp_user_id = user.id if BEHAVIOUR.srp_user_id == "sub" else user.username
        # The verifier is made with USER_ID_FOR_SRP: a client that hashes another name
        # (what the person typed, an alias) fails the proof.
        session = srp_server.start_for_password(
            realm, srp_user_id, user.password, auth_parameters["SRP_A"]
        )
        params.update(session.challenge)
        params["USER_ID_FOR_SRP"] = srp_user_id
        params["USERNAME"] = user.username
        with BEHAVIOUR.lock:
            BEHAVIOUR.srp_sessions[params["SECRET_BLOCK"]] = (
                result["Session"],
                session,
                user.username,
            )
    return result


def respond_to_auth_challenge(
    self: CognitoIdpBackend,
    session: str,
    client_id: str,
    challenge_name: str,
    challenge_responses: dict[str, str],
) -> dict[str, Any]:
    BEHAVIOUR.count(f"RespondToAuthChallenge:{challenge_name}")
    _pool, client = _find_client(self, client_id)
    if client.generate_secret:
        username = challenge_responses.get("USERNAME", "")
        if challenge_responses.get("SECRET_HASH") != _secret_hash(
            client.secret, username, client_id
        ):
            raise _not_authorized("Unable to verify secret hash for client " + client_id)
    if challenge_name == "PASSWORD_VERIFIER":
        block = challenge_responses.get("PASSWORD_CLAIM_SECRET_BLOCK", "")
        with BEHAVIOUR.lock:
            found = BEHAVIOUR.srp_sessions.pop(block, None)
        if found is None:
            raise _not_authorized("Invalid session for the user.")
        moto_session, server, username = found
        # The answer must name the user as the challenge's USERNAME did.
        if challenge_responses.get("USERNAME") != username:
            raise JsonRESTError("UserNotFoundException", "User does not exist.")
        if not server.check(
            challenge_responses.get("PASSWORD_CLAIM_SIGNATURE", ""),
            challenge_responses.get("TIMESTAMP", ""),
        ):
            raise _not_authorized("Incorrect username or password.")
        challenge_responses = {**challenge_responses, "PASSWORD_CLAIM_SECRET_BLOCK": moto_session}
    return _record_tokens(
        _original_respond(self, session, client_id, challenge_name, challenge_responses)
    )


def _check_login(region_pool: dict[str, str] | None, pool_id: str) -> str | None:
    """Validate a Logins map like Cognito does; returns the user's sub, or None for guests."""
    if not region_pool:
        return None
    if len(region_pool) != 1:
        raise _not_authorized("Only one login provider is supported here.")
    ((provider, token),) = region_pool.items()
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise _not_authorized(
            "Invalid login token. Not a valid OpenId Connect identity token."
        ) from exc
    if claims.get("iss") != f"https://{provider}":
        raise _not_authorized("Invalid login token. Issuer doesn't match providerName")
    if claims.get("token_use") != "id":
        raise _not_authorized("Invalid login token. Token is not an ID token.")
    if claims.get("exp", 0) <= time.time():
        raise _not_authorized("Invalid login token. Token expired.")
    return str(claims["sub"])


def _known_pools(region: str) -> set[str]:
    from moto.cognitoidentity.models import cognitoidentity_backends

    pools: set[str] = set()
    for account in cognitoidentity_backends.values():
        if region in account:
            pools.update(account[region].identity_pools)
    return pools


def get_id(self: CognitoIdentityResponse) -> str:
    BEHAVIOUR.count("GetId")
    pool_id = self._get_param("IdentityPoolId")
    logins = self._get_param("Logins")
    region = pool_id.split(":")[0]
    if pool_id not in _known_pools(region):
        raise JsonRESTError("ResourceNotFoundException", f"IdentityPool '{pool_id}' not found.")
    sub = _check_login(logins, pool_id)
    if sub is None:
        if pool_id not in BEHAVIOUR.unauth_pools:
            raise _not_authorized("Unauthenticated access is not supported for this identity pool.")
        return json.dumps({"IdentityId": f"{pool_id.split(':')[0]}:{uuid.uuid4()}"})
    # Real Cognito: one stable IdentityId per (identity pool, user).
    stable = uuid.uuid5(uuid.NAMESPACE_URL, f"{pool_id}/{sub}")
    return json.dumps({"IdentityId": f"{pool_id.split(':')[0]}:{stable}"})


def get_credentials_for_identity(self: CognitoIdentityResponse) -> str:
    BEHAVIOUR.count("GetCredentialsForIdentity")
    identity_id = self._get_param("IdentityId")
    _check_login(self._get_param("Logins"), "")
    if BEHAVIOUR.fail_credentials:
        # a 400 that botocore does not retry, so the test knows when it is over
        raise JsonRESTError(
            "InvalidIdentityPoolConfigurationException", "the test asked for a failure"
        )
    secret, session = f"secret-{uuid.uuid4().hex}", f"session-{uuid.uuid4().hex}"
    with BEHAVIOUR.lock:
        BEHAVIOUR.custom_roles.append(self._get_param("CustomRoleArn"))
        BEHAVIOUR.issued.update((secret, session))
        n = next(BEHAVIOUR.key_counter)
    expiration = datetime.now(timezone.utc).timestamp() + BEHAVIOUR.credentials_lifetime
    return json.dumps(
        {
            "IdentityId": identity_id,
            "Credentials": {
                "AccessKeyId": f"ASIATEST{n:012d}",
                "SecretKey": f"secret-{uuid.uuid4().hex}",
                "SessionToken": f"session-{uuid.uuid4().hex}",
                "Expiration": expiration,
            },
        }
    )


_original_open_id = CognitoIdentityResponse.get_open_id_token


def get_open_id_token(self: CognitoIdentityResponse) -> str:
    BEHAVIOUR.count("GetOpenIdToken")
    _check_login(self._get_param("Logins"), "")
    return _original_open_id(self)


def install() -> None:
    CognitoIdpBackend.initiate_auth = initiate_auth  # type: ignore[method-assign]
    CognitoIdpBackend.respond_to_auth_challenge = respond_to_auth_challenge  # type: ignore[method-assign]
    CognitoIdentityResponse.get_id = get_id  # type: ignore[method-assign]
    CognitoIdentityResponse.get_credentials_for_identity = get_credentials_for_identity  # type: ignore[method-assign]
    CognitoIdentityResponse.get_open_id_token = get_open_id_token  # type: ignore[method-assign]
    from . import strict_userauth  # USER_AUTH, which moto lacks, on top of these patches

    strict_userauth.install()
