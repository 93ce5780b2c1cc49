"""configure's questions per way of signing in, held against the validation itself: a
way's required questions are exactly what a profile of that way must have, every other
question is a key that way may have, and the region check names what disagrees."""

from __future__ import annotations

import pytest

from cognito_credproc.config import profile_from_section
from cognito_credproc.errors import ConfigError
from cognito_credproc.questions import WAYS, questions, region_problem, take_way, way_of
from cognito_credproc.settings import BY_NAME

# One good value for each key a question can ask.
SAMPLE = {
    "user_pool_id": "eu-west-1_AbCdEf123",
    "app_client_id": "1example23456789abcdefghij",
    "identity_pool_id": "eu-west-1:11111111-2222-3333-4444-555555555555",
    "username": "alice",
    "region": "eu-west-1",
    "app_client_secret": "s3cret-of-the-client",
    "login_domain": "https://myapp.auth.eu-west-1.amazoncognito.com",
    "oidc_issuer": "https://dev-123.okta.com/oauth2/default",
    "redirect_uri": "http://localhost:8400/callback",
    "scopes": "openid email",
    "identity_provider": "Okta",
}
WAY_NUMBERS = range(len(WAYS))


def answered(index: int, keys: set[str]) -> dict[str, str]:
    """A profile of way ``index`` with ``keys`` answered."""
    return {**dict(WAYS[index].sets), **{key: SAMPLE[key] for key in keys}}


def test_every_question_has_a_sample_and_a_prompt() -> None:
    asked = {s.name for i in WAY_NUMBERS for s, _ in questions(dict(SAMPLE), i)}
    assert asked <= set(SAMPLE)
    assert all(BY_NAME[key].prompt for key in asked)


@pytest.mark.parametrize("index", WAY_NUMBERS)
def test_the_required_questions_are_what_the_way_requires(index: int) -> None:
    required = {s.name for s, needed in questions({}, index) if needed}
    assert required  # every way needs something
    profile = profile_from_section("t.ini", "p", answered(index, required), {})
    assert way_of(answered(index, required)) == index
    for key in required:  # ... and each of them
        with pytest.raises(ConfigError) as refused:
            profile_from_section("t.ini", "p", answered(index, required - {key}), {})
        if key != WAYS[index].marker:  # without its own key, it is another way
            assert refused.value.setting == key
    assert profile.identity_pool_id == SAMPLE["identity_pool_id"]


@pytest.mark.parametrize("index", WAY_NUMBERS)
def test_every_question_of_a_way_is_a_key_it_takes(index: int) -> None:
    # with every key a question may ask present, a way asks only those it may have
    asked = {s.name for s, _ in questions(dict(SAMPLE), index)}
    profile_from_section("t.ini", "p", answered(index, asked), {})


def test_the_questions_of_each_way() -> None:
    def asked(index: int) -> list[str]:
        return [s.name for s, _ in questions({}, index)]

    pool = ["user_pool_id", "app_client_id", "identity_pool_id"]
    assert asked(0) == [*pool, "username", "app_client_secret"]
    assert asked(1) == [*pool, "app_client_secret", "login_domain", "redirect_uri"]
    assert asked(2) == [
        "app_client_id",
        "identity_pool_id",
        "app_client_secret",
        "oidc_issuer",
        "redirect_uri",
    ]
    assert asked(3) == asked(4) == asked(0)
    assert asked(5) == ["identity_pool_id"]  # a guest: no app client, so no secret either


def test_a_new_way_keeps_what_it_uses_and_drops_the_rest() -> None:
    managed = {**answered(1, {"user_pool_id", "app_client_id", "identity_pool_id"})}
    managed.update(login_domain=SAMPLE["login_domain"], identity_provider="Okta")
    to_oidc, gone = take_way(managed, 2)
    assert gone == ["user_pool_id", "login_domain", "identity_provider"]
    assert to_oidc == {
        "app_client_id": SAMPLE["app_client_id"],
        "identity_pool_id": SAMPLE["identity_pool_id"],
        "auth_flow": "BROWSER",
    }
    email = {**answered(3, {"user_pool_id", "app_client_id", "identity_pool_id", "username"})}
    to_password, gone = take_way(email, 0)
    assert gone == ["auth_flow", "preferred_challenge"]
    assert to_password == {k: v for k, v in email.items() if k not in gone}
    assert take_way(email, 3) == (email, [])  # the same way: nothing changes


US_POOL = "us-east-1_AbC"
EU_IDENTITY = "eu-west-1:11111111-2222-3333-4444-555555555555"


@pytest.mark.parametrize(
    ("values", "given", "said", "setting"),
    [
        (
            {"region": "eu-west-1", "user_pool_id": US_POOL, "identity_pool_id": "us-east-1:1"},
            {},
            f"region eu-west-1 disagrees with the user pool id: user pool {US_POOL} is in "
            "us-east-1, and its calls would go to eu-west-1",
            "region",
        ),
        (  # the identity pool is asked in its own region: named, not counted
            {"region": "eu-west-1", "user_pool_id": US_POOL, "identity_pool_id": EU_IDENTITY},
            {"region": "eu-west-1"},
            f"region eu-west-1 disagrees with the user pool id: user pool {US_POOL} is in "
            "us-east-1, and its calls would go to eu-west-1 (identity pool "
            f"{EU_IDENTITY} is asked in eu-west-1 whatever region says)",
            None,  # the command line's region is not asked again
        ),
        (
            {"region": "us-east-1", "user_pool_id": US_POOL, "identity_pool_id": EU_IDENTITY},
            {},
            None,
            None,
        ),
        # no user pool (a guest, an OpenID Connect provider): region is only STS's and env's
        ({"region": "us-east-1", "identity_pool_id": EU_IDENTITY}, {}, None, None),
        ({"user_pool_id": US_POOL, "identity_pool_id": EU_IDENTITY}, {}, None, None),
    ],
)
def test_the_region_against_the_user_pool_id(
    values: dict[str, str], given: dict[str, str], said: str | None, setting: str | None
) -> None:
    found = region_problem(values, given)
    if said is None:
        assert found is None
        return
    assert found is not None
    error, fits = found
    assert error.message == said
    assert error.setting == setting
    assert fits == "us-east-1"
    assert error.hint is not None and "--region us-east-1 (the user pool's region)" in error.hint
