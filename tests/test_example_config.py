"""config.example.ini documents every key and is itself a valid settings file."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from cognito_credproc.config import KNOWN_KEYS, load_profile

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.ini"
README = Path(__file__).resolve().parent.parent / "README.md"


def test_example_loads() -> None:
    profile = load_profile(str(EXAMPLE), "dev", {})
    assert profile.region == "eu-west-1"


def test_every_key_is_documented_in_the_example_and_the_readme() -> None:
    text = EXAMPLE.read_text()
    mentioned = set(re.findall(r"^#?\s*([a-z_]+)\s*=", text, flags=re.MULTILINE))
    assert mentioned >= KNOWN_KEYS, KNOWN_KEYS - mentioned
    readme = README.read_text()
    missing = {key for key in KNOWN_KEYS if f"`{key}`" not in readme}
    assert not missing


def test_example_has_no_unknown_keys() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(EXAMPLE)
    for section in parser.sections():
        assert set(parser[section]) <= KNOWN_KEYS
