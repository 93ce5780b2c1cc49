"""``configure``: write a profile to the settings file and the matching
``credential_process`` profile to the AWS config, without disturbing either file."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import TYPE_CHECKING

from .config import check_value, profile_from_section
from .configfile import location_error, parse_config_text, read_config_text
from .errors import (
    EXIT_OK,
    AuthFailed,
    ConfigError,
    CredprocError,
    ServiceError,
    ServiceUnreachable,
)
from .inifile import (
    BOM,
    WHY,
    ForeignFile,
    holds_secret,
    put_section,
    read_regular_file,
    section_body,
    write_private,
)
from .platform import current as current_platform
from .safepath import Unsafe
from .settings import SETTINGS, Invalid

if TYPE_CHECKING:
    from collections.abc import Callable

    from .cli import Context
    from .config import Profile
    from .questions import Conversation


def aws_config_path(ctx: Context) -> str:
    explicit = ctx.args.aws_config or ctx.environ.get("AWS_CONFIG_FILE")
    return os.path.expanduser(explicit or "~/.aws/config")


def helper_command(ctx: Context, name: str) -> str:
    """The credential_process line: the tool by absolute path, so that IDEs and GUI apps
    whose PATH lacks its directory run it too, and never ``python -m`` (which would
    import from whatever directory the SDK happens to run in)."""
    from .launch import command_line, tool_argv

    parts = tool_argv()
    if ctx.args.config:
        parts += ["--config", os.path.abspath(ctx.args.config)]
    parts += ["--profile", name]
    return command_line(parts)


def flag_values(ctx: Context) -> dict[str, str]:
    """The settings the command line gives: the flags (each checked by its row in the
    settings table) and stdin for the secret."""
    args = ctx.args
    given: dict[str, str] = {}
    for setting in SETTINGS:
        value = getattr(args, setting.name, None) if setting.flag else None
        if isinstance(value, bool):  # --unauthenticated / --no-unauthenticated
            value = "true" if value else "false"
        if value:
            try:
                check_value(setting.name, value)
            except Invalid as exc:
                raise ConfigError(f"{setting.option} {exc}") from None
            given[setting.name] = value.strip()
    if args.app_client_secret_stdin:
        secret = sys.stdin.readline().strip()
        from .redact import register_secret

        register_secret(secret)  # an endpoint that echoes the probe must not show it
        if not secret:
            raise ConfigError(
                "--app-client-secret-stdin: stdin gave no client secret (an empty line or none)",
                hint="pipe the secret in: ... | cognito-credproc configure "
                "--app-client-secret-stdin ...",
            )
        try:
            check_value("app_client_secret", secret)
        except Invalid as exc:
            raise ConfigError(f"--app-client-secret-stdin: {exc}") from None
        given["app_client_secret"] = secret
    return given


def section_values(path: str, body: str) -> dict[str, str]:
    """The keys a profile's section has now (its own, not [DEFAULT]'s), read as the tool
    reads the file."""
    parser = parse_config_text(path, "[profile]\n" + body)
    return {key: parser.get("profile", key) for key in parser.options("profile")}


def settle(ctx: Context, talk: Conversation, values: dict[str, str]) -> Profile:
    """Check the values (the table's rows, the region against the pool ids, then Cognito)
    until they pass: each problem that one setting can fix is said on the terminal and
    that setting asked again; without a terminal, or for a value from the command line,
    the problem is the error."""
    from .questions import region_problem

    while True:
        fits: str | None = None
        try:
            # the region first: its question offers the region that fits, which the
            # settings' own check (made when the file is read) does not
            found = region_problem(values, talk.given)
            if found is not None:
                error, fits = found
                raise error
            profile = profile_from_section(ctx.config_path, ctx.profile_name, values, ctx.environ)
            if not ctx.args.no_validate:
                check_with_cognito(profile)
            return profile
        except ConfigError as exc:
            exc.profile = exc.profile or ctx.profile_name
            talk.fix(values, exc, default=fits)


def validate_remote(profile: Profile) -> list[ConfigError]:
    """What Cognito says of the app client and identity pool, each problem naming its
    setting; no sign-in."""
    from .aws import Clients, probe

    clients = Clients(profile)
    problems = []
    client_error = probe(clients, profile, "app_client") if profile.user_pool_id else None
    if (
        client_error is not None
        and client_error.code in ("ResourceNotFoundException", "InvalidParameterException")
        and "secret" not in client_error.detail.lower()
    ):
        if client_error.code == "ResourceNotFoundException":  # its message may be the id alone
            said = f"app client {profile.app_client_id} does not exist in {profile.user_pool_id}"
        else:
            said = f"app client {profile.app_client_id}: {client_error.detail or client_error.code}"
        problems.append(ConfigError(said, setting="app_client_id"))
    pool_error = probe(clients, profile, "identity_pool")
    if pool_error is not None and pool_error.code == "ResourceNotFoundException":
        problems.append(
            ConfigError(
                f"identity pool {profile.identity_pool_id}: not found", setting="identity_pool_id"
            )
        )
    return problems


def aws_profile_header(name: str) -> Callable[[str], bool]:
    """Whether a section header of the AWS config file is profile ``name`` as botocore
    reads it (``build_profile_map``): ``[default]``, or a header that starts with
    "profile" and splits like a shell into two words, the second the name (so
    ``[profile  dev]`` and ``[profile "dev"]`` are ``dev`` too)."""
    import shlex

    def same(header: str) -> bool:
        if header == "default" == name:
            return True
        try:
            words = shlex.split(header)
        except ValueError:
            return False
        return header.startswith("profile") and len(words) == 2 and words[1] == name

    return same


def check_browser(profile: Profile) -> None:
    """Ask the login domain or issuer what ``login`` asks before it opens the browser: an
    unreachable one is ServiceUnreachable (exit 1) naming it; a refusal is the error
    ``login`` would give, with its fix, as a ConfigError (exit 2)."""
    from .aws import Clients
    from .prompt import NoTerminal
    from .redact import register_secret
    from .signin.browser import browser_sign_in

    method = browser_sign_in(
        profile,
        Clients(profile),
        NoTerminal(profile.name),
        environ={},
        now=time.time,
        register_secret=register_secret,
        no_browser=True,
    )
    if profile.oidc_issuer:
        what, where = "OpenID Connect issuer", profile.oidc_issuer
    else:
        what, where = "login domain", str(profile.login_domain)
    try:
        method.check_request()
    except ServiceUnreachable as exc:
        raise ServiceUnreachable(
            f"the {what} {where} is unreachable ({exc.message}); nothing was written",
            profile=profile.name,
            hint=f"{exc.hint}; or pass --no-validate to write the settings unchecked",
        ) from None
    except CredprocError as exc:
        if exc.setting is None and not isinstance(exc, AuthFailed):
            # it failed rather than refused: nothing says the settings are wrong
            raise ServiceError(
                f"cannot check the settings with the {what} {where}: {exc.message}; "
                "nothing was written",
                profile=profile.name,
                hint="try again later, or pass --no-validate to write the settings unchecked",
            ) from None
        raise ConfigError(
            exc.message, profile=profile.name, hint=exc.hint, setting=exc.setting
        ) from None


def check_aws_profile_name(name: str) -> None:
    """The AWS CLI and the SDKs read ``[profile NAME]`` by splitting the header like a
    shell: a name with a space or a quote in it is silently not a profile to them."""
    import re
    import shlex

    try:
        usable = shlex.split(f"profile {name}") == ["profile", name]
    except ValueError:
        usable = False
    if not usable or any(ch.isspace() for ch in name):
        suggestion = re.sub(r"[\s'\"\\]+", "-", name).strip("-") or "dev"
        raise ConfigError(
            f"{name!r} cannot be an AWS profile name: the AWS CLI and SDKs split "
            f"[profile {name}] at spaces and quotes and would never find it",
            hint=f"choose a name without spaces or quotes, such as {suggestion}",
        )
    if current_platform().line_problems(name):  # Windows: cmd.exe would read & | < > ^ % in it
        raise ConfigError(
            f"{name!r} cannot be a profile name here: the credential_process line holds "
            "it, and cmd.exe (which the Go, Java, Rust and .NET SDKs run it with) treats "
            "some of its characters specially",
            hint="choose a name of letters, digits, '-', '_' and '.'",
        )


def check_with_cognito(profile: Profile) -> None:
    """The ids exist (exit 2 when Cognito says they do not); exit 1, saying so, when
    Cognito cannot be asked at all."""
    try:
        problems = validate_remote(profile)
    except ServiceError as exc:  # no answer (network, proxy, endpoint), not a refusal
        raise ServiceError(
            f"cannot check the settings with Cognito: {exc.message}; nothing was written",
            profile=profile.name,
            hint="check the network, a proxy (HTTPS_PROXY) or --endpoint-url; "
            "or pass --no-validate to write the settings unchecked",
        ) from None
    if problems:
        raise ConfigError(
            "Cognito did not accept the settings: " + "; ".join(p.message for p in problems),
            profile=profile.name,
            hint="check the ids, or pass --no-validate",
            setting=problems[0].setting,
        )
    if profile.browser:
        check_browser(profile)


def cmd_configure(ctx: Context) -> int:
    from .prompt import open_terminal
    from .questions import Conversation
    from .redact import register_secret

    name = ctx.profile_name
    check_aws_profile_name(name)
    config_path = ctx.config_path
    force = ctx.args.force
    ours = read_config_text(config_path, name, missing_ok=True)
    existing = section_body(ours, name)
    # An existing profile is edited: what is not given or answered stays as it is.
    # (--force is the AWS profile's: it may replace one that runs something else.)
    before = {} if existing is None else section_values(config_path, existing)
    given = flag_values(ctx)
    state = "new" if existing is None else "changing it"
    intro = f"Profile {name} ({state}) in {config_path}.\n"
    talk = Conversation(
        given, open_terminal=open_terminal, register_secret=register_secret, intro=intro
    )
    with talk:
        values = talk.gather(before)
        profile = settle(ctx, talk, values)
    # Written in the table's (the documented) order: the required keys come first.
    values = {s.name: values[s.name] for s in SETTINGS if s.name in values}
    section_text = "".join(f"{key} = {value}\n" for key, value in values.items())

    # Both files are worked out and checked before either is written, and the first is
    # put back if the second cannot be written: never one half of a profile.
    notes = list(talk.notes)
    new_ours: str | None = None
    if existing is None or existing.strip() != section_text.strip():
        new_ours = put_section(ours, name, section_text)
        changed = _changes(before, values) if existing is not None else ""
        notes.append(f"wrote [{name}] to {config_path}{changed}")
    else:
        notes.append(f"[{name}] in {config_path} is already up to date")
    # A client secret makes the settings file private (0600), whatever its mode was.
    private = holds_secret(new_ours if new_ours is not None else ours)
    if new_ours is None and private and _readable_by_others(config_path):
        new_ours = ours
        notes.append(f"made {config_path} private (0600): it holds a client secret")

    aws_path = aws_config_path(ctx)
    try:
        aws_text = read_regular_file(aws_path)
    except ForeignFile as exc:  # read on the descriptor: her text never enters ours
        raise ConfigError(
            f"will not write {exc.message}, so others could change what it runs; "
            "nothing was changed",
            profile=name,
            hint="remove it, or pass --aws-config with a file of your own",
        ) from None
    aws_section = "default" if name == "default" else f"profile {name}"
    same = aws_profile_header(name)
    command = helper_command(ctx, name)
    wanted = f"credential_process = {command}\n"
    current = section_body(aws_text, aws_section, same)
    new_aws: str | None = None
    if current is not None and wanted.strip() in current:
        notes.append(f"[{aws_section}] in {aws_path} already uses cognito-credproc")
    elif current is not None and not force:
        raise ConfigError(
            f"[{aws_section}] already exists in {aws_path}",
            profile=name,
            hint="pass --force to replace it, or choose another --profile",
        )
    else:
        if aws_text.startswith(BOM):  # the AWS CLI cannot read the file with one
            aws_text = aws_text[len(BOM) :]
            notes.append(f"removed the byte-order mark the AWS CLI cannot read from {aws_path}")
        body = wanted + f"region = {profile.region}\n"
        new_aws = put_section(aws_text, aws_section, body, same)
        notes.append(f"wrote [{aws_section}] to {aws_path}")

    _write_both(name, (config_path, ours, new_ours), (aws_path, aws_text, new_aws), private)
    for problem in current_platform().line_problems(command):  # Windows: no 8.3 name for a path
        notes.append(
            f"warning: the credential_process line {problem}; install cognito-credproc where "
            "its path has no spaces, then run configure again with --force"
        )
    for note in notes:
        sys.stderr.write(note + "\n")
    sys.stderr.write(f"next: cognito-credproc login --profile {name}\n")
    return EXIT_OK


def _write_both(
    name: str,
    first: tuple[str, str, str | None],
    second: tuple[str, str, str | None],
    private: bool,
) -> None:
    """Write (path, old text, new text or None for unchanged) pairs, the settings first
    (0600 when ``private``); if the second write fails, the first file gets its old
    text back (or goes, if it did not exist)."""
    path, old, new = first
    existed = os.path.exists(path)
    try:
        if new is not None:
            write_private(path, new, private=private)
    except (OSError, Unsafe) as exc:
        raise _unwritable(name, path, exc, settings=True) from None
    second_path, _, second_new = second
    try:
        if second_new is not None:
            # ~/.aws, or ~/.aws/config itself, may well be a link into someone's
            # dotfiles: written through where that is safe, never replaced by a copy.
            write_private(second_path, second_new, linked_directory_ok=True, through_links=True)
    except (OSError, Unsafe) as exc:
        if new is not None:
            with contextlib.suppress(OSError, Unsafe):
                if existed:
                    write_private(path, old, private=private)
                else:
                    os.unlink(path)
        raise _unwritable(name, second_path, exc, settings=False) from None


def _unwritable(name: str, path: str, exc: OSError | Unsafe, *, settings: bool) -> ConfigError:
    if isinstance(exc, Unsafe) and exc.reason in ("missing", "not-dir", "denied", "error"):
        detail = {"missing": "no such directory", "not-dir": "not a directory"}
        exc = OSError(0, f"{exc.where}: {detail.get(exc.reason, exc.detail or exc.reason)}")
    if isinstance(exc, Unsafe):
        if settings:
            refused = location_error(exc, path)
            refused.message += "; nothing was changed"
            refused.profile = name
            return refused
        why = WHY.get(exc.reason, exc.reason)
        linked = os.path.islink(path)  # for the wording only; the checks were on descriptors
        what = f"{path} (a symbolic link)" if linked else path
        if exc.reason in ("not-file", "loop"):
            return ConfigError(
                f"will not write {what}: {exc.where} is {why}; nothing was changed",
                profile=name,
                hint="point the link at a file, or pass --aws-config",
            )
        return ConfigError(
            f"will not write {what}: {exc.where} is {why}, "
            "so others could change what it runs; nothing was changed",
            profile=name,
            hint=(
                "link it to a file of your own in a directory only you can change, or pass "
                "--aws-config"
                if linked
                else "fix that directory's ownership or permissions, or pass --aws-config"
            ),
        )
    return ConfigError(
        f"cannot write {path}: {exc.strerror or exc}; nothing was changed",
        profile=name,
        hint="check the file's and its directory's permissions, or pass --config / --aws-config",
    )


def _changes(before: dict[str, str], after: dict[str, str]) -> str:
    """Which keys an edit changed, by name (never a value: one may be the secret)."""
    parts = []
    for verb, keys in (
        ("changed", [k for k in after if k in before and before[k] != after[k]]),
        ("added", [k for k in after if k not in before]),
        ("removed", [k for k in before if k not in after]),
    ):
        if keys:
            parts.append(f"{verb} {', '.join(keys)}")
    return f" ({'; '.join(parts)})" if parts else ""


def _readable_by_others(path: str) -> bool:
    return current_platform().readable_by_others(path, directory=False) is not None
