"""The account commands' flags and ``--help`` (``arguments.build_parser`` adds them)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

Add = Callable[[str, str], argparse.ArgumentParser]


def add_account_commands(add: Add, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """``add`` makes a command's parser; ``common`` gives a nested one --profile, --config
    and --debug, so they work after the action too (``mfa prefer totp --profile dev``)."""

    def actions(parser: argparse.ArgumentParser, *, required: bool, help_text: str) -> Add:
        sub = parser.add_subparsers(
            dest="action",
            metavar="ACTION",
            required=required,
            parser_class=type(parser),
            help=help_text,
        )

        def action(name: str, help_text: str) -> argparse.ArgumentParser:
            nested = sub.add_parser(name, help=help_text, description=help_text)
            common(nested)
            return nested

        return action

    p = add("password", "reset a forgotten password, or change it")
    action = actions(p, required=True, help_text="reset or change")
    action("reset", "a code sent by email or SMS, then a new password; then sign in")
    action("change", "the current password, then a new one (other sessions stay signed in)")

    p = add("signup", "sign up to the user pool (where it allows it), or confirm the sign-up")
    action = actions(p, required=False, help_text="none: sign up; confirm or resend the code")
    action("confirm", "confirm the sign-up with the code Cognito sent")
    action("resend", "send a new confirmation code")

    p = add("mfa", "see and change the second factors of the user")
    action = actions(p, required=True, help_text="status, setup, prefer or off")
    action("status", "which second factors are set up and which is preferred")
    setup = action("setup", "set up an authenticator app (shows a QR code on the terminal)")
    setup.add_argument("method", choices=("totp",), help="totp: an authenticator app")
    prefer = action("prefer", "make a second factor the one sign-in asks for")
    prefer.add_argument(
        "factor",
        choices=("totp", "sms", "email"),
        help="totp: an authenticator app; sms: a text message; email: an email",
    )
    action("off", "turn every second factor off (where the user pool allows it)")

    p = add("devices", "list the devices Cognito remembers for the user")
    action = actions(p, required=False, help_text="none: list them; forget: forget one")
    forget = action("forget", "forget a device (by default this machine's)")
    forget.add_argument("key", nargs="?", metavar="KEY", help="a DEVICE KEY from 'devices'")

    p = add("whoami", "the user, groups, roles, identity, account and role in use")
    p.add_argument("--json", action="store_true", help="machine-readable output")
