"""store/ is layered: no module imports (even for type checking, even lazily) one that imports it back."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

STORE = ROOT / "store"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("store"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("store"))
    return found


def test_store_has_no_import_cycles() -> None:
    modules = {_module(p): p for p in STORE.rglob("*.py")}
    graph = {
        name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()
    }
    # A package's __init__ re-exporting its own modules is not a cycle of concepts.
    for name in graph:
        graph[name] = {
            m for m in graph[name] if not (m.startswith(name + ".") and modules[name].name == "__init__.py")
        }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                cycle = [*stack[stack.index(dep) :], dep]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep)
        stack.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


# The library's storage (its files, their formats and the parts that read and write them) is private
# to the library: the rest of pmbrowse goes through ``store.library.Library``. Besides the storage
# itself, only the library, its units of work and the search index (derived data kept beside the
# library, which reads the live citation counts) may import it.
STORAGE = ("store.storage", "store.docindex", "store.journal", "store.fileformat")
STORAGE_USERS = {
    "store.library",
    "store.changes",
    "store.unitofwork",  # (what a unit of work reads and writes through: store.changes, split)
    "store.linkedits",
    "store.search.index",
    "store.search.cited",
    "store.search.feed",
    "store.search.catchup",  # (an index that missed commits caught up with the layers it has not seen)
    "store.earlyindex",  # (the app's first page opens the document index first, for the storage to take)
    "store.wholefile",  # (the small files' storage writes the same JSON layout: store.fileformat)
    "store.check",  # (`pmbrowse check`, and the checks a command makes on the files before it trusts the
    # search index or writes: the segments as the journal lists them, their tables' checksums)
}
# The app and the command line (tui/) import no storage at all, nor the small files' storage: they ask
# the library (``Library.state``: its change token; ``Library.sizes``), the marks (``marks_version``)
# and ``store.header`` (``looks_like_library``).
APP_MAY_NOT_IMPORT = (*STORAGE, "store.wholefile")


def _all_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_only_the_library_uses_its_storage() -> None:
    offenders = []
    for package in ("store", "tui", "bench"):
        for path in (ROOT / package).rglob("*.py"):
            name = _module(path)
            if name in STORAGE_USERS or name.startswith(STORAGE):
                continue
            used = [m for m in _all_imports(path) if any(m == s or m.startswith(s + ".") for s in STORAGE)]
            if used:
                offenders.append(f"{name}: {sorted(used)}")
    assert offenders == []


def test_the_app_imports_no_storage_internals() -> None:
    offenders = []
    for path in (ROOT / "tui").rglob("*.py"):
        used = [
            m for m in _all_imports(path) if any(m == s or m.startswith(s + ".") for s in APP_MAY_NOT_IMPORT)
        ]
        if used:
            offenders.append(f"{_module(path)}: {sorted(used)}")
    assert offenders == []
