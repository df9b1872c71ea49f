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
