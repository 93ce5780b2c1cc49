"""How the Go, Java, Rust and .NET SDKs run credential_process on Windows, as a fake:
the line goes to ``cmd.exe /C`` quoted the way Go quotes an argument, cmd.exe reads
it with its own rules, finds the program and hands it the rest, and the program splits
that with the C runtime's rules. Written from the documentation, not from the tool:

- Go's quoting: ``syscall.EscapeArg`` (src/syscall/exec_windows.go), and the Go SDK
  runs ``exec.CommandContext(ctx, "cmd.exe", "/C", line)``
  (aws-sdk-go-v2 credentials/processcreds/provider.go).
- cmd.exe: ``cmd /?`` ("If /C or /K is specified, then the remainder of the command
  line after the switch is processed as a command line, where the following logic is
  used to process quote (") characters: 1. If all of the following conditions are met,
  then quote characters on the command line are preserved: no /S switch, exactly two
  quote characters, no special characters between the two quote characters, where
  special is one of: &<>()@^|, there are one or more whitespace characters between the
  two quote characters, the string between the two quote characters is the name of an
  executable file. 2. Otherwise, old behavior is to see if the first character is a
  quote character and if so, strip the leading character and remove the last quote
  character on the command line, preserving any text after the last quote
  character."); %VAR% expands, ^ escapes, and & | < > outside quotes separate
  commands or redirect (treated here as a line that does not run as one command).
- The program's own split: "Parsing C command-line arguments" (Microsoft C runtime):
  arguments are separated by spaces or tabs; a string in double quotes is one argument;
  2n backslashes before a quote give n backslashes and the quote delimits, 2n+1 give n
  and a literal quote; other backslashes are literal; the program name (argv[0]) ends
  at the first space or tab outside quotes, with no backslash rules.

On Linux the console script has no ``.exe``: a path to an existing file is taken as
the program (cmd.exe would try the PATHEXT extensions).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

NOT_RECOGNIZED = (
    "'{}' is not recognized as an internal or external command,\noperable program or batch file."
)
SEPARATORS = "&|<>"
COMMAND_DELIMITERS = " \t,;="


class CmdFailure(Exception):
    """cmd.exe does not run the line as one command; ``code`` is its exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def go_escape(argument: str) -> str:
    """Go's syscall.EscapeArg."""
    if argument == "":
        return '""'
    needs_backslash = any(c in argument for c in '"\\')
    has_space = any(c in argument for c in " \t")
    if not needs_backslash and not has_space:
        return argument
    if not needs_backslash:
        return f'"{argument}"'
    out = '"' if has_space else ""
    slashes = 0
    for char in argument:
        if char == "\\":
            slashes += 1
        elif char == '"':
            out += "\\" * slashes + "\\"
            slashes = 0
        else:
            slashes = 0
        out += char
    if has_space:
        out += "\\" * slashes + '"'
    return out


def go_command_line(args: list[str]) -> str:
    """Go's makeCmdLine: the command line CreateProcess gets for ``args``."""
    return " ".join(go_escape(arg) for arg in args)


def c_runtime_split(line: str) -> list[str]:
    """The Microsoft C runtime's argv for a command line."""
    argv: list[str] = []
    index = 0
    # argv[0]: up to the first space or tab outside quotes; quotes removed.
    name, quoted = "", False
    while index < len(line) and (quoted or line[index] not in " \t"):
        if line[index] == '"':
            quoted = not quoted
        else:
            name += line[index]
        index += 1
    argv.append(name)
    while True:
        while index < len(line) and line[index] in " \t":
            index += 1
        if index >= len(line):
            return argv
        word, quoted = "", False
        while index < len(line) and (quoted or line[index] not in " \t"):
            char = line[index]
            if char == "\\":
                run = index
                while run < len(line) and line[run] == "\\":
                    run += 1
                count = run - index
                if run < len(line) and line[run] == '"':
                    word += "\\" * (count // 2)
                    if count % 2:
                        word += '"'
                        index = run + 1
                    else:
                        index = run  # the quote toggles below
                    continue
                word += "\\" * count
                index = run
                continue
            if char == '"':
                if quoted and line[index + 1 : index + 2] == '"':
                    word += '"'  # "" inside quotes: a literal quote
                    index += 2
                    continue
                quoted = not quoted
            else:
                word += char
            index += 1
        argv.append(word)


def _strip_quotes(rest: str, is_program: Callable[[str], bool]) -> str:
    """cmd.exe's rule for the quotes of ``/C``'s command line."""
    if rest.count('"') == 2:
        first, second = rest.index('"'), rest.rindex('"')
        inside = rest[first + 1 : second]
        if (
            rest.startswith('"')
            and not any(c in inside for c in "&<>()@^|")
            and any(c.isspace() for c in inside)
            and is_program(inside)
        ):
            return rest
    if rest.startswith('"'):
        last = rest.rindex('"')
        return rest[1:last] + rest[last + 1 :]
    return rest


def _expand(line: str, environ: Mapping[str, str]) -> str:
    """%NAME% replaced by the variable where it is set (cmd.exe leaves it otherwise)."""
    out, index = "", 0
    while index < len(line):
        if line[index] == "%":
            end = line.find("%", index + 1)
            if end > index + 1 and line[index + 1 : end] in environ:
                out += environ[line[index + 1 : end]]
                index = end + 1
                continue
        out += line[index]
        index += 1
    return out


def cmd_c(
    command_line: str,
    *,
    is_program: Callable[[str], bool] = os.path.isfile,
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """What runs when CreateProcess starts ``command_line`` (``cmd.exe /C ...``): the
    program's argv as it splits its own command line. CmdFailure when cmd.exe would
    say the program is not recognized, or would not run the line as one command."""
    head, _, rest = command_line.partition(" ")
    switch, _, rest = rest.lstrip(" \t").partition(" ")
    if c_runtime_split(head)[0].lower() != "cmd.exe" or switch.upper() != "/C":
        raise ValueError(f"not a cmd.exe /C command line: {command_line!r}")
    rest = _strip_quotes(rest.lstrip(" \t"), is_program)
    line = _expand(rest, os.environ if environ is None else environ)
    # Carets and separators outside quotes.
    plain, quoted = "", False
    index = 0
    while index < len(line):
        char = line[index]
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "^":
            index += 1
            plain += line[index : index + 1]
            index += 1
            continue
        elif not quoted and char in SEPARATORS:
            raise CmdFailure(f"cmd.exe reads {char!r} in {line!r} as a command separator")
        plain += char
        index += 1
    plain = plain.lstrip(COMMAND_DELIMITERS)
    # The program: up to a delimiter outside quotes; its quotes removed.
    end, quoted = 0, False
    while end < len(plain) and (quoted or plain[end] not in COMMAND_DELIMITERS):
        if plain[end] == '"':
            quoted = not quoted
        end += 1
    program = plain[:end].replace('"', "")
    if not program or not is_program(program):
        raise CmdFailure(NOT_RECOGNIZED.format(program), code=1)
    argv = c_runtime_split(plain)
    argv[0] = program
    return argv
