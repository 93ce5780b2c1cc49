"""Boundaries and contracts: the refresh margin to the second in both code paths, cache
entries that parse but lack a field, and registered secrets on their way out through
the debug log and an error message."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from cognito_credproc import redact
from cognito_credproc.arguments import build_parser
from cognito_credproc.cache import FileCache
from cognito_credproc.cli import Context, cmd_credentials
from cognito_credproc.config import load_profile
from cognito_credproc.credentials import Credentials
from cognito_credproc.settings import DEFAULT_REFRESH_MARGIN_SECONDS
from cognito_credproc.store import Store, cached_credentials

from .conftest import Workspace
from .fakes import SECTION
from .robustness.scripted_server import Script, error, serve

NOW = 1_800_000_000.0
MARGIN = DEFAULT_REFRESH_MARGIN_SECONDS
OLD = Credentials("ASIAOLD", "old-secret-" + "o" * 20, "old-session-" + "o" * 20, NOW + 3600)
NEW = Credentials("ASIANEW", "new-secret-" + "n" * 20, "new-session-" + "n" * 20, NOW + 3600)


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        self.config = tmp_path / "config.ini"
        self.config.write_text("[dev]\n" + "".join(f"{k} = {v}\n" for k, v in SECTION.items()))
        self.cache = FileCache(str(tmp_path / "cache"))
        self.profile = load_profile(str(self.config), "dev", {})
        self.store = Store(self.profile, self.cache)
        self.renewals = 0

    def cache_credentials(self, left: float) -> None:
        creds = Credentials(OLD.access_key_id, OLD.secret_access_key, OLD.session_token, NOW + left)
        self.store.save_credentials(creds, skew=0.0, fetched_at=NOW - 60)

    def run(self) -> str:
        """The credential_process path at NOW; a miss is served by a stand-in provider."""
        args = build_parser().parse_args(["--profile", "dev", "--config", str(self.config)])
        ctx = Context(args, {"COGNITO_CREDPROC_CACHE_DIR": self.cache.directory}, now=lambda: NOW)
        setup = self

        class Renewing:
            def credentials(self) -> Credentials:
                setup.renewals += 1
                return NEW

        ctx.provider = Renewing  # type: ignore[assignment,method-assign]
        out = io.StringIO()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("sys.stdout", out)
            assert cmd_credentials(ctx) == 0
        return out.getvalue()


@pytest.mark.parametrize(
    ("left", "served_from_cache"),
    [(MARGIN + 1, True), (MARGIN + 0.5, True), (MARGIN, False), (MARGIN - 0.5, False)],
    ids=["margin+1s", "margin+0.5s", "exactly-the-margin", "margin-0.5s"],
)
def test_the_margin_to_the_second_on_the_fast_path(
    tmp_path: Path, left: float, served_from_cache: bool
) -> None:
    setup = Setup(tmp_path)
    setup.cache_credentials(left)
    out = setup.run()
    assert (OLD.access_key_id in out) is served_from_cache
    assert setup.renewals == (0 if served_from_cache else 1)


@pytest.mark.parametrize(
    ("left", "served_from_cache"),
    [(MARGIN + 0.5, True), (MARGIN, False), (MARGIN - 0.5, False)],
    ids=["margin+0.5s", "exactly-the-margin", "margin-0.5s"],
)
def test_the_margin_to_the_second_in_the_store(
    tmp_path: Path, left: float, served_from_cache: bool
) -> None:
    setup = Setup(tmp_path)
    setup.cache_credentials(left)
    hit = cached_credentials(setup.profile, setup.cache, lambda: NOW)
    assert (hit is not None) is served_from_cache


ENTRY = {
    "version": 1,
    "AccessKeyId": OLD.access_key_id,
    "SecretAccessKey": OLD.secret_access_key,
    "SessionToken": OLD.session_token,
    "Expiration": NOW + 3600,
}


@pytest.mark.parametrize(
    "broken",
    [
        {"SecretAccessKey": None},
        {"SessionToken": None},
        {"AccessKeyId": None},
        {"SecretAccessKey": ""},
        {"SessionToken": 12345},
    ],
    ids=["no-secret", "no-session-token", "no-key-id", "empty-secret", "number-token"],
)
def test_an_entry_with_a_valid_expiration_but_a_missing_field_is_a_miss(
    tmp_path: Path, broken: dict[str, object]
) -> None:
    setup = Setup(tmp_path)
    entry = {k: v for k, v in {**ENTRY, **broken}.items() if v is not None}
    setup.cache[setup.profile.credentials_key] = entry
    out = setup.run()
    assert setup.renewals == 1
    assert NEW.access_key_id in out and "None" not in out
    assert setup.store.credentials() is None


def test_the_complete_entry_of_those_cases_is_a_hit(tmp_path: Path) -> None:
    """The control for the cases above: the same entry with every field is served."""
    setup = Setup(tmp_path)
    setup.cache[setup.profile.credentials_key] = dict(ENTRY)
    assert OLD.secret_access_key in setup.run()
    assert setup.renewals == 0


# -- registered secrets on their way out ----------------------------------------------------


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """--debug logging, written to a buffer; the logger is put back afterwards."""
    logger = logging.getLogger("cognito_credproc")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    buffer = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stderr", buffer)
        redact.enable_debug()
    yield buffer
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])
    logger.propagate = saved[2]


def test_a_registered_secret_never_reaches_the_debug_log(debug_log: io.StringIO) -> None:
    secret = "registered-" + "q" * 24
    redact.register_secret(secret)
    logging.getLogger("cognito_credproc").debug("the service said %s (and %s)", secret, "ok")
    text = debug_log.getvalue()
    assert "debug: the service said [redacted] (and ok)" in text
    assert secret not in text


def test_a_registered_secret_never_reaches_an_error_message(ws: Workspace) -> None:
    # A service that echoes the password and a token back in its error message.
    password = "echoed-password-" + "p" * 16
    jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln"
    script = Script().happy()
    script.on("InitiateAuth", error("NotAuthorizedException", f"bad {password} for {jwt}"))
    with serve(script) as endpoint:
        ws.write_config(
            "[dev]\n"
            + "".join(f"{k} = {v}\n" for k, v in SECTION.items())
            + f"endpoint_url = {endpoint}\n"
        )
        done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": password})
    assert done.returncode == 1
    assert "NotAuthorizedException: bad [redacted] for [redacted]" in done.stderr
    assert password not in done.stderr


def test_the_one_place_that_prints_errors_redacts_what_reaches_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Messages are mostly redacted where they are made (a service's, as it is cut); an
    # error built anywhere else must still not print a secret: _fail redacts last.
    from cognito_credproc.cli import _fail
    from cognito_credproc.errors import CredprocError

    monkeypatch.setattr(redact, "_secrets", set())
    secret = "helper-said-" + "q" * 16
    redact.register_secret(secret)
    code = _fail(CredprocError(f"the helper printed {secret}", hint=f"not {secret}"), None)
    err = capsys.readouterr().err
    assert code == 1
    assert secret not in err
    assert err.count("[redacted]") == 2, err
