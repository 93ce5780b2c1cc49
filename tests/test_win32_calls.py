"""The ctypes calls of ``platform/win32.py``, run here against stand-ins for kernel32 and
advapi32: every call goes through ctypes with the argument and result types the module
declares (so a wrong type, a pointer read or written wrongly, a handle or a buffer not
freed shows), and the stand-ins answer as the Win32 documentation says the functions
do. On Windows the real module runs instead, in the rest of the suite."""

from __future__ import annotations

import ctypes
import os
import sys
import types
from collections.abc import Callable, Iterator
from ctypes import wintypes
from pathlib import Path
from typing import Any

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "cognito_credproc" / "platform" / "win32.py"
USER = "S-1-5-21-3623811015-3361044348-30300820-1001"
SDDL = f"O:{USER}D:P(A;OICI;FA;;;{USER})"
INVALID_HANDLE_VALUE = int(wintypes.HANDLE(-1).value or 0)
# Arguments that are buffers the function writes a string into.
OUTPUT_BUFFERS = {"LookupAccountSidW": (2, 4), "GetShortPathNameW": (1,), "GetLongPathNameW": (1,)}

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Windows runs the real calls")


class Function:
    """A foreign function: the module sets restype and argtypes; a call goes through a
    ctypes callback of exactly that signature to ``impl``."""

    def __init__(
        self, name: str, impl: Callable[..., Any], calls: list[tuple[str, tuple[Any, ...]]]
    ) -> None:
        self.name = name
        self.impl = impl
        self.calls = calls
        self.restype: Any = ctypes.c_int
        self.argtypes: tuple[Any, ...] = ()
        self._keep: list[Any] = []

    def __call__(self, *args: Any) -> Any:
        failed: list[BaseException] = []

        def record(*received: Any) -> Any:
            self.calls.append((self.name, received))
            try:
                return self.impl(*received)
            except BaseException as exc:  # noqa: BLE001 - raised again below, outside ctypes
                failed.append(exc)
                return 0

        # The stand-in receives the string buffers it is to fill by address (as the C
        # function does); the call itself converts with the module's own argtypes.
        outputs = OUTPUT_BUFFERS.get(self.name, ())
        receiving = [
            ctypes.c_void_p if index in outputs else kind
            for index, kind in enumerate(self.argtypes)
        ]
        callback = ctypes.CFUNCTYPE(self.restype, *receiving)(record)
        callback.argtypes = self.argtypes
        self._keep.append(callback)
        result = callback(*args)
        if failed:
            raise failed[0]
        return result


class Windows:
    """kernel32, advapi32 and msvcrt as the documentation describes them, in memory."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.last_error = 0
        self.buffers: dict[int, Any] = {}  # address -> buffer handed out (LocalAlloc'd)
        self.freed: list[int] = []
        self.handles: dict[int, str] = {}  # open handle -> what it is
        self.closed: list[int] = []
        self.fds: dict[int, int] = {}
        self.next_handle = 0x100
        self.paths: dict[str, tuple[int, int]] = {}  # path -> (attributes, reparse tag)
        self.console_window = 0x42
        self.processes: dict[int, tuple[bool, int]] = {}  # pid -> (exited, created at)
        self.created_us = 1000
        self.set_security: list[tuple[int, int, int]] = []
        self.descriptors: list[str] = []

    # -- helpers ---------------------------------------------------------------------------

    def allocate(self, buffer: Any) -> int:
        address = ctypes.addressof(buffer)
        self.buffers[address] = buffer
        return address

    def put(self, pointer: Any, address: int) -> None:
        ctypes.cast(pointer, ctypes.POINTER(ctypes.c_void_p))[0] = address

    def fail(self, code: int) -> int:
        self.last_error = code
        return 0

    def handle(self, what: str) -> int:
        self.next_handle += 4
        self.handles[self.next_handle] = what
        return self.next_handle

    # -- kernel32 --------------------------------------------------------------------------

    def CreateFileW(
        self, path: str, access: int, share: int, sa: Any, disp: int, flags: int, template: Any
    ) -> int:
        if path == "CONIN$":
            return self.handle("console")
        if sa:  # a descriptor ConvertStringSecurityDescriptorToSecurityDescriptorW made
            assert sa.contents.lpSecurityDescriptor in self.buffers
            assert sa.contents.nLength == ctypes.sizeof(sa.contents)
            self.paths.setdefault(path, (0x20, 0))
        if path not in self.paths:
            self.last_error = 2  # ERROR_FILE_NOT_FOUND
            return INVALID_HANDLE_VALUE
        return self.handle(path)

    def CloseHandle(self, handle: int) -> int:
        assert handle in self.handles, f"closing {handle:#x}, never opened"
        self.closed.append(handle)
        return 1

    def CreateDirectoryW(self, path: str, sa: Any) -> int:
        if path in self.paths:
            return self.fail(183)  # ERROR_ALREADY_EXISTS
        assert sa and sa.contents.lpSecurityDescriptor in self.buffers
        self.paths[path] = (0x10, 0)
        return 1

    def GetFileInformationByHandleEx(self, handle: int, cls: int, buffer: int, size: int) -> int:
        # FileAttributeTagInfo: FILE_ATTRIBUTE_TAG_INFO, two DWORDs
        assert cls == 9 and size == 2 * ctypes.sizeof(wintypes.DWORD)
        attributes, tag = self.paths[self.handles[handle]]
        info = (wintypes.DWORD * 2).from_address(buffer)
        info[0], info[1] = attributes, tag
        return 1

    def LocalFree(self, address: int) -> int:
        assert address in self.buffers, f"LocalFree({address:#x}): not handed out"
        self.freed.append(address)
        return 0

    def GetShortPathNameW(self, path: str, buffer: int | None, size: int) -> int:
        short = path.replace("First Last", "FIRSTL~1")
        if not buffer or size <= len(short):
            return len(short) + 1  # the size needed, with the terminating NUL
        text = ctypes.create_unicode_buffer(short)
        ctypes.memmove(buffer, text, ctypes.sizeof(text))
        return len(short)

    GetLongPathNameW = GetShortPathNameW

    def GetConsoleWindow(self) -> int:
        return self.console_window

    def GetCurrentProcess(self) -> int:
        return INVALID_HANDLE_VALUE  # the pseudo handle -1

    def OpenProcess(self, access: int, inherit: int, pid: int) -> int:
        if pid not in self.processes:
            return self.fail(87)  # ERROR_INVALID_PARAMETER: no such process
        if pid == 4:
            return self.fail(5)  # ERROR_ACCESS_DENIED: System's
        return self.handle(f"process {pid}")

    def WaitForSingleObject(self, handle: int, milliseconds: int) -> int:
        assert milliseconds == 0
        pid = int(self.handles[handle].split()[1])
        return 0 if self.processes[pid][0] else 0x102  # WAIT_OBJECT_0, WAIT_TIMEOUT

    def GetProcessTimes(
        self, handle: Any, created: Any, exited: Any, kernel: Any, user: Any
    ) -> int:
        if handle == INVALID_HANDLE_VALUE:
            when = self.created_us
        else:
            when = self.processes[int(self.handles[handle].split()[1])][1]
        created.contents.dwLowDateTime, created.contents.dwHighDateTime = when, 0
        return 1

    # -- advapi32 --------------------------------------------------------------------------

    def GetSecurityInfo(
        self, handle: int, kind: int, which: int, o: Any, g: Any, d: Any, s: Any, sd: Any
    ) -> int:
        assert kind == 1 and which == 0x5 and handle in self.handles  # SE_FILE_OBJECT; OWNER|DACL
        self.put(sd, self.allocate(ctypes.create_string_buffer(64)))
        return 0

    def ConvertSecurityDescriptorToStringSecurityDescriptorW(
        self, sd: int, revision: int, which: int, out: Any, length: Any
    ) -> int:
        assert sd in self.buffers and revision == 1 and which == 0x5
        self.put(out, self.allocate(ctypes.create_unicode_buffer(SDDL)))
        return 1

    def ConvertStringSecurityDescriptorToSecurityDescriptorW(
        self, text: str, revision: int, out: Any, length: Any
    ) -> int:
        self.descriptors.append(text)
        self.put(out, self.allocate(ctypes.create_string_buffer(64)))
        return 1

    def GetSecurityDescriptorDacl(self, sd: int, present: Any, acl: Any, defaulted: Any) -> int:
        assert sd in self.buffers
        present.contents.value = 1
        self.put(acl, sd + 20)  # the ACL lies inside the descriptor
        return 1

    def SetSecurityInfo(
        self, handle: int, kind: int, which: int, o: Any, g: Any, dacl: int, s: Any
    ) -> int:
        self.set_security.append((handle, which, dacl))
        return 0

    def OpenProcessToken(self, process: int, access: int, token: Any) -> int:
        assert access == 0x8  # TOKEN_QUERY
        token.contents.value = self.handle("token")
        return 1

    def GetTokenInformation(self, token: int, cls: int, buffer: int, size: int, needed: Any) -> int:
        assert cls == 1  # TokenUser
        needed.contents.value = 64
        if size < 64:
            return self.fail(122)  # ERROR_INSUFFICIENT_BUFFER
        sid = self.allocate(ctypes.create_string_buffer(b"SID", 16))
        ctypes.cast(buffer, ctypes.POINTER(ctypes.c_void_p))[0] = sid
        return 1

    def ConvertSidToStringSidW(self, sid: int, out: Any) -> int:
        assert ctypes.string_at(sid, 3) == b"SID"
        self.put(out, self.allocate(ctypes.create_unicode_buffer(USER)))
        return 1

    def ConvertStringSidToSidW(self, text: str, out: Any) -> int:
        if not text.startswith("S-1-"):
            return self.fail(1337)  # ERROR_INVALID_SID
        self.put(out, self.allocate(ctypes.create_string_buffer(b"SID", 16)))
        return 1

    def LookupAccountSidW(
        self,
        system: Any,
        sid: int,
        name: int,
        name_size: Any,
        domain: int,
        domain_size: Any,
        use: Any,
    ) -> int:
        assert system is None and name_size.contents.value == domain_size.contents.value == 256
        for address, text in ((name, "mallory"), (domain, "DESKTOP")):
            value = ctypes.create_unicode_buffer(text)
            ctypes.memmove(address, value, ctypes.sizeof(value))
        return 1

    # -- msvcrt ----------------------------------------------------------------------------

    def open_osfhandle(self, handle: int, flags: int) -> int:
        fd = os.open(os.devnull, os.O_RDONLY)
        self.fds[fd] = handle
        return fd

    def get_osfhandle(self, fd: int) -> int:
        return self.fds[fd]


@pytest.fixture
def system(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[types.ModuleType, Windows]]:
    fake = Windows()

    class Dll:
        def __init__(self, name: str, use_last_error: bool = False) -> None:
            assert use_last_error

        def __getattr__(self, name: str) -> Function:
            function = Function(name, getattr(fake, name), fake.calls)
            setattr(self, name, function)
            return function

    def win_error(code: int | None = None, descr: str | None = None) -> OSError:
        error = OSError(f"[WinError {code}] {descr or ''}")
        error.winerror = code  # type: ignore[attr-defined]
        return error

    monkeypatch.setattr(ctypes, "WinDLL", Dll, raising=False)
    monkeypatch.setattr(ctypes, "WinError", win_error, raising=False)
    monkeypatch.setattr(ctypes, "get_last_error", lambda: fake.last_error, raising=False)
    msvcrt = types.ModuleType("msvcrt")
    msvcrt.open_osfhandle = fake.open_osfhandle  # type: ignore[attr-defined]
    msvcrt.get_osfhandle = fake.get_osfhandle  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "msvcrt", msvcrt)
    source = SOURCE.read_text()
    assert source.count('if sys.platform == "win32":') == 1
    module = types.ModuleType("win32_under_test")
    code = compile(source.replace('if sys.platform == "win32":', "if True:"), str(SOURCE), "exec")
    exec(code, module.__dict__)  # noqa: S102 - the module's own source, on Windows' terms
    yield module, fake
    for fd in fake.fds:
        os.close(fd)


def names(fake: Windows) -> list[str]:
    return [name for name, _ in fake.calls]


def test_the_users_sid(system: tuple[types.ModuleType, Windows]) -> None:
    module, fake = system
    assert module.Win32().user_sid() == USER
    assert names(fake) == [
        "GetCurrentProcess",
        "OpenProcessToken",
        "GetTokenInformation",
        "GetTokenInformation",
        "ConvertSidToStringSidW",
        "LocalFree",
        "CloseHandle",
    ]
    assert len(fake.closed) == 1  # the token


def test_an_accounts_name(system: tuple[types.ModuleType, Windows]) -> None:
    module, fake = system
    assert module.Win32().account_name(USER) == "DESKTOP\\mallory"
    assert module.Win32().account_name("not a sid") is None
    assert len(fake.freed) == 1  # the SID ConvertStringSidToSidW made


def test_a_descriptor_on_a_path_and_its_owner_and_dacl(
    system: tuple[types.ModuleType, Windows],
) -> None:
    module, fake = system
    fake.paths[r"C:\Users\alice"] = (0x10, 0)
    win32 = module.Win32()
    fd = win32.open_path(r"C:\Users\alice", follow=False)
    (name, (path, access, share, _sa, disposition, flags, _)) = fake.calls[0]
    assert (name, path) == ("CreateFileW", r"C:\Users\alice")
    assert access == 0x20000 | 0x80 | 0x100000  # READ_CONTROL, FILE_READ_ATTRIBUTES, SYNCHRONIZE
    assert share == 0x1 | 0x2  # never FILE_SHARE_DELETE: it cannot be renamed meanwhile
    assert disposition == 3 and flags == 0x02000000 | 0x00200000  # the link itself
    assert win32.security(fd) == SDDL
    assert len(fake.freed) == 2  # the descriptor and its string
    assert win32.kind(fd) == "dir"
    win32.open_path(r"C:\Users\alice", follow=True)
    assert fake.calls[-1][1][5] == 0x02000000  # through a link
    with pytest.raises(OSError, match=r"WinError 2\]") as missing:
        win32.open_path(r"C:\nowhere", follow=True)
    assert missing.value.winerror == 2  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("attributes", "tag", "kind"),
    [(0x10, 0, "dir"), (0x20, 0, "file"), (0x410, 0xA000000C, "link"), (0x420, 0x9000001A, "file")],
    ids=["directory", "file", "symlink", "cloud-file"],
)
def test_what_a_handle_is(
    system: tuple[types.ModuleType, Windows], attributes: int, tag: int, kind: str
) -> None:
    module, fake = system
    fake.paths["x"] = (attributes, tag)
    win32 = module.Win32()
    assert win32.kind(win32.open_read("x")) == kind


def test_a_file_and_a_directory_made_with_a_descriptor(
    system: tuple[types.ModuleType, Windows],
) -> None:
    module, fake = system
    win32 = module.Win32()
    private = f"D:P(A;OICI;FA;;;{USER})"
    win32.make_directory(r"C:\new", private)
    assert fake.descriptors == [private] and len(fake.freed) == 1
    with pytest.raises(OSError, match=r"WinError 183\]") as exists:
        win32.make_directory(r"C:\new", private)
    assert exists.value.winerror == 183  # type: ignore[attr-defined]
    fake.paths[r"C:\new\f"] = (0x20, 0)
    fd = win32.create_file(r"C:\new\f", f"D:P(A;;FA;;;{USER})")
    _, (_, access, _, sa, disposition, _, _) = next(
        call for call in reversed(fake.calls) if call[0] == "CreateFileW"
    )
    assert fake.calls[-1][0] == "LocalFree"  # the descriptor, once the file is made
    assert sa and access & 0x40000000 and access & 0x40000  # GENERIC_WRITE, WRITE_DAC
    assert disposition == 1  # CREATE_NEW
    win32.inherit_acl(fd)
    (handle, which, dacl) = fake.set_security[0]
    assert handle == fake.fds[fd]
    assert which == 0x4 | 0x20000000  # DACL, UNPROTECTED: inherit from the folder
    assert dacl - 20 in fake.buffers
    assert fake.descriptors[-1] == "D:"


def test_short_and_long_names(system: tuple[types.ModuleType, Windows]) -> None:
    module, _ = system
    assert module.Win32().short_path(r"C:\Users\First Last\x") == r"C:\Users\FIRSTL~1\x"


def test_the_console_a_person_sees(system: tuple[types.ModuleType, Windows]) -> None:
    module, fake = system
    assert module.Win32().console()
    assert len(fake.closed) == 1
    fake.console_window = 0  # CREATE_NO_WINDOW, or a GUI parent's child
    assert not module.Win32().console()


def test_whether_the_parent_has_exited(system: tuple[types.ModuleType, Windows]) -> None:
    module, fake = system
    fake.processes = {10: (False, 500), 11: (True, 500), 12: (False, 2000), 4: (False, 1)}
    win32 = module.Win32()
    assert not win32.process_gone(10)  # running, older than us
    assert win32.process_gone(11)  # exited
    assert win32.process_gone(12)  # its id now names a process made after us
    assert win32.process_gone(99)  # no such process
    assert not win32.process_gone(4)  # cannot be asked: not taken for gone
    assert sorted(fake.closed) == sorted(
        h for h, what in fake.handles.items() if what.startswith("process")
    )
