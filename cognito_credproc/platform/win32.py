"""The Win32 calls the Windows layer makes (``windows.Api``), through ctypes: no new
dependency. Kept thin on purpose: every decision is made in ``windows`` and ``sddl``,
which the tests run anywhere; what is here only asks the system and hands back plain
values (descriptors, strings, booleans), raising OSError (``ctypes.WinError``) as
``os`` does.

Defined on Windows only (elsewhere the module is empty); ``mypy --platform win32``
checks it.
"""

from __future__ import annotations

import sys

if sys.platform == "win32":
    import ctypes
    import msvcrt
    import os
    import subprocess
    from collections.abc import Mapping
    from ctypes import wintypes
    from typing import Any

    _kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    _advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)

    # winnt.h, winbase.h, fileapi.h
    READ_CONTROL = 0x00020000
    WRITE_DAC = 0x00040000
    SYNCHRONIZE = 0x00100000
    GENERIC_READ = 0x80000000
    GENERIC_WRITE = 0x40000000
    FILE_READ_ATTRIBUTES = 0x80
    FILE_SHARE_READ = 0x1
    FILE_SHARE_WRITE = 0x2
    FILE_SHARE_DELETE = 0x4
    CREATE_NEW = 1
    OPEN_EXISTING = 3
    FILE_ATTRIBUTE_DIRECTORY = 0x10
    FILE_ATTRIBUTE_REPARSE_POINT = 0x400
    FILE_ATTRIBUTE_NORMAL = 0x80
    FILE_FLAG_BACKUP_SEMANTICS = 0x02000000
    FILE_FLAG_OPEN_REPARSE_POINT = 0x00200000
    REPARSE_TAG_NAME_SURROGATE = 0x20000000  # symbolic links, junctions: another path
    FILE_ATTRIBUTE_TAG_INFO_CLASS = 9  # FileAttributeTagInfo
    SE_FILE_OBJECT = 1
    OWNER_SECURITY_INFORMATION = 0x1
    DACL_SECURITY_INFORMATION = 0x4
    UNPROTECTED_DACL_SECURITY_INFORMATION = 0x20000000
    SDDL_REVISION_1 = 1
    TOKEN_QUERY = 0x8
    TOKEN_USER_CLASS = 1  # TokenUser
    PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
    WAIT_OBJECT_0 = 0
    ERROR_INVALID_PARAMETER = 87
    ERROR_INSUFFICIENT_BUFFER = 122
    CREATE_NO_WINDOW = 0x08000000
    INVALID_HANDLE_VALUE = wintypes.HANDLE(-1).value

    class SECURITY_ATTRIBUTES(ctypes.Structure):
        _fields_ = (
            ("nLength", wintypes.DWORD),
            ("lpSecurityDescriptor", wintypes.LPVOID),
            ("bInheritHandle", wintypes.BOOL),
        )

    class FILE_ATTRIBUTE_TAG_INFO(ctypes.Structure):
        _fields_ = (("FileAttributes", wintypes.DWORD), ("ReparseTag", wintypes.DWORD))

    class SID_AND_ATTRIBUTES(ctypes.Structure):
        _fields_ = (("Sid", wintypes.LPVOID), ("Attributes", wintypes.DWORD))

    def _function(dll: Any, name: str, restype: Any, *argtypes: Any) -> Any:
        function = getattr(dll, name)
        function.restype = restype
        function.argtypes = argtypes
        return function

    _P = ctypes.POINTER
    _CreateFileW = _function(
        _kernel32,
        "CreateFileW",
        wintypes.HANDLE,
        wintypes.LPCWSTR,
        wintypes.DWORD,
        wintypes.DWORD,
        _P(SECURITY_ATTRIBUTES),
        wintypes.DWORD,
        wintypes.DWORD,
        wintypes.HANDLE,
    )
    _CloseHandle = _function(_kernel32, "CloseHandle", wintypes.BOOL, wintypes.HANDLE)
    _CreateDirectoryW = _function(
        _kernel32, "CreateDirectoryW", wintypes.BOOL, wintypes.LPCWSTR, _P(SECURITY_ATTRIBUTES)
    )
    _GetFileInformationByHandleEx = _function(
        _kernel32,
        "GetFileInformationByHandleEx",
        wintypes.BOOL,
        wintypes.HANDLE,
        ctypes.c_int,
        wintypes.LPVOID,
        wintypes.DWORD,
    )
    _LocalFree = _function(_kernel32, "LocalFree", wintypes.HLOCAL, wintypes.HLOCAL)
    _GetShortPathNameW = _function(
        _kernel32,
        "GetShortPathNameW",
        wintypes.DWORD,
        wintypes.LPCWSTR,
        wintypes.LPWSTR,
        wintypes.DWORD,
    )
    _GetLongPathNameW = _function(
        _kernel32,
        "GetLongPathNameW",
        wintypes.DWORD,
        wintypes.LPCWSTR,
        wintypes.LPWSTR,
        wintypes.DWORD,
    )
    _GetConsoleWindow = _function(_kernel32, "GetConsoleWindow", wintypes.HWND)
    _GetCurrentProcess = _function(_kernel32, "GetCurrentProcess", wintypes.HANDLE)
    _OpenProcess = _function(
        _kernel32, "OpenProcess", wintypes.HANDLE, wintypes.DWORD, wintypes.BOOL, wintypes.DWORD
    )
    _WaitForSingleObject = _function(
        _kernel32, "WaitForSingleObject", wintypes.DWORD, wintypes.HANDLE, wintypes.DWORD
    )
    _GetProcessTimes = _function(
        _kernel32,
        "GetProcessTimes",
        wintypes.BOOL,
        wintypes.HANDLE,
        _P(wintypes.FILETIME),
        _P(wintypes.FILETIME),
        _P(wintypes.FILETIME),
        _P(wintypes.FILETIME),
    )
    _GetSecurityInfo = _function(
        _advapi32,
        "GetSecurityInfo",
        wintypes.DWORD,
        wintypes.HANDLE,
        ctypes.c_int,
        wintypes.DWORD,
        _P(wintypes.LPVOID),
        _P(wintypes.LPVOID),
        _P(wintypes.LPVOID),
        _P(wintypes.LPVOID),
        _P(wintypes.LPVOID),
    )
    _SetSecurityInfo = _function(
        _advapi32,
        "SetSecurityInfo",
        wintypes.DWORD,
        wintypes.HANDLE,
        ctypes.c_int,
        wintypes.DWORD,
        wintypes.LPVOID,
        wintypes.LPVOID,
        wintypes.LPVOID,
        wintypes.LPVOID,
    )
    _GetSecurityDescriptorDacl = _function(
        _advapi32,
        "GetSecurityDescriptorDacl",
        wintypes.BOOL,
        wintypes.LPVOID,
        _P(wintypes.BOOL),
        _P(wintypes.LPVOID),
        _P(wintypes.BOOL),
    )
    _ToString = _function(
        _advapi32,
        "ConvertSecurityDescriptorToStringSecurityDescriptorW",
        wintypes.BOOL,
        wintypes.LPVOID,
        wintypes.DWORD,
        wintypes.DWORD,
        _P(wintypes.LPWSTR),
        _P(wintypes.ULONG),
    )
    _FromString = _function(
        _advapi32,
        "ConvertStringSecurityDescriptorToSecurityDescriptorW",
        wintypes.BOOL,
        wintypes.LPCWSTR,
        wintypes.DWORD,
        _P(wintypes.LPVOID),
        _P(wintypes.ULONG),
    )
    _OpenProcessToken = _function(
        _advapi32,
        "OpenProcessToken",
        wintypes.BOOL,
        wintypes.HANDLE,
        wintypes.DWORD,
        _P(wintypes.HANDLE),
    )
    _GetTokenInformation = _function(
        _advapi32,
        "GetTokenInformation",
        wintypes.BOOL,
        wintypes.HANDLE,
        ctypes.c_int,
        wintypes.LPVOID,
        wintypes.DWORD,
        _P(wintypes.DWORD),
    )
    _ConvertSidToStringSidW = _function(
        _advapi32, "ConvertSidToStringSidW", wintypes.BOOL, wintypes.LPVOID, _P(wintypes.LPWSTR)
    )
    _ConvertStringSidToSidW = _function(
        _advapi32, "ConvertStringSidToSidW", wintypes.BOOL, wintypes.LPCWSTR, _P(wintypes.LPVOID)
    )
    _LookupAccountSidW = _function(
        _advapi32,
        "LookupAccountSidW",
        wintypes.BOOL,
        wintypes.LPCWSTR,
        wintypes.LPVOID,
        wintypes.LPWSTR,
        _P(wintypes.DWORD),
        wintypes.LPWSTR,
        _P(wintypes.DWORD),
        _P(ctypes.c_int),
    )

    def _fail(code: int | None = None) -> OSError:
        return ctypes.WinError(ctypes.get_last_error() if code is None else code)

    def _check(ok: Any) -> None:
        if not ok:
            raise _fail()

    def _handle(fd: int) -> int:
        return int(msvcrt.get_osfhandle(fd))

    class _Descriptor:
        """A security descriptor made from SDDL, freed on exit."""

        def __init__(self, text: str) -> None:
            self.pointer = wintypes.LPVOID()
            _check(_FromString(text, SDDL_REVISION_1, ctypes.byref(self.pointer), None))

        def attributes(self) -> SECURITY_ATTRIBUTES:
            return SECURITY_ATTRIBUTES(
                ctypes.sizeof(SECURITY_ATTRIBUTES), self.pointer.value, False
            )

        def dacl(self) -> wintypes.LPVOID:
            present, defaulted = wintypes.BOOL(), wintypes.BOOL()
            acl = wintypes.LPVOID()
            _check(
                _GetSecurityDescriptorDacl(
                    self.pointer, ctypes.byref(present), ctypes.byref(acl), ctypes.byref(defaulted)
                )
            )
            return acl

        def __enter__(self) -> _Descriptor:
            return self

        def __exit__(self, *_: object) -> None:
            _LocalFree(self.pointer)

    def _create(path: str, access: int, share: int, disposition: int, flags: int, sa: Any) -> int:
        handle = _CreateFileW(path, access, share, sa, disposition, flags, None)
        if handle == INVALID_HANDLE_VALUE or handle is None:
            raise _fail()
        return int(handle)

    def _wrap(handle: int, flags: int) -> int:
        try:
            return msvcrt.open_osfhandle(handle, flags)
        except OSError:
            _CloseHandle(handle)
            raise

    class Win32:
        """``windows.Api`` on a real Windows."""

        def user_sid(self) -> str:
            token = wintypes.HANDLE()
            _check(_OpenProcessToken(_GetCurrentProcess(), TOKEN_QUERY, ctypes.byref(token)))
            try:
                size = wintypes.DWORD()
                _GetTokenInformation(token, TOKEN_USER_CLASS, None, 0, ctypes.byref(size))
                buffer = ctypes.create_string_buffer(size.value)
                _check(
                    _GetTokenInformation(token, TOKEN_USER_CLASS, buffer, size, ctypes.byref(size))
                )
                user = SID_AND_ATTRIBUTES.from_buffer(buffer)
                text = wintypes.LPWSTR()
                _check(_ConvertSidToStringSidW(user.Sid, ctypes.byref(text)))
                try:
                    return str(text.value)
                finally:
                    _LocalFree(text)
            finally:
                _CloseHandle(token)

        def account_name(self, sid: str) -> str | None:
            pointer = wintypes.LPVOID()
            if not _ConvertStringSidToSidW(sid, ctypes.byref(pointer)):
                return None
            try:
                name = ctypes.create_unicode_buffer(256)
                domain = ctypes.create_unicode_buffer(256)
                name_size, domain_size = wintypes.DWORD(256), wintypes.DWORD(256)
                use = ctypes.c_int()
                if not _LookupAccountSidW(
                    None,
                    pointer,
                    name,
                    ctypes.byref(name_size),
                    domain,
                    ctypes.byref(domain_size),
                    ctypes.byref(use),
                ):
                    return None
                return f"{domain.value}\\{name.value}" if domain.value else name.value
            finally:
                _LocalFree(pointer)

        def open_path(self, path: str, *, follow: bool) -> int:
            flags = FILE_FLAG_BACKUP_SEMANTICS | (0 if follow else FILE_FLAG_OPEN_REPARSE_POINT)
            access = READ_CONTROL | FILE_READ_ATTRIBUTES | SYNCHRONIZE
            # No FILE_SHARE_DELETE: nobody renames or deletes it while it is open.
            share = FILE_SHARE_READ | FILE_SHARE_WRITE
            return _wrap(_create(path, access, share, OPEN_EXISTING, flags, None), os.O_RDONLY)

        def open_read(self, path: str) -> int:
            flags = FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT
            # Sharing delete access: a writer may replace the file while it is read.
            share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE
            handle = _create(path, GENERIC_READ, share, OPEN_EXISTING, flags, None)
            return _wrap(handle, os.O_RDONLY)

        def create_file(self, path: str, descriptor: str) -> int:
            access = GENERIC_WRITE | READ_CONTROL | WRITE_DAC
            with _Descriptor(descriptor) as made:
                sa = made.attributes()
                handle = _create(
                    path,
                    access,
                    FILE_SHARE_READ | FILE_SHARE_DELETE,
                    CREATE_NEW,
                    FILE_ATTRIBUTE_NORMAL,
                    ctypes.byref(sa),
                )
            return _wrap(handle, os.O_WRONLY)

        def inherit_acl(self, fd: int) -> None:
            with _Descriptor("D:") as empty:
                code = _SetSecurityInfo(
                    _handle(fd),
                    SE_FILE_OBJECT,
                    DACL_SECURITY_INFORMATION | UNPROTECTED_DACL_SECURITY_INFORMATION,
                    None,
                    None,
                    empty.dacl(),
                    None,
                )
            if code:
                raise _fail(code)

        def make_directory(self, path: str, descriptor: str) -> None:
            with _Descriptor(descriptor) as made:
                sa = made.attributes()
                _check(_CreateDirectoryW(path, ctypes.byref(sa)))

        def kind(self, fd: int) -> str:
            info = FILE_ATTRIBUTE_TAG_INFO()
            _check(
                _GetFileInformationByHandleEx(
                    _handle(fd),
                    FILE_ATTRIBUTE_TAG_INFO_CLASS,
                    ctypes.byref(info),
                    ctypes.sizeof(info),
                )
            )
            reparse = info.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT
            if reparse and info.ReparseTag & REPARSE_TAG_NAME_SURROGATE:
                return "link"
            return "dir" if info.FileAttributes & FILE_ATTRIBUTE_DIRECTORY else "file"

        def security(self, fd: int) -> str:
            which = OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION
            pointer = wintypes.LPVOID()
            code = _GetSecurityInfo(
                _handle(fd), SE_FILE_OBJECT, which, None, None, None, None, ctypes.byref(pointer)
            )
            if code:
                raise _fail(code)
            try:
                text = wintypes.LPWSTR()
                _check(_ToString(pointer, SDDL_REVISION_1, which, ctypes.byref(text), None))
                try:
                    return str(text.value)
                finally:
                    _LocalFree(text)
            finally:
                _LocalFree(pointer)

        def replace(self, source: str, target: str) -> None:
            os.replace(source, target)

        def _path_name(self, function: Any, path: str) -> str:
            size = function(path, None, 0)
            if not size:
                raise _fail()
            buffer = ctypes.create_unicode_buffer(size)
            if not function(path, buffer, size):
                raise _fail()
            return str(buffer.value)

        def short_path(self, path: str) -> str:
            return self._path_name(_GetShortPathNameW, path)

        def long_path(self, path: str) -> str:
            return self._path_name(_GetLongPathNameW, path)

        def console(self) -> bool:
            # A GUI parent's child gets no console, or one without a window
            # (CREATE_NO_WINDOW): nobody would see a prompt there.
            if not _GetConsoleWindow():
                return False
            try:
                handle = _create(
                    "CONIN$",
                    GENERIC_READ | GENERIC_WRITE,
                    FILE_SHARE_READ | FILE_SHARE_WRITE,
                    OPEN_EXISTING,
                    0,
                    None,
                )
            except OSError:
                return False
            _CloseHandle(handle)
            return True

        def key_ready(self) -> bool:
            return bool(msvcrt.kbhit())

        def read_key(self) -> str:
            return msvcrt.getwch()

        def write_console(self, text: str) -> None:
            for char in text:
                msvcrt.putwch(char)

        def process_gone(self, pid: int) -> bool:
            access = SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION
            handle = _OpenProcess(access, False, pid)
            if not handle:
                # No such process any more; any other refusal (access) tells nothing.
                return ctypes.get_last_error() == ERROR_INVALID_PARAMETER
            try:
                if _WaitForSingleObject(handle, 0) == WAIT_OBJECT_0:
                    return True
                # A process made after us under the same id is not our parent.
                return _created(handle) > _created(_GetCurrentProcess())
            finally:
                _CloseHandle(handle)

        def popen_options(self, creationflags: int) -> dict[str, Any]:
            return {"creationflags": creationflags}

        def run_command_line(
            self, command_line: str, env: Mapping[str, str], timeout: float
        ) -> subprocess.CompletedProcess[str]:
            # The system's own cmd.exe, never one found in the working directory.
            from ..launch import run

            system_root = os.environ.get("SYSTEMROOT", r"C:\Windows")
            return run(
                command_line,  # one command line, as Windows takes it
                executable=os.path.join(system_root, "System32", "cmd.exe"),
                env=dict(env),
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
                creationflags=CREATE_NO_WINDOW,
            )

        def start_file(self, url: str) -> None:
            os.startfile(url)  # noqa: S606 - a web address, checked by the caller

    def _created(handle: Any) -> int:
        times = [wintypes.FILETIME() for _ in range(4)]
        if not _GetProcessTimes(handle, *(ctypes.byref(value) for value in times)):
            return 0
        return (times[0].dwHighDateTime << 32) | times[0].dwLowDateTime
