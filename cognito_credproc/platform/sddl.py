"""Windows security descriptors as SDDL text, and the judgement of who else can write.

``ConvertSecurityDescriptorToStringSecurityDescriptorW`` gives a file's owner and
DACL as a string such as ``O:S-1-5-21-…-1001D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;S-1-5-…)``
(the format: https://learn.microsoft.com/windows/win32/secauthz/security-descriptor-string-format,
ACE strings: …/ace-strings, SID strings: …/sid-strings). Everything here is pure, so
the tests drive it with the strings real systems give.

The rules are those OpenSSH for Windows applies to its key files: the owner must be
the user, SYSTEM, Administrators or TrustedInstaller, and no allow entry may give
anyone else a right that changes the object (or, for a directory above, one that lets
them rename what is in it). Deny entries are not counted on (they only take away), and
entries that apply only to children (inherit-only) do not apply to the object itself.
"""

from __future__ import annotations

from dataclasses import dataclass

SYSTEM = "S-1-5-18"
ADMINISTRATORS = "S-1-5-32-544"
TRUSTED_INSTALLER = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"
EVERYONE = "S-1-1-0"
OWNER_RIGHTS = "S-1-3-4"
# Placeholders that mean something only when an ACE is inherited (then: whoever creates
# the child); on the object itself they grant nothing.
CREATOR_SIDS = frozenset({"S-1-3-0", "S-1-3-1", "S-1-3-2", "S-1-3-3"})
TRUSTED = frozenset({SYSTEM, ADMINISTRATORS, TRUSTED_INSTALLER})

# The two-letter SID strings that name the same account on every machine.
SID_ALIASES = {
    "AN": "S-1-5-7",
    "AO": "S-1-5-32-548",
    "AC": "S-1-15-2-1",
    "AU": "S-1-5-11",
    "BA": ADMINISTRATORS,
    "BG": "S-1-5-32-546",
    "BO": "S-1-5-32-551",
    "BU": "S-1-5-32-545",
    "CG": "S-1-3-1",
    "CO": "S-1-3-0",
    "ED": "S-1-5-9",
    "IU": "S-1-5-4",
    "LS": "S-1-5-19",
    "NS": "S-1-5-20",
    "NU": "S-1-5-2",
    "OW": OWNER_RIGHTS,
    "PO": "S-1-5-32-550",
    "PS": "S-1-5-10",
    "PU": "S-1-5-32-547",
    "RC": "S-1-5-12",
    "RD": "S-1-5-32-555",
    "RE": "S-1-5-32-552",
    "RU": "S-1-5-32-554",
    "SO": "S-1-5-32-549",
    "SU": "S-1-5-6",
    "SY": SYSTEM,
    "WD": EVERYONE,
    "WR": "S-1-5-33",
}
# Names for messages where the system cannot be asked (or the tests run elsewhere).
WELL_KNOWN_NAMES = {
    EVERYONE: "Everyone",
    "S-1-5-11": "NT AUTHORITY\\Authenticated Users",
    "S-1-5-32-545": "BUILTIN\\Users",
    "S-1-5-32-546": "BUILTIN\\Guests",
    "S-1-5-32-547": "BUILTIN\\Power Users",
    "S-1-5-4": "NT AUTHORITY\\INTERACTIVE",
    "S-1-5-2": "NT AUTHORITY\\NETWORK",
    "S-1-5-7": "NT AUTHORITY\\ANONYMOUS LOGON",
    "S-1-5-6": "NT AUTHORITY\\SERVICE",
    "S-1-5-19": "NT AUTHORITY\\LOCAL SERVICE",
    "S-1-5-20": "NT AUTHORITY\\NETWORK SERVICE",
    "S-1-15-2-1": "ALL APPLICATION PACKAGES",
    SYSTEM: "NT AUTHORITY\\SYSTEM",
    ADMINISTRATORS: "BUILTIN\\Administrators",
    TRUSTED_INSTALLER: "NT SERVICE\\TrustedInstaller",
}

# Access rights (winnt.h). On a directory WRITE_DATA adds a file, APPEND_DATA a
# subdirectory, DELETE_CHILD deletes (or renames) any entry in it.
READ_DATA = 0x1
WRITE_DATA = 0x2
APPEND_DATA = 0x4
WRITE_EA = 0x10
DELETE_CHILD = 0x40
WRITE_ATTRIBUTES = 0x100
DELETE = 0x10000
READ_CONTROL = 0x20000
WRITE_DAC = 0x40000
WRITE_OWNER = 0x80000
SYNCHRONIZE = 0x100000
GENERIC_ALL = 0x10000000
GENERIC_EXECUTE = 0x20000000
GENERIC_WRITE = 0x40000000
GENERIC_READ = 0x80000000
FILE_ALL_ACCESS = 0x1F01FF
FILE_GENERIC_READ = 0x120089
FILE_GENERIC_WRITE = 0x120116
FILE_GENERIC_EXECUTE = 0x1200A0
_GENERIC_FOR_FILES = (
    (GENERIC_ALL, FILE_ALL_ACCESS),
    (GENERIC_READ, FILE_GENERIC_READ),
    (GENERIC_WRITE, FILE_GENERIC_WRITE),
    (GENERIC_EXECUTE, FILE_GENERIC_EXECUTE),
)
# The two-letter rights of ACE strings (the directory-service letters stand for the same
# bits as the file rights: DC is WRITE_DATA, LC APPEND_DATA, and so on).
RIGHTS = {
    "GA": GENERIC_ALL,
    "GR": GENERIC_READ,
    "GW": GENERIC_WRITE,
    "GX": GENERIC_EXECUTE,
    "RC": READ_CONTROL,
    "SD": DELETE,
    "WD": WRITE_DAC,
    "WO": WRITE_OWNER,
    "CC": 0x1,
    "DC": 0x2,
    "LC": 0x4,
    "SW": 0x8,
    "RP": 0x10,
    "WP": 0x20,
    "DT": 0x40,
    "LO": 0x80,
    "CR": 0x100,
    "FA": FILE_ALL_ACCESS,
    "FR": FILE_GENERIC_READ,
    "FW": FILE_GENERIC_WRITE,
    "FX": FILE_GENERIC_EXECUTE,
    "KA": 0xF003F,
    "KR": 0x20019,
    "KW": 0x20006,
    "KX": 0x20019,
}

# What lets someone else change a file or directory that holds our secrets or settings:
# its data, attributes or extended attributes, its entries, its ACL or owner, or delete it.
CHANGE_RIGHTS = (
    WRITE_DATA
    | APPEND_DATA
    | WRITE_EA
    | DELETE_CHILD
    | WRITE_ATTRIBUTES
    | DELETE
    | WRITE_DAC
    | WRITE_OWNER
)
# What lets someone else swap what lies below a directory above ours: rename or delete
# an entry in it, rename the directory itself, or take it over. Adding entries does not
# (like a sticky /tmp: a stock C:\ lets every signed-in user make folders in it).
SWAP_RIGHTS = DELETE | DELETE_CHILD | WRITE_DAC | WRITE_OWNER
# What lets someone else read what is in it.
READ_RIGHTS = READ_DATA
# Allow entries; the conditional (callback) kinds are counted as if the condition held.
ALLOW_TYPES = frozenset({"A", "OA", "XA", "ZA"})


class SddlError(ValueError):
    """Not a security descriptor string this module understands."""


@dataclass(frozen=True)
class Ace:
    """One access control entry: its type, flags, access mask (generic rights mapped
    to file rights) and the SID it applies to (aliases expanded)."""

    kind: str
    flags: frozenset[str]
    mask: int
    sid: str

    @property
    def inherit_only(self) -> bool:
        return "IO" in self.flags


@dataclass(frozen=True)
class Descriptor:
    """Owner and DACL; ``dacl`` None is a NULL DACL (everyone may do anything)."""

    owner: str | None
    dacl: tuple[Ace, ...] | None
    protected: bool = False


@dataclass(frozen=True)
class Finding:
    """Why a descriptor is refused: "other-owner" (``sids`` is the owner) or "writable"
    (``sids`` are everyone else who can)."""

    reason: str
    sids: tuple[str, ...]


def sid(text: str) -> str:
    """A SID string with its alias expanded (``BU`` -> ``S-1-5-32-545``)."""
    text = text.strip()
    if text.upper().startswith("S-"):
        return text.upper()
    return SID_ALIASES.get(text.upper(), text.upper())


def _mask(text: str) -> int:
    text = text.strip()
    if not text:
        return 0
    if text[:2].lower() == "0x":
        try:
            value = int(text, 16)
        except ValueError:
            raise SddlError(f"bad access mask {text!r}") from None
    elif text.isdigit():
        value = int(text)
    else:
        if len(text) % 2:
            raise SddlError(f"bad access rights {text!r}")
        value = 0
        for index in range(0, len(text), 2):
            letters = text[index : index + 2].upper()
            if letters not in RIGHTS:
                raise SddlError(f"unknown access right {letters!r}")
            value |= RIGHTS[letters]
    for generic, specific in _GENERIC_FOR_FILES:
        if value & generic:
            value = (value & ~generic) | specific
    return value


def _aces(text: str) -> tuple[Ace, ...]:
    aces = []
    index = 0
    while index < len(text):
        if text[index] != "(":
            raise SddlError(f"expected an ACE at {text[index:][:20]!r}")
        depth, end = 0, index
        for end in range(index, len(text)):
            if text[end] == "(":
                depth += 1
            elif text[end] == ")":
                depth -= 1
                if depth == 0:
                    break
        if depth:
            raise SddlError("an ACE is not closed")
        fields = text[index + 1 : end].split(";", 6)
        if len(fields) < 6:
            raise SddlError(f"an ACE has {len(fields)} fields, not 6")
        kind, flags, rights, _object, _inherited, trustee = fields[:6]
        flag_set = frozenset(flags[i : i + 2].upper() for i in range(0, len(flags), 2))
        aces.append(Ace(kind.strip().upper(), flag_set, _mask(rights), sid(trustee)))
        index = end + 1
    return tuple(aces)


def parse(text: str) -> Descriptor:
    """The owner and DACL of a security descriptor string. A descriptor without a DACL
    part, or with ``D:NO_ACCESS_CONTROL``, has a NULL DACL."""
    parts: dict[str, str] = {}
    key: str | None = None
    depth = 0
    start = 0
    index = 0
    while index < len(text):
        char = text[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and char in "OGDS" and text[index + 1 : index + 2] == ":":
            if key is not None:
                parts[key] = text[start:index]
            key, start = char, index + 2
            index += 2
            continue
        index += 1
    if key is None:
        raise SddlError("no owner or DACL in the security descriptor")
    parts[key] = text[start:]
    owner = sid(parts["O"]) if parts.get("O") else None
    if "D" not in parts:
        return Descriptor(owner, None)
    dacl = parts["D"]
    first = dacl.find("(")
    flags, entries = (dacl, "") if first < 0 else (dacl[:first], dacl[first:])
    if "NO_ACCESS_CONTROL" in flags.upper():
        return Descriptor(owner, None)
    return Descriptor(owner, _aces(entries), protected="P" in flags.upper())


def _is_user(sid_text: str, user: str) -> bool:
    return sid_text == user.upper()


def trusted(sid_text: str, user: str) -> bool:
    """The user, SYSTEM, Administrators or TrustedInstaller."""
    return sid_text in TRUSTED or _is_user(sid_text, user)


def holders(
    descriptor: Descriptor, user: str, rights: int, *, inheritable: bool = False
) -> tuple[str, ...]:
    """Everyone but the trusted who holds any of ``rights`` on the object (``inheritable``:
    or would on what is created in it), in the DACL's order."""
    if descriptor.dacl is None:
        return (EVERYONE,)
    found: list[str] = []
    for ace in descriptor.dacl:
        if ace.kind not in ALLOW_TYPES or not ace.mask & rights:
            continue
        if ace.inherit_only and not inheritable:
            continue
        trustee = ace.sid
        if trustee == OWNER_RIGHTS:
            trustee = descriptor.owner or EVERYONE
        if trustee in CREATOR_SIDS:
            continue  # nothing on the object; on what is made in it, whoever makes it
        if not trusted(trustee, user) and trustee not in found:
            found.append(trustee)
    return tuple(found)


def judge(descriptor: Descriptor, user: str, rights: int) -> Finding | None:
    """None when only the trusted own the object and hold any of ``rights`` on it."""
    owner = descriptor.owner
    if owner is None or not trusted(owner, user):
        return Finding("other-owner", (owner or "an unknown owner",))
    others = holders(descriptor, user, rights)
    return Finding("writable", others) if others else None


def private_descriptor(user: str, *, directory: bool) -> str:
    """What the tool gives what it creates: the user alone, nothing inherited."""
    inherit = "OICI" if directory else ""
    return f"D:P(A;{inherit};FA;;;{user})"
