"""Attack: a value that ends its quoted string early or adds a line of its own turns
``eval $(cognito-credproc env ...)``, a PowerShell ``Invoke-Expression`` or a dotenv
file into code or settings the attacker chose. Every format quotes every value."""

from __future__ import annotations

import json
import re

import pytest

from cognito_credproc.output import env_lines

# PowerShell's single-quote characters: the ASCII one and U+2018 to U+201B.
POWERSHELL_QUOTES = "'\u2018\u2019\u201a\u201b"

HOSTILE = [
    "line\nEVIL=1",
    "cr\r\nEVIL=1",
    "it\u2019s; Remove-Item -Recurse ~; \u2018",
    "it's'; Remove-Item ~; '",
    "\u201a\u201b mixed 'quotes\u2019",
    'dq " and \\ and $(whoami) and `n',
    "\ttab and \x1b escape and \x00 nul",
    "\n",
]


def powershell_value(expression: str) -> str:
    """Evaluate the string expressions env_lines writes, by PowerShell's rules: a
    single-quoted string ends at any of its four single-quote characters unless that
    character is doubled; ``[char]0xNN`` is one character; parts join with `` + ``."""
    value, rest = "", expression
    while True:
        if rest.startswith("[char]0x"):
            value += chr(int(rest[8:10], 16))
            rest = rest[10:]
        else:
            assert rest[:1] in POWERSHELL_QUOTES, f"not a string: {rest!r}"
            index = 1
            while True:
                assert index < len(rest), "unterminated string"
                ch = rest[index]
                if ch in POWERSHELL_QUOTES:
                    if rest[index + 1 : index + 2] and rest[index + 1] in POWERSHELL_QUOTES:
                        value += ch
                        index += 2
                        continue
                    break
                value += ch
                index += 1
            rest = rest[index + 1 :]
        if not rest:
            return value
        assert rest.startswith(" + "), f"the string ended early, leaving {rest!r}"
        rest = rest[3:]


@pytest.mark.parametrize("value", HOSTILE)
def test_powershell_values_cannot_end_their_string_or_add_a_line(value: str) -> None:
    text = env_lines({"AWS_SESSION_TOKEN": value, "AWS_REGION": "us-east-1"}, "powershell")
    lines = text.split("\n")
    assert len(lines) == 2 and "\r" not in text
    match = re.fullmatch(r"\$Env:AWS_SESSION_TOKEN = (.*)", lines[0])
    assert match is not None
    assert powershell_value(match.group(1)) == value
    assert lines[1] == "$Env:AWS_REGION = 'us-east-1'"


@pytest.mark.parametrize("value", HOSTILE)
def test_dotenv_values_cannot_end_their_string_or_add_a_line(value: str) -> None:
    text = env_lines({"AWS_SESSION_TOKEN": value, "AWS_REGION": "us-east-1"}, "dotenv")
    lines = text.split("\n")
    assert len(lines) == 2 and "\r" not in text
    name, quoted = lines[0].split("=", 1)
    assert name == "AWS_SESSION_TOKEN"
    assert json.loads(quoted) == value  # one double-quoted string, escapes as JSON reads them
    assert lines[1] == 'AWS_REGION="us-east-1"'


def test_dotenv_as_python_dotenv_reads_it() -> None:
    dotenv = pytest.importorskip("dotenv", reason="python-dotenv is not installed here")
    import io

    values = {f"V{i}": v for i, v in enumerate(HOSTILE) if "\x00" not in v and "\x1b" not in v}
    parsed = dotenv.dotenv_values(stream=io.StringIO(env_lines(values, "dotenv")))
    assert set(parsed) == set(values)  # no extra variable appeared
    for name, value in values.items():
        assert parsed[name] == value, name
