"""Print the lowest allowed set of pmbrowse's dependencies, one requirement a line, for ``pip install -r``.

Each ``name>=X`` of pyproject.toml (the dependencies and the test extra) becomes ``name==X``; an exact
pin stays as it is, except the test extra's pins of runtime dependencies (the Textual and Rich the
snapshots were recorded with), which give way to the runtime dependency's lowest release: with them
the snapshot tests skip themselves, saying why. Markers are kept (``tomli==2.0; python_version <
'3.11'``). CI installs this set in a second venv and runs the suite there too (.ci/run).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

# name, version constraints, optional marker: "tomli>=2.0,<3; python_version < '3.11'"
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*([^;]*?)\s*(;.*)?$")


def lowest(requirement: str) -> tuple[str, str]:
    """(name, ``name==lowest[; marker]``) of one requirement; refuses one without a lower bound."""
    found = REQUIREMENT.match(requirement)
    if found is None:
        raise SystemExit(f"lowest.py: cannot read the requirement {requirement!r}")
    name, constraints, marker = found.group(1), found.group(2), found.group(3) or ""
    pins = dict(re.findall(r"(==|>=)\s*([^,\s]+)", constraints))
    if not pins:
        raise SystemExit(f"lowest.py: {requirement!r} has no lower bound (pyproject.toml needs one)")
    version = pins.get("==") or pins[">="]
    return name.lower(), f"{name}=={version}{marker}"


def lowest_set(pyproject: dict[str, object]) -> list[str]:
    project = pyproject["project"]
    assert isinstance(project, dict)
    runtime = dict(lowest(r) for r in project["dependencies"])
    test = [lowest(r) for r in project["optional-dependencies"]["test"]]
    return [*runtime.values(), *(line for name, line in test if name not in runtime)]


if __name__ == "__main__":
    default = Path(__file__).resolve().parent.parent / "pyproject.toml"
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    print("\n".join(lowest_set(tomllib.loads(path.read_text(encoding="utf-8")))))
