"""The full command-line parser: every command's flags and their ``--help``.

Built only for what the plain run's own reading (``cli.plain_run_args``) leaves: other
commands, --help, --version, and anything it cannot read, which argparse then explains.
"""

from __future__ import annotations

import argparse
from typing import Any

from . import __version__
from .cli import PROG
from .errors import ConfigError
from .output import ENV_FORMATS
from .settings import SETTINGS, boolean

SHELLS = ("bash", "zsh", "fish", "powershell")
FORMAT_HELP = "sh (bash, zsh), fish, powershell or dotenv (a .env file) [sh]"


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--profile",
        "-p",
        metavar="NAME",
        default=default,
        help="profile (section) to use [env COGNITO_CREDPROC_PROFILE, else 'default']",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=default,
        help="settings file [env COGNITO_CREDPROC_CONFIG, else the user config dir]",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="log each step on stderr (secrets redacted)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Every command's flags and help."""

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            # A subcommand's parser is named "cognito-credproc login": its own --help.
            raise ConfigError(f"{message} (see {self.prog} --help)")

        def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
            # argparse reports a subcommand's unknown option from the top parser: blame
            # the subcommand, whose --help lists what it takes.
            parsed, extras = self.parse_known_args(args, namespace)
            if extras:
                blamed = commands.get(getattr(parsed, "command", None) or "", self)
                blamed.error(f"unrecognized arguments: {' '.join(extras)}")
            return parsed

    commands: dict[str, argparse.ArgumentParser] = {}
    parser = _Parser(
        prog=PROG,
        description="AWS credential_process helper for Amazon Cognito. With no command, "
        "prints credentials as credential_process JSON.",
    )
    parser.add_argument(
        "--version",
        "-V",
        action="version",
        version=f"%(prog)s {__version__}",
        help="print the version and exit",
    )
    _common(parser, top=True)
    sub = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        parser_class=_Parser,
        help="what to do (none: print credentials); COMMAND --help for its options",
    )

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        commands[name] = p
        _common(p, top=False)
        return p

    add("credentials", "print credential_process JSON (the default)")
    p = add("login", "sign in (on the terminal, or in the browser for auth_flow = BROWSER)")
    p.add_argument(
        "--no-browser",
        action="store_true",
        help="browser sign-in: print the address to open anywhere, then paste back the "
        "address the browser ended on",
    )
    p.add_argument(
        "--switch-user",
        action="store_true",
        help="browser sign-in: let someone other than who this profile signed in as "
        "before sign in (otherwise refused)",
    )
    p = add("logout", "revoke the refresh token and delete the profile's cache")
    p.add_argument(
        "--global",
        dest="global_",
        action="store_true",
        help="sign out every device (GlobalSignOut)",
    )
    p = add("status", "show what is cached (never a secret)")
    p.add_argument("--all", action="store_true", help="every profile in the settings file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add("token", "print a valid JWT, refreshing it when needed")
    p.add_argument(
        "--type",
        choices=("id", "access"),
        default="id",
        help="which token: the ID token (the identity pool's) or the access token [id]",
    )
    p = add("env", "print credentials as environment variable assignments")
    p.add_argument("--format", choices=ENV_FORMATS, default="sh", help=FORMAT_HELP)
    p = add("exec", "run a command with the credentials in its environment")
    p.add_argument(
        "--server",
        action="store_true",
        help="give the command a loopback credentials endpoint it renews from, not keys",
    )
    p.add_argument(
        "cmd",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND ...",
        help="the command to run and its arguments, after --",
    )
    p = add("serve", "serve the credentials on a loopback endpoint until Ctrl-C")
    p.add_argument("--port", type=_port, default=0, help="port to listen on [a free one]")
    p.add_argument("--format", choices=ENV_FORMATS, default="sh", help=FORMAT_HELP)
    p = add("clear", "delete cached data without contacting Cognito")
    p.add_argument("--all", action="store_true", help="the whole cache")
    p = add(
        "configure",
        "write or change a profile and the matching ~/.aws/config entry (on a terminal, "
        "without flags: asks how people sign in and what that needs)",
    )
    for setting in SETTINGS:  # one flag per setting, described where the setting is
        if setting.flag and setting.parse is boolean:
            # --unauthenticated / --no-unauthenticated: written as true / false
            p.add_argument(
                setting.option,
                dest=setting.name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=(setting.help + f" (default: {setting.default})").replace("%", "%%"),
            )
        elif setting.flag:
            default = (
                (" (required otherwise)" if "optional with" in setting.help else " (required)")
                if setting.default == "required"
                else f" (default: {setting.default})"
                if setting.default
                else ""
            )
            p.add_argument(
                setting.option,
                dest=setting.name,
                metavar="VALUE",
                help=(setting.help + default).replace("%", "%%"),
            )
    p.add_argument(
        "--aws-config",
        metavar="PATH",
        help="the AWS config file to write [env AWS_CONFIG_FILE, else ~/.aws/config]",
    )
    p.add_argument(
        "--app-client-secret-stdin",
        action="store_true",
        help="read the app client secret from stdin",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an AWS profile that runs something else (or this tool by another "
        "path); the profile's own settings are changed in place either way",
    )
    p.add_argument(
        "--no-validate", action="store_true", help="do not call Cognito to check the ids"
    )
    add("doctor", "check the setup the way the AWS CLI runs the helper")
    p = add("console", "open the AWS Management Console signed in as the identity pool's role")
    p.add_argument(
        "--print",
        action="store_true",
        help="print the sign-in address instead of opening it (it works once, for 15 "
        "minutes, and is as good as the credentials: keep it to yourself)",
    )
    p = add("completion", "print a shell completion script (see the README for where)")
    p.add_argument(
        "shell", nargs="?", choices=SHELLS, help="the shell to complete in: " + ", ".join(SHELLS)
    )
    # what the scripts run to complete profile names: the settings file's sections
    p.add_argument("--profiles", action="store_true", help=argparse.SUPPRESS)
    from .account.parser import add_account_commands

    add_account_commands(add, lambda nested: _common(nested, top=False))
    p = add("demo", "run the whole flow against a local Cognito (needs cognito-credproc[demo])")
    p.add_argument(
        "--flow",
        choices=("password", "browser", "email-code"),
        default="password",
        help="the way of signing in to show: password (SRP, the default), browser (managed "
        "login) or email-code (a one-time code by email)",
    )
    p.add_argument("--keep", action="store_true", help=argparse.SUPPRESS)
    return parser


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 65535, not {text!r}")
    return int(text)
