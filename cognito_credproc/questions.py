"""``configure``'s questions on the terminal: how people sign in, then the keys that way
needs, each answer checked by its row of the settings table and asked again, with the
reason, when it is bad. A profile's current values are the defaults (Enter keeps them).

Which keys a way needs is not listed here: ``required_keys`` and ``misplaced_keys`` (the
validation's own rules) say it for the settings a way sets, and the table's ``prompt``
and ``offered`` columns say which of the rest are worth a question.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from ._record import record
from .config import check_value, misplaced_keys, required_keys
from .errors import ConfigError
from .settings import (
    BY_NAME,
    IDENTITY_POOL_ID_RE,
    SETTINGS,
    USER_POOL_ID_RE,
    Invalid,
    Setting,
    shown,
)

# Bad answers in a row to one question before configure stops asking it.
MAX_TRIES = 5
# The answer that removes an optional key's value.
REMOVE = "-"


class Person(Protocol):
    """Who answers: the terminal (``prompt.Terminal``)."""

    def ask(self, prompt: str, *, secret: bool = False) -> str: ...

    def say(self, text: str) -> None: ...

    def close(self) -> None: ...


@record
class Way:
    """One way of signing in, as the first question offers it."""

    label: str
    # the settings that choosing it writes
    sets: tuple[tuple[str, str], ...] = ()
    # the key only this way has (its value is asked), which the validation looks for
    marker: str | None = None


WAYS: tuple[Way, ...] = (
    Way("a password (SRP: the password itself never leaves this machine)"),
    Way(
        "the browser: the user pool's managed login (and the identity providers behind "
        "it, such as Okta or Google)",
        (("auth_flow", "BROWSER"),),
    ),
    Way(
        "the browser: an OpenID Connect provider the identity pool trusts directly",
        (("auth_flow", "BROWSER"),),
        marker="oidc_issuer",
    ),
    Way(
        "a one-time code sent by email",
        (("auth_flow", "USER_AUTH"), ("preferred_challenge", "EMAIL_OTP")),
    ),
    Way(
        "a one-time code sent by SMS",
        (("auth_flow", "USER_AUTH"), ("preferred_challenge", "SMS_OTP")),
    ),
    Way("no sign-in: a guest identity of the identity pool", (("unauthenticated", "true"),)),
)
# What tells the ways apart: a profile that changes its way starts without any of them.
WAY_KEYS = ("auth_flow", "preferred_challenge", "unauthenticated", "oidc_issuer")


def _same(key: str, value: str, wanted: str) -> bool:
    try:
        return check_value(key, value) == check_value(key, wanted)
    except Invalid:
        return False


def way_of(values: Mapping[str, str]) -> int:
    """The way a profile signs in now (the index in WAYS): the one whose settings it has,
    the most specific winning; a password when none fits."""
    best, score = 0, 0
    for index, way in enumerate(WAYS):
        if way.marker is not None and way.marker not in values:
            continue
        if all(key in values and _same(key, values[key], want) for key, want in way.sets):
            points = len(way.sets) + (way.marker is not None)
            if points > score:
                best, score = index, points
    return best


def _with_marker(values: Mapping[str, str], way: Way) -> dict[str, str]:
    """``values`` as the validation sees them with the way's settings and its own key
    answered."""
    probe = {**values, **dict(way.sets)}
    if way.marker is not None:
        probe.setdefault(way.marker, "?")
    return probe


def _misplaced(key: str, probe: Mapping[str, str]) -> bool:
    return key in dict(misplaced_keys({**probe, key: "?"}))


def take_way(values: Mapping[str, str], index: int) -> tuple[dict[str, str], list[str]]:
    """The profile's values with way ``index`` chosen, and the keys that left with the
    old way (those the new way does not use)."""
    if index == way_of(values):
        return dict(values), []
    way = WAYS[index]
    new = {key: value for key, value in values.items() if key not in WAY_KEYS}
    new.update(way.sets)
    for key, _why in misplaced_keys(_with_marker(new, way)):
        new.pop(key, None)
    return new, [key for key in values if key not in new]


def questions(values: Mapping[str, str], index: int) -> list[tuple[Setting, bool]]:
    """(setting, required) for each question of way ``index``, in the table's order: the
    keys the way requires, the offered ones it uses, and those the profile has."""
    probe = _with_marker(values, WAYS[index])
    needed = set(required_keys(probe))
    asked = [
        (setting, setting.name in needed)
        for setting in SETTINGS
        if setting.prompt is not None
        and not _misplaced(setting.name, probe)
        and (setting.name in needed or setting.name in values or setting.offered)
    ]
    if not any(setting.name == "app_client_id" for setting, _ in asked):
        # a client secret is an app client's: no client, no question about its secret
        asked = [(s, required) for s, required in asked if s.name != "app_client_secret"]
    return asked


def _prompt(setting: Setting, default: str | None, current: bool, required: bool) -> str:
    assert setting.prompt is not None
    text = setting.prompt
    if not setting.flag:  # a secret: never shown
        keep = "Enter keeps the current one, - removes it" if current else "Enter for none"
        return f"{text} (typed unseen; {keep}): "
    if default is not None:
        text += f" [{default}]"
    if current and not required:
        text += f" ({REMOVE} removes it)"
    return text + ": "


def _valid(key: str, value: str | None) -> bool:
    if value is None:
        return False
    try:
        check_value(key, value)
    except Invalid:
        return False
    return True


def ask_value(
    person: Person,
    setting: Setting,
    current: str | None,
    *,
    required: bool,
    register_secret: Callable[[str], None],
) -> str | None:
    """One key's answer: a value its row accepts, ``current`` on Enter, or None (no
    value: removed with "-", or left to its default). A bad answer is asked again with
    the reason, MAX_TRIES times at most."""
    key = setting.name
    if current is not None and not _valid(key, current):
        person.say(f"The current {key} is not valid; type a new one.")
        current = None
    offered = setting.default if setting.offered and _valid(key, setting.default) else None
    prompt = _prompt(setting, current or offered, current is not None, required)
    problem = "is required"
    for _ in range(MAX_TRIES):
        answer = person.ask(prompt, secret=not setting.flag).strip()
        if not setting.flag:
            register_secret(answer)  # a message that repeats it must not show it
        if not answer:
            if current is not None or not required:
                return current
            problem = "is required"
        elif answer == REMOVE and not required and current is not None:
            return None
        else:
            try:
                check_value(key, answer)
            except Invalid as exc:
                problem = str(exc)
            else:
                return answer
        person.say(f"  {key} {problem}; try again (Ctrl-C stops; nothing is written)")
    raise ConfigError(f"{key} {problem} (asked {MAX_TRIES} times)", setting=key)


def choose_way(person: Person, values: Mapping[str, str]) -> int:
    """The first question: how people sign in (the current way on Enter)."""
    current = way_of(values)
    person.say("How do people sign in?")
    for number, way in enumerate(WAYS, 1):
        person.say(f"  {number}. {way.label}")
    prompt = f"Choose 1-{len(WAYS)} [{current + 1}]: "
    for _ in range(MAX_TRIES):
        answer = person.ask(prompt).strip()
        if not answer:
            return current
        if answer.isdigit() and 1 <= int(answer) <= len(WAYS):
            return int(answer) - 1
        person.say(f"  {shown(answer)} is not one of them; type a number from 1 to {len(WAYS)}")
    raise ConfigError(f"no way of signing in chosen (asked {MAX_TRIES} times)")


def region_problem(
    values: Mapping[str, str], given: Mapping[str, str]
) -> tuple[ConfigError, str] | None:
    """A region the user pool is not in (its id carries its region, and its calls go to
    ``region``); the identity pool is always asked in the region its own id names, so it
    may be elsewhere. The error names the user pool and where it is (and region as the
    setting to ask again, unless it came from --region); the region that fits comes with
    it."""
    region = values.get("region", "").strip()
    user_pool = USER_POOL_ID_RE.match(values.get("user_pool_id", "").strip())
    if not region or not user_pool or user_pool.group(1) == region:
        return None
    fits = user_pool.group(1)
    message = (
        f"region {region} disagrees with the user pool id: user pool {user_pool.group(0)} is "
        f"in {fits}, and its calls would go to {region}"
    )
    identity_pool = IDENTITY_POOL_ID_RE.match(values.get("identity_pool_id", "").strip())
    if identity_pool and identity_pool.group(1) != fits:
        message += (
            f" (identity pool {identity_pool.group(0)} is asked in {identity_pool.group(1)} "
            "whatever region says)"
        )
    if "region" in given:  # the command line's own words: not asked again
        hint = f"pass --region {fits} (the user pool's region), or leave --region out"
        return ConfigError(message, hint=hint), fits
    hint = f"pass --region {fits} (the user pool's region), or leave region out: it follows "
    hint += "the user pool"
    return ConfigError(message, hint=hint, setting="region"), fits


class Conversation:
    """configure's side of the terminal: opened when there is something to ask, the
    answers checked, bad ones asked again. ``given``: the values from the command line,
    which are never asked again (a bad one is an error, exit 2)."""

    def __init__(
        self,
        given: Mapping[str, str],
        *,
        open_terminal: Callable[[], Person | None],
        register_secret: Callable[[str], None],
        intro: str = "",
    ) -> None:
        self.given = dict(given)
        self.intro = intro
        self._open_terminal = open_terminal
        self._register_secret = register_secret
        self._person: Person | None = None
        self._opened = False
        # what configure says when it is done (on stderr): keys that left with the way
        self.notes: list[str] = []

    def __enter__(self) -> Conversation:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._person is not None:
            self._person.close()
            self._person = None

    def person(self) -> Person | None:
        if not self._opened:
            self._opened = True
            self._person = self._open_terminal()
        return self._person

    def gather(self, current: Mapping[str, str]) -> dict[str, str]:
        """The profile's values: ``current`` with the command line's on top. With a
        terminal and no flag for a question or the way of signing in, every question of
        the way chosen, current values as defaults; else only the required keys still
        missing (named as flags when there is no terminal)."""
        values = {**current, **self.given}
        # Flags the questions do not touch (--endpoint-url, --refresh-margin, ...) still
        # leave the whole conversation to the terminal.
        decided = [k for k in self.given if BY_NAME[k].prompt is not None or k in WAY_KEYS]
        person = None if decided else self.person()
        if person is not None:
            person.say(
                f"{self.intro}Enter keeps the value in [brackets]; Ctrl-C stops without "
                "writing anything."
            )
            index = choose_way(person, values)
            values, gone = take_way(values, index)
            values.update(self.given)  # the command line's own stay, whatever the way
            self._note_gone([key for key in gone if key not in self.given])
            for setting, required in questions(values, index):
                self._ask_into(values, setting, required=required)
            return values
        # The command line may change the way: what the new way does not use goes,
        # unless the command line gave it (then it is the error it is).
        for key, _why in misplaced_keys(values):
            if key not in self.given:
                del values[key]
                self._note_gone([key])
        missing = [s for s in SETTINGS if s.name in required_keys(values) and s.name not in values]
        if not missing:
            return values
        person = self.person()
        if person is None:
            flags = ", ".join(s.option for s in missing)
            raise ConfigError(f"configure needs {flags} (no terminal to ask on)")
        for setting in missing:
            self._ask_into(values, setting, required=True)
        return values

    def fix(self, values: dict[str, str], error: ConfigError, default: str | None = None) -> None:
        """Ask again for the setting ``error`` is about, after saying what is wrong (its
        fix too); raises ``error`` when nobody can be asked or the command line gave
        that value."""
        key = error.setting
        setting = BY_NAME.get(key or "")
        if setting is None or setting.prompt is None or setting.name in self.given:
            raise error
        person = self.person()
        if person is None:
            raise error
        from .redact import redact  # a service's words may repeat a secret

        person.say(redact(error.message + (f"\n  next: {error.hint}" if error.hint else "")))
        required = setting.name in required_keys(values)
        self._ask_into(values, setting, required=required, current=default)

    def _ask_into(
        self,
        values: dict[str, str],
        setting: Setting,
        *,
        required: bool,
        current: str | None = None,
    ) -> None:
        person = self.person()
        assert person is not None
        answer = ask_value(
            person,
            setting,
            current if current is not None else values.get(setting.name),
            required=required,
            register_secret=self._register_secret,
        )
        if answer is None:
            values.pop(setting.name, None)
        else:
            values[setting.name] = answer

    def _note_gone(self, keys: list[str]) -> None:
        if keys:
            self.notes.append(
                f"removed {', '.join(keys)}: the profile signs in another way, without them"
            )
