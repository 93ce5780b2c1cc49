"""The cache hit stays cheap: what it may import (beyond starting Python), the plain run's
flags read without argparse, and the default directories found without platformdirs,
which stays the source of truth."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import platformdirs
import pytest

from cognito_credproc import configfile
from cognito_credproc.arguments import build_parser
from cognito_credproc.cli import plain_run_args
from cognito_credproc.config import sha256
from cognito_credproc.configfile import APP_NAME, user_dir
from cognito_credproc.platform import current

from .conftest import Cognito, Workspace, parse_output, run_python

ROOT = Path(__file__).resolve().parent.parent

# Everything a cache hit may import once Python has started, and nothing else. The
# standard library that configparser, json and re bring (names of 3.10 to 3.13), the
# interpreter's own SHA-256, and this package's light modules.
MAY_IMPORT = frozenset(
    {
        # re, and what it brings (functools, collections, enum)
        *("re", "re._casefix", "re._compiler", "re._constants", "re._parser"),
        *("sre_compile", "sre_constants", "sre_parse", "_sre", "copyreg", "enum", "types"),
        *("functools", "_functools", "collections", "_collections", "collections.abc"),
        *("itertools", "keyword", "operator", "_operator", "reprlib", "_weakrefset"),
        # reading the settings and the cache entry, printing the JSON
        *("configparser", "warnings", "json", "json.decoder", "json.encoder", "json.scanner"),
        *("_json", "__future__", "errno"),
        *("_sha256", "_sha2"),  # SHA-256 without OpenSSL (3.10-3.11, 3.12+)
        *("cognito_credproc", "cognito_credproc.cli", "cognito_credproc.config"),
        "cognito_credproc.configfile",
        *("cognito_credproc.settings", "cognito_credproc.errors", "cognito_credproc._record"),
        *("cognito_credproc.cache", "cognito_credproc.store", "cognito_credproc.credentials"),
        *("cognito_credproc.output", "cognito_credproc.safepath"),
        # what differs by system: on POSIX, this and nothing heavy (no ctypes)
        *("cognito_credproc.platform", "cognito_credproc.platform.posix"),
        "cognito_credproc.platform.macos",  # on macOS
    }
)
# Named, so that a failure says which costly import came back.
MUST_NOT_IMPORT = (
    *("argparse", "gettext", "locale", "shutil", "platformdirs", "pathlib", "tempfile"),
    *("typing", "dataclasses", "logging", "contextlib", "hashlib", "_hashlib", "subprocess"),
    *("boto3", "botocore", "filelock", "keyring", "select", "ctypes"),
)


def imports(code: str, env: dict[str, str]) -> tuple[set[str], str]:
    """Modules imported by ``code`` beyond Python's own start-up, and its stdout. Run
    with -S (no site-packages, no .pth hooks): the hit needs none, and an editable
    install's hook would import pathlib and contextlib before we could see them."""
    prelude = f"import site, sys; sys.path.insert(0, {str(ROOT)!r})\n"

    def loaded(source: str) -> tuple[set[str], str]:
        done = run_python(["-S", "-X", "importtime", "-c", prelude + source], env)
        assert done.returncode == 0, done.stderr[-2000:]
        lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
        return {line.split("|")[-1].strip() for line in lines[1:]}, done.stdout

    before, _ = loaded("")
    after, stdout = loaded(code)
    return after - before, stdout


def run_main(*argv: str) -> str:
    return f"from cognito_credproc.cli import main; sys.exit(main({list(argv)!r}))"


@pytest.mark.integration
@pytest.mark.parametrize("xdg", ["set", "unset"])
def test_the_cache_hit_imports_only_what_it_may(ws: Workspace, cognito: Cognito, xdg: str) -> None:
    # The default settings file and cache directory: no COGNITO_CREDPROC_* variables,
    # XDG_* variables as the test home sets them, or none (then HOME decides).
    env = {**ws.env, "COGNITO_CREDPROC_CONFIG": "", "COGNITO_CREDPROC_CACHE_DIR": ""}
    if xdg == "unset":
        env = {k: v for k, v in env.items() if not k.startswith("XDG_")}
    home = Path(env["HOME"])
    settings = Path(env.get("XDG_CONFIG_HOME", home / ".config")) / APP_NAME
    settings.mkdir(parents=True, mode=0o700)
    (settings / "config.ini").write_text(cognito.profile_section("dev"))
    first = run_python(["-m", "cognito_credproc", "--profile", "dev"], env | _password(cognito))
    assert first.returncode == 0, first.stderr
    cache = Path(env.get("XDG_CACHE_HOME", home / ".cache")) / APP_NAME
    assert list(cache.glob("credentials-*.json"))  # the default cache directory

    extra, stdout = imports(run_main("--profile", "dev"), env)
    assert parse_output(stdout) == parse_output(first.stdout)  # a cache hit
    assert "cognito_credproc.store" in extra  # the measurement sees our imports...
    assert sorted(set(MUST_NOT_IMPORT) & extra) == []
    assert sorted(extra - MAY_IMPORT) == []
    # ...and would see argparse if the plain run built the full parser
    helped, _ = imports(run_main("--help"), env)
    assert {"argparse", "cognito_credproc.settings"} <= helped


def _password(cognito: Cognito) -> dict[str, str]:
    return {"COGNITO_CREDPROC_PASSWORD": cognito.password}


# -- the plain run's flags -----------------------------------------------------------------

PLAIN = [
    [],
    ["credentials"],
    ["--profile", "dev"],
    ["-p", "dev"],
    ["--profile=dev"],
    ["--config", "/etc/x.ini", "--profile", "dev", "--debug"],
    ["--config=/etc/x y.ini", "credentials", "-p", "ops"],
    ["--profile", "a", "credentials", "--profile", "b"],
    ["credentials", "--debug", "--config", "c.ini"],
    ["--profile", "credentials"],
    ["--debug", "--debug", "-p", "x", "-p", "y"],
]
NOT_PLAIN = [
    ["--help"],
    ["-h"],
    ["--version"],
    ["status"],
    ["login", "--profile", "dev"],
    ["credentials", "credentials"],
    ["--prof", "dev"],  # argparse's abbreviations: left to argparse
    ["-pdev"],
    ["-p=dev"],
    ["--profile"],
    ["--profile", "-x"],
    ["--profile="],
    ["--profile", ""],
    ["--debug=1"],
    ["--", "x"],
    ["credentials", "--json"],
    ["background-refresh", "--all"],
    ["--profile", "dev", "background-refresh"],
]


@pytest.mark.parametrize("argv", PLAIN, ids=repr)
def test_the_plain_run_reads_its_flags_as_argparse_would(argv: list[str]) -> None:
    plain = plain_run_args(argv)
    assert plain is not None
    full = build_parser().parse_args(argv)
    for name in ("command", "profile", "config", "debug"):
        assert getattr(plain, name) == getattr(full, name), name


@pytest.mark.parametrize("argv", NOT_PLAIN, ids=repr)
def test_everything_else_goes_to_the_full_parser(argv: list[str]) -> None:
    assert plain_run_args(argv) is None


def test_the_internal_command_takes_the_plain_flags() -> None:
    plain = plain_run_args(["background-refresh", "--profile", "dev", "--config", "/c.ini"])
    assert plain is not None
    assert (plain.command, plain.profile, plain.config) == ("background-refresh", "dev", "/c.ini")


# -- the default directories ----------------------------------------------------------------

ENVIRONMENTS = [
    {"XDG_CONFIG_HOME": "/srv/conf", "XDG_CACHE_HOME": "/srv/cache", "HOME": "/home/a"},
    {"HOME": "/home/a"},
    {"HOME": "/home/a/", "XDG_CONFIG_HOME": "", "XDG_CACHE_HOME": ""},
    {"HOME": "/", "XDG_CACHE_HOME": "/var/tmp/c/"},
    {"HOME": "/home/a", "XDG_CONFIG_HOME": "relative", "XDG_CACHE_HOME": "rel/cache"},
    {"HOME": "/home/a", "XDG_CONFIG_HOME": " /srv/conf", "XDG_CACHE_HOME": "/srv/c "},
    {"HOME": "/home/a", "ANDROID_DATA": "/data", "ANDROID_ROOT": "/system"},
]


@pytest.mark.parametrize("environment", ENVIRONMENTS, ids=repr)
@pytest.mark.parametrize("kind", ["config", "cache"])
def test_default_directories_agree_with_platformdirs(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], kind: str
) -> None:
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "ANDROID_DATA", "ANDROID_ROOT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    get = platformdirs.user_config_dir if kind == "config" else platformdirs.user_cache_dir
    truth = get(APP_NAME, appauthor=False)
    fast = current().plain_user_dir(kind, APP_NAME)
    if sys.platform.startswith("linux"):
        plain = all(v == v.strip() for v in environment.values()) and not any(
            k.startswith("ANDROID") or (k.startswith("XDG") and v and not v.startswith("/"))
            for k, v in environment.items()
        )
        assert (fast is not None) == plain  # worked out here where it is plain...
    if fast is not None:
        assert fast == truth
    assert user_dir(kind) == truth  # ...and platformdirs answers the rest


def test_platformdirs_is_not_imported_for_a_plain_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the directories are worked out without platformdirs on Linux only")
    monkeypatch.setenv("HOME", "/home/a")
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "ANDROID_DATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(sys.modules, "platformdirs", None)  # importing it now fails
    assert user_dir("cache") == "/home/a/.cache/cognito-credproc"
    assert configfile.default_config_path() == "/home/a/.config/cognito-credproc/config.ini"


def test_the_builtin_sha256_is_sha256() -> None:
    for data in (b"", b"abc", bytes(range(256)) * 40):
        assert sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_byte_order_mark_is_not_part_of_the_first_line(tmp_path: Path) -> None:
    from cognito_credproc.config import load_profile
    from cognito_credproc.errors import ConfigError

    settings = tmp_path / "config.ini"
    section = "[dev]\nidentity_pool_id = us-east-1:00000000-0000-0000-0000-000000000001\n"
    settings.write_bytes(b"\xef\xbb\xbf" + (section + "unauthenticated = true\n").encode())
    settings.chmod(0o600)
    assert load_profile(str(settings), "dev", {}).unauthenticated
    settings.write_bytes(b"\xef\xbb\xbf" + section.encode() + b"username = \xff\n")
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_profile(str(settings), "dev", {})


@pytest.mark.integration
def test_the_plain_run_skips_the_interpreters_teardown_and_nothing_else_does(
    ws: Workspace, cognito: Cognito
) -> None:
    ws.write_config(cognito.profile_section("dev"))
    env = {**ws.env, **_password(cognito)}
    # An atexit hook stands for the teardown: it runs only if the process exits normally.
    entry = "import atexit, sys; atexit.register(print, 'teardown', file=sys.stderr)\n"
    entry += "from cognito_credproc.cli import run; run()\n"

    def via_run(*argv: str) -> tuple[int, str, str]:
        done = run_python(["-c", entry, *argv], env)
        return done.returncode, done.stdout, done.stderr

    code, out, err = via_run("--profile", "dev")  # sign-in, then the cache hit
    assert (code, err) == (0, "")
    assert parse_output(out)["AccessKeyId"]
    code, again, err = via_run("--profile", "dev")
    assert (code, err) == (0, "") and parse_output(again) == parse_output(out)
    code, _, err = via_run("--profile", "nosuch")  # a failing plain run: its message stays
    assert code == 2 and err.startswith("cognito-credproc: ") and "teardown" not in err
    code, out, err = via_run("status", "--profile", "dev")  # another command: the usual exit
    assert code == 0 and err.endswith("teardown\n")
