"""pyproject.toml's pins stay honest: every dependency has the lower bound CI tests it with and an upper
bound (or an exact pin), the snapshots' Textual and Rich are the ones the test extra installs, and
.ci/lowest.py turns the bounds into the set CI installs."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from tests.tui.conftest import SNAPSHOTS_RECORDED_WITH

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def lowest_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lowest", ROOT / ".ci" / "lowest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def requirements() -> list[str]:
    return [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["test"]]


def test_every_dependency_has_a_lower_and_an_upper_bound() -> None:
    for requirement in requirements():
        constraints = requirement.split(";")[0]
        assert "==" in constraints or (">=" in constraints and "<" in constraints.replace("<=", "")), (
            requirement
        )


def test_the_snapshots_textual_and_rich_are_what_the_test_extra_installs() -> None:
    pins = dict(re.findall(r"^([a-z-]+)==(\S+)$", "\n".join(PROJECT["optional-dependencies"]["test"]), re.M))
    assert {name: pins.get(name) for name in SNAPSHOTS_RECORDED_WITH} == SNAPSHOTS_RECORDED_WITH


def test_the_lowest_set_pins_each_lower_bound_and_lets_the_runtime_bounds_win() -> None:
    lines = lowest_module().lowest_set({"project": PROJECT})
    assert "textual==6.0" in lines and "textual==8.2.8" not in lines  # the runtime bound, not the snapshots'
    assert "tomli==2.0; python_version < '3.11'" in lines
    assert "ruff==0.17.6" in lines  # an exact pin stays
    names = [re.split(r"[=;]", line)[0].lower() for line in lines]
    assert len(names) == len(set(names))
    assert all("==" in line for line in lines)


def test_a_dependency_without_a_lower_bound_is_refused() -> None:
    module = lowest_module()
    try:
        module.lowest_set({"project": {"dependencies": ["textual<9"], "optional-dependencies": {"test": []}}})
    except SystemExit as exc:
        assert "has no lower bound" in str(exc)
    else:
        raise AssertionError("a requirement with no lower bound was accepted")
