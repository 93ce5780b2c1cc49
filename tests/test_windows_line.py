"""The credential_process line on Windows: read by botocore's split and by ``cmd.exe /C``
as the Go SDK starts it (``tests.cmdexe``, written from the documented rules). Paths
as Windows spells them; pure string work, so it runs anywhere."""

from __future__ import annotations

import ntpath

import pytest
from botocore.compat import compat_shell_split

from cognito_credproc.platform.windows import Windows, cmd_safe, escape_like_go, shorten

from .cmdexe import CmdFailure, c_runtime_split, cmd_c, go_command_line, go_escape
from .winsim import SimulatedWin32

INSTALLED = r"C:\Users\First Last\AppData\Local\Programs\Python\Python312\Scripts"
SCRIPT = INSTALLED + r"\cognito-credproc.exe"
SHORT_NAMES = {
    r"C:\Users\First Last": r"C:\Users\FIRSTL~1",
    r"C:\Program Files": r"C:\PROGRA~1",
    r"C:\Program Files (x86)": r"C:\PROGRA~2",
    r"D:\R&D tools": r"D:\RDTOOL~1",
}
PROGRAMS = {SCRIPT, r"C:\PROGRA~2\Amazon\helper.exe", r"C:\tools\cognito-credproc.exe"}


def short_path(path: str) -> str:
    """GetShortPathNameW over a few folders that have 8.3 names (the rest have none)."""
    for long, short in SHORT_NAMES.items():
        if path == long or path.startswith(long + "\\"):
            return short + path[len(long) :]
    return path


def is_program(path: str) -> bool:
    for long, short in SHORT_NAMES.items():
        if path.startswith(short + "\\"):
            path = long + path[len(short) :]
    return path in PROGRAMS


def through_cmd(line: str) -> list[str]:
    """What the program gets when the Go SDK runs ``line`` (cmd.exe /C, Go's quoting)."""
    return cmd_c(go_command_line(["cmd.exe", "/C", line]), is_program=is_program, environ={})


# -- the fake's own rules, from their documentation -----------------------------------------


@pytest.mark.parametrize(
    ("command_line", "argv"),
    [
        # "Parsing C command-line arguments", Microsoft C runtime documentation
        ('p "a b c" d e', ["p", "a b c", "d", "e"]),
        (r'p "ab\"c" "\\" d', ["p", 'ab"c', "\\", "d"]),
        (r'p a\\\b d"e f"g h', ["p", r"a\\\b", "de fg", "h"]),
        (r"p a\\\"b c d", ["p", r"a\"b", "c", "d"]),
        (r'p a\\\\"b c" d e', ["p", r"a\\b c", "d", "e"]),
        ('p a"b"" c d', ["p", 'ab" c d']),
        # argv[0] knows no backslash rules
        (r'"C:\Program Files\x.exe" a', [r"C:\Program Files\x.exe", "a"]),
    ],
)
def test_the_c_runtime_splits_as_documented(command_line: str, argv: list[str]) -> None:
    assert c_runtime_split(command_line) == argv


@pytest.mark.parametrize(
    ("argument", "quoted"),
    [
        ("plain", "plain"),
        ("", '""'),
        ("two words", '"two words"'),
        (r"C:\x\y", r"C:\x\y"),
        (r"C:\a b\\", '"C:\\a b\\\\\\\\"'),
        ('say "hi"', r'"say \"hi\""'),
        (r'"C:\a b\x.exe" -p dev', r'"\"C:\a b\x.exe\" -p dev"'),
    ],
)
def test_arguments_are_quoted_as_go_quotes_them(argument: str, quoted: str) -> None:
    assert go_escape(argument) == quoted
    assert escape_like_go(argument) == quoted  # the tool's own copy, for doctor
    assert c_runtime_split("p " + quoted)[1] == argument  # and they come back whole


def test_cmd_keeps_the_quotes_of_a_lone_quoted_program_name() -> None:
    command = rf'cmd.exe /C "{SCRIPT}"'
    assert cmd_c(command, is_program=is_program, environ={}) == [SCRIPT]


def test_cmd_expands_variables_and_reads_separators() -> None:
    argv = cmd_c(
        r"cmd.exe /C %DIR%\cognito-credproc.exe --profile dev",
        is_program=is_program,
        environ={"DIR": r"C:\tools"},
    )
    assert argv == [r"C:\tools\cognito-credproc.exe", "--profile", "dev"]
    with pytest.raises(CmdFailure, match="command separator"):
        cmd_c(r"cmd.exe /C C:\tools\cognito-credproc.exe --profile a&calc", is_program=is_program)
    assert cmd_c(
        r"cmd.exe /C C:\tools\cognito-credproc.exe --profile a^&b", is_program=is_program
    ) == [r"C:\tools\cognito-credproc.exe", "--profile", "a&b"]


# -- the line the tool writes -------------------------------------------------------------


def test_a_quoted_path_with_a_space_fails_under_cmd_as_the_go_sdk_runs_it() -> None:
    # aws-sdk-go-v2 issue 3208: fine for botocore, not for cmd.exe /C
    quoted = f'"{SCRIPT}" --profile dev'
    assert compat_shell_split(quoted, "win32") == [SCRIPT, "--profile", "dev"]
    with pytest.raises(CmdFailure, match="is not recognized"):
        through_cmd(quoted)
    with pytest.raises(CmdFailure, match=r"'C:\\Users\\First' is not recognized"):
        through_cmd(f"{SCRIPT} --profile dev")  # nor unquoted


def test_the_short_path_reads_the_same_to_botocore_and_to_cmd() -> None:
    short = shorten(SCRIPT, short_path, ntpath)
    assert short == (
        r"C:\Users\FIRSTL~1\AppData\Local\Programs\Python\Python312\Scripts\cognito-credproc.exe"
    )
    line = f"{short} --config C:\\tools\\config.ini --profile dev"
    assert cmd_safe(short)
    assert through_cmd(line) == compat_shell_split(line, "win32")
    assert through_cmd(line)[1:] == ["--config", r"C:\tools\config.ini", "--profile", "dev"]


@pytest.mark.parametrize(
    ("path", "short"),
    [
        (r"C:\Program Files (x86)\Amazon\helper.exe", r"C:\PROGRA~2\Amazon\helper.exe"),
        (r"D:\R&D tools\cognito-credproc.exe", r"D:\RDTOOL~1\cognito-credproc.exe"),
        (r"C:\tools\cognito-credproc.exe", r"C:\tools\cognito-credproc.exe"),
        (r"E:\No Short Names\x.exe", r"E:\No Short Names\x.exe"),  # 8.3 names off there
    ],
)
def test_only_the_components_cmd_would_misread_are_shortened(path: str, short: str) -> None:
    assert shorten(path, short_path, ntpath) == short


def test_a_path_not_there_yet_keeps_its_name() -> None:
    def missing(path: str) -> str:
        raise FileNotFoundError(path)

    assert shorten(r"C:\Users\First Last\new\x.ini", missing, ntpath) == (
        r"C:\Users\First Last\new\x.ini"
    )


@pytest.mark.parametrize(
    ("word", "safe"),
    [
        ("--profile", True),
        (r"C:\Users\FIRSTL~1\x.exe", True),
        ("dev.prod_1-a", True),
        ("two words", False),
        ('"quoted"', False),
        ("a&b", False),
        ("100%", False),
        ("(x86)", False),
        ("a^b", False),
        ("wow!", False),
        ("", False),
    ],
)
def test_which_words_cmd_and_botocore_both_read_unquoted(word: str, safe: bool) -> None:
    assert cmd_safe(word) is safe


def test_lines_the_cmd_sdks_cannot_run_are_named() -> None:
    windows = Windows(SimulatedWin32())
    assert windows.line_problems(r"C:\tools\cognito-credproc.exe --profile dev") == []
    for line in (f'"{SCRIPT}" --profile dev', r"C:\tools\cognito-credproc.exe -p a&b"):
        (problem,) = windows.line_problems(line)
        assert "cmd.exe /C" in problem and "Go, Java, Rust and .NET" in problem
    assert windows.line_problems('"C:\\tools\\cognito-credproc.exe" --profile dev')


@pytest.mark.parametrize(
    "line",
    [
        "/opt/x/bin/cognito-credproc --profile dev",
        "'/home/First Last/bin/cognito-credproc' --profile dev",
        f'"{SCRIPT}" --profile dev',
        r"C:\tools\cognito-credproc.exe --config C:\a\b.ini -p dev",
    ],
)
def test_each_platform_splits_the_line_as_botocore_does_there(line: str) -> None:
    from cognito_credproc.platform.posix import Posix

    assert Posix().split_like_botocore(line) == compat_shell_split(line, "linux")
    windows = Windows(SimulatedWin32())
    assert windows.split_like_botocore(line) == compat_shell_split(line, "win32")
