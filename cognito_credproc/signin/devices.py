"""Remembered devices: ConfirmDevice after sign-in, and the device's own SRP proof
(DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER) when the pool asks for it."""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING, Any

from .. import srp
from ..awserrors import CognitoError
from ..errors import AuthFailed
from .challenges import answer_srp

if TYPE_CHECKING:
    from ..tokens import Tokens
    from .api import ApiSignIn, SignInState
    from .challenges import Handler

log = logging.getLogger("cognito_credproc")


def confirm_device(api: ApiSignIn, tokens: Tokens, device_key: str, group_key: str) -> None:
    """Remember this machine so refresh keeps working on device-tracking pools."""
    verifier = srp.device_verifier(group_key, device_key)
    api.register_secret(verifier.password)
    try:
        confirmed = api.call(
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
            api.call(
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


def device_srp_auth(
    api: ApiSignIn, params: dict[str, str], session: str | None, state: SignInState
) -> dict[str, Any]:
    if state.device is None or not state.device.has_device:
        raise AuthFailed(
            "the pool asked for a remembered device, but none is cached",
            profile=api.profile.name,
            hint=f"run: cognito-credproc login --profile {api.profile.name}",
        )
    state.a, state.big_a = srp.generate_private()
    state.challenge_username = params.get("USERNAME") or state.challenge_username
    answers = {"SRP_A": format(state.big_a, "x")}
    return api.respond("DEVICE_SRP_AUTH", session, answers, state)


def device_password_verifier(
    api: ApiSignIn, params: dict[str, str], session: str | None, state: SignInState
) -> dict[str, Any]:
    device = state.device
    assert device is not None
    assert device.device_key
    assert device.device_group_key
    device_password = device.device_password
    assert device_password
    return answer_srp(
        api,
        "DEVICE_PASSWORD_VERIFIER",
        params,
        session,
        state,
        realm=device.device_group_key,
        user_id=device.device_key,
        password=lambda: device_password,
        username=params.get("USERNAME") or state.challenge_username,
    )


HANDLERS: dict[str, Handler] = {
    "DEVICE_SRP_AUTH": device_srp_auth,
    "DEVICE_PASSWORD_VERIFIER": device_password_verifier,
}
