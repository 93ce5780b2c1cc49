"""Windows security descriptors judged as OpenSSH for Windows judges key files, from the
SDDL strings real systems give (ConvertSecurityDescriptorToStringSecurityDescriptorW,
``icacls``); pure, so it runs anywhere."""

from __future__ import annotations

import pytest

from cognito_credproc.platform import sddl

USER = "S-1-5-21-3623811015-3361044348-30300820-1001"
OTHER = "S-1-5-21-3623811015-3361044348-30300820-1002"
TI = sddl.TRUSTED_INSTALLER

# C:\Users\alice\AppData\Local (%LOCALAPPDATA%): everything inherited from the profile.
LOCALAPPDATA = (
    f"O:{USER}G:S-1-5-21-3623811015-3361044348-30300820-513"
    f"D:(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIID;FA;;;{USER})"
)
# C:\Users\alice, as Windows makes a profile folder.
PROFILE = f"O:SYG:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;{USER})"
# C:\Users: read for Users and Everyone.
USERS = (
    "O:SYG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;;0x1200a9;;;BU)(A;OICIIO;GXGR;;;BU)"
    "(A;;0x1200a9;;;WD)(A;OICIIO;GXGR;;;WD)"
)
# C:\ : TrustedInstaller owns it; signed-in users may make folders (LC) and get Modify on
# what they make (inherit-only).
DRIVE_ROOT = (
    f"O:{TI}G:{TI}D:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;BU)"
    "(A;OICIIO;SDGXGWGR;;;AU)(A;;LC;;;AU)"
)
# C:\ProgramData: Users may add files and folders (but not delete others').
PROGRAMDATA = (
    "O:SYG:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICIIO;GA;;;CO)(A;OICI;0x1200a9;;;BU)"
    "(A;CI;DCLCRPCR;;;BU)"
)
# D:\tools on a second drive: Authenticated Users' Modify inherited from D:\ .
SECOND_DRIVE = (
    f"O:{USER}G:S-1-5-21-3623811015-3361044348-30300820-513D:AI(A;OICIID;FA;;;BA)"
    "(A;OICIID;FA;;;SY)(A;OICIID;0x1301bf;;;AU)(A;OICIID;0x1200a9;;;BU)"
)
# A folder shared with the machine's users, who may change what is in it.
SHARED_WITH_USERS = (
    f"O:{USER}D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;{USER})(A;OICI;0x1301bf;;;BU)"
)
EVERYONE_FULL_CONTROL = f"O:{USER}D:(A;OICI;FA;;;WD)(A;OICIID;FA;;;SY)(A;OICIID;FA;;;{USER})"
NULL_DACL = f"O:{USER}D:NO_ACCESS_CONTROL"
OTHER_USERS = f"O:{OTHER}D:P(A;OICI;FA;;;{OTHER})(A;OICI;FA;;;{USER})"
MADE_ELEVATED = f"O:BAG:SYD:P(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;FA;;;{USER})"
OURS = "O:" + USER + sddl.private_descriptor(USER, directory=True)


def judged(text: str, rights: int = sddl.CHANGE_RIGHTS) -> sddl.Finding | None:
    return sddl.judge(sddl.parse(text), USER, rights)


@pytest.mark.parametrize(
    "text", [LOCALAPPDATA, PROFILE, USERS, MADE_ELEVATED, OURS], ids=lambda t: t[:30]
)
def test_folders_only_the_user_and_the_system_can_change_are_private(text: str) -> None:
    assert judged(text) is None
    assert judged(text, sddl.SWAP_RIGHTS) is None


@pytest.mark.parametrize(
    ("text", "who"),
    [
        (SHARED_WITH_USERS, ("S-1-5-32-545",)),
        (SECOND_DRIVE, ("S-1-5-11",)),
        (EVERYONE_FULL_CONTROL, (sddl.EVERYONE,)),
        (NULL_DACL, (sddl.EVERYONE,)),
        (PROGRAMDATA, ("S-1-5-32-545",)),
        (DRIVE_ROOT, ("S-1-5-11",)),
    ],
    ids=["users-modify", "second-drive", "everyone", "null-dacl", "programdata", "drive-root"],
)
def test_anyone_else_who_can_write_is_named(text: str, who: tuple[str, ...]) -> None:
    found = judged(text)
    assert found == sddl.Finding("writable", who)


def test_a_directory_above_may_let_others_add_entries_but_not_rename_them() -> None:
    # Like a sticky /tmp: C:\ and C:\ProgramData let users make folders, never touch others'.
    assert judged(DRIVE_ROOT, sddl.SWAP_RIGHTS) is None
    assert judged(PROGRAMDATA, sddl.SWAP_RIGHTS) is None
    # Modify includes DELETE: whoever has it on a folder can rename the folder away.
    assert judged(SECOND_DRIVE, sddl.SWAP_RIGHTS) == sddl.Finding("writable", ("S-1-5-11",))
    assert judged(SHARED_WITH_USERS, sddl.SWAP_RIGHTS) is not None


def test_another_owner_is_refused_whatever_the_dacl() -> None:
    assert judged(OTHER_USERS) == sddl.Finding("other-owner", (OTHER,))
    assert judged(OTHER_USERS, sddl.SWAP_RIGHTS) == sddl.Finding("other-owner", (OTHER,))
    assert judged(f"D:P(A;;FA;;;{USER})") == sddl.Finding("other-owner", ("an unknown owner",))


def test_entries_that_only_children_inherit_do_not_apply_to_the_folder() -> None:
    creator = f"O:{USER}D:P(A;OICI;FA;;;{USER})(A;OICIIO;GA;;;CO)(A;OICIIO;GA;;;BU)"
    assert judged(creator) is None
    # ...but they do make what is created in it readable by others (doctor says so).
    readers = sddl.holders(sddl.parse(creator), USER, sddl.READ_RIGHTS, inheritable=True)
    assert readers == ("S-1-5-32-545",)


def test_generic_rights_count_as_the_file_rights_they_stand_for() -> None:
    assert judged(f"O:{USER}D:(A;;GW;;;BU)") == sddl.Finding("writable", ("S-1-5-32-545",))
    assert judged(f"O:{USER}D:(A;;GRGX;;;BU)") is None
    assert judged(f"O:{USER}D:(A;;GA;;;BU)", sddl.SWAP_RIGHTS) is not None
    assert judged(f"O:{USER}D:(A;;GW;;;BU)", sddl.SWAP_RIGHTS) is None  # no delete in it


def test_single_rights_that_change_a_file_are_each_enough() -> None:
    for right in ("SD", "WD", "WO", "DC", "LC", "RP", "DT", "CR", "0x2", "0x100"):
        assert judged(f"O:{USER}D:(A;;{right};;;AU)") is not None, right
    for right in ("RC", "CC", "SW", "LO", "WP", "0x1200a9", "FR", "FX"):
        assert judged(f"O:{USER}D:(A;;{right};;;AU)") is None, right


def test_owner_rights_creator_owner_deny_and_conditional_entries() -> None:
    # OWNER RIGHTS is whoever owns it; CREATOR OWNER on the object itself grants nothing.
    assert judged(f"O:{USER}D:(A;;FA;;;OW)(A;;FA;;;CO)") is None
    # A deny entry is not counted on: the allow entry stands as written.
    assert judged(f"O:{USER}D:(D;;FA;;;BU)(A;;FA;;;BU)") is not None
    # A conditional allow counts as if its condition held; nested parentheses parse.
    conditional = f'O:{USER}D:(XA;;FA;;;WD;(@User.Project Any_of {{"x", "y"}}))(A;;FA;;;{USER})'
    assert judged(conditional) == sddl.Finding("writable", (sddl.EVERYONE,))


def test_the_built_in_accounts_are_trusted_by_alias_or_by_sid() -> None:
    spelled = (
        f"O:S-1-5-32-544D:(A;;FA;;;S-1-5-18)(A;;FA;;;{TI})(A;;FA;;;{USER.lower()})"
        "(A;;0x1200a9;;;S-1-1-0)"
    )
    assert judged(spelled) is None


@pytest.mark.parametrize(
    "text",
    ["", "garbage", f"O:{USER}D:(A;;QQ;;;BU)", f"O:{USER}D:(A;;FA;;BU)", f"O:{USER}D:(A;;FA;;;BU"],
)
def test_what_cannot_be_parsed_is_an_error(text: str) -> None:
    with pytest.raises(sddl.SddlError):
        sddl.parse(text)


def test_what_the_tool_creates_is_the_users_alone_and_protected() -> None:
    made = sddl.parse("O:" + USER + sddl.private_descriptor(USER, directory=False))
    assert made.protected
    assert made.dacl == (sddl.Ace("A", frozenset(), sddl.FILE_ALL_ACCESS, USER),)
    folder = sddl.parse(OURS)
    assert folder.dacl is not None and folder.dacl[0].flags == {"OI", "CI"}
    assert sddl.holders(folder, USER, 0xFFFFFFFF, inheritable=True) == ()
