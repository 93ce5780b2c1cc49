"""The settings table is the one description of every key: config.example.ini and the
README list exactly its keys, and the example is itself a valid settings file."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from cognito_credproc.config import load_profile
from cognito_credproc.settings import SETTINGS

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.ini"
README = Path(__file__).resolve().parent.parent / "README.md"
KEYS = {setting.name for setting in SETTINGS}


def test_example_loads() -> None:
    profile = load_profile(str(EXAMPLE), "dev", {})
    assert profile.region == "eu-west-1"


def test_the_example_lists_exactly_the_table_keys() -> None:
    text = EXAMPLE.read_text()
    mentioned = set(re.findall(r"^#?\s*([a-z_]+)\s*=", text, flags=re.MULTILINE))
    assert mentioned == KEYS, (sorted(KEYS - mentioned), sorted(mentioned - KEYS))


def readme_settings_keys() -> set[str]:
    """The first column of the table under the README's "## Settings" heading."""
    section = README.read_text().split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))


def test_the_readme_settings_table_lists_exactly_the_table_keys() -> None:
    listed = readme_settings_keys()
    assert listed == KEYS, (sorted(KEYS - listed), sorted(listed - KEYS))


def test_example_has_no_unknown_keys() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(EXAMPLE)
    assert parser.sections()
    for section in parser.sections():
        assert set(parser[section]) <= KEYS
