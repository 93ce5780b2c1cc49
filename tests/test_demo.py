"""``demo``: what it shows a new user, what it hides, and what it says without moto."""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import pytest

from cognito_credproc.demo import install_hint

from .conftest import Workspace

PLANTED_MOTO_NOISE = """\
import sys
if "demo" in sys.argv:
    import logging, warnings
    import moto.server
    start = moto.server.ThreadedMotoServer.start
    def noisy_start(self):
        warnings.warn_explicit(
            "planted: moto warns", UserWarning, moto.server.__file__, 1, module="moto.server"
        )
        logging.getLogger("moto.planted").warning("planted: moto logs a warning")
        return start(self)
    moto.server.ThreadedMotoServer.start = noisy_start
"""

NO_MOTO = """\
import sys
if "demo" in sys.argv:
    sys.modules["moto"] = None  # import moto fails, as where the extra is not installed
"""


def with_sitecustomize(ws: Workspace, code: str) -> dict[str, str]:
    site = ws.root / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(code)
    return {"PYTHONPATH": str(site)}


def run_demo(ws: Workspace, *args: str, **env: str) -> tuple[str, str]:
    scratch = ws.root / "t"  # a short TMPDIR: the demo's paths stay short
    scratch.mkdir()
    done = ws.run("demo", *args, env={"TMPDIR": str(scratch), **env}, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(scratch.iterdir()) == []
    return done.stdout, done.stderr


@pytest.mark.integration
def test_demo_shows_the_line_and_the_json_a_user_copies(ws: Workspace) -> None:
    out, err = run_demo(ws)
    assert err == ""
    lines = out.splitlines()

    # The default flow: SRP (the settings it shows are the ones it used).
    assert "auth_flow" not in out
    assert "SRP sign-in" in out

    # The credential_process line of the temporary ~/.aws/config: the tool's own path.
    (process_line,) = [line for line in lines if "credential_process =" in line]
    command = shlex.split(process_line.split("=", 1)[1])
    assert command[1:] == ["--profile", "demo"]
    assert os.path.isabs(command[0]) and os.access(command[0], os.X_OK)
    assert Path(command[0]).name == "cognito-credproc"

    # The JSON the tool printed, keys shortened.
    start = lines.index("    {")
    end = lines.index("    }", start)
    shown = json.loads("".join(lines[start : end + 1]))
    keys = ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"]
    assert list(shown) == keys
    for key in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
        assert shown[key].endswith("...") and len(shown[key]) <= 7
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", shown["Expiration"])
    assert re.search(r"^  They last \d+ s: the local emulator's choice", out, flags=re.M)

    # 80 columns, but for the path this machine chose for the tool.
    for line in lines:
        assert len(line.replace(command[0], "/usr/bin/cognito-credproc")) <= 80, line


@pytest.mark.integration
def test_demo_keeps_the_emulators_warnings_to_itself(ws: Workspace) -> None:
    env = with_sitecustomize(ws, PLANTED_MOTO_NOISE)
    out, err = run_demo(ws, PYTHONWARNINGS="default", **env)
    assert "served from the cache" in out
    assert "planted" not in out + err
    assert err == ""


def test_demo_without_moto_says_how_to_add_it(ws: Workspace) -> None:
    done = ws.run("demo", env=with_sitecustomize(ws, NO_MOTO))
    assert done.returncode == 1
    assert "run: pip install 'cognito-credproc[demo]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_the_install_hint_follows_how_the_tool_was_installed(tmp_path: Path) -> None:
    plain = tmp_path / "venv"
    plain.mkdir()
    assert install_hint(str(plain)) == "pip install 'cognito-credproc[demo]'"
    for name in ("cognito-credproc", "cognito-credproc@2"):
        pipx = tmp_path / "pipx" / "venvs" / name
        pipx.mkdir(parents=True)
        (pipx / "pipx_metadata.json").write_text("{}")
        assert install_hint(str(pipx)) == f"pipx inject {name} 'moto[server]'"


@pytest.mark.integration
@pytest.mark.skipif(
    not os.path.exists("/usr/share/zoneinfo/Australia/Sydney"), reason="needs tzdata"
)
def test_demo_east_of_utc(ws: Workspace) -> None:
    # The emulator's credentials used to arrive "already expired" there (moto dates them
    # with a naive UTC time read as local time).
    out, err = run_demo(ws, TZ="Australia/Sydney")
    assert err == ""
    assert re.search(r"^  They last \d+ s: the local emulator's choice", out, flags=re.M)
