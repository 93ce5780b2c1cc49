"""``completion SHELL``: the scripts, loaded in real bash, zsh and fish (Debian's), asked
for completions of commands, options, choices and the settings file's profile names.
PowerShell is not packaged for Debian nor on PyPI or npm: its script is checked for
what it names, not run."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cognito_credproc.arguments import build_parser

from .conftest import Workspace

SETTINGS = """\
[dev]
identity_pool_id = us-east-1:11111111-2222-3333-4444-555555555555
unauthenticated = true
[ops-eu]
identity_pool_id = eu-west-1:11111111-2222-3333-4444-555555555555
unauthenticated = true
"""
HINT = "install with apt-get (.ci/run does): {}"


def command_names() -> list[str]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    return list(sub.choices)  # type: ignore[arg-type]


def script(ws: Workspace, shell: str, tmp_path: Path) -> Path:
    ws.write_config(SETTINGS)
    done = ws.run("completion", shell)
    assert done.returncode == 0, done.stderr
    path = tmp_path / f"completion.{shell}"
    path.write_text(done.stdout)
    return path


def need(shell: str) -> str:
    found = shutil.which(shell)
    if found is None:
        pytest.skip(f"{shell} is not installed; " + HINT.format(shell))
    return found


BASH = """
source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
_cognito_credproc
[[ $(complete -p cognito-credproc) == *"-F _cognito_credproc"* ]] || exit 3
printf '%s\\n' "${COMPREPLY[@]}"
"""


def bash_complete(ws: Workspace, path: Path, *words: str) -> set[str]:
    done = subprocess.run(
        [need("bash"), "-c", BASH, "bash", str(path), "cognito-credproc", *words],
        env=ws.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {line for line in done.stdout.splitlines() if line}


# zsh's own completion system, in an interactive zsh on a pseudo-terminal (zpty): the line
# is typed and Ctrl-D (list-choices) lists what would complete; the listing is read back.
ZSH = r"""
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z 'PS1="> "; autoload -U compinit; compinit -u -D; source ${(q)SCRIPT}'
zpty -w z 'zstyle ":completion:*" list-prompt ""; print READY$((6 * 7))'
out=""
while [[ $out != *READY42* ]]; do zpty -r -t z line && out+=$line || sleep 0.1; done
zpty -w -n z "$LINE"$'\C-d'
out=""; quiet=0
while (( quiet < 10 )); do  # until nothing more comes for a second
  if zpty -r -t z line; then out+=$line; quiet=0; else sleep 0.1; (( quiet++ )); fi
done
print -r -- "$out"
zpty -d z
"""


def zsh_complete(ws: Workspace, path: Path, line: str) -> set[str]:
    done = subprocess.run(
        [need("zsh"), "-f", "-c", ZSH],
        env={**ws.env, "SCRIPT": str(path), "LINE": line},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", done.stdout)
    listing = text.split(line, 1)[-1] if line in text else text
    # rows of "word -- description" or columns of words
    return {word for row in listing.splitlines() for word in row.split(" -- ", 1)[0].split()}


def fish_complete(ws: Workspace, path: Path, line: str) -> set[str]:
    done = subprocess.run(
        [need("fish"), "--no-config", "-c", f"source {path}; complete -C '{line}'"],
        env=ws.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {row.split("\t", 1)[0] for row in done.stdout.splitlines() if row}


def test_bash_completes_commands_options_choices_and_profiles(
    ws: Workspace, tmp_path: Path
) -> None:
    path = script(ws, "bash", tmp_path)
    assert bash_complete(ws, path, "") == set(command_names())
    assert bash_complete(ws, path, "st") == {"status"}
    assert bash_complete(ws, path, "token", "--type", "") == {"id", "access"}
    assert bash_complete(ws, path, "env", "--format", "p") == {"powershell"}
    assert bash_complete(ws, path, "login", "--no") == {"--no-browser"}
    assert bash_complete(ws, path, "status", "--profile", "") == {"dev", "ops-eu"}
    assert bash_complete(ws, path, "-p", "o") == {"ops-eu"}
    assert {"--unauthenticated", "--no-unauthenticated"} <= bash_complete(
        ws, path, "configure", "--"
    )
    # a profile named like a command is a profile, not the command
    assert bash_complete(ws, path, "--profile", "login", "--j") == set()
    assert bash_complete(ws, path, "completion", "") == {"bash", "zsh", "fish", "powershell"}


def test_zsh_completes_commands_options_choices_and_profiles(ws: Workspace, tmp_path: Path) -> None:
    path = script(ws, "zsh", tmp_path)
    commands = zsh_complete(ws, path, "cognito-credproc c")
    assert {"clear", "completion", "configure", "console", "credentials"} <= commands
    assert "status" not in commands
    assert {"id", "access"} <= zsh_complete(ws, path, "cognito-credproc token --type ")
    assert {"dev", "ops-eu"} <= zsh_complete(ws, path, "cognito-credproc status --profile ")
    assert "--no-browser" in zsh_complete(ws, path, "cognito-credproc login --")


def test_fish_completes_commands_options_choices_and_profiles(
    ws: Workspace, tmp_path: Path
) -> None:
    path = script(ws, "fish", tmp_path)
    assert fish_complete(ws, path, "cognito-credproc ") >= set(command_names()) - {
        "background-refresh"
    }
    assert fish_complete(ws, path, "cognito-credproc st") == {"status"}
    assert fish_complete(ws, path, "cognito-credproc token --type ") == {"id", "access"}
    assert fish_complete(ws, path, "cognito-credproc status --profile ") == {"dev", "ops-eu"}
    assert "--no-browser" in fish_complete(ws, path, "cognito-credproc login --")


def test_the_powershell_script_names_every_command(ws: Workspace, tmp_path: Path) -> None:
    text = script(ws, "powershell", tmp_path).read_text()
    assert "Register-ArgumentCompleter -Native -CommandName cognito-credproc" in text
    for name in command_names():
        assert f"'{name}' = @(" in text
    assert "'--type' = @('id', 'access')" in text
    assert "completion --profiles" in text


def test_completion_without_a_shell_is_a_usage_error(ws: Workspace) -> None:
    done = ws.run("completion")
    assert done.returncode == 2
    assert "completion needs a shell" in done.stderr
