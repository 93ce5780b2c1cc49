"""Attack and accident: ``~/.aws/config`` is a symbolic link (a dotfiles setup). Writing
it by renaming a new file onto its name turned the link into a private copy, silently:
the dotfiles no longer saw the profile, and later edits went to the copy. ``configure``
writes through to the link's target, after the checks every write makes (the target's
directory cannot be swapped by others, the target is the user's own regular file, on
descriptors), or refuses and says why; it never replaces the link."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from ..conftest import Workspace
from ..fakes import SECTION
from .conftest import ATTACKER_GID, ATTACKER_UID, as_attacker, need_root

pytestmark = pytest.mark.integration

IDS = (
    "--user-pool-id",
    "us-east-1_AbCdEf123",
    "--app-client-id",
    "1example23456789",
    "--identity-pool-id",
    "us-east-1:11111111-2222-3333-4444-555555555555",
    "--username",
    "alice",
    "--no-validate",
)
DOTFILES_TEXT = "# kept in my dotfiles\n[default]\nregion = eu-west-1\n"


def configure(ws: Workspace) -> tuple[int, str]:
    done = ws.run("configure", "--profile", "dev", *IDS)
    return done.returncode, done.stderr


def link_aws_config(ws: Workspace, target: Path) -> None:
    ws.aws_config.unlink(missing_ok=True)
    ws.aws_config.symlink_to(target)


def test_configure_writes_through_a_link_into_the_dotfiles(ws: Workspace) -> None:
    target = ws.root / "dotfiles" / "aws" / "config"
    target.parent.mkdir(parents=True, mode=0o700)
    target.write_text(DOTFILES_TEXT)
    target.chmod(0o640)
    link_aws_config(ws, Path(os.path.relpath(target, ws.aws_config.parent)))
    code, err = configure(ws)
    assert code == 0, err
    assert ws.aws_config.is_symlink()  # still the link, not a copy
    text = target.read_text()
    assert text.startswith(DOTFILES_TEXT)
    assert "[profile dev]\ncredential_process = " in text
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the target keeps its mode
    assert [p.name for p in target.parent.iterdir()] == ["config"]  # no temp file left
    # Run again: nothing to change, still a link.
    code, err = configure(ws)
    assert code == 0, err
    assert ws.aws_config.is_symlink() and target.read_text() == text


def test_configure_follows_a_chain_of_links(ws: Workspace) -> None:
    target = ws.root / "dotfiles" / "config"
    target.parent.mkdir(mode=0o700)
    target.write_text(DOTFILES_TEXT)
    middle = ws.root / "middle-link"
    middle.symlink_to(target)
    link_aws_config(ws, middle)
    code, err = configure(ws)
    assert code == 0, err
    assert ws.aws_config.is_symlink() and middle.is_symlink()
    assert "[profile dev]" in target.read_text()


def test_a_dangling_link_gets_its_target_made_private(ws: Workspace) -> None:
    target = ws.root / "dotfiles" / "config"
    target.parent.mkdir(mode=0o700)
    link_aws_config(ws, target)
    code, err = configure(ws)
    assert code == 0, err
    assert ws.aws_config.is_symlink()
    assert "[profile dev]" in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_link_to_another_users_file_is_refused(ws: Workspace, shared_tmp: Path) -> None:
    need_root()
    theirs = shared_tmp / "config"
    theirs.write_text(DOTFILES_TEXT)
    os.chown(theirs, ATTACKER_UID, ATTACKER_GID)
    link_aws_config(ws, theirs)
    code, err = configure(ws)
    assert code == 2, err
    assert str(theirs) in err and "owned by another user" in err
    assert "nothing was changed" in err
    assert ws.aws_config.is_symlink() and os.readlink(ws.aws_config) == str(theirs)
    assert theirs.read_text() == DOTFILES_TEXT
    assert not ws.config.exists()  # both files or neither


@pytest.mark.parametrize("owner", ["attacker", "writable"])
def test_a_link_into_a_directory_others_control_is_refused(
    ws: Workspace, shared_tmp: Path, owner: str
) -> None:
    # Whoever can rename entries in the target's directory can swap the file the AWS
    # CLI reads (and so the command it runs) after the check.
    need_root()
    folder = shared_tmp / "dotfiles"
    folder.mkdir()
    target = folder / "config"
    target.write_text(DOTFILES_TEXT)
    if owner == "attacker":
        os.chown(folder, ATTACKER_UID, ATTACKER_GID)
    else:
        folder.chmod(0o777)  # writable by all, no sticky bit
    link_aws_config(ws, target)
    code, err = configure(ws)
    assert code == 2, err
    assert str(folder) in err
    assert "owned by another user" in err or "writable by other users" in err
    assert ws.aws_config.is_symlink()
    assert target.read_text() == DOTFILES_TEXT


def test_a_link_to_something_that_is_not_a_file_is_refused(ws: Workspace) -> None:
    folder = ws.root / "a-directory"
    folder.mkdir()
    link_aws_config(ws, folder)
    code, err = configure(ws)
    assert code == 2, err
    assert "not a regular file" in err
    assert ws.aws_config.is_symlink() and folder.is_dir()


def test_a_link_loop_is_refused(ws: Workspace) -> None:
    other = ws.root / "loop"
    other.symlink_to(ws.aws_config)
    link_aws_config(ws, other)
    code, err = configure(ws)
    assert code in (1, 2), err
    assert "Traceback" not in err
    assert ws.aws_config.is_symlink() and other.is_symlink()


def test_a_plain_file_is_still_replaced_atomically(ws: Workspace) -> None:
    ws.aws_config.write_text(DOTFILES_TEXT)
    before = ws.aws_config.stat().st_ino
    code, err = configure(ws)
    assert code == 0, err
    assert not ws.aws_config.is_symlink()
    assert ws.aws_config.stat().st_ino != before  # a new file renamed onto the name
    assert ws.aws_config.read_text().startswith(DOTFILES_TEXT)


# -- an AWS config of hers, read and then gone ------------------------------------------------

HERS = "[default]\ncredential_process = /tmp/evil-helper\n"


def configure_racing(
    monkeypatch: pytest.MonkeyPatch,
    ws: Workspace,
    capsys: pytest.CaptureFixture[str],
    aws_config: Path,
    she_acts: Callable[[], None],
) -> tuple[int, str]:
    """configure run in this process with ``--aws-config``; ``she_acts`` runs just before
    that file is written, between configure's read and its write: the race, played out
    exactly. Returns the exit code and stderr."""
    from cognito_credproc import configure as configure_module
    from cognito_credproc.cli import main
    from cognito_credproc.inifile import write_private

    def her_move_first(path: str, text: str, **kwargs: bool) -> None:
        if path == str(aws_config):
            she_acts()
        write_private(path, text, **kwargs)

    monkeypatch.setattr(configure_module, "write_private", her_move_first)
    for key, value in ws.env.items():
        monkeypatch.setenv(key, value)
    code = main(["configure", "--profile", "dev", "--aws-config", str(aws_config), *IDS])
    return code, capsys.readouterr().err


def test_a_file_of_hers_that_is_gone_before_the_write_never_enters_the_users(
    monkeypatch: pytest.MonkeyPatch,
    ws: Workspace,
    shared_tmp: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The AWS config's path is in a sticky shared directory and does not exist yet. She
    # puts a file of hers there while configure reads it and takes it away before the
    # write's checks: her [default] (a command the AWS CLI would run as the user) must not
    # be written into the user's own new file. The race is played out exactly here: her
    # file goes just before the write.
    need_root()
    theirs = shared_tmp / "aws-config"
    theirs.write_text(HERS)
    os.chown(theirs, ATTACKER_UID, ATTACKER_GID)
    shared_tmp.chmod(0o1777)
    code, err = configure_racing(
        monkeypatch, ws, capsys, theirs, lambda: theirs.unlink(missing_ok=True)
    )
    assert code == 2, err
    assert f"will not write {theirs} is owned by another user (uid {ATTACKER_UID})" in err
    assert "nothing was changed" in err
    assert not ws.config.exists()  # both files or neither
    # refused on what was read: her file was never taken, nothing of hers became ours
    assert theirs.stat().st_uid == ATTACKER_UID
    assert theirs.read_text() == HERS


def test_doctor_fails_an_aws_config_of_another_user(ws: Workspace, shared_tmp: Path) -> None:
    need_root()
    theirs = shared_tmp / "aws-config"
    theirs.write_text(HERS + "[profile dev]\ncredential_process = cognito-credproc\n")
    os.chown(theirs, ATTACKER_UID, ATTACKER_GID)
    link_aws_config(ws, theirs)
    ws.write_config("[dev]\n" + "".join(f"{k} = {v}\n" for k, v in SECTION.items()))
    done = ws.run("doctor", "--profile", "dev")
    assert done.returncode == 1
    assert f"is owned by another user (uid {ATTACKER_UID}), who can change the commands" in (
        done.stdout
    )


def test_a_link_of_hers_to_a_file_root_owns_is_not_read_even_if_gone_before_the_write(
    monkeypatch: pytest.MonkeyPatch,
    ws: Workspace,
    shared_tmp: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Her own file is refused, so she points a link of hers (in sticky /tmp) at a file
    # root owns whose text she chose (a process's /proc/PID/cmdline is listed as root's
    # when it is not dumpable; here, a file the test makes as root), and takes the link
    # away before the write: links of others in a directory anyone can write to are
    # never followed, not even to read.
    need_root()
    chosen = ws.root / "her-text"
    chosen.write_text(HERS)
    shared_tmp.chmod(0o1777)
    hers = shared_tmp / "aws-config"
    made = as_attacker(f"ln -s {chosen} {hers}")
    assert made.returncode == 0, made.stderr
    assert hers.lstat().st_uid == ATTACKER_UID
    code, err = configure_racing(monkeypatch, ws, capsys, hers, lambda: hers.unlink())
    assert code == 2, err
    assert f"will not write {hers} is owned by another user (uid {ATTACKER_UID})" in err
    assert hers.is_symlink() and chosen.read_text() == HERS  # nothing read, nothing written


def test_a_file_others_may_write_is_not_built_on(ws: Workspace, shared_tmp: Path) -> None:
    # Root's own, but writable by all (a lock file left 0666, hard-linked into /tmp by
    # her): she wrote what it says, and could rewrite the profile after configure.
    need_root()
    shared = shared_tmp / "aws-config"
    shared.write_text(HERS)
    shared.chmod(0o666)
    link_aws_config(ws, shared)
    code, err = configure(ws)
    assert code == 2, err
    assert f"{shared} is writable by other users" in err and "nothing was changed" in err
    assert shared.read_text() == HERS
    ws.write_config("[dev]\n" + "".join(f"{k} = {v}\n" for k, v in SECTION.items()))
    done = ws.run("doctor", "--profile", "dev")
    assert done.returncode == 1
    assert f"{shared} is writable by other users, who can change the commands" in done.stdout


def test_a_file_of_hers_that_appears_before_the_write_is_not_replaced(
    monkeypatch: pytest.MonkeyPatch,
    ws: Workspace,
    shared_tmp: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Nothing there when configure reads; her file there when it writes: the write's own
    # checks refuse it (a file of another user is neither built on nor replaced).
    need_root()
    shared_tmp.chmod(0o1777)
    theirs = shared_tmp / "aws-config"

    def she_puts_hers_there() -> None:
        theirs.write_text(HERS)
        os.chown(theirs, ATTACKER_UID, ATTACKER_GID)

    code, err = configure_racing(monkeypatch, ws, capsys, theirs, she_puts_hers_there)
    assert code == 2, err
    assert f"{theirs} is owned by another user" in err and "nothing was changed" in err
    assert theirs.stat().st_uid == ATTACKER_UID and theirs.read_text() == HERS
    assert not ws.config.exists()  # both files or neither: the settings were put back
