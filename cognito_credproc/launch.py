"""How the tool starts itself (the ``early_refresh`` process, ``demo``, the line
``configure`` writes) without importing anything from the working directory, and how
it starts every other process (``popen``, ``run``, ``start_detached``).

Every child starts with an empty signal mask. A child inherits the mask of the thread
that forks it and keeps it across exec; the credentials endpoint's threads block
SIGHUP, SIGINT, SIGQUIT and SIGTERM (they are the main thread's to handle), so a
``password_command`` or a browser started by a renewal there would ignore them for its
whole life. subprocess has no option for the mask and ``preexec_fn`` is unsafe in a
process with threads (it may deadlock in the child), so the calling thread's own mask
is emptied around the fork and restored at once: a signal arriving in that moment is
simply taken by this thread, whose handler runs in the main thread as always.

``python -m cognito_credproc`` puts the working directory first on ``sys.path``, and the
SDKs run ``credential_process`` wherever the user happens to be: a ``cognito_credproc/``
directory in a cloned repository would run as the user. So the tool names itself by
absolute path: its console script when there is one (a script's own directory, not the
working directory, goes on ``sys.path``), else this interpreter with a bootstrap that
replaces the working-directory entry by the directory this package was loaded from.
``python -I`` is not used: it also drops ``PYTHONPATH`` and the user site-packages,
which breaks ``pip install --user`` and ``PYTHONPATH`` installs, and 3.10 has no ``-P``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import subprocess

SCRIPT_NAME = "cognito-credproc"


def _script_names() -> tuple[str, ...]:
    from .platform import current

    return current().script_names


def _is_file(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def console_script() -> str | None:
    """The absolute path of this installation's console script, if it has one."""
    names = _script_names()
    # The script this process was started as (an absolute path, or one relative to the
    # directory the process started in, which is where the kernel found it).
    started_as = sys.argv[0] if sys.argv and sys.argv[0] else ""
    # (Windows: pip's launcher takes ".exe" off the name it puts in argv[0].)
    for candidate in (started_as, started_as + ".exe") if started_as else ():
        if os.path.basename(candidate) in names and _is_file(candidate):
            return os.path.abspath(candidate)
    # The script installed beside this interpreter (a virtualenv, pipx, a user's venv;
    # on Windows also its Scripts folder, where a system-wide Python keeps scripts).
    if sys.executable:
        beside = os.path.dirname(os.path.abspath(sys.executable))
        from .platform import current

        for folder in current().script_folders:
            for name in names:
                candidate = (
                    os.path.join(beside, folder, name) if folder else os.path.join(beside, name)
                )
                if _is_file(candidate):
                    return candidate
    return None


def package_parent() -> str:
    """The directory that holds the ``cognito_credproc`` package now running."""
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.dirname(here)


def bootstrap_argv() -> list[str]:
    """This interpreter, told to import the tool from where it was loaded, never from
    the working directory (``-c`` puts ``''`` first on ``sys.path``: it is replaced)."""
    code = (
        "import sys; "
        f"sys.path[:1] = [{package_parent()!r}] + [p for p in sys.path[:1] if p]; "
        "from cognito_credproc.cli import run; run()"
    )
    return [sys.executable, "-c", code]


def tool_argv() -> list[str]:
    """The command that runs this tool, safe to start from any working directory."""
    script = console_script()
    return [script] if script is not None else bootstrap_argv()


@contextmanager
def empty_signal_mask() -> Iterator[None]:
    """This thread blocks no signal meanwhile: what it starts begins with an empty mask."""
    import signal

    if sys.platform == "win32" or not hasattr(signal, "pthread_sigmask"):
        yield  # no signal masks there
        return
    previous = signal.pthread_sigmask(signal.SIG_SETMASK, ())
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def popen(argv: list[str] | str, **options: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen``, the child starting with an empty signal mask. Every process
    the tool starts goes through here (or ``run``)."""
    import subprocess

    with empty_signal_mask():
        return subprocess.Popen(argv, **options)


def run(
    argv: list[str] | str,
    *,
    timeout: float | None = None,
    input: bytes | str | None = None,
    **options: Any,
) -> subprocess.CompletedProcess[Any]:
    """``subprocess.run`` (without ``check``), the child started by ``popen``: killed and
    waited for when the timeout passes (TimeoutExpired) or anything else goes wrong."""
    import subprocess

    if options.pop("capture_output", False):
        options["stdout"] = options["stderr"] = subprocess.PIPE
    if input is not None:
        options["stdin"] = subprocess.PIPE
    with popen(argv, **options) as process:
        try:
            out, err = process.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            process.kill()
            exc.stdout, exc.stderr = process.communicate()
            raise
        except BaseException:
            process.kill()
            raise
        return subprocess.CompletedProcess(process.args, process.wait(), out, err)


def call_child(argv: list[str], **options: Any) -> int:
    """``subprocess.call``, the child started by ``popen``: its return code; killed and
    waited for if anything interrupts the wait."""
    with popen(argv, **options) as process:
        try:
            return process.wait()
        except BaseException:  # as subprocess.call: never left running unwaited
            process.kill()
            raise


def start_detached(
    argv: list[str], env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``argv`` with none of our descriptors (its stdio is /dev/null: a
    credential_process's stdout carries only the JSON) and away from our terminal (a
    session of its own; on Windows no console and a process group of its own), so it
    never reaches the terminal nor gets its Ctrl-C. OSError when it cannot be started."""
    import subprocess

    from .platform import current

    return popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        env=env,
        **current().detached_options(),
    )


def command_line(argv: list[str]) -> str:
    """One line that the SDKs split back into ``argv``: botocore's shlex rules on POSIX;
    on Windows one that botocore's split and ``cmd.exe /C`` (the Go, Java, Rust and .NET
    SDKs) both read (see ``platform.windows``)."""
    from .platform import current

    return current().command_line(argv)
