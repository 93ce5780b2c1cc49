"""``demo``: what it shows a new user, what it hides, and what it says without moto."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
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
    # this virtualenv was made by python -m venv (or uv): the hint is pip's (or uv's)
    assert f"run: {install_hint()}" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_the_install_hint_follows_how_the_tool_was_installed(tmp_path: Path) -> None:
    python = "/opt/tools dir/bin/python"
    plain = tmp_path / "venv"
    plain.mkdir()
    (plain / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\n")
    assert install_hint(str(plain), python) == f"'{python}' -m pip install 'moto[server]'"
    made_by_uv = tmp_path / "uv-venv"
    made_by_uv.mkdir()
    (made_by_uv / "pyvenv.cfg").write_text(
        "home = /usr/bin\nimplementation = CPython\nuv = 0.13.10\n"
    )
    assert install_hint(str(made_by_uv), python) == (
        f"uv pip install --python '{python}' 'moto[server]'"
    )
    for name in ("cognito-credproc", "cognito-credproc@2"):
        pipx = tmp_path / "pipx" / "venvs" / name
        pipx.mkdir(parents=True)
        (pipx / "pipx_metadata.json").write_text("{}")
        assert install_hint(str(pipx), python) == f"pipx inject {name} 'moto[server]'"


# What `uv tool install` leaves in the tool's environment (uv 0.13), by source.
UV_RECEIPT = """\
[tool]
requirements = [{{ name = "cognito-credproc"{source} }}]
entrypoints = [
    {{ name = "cognito-credproc", install-path = "/home/a/.local/bin/cognito-credproc", \
from = "cognito-credproc" }},
]
"""


@pytest.mark.parametrize(
    ("source", "hint"),
    [
        # uv tool install .  (in a checkout)
        (', directory = "/home/a/src/cognito-credproc"', "'/home/a/src/cognito-credproc[demo]'"),
        # uv tool install -e '.[keyring]'
        (
            ', extras = ["keyring"], editable = "/home/a/src/cognito-credproc"',
            "-e '/home/a/src/cognito-credproc[demo,keyring]'",
        ),
        # a checkout whose path has a quote in it
        (', directory = "/home/a/it\'s \\"here\\""', "'/home/a/it'\"'\"'s \"here\"[demo]'"),
        # uv tool install git+https://...
        (
            ', git = "https://example.com/cognito-credproc"',
            "'cognito-credproc[demo] @ git+https://example.com/cognito-credproc'",
        ),
        # uv tool install ./dist/cognito_credproc-0.1.0-py3-none-any.whl
        pytest.param(
            ', path = "/home/a/dist/cognito_credproc-0.1.0-py3-none-any.whl"',
            "'cognito-credproc[demo] @ file:///home/a/dist/cognito_credproc-0.1.0-py3-none-any.whl'",
            marks=pytest.mark.skipif(sys.platform == "win32", reason="a POSIX path"),
        ),
        # uv tool install cognito-credproc  (once it is on the package index)
        ("", "'cognito-credproc[demo]'"),
        (', extras = ["demo"]', "'cognito-credproc[demo]'"),
    ],
    ids=["checkout", "editable-with-extras", "quoted-path", "git", "wheel", "index", "index-demo"],
)
def test_the_install_hint_of_a_uv_tool_names_its_source(
    tmp_path: Path, source: str, hint: str
) -> None:
    tool = tmp_path / "uv" / "tools" / "cognito-credproc"
    tool.mkdir(parents=True)
    (tool / "pyvenv.cfg").write_text("home = /usr/bin\nuv = 0.13.10\n")
    (tool / "uv-receipt.toml").write_text(UV_RECEIPT.format(source=source))
    assert install_hint(str(tool), "/x/bin/python") == f"uv tool install {hint}"


def test_an_unreadable_uv_receipt_still_names_uv_tool_install(tmp_path: Path) -> None:
    tool = tmp_path / "cognito-credproc"
    tool.mkdir()
    (tool / "uv-receipt.toml").write_bytes(b"\xff\xfe not toml")
    assert install_hint(str(tool), "/x/bin/python") == "uv tool install 'cognito-credproc[demo]'"


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
