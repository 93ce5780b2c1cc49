"""Unsigned botocore clients for Cognito and STS, and ``call``: the one place that turns
their exceptions into ours (what an error code means is in ``awserrors``) and checks an
answer against the API's shapes.

Only runs that call AWS load this module; botocore is still imported inside the
functions that need it, so building a client is the only place that pays for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any, Literal

from .awserrors import CognitoError, client_error, one_line
from .config import Profile
from .errors import ConfigError, ServiceError

log = logging.getLogger("cognito_credproc")

CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 8
# botocore's "standard" mode retries throttling, 5xx and connection errors with
# exponential backoff; three attempts keep a dead service under about 30 s in all.
MAX_ATTEMPTS = 3
SKEW_REPORT_SECONDS = 5 * 60
# The Date header has one-second resolution and the request takes time: smaller
# differences are measurement noise, not skew.
SKEW_NOISE_SECONDS = 5


class Skew:
    """Clock skew between this machine and the service, from HTTP Date headers."""

    def __init__(self) -> None:
        self.seconds: float = 0.0
        self.measured = False

    def observe(self, date_header: str | None, local_now: float) -> None:
        if not date_header:
            return
        try:
            server = parsedate_to_datetime(date_header).timestamp()
        except (TypeError, ValueError, IndexError):
            return
        self.measured = True
        skew = server - local_now
        self.seconds = skew if abs(skew) > SKEW_NOISE_SECONDS else 0.0
        if abs(self.seconds) > SKEW_REPORT_SECONDS:
            log.debug("clock skew: this machine is %+.0f s off the service's clock", -self.seconds)


class Clients:
    """Creates and keeps the clients one run needs, all unsigned."""

    def __init__(self, profile: Profile, now: Callable[[], float] = time.time) -> None:
        self.profile = profile
        self.now = now
        self.skew = Skew()
        self._clients: dict[str, Any] = {}
        self._session: Any = None

    def _make(self, service: str, region: str) -> Any:
        import botocore.session
        from botocore import UNSIGNED
        from botocore.config import Config

        if self._session is None:
            # The helper's own AWS_PROFILE may name a profile whose credential_process is
            # this very command: keep botocore away from it. Calls are unsigned anyway.
            self._session = botocore.session.Session(
                session_vars={"profile": (None, None, None, None)}
            )
        config = Config(
            signature_version=UNSIGNED,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
            user_agent_extra="cognito-credproc",
        )
        from botocore.exceptions import BotoCoreError

        try:
            client = self._session.create_client(
                service, region_name=region, endpoint_url=self.profile.endpoint_url, config=config
            )
        except (ValueError, BotoCoreError) as exc:
            # e.g. a malformed AWS_ENDPOINT_URL* variable or AWS_CONFIG_FILE setting
            raise ConfigError(
                f"cannot set up the {service} client: {one_line(str(exc))}",
                profile=self.profile.name,
                hint="check endpoint_url and the AWS_ENDPOINT_URL* variables",
            ) from None

        def record_date(http_response: Any = None, **_: Any) -> None:
            if http_response is not None:
                self.skew.observe(http_response.headers.get("Date"), self.now())

        client.meta.events.register("after-call", record_date)
        return client

    def get(self, service: str, region: str) -> Any:
        key = f"{service}/{region}"
        if key not in self._clients:
            self._clients[key] = self._make(service, region)
        return self._clients[key]

    @property
    def idp(self) -> Any:
        return self.get("cognito-idp", self.profile.region)

    @property
    def identity(self) -> Any:
        return self.get("cognito-identity", self.profile.identity_region)

    @property
    def sts(self) -> Any:
        return self.get("sts", self.profile.region)


def call(client: Any, operation: str, profile: Profile, **params: Any) -> dict[str, Any]:
    """Call one API operation; map every failure to a CredprocError."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionError,
        EndpointConnectionError,
        ReadTimeoutError,
    )
    from botocore.parsers import ResponseParserError

    log.debug("calling %s.%s", client.meta.service_model.service_name, operation)
    try:
        response: dict[str, Any] = getattr(client, operation)(**params)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "Unknown")
        message = str(error.get("Message") or "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        log.debug("%s failed: %s (HTTP %s)", operation, code, status)
        raise client_error(code, message, status, operation, profile) from None
    except (EndpointConnectionError, ConnectionError, ReadTimeoutError) as exc:
        url = client.meta.endpoint_url
        log.debug("%s failed: %s", operation, type(exc).__name__)
        raise ServiceError(
            f"cannot reach {url} ({type(exc).__name__})",
            profile=profile.name,
            hint="check the network, a proxy (HTTPS_PROXY) or endpoint_url",
        ) from None
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, RuntimeError) as exc:
        # botocore raises these when a response does not parse (a bad timestamp, a list
        # where an object belongs, a body that is not JSON at all)
        log.debug("%s failed: %s", operation, type(exc).__name__)
        raise _malformed(operation, profile) from None
    except ResponseParserError as exc:
        log.debug("%s failed: %s", operation, type(exc).__name__)
        raise _malformed(operation, profile) from None
    except BotoCoreError as exc:
        log.debug("%s failed: %s", operation, type(exc).__name__)
        raise ServiceError(
            f"{operation} failed: {one_line(str(exc))}",
            profile=profile.name,
            hint="retry with --debug for details",
        ) from None
    where = _shape_problem(_output_shape(client, operation), response, "")
    if where is not None:
        log.debug("%s answered with a malformed %s", operation, where or "body")
        raise _malformed(operation, profile, where)
    return response


def _malformed(operation: str, profile: Profile, where: str = "") -> ServiceError:
    what = f" ({where.lstrip('.')[:80]} is not what the API says)" if where else ""
    return ServiceError(
        f"{operation} failed: the service sent a malformed answer{what}",
        profile=profile.name,
        hint="retry with --debug; check endpoint_url or a proxy in between",
    )


def _output_shape(client: Any, operation: str) -> Any:
    try:
        name = client.meta.method_to_api_mapping[operation]
        return client.meta.service_model.operation_model(name).output_shape
    except (AttributeError, KeyError, LookupError):
        return None


def _shape_problem(shape: Any, value: object, path: str) -> str | None:
    """Where ``value`` departs from the API's output shape (types only), or None. botocore
    passes a JSON value through as it came: a number where a token belongs would
    otherwise travel on into the cache or the output."""
    from datetime import datetime

    if shape is None or value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return path
        for name, member in shape.members.items():
            found = _shape_problem(member, value.get(name), f"{path}.{name}")
            if found is not None:
                return found
        return None
    if kind == "list":
        if not isinstance(value, list):
            return path
        for index, item in enumerate(value):
            found = _shape_problem(shape.member, item, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    if kind == "map":
        if not isinstance(value, dict):
            return path
        for key, item in value.items():
            found = _shape_problem(shape.key, key, f"{path}.{key}")
            found = found or _shape_problem(shape.value, item, f"{path}.{key}")
            if found is not None:
                return found
        return None
    expected: tuple[type, ...] = {
        "string": (str,),
        "integer": (int,),
        "long": (int,),
        "float": (int, float),
        "double": (int, float),
        "boolean": (bool,),
        "timestamp": (datetime,),
        "blob": (bytes, bytearray),
    }.get(kind, (object,))
    if not isinstance(value, expected) or (kind not in ("boolean",) and isinstance(value, bool)):
        return path
    return None


def probe(
    clients: Clients, profile: Profile, what: Literal["app_client", "identity_pool"]
) -> CognitoError | None:
    """A harmless unsigned call that tells whether an id exists (and reads the service's
    clock): a refresh with a made-up token for the app client, GetId with a token that
    cannot be valid for the identity pool. No user is involved and nothing is created.
    Returns the service's error (the expected answer is one), or None."""
    try:
        if what == "app_client":
            call(
                clients.idp,
                "initiate_auth",
                profile,
                ClientId=profile.app_client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": "cognito-credproc-probe"},
            )
        else:
            provider = profile.login_provider if profile.user_pool_id else "probe.invalid"
            call(
                clients.identity,
                "get_id",
                profile,
                IdentityPoolId=profile.identity_pool_id,
                Logins={provider: "cognito-credproc.probe.invalid"},
            )
    except CognitoError as exc:
        return exc
    return None


def to_epoch(value: object) -> float:
    """Expiration as botocore returns it (datetime) or as JSON numbers, to epoch seconds."""
    from datetime import datetime, timezone

    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"not a timestamp: {type(value).__name__}")
