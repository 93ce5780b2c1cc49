"""Run the command with a pseudo-terminal as its controlling terminal, the way a person
in a terminal runs the AWS CLI: stdout and stderr are pipes, /dev/tty is the pty."""

from __future__ import annotations

import codecs
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

import pytest

if sys.platform == "win32":  # skips the test module that imports this one
    pytest.skip("needs a pseudo-terminal, which Windows has not", allow_module_level=True)
import pty

from .floors import tool_python


class PtyRun:
    def __init__(
        self,
        args: list[str],
        env: dict[str, str],
        *,
        through: Sequence[str] = (),
        module: str = "cognito_credproc",
    ) -> None:
        """``through``: a command that runs the helper as its child (``sh -c ...``); the
        helper's arguments follow it. ``module``: what this interpreter runs (``awscli``:
        the AWS CLI, which then runs the helper as its credential_process)."""
        self.master, slave = pty.openpty()
        slave_name = os.ttyname(slave)
        os.close(slave)

        def become_session_leader_with_tty() -> None:
            # A person's terminal delivers Ctrl-C: undo an ignored SIGINT inherited from
            # a pytest started in the background (`pytest &` ignores it in its children).
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.setsid()
            fd = os.open(slave_name, os.O_RDWR)  # the first tty a session leader opens is its own
            os.close(fd)

        self.proc = subprocess.Popen(
            # the tool under test runs in the floor virtualenv when that run is selected;
            # another program (the AWS CLI) runs in this one
            [
                *through,
                tool_python() if module == "cognito_credproc" else sys.executable,
                "-m",
                module,
                *args,
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=become_session_leader_with_tty,
        )
        self.screen = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.transcript = ""  # everything the terminal showed (screen is cut by answer)

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 4096)
        except OSError:
            return False
        # one decoder for the whole run: a character may be split between two reads
        text = self._decoder.decode(data)
        self.screen += text
        self.transcript += text
        return bool(data)

    def expect(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            left = deadline - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and not self._read(0.2)):
                if self.proc.poll() is None:
                    self.proc.kill()
                    stderr = self.proc.communicate()[1].decode(errors="replace")
                else:
                    stderr = self._stderr_now()
                raise AssertionError(
                    f"{text!r} never appeared on the terminal; saw {self.screen!r}; "
                    f"stderr {stderr!r}"
                )
            self._read(min(left, 0.5))
        return self.screen

    def _stderr_now(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return "(still running)"
        return self.proc.stderr.read().decode(errors="replace")

    def send(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def answer(self, prompt: str, line: str) -> None:
        self.expect(prompt)
        self.screen = self.screen[self.screen.index(prompt) + len(prompt) :]
        self.send(line)

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # never leave it running for the next test
            self.proc.communicate()
            os.close(self.master)
            raise AssertionError(f"still running after {timeout} s; saw {self.screen!r}") from None
        while self._read(0.1):
            pass
        os.close(self.master)
        from .conftest import JWT_RE, known_secrets

        for stream in (err.decode(), self.screen):
            assert not [s for s in known_secrets() if s in stream], "a secret reached the terminal"
            assert not JWT_RE.search(stream), "a JWT reached the terminal"
        return self.proc.returncode, out.decode(), err.decode()
