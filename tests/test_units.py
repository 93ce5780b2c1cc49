"""Small pieces: the light record type, INI editing, output formats, redaction."""

from __future__ import annotations

import json
import subprocess

import pytest

from cognito_credproc import redact
from cognito_credproc.config import profile_from_section
from cognito_credproc.credentials import Credentials
from cognito_credproc.inifile import put_section, section_body
from cognito_credproc.output import credential_process_json, env_lines, iso_utc

from .fakes import SECTION


def test_record_behaves_like_a_frozen_dataclass() -> None:
    a = Credentials("AK", "SK", "ST", 10.0)
    assert a == Credentials("AK", "SK", "ST", 10.0, None)
    assert a != Credentials("AK", "SK", "ST", 11.0)
    assert hash(a) == hash(Credentials("AK", "SK", "ST", 10.0))
    with pytest.raises(AttributeError):
        a.access_key_id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Credentials("AK")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Credentials("AK", "SK", "ST", 1.0, bogus=1)  # type: ignore[call-arg]


def test_profile_repr_hides_the_client_secret() -> None:
    profile = profile_from_section(
        "t.ini", "dev", {**SECTION, "app_client_secret": "s3cr3t-value"}, {}
    )
    assert "s3cr3t-value" not in repr(profile)
    assert "app_client_secret=..." in repr(profile)


def test_credential_process_json_is_the_wire_format() -> None:
    text = credential_process_json(Credentials("AK", "SK", "ST", 1_795_680_000.9, "123456789012"))
    assert json.loads(text) == {
        "Version": 1,
        "AccessKeyId": "AK",
        "SecretAccessKey": "SK",
        "SessionToken": "ST",
        "Expiration": "2026-11-26T08:00:00Z",
        "AccountId": "123456789012",
    }
    assert iso_utc(0) == "1970-01-01T00:00:00Z"


@pytest.mark.parametrize("value", ["plain", "it's", 'say "hi"', "back\\slash", "$HOME `x`"])
def test_sh_and_dotenv_quote_any_value(value: str) -> None:
    line = env_lines({"V": value}, "sh")
    shell = subprocess.run(
        ["sh", "-c", line + '\nprintf "%s" "$V"'], capture_output=True, text=True, check=True
    )
    assert shell.stdout == value
    assert json.loads(env_lines({"V": value}, "dotenv").split("=", 1)[1]) == value


TEXT = """# top comment
[default]
region = eu-west-1 ; inline

[profile a]
x = 1
# comment in a

[profile b]
y = 2"""


def test_put_section_appends_and_keeps_everything_else() -> None:
    out = put_section(TEXT, "profile c", "z = 3\n")
    assert out.startswith(TEXT + "\n")
    assert out.endswith("[profile c]\nz = 3\n")


def test_put_section_replaces_only_its_own_section() -> None:
    out = put_section(TEXT, "profile a", "x = 9\n")
    assert "[profile a]\nx = 9\n" in out
    assert "x = 1" not in out and "# comment in a" not in out
    assert out.startswith("# top comment\n[default]\nregion = eu-west-1 ; inline\n")
    assert out.endswith("[profile b]\ny = 2")
    assert section_body(out, "profile b") == "y = 2"
    assert section_body(out, "missing") is None


def test_redaction_masks_registered_secrets_and_jwts() -> None:
    redact.register_secret("hunter2-password")
    text = redact.redact("pw=hunter2-password tok=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln end")
    assert "hunter2" not in text and "eyJ" not in text
    assert text.count(redact.REDACTED) == 2
