"""The declared minimum of every runtime dependency, read from pyproject.toml, and the
interpreter the tests run the tool with.

``python tests/floors.py`` prints the floors as ``name==version`` lines, one a line: what
``.ci/run`` installs into the floor virtualenv. With ``COGNITO_CREDPROC_TEST_FLOOR_PYTHON``
naming that virtualenv's interpreter, the tests run the tool (the process under test) with
it, while pytest, moto's server and the strict fakes stay in the development virtualenv
on their tested versions: the floor virtualenv holds the tool and its runtime
dependencies alone, as an install would.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pytest brings tomli where tomllib is missing
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
FLOOR_PYTHON_VARIABLE = "COGNITO_CREDPROC_TEST_FLOOR_PYTHON"
# "name>=version", nothing else: a floor is one exact version to install and test with.
_FLOOR_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)>=([0-9][0-9.]*)$")


def floors(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """Each runtime dependency's declared minimum, by name, in the order declared."""
    with pyproject.open("rb") as handle:
        declared = tomllib.load(handle)["project"]["dependencies"]
    found: dict[str, str] = {}
    for requirement in declared:
        match = _FLOOR_RE.match(requirement.replace(" ", ""))
        if match is None:
            raise ValueError(f"{requirement!r} is not of the form name>=version")
        found[match.group(1).lower()] = match.group(2)
    return found


def floor_python() -> str | None:
    """The floor virtualenv's interpreter when this is the floor run, else None."""
    return os.environ.get(FLOOR_PYTHON_VARIABLE) or None


def tool_python() -> str:
    """The interpreter that runs the tool: the floor virtualenv's in the floor run."""
    return floor_python() or sys.executable


if __name__ == "__main__":
    sys.stdout.write("".join(f"{name}=={version}\n" for name, version in floors().items()))
