"""The API sign-in: InitiateAuth against the user pool and the challenges that follow.

sign_in -> InitiateAuth (USER_SRP_AUTH | USER_PASSWORD_AUTH | USER_AUTH)
        -> challenge loop (challenges.py, devices.py, userauth.py) -> tokens -> ConfirmDevice
refresh, revoke, global sign-out -> refresh.py
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from .. import srp
from ..aws import Clients, call
from ..awserrors import CognitoError, secret_refused
from ..config import Profile
from ..errors import AuthFailed, ServiceError
from ..prompt import Interaction, get_password
from ..tokens import Tokens, jwt_claims
from . import challenges, devices, refresh, userauth

log = logging.getLogger("cognito_credproc")

MAX_CHALLENGE_ROUNDS = 12
# Times a person at a terminal sees a sign-in start again after its session expired.
SESSION_RESTARTS = 2
HANDLERS: dict[str, challenges.Handler] = {
    **challenges.HANDLERS,
    **devices.HANDLERS,
    **userauth.HANDLERS,
}


def session_expired(exc: CognitoError) -> bool:
    """The sign-in session (or the code it waits for) is over: Cognito's NotAuthorized
    answer shares its code with a wrong password, so the message tells ("Invalid session for
    the user, session is expired."; "Invalid session for the user." for one already used)."""
    return exc.code in ("NotAuthorizedException", "ExpiredCodeException") and (
        "session" in exc.detail.lower()
    )


def _wrong_password(exc: CognitoError) -> bool:
    """Cognito's answer to a wrong password (and, where the pool hides which users
    exist, to an unknown user): not a disabled user, a bad secret hash, too many tries."""
    return exc.code == "NotAuthorizedException" and "incorrect" in exc.detail.lower()


class SignInState:
    """What one sign-in carries from challenge to challenge."""

    def __init__(self, username: str, device: Tokens | None) -> None:
        self.username = username  # as configured (may be an alias)
        # The name every answer carries (USERNAME, SECRET_HASH): the challenge's USERNAME
        # once Cognito has named the user, the configured name before that.
        self.challenge_username = username
        self.internal_username: str | None = None
        self.device = device
        self.a = 0
        self.big_a = 0
        # SELECT_CHALLENGE's choices (USER_AUTH), from the answer's AvailableChallenges
        self.available: list[str] = []
        # the first factor asked for or chosen (USER_AUTH): tells a one-time code that
        # signs in by itself from the same challenge as MFA after a password
        self.first_factor: str | None = None


class ApiSignIn:
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

    # -- helpers used by the challenge handlers --------------------------------------------

    @property
    def client_id(self) -> str:
        assert self.profile.app_client_id is not None
        return self.profile.app_client_id

    def describe(self) -> str:
        return f"{self.profile.username} at {self.profile.user_pool_id}"

    def with_secret_hash(self, params: dict[str, str], username: str) -> dict[str, str]:
        if self.profile.app_client_secret:
            params["SECRET_HASH"] = srp.secret_hash(
                username, self.client_id, self.profile.app_client_secret
            )
            # Valid for this user and client for good: as secret as the client secret.
            self.register_secret(params["SECRET_HASH"])
        return params

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        return call(self.clients.idp, operation, self.profile, **params)

    def password(self) -> str:
        if self._password is None:
            self._password = get_password(self.profile, self.interaction, self.environ)
            self.register_secret(self._password)
        return self._password

    def use_password(self, password: str) -> None:
        """A password set during sign-in (NEW_PASSWORD_REQUIRED) is the one from now on."""
        self.register_secret(password)
        self._password = password

    def respond(
        self, name: str, session: str | None, answers: dict[str, str], state: SignInState
    ) -> dict[str, Any]:
        answers.setdefault("USERNAME", state.challenge_username)
        if state.device is not None and state.device.device_key:
            answers.setdefault("DEVICE_KEY", state.device.device_key)
        self.with_secret_hash(answers, answers["USERNAME"])
        params: dict[str, Any] = {
            "ClientId": self.client_id,
            "ChallengeName": name,
            "ChallengeResponses": answers,
        }
        if session:
            params["Session"] = session
        return self.call("respond_to_auth_challenge", **params)

    def retrying(self, ask: Callable[[], dict[str, Any]]) -> dict[str, Any]:
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

    # -- sign-in -------------------------------------------------------------------------

    def sign_in(self, previous: Tokens | None = None, *, attempts: int = 1) -> Tokens:
        """Sign in and answer every challenge. A sign-in session that expired while a
        person was at a prompt (a code, MFA setup) starts again for anyone at a terminal;
        with ``attempts`` > 1 (``login``), a person typing the password also gets another
        try after a wrong one. A password that must be reset, or a sign-up not yet
        confirmed, is fixed on the terminal (``account``), then the sign-in starts again."""
        try:
            return self._sign_in_tries(previous, attempts)
        except CognitoError as exc:
            from ..account import recovered

            if not recovered(self, exc):
                raise
        return self._sign_in_tries(previous, attempts)

    def _sign_in_tries(self, previous: Tokens | None, attempts: int) -> Tokens:
        restarts = SESSION_RESTARTS if self.interaction.interactive else 0
        attempt = 1
        while True:
            try:
                return self._sign_in_once(previous)
            except CognitoError as exc:
                if session_expired(exc) and restarts > 0:
                    # Cognito's sign-in sessions last minutes (AuthSessionValidity).
                    restarts -= 1
                    self.interaction.say("The sign-in session expired; starting again.")
                    continue
                # Only a wrong password is worth typing again. A user that does not exist
                # (UserNotFoundException) stays missing whatever is typed; a pool that
                # hides which users exist answers "Incorrect username or password" for
                # both, so that retry names the user to check.
                if (
                    attempt >= attempts
                    or secret_refused(exc)  # retyping the password cannot fix the settings
                    or not _wrong_password(exc)
                    or not self.interaction.interactive
                    or self.profile.password_command
                    or self.environ.get("COGNITO_CREDPROC_PASSWORD")
                ):
                    raise
                attempt += 1
                self._password = None  # ask again
                reason = (exc.detail or exc.code).rstrip(".")
                self.interaction.say(
                    f"Sign-in failed: {reason} (user {self.profile.username}, the username "
                    f"in [{self.profile.name}]; if that is wrong, press Ctrl-C and fix it). "
                    "Try again."
                )

    def _sign_in_once(self, previous: Tokens | None) -> Tokens:
        assert self.profile.username is not None
        username = self.profile.username
        device = previous if previous is not None and previous.has_device else None
        state = SignInState(username=username, device=device)
        flow = self.profile.auth_flow
        if flow == "USER_AUTH":
            params = userauth.first_parameters(self, state)
        elif flow == "USER_PASSWORD_AUTH":
            params = {"USERNAME": username, "PASSWORD": self.password()}
        else:
            self.password()  # ask first: without a password source, fail before any call
            state.a, state.big_a = srp.generate_private()
            params = {"USERNAME": username, "SRP_A": format(state.big_a, "x")}
            flow = "USER_SRP_AUTH"
        if device is not None and device.device_key:
            params["DEVICE_KEY"] = device.device_key
        self.with_secret_hash(params, username)
        log.debug("signing in with %s", flow)
        response = self.call(
            "initiate_auth", AuthFlow=flow, ClientId=self.client_id, AuthParameters=params
        )
        return self.finish(response, state)

    def finish(self, response: dict[str, Any], state: SignInState) -> Tokens:
        """Answer challenges until Cognito hands out tokens."""
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
            state.available = [str(c) for c in response.get("AvailableChallenges") or []]
            log.debug("challenge %s", name)
            handler = HANDLERS.get(str(name))
            if handler is None:
                raise AuthFailed(
                    f"Cognito asked for {name}, which this tool does not answer",
                    profile=self.profile.name,
                )
            response = handler(self, params, session, state)
        raise ServiceError(
            "sign-in did not finish after many challenges", profile=self.profile.name
        )

    def _tokens_from_result(self, result: dict[str, Any], state: SignInState) -> Tokens:
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
            devices.confirm_device(self, tokens, metadata["DeviceKey"], metadata["DeviceGroupKey"])
        return tokens

    # -- refresh and sign-out (refresh.py) --------------------------------------------------

    def refresh(self, tokens: Tokens) -> Tokens | None:
        return refresh.refresh(self, tokens)

    def revoke(self, tokens: Tokens) -> None:
        refresh.revoke(self, tokens)

    def global_sign_out(self, tokens: Tokens) -> None:
        refresh.global_sign_out(self, tokens)
