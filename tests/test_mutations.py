"""The CI's mutation check (.ci/mutations.py) still finds every place it mutates.

A refactor that moves or rewrites a mutated line must update the mutation too; this fails at once,
in the suite every change runs, rather than only in CI's mutation step."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from tests.conftest import ROOT


def _mutations() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_mutations", ROOT / ".ci" / "mutations.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("ci_mutations", module)
    spec.loader.exec_module(module)
    return module


MUTATIONS = _mutations()


@pytest.mark.parametrize("mutation", MUTATIONS.MUTATIONS, ids=lambda m: m.name)
def test_every_mutation_finds_its_target(mutation: object) -> None:
    path = ROOT / mutation.path  # type: ignore[attr-defined]
    source = path.read_text(encoding="utf-8")
    changed = MUTATIONS.mutated(source, mutation)
    assert changed != source and mutation.new in changed  # type: ignore[attr-defined]
    for test in mutation.tests:  # type: ignore[attr-defined]
        assert (ROOT / test.split("::")[0]).is_file(), test


def test_a_target_that_moved_is_refused_loudly() -> None:
    m = MUTATIONS.MUTATIONS[0]
    source = (ROOT / m.path).read_text(encoding="utf-8")
    with pytest.raises(MUTATIONS.TargetNotFound, match="occurs 0 times"):
        MUTATIONS.mutated(source.replace(m.old, m.old.replace("(", " (")), m)
    with pytest.raises(MUTATIONS.TargetNotFound, match="the function is not there"):
        MUTATIONS.mutated(source, MUTATIONS.Mutation("x", "", m.path, "Nowhere.to_be_found", m.old, "", ()))


def test_a_run_that_reports_no_failed_test_is_not_a_catch() -> None:
    """Exit status 1 is pytest's "tests failed" and also Python's "No module named pytest": an install
    cut short (seen in a CI run killed during `pip install`) had every mutation caught in 0 s."""
    verdict = MUTATIONS.verdict
    assert verdict(1, "/x/python3: No module named pytest\n")[0] == "BROKEN"
    assert verdict(1, "F\nFAILED tests/store/test_x.py::test_y - assert 1 == 2\n1 failed\n") == (
        "caught",
        "FAILED tests/store/test_x.py::test_y - assert 1 == 2",
    )
    assert verdict(0, "3 passed\n")[0] == "SURVIVED"
    assert verdict(2, "ERROR collecting tests/x.py\nInterrupted: 1 error\n")[0] == "BROKEN"
