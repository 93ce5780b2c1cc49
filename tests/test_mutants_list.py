"""The mutation run (tests/mutants.py) is not part of the normal run, so its list would
drift from the code unnoticed: every mutant must still apply exactly once, change
something, and name test files that exist."""

from __future__ import annotations

import pytest

from . import mutants


@pytest.mark.parametrize("mutant", mutants.MUTANTS, ids=lambda m: m.name)
def test_every_mutant_applies_once_and_names_existing_tests(mutant: mutants.Mutant) -> None:
    where, count = mutants.locate(mutants.ROOT, mutant.snippet)
    assert count == 1, f"{mutant.name}: snippet found {count} times in the package"
    assert where is not None
    assert mutant.replacement != mutant.snippet
    for test in mutant.tests:
        path = mutants.ROOT / test.split("::")[0]
        assert path.is_file(), f"{mutant.name}: no test file {path.name}"
        if "::" in test:
            name = test.split("::")[1].split("[")[0]
            assert f"def {name}(" in path.read_text(encoding="utf-8"), (
                f"{mutant.name}: no test {name} in {path.name}"
            )


def test_mutant_names_are_unique() -> None:
    names = [m.name for m in mutants.MUTANTS]
    assert len(names) == len(set(names))
