"""Make moto behave like the real Cognito where it matters to this tool.

moto (5.x) accepts any SRP proof, skips SECRET_HASH on the password flow, ignores
ExplicitAuthFlows, hands out a new random IdentityId per GetId without checking the
token, hands out credentials and OpenID tokens for any IdentityId without Logins,
returns the same keys for 90 seconds, and its STS takes any WebIdentityToken. These
patches, applied inside the test process that runs ThreadedMotoServer, close those
gaps, count the calls and record every secret handed out (the suite's leak oracle).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from moto.cognitoidentity.responses import CognitoIdentityResponse
from moto.cognitoidp.models import CognitoIdpBackend
from moto.core.exceptions import JsonRESTError
from moto.sts.exceptions import STSClientError
from moto.sts.responses import TokenResponse

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
        # IdentityId -> (identity pool, the user's sub or None for a guest), as GetId made them
        self.identities: dict[str, tuple[str, str | None]] = {}
        # GetOpenIdToken's tokens are signed with this key; STS checks them with it
        self.openid_key = os.urandom(32)
        self.openid_lifetime = 600

    def record(self, *secrets: object) -> None:
        """Remember secrets handed out: no output of the suite may contain one."""
        with self.lock:
            self.issued.update(str(s) for s in secrets if s)

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
            self.identities.clear()
            self.openid_lifetime = 600


BEHAVIOUR = Behaviour()


def _record_tokens(result: dict[str, Any]) -> dict[str, Any]:
    auth = result.get("AuthenticationResult") or {}
    BEHAVIOUR.record(*(auth.get(name) for name in ("IdToken", "AccessToken", "RefreshToken")))
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


def _claims(token: str) -> dict[str, Any]:
    """A JWT's payload; ValueError when the token is not one."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise ValueError("not a JWT") from exc
    if not isinstance(claims, dict):
        raise ValueError("not a JWT")
    return claims


def _identity_pool(pool_id: str) -> Any | None:
    from moto.cognitoidentity.models import cognitoidentity_backends

    region = pool_id.split(":")[0]
    for account in cognitoidentity_backends.values():
        if region in account and pool_id in account[region].identity_pools:
            return account[region].identity_pools[pool_id]
    return None


def _trusted_providers(pool: Any) -> dict[str, set[str]]:
    """Login provider name -> the app client ids it may be used with (empty: any)."""
    trusted: dict[str, set[str]] = {}
    for entry in pool.cognito_identity_providers or []:
        clients = trusted.setdefault(entry["ProviderName"], set())
        if entry.get("ClientId"):
            clients.add(entry["ClientId"])
    for arn in pool.open_id_connect_provider_arns or []:
        trusted.setdefault(arn.split(":oidc-provider/", 1)[-1], set())
    for name in pool.supported_login_providers or {}:
        trusted.setdefault(name, set())
    return trusted


def _user_pool_issued(provider: str, token: str) -> bool:
    """Whether the user pool behind a cognito-idp provider issued this ID token: what the
    real service learns from the token's signature."""
    from moto.cognitoidp.models import cognitoidp_backends

    pool_id = provider.rsplit("/", 1)[-1]
    region = pool_id.split("_")[0]
    for account in cognitoidp_backends.values():
        if region in account and pool_id in account[region].user_pools:
            return token in account[region].user_pools[pool_id].id_tokens
    return False


def _check_login(logins: dict[str, str] | None, pool: Any) -> tuple[str, str] | None:
    """Validate a Logins map like Cognito does: (provider, the user's sub), or None for
    no Logins at all."""
    if not logins:
        return None
    if len(logins) != 1:
        raise _not_authorized("Only one login provider is supported here.")
    ((provider, token),) = logins.items()
    trusted = _trusted_providers(pool)
    if provider not in trusted:
        raise _not_authorized("Token is not from a supported provider of this identity pool.")
    try:
        claims = _claims(token)
    except ValueError as exc:
        raise _not_authorized(
            "Invalid login token. Not a valid OpenId Connect identity token."
        ) from exc
    if not provider.startswith("cognito-idp."):
        _check_oidc_login(provider, token, claims, pool)
    elif claims.get("iss") != f"https://{provider}":
        raise _not_authorized("Invalid login token. Issuer doesn't match providerName")
    if provider.startswith("cognito-idp."):
        if claims.get("token_use") != "id":
            raise _not_authorized("Invalid login token. Token is not an ID token.")
        if not _user_pool_issued(provider, token):
            raise _not_authorized("Invalid login token. Token signature invalid.")
    if trusted[provider] and claims.get("aud") not in trusted[provider]:
        raise _not_authorized("Invalid login token. Incorrect token audience.")
    if claims.get("exp", 0) <= time.time():
        raise _not_authorized("Invalid login token. Token expired.")
    return provider, str(claims["sub"])


def _check_oidc_login(provider: str, token: str, claims: dict[str, Any], pool: Any) -> None:
    """An OpenID Connect provider the identity pool trusts directly, as Cognito checks it:
    the token's iss is the provider's name with https (http only for a loopback host,
    as local providers serve it), its aud is one of the IAM OIDC provider's client ids,
    and the issuer's keys verify it."""
    host = provider.split("/", 1)[0].rsplit(":", 1)[0]
    issuers = {f"https://{provider}"}
    if host in ("localhost", "127.0.0.1"):
        issuers.add(f"http://{provider}")
    if claims.get("iss") not in issuers:
        raise _not_authorized("Invalid login token. Issuer doesn't match providerName")
    audiences = claims.get("aud")
    audiences = audiences if isinstance(audiences, list) else [audiences]
    arns = [
        arn
        for arn in pool.open_id_connect_provider_arns or []
        if arn.split(":oidc-provider/", 1)[-1] == provider
    ]
    if not set(audiences) & {c for arn in arns for c in _oidc_client_ids(arn)}:
        raise _not_authorized("Invalid login token. Incorrect token audience.")
    _verify_signature(token, str(claims["iss"]))


def _oidc_client_ids(arn: str) -> set[str]:
    from moto.iam.models import iam_backends

    for account in iam_backends.values():
        for backend in account.values():
            found = backend.open_id_providers.get(arn)
            if found is not None:
                return set(found.client_id_list)
    return set()


def _verify_signature(token: str, issuer: str) -> None:
    """Fetch the issuer's keys the way Cognito does (discovery, then jwks_uri)."""
    import urllib.request

    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    try:
        with urllib.request.urlopen(  # noqa: S310 - the issuer is a local test server
            f"{issuer}/.well-known/openid-configuration", timeout=5
        ) as answer:
            jwks_uri = json.load(answer)["jwks_uri"]
        with urllib.request.urlopen(jwks_uri, timeout=5) as answer:  # noqa: S310
            keys = KeySet.import_key_set(json.load(answer))
        jwt.decode(token, keys)
    except (OSError, ValueError, KeyError, JoseError) as exc:
        raise _not_authorized("Invalid login token. The signature is not valid.") from exc


_LOGINS_DO_NOT_MATCH = (
    "Logins don't match. Please include at least one valid login for this identity or "
    "identity pool."
)


def get_id(self: CognitoIdentityResponse) -> str:
    BEHAVIOUR.count("GetId")
    pool_id = self._get_param("IdentityPoolId")
    pool = _identity_pool(pool_id)
    if pool is None:
        raise JsonRESTError("ResourceNotFoundException", f"IdentityPool '{pool_id}' not found.")
    login = _check_login(self._get_param("Logins"), pool)
    region = pool_id.split(":")[0]
    if login is None:
        if pool_id not in BEHAVIOUR.unauth_pools:
            raise _not_authorized("Unauthenticated access is not supported for this identity pool.")
        identity_id = f"{region}:{uuid.uuid4()}"
    else:
        # Real Cognito: one stable IdentityId per (identity pool, user).
        identity_id = f"{region}:{uuid.uuid5(uuid.NAMESPACE_URL, f'{pool_id}/{login[1]}')}"
    with BEHAVIOUR.lock:
        BEHAVIOUR.identities[identity_id] = (pool_id, None if login is None else login[1])
    return json.dumps({"IdentityId": identity_id})


def _identity(identity_id: str, logins: dict[str, str] | None) -> tuple[str, str | None]:
    """Check an IdentityId and the Logins sent with it as Cognito does: the identity must
    exist, an authenticated one needs a valid login of its own user, a guest none.
    Returns (identity pool id, login provider or None)."""
    with BEHAVIOUR.lock:
        found = BEHAVIOUR.identities.get(identity_id)
    pool = _identity_pool(found[0]) if found else None
    if found is None or pool is None:
        raise JsonRESTError("ResourceNotFoundException", f"Identity '{identity_id}' not found.")
    pool_id, sub = found
    login = _check_login(logins, pool)
    if sub is None:
        if login is not None:
            raise _not_authorized(_LOGINS_DO_NOT_MATCH)
        if pool_id not in BEHAVIOUR.unauth_pools:
            raise _not_authorized("Unauthenticated access is not supported for this identity pool.")
        return pool_id, None
    if login is None:
        raise _not_authorized(f"Access to Identity '{identity_id}' is forbidden.")
    if login[1] != sub:
        raise _not_authorized(_LOGINS_DO_NOT_MATCH)
    return pool_id, login[0]


def get_credentials_for_identity(self: CognitoIdentityResponse) -> str:
    BEHAVIOUR.count("GetCredentialsForIdentity")
    identity_id = self._get_param("IdentityId")
    _identity(identity_id, self._get_param("Logins"))
    if BEHAVIOUR.fail_credentials:
        # a 400 that botocore does not retry, so the test knows when it is over
        raise JsonRESTError(
            "InvalidIdentityPoolConfigurationException", "the test asked for a failure"
        )
    secret, session = f"secret-{uuid.uuid4().hex}", f"session-{uuid.uuid4().hex}"
    BEHAVIOUR.record(secret, session)
    with BEHAVIOUR.lock:
        BEHAVIOUR.custom_roles.append(self._get_param("CustomRoleArn"))
        n = next(BEHAVIOUR.key_counter)
    expiration = datetime.now(timezone.utc).timestamp() + BEHAVIOUR.credentials_lifetime
    return json.dumps(
        {
            "IdentityId": identity_id,
            "Credentials": {
                "AccessKeyId": f"ASIATEST{n:012d}",
                "SecretKey": secret,
                "SessionToken": session,
                "Expiration": expiration,
            },
        }
    )


OPENID_ISSUER = "https://cognito-identity.amazonaws.com"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _openid_signature(signing_input: str) -> str:
    return _b64url(hmac.new(BEHAVIOUR.openid_key, signing_input.encode(), hashlib.sha256).digest())


def get_open_id_token(self: CognitoIdentityResponse) -> str:
    """An OpenID token signed with a key only this fixture (and its STS) knows."""
    BEHAVIOUR.count("GetOpenIdToken")
    identity_id = self._get_param("IdentityId")
    pool_id, provider = _identity(identity_id, self._get_param("Logins"))
    now = int(time.time())
    claims = {
        "iss": OPENID_ISSUER,
        "sub": identity_id,
        "aud": pool_id,
        "amr": ["authenticated", provider] if provider else ["unauthenticated"],
        "iat": now,
        "exp": now + BEHAVIOUR.openid_lifetime,
    }
    header = {"kid": "strict-test", "typ": "JWS", "alg": "HS256"}
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    token = f"{signing_input}.{_openid_signature(signing_input)}"
    BEHAVIOUR.record(token)
    return json.dumps({"IdentityId": identity_id, "Token": token})


def _check_openid_token(token: str) -> None:
    """What STS checks on a Cognito OpenID token: signature, issuer, expiry."""
    head, _, signature = token.rpartition(".")
    if not head or not hmac.compare_digest(signature, _openid_signature(head)):
        raise STSClientError(
            "InvalidIdentityToken", "The ID Token provided is not a valid JWT or is not signed."
        )
    claims = _claims(token)
    if claims.get("iss") != OPENID_ISSUER:
        raise STSClientError("InvalidIdentityToken", "Incorrect token issuer.")
    if claims.get("exp", 0) <= time.time():
        raise STSClientError("ExpiredTokenException", "Token expired.")


_original_assume_role_with_web_identity = TokenResponse.assume_role_with_web_identity


def assume_role_with_web_identity(self: TokenResponse) -> Any:
    BEHAVIOUR.count("AssumeRoleWithWebIdentity")
    _check_openid_token(self._get_param("WebIdentityToken") or "")
    result = _original_assume_role_with_web_identity(self)
    role = result.result["Credentials"]  # type: ignore[index]
    BEHAVIOUR.record(role.secret_access_key, role.session_token)
    return result


def install() -> None:
    CognitoIdpBackend.initiate_auth = initiate_auth  # type: ignore[method-assign]
    CognitoIdpBackend.respond_to_auth_challenge = respond_to_auth_challenge  # type: ignore[method-assign]
    CognitoIdentityResponse.get_id = get_id  # type: ignore[method-assign]
    CognitoIdentityResponse.get_credentials_for_identity = get_credentials_for_identity  # type: ignore[method-assign]
    CognitoIdentityResponse.get_open_id_token = get_open_id_token  # type: ignore[method-assign]
    TokenResponse.assume_role_with_web_identity = assume_role_with_web_identity  # type: ignore[method-assign]
    from . import strict_userauth  # USER_AUTH, which moto lacks, on top of these patches

    strict_userauth.install()
