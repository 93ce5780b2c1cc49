"""The settings file and ``~/.aws/config`` as people really have them (``ini_corpus/``):
a byte-order mark and CRLF endings from a Windows editor, a comment after a section
header, ``%`` in values, indented sub-settings, ``[profile x]`` next to ``[x]`` and
``[default]``, ``[profile  x]`` with two spaces, ``[sso-session x]`` and ``[services x]``
sections, tabs, and comments with ``;`` and ``#``. What the AWS CLI makes of a file is
botocore's own reader's answer; ``configure`` and ``doctor`` must agree with it."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.configloader import _parse_section, build_profile_map, raw_config_parse

from cognito_credproc.arguments import build_parser
from cognito_credproc.cli import Context
from cognito_credproc.config import load_profile
from cognito_credproc.configure import cmd_configure, helper_command
from cognito_credproc.doctor import Report, _aws_file
from cognito_credproc.errors import ConfigError

CORPUS = Path(__file__).resolve().parent / "ini_corpus"
BOM = b"\xef\xbb\xbf"
IDS = [
    "--user-pool-id",
    "us-east-1_Pool1",
    "--app-client-id",
    "client1",
    "--identity-pool-id",
    "us-east-1:00000000-0000-0000-0000-000000000001",
    "--username",
    "alice",
    "--no-validate",
]


def aws_cli_profiles(path: Path) -> dict[str, Any]:
    """The profiles the AWS CLI reads from ``path`` (botocore's reader)."""
    profiles: dict[str, Any] = build_profile_map(raw_config_parse(str(path)))["profiles"]
    return profiles


class Files:
    """A corpus file as the AWS config, an empty settings file, and configure run
    in-process against them."""

    def __init__(self, tmp_path: Path, corpus: str) -> None:
        self.aws = tmp_path / "aws-config"
        shutil.copyfile(CORPUS / corpus, self.aws)
        self.original = self.aws.read_bytes()
        self.settings = tmp_path / "config.ini"
        self.environ = {"AWS_CONFIG_FILE": str(self.aws)}
        # what the AWS CLI would read if the file had no byte-order mark
        without_bom = tmp_path / "as-the-aws-cli-reads-it"
        without_bom.write_bytes(self.original.removeprefix(BOM))
        self.before = aws_cli_profiles(without_bom)

    def configure(self, profile: str, *extra: str) -> str:
        args = build_parser().parse_args(
            ["configure", "--profile", profile, "--config", str(self.settings), *IDS, *extra]
        )
        err = io.StringIO()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sys, "stderr", err)
            assert cmd_configure(Context(args, self.environ)) == 0
        return err.getvalue()

    def line(self, profile: str) -> str:
        args = build_parser().parse_args(["configure", "--config", str(self.settings)])
        return helper_command(Context(args, self.environ), profile)


AWS_FILES = sorted(p.name for p in CORPUS.glob("aws-config-*"))


@pytest.mark.parametrize("corpus", AWS_FILES)
def test_a_new_profile_is_added_and_nothing_else_changes(tmp_path: Path, corpus: str) -> None:
    files = Files(tmp_path, corpus)
    files.configure("cognito")
    after = aws_cli_profiles(files.aws)  # the AWS CLI reads the file (no byte-order mark)
    assert after.pop("cognito") == {
        "credential_process": files.line("cognito"),
        "region": "us-east-1",
    }
    assert after == files.before
    text = files.aws.read_bytes()
    kept = files.original.removeprefix(BOM)
    assert text.startswith(kept)  # every byte of the user's file, in place
    added = text[len(kept) :]
    if b"\r\n" in kept:  # the new section in the file's own line endings
        assert added.count(b"\n") == added.count(b"\r\n") > 0
    else:
        assert b"\r" not in added
    # again: nothing to do, nothing written
    settings = files.settings.read_bytes()
    said = files.configure("cognito")
    assert "already up to date" in said and "already uses cognito-credproc" in said
    assert (files.aws.read_bytes(), files.settings.read_bytes()) == (text, settings)


# (corpus file, profile) that the AWS CLI already has, under any header it reads as it
EXISTING = [
    ("aws-config-windows-editor", "dev"),  # [profile dev] ; the team's sandbox
    ("aws-config-windows-editor", "default"),
    ("aws-config-sso-and-services", "dev"),  # [profile dev]   # trailing comment
    ("aws-config-sso-and-services", "spaced"),  # [profile  spaced]
    ("aws-config-bare-names", "default"),  # [profile default]
]


@pytest.mark.parametrize(("corpus", "profile"), EXISTING, ids=[f"{c}-{p}" for c, p in EXISTING])
def test_an_existing_profile_is_kept_unless_forced_then_replaced_in_place(
    tmp_path: Path, corpus: str, profile: str
) -> None:
    files = Files(tmp_path, corpus)
    assert profile in files.before
    with pytest.raises(ConfigError, match="already exists"):
        files.configure(profile)
    assert files.aws.read_bytes() == files.original and not files.settings.exists()
    files.configure(profile, "--force")
    after = aws_cli_profiles(files.aws)
    assert after.pop(profile)["credential_process"] == files.line(profile)
    assert after == {k: v for k, v in files.before.items() if k != profile}
    # one section for the profile, where the old one was
    before = profile_headers(files.original.decode("utf-8-sig"))
    after_headers = profile_headers(files.aws.read_text())
    assert len(after_headers) == len(before)
    assert [i for i, p in enumerate(after_headers) if p == profile] == [
        i for i, p in enumerate(before) if p == profile
    ][:1]


def profile_headers(text: str) -> list[str | None]:
    """The profile each section header of an AWS config file names to botocore (None:
    not a profile), in order."""
    names: list[str | None] = []
    for line in text.splitlines():
        if line.startswith("["):
            header = line[1:].split("]")[0]
            if header == "default":
                names.append("default")
            elif header.startswith("profile"):
                names.append(next(iter(_parse_section(header, {})), None))
            else:
                names.append(None)
    return names


def test_a_bare_section_is_not_the_profile(tmp_path: Path) -> None:
    """[dev] in ~/.aws/config is not profile dev to the AWS CLI: configure adds
    [profile dev] and leaves [dev] alone."""
    files = Files(tmp_path, "aws-config-bare-names")
    assert "dev" not in files.before
    files.configure("dev")
    assert aws_cli_profiles(files.aws)["dev"]["credential_process"] == files.line("dev")
    assert files.aws.read_text().startswith(files.original.decode())


def test_rerunning_configure_on_a_settings_file_saved_by_a_windows_editor(
    tmp_path: Path,
) -> None:
    files = Files(tmp_path, "aws-config-sso-and-services")
    files.configure("cognito")
    # the settings file opened and saved in a Windows editor: BOM and CRLF
    saved = BOM + files.settings.read_bytes().replace(b"\n", b"\r\n")
    files.settings.write_bytes(saved)
    aws = files.aws.read_bytes()
    said = files.configure("cognito")
    assert "[cognito] in" in said and "is already up to date" in said
    assert (files.settings.read_bytes(), files.aws.read_bytes()) == (saved, aws)
    assert load_profile(str(files.settings), "cognito", {}).username == "alice"


def test_a_settings_file_from_a_windows_editor_loads_as_written() -> None:
    profile = load_profile(str(CORPUS / "settings-windows-editor.ini"), "dev", {})
    assert profile.password_command == "pass show cognito/100%-alice"  # % is no interpolation
    assert profile.endpoint_url == "http://127.0.0.1:9"  # from [DEFAULT]
    assert profile.auth_flow == "USER_PASSWORD_AUTH"


@pytest.mark.parametrize("corpus", AWS_FILES)
def test_doctor_reads_the_aws_config_as_the_aws_cli_does(
    tmp_path: Path, corpus: str, capsys: pytest.CaptureFixture[str]
) -> None:
    files = Files(tmp_path, corpus)
    report = Report()
    profiles = _aws_file(report, str(files.aws), config=True)
    out = capsys.readouterr().out
    if files.original.startswith(BOM):
        # the AWS CLI reads none of it, and doctor says why
        with pytest.raises(Exception, match="Unable to parse config file"):
            aws_cli_profiles(files.aws)
        assert report.failed == 1 and profiles == {}
        assert "starts with a byte-order mark, so the AWS CLI cannot read it" in out
        files.aws.write_bytes(files.original.removeprefix(BOM))
        profiles = _aws_file(report, str(files.aws), config=True)
    # what doctor looks at: which profiles there are, and what each one runs
    theirs = aws_cli_profiles(files.aws)
    assert theirs == files.before
    assert {name: p.get("credential_process") for name, p in profiles.items()} == {
        name: p.get("credential_process") for name, p in theirs.items()
    }


def test_doctor_says_when_the_aws_cli_cannot_read_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "aws-config"
    path.write_text(
        "[profile dev]\ncredential_process = cognito-credproc --profile dev\n"
        "[profile dev]\nregion = eu-west-1\n"
    )
    with pytest.raises(Exception, match="Unable to parse config file"):
        aws_cli_profiles(path)
    report = Report()
    assert _aws_file(report, str(path), config=True) == {}
    assert report.failed == 1
    assert f"the AWS CLI cannot read {path}: " in capsys.readouterr().out
