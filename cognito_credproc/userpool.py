"""Sign-in, refresh and challenges against the user pool (cognito-idp)."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import socket
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from . import srp
from .aws import Clients, CognitoError, call
from .config import Profile
from .errors import AuthFailed, ServiceError
from .prompt import Interaction, get_password, get_totp
from .tokens import Tokens, jwt_claims

log = logging.getLogger("cognito_credproc")

MAX_CHALLENGE_ROUNDS = 12
# Codes that mean the refresh token is no good (expired, revoked, reused): sign in again.
REFRESH_REJECTED = {"NotAuthorizedException", "RefreshTokenReuseException", "UserNotFoundException"}


class UserPool:
    """One profile's conversation with its user pool."""

    def __init__(
        self,
        profile: Profile,
        clients: Clients,
        interaction: Interaction,
        *,
        environ: Mapping[str, str] | None = None,
        now: Callable[[], float] = time.time,
        register_secret: Callable[[str], None] = lambda _s: None,
    ) -> None:
        self.profile = profile
        self.clients = clients
        self.interaction = interaction
        self.environ = os.environ if environ is None else environ
        self.now = now
        self.register_secret = register_secret
        self._password: str | None = None

    # -- helpers -------------------------------------------------------------------------

    @property
    def client_id(self) -> str:
        assert self.profile.app_client_id is not None
        return self.profile.app_client_id

    def _with_secret_hash(self, params: dict[str, str], username: str) -> dict[str, str]:
        if self.profile.app_client_secret:
            params["SECRET_HASH"] = srp.secret_hash(
                username, self.client_id, self.profile.app_client_secret
            )
        return params

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        return call(self.clients.idp, operation, self.profile, **params)

    def password(self) -> str:
        if self._password is None:
            self._password = get_password(self.profile, self.interaction, self.environ)
            self.register_secret(self._password)
        return self._password

    # -- sign-in -------------------------------------------------------------------------

    def sign_in(self, previous: Tokens | None = None) -> Tokens:
        """Sign in with the password (SRP or the password flow) and answer every challenge."""
        assert self.profile.username is not None
        username = self.profile.username
        device = previous if previous is not None and previous.has_device else None
        state = _SignIn(username=username, device=device)
        self.password()  # ask first: without a password source, fail before any call
        if self.profile.auth_flow == "USER_PASSWORD_AUTH":
            params = {"USERNAME": username, "PASSWORD": self.password()}
            flow = "USER_PASSWORD_AUTH"
        else:
            state.a, state.big_a = srp.generate_private()
            params = {"USERNAME": username, "SRP_A": format(state.big_a, "x")}
            flow = "USER_SRP_AUTH"
        if device is not None and device.device_key:
            params["DEVICE_KEY"] = device.device_key
        self._with_secret_hash(params, username)
        log.debug("signing in with %s", flow)
        response = self._call(
            "initiate_auth", AuthFlow=flow, ClientId=self.client_id, AuthParameters=params
        )
        return self._finish(response, state)

    def _finish(self, response: dict[str, Any], state: _SignIn) -> Tokens:
        for _ in range(MAX_CHALLENGE_ROUNDS):
            result = response.get("AuthenticationResult")
            if result:
                return self._tokens_from_result(result, state)
            name = response.get("ChallengeName")
            if not name:
                raise ServiceError(
                    "sign-in answer had neither tokens nor a challenge", profile=self.profile.name
                )
            params = response.get("ChallengeParameters") or {}
            session = response.get("Session")
            log.debug("challenge %s", name)
            handler = getattr(self, f"_challenge_{str(name).lower()}", None)
            if handler is None:
                raise AuthFailed(
                    f"Cognito asked for {name}, which this tool does not answer",
                    profile=self.profile.name,
                )
            response = handler(params, session, state)
        raise ServiceError(
            "sign-in did not finish after many challenges", profile=self.profile.name
        )

    def _respond(
        self, name: str, session: str | None, answers: dict[str, str], state: _SignIn
    ) -> dict[str, Any]:
        answers.setdefault("USERNAME", state.challenge_username)
        if state.device is not None and state.device.device_key:
            answers.setdefault("DEVICE_KEY", state.device.device_key)
        self._with_secret_hash(answers, answers["USERNAME"])
        params: dict[str, Any] = {
            "ClientId": self.client_id,
            "ChallengeName": name,
            "ChallengeResponses": answers,
        }
        if session:
            params["Session"] = session
        return self._call("respond_to_auth_challenge", **params)

    def _retrying(self, ask: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Give a person up to three tries at a code; others get one."""
        tries = 3 if self.interaction.interactive else 1
        for attempt in range(1, tries + 1):
            try:
                return ask()
            except CognitoError as exc:
                if exc.code != "CodeMismatchException" or attempt == tries:
                    raise
                self.interaction.say("That code was not accepted; try again.")
        raise AssertionError("unreachable")

    # Each handler answers one challenge and returns Cognito's next answer.

    def _challenge_password_verifier(
        self, params: dict[str, str], session: str | None, state: _SignIn
    ) -> dict[str, Any]:
        assert self.profile.user_pool_id is not None
        # The math uses USER_ID_FOR_SRP; the answer names the user as the challenge did
        # (USERNAME), and SECRET_HASH and device keys use that same name. Cognito puts the
        # same value in both; emulators such as moto put the sub in USER_ID_FOR_SRP and
        # refuse it as USERNAME.
        user_id = params.get("USER_ID_FOR_SRP") or state.username
        answer_name = params.get("USERNAME") or user_id
        state.challenge_username = answer_name
        state.internal_username = answer_name
        try:
            proof = srp.answer_challenge(
                a=state.a,
                big_a=state.big_a,
                realm=srp.pool_realm(self.profile.user_pool_id),
                user_id=user_id,
                password=self.password(),
                salt_hex=params["SALT"],
                big_b_hex=params["SRP_B"],
                secret_block_b64=params["SECRET_BLOCK"],
            )
        except (KeyError, ValueError) as exc:
            raise ServiceError(
                f"malformed PASSWORD_VERIFIER challenge ({exc})", profile=self.profile.name
            ) from None
        answers = {
            "USERNAME": answer_name,
            "PASSWORD_CLAIM_SECRET_BLOCK": proof.secret_block,
            "PASSWORD_CLAIM_SIGNATURE": proof.signature,
            "TIMESTAMP": proof.timestamp,
        }
        return self._respond("PASSWORD_VERIFIER", session, answers, state)

    def _challenge_device_srp_auth(
        self, params: dict[str, str], session: str | None, state: _SignIn
    ) -> dict[str, Any]:
        if state.device is None or not state.device.has_device:
            raise AuthFailed(
                "the pool asked for a remembered device, but none is cached",
                profile=self.profile.name,
                hint=f"run: cognito-credproc login --profile {self.profile.name}",
            )
        state.a, state.big_a = srp.generate_private()
        state.challenge_username = params.get("USERNAME") or state.challenge_username
        answers = {"SRP_A": format(state.big_a, "x")}
        return self._respond("DEVICE_SRP_AUTH", session, answers, state)

    def _challenge_device_password_verifier(
        self, params: dict[str, str], session: str | None, state: _SignIn
    ) -> dict[str, Any]:
        device = state.device
        assert device is not None
        assert device.device_key
        assert device.device_group_key
        assert device.device_password
        try:
            proof = srp.answer_challenge(
                a=state.a,
                big_a=state.big_a,
                realm=device.device_group_key,
                user_id=device.device_key,
                password=device.device_password,
                salt_hex=params["SALT"],
                big_b_hex=params["SRP_B"],
                secret_block_b64=params["SECRET_BLOCK"],
            )
        except (KeyError, ValueError) as exc:
            raise ServiceError(
                f"malformed DEVICE_PASSWORD_VERIFIER challenge ({exc})", profile=self.profile.name
            ) from None
        answers = {
            "USERNAME": params.get("USERNAME") or state.challenge_username,
            "PASSWORD_CLAIM_SECRET_BLOCK": proof.secret_block,
            "PASSWORD_CLAIM_SIGNATURE": proof.signature,
            "TIMESTAMP": proof.timestamp,
        }
        return self._respond("DEVICE_PASSWORD_VERIFIER", session, answers, state)

    def _challenge_new_password_required(
        self, params: dict[str, str], session: str | None, state: _SignIn
    ) -> dict[str, Any]:
        ask = self.interaction
        ask.say(f"A new password is required for {state.username} (profile {self.profile.name}).")
        for _attempt in range(3):
            first = ask.ask("New password: ", secret=True)
            second = ask.ask("New password again: ", secret=True)
            if first and first == second:
                break
            ask.say("The passwords did not match, or were empty; try again.")
        else:
            raise AuthFailed(
                "no new password was set (the entries did not match)", profile=self.profile.name
            )
        self.register_secret(first)
        answers = {"NEW_PASSWORD": first}
        try:
            required = json.loads(params.get("requiredAttributes") or "[]")
        except ValueError:
            required = []
        for attribute in required if isinstance(required, list) else []:
            label = str(attribute).removeprefix("userAttributes.")
            answers[f"userAttributes.{label}"] = ask.ask(f"{label} (required by the pool): ")
        state.challenge_username = params.get("USERNAME") or state.challenge_username
        response = self._respond("NEW_PASSWORD_REQUIRED", session, answers, state)
        self._password = first
        return response

    def _code_challenge(
        self,
        name: str,
        field: str,
        label: str,
        session: str | None,
        state: _SignIn,
        *,
        totp: bool = False,
    ) -> dict[str, Any]:
        def attempt() -> dict[str, Any]:
            code = (
                get_totp(self.profile, self.interaction, label)
                if totp
                else self.interaction.ask(label).strip()
            )
            return self._respond(name, session, {field: code}, state)

        return self._retrying(attempt)

    def _challenge_software_token_mfa(
        self, params: dict[str, str], session: str | None, state: _SignIn
    ) -> dict[str, Any]:
        state.challenge_username = params.get("USERNAME") or state.challenge_username
        return self._code_challenge(
            "SOFTWARE_TOKEN_MFA",
            "SOFTWARE_TOKEN_MFA_CODE",
            f"Authenticator app code for {state.username}: ",
            session,
            state,
            totp=True,
        )

    def _challenge_sms_mfa(
        self, params: dict[str, str], session: str | None, state: _SignIn
    ) -> dict[str, Any]:
        state.challenge_username = params.get("USERNAME") or state.challenge_username
        where = params.get("CODE_DELIVERY_DESTINATION", "your phone")
        return self._code_challenge(
            "SMS_MFA", "SMS_MFA_CODE", f"Code sent by SMS to {where}: ", session, state
        )

    def _challenge_email_otp(
        self, params: dict[str, str], session: str | None, state: _SignIn
    ) -> dict[str, Any]:
        state.challenge_username = params.get("USERNAME") or state.challenge_username
        where = params.get("CODE_DELIVERY_DESTINATION", "your email address")
        return self._code_challenge(
            "EMAIL_OTP", "EMAIL_OTP_CODE", f"Code sent by email to {where}: ", session, state
        )

    def _challenge_select_mfa_type(
        self, params: dict[str, str], session: str | None, state: _SignIn
    ) -> dict[str, Any]:
        choices = mfa_names(params.get("MFAS_CAN_CHOOSE")) or ["SOFTWARE_TOKEN_MFA", "SMS_MFA"]
        if self.profile.totp_command and "SOFTWARE_TOKEN_MFA" in choices:
            choice = "SOFTWARE_TOKEN_MFA"
        else:
            names = ", ".join(f"{i}) {c}" for i, c in enumerate(choices, 1))
            while True:
                picked = self.interaction.ask(f"Choose a second factor [{names}]: ").strip()
                if picked.isdigit() and 1 <= int(picked) <= len(choices):
                    choice = choices[int(picked) - 1]
                    break
                if picked.upper() in choices:
                    choice = picked.upper()
                    break
                self.interaction.say(f"Answer with a number from 1 to {len(choices)}.")
        return self._respond("SELECT_MFA_TYPE", session, {"ANSWER": choice}, state)

    def _challenge_mfa_setup(
        self, params: dict[str, str], session: str | None, state: _SignIn
    ) -> dict[str, Any]:
        can = mfa_names(params.get("MFAS_CAN_SETUP"))
        if "SOFTWARE_TOKEN_MFA" not in can:
            raise AuthFailed(
                f"the pool requires setting up MFA ({', '.join(map(str, can)) or 'unknown'}), "
                "which must be done in the pool's hosted sign-in page",
                profile=self.profile.name,
            )
        if not self.interaction.interactive:
            self.interaction.ask("set up an authenticator app")  # raises SignInRequired
        associated = self._call("associate_software_token", Session=session)
        secret = associated["SecretCode"]
        self.register_secret(secret)
        label = urllib.parse.quote(f"{self.profile.user_pool_id}:{state.username}")
        uri = f"otpauth://totp/{label}?secret={secret}&issuer=AmazonCognito"
        self.interaction.say("Set up an authenticator app (TOTP) to finish signing in.")
        self.interaction.say(f"Secret key: {secret}")
        self.interaction.say(f"Or add this URI: {uri}")
        verify_session = associated.get("Session") or session

        def verify() -> dict[str, Any]:
            code = self.interaction.ask("Code shown by the app: ").strip()
            return self._call(
                "verify_software_token",
                Session=verify_session,
                UserCode=code,
                FriendlyDeviceName="cognito-credproc",
            )

        verified = self._retrying(verify)
        if verified.get("Status") != "SUCCESS":
            raise AuthFailed("the authenticator code was not accepted", profile=self.profile.name)
        state.challenge_username = params.get("USERNAME") or state.challenge_username
        return self._respond("MFA_SETUP", verified.get("Session") or verify_session, {}, state)

    def _challenge_custom_challenge(
        self, params: dict[str, str], session: str | None, state: _SignIn
    ) -> dict[str, Any]:
        shown = {k: v for k, v in params.items() if k not in ("USERNAME",)}
        if shown:
            self.interaction.say(
                "Custom challenge: " + ", ".join(f"{k}={v}" for k, v in shown.items())
            )
        answer = self.interaction.ask("Answer: ")
        return self._respond("CUSTOM_CHALLENGE", session, {"ANSWER": answer}, state)

    # -- tokens and devices --------------------------------------------------------------

    def _tokens_from_result(self, result: dict[str, Any], state: _SignIn) -> Tokens:
        try:
            tokens = Tokens(
                id_token=result["IdToken"],
                access_token=result["AccessToken"],
                refresh_token=result.get("RefreshToken"),
                refresh_issued_at=self.now() if result.get("RefreshToken") else None,
            )
            claims = jwt_claims(tokens.id_token)
        except (KeyError, ValueError, TypeError):
            raise ServiceError(
                "sign-in answer carried no usable ID token", profile=self.profile.name
            ) from None
        for secret in (tokens.id_token, tokens.access_token, tokens.refresh_token):
            if secret:
                self.register_secret(secret)
        tokens.internal_username = str(
            claims.get("cognito:username") or state.internal_username or state.username
        )
        if state.device is not None:
            tokens.device_key = state.device.device_key
            tokens.device_group_key = state.device.device_group_key
            tokens.device_password = state.device.device_password
        metadata = result.get("NewDeviceMetadata")
        if metadata and metadata.get("DeviceKey") and metadata.get("DeviceGroupKey"):
            self._confirm_device(tokens, metadata["DeviceKey"], metadata["DeviceGroupKey"])
        return tokens

    def _confirm_device(self, tokens: Tokens, device_key: str, group_key: str) -> None:
        """Remember this machine so refresh keeps working on device-tracking pools."""
        verifier = srp.device_verifier(group_key, device_key)
        self.register_secret(verifier.password)
        try:
            confirmed = self._call(
                "confirm_device",
                AccessToken=tokens.access_token,
                DeviceKey=device_key,
                DeviceSecretVerifierConfig={
                    "PasswordVerifier": verifier.verifier_b64,
                    "Salt": verifier.salt_b64,
                },
                DeviceName=f"cognito-credproc on {socket.gethostname()}"[:1024],
            )
            if confirmed.get("UserConfirmationNecessary"):
                self._call(
                    "update_device_status",
                    AccessToken=tokens.access_token,
                    DeviceKey=device_key,
                    DeviceRememberedStatus="remembered",
                )
        except CognitoError as exc:
            log.debug("could not confirm the device: %s", exc.code)
            return
        tokens.device_key = device_key
        tokens.device_group_key = group_key
        tokens.device_password = verifier.password

    # -- refresh -------------------------------------------------------------------------

    def refresh(self, tokens: Tokens) -> Tokens | None:
        """New ID/access tokens from the refresh token; None when it is no longer accepted.

        REFRESH_TOKEN_AUTH works on every client without rotation. A rotating client
        refuses it, and then GetTokensFromRefreshToken (remembered in the cache) is used;
        it also tells a refused token apart from a rotating client.
        """
        if not tokens.refresh_token:
            return None
        if not tokens.rotating:
            try:
                return self._refresh_with_initiate_auth(tokens)
            except CognitoError as exc:
                if exc.transient:
                    raise
                if exc.code == "UserNotFoundException":
                    return None
                # Any other refusal may mean a rotating client; the next call tells.
                log.debug(
                    "REFRESH_TOKEN_AUTH refused (%s); trying GetTokensFromRefreshToken", exc.code
                )
        try:
            return self._refresh_with_get_tokens(tokens)
        except CognitoError as exc:
            if exc.code in REFRESH_REJECTED or not tokens.rotating:
                log.debug("refresh token not accepted (%s)", exc.code)
                return None
            raise

    def _refresh_with_initiate_auth(self, tokens: Tokens) -> Tokens:
        assert tokens.refresh_token is not None
        username = tokens.internal_username or self.profile.username or ""
        params = {"REFRESH_TOKEN": tokens.refresh_token}
        if tokens.device_key:
            params["DEVICE_KEY"] = tokens.device_key
        self._with_secret_hash(params, username)
        log.debug("refreshing with REFRESH_TOKEN_AUTH")
        response = self._call(
            "initiate_auth",
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=self.client_id,
            AuthParameters=params,
        )
        return self._merge_refreshed(tokens, response.get("AuthenticationResult"), rotating=False)

    def _refresh_with_get_tokens(self, tokens: Tokens) -> Tokens:
        assert tokens.refresh_token is not None
        params: dict[str, Any] = {"ClientId": self.client_id, "RefreshToken": tokens.refresh_token}
        if self.profile.app_client_secret:
            params["ClientSecret"] = self.profile.app_client_secret
        if tokens.device_key:
            params["DeviceKey"] = tokens.device_key
        log.debug("refreshing with GetTokensFromRefreshToken")
        response = self._call("get_tokens_from_refresh_token", **params)
        return self._merge_refreshed(tokens, response.get("AuthenticationResult"), rotating=True)

    def _merge_refreshed(
        self, old: Tokens, result: dict[str, Any] | None, *, rotating: bool
    ) -> Tokens:
        if not result or not result.get("IdToken") or not result.get("AccessToken"):
            raise ServiceError("refresh answer carried no tokens", profile=self.profile.name)
        new = dataclasses.replace(
            old, id_token=result["IdToken"], access_token=result["AccessToken"], rotating=rotating
        )
        if result.get("RefreshToken"):
            new.refresh_token = result["RefreshToken"]
            new.refresh_issued_at = self.now()
        for secret in (new.id_token, new.access_token, new.refresh_token):
            if secret:
                self.register_secret(secret)
        try:
            jwt_claims(new.id_token)
        except ValueError:
            raise ServiceError(
                "refresh answer carried a malformed ID token", profile=self.profile.name
            ) from None
        return new

    # -- sign-out ------------------------------------------------------------------------

    def revoke(self, tokens: Tokens) -> None:
        assert tokens.refresh_token is not None
        params: dict[str, Any] = {"ClientId": self.client_id, "Token": tokens.refresh_token}
        if self.profile.app_client_secret:
            params["ClientSecret"] = self.profile.app_client_secret
        self._call("revoke_token", **params)

    def global_sign_out(self, tokens: Tokens) -> None:
        self._call("global_sign_out", AccessToken=tokens.access_token)


MFA_TYPES = ("SOFTWARE_TOKEN_MFA", "SMS_MFA", "EMAIL_OTP")


def mfa_names(raw: object) -> list[str]:
    """MFAS_CAN_CHOOSE / MFAS_CAN_SETUP: Cognito sends a JSON list inside a string; be
    forgiving about the encoding (emulators differ) and keep Cognito's order."""
    if isinstance(raw, list):
        return [str(item) for item in raw if str(item) in MFA_TYPES]
    if not isinstance(raw, str):
        return []
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if isinstance(parsed, list):
        return [str(item) for item in parsed if str(item) in MFA_TYPES]
    found = [(raw.find(name), name) for name in MFA_TYPES if name in raw]
    return [name for _, name in sorted(found)]


class _SignIn:
    """State carried across the challenges of one sign-in."""

    def __init__(self, username: str, device: Tokens | None) -> None:
        self.username = username
        self.challenge_username = username
        self.internal_username: str | None = None
        self.device = device
        self.a = 0
        self.big_a = 0
