"""The macOS layer, run here: platformdirs' ~/Library directories worked out without
platformdirs (so a cache hit stays cheap there too), and the browser opened with
``open``, which gets neither our streams nor the password."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import platformdirs.macos
import pytest

from cognito_credproc import platform
from cognito_credproc.configfile import APP_NAME, default_config_path, user_dir
from cognito_credproc.platform.macos import MacOS
from cognito_credproc.signin.opener import browser_available, open_browser

HOMES = ["/Users/alice", "/Users/alice/", "/var/root", "/Users/First Last"]


@pytest.fixture
def macos() -> Iterator[MacOS]:
    layer = MacOS()
    platform.use(layer)
    yield layer
    platform.use(None)


@pytest.mark.parametrize("xdg", [None, "", "/elsewhere", "relative"])
@pytest.mark.parametrize("home", HOMES)
@pytest.mark.parametrize("kind", ["config", "cache"])
def test_the_library_directories_agree_with_platformdirs(
    monkeypatch: pytest.MonkeyPatch, macos: MacOS, home: str, kind: str, xdg: str | None
) -> None:
    monkeypatch.setenv("HOME", home)
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        if xdg is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, xdg)
    truth = platformdirs.macos.MacOS(APP_NAME, appauthor=False)
    wanted = truth.user_config_dir if kind == "config" else truth.user_cache_dir
    fast = macos.plain_user_dir(kind, APP_NAME)
    assert (fast is not None) == (not xdg)  # worked out here unless an XDG variable is set
    if fast is not None:
        assert fast == wanted
        assert user_dir(kind) == wanted
    elif sys.platform == "darwin":
        assert user_dir(kind) == wanted  # ...and platformdirs answers the rest


def test_platformdirs_is_not_imported_for_them(
    monkeypatch: pytest.MonkeyPatch, macos: MacOS
) -> None:
    monkeypatch.setenv("HOME", "/Users/alice")
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(sys.modules, "platformdirs", None)  # importing it now fails
    assert user_dir("cache") == "/Users/alice/Library/Caches/cognito-credproc"
    assert default_config_path() == (
        "/Users/alice/Library/Application Support/cognito-credproc/config.ini"
    )


@pytest.mark.parametrize("home", ["", "relative/home", " /Users/alice"])
def test_an_unusual_home_is_left_to_platformdirs(
    monkeypatch: pytest.MonkeyPatch, macos: MacOS, home: str
) -> None:
    monkeypatch.setenv("HOME", home)
    assert macos.plain_user_dir("cache", APP_NAME) is None


def recording_open(tmp_path: Path, status: int = 0) -> tuple[Path, Path]:
    """A stand-in for /usr/bin/open that records its arguments and environment."""
    record = tmp_path / "open.json"
    script = tmp_path / "open"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"open({str(record)!r}, 'w').write(json.dumps([sys.argv[1:], dict(os.environ)]))\n"
        f"sys.exit({status})\n"
    )
    script.chmod(0o755)
    return script, record


@pytest.mark.skipif(sys.platform == "win32", reason="runs a #! script")
def test_the_browser_is_opened_with_open_and_without_the_password(
    monkeypatch: pytest.MonkeyPatch, macos: MacOS, tmp_path: Path
) -> None:
    script, record = recording_open(tmp_path)
    macos.open_command = str(script)
    environ = {"PATH": os.environ.get("PATH", ""), "COGNITO_CREDPROC_PASSWORD": "Correct-Horse-9"}
    assert browser_available({})  # no DISPLAY needed there
    url = "https://login.example.com/oauth2/authorize?a=1&b=2"
    launch = open_browser(url, environ)
    assert launch.done.wait(30)
    assert launch.opened and not launch.failed
    argv, env = json.loads(record.read_text())
    assert argv == [url]
    assert "COGNITO_CREDPROC_PASSWORD" not in env


@pytest.mark.skipif(sys.platform == "win32", reason="runs a #! script")
def test_an_open_that_fails_is_reported(macos: MacOS, tmp_path: Path) -> None:
    script, _ = recording_open(tmp_path, status=1)
    macos.open_command = str(script)
    launch = open_browser("https://login.example.com/", {})
    assert launch.done.wait(30)
    assert launch.failed
    assert launch.reason == f"{script} exited with 1"
    macos.open_command = str(tmp_path / "missing")
    gone = open_browser("https://login.example.com/", {})
    assert gone.failed and gone.reason.startswith(f"{tmp_path / 'missing'} failed: ")
