"""The source distribution: its license and metadata, and that the tests run from it.

CI runs the whole suite from the unpacked sdist (``.ci/run``); these tests say why a
failure there would happen, and keep the package metadata honest.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEEDED = (
    "LICENSE",
    "README.md",
    "pyproject.toml",
    "config.example.ini",
    "constraints.txt",
    ".ci/run",
    "examples/cloudformation.yaml",
)
# Fast modules that need the helpers, the example settings file and the README.
JUNK = (".git", ".venv", "*.egg-info", "__pycache__", "*_cache", "build", "dist")
QUICK_MODULES = ("tests/test_units.py", "tests/test_example_config.py", "tests/test_srp.py")


def _files(top: Path, *subdirs: str) -> set[str]:
    found = set()
    for sub in subdirs:
        for path in (top / sub).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                found.add(path.relative_to(top).as_posix())
    return found


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy without the build's own leftovers: setuptools adds whatever an old
    # egg-info's SOURCES.txt lists, which would hide a file MANIFEST.in forgot.
    source = tmp_path_factory.mktemp("source") / "tree"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*JUNK))
    out = tmp_path_factory.mktemp("sdist")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(out), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (archive,) = out.glob("cognito_credproc-*.tar.gz")
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(out, filter="data")
        else:  # pragma: no cover - Python releases before the extraction filters
            tar.extractall(out)  # noqa: S202 - our own archive, just built
    (tree,) = (p for p in out.iterdir() if p.is_dir())
    return tree


def _pkg_info(tree: Path) -> list[tuple[str, str]]:
    head = (tree / "PKG-INFO").read_text(encoding="utf-8").split("\n\n", 1)[0]
    return [(k, v.strip()) for k, v in re.findall(r"^([\w-]+): (.*)$", head, flags=re.M)]


def test_the_sdist_declares_apache_2_and_its_classifiers(unpacked: Path) -> None:
    info = _pkg_info(unpacked)
    assert ("License-Expression", "Apache-2.0") in info
    assert ("License-File", "LICENSE") in info
    license_text = (unpacked / "LICENSE").read_text(encoding="utf-8")
    assert license_text.lstrip().startswith("Apache License\n")
    assert "Version 2.0, January 2004" in license_text
    classifiers = [v for k, v in info if k == "Classifier"]
    versions = sorted(
        c.rsplit(" ", 1)[1] for c in classifiers if re.fullmatch(r".*Python :: 3\.\d+", c)
    )
    assert versions == ["3.10", "3.11", "3.12", "3.13"]
    assert ("Requires-Python", ">=3.10") in info
    # The three systems the README's "Platforms" section says are tested.
    systems = {c for c in classifiers if c.startswith("Operating System :: ")}
    assert systems == {
        "Operating System :: MacOS",
        "Operating System :: Microsoft :: Windows",
        "Operating System :: POSIX :: Linux",
    }
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    # PEP 639: the SPDX expression replaces the license classifiers
    assert not any(c.startswith("License :: ") for c in classifiers)


def test_the_sdist_carries_everything_the_tests_need(unpacked: Path) -> None:
    for name in NEEDED:
        assert (unpacked / name).is_file(), f"{name} is missing from the sdist"
    assert os.access(unpacked / ".ci" / "run", os.X_OK)
    assert _files(unpacked, "tests", "benchmarks") == _files(ROOT, "tests", "benchmarks")


def _run_pytest(where: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=where,
        env={**env, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_tests_run_from_the_unpacked_sdist(unpacked: Path) -> None:
    def collected(where: Path) -> list[str]:
        done = _run_pytest(where, "--collect-only", "-q")
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        return [line for line in done.stdout.splitlines() if "::" in line]

    here = collected(ROOT)
    assert len(here) > 100
    assert collected(unpacked) == here  # every test module and helper made it...
    # ...and they pass there (the fast ones; CI runs them all from the sdist).
    probe = _run_pytest(unpacked, *QUICK_MODULES, "-q")
    assert probe.returncode == 0, probe.stdout[-3000:] + probe.stderr[-2000:]
    assert re.search(r"^\d+ passed", probe.stdout.splitlines()[-1])
