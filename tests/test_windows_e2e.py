"""The main flows as processes with the Windows layer selected (``winsim.main``): parallel
cold runs, ``exec``, the console (typed answers, Ctrl-C, none at all), and a
credential_process line that ``cmd.exe /C`` runs, against the strict local Cognito."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from . import cmdexe
from .conftest import Cognito, Workspace, parse_output, run_like_botocore
from .test_login import enable_totp_for, totp_now
from .winsim import BOOTSTRAP, ENV_KEYS, ENV_SCRIPT, ENV_SHOWN, posix_sddl

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not sys.platform.startswith("linux"),
        reason="the simulated Windows runs on Linux (O_PATH); Windows runs the real one",
    ),
]


def argv(*args: str) -> list[str]:
    return [sys.executable, "-c", BOOTSTRAP, *args]


def run_windows(
    ws: Workspace, *args: str, env: dict[str, str] | None = None, keys: str | None = None
) -> tuple[subprocess.CompletedProcess[str], str]:
    """The tool with the simulated Windows, as botocore starts it; with ``keys``, a
    console a person types them on (else none: a GUI parent). Returns the run and what
    the console showed."""
    extra = dict(env or {})
    shown = ws.root / "console-shown.txt"
    shown.write_text("")
    if keys is not None:
        typed = ws.root / "console-keys.txt"
        typed.write_text(keys, encoding="utf-8")
        extra.update({ENV_KEYS: str(typed), ENV_SHOWN: str(shown)})
    done = run_like_botocore(argv(*args), {**ws.env, **extra}, timeout=120)
    ws.check_no_secrets(done.stderr)
    with shown.open(encoding="utf-8", newline="") as console:  # \r\n as written
        return done, console.read()


def snapshot(ws: Workspace) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in ws.cache_files()}


def test_ten_cold_runs_at_once_sign_in_once_and_share_one_set_of_keys(
    ws: Workspace, cognito: Cognito
) -> None:
    ws.write_config(cognito.profile_section("dev"))
    env = {**ws.env, "COGNITO_CREDPROC_PASSWORD": cognito.password}
    procs = [
        subprocess.Popen(
            argv("--profile", "dev"),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        for _ in range(10)
    ]
    keys = set()
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        ws.check_no_secrets(err)
        assert proc.returncode == 0, err
        keys.add(parse_output(out)["AccessKeyId"])
    assert len(keys) == 1
    assert cognito.sign_ins() == 1
    assert cognito.calls["GetCredentialsForIdentity"] == 1
    # The cache the Windows layer made is the user's alone.
    owner_only = "D:P(A;OICI;FA;;;S-1-5-21-3623811015-3361044348-30300820-1001)"
    assert posix_sddl(os.stat(ws.cache)).endswith(owner_only)


def test_exec_returns_the_commands_exit_code(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    env = {"COGNITO_CREDPROC_PASSWORD": cognito.password}
    child = [
        sys.executable,
        "-c",
        "import os, sys; sys.exit(7 if os.environ['AWS_ACCESS_KEY_ID'] else 1)",
    ]
    done, _ = run_windows(ws, "exec", "--profile", "dev", "--", *child, env=env)
    assert done.returncode == 7, done.stderr
    done, _ = run_windows(
        ws,
        "exec",
        "--server",
        "--profile",
        "dev",
        "--",
        sys.executable,
        "-c",
        "raise SystemExit(9)",
    )
    assert done.returncode == 9, done.stderr
    done, _ = run_windows(ws, "exec", "--profile", "dev", "--", str(ws.root / "no-such-program"))
    assert done.returncode == 127


def test_ctrl_c_in_the_console_during_exec_is_the_commands_to_handle(
    ws: Workspace, cognito: Cognito
) -> None:
    ws.write_config(cognito.profile_section("dev"))
    ready = ws.root / "ready"
    child = (
        "import pathlib, signal, sys, time\n"
        "signal.signal(signal.SIGINT, lambda *_: sys.exit(5))\n"
        f"pathlib.Path({str(ready)!r}).touch()\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        argv("exec", "--profile", "dev", "--", sys.executable, "-c", child),
        env={**ws.env, "COGNITO_CREDPROC_PASSWORD": cognito.password},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert ready.exists(), proc.communicate()
    os.killpg(proc.pid, signal.SIGINT)  # the console's Ctrl-C: every process attached gets it
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 5, err  # the tool waited for the command and passed its code on
    assert "interrupted" not in err


def test_a_password_and_a_code_typed_on_the_console(ws: Workspace, cognito: Cognito) -> None:
    secret = enable_totp_for(cognito, "alice", cognito.password)
    ws.write_config(cognito.profile_section("dev"))
    mistyped = cognito.password[:-1] + "x\x08" + cognito.password[-1]
    keys = f"{mistyped}\r{totp_now(secret)}\r"
    done, shown = run_windows(ws, "login", "--profile", "dev", keys=keys)
    assert done.returncode == 0, done.stderr
    assert "Password for alice (profile dev): \r\n" in shown
    assert "Authenticator app code for alice: " in shown
    assert "Signed in as alice (profile dev)" in shown
    assert cognito.password not in shown and done.stdout == ""
    hit, _ = run_windows(ws, "--profile", "dev")  # from the cache, no console needed
    assert hit.returncode == 0, hit.stderr
    parse_output(hit.stdout)


def test_ctrl_c_at_a_prompt_exits_130_and_changes_nothing(ws: Workspace, cognito: Cognito) -> None:
    ws.write_config(cognito.profile_section("dev"))
    signed_in, _ = run_windows(
        ws, "--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password}
    )
    assert signed_in.returncode == 0, signed_in.stderr
    before = snapshot(ws)
    done, shown = run_windows(ws, "login", "--profile", "dev", keys="Correct-Hor\x03")
    assert done.returncode == 130
    assert done.stderr == (
        "cognito-credproc: profile dev: interrupted at a prompt; nothing was changed\n"
    )
    assert done.stdout == ""
    assert shown.endswith("Password for alice (profile dev): \r\n")
    assert snapshot(ws) == before
    assert cognito.sign_ins() == 1


def test_without_a_console_the_run_fails_at_once_with_the_login_advice(
    ws: Workspace, cognito: Cognito
) -> None:
    ws.write_config(cognito.profile_section("dev"))
    started = time.monotonic()
    done, _ = run_windows(ws, "--profile", "dev")  # started by a GUI program: no console
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.endswith(
        "\n  run: cognito-credproc login --profile dev (or set password_command)\n"
    )
    assert time.monotonic() - started < 30  # failed, not waited


def console_script_in(folder: Path) -> Path:
    """A copy of this installation's console script in ``folder``, as a Windows install
    under ``C:\\Users\\First Last`` has it."""
    found = shutil.which("cognito-credproc", path=os.path.dirname(sys.executable))
    if found is None:
        pytest.skip("no cognito-credproc console script beside this interpreter")
    folder.mkdir(parents=True)
    script = folder / "cognito-credproc"
    shutil.copy(found, script)
    script.chmod(0o755)
    return script


def test_a_line_with_a_space_in_the_path_runs_under_cmd_exe(
    ws: Workspace, cognito: Cognito
) -> None:
    script = console_script_in(ws.root / "Users" / "First Last" / "Scripts")
    env = {ENV_SCRIPT: str(script)}
    configured, _ = run_windows(ws, *cognito.configure_args("--no-validate"), env=env)
    assert configured.returncode == 0, configured.stderr
    line = next(
        text.split("=", 1)[1].strip()
        for text in ws.aws_config.read_text().splitlines()
        if text.startswith("credential_process")
    )
    assert '"' not in line and "First Last" not in line
    assert "/FIRSTL~1/Scripts/cognito-credproc --profile dev" in line
    # botocore's split on Windows and cmd.exe /C as the Go SDK starts it: the same argv.
    from botocore.compat import compat_shell_split

    through_cmd = cmdexe.cmd_c(cmdexe.go_command_line(["cmd.exe", "/C", line]))
    assert through_cmd == compat_shell_split(line, "win32")
    ws.write_config(cognito.profile_section("dev"))
    done = run_like_botocore(through_cmd, {**ws.env, "COGNITO_CREDPROC_PASSWORD": cognito.password})
    assert done.returncode == 0, done.stderr
    parse_output(done.stdout)
    # doctor runs the line both ways.
    doctor, _ = run_windows(ws, "doctor", "--profile", "dev", env=env)
    assert "ok    the helper printed credential_process JSON" in doctor.stdout
    assert (
        "ok    cmd.exe /C runs the line too (the Go, Java, Rust and .NET SDKs run it so)"
        in doctor.stdout
    )


def test_doctor_shows_a_line_cmd_exe_cannot_run(ws: Workspace, cognito: Cognito) -> None:
    script = console_script_in(ws.root / "First Last")
    ws.write_config(cognito.profile_section("dev"))
    ws.aws_config.write_text(f'[profile dev]\ncredential_process = "{script}" --profile dev\n')
    run_windows(ws, "--profile", "dev", env={"COGNITO_CREDPROC_PASSWORD": cognito.password})
    doctor, _ = run_windows(ws, "doctor", "--profile", "dev")
    assert "ok    the helper printed credential_process JSON" in doctor.stdout  # botocore: fine
    sdks = "the Go, Java, Rust and .NET SDKs run it so"
    failed = f"FAIL  cmd.exe /C cannot run the line ({sdks}): '\\{script.parent}"
    assert failed in doctor.stdout, doctor.stdout
    assert "fix: cognito-credproc configure --profile dev --force" in doctor.stdout
    assert doctor.returncode == 1


def test_the_simulation_is_chosen_by_code_in_the_process_never_by_the_environment(
    ws: Workspace,
) -> None:
    """What selects the simulated Windows is the test's own bootstrap; the installed
    tool reads no variable for it (a user's environment cannot weaken its checks)."""
    source = "\n".join(
        path.read_text()
        for path in (Path(__file__).parent.parent / "cognito_credproc").rglob("*.py")
    )
    assert "WINSIM" not in source and "winsim" not in source
    plain = run_like_botocore(
        [
            sys.executable,
            "-c",
            "from cognito_credproc.platform import current; print(type(current()).__name__)",
        ],
        {**ws.env, ENV_KEYS: "x", ENV_SHOWN: "y", ENV_SCRIPT: "z"},
    )
    assert plain.stdout == "Posix\n"
