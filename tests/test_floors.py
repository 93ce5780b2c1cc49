"""The declared minimums are honest: every AWS operation, parameter and answer field the
code uses is listed (tests/api_usage.py), and the interpreter the tool runs with has all
of it. In the floor run (``.ci/run``), that interpreter is the floor virtualenv's, with
exactly the ``pyproject.toml`` minimums installed."""

from __future__ import annotations

import ast
import json
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
from botocore import xform_name
from packaging.version import Version

from cognito_credproc.signin.api import HANDLERS

from .api_usage import HANDLED_CHALLENGES, USED
from .conftest import Workspace
from .floors import ROOT, floor_python, floors, tool_python

PACKAGE = ROOT / "cognito_credproc"
REPORT = Path(__file__).resolve().parent / "api_usage.py"


def calls_in_the_code() -> dict[str, set[str]]:
    """Every operation the package calls through ``aws.call`` (``call(client, "op", ...)``),
    the account commands' ``user_call(provider, "op", ...)`` or a sign-in's
    ``.call("op", ...)``, with the keyword parameters named at the call. The wrappers
    themselves (functions of those names) pass on their caller's operation."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        wrappers = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name in ("call", "user_call")
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in wrappers:
                continue
            if isinstance(node.func, ast.Name) and node.func.id in ("call", "user_call"):
                position = 1
            elif (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "call"
                and not (
                    isinstance(node.func.value, ast.Name) and node.func.value.id == "subprocess"
                )
            ):
                position = 0
            else:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            assert len(node.args) > position, f"{where}: a call without an operation"
            operation = node.args[position]
            assert isinstance(operation, ast.Constant) and isinstance(operation.value, str), (
                f"{where}: the operation is not named where it is called"
            )
            found[operation.value] |= {k.arg for k in node.keywords if k.arg is not None}
    return found


def test_every_operation_the_code_calls_is_listed_with_its_parameters() -> None:
    listed = {
        xform_name(operation): use
        for operations in USED.values()
        for operation, use in operations.items()
    }
    called = calls_in_the_code()
    assert set(called) == set(listed)
    for operation, parameters in called.items():
        sent = {path.split(".")[0] for path in listed[operation].sends}
        assert parameters <= sent, f"{operation} sends {sorted(parameters - sent)} unlisted"


def test_the_listed_challenges_are_the_ones_answered() -> None:
    assert set(HANDLERS) == set(HANDLED_CHALLENGES)


def test_the_floors_are_read_from_pyproject() -> None:
    found = floors()
    assert set(found) == {"boto3", "botocore", "platformdirs", "filelock"}
    # boto3 pins botocore to its own minor release: the two floors go together
    assert found["boto3"] == found["botocore"]


@pytest.mark.floor
def test_the_tools_interpreter_has_everything_the_code_uses(ws: Workspace) -> None:
    """Runs tests/api_usage.py as the tool runs (its interpreter, its environment): in the
    floor run it must find exactly the declared minimums, and nothing the code uses may be
    missing from them."""
    done = subprocess.run(
        [tool_python(), str(REPORT)],
        env=ws.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["problems"] == []
    installed = report["versions"]
    for name, floor in floors().items():
        if floor_python():
            assert installed[name] == floor, f"the floor run has {name} {installed[name]}"
        else:
            assert Version(installed[name]) >= Version(floor)
