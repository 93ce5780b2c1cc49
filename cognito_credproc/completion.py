"""``completion SHELL``: a completion script for bash, zsh, fish or PowerShell.

The commands, their options and the options' fixed choices are read from the argparse
parser when the script is made, so a new command or option is completed without a
list kept here. Profile names are read when completing: the script runs this tool
(``completion --profiles``, by the absolute path it was made with), which prints the
sections of the settings file (the ``--config`` on the line, else the usual one).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ._record import record
from .errors import EXIT_OK, CredprocError
from .launch import command_line, tool_argv

if TYPE_CHECKING:
    from .cli import Context

PROG = "cognito-credproc"
PROFILE_OPTIONS = ("--profile", "-p")
FILE_OPTIONS = ("--config", "--aws-config")


@record
class Option:
    names: tuple[str, ...]
    help: str
    takes_value: bool
    choices: tuple[str, ...] = ()


@record
class Command:
    name: str
    help: str
    options: tuple[Option, ...]
    positional_choices: tuple[str, ...] = ()


def _options(parser: argparse.ArgumentParser) -> tuple[Option, ...]:
    found = []
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        choices = tuple(str(c) for c in action.choices) if action.choices else ()
        found.append(
            Option(
                names=tuple(action.option_strings),
                help=_one_line(action.help or ""),
                takes_value=action.nargs != 0,
                choices=choices,
            )
        )
    return tuple(found)


def _one_line(text: str) -> str:
    flat = " ".join(text.replace("%%", "%").split())
    return flat if len(flat) <= 70 else flat[:69] + "…"


def describe(parser: argparse.ArgumentParser) -> tuple[tuple[Option, ...], tuple[Command, ...]]:
    """(the top level's options, every command) as the parser has them."""
    subcommands: list[Command] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                positional = [a for a in sub._actions if not a.option_strings and a.choices]
                subcommands.append(
                    Command(
                        name=name,
                        help=_one_line(helps.get(name, "")),
                        options=_options(sub),
                        positional_choices=tuple(positional[0].choices) if positional else (),
                    )
                )
    return _options(parser), tuple(subcommands)


def _words(items: list[str] | tuple[str, ...]) -> str:
    return " ".join(items)


def _value_options(top: tuple[Option, ...], cmds: tuple[Command, ...]) -> list[str]:
    names = {n for o in top for n in o.names if o.takes_value}
    names |= {n for c in cmds for o in c.options for n in o.names if o.takes_value}
    return sorted(names)


def _choices(top: tuple[Option, ...], cmds: tuple[Command, ...]) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for option in [*top, *(o for c in cmds for o in c.options)]:
        for name in option.names:
            if option.choices:
                found[name] = option.choices
    return found


def bash(top: tuple[Option, ...], cmds: tuple[Command, ...], tool: str) -> str:
    options = "\n".join(
        f"        {c.name}) opts={_quote_sh(_words([n for o in c.options for n in o.names]))}"
        f"; args={_quote_sh(_words(c.positional_choices))} ;;"
        for c in cmds
    )
    choices = "\n".join(
        f'        {name}) COMPREPLY=($(compgen -W {_quote_sh(_words(values))} -- "$cur"))'
        "; return ;;"
        for name, values in _choices(top, cmds).items()
    )
    return f"""# {PROG} completion for bash: eval "$({PROG} completion bash)" in ~/.bashrc
_cognito_credproc_profiles() {{
    local i config=()
    for ((i = 1; i < ${{#COMP_WORDS[@]}} - 1; i++)); do
        [[ ${{COMP_WORDS[i]}} == --config ]] && config=(--config "${{COMP_WORDS[i + 1]}}")
    done
    {tool} completion --profiles "${{config[@]}}" 2>/dev/null
}}
_cognito_credproc() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD - 1]}}
    local commands={_quote_sh(_words([c.name for c in cmds]))}
    local takes_value=' {_words(_value_options(top, cmds))} '
    local cmd="" i word opts args
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${{COMP_WORDS[i]}}
        [[ $word == -- ]] && return  # exec's command: the shell's own completion
        if [[ $takes_value == *" $word "* ]]; then
            ((i++))
        elif [[ -z $cmd && $word != -* && " $commands " == *" $word "* ]]; then
            cmd=$word
        fi
    done
    case $prev in
        --profile|-p) COMPREPLY=($(compgen -W "$(_cognito_credproc_profiles)" -- "$cur")); return ;;
        --config|--aws-config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
{choices}
    esac
    if [[ $takes_value == *" $prev "* ]]; then
        return
    fi
    opts={_quote_sh(_words([n for o in top for n in o.names]))}
    args=""
    case $cmd in
{options}
        "") [[ $cur != -* ]] && opts=$commands ;;
    esac
    [[ $cur != -* && -n $args ]] && opts=$args
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}}
complete -F _cognito_credproc {PROG}
"""


def _quote_sh(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def zsh(top: tuple[Option, ...], cmds: tuple[Command, ...], tool: str) -> str:
    described = "\n".join(f"        {_quote_sh(c.name + ':' + c.help)}" for c in cmds)
    options = "\n".join(
        f"        {c.name}) opts=({_words([_quote_sh(n) for o in c.options for n in o.names])})"
        f"; args=({_words([_quote_sh(a) for a in c.positional_choices])}) ;;"
        for c in cmds
    )
    choices = "\n".join(
        f"        {name}) compadd -- {_words([_quote_sh(v) for v in values])}; return ;;"
        for name, values in _choices(top, cmds).items()
    )
    return f"""#compdef {PROG}
# {PROG} completion for zsh: eval "$({PROG} completion zsh)" in ~/.zshrc (after compinit)
_cognito_credproc_profiles() {{
    local i
    local -a config
    for ((i = 2; i < CURRENT; i++)); do
        [[ ${{words[i]}} == --config ]] && config=(--config "${{words[i + 1]}}")
    done
    {tool} completion --profiles "${{config[@]}}" 2>/dev/null
}}
_cognito_credproc() {{
    local cur=${{words[CURRENT]}} prev=${{words[CURRENT - 1]}}
    local -a commands opts args
    commands=(
{described}
    )
    local takes_value=' {_words(_value_options(top, cmds))} '
    local cmd="" i word
    for ((i = 2; i < CURRENT; i++)); do
        word=${{words[i]}}
        [[ $word == -- ]] && {{ _normal; return }}
        if [[ $takes_value == *" $word "* ]]; then
            ((i++))
        elif [[ -z $cmd && $word != -* && -n ${{(M)commands:#$word:*}} ]]; then
            cmd=$word
        fi
    done
    case $prev in
        --profile|-p) compadd -- ${{(f)"$(_cognito_credproc_profiles)"}}; return ;;
        --config|--aws-config) _files; return ;;
{choices}
    esac
    [[ $takes_value == *" $prev "* ]] && return
    opts=({_words([_quote_sh(n) for o in top for n in o.names])})
    case $cmd in
{options}
        "") if [[ $cur != -* ]]; then _describe command commands; return; fi ;;
    esac
    compadd -- $opts $args
}}
compdef _cognito_credproc {PROG}
"""


def fish(top: tuple[Option, ...], cmds: tuple[Command, ...], tool: str) -> str:
    names = _words([c.name for c in cmds])
    lines = [
        f"# {PROG} completion for fish: {PROG} completion fish > "
        f"~/.config/fish/completions/{PROG}.fish",
        "function __cognito_credproc_profiles",
        "    set -l words (commandline -opc)",
        "    set -l config",
        "    for i in (seq (count $words))",
        "        if test $words[$i] = --config; and test $i -lt (count $words)",
        "            set config --config $words[(math $i + 1)]",
        "        end",
        "    end",
        f"    {tool} completion --profiles $config 2>/dev/null",
        "end",
        f"complete -c {PROG} -f",
    ]
    for command in cmds:
        lines.append(
            f"complete -c {PROG} -n 'not __fish_seen_subcommand_from {names}' "
            f"-a {command.name} -d {_quote_sh(command.help)}"
        )
        if command.positional_choices:
            lines.append(
                f"complete -c {PROG} -n '__fish_seen_subcommand_from {command.name}' "
                f"-a {_quote_sh(_words(command.positional_choices))}"
            )
    for condition, options in [
        (f"not __fish_seen_subcommand_from {names}", top),
        *((f"__fish_seen_subcommand_from {c.name}", c.options) for c in cmds),
    ]:
        for option in options:
            if option.names == ("--help", "-h") or option.names == ("-h", "--help"):
                continue
            parts = [f"complete -c {PROG} -n {_quote_sh(condition)}"]
            for name in option.names:
                parts.append(f"-l {name[2:]}" if name.startswith("--") else f"-s {name[1:]}")
            if set(option.names) & set(PROFILE_OPTIONS):
                parts.append("-x -a '(__cognito_credproc_profiles)'")
            elif set(option.names) & set(FILE_OPTIONS):
                parts.append("-r -F")
            elif option.choices:
                parts.append(f"-x -a {_quote_sh(_words(option.choices))}")
            elif option.takes_value:
                parts.append("-x")
            parts.append(f"-d {_quote_sh(option.help)}")
            lines.append(" ".join(parts))
    return "\n".join(lines) + "\n"


def _quote_ps(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ps_list(items: list[str]) -> str:
    return ", ".join(_quote_ps(item) for item in items)


def powershell(top: tuple[Option, ...], cmds: tuple[Command, ...], tool: str) -> str:
    table = "\n".join(
        f"        {_quote_ps(c.name)} = @({_ps_list([n for o in c.options for n in o.names])})"
        for c in cmds
    )
    choices = "\n".join(
        f"        {_quote_ps(name)} = @({', '.join(_quote_ps(v) for v in values)})"
        for name, values in _choices(top, cmds).items()
    )
    values = ", ".join(_quote_ps(n) for n in _value_options(top, cmds))
    top_names = ", ".join(_quote_ps(n) for o in top for n in o.names)
    return f"""# {PROG} completion for PowerShell, in $PROFILE:
#   {PROG} completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName {PROG} -ScriptBlock {{
    param($wordToComplete, $commandAst, $cursorPosition)
    $commands = @{{
{table}
    }}
    $choices = @{{
{choices}
    }}
    $takesValue = @({values})
    $words = @($commandAst.CommandElements | ForEach-Object {{ $_.ToString() }})
    if ($wordToComplete -ne '') {{ $words = $words[0..($words.Count - 2)] }}
    $cmd = $null
    for ($i = 1; $i -lt $words.Count; $i++) {{
        if ($takesValue -contains $words[$i]) {{ $i++ }}
        elseif (-not $cmd -and $commands.ContainsKey($words[$i])) {{ $cmd = $words[$i] }}
    }}
    $prev = if ($words.Count -gt 1) {{ $words[-1] }} else {{ '' }}
    if ($prev -eq '--profile' -or $prev -eq '-p') {{
        $config = @()
        for ($i = 1; $i -lt $words.Count - 1; $i++) {{
            if ($words[$i] -eq '--config') {{ $config = @('--config', $words[$i + 1]) }}
        }}
        $found = & {tool} completion --profiles @config 2>$null
    }} elseif ($choices.ContainsKey($prev)) {{
        $found = $choices[$prev]
    }} elseif ($takesValue -contains $prev) {{
        return
    }} elseif ($cmd) {{
        $found = $commands[$cmd]
    }} elseif ($wordToComplete -like '-*') {{
        $found = @({top_names})
    }} else {{
        $found = $commands.Keys | Sort-Object
    }}
    $found | Where-Object {{ $_ -like "$wordToComplete*" }} | ForEach-Object {{
        [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
    }}
}}
"""


SCRIPTS = {"bash": bash, "zsh": zsh, "fish": fish, "powershell": powershell}


def script(shell: str, tool: str | None = None) -> str:
    from .arguments import build_parser

    top, cmds = describe(build_parser())
    return SCRIPTS[shell](top, cmds, tool or command_line(tool_argv()))


def profile_names(ctx: Context) -> list[str]:
    """The settings file's sections; none when it cannot be read."""
    from .configfile import read_config_file

    try:
        return read_config_file(ctx.config_path).sections()
    except CredprocError:
        return []


def cmd_completion(ctx: Context) -> int:
    if ctx.args.profiles:
        for name in profile_names(ctx):
            sys.stdout.write(name + "\n")
        return EXIT_OK
    if ctx.args.shell is None:
        from .errors import ConfigError

        raise ConfigError(
            "completion needs a shell: bash, zsh, fish or powershell",
            hint="run: cognito-credproc completion bash (see --help)",
        )
    sys.stdout.write(script(ctx.args.shell))
    return EXIT_OK
