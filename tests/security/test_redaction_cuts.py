"""Attack on redaction: a message is cut short (a service's error message to 200
characters, a command's stderr, a note left in the cache) before its secrets are
replaced, so a password that straddles the cut prints its first half. No prefix of 6
or more characters of any registered secret may reach output, including secrets that
contain or overlap one another."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator

import pytest

from cognito_credproc import redact
from cognito_credproc.awserrors import one_line
from cognito_credproc.redact import MIN_PREFIX_CHARS, clip

from ..conftest import Workspace
from .hostile_server import hostile, section

MESSAGE_LIMIT = 200  # what the tool keeps of a service's error message


def random_text(length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def leaks(output: str, registered: list[str]) -> list[str]:
    """Every prefix of 6 or more characters of a registered secret found in output."""
    return [
        secret[:length]
        for secret in registered
        for length in range(MIN_PREFIX_CHARS, len(secret) + 1)
        if secret[:length] in output
    ]


@pytest.fixture
def registered() -> Iterator[list[str]]:
    """Three secrets: one, one contained in it, one overlapping its end; registered for
    the test only."""
    outer = "pw-" + random_text(37)
    inner = outer[10:30]  # one secret inside another (a client secret inside a password)
    overlapping = outer[-8:] + random_text(16)  # starts where the first one ends
    saved = set(redact._secrets)
    for value in (outer, inner, overlapping):
        redact.register_secret(value)
    yield [outer, inner, overlapping]
    redact._secrets.clear()
    redact._secrets.update(saved)


def test_no_cut_of_a_service_message_leaves_a_prefix(registered: list[str]) -> None:
    outer, inner, overlapping = registered
    chained = outer + overlapping[8:]  # the first and the third, overlapping
    for secret in (outer, inner, overlapping, chained):
        for start in range(MESSAGE_LIMIT - len(secret) - 2, MESSAGE_LIMIT + 2):
            message = "x" * start + secret + " and then some more text"
            shown = one_line(message)
            assert len(shown) <= MESSAGE_LIMIT
            assert not leaks(shown, registered), (start, shown[-60:])


@pytest.mark.parametrize("limit", [20, 45, 60, 61, 80, 100])
def test_clip_redacts_before_it_cuts(registered: list[str], limit: int) -> None:
    outer, _, overlapping = registered
    for start in range(limit + 1):
        text = "y" * start + outer + overlapping[8:] + " tail"
        shown = clip(text, limit)
        assert len(shown) <= limit
        assert not leaks(shown, registered), (start, shown)


def test_clip_leaves_not_even_a_short_piece_of_a_secret(registered: list[str]) -> None:
    outer = registered[0]
    for kept in range(1, MIN_PREFIX_CHARS + 1):
        shown = clip("z" * 10 + outer, 10 + kept + 1)
        assert shown.startswith("z" * 10) and shown.endswith("…")
        assert outer[:kept] not in shown, shown


def test_a_prefix_left_by_a_cut_made_before_redaction_is_redacted(
    registered: list[str],
) -> None:
    # A cut made elsewhere (a server that cut its own echo, a message cut before the
    # secret was registered) leaves the prefix at the end of the text or before "…".
    outer, inner, overlapping = registered
    for secret in (outer, inner, overlapping, outer + overlapping[8:]):
        for cut in range(MIN_PREFIX_CHARS, len(secret)):
            for text in (
                "said: " + secret[:cut],
                "said: " + secret[:cut] + "…",
                "said: " + secret[:cut] + "... (more)",
                "said: " + secret[:cut] + "…; next: run cognito-credproc login",
            ):
                shown = redact.redact(text)
                assert not leaks(shown, registered), (text, shown)
                assert shown.startswith("said: ")


def test_a_word_that_merely_starts_like_a_secret_stays(registered: list[str]) -> None:
    outer = registered[0]
    text = f"value {outer[:8]}-and-more, then text"
    assert redact.redact(text) == text  # not a cut: nothing of the secret is missing


def test_whole_secrets_are_redacted_wherever_they_are(registered: list[str]) -> None:
    outer, inner, overlapping = registered
    text = f"a {inner} b {outer} c {overlapping} d {outer}{overlapping[8:]} e"
    shown = redact.redact(text)
    assert not leaks(shown, registered)
    assert shown.startswith("a [redacted] b [redacted] c [redacted] d [redacted] e")


@pytest.mark.integration
def test_a_password_straddling_the_cut_of_a_service_message_never_shows(
    ws: Workspace,
) -> None:
    client_secret = "cs" + random_text(30)
    password = "pw-" + random_text(10) + client_secret + random_text(10)  # one inside another
    echoes: list[str] = []

    def echo(operation: str, request: dict[str, object]) -> tuple[int, object]:
        # A broken endpoint that quotes the password so that it straddles the cut.
        message = "x" * (MESSAGE_LIMIT - 20) + f" got {password} from you"
        echoes.append(message)
        return 400, {"__type": "NotAuthorizedException", "message": message}

    with hostile(echo) as endpoint:
        ws.write_config(section(endpoint, app_client_secret=client_secret))
        ws.config.chmod(0o600)
        done = ws.run("--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": password})
    assert echoes, "the endpoint was not asked"
    assert done.returncode == 1, done.stderr
    assert "NotAuthorizedException" in done.stderr
    assert not leaks(done.stderr, [password, client_secret]), done.stderr
