"""The Windows layer, in this process, against the simulated Windows (``winsim``): the
cache and the settings judged by owner and DACL, what the tool creates made private,
replaces that meet sharing violations, the console, children and the browser."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cognito_credproc import platform
from cognito_credproc.cache import CacheDirError, FileCache
from cognito_credproc.config import load_profile
from cognito_credproc.errors import Aborted, ConfigError, ParentGone
from cognito_credproc.inifile import write_private
from cognito_credproc.parentwatch import ParentWatch
from cognito_credproc.platform import sddl
from cognito_credproc.platform.windows import (
    CREATE_NEW_PROCESS_GROUP,
    CREATE_NO_WINDOW,
    DETACHED_PROCESS,
    Windows,
    WindowsConsole,
)
from cognito_credproc.prompt import NoTerminal, get_password, get_totp, open_interaction
from cognito_credproc.signin.opener import open_browser

from .test_sddl import DRIVE_ROOT, LOCALAPPDATA, SECOND_DRIVE, SHARED_WITH_USERS
from .winsim import OTHER_SID_PREFIX, USER_SID, RecordedSleep, SimulatedWin32, simulate

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="the simulated Windows runs on Linux (O_PATH descriptors); Windows runs the real one",
)

KEY = "credentials-" + "a" * 32
ENTRY = {"AccessKeyId": "ASIAEXAMPLE", "Expiration": 1}
SETTINGS = (
    "[dev]\nuser_pool_id = us-east-1_AbCdEf123\napp_client_id = abc\n"
    "identity_pool_id = us-east-1:11111111-2222-3333-4444-555555555555\nusername = alice\n"
)
USERS = "BUILTIN\\Users (S-1-5-32-545)"
# A file Notepad saved in a folder of the user's own: its ACL inherited from there.
INHERITED_FILE = f"O:{USER_SID}D:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;FA;;;{USER_SID})"
USERS_MAY_CHANGE_FILE = f"O:{USER_SID}D:(A;;FA;;;{USER_SID})(A;;0x1301bf;;;BU)"


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatedWin32]:
    api = SimulatedWin32()
    simulate(api, monkeypatch.setattr)
    yield api
    platform.use(None)


def layer() -> Windows:
    current = platform.current()
    assert isinstance(current, Windows)
    return current


def local_app_data(windows: SimulatedWin32, home: Path) -> Path:
    """C:\\Users\\alice\\AppData\\Local as Windows makes it."""
    folder = home / "AppData" / "Local"
    folder.mkdir(parents=True)
    windows.set_sddl(folder, LOCALAPPDATA)
    return folder


# -- the cache and the settings --------------------------------------------------------------


def test_the_cache_and_settings_are_used_under_a_dacl_of_the_users_own(
    windows: SimulatedWin32, tmp_path: Path
) -> None:
    ours = local_app_data(windows, tmp_path) / "cognito-credproc"
    cache = FileCache(str(ours / "Cache"))
    cache[KEY] = ENTRY
    assert cache[KEY] == ENTRY
    assert os.stat(ours).st_mode == 0o40777  # what Windows says of every directory
    settings = ours / "config.ini"
    write_private(str(settings), SETTINGS)
    assert load_profile(str(settings), "dev", {}).username == "alice"
    # Saved by an editor instead: the folder's ACL, inherited.
    windows.set_sddl(settings, INHERITED_FILE)
    assert load_profile(str(settings), "dev", {}).username == "alice"


def test_the_cache_is_refused_when_users_may_write_to_it(
    windows: SimulatedWin32, tmp_path: Path
) -> None:
    cache = FileCache(str(local_app_data(windows, tmp_path) / "cognito-credproc"))
    cache[KEY] = ENTRY
    windows.set_sddl(cache.directory, SHARED_WITH_USERS)
    with pytest.raises(CacheDirError) as refused:
        cache.check_directory()
    assert refused.value.message == (
        f"cache directory {cache.directory} is writable by {USERS}, who could swap the cache"
    )
    assert refused.value.hint == (
        f'icacls "{cache.directory}" /inheritance:r /remove:g *S-1-5-32-545 '
        f'/grant:r "*{USER_SID}:(OI)(CI)F"'
    )
    assert cache.get(KEY) is None  # a refused directory is never read


def test_the_settings_are_refused_when_users_may_change_them(
    windows: SimulatedWin32, tmp_path: Path
) -> None:
    folder = local_app_data(windows, tmp_path) / "cognito-credproc"
    settings = folder / "config.ini"
    write_private(str(settings), SETTINGS)
    windows.set_sddl(settings, USERS_MAY_CHANGE_FILE)
    with pytest.raises(ConfigError) as refused:
        load_profile(str(settings), "dev", {})
    text = str(refused.value)
    assert f"config file {settings} is writable by {USERS}, who could change" in text
    assert f'next: icacls "{settings}" /inheritance:d /remove:g *S-1-5-32-545' in text
    windows.set_sddl(settings, INHERITED_FILE)
    windows.set_sddl(folder, SHARED_WITH_USERS)  # they could rename the file away
    with pytest.raises(ConfigError, match=r"config directory .* is writable by BUILTIN\\Users"):
        load_profile(str(settings), "dev", {})


def test_a_cache_entry_others_may_change_is_a_miss(windows: SimulatedWin32, tmp_path: Path) -> None:
    cache = FileCache(str(tmp_path / "cache"))
    cache[KEY] = ENTRY
    entry = Path(cache.path(KEY))
    windows.set_sddl(entry, USERS_MAY_CHANGE_FILE)
    assert cache.get(KEY) is None
    windows.set_sddl(entry, f"O:{OTHER_SID_PREFIX}1002D:P(A;;FA;;;{USER_SID})")
    assert cache.get(KEY) is None
    windows.set_sddl(entry, INHERITED_FILE)
    assert cache.get(KEY) == ENTRY


def test_a_directory_above_is_refused_only_when_others_may_rename_in_it(
    windows: SimulatedWin32, tmp_path: Path
) -> None:
    drive = tmp_path / "D"
    tools = drive / "tools"
    tools.mkdir(parents=True)
    windows.set_sddl(drive, DRIVE_ROOT)  # everyone may add folders, as on C:\
    cache = FileCache(str(tools / "cache"))
    cache[KEY] = ENTRY
    windows.set_sddl(tools, SECOND_DRIVE)  # Authenticated Users may change (and rename) it
    with pytest.raises(CacheDirError) as refused:
        cache.check_directory()
    assert refused.value.message == (
        f"directory {tools} above the cache is writable by NT AUTHORITY\\Authenticated Users "
        "(S-1-5-11), who could swap the cache"
    )
    assert (
        refused.value.hint is not None
        and "/inheritance:d /remove:g *S-1-5-11" in refused.value.hint
    )


def test_another_users_directory_is_named(windows: SimulatedWin32, tmp_path: Path) -> None:
    cache = FileCache(str(tmp_path / "cache"))
    cache[KEY] = ENTRY
    other = OTHER_SID_PREFIX + "1002"
    windows.set_sddl(cache.directory, f"O:{other}D:P(A;OICI;FA;;;{other})(A;OICI;FA;;;{USER_SID})")
    with pytest.raises(CacheDirError) as refused:
        cache.check_directory()
    assert refused.value.message == (
        f"cache directory {cache.directory} belongs to DESKTOP-SIM\\mallory ({other})"
    )


def test_links_are_followed_only_where_nobody_else_can_change_them(
    windows: SimulatedWin32, tmp_path: Path
) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "junction").symlink_to(real)
    with pytest.raises(CacheDirError, match="is a symbolic link"):
        FileCache(str(tmp_path / "junction")).check_directory()
    cache = FileCache(str(tmp_path / "junction" / "cache"))
    cache[KEY] = ENTRY  # the user's own link above: followed
    assert (real / "cache" / f"{KEY}.json").exists()
    windows.set_sddl(tmp_path / "junction", f"O:{USER_SID}D:(A;;FA;;;WD)")
    with pytest.raises(CacheDirError, match="is writable by Everyone"):
        cache.check_directory()


def test_what_the_tool_makes_is_the_users_alone(windows: SimulatedWin32, tmp_path: Path) -> None:
    cache = FileCache(str(tmp_path / "made" / "cache"))
    cache[KEY] = ENTRY
    mine = f"O:{USER_SID}D:P(A;OICI;FA;;;{USER_SID})"
    for made in (tmp_path / "made", tmp_path / "made" / "cache"):
        fd = os.open(made, os.O_RDONLY)
        try:
            assert windows.security(fd) == mine
        finally:
            os.close(fd)
    fd = os.open(cache.path(KEY), os.O_RDONLY)
    try:
        assert windows.security(fd) == f"O:{USER_SID}D:P(A;;FA;;;{USER_SID})"
    finally:
        os.close(fd)


def test_a_file_that_need_not_be_private_gets_its_folders_acl(
    windows: SimulatedWin32, tmp_path: Path
) -> None:
    aws = tmp_path / "aws"
    aws.mkdir(mode=0o755)
    aws.chmod(0o755)
    config = aws / "config"
    config.write_text("[default]\n")
    write_private(str(config), "[default]\nregion = eu-west-1\n")  # keeps its (inherited) ACL
    fd = os.open(config, os.O_RDONLY)
    try:
        assert sddl.holders(sddl.parse(windows.security(fd)), USER_SID, sddl.READ_RIGHTS)
    finally:
        os.close(fd)
    assert layer().readable_by_others(str(config), directory=False) == (
        "BUILTIN\\Users (S-1-5-32-545) and Everyone (S-1-1-0) can read it"
    )
    write_private(str(config), "[default]\n", private=True)
    assert layer().readable_by_others(str(config), directory=False) is None


# -- replacing a file another program has open -----------------------------------------------


def test_a_replace_that_meets_two_sharing_violations_is_tried_again(
    windows: SimulatedWin32, tmp_path: Path
) -> None:
    cache = FileCache(str(tmp_path / "cache"))
    cache[KEY] = ENTRY
    windows.replace_failures = [32, 5]  # ERROR_SHARING_VIOLATION, ERROR_ACCESS_DENIED
    cache[KEY] = {**ENTRY, "Expiration": 2}
    assert cache[KEY]["Expiration"] == 2
    sleep = layer().sleep
    assert isinstance(sleep, RecordedSleep) and sleep.waits == [0.01, 0.02]
    assert not [p for p in os.listdir(cache.directory) if p.startswith(".tmp-")]


def test_a_replace_that_never_gets_through_is_a_clear_error_and_keeps_the_old_entry(
    windows: SimulatedWin32, tmp_path: Path
) -> None:
    cache = FileCache(str(tmp_path / "cache"))
    cache[KEY] = ENTRY
    windows.replaces = 0
    windows.replace_failures = [32] * 20
    with pytest.raises(CacheDirError) as failed:
        cache[KEY] = {**ENTRY, "Expiration": 2}
    assert failed.value.message == (
        f"cannot write to the cache directory {cache.directory}: another program has "
        f"{KEY}.json open (WinError 32, tried 10 times)"
    )
    assert failed.value.hint is not None and "close what holds its files open" in failed.value.hint
    assert cache[KEY] == ENTRY
    assert windows.replaces == 10
    assert not [p for p in os.listdir(cache.directory) if p.startswith(".tmp-")]


def test_other_refusals_are_not_tried_again(windows: SimulatedWin32, tmp_path: Path) -> None:
    cache = FileCache(str(tmp_path / "cache"))
    cache[KEY] = ENTRY
    windows.replace_failures = [1314]  # ERROR_PRIVILEGE_NOT_HELD
    with pytest.raises(CacheDirError, match="cannot write to the cache directory"):
        cache[KEY] = ENTRY
    assert windows.replaces == 2


# -- the console -----------------------------------------------------------------------------


def profile_with(tmp_path: Path, extra: str = "") -> object:
    settings = tmp_path / "config.ini"
    write_private(str(settings), SETTINGS + extra)
    return load_profile(str(settings), "dev", {})


def test_a_password_and_a_code_typed_on_the_console(
    windows: SimulatedWin32, tmp_path: Path
) -> None:
    profile = profile_with(tmp_path)
    # A typo taken back, and an arrow key (two codes) that is not part of the answer.
    windows.keys = list("hunter3\x08\x082\xe0K\r12\x0834\x00;56\r")
    console = open_interaction("dev")
    assert isinstance(console, WindowsConsole)
    assert get_password(profile, console, {}) == "hunte2"  # type: ignore[arg-type]
    assert get_totp(profile, console, "Authenticator app code for alice: ") == "13456"  # type: ignore[arg-type]
    shown = "".join(windows.shown)
    assert shown.startswith("Password for alice (profile dev): \r\n")  # the password not echoed
    assert "hunte" not in shown
    assert "Authenticator app code for alice: 12\b \b3456\r\n" in shown  # the code is


@pytest.mark.parametrize("interrupt", ["key", "signal"])
def test_ctrl_c_at_the_console_aborts_with_130(
    windows: SimulatedWin32, interrupt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    console = WindowsConsole(windows, ParentWatch(4242, lambda: 4242), sleep=lambda _s: None)
    if interrupt == "key":
        windows.keys = list("abc\x03def\r")  # read as a key while getwch has the console
    else:
        windows.keys = list("abc")

        def ctrl_c_event(_seconds: float) -> None:  # the console's Ctrl-C between keys
            raise KeyboardInterrupt

        console.sleep = ctrl_c_event
    with pytest.raises(Aborted) as aborted:
        console.ask("Password: ", secret=True)
    assert aborted.value.exit_code == 130
    assert str(aborted.value) == "interrupted at a prompt; nothing was changed"


def test_ctrl_break_at_a_prompt_interrupts_instead_of_killing(
    windows: SimulatedWin32, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signal, "SIGBREAK", signal.SIGUSR1, raising=False)
    console = WindowsConsole(windows, ParentWatch(4242, lambda: 4242))
    console.sleep = lambda _s: signal.raise_signal(signal.SIGUSR1)
    with pytest.raises(Aborted):
        console.ask("Code: ")
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL  # put back


def test_an_orphaned_prompt_stops_waiting(windows: SimulatedWin32) -> None:
    parent = iter([4242, 4242, 1])
    clock = iter(range(100))
    console = WindowsConsole(
        windows,
        ParentWatch(4242, lambda: next(parent)),
        sleep=lambda _s: None,
        clock=lambda: float(next(clock)),
    )
    with pytest.raises(ParentGone):
        console.ask("Code: ")
    assert "no answer is needed any more" in "".join(windows.shown)


def test_no_console_fails_at_once_with_the_login_advice(
    windows: SimulatedWin32, tmp_path: Path
) -> None:
    windows.console_attached = False  # started by a GUI program (an IDE)
    interaction = open_interaction("dev")
    assert isinstance(interaction, NoTerminal)
    from cognito_credproc.errors import SignInRequired

    with pytest.raises(SignInRequired) as refused:
        get_password(profile_with(tmp_path), interaction, {})  # type: ignore[arg-type]
    assert str(refused.value).endswith(
        "\n  run: cognito-credproc login --profile dev (or set password_command)"
    )


# -- processes, signals, the browser ---------------------------------------------------------


def test_processes_started_in_the_background_get_no_console(
    windows: SimulatedWin32, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    from cognito_credproc.background import start_background_refresh
    from cognito_credproc.processline import run_like_botocore

    started: list[dict[str, object]] = []
    monkeypatch.setattr(subprocess, "Popen", lambda argv, **kwargs: started.append(kwargs))
    start_background_refresh(None, "dev")
    assert windows.creation_flags == [DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP]
    assert started[0]["start_new_session"] is True  # what the simulation made of the flags
    monkeypatch.undo()
    simulate(windows, monkeypatch.setattr)
    done = run_like_botocore([sys.executable, "-c", "print('ok')"])
    assert done.stdout == "ok\n"
    assert windows.creation_flags[-1] == CREATE_NO_WINDOW


def test_windows_exit_codes_pass_on_signed(windows: SimulatedWin32) -> None:
    assert layer().exit_status(7) == 7
    # STATUS_CONTROL_C_EXIT: what ExitProcess gets back from sys.exit on every Python
    assert layer().exit_status(0xC000013A) == 0xC000013A - (1 << 32)
    assert layer().exit_status(0xC000013A) & 0xFFFFFFFF == 0xC000013A


def test_exec_waits_out_a_ctrl_c_the_console_gave_the_command_too(
    windows: SimulatedWin32, tmp_path: Path
) -> None:
    # The command gets Ctrl-C from the console itself; the tool must not die before it,
    # nor send it a second one, and returns its exit status.
    script = "import os, signal, sys; os.kill(os.getppid(), signal.SIGINT); sys.exit(3)"
    assert layer().run_command([sys.executable, "-c", script], dict(os.environ)) == 3


def test_the_parent_watch_asks_windows_about_the_parent(
    windows: SimulatedWin32, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []

    def gone(pid: int) -> bool:
        asked.append(pid)
        return pid == 7

    monkeypatch.setattr(windows, "process_gone", gone)
    assert not ParentWatch(4242).gone()
    assert ParentWatch(7).gone()
    assert asked == [4242, 7]


def test_the_default_browser_is_started_by_windows_without_the_password(
    windows: SimulatedWin32, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str | None] = []
    monkeypatch.setenv("COGNITO_CREDPROC_PASSWORD", "Correct-Horse-9-battery")
    monkeypatch.setattr(
        windows, "start_file", lambda url: seen.append(os.environ.get("COGNITO_CREDPROC_PASSWORD"))
    )
    launch = open_browser("https://login.example.com/oauth2/authorize?x=1", {})
    assert launch.done.is_set() and launch.opened
    assert seen == [None]  # taken out while the browser starts...
    assert os.environ["COGNITO_CREDPROC_PASSWORD"] == "Correct-Horse-9-battery"  # ...and back
    refused = open_browser("C:\\Windows\\System32\\calc.exe", {})
    assert refused.failed and seen == [None]


def test_every_run_of_a_stock_windows_profile_keeps_its_cache(
    windows: SimulatedWin32, tmp_path: Path
) -> None:
    """What every run met before (mode 0o40777 read as 'writable by others'): ten runs,
    one entry, read back each time."""
    cache = FileCache(str(local_app_data(windows, tmp_path) / "cognito-credproc" / "Cache"))
    for run in range(10):
        cache[KEY] = {**ENTRY, "Expiration": run}
        assert json.loads(Path(cache.path(KEY)).read_text())["Expiration"] == run
        assert FileCache(cache.directory)[KEY]["Expiration"] == run


def test_the_console_script_is_found_as_pip_installs_it_on_windows(
    windows: SimulatedWin32, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cognito_credproc.launch import console_script

    python = tmp_path / "Python312"
    scripts = python / "Scripts"
    scripts.mkdir(parents=True)
    exe = scripts / "cognito-credproc.exe"
    exe.write_bytes(b"MZ")
    exe.chmod(0o755)
    # pip's launcher puts its own path in argv[0], without ".exe"
    monkeypatch.setattr(sys, "argv", [str(scripts / "cognito-credproc"), "configure"])
    assert console_script() == str(exe)
    # started some other way: a system-wide Python keeps scripts in Scripts beside it
    monkeypatch.setattr(sys, "argv", ["-c"])
    monkeypatch.setattr(sys, "executable", str(python / "python.exe"))
    assert console_script() == str(exe)


def test_the_sign_in_listener_keeps_its_port_to_itself_on_windows(
    windows: SimulatedWin32,
) -> None:
    # SO_REUSEADDR on Windows would let another program bind the port beside it.
    from cognito_credproc.signin.loopback import Listener

    listener = Listener("http://127.0.0.1:0/callback")
    listener.start()
    try:
        servers = listener._servers
        assert servers and all(not server.allow_reuse_address for server in servers)
    finally:
        listener.close()
    platform.use(None)
    posix = Listener("http://127.0.0.1:0/callback")
    posix.start()
    try:
        assert all(server.allow_reuse_address for server in posix._servers)
    finally:
        posix.close()


def test_a_countdown_is_redrawn_in_place_without_escape_sequences(
    windows: SimulatedWin32,
) -> None:
    console = WindowsConsole(windows)
    console.status("waiting for the browser: 50 s")
    console.status("waiting: 9 s")
    console.status("")
    assert windows.shown == [
        "\rwaiting for the browser: 50 s\rwaiting for the browser: 50 s",
        "\rwaiting: 9 s" + " " * 17 + "\rwaiting: 9 s",
        "\r" + " " * 12 + "\r",
    ]
    assert "\x1b" not in "".join(windows.shown)


def test_the_aws_profiles_line_is_split_by_windows_rules(windows: SimulatedWin32) -> None:
    from cognito_credproc.awsprofile import split_command_line

    line = r"C:\tools\cognito-credproc.exe --profile dev"
    assert split_command_line(line) == [r"C:\tools\cognito-credproc.exe", "--profile", "dev"]
    platform.use(None)
    assert split_command_line(line) == ["C:toolscognito-credproc.exe", "--profile", "dev"]


def test_the_endpoint_waits_on_no_more_sockets_than_select_watches_there(
    windows: SimulatedWin32,
) -> None:
    # select() on Windows watches at most 512 sockets; the endpoint keeps half for the
    # connections still sending their request
    from cognito_credproc.endpoint import pending_limit

    assert pending_limit() == 256
