"""The documents stay true to the tree: the code map names every module, and every link resolves.

The code map is the "Code map" section of docs/architecture.md. Every ``.py`` module under store/,
tui/ and bench/ must be named there by its path in backticks (``store/changes.py``), and every
path the map names must exist. A package's ``__init__.py`` is covered by its folder's line
(``store/export/``), which says what the ``__init__`` holds: so the folder of every package must be
named, and an ``__init__.py`` need not be. A helper adding, moving or deleting a module therefore
has to add, move or delete its line.

Relative links (``[text](target)``) in README.md and docs/*.md must point to a file or folder that
exists; web links and links within the same page (``#anchor``) are not checked.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "architecture.md"
PACKAGES = ("store", "tui", "bench")

# A path in backticks that starts with one of the mapped packages: ``store/model.py``, ``tui/screens/``.
MAPPED = re.compile(r"`((?:" + "|".join(PACKAGES) + r")/[\w./-]*)`")
# An inline Markdown link: [text](target), target up to the first space or closing parenthesis.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def code_map(text: str) -> str:
    """The "Code map" section of a document: from its heading to the next heading of the same level."""
    found = re.search(r"^## Code map\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert found, "docs/architecture.md has no '## Code map' section"
    return found.group(1)


def named_paths(text: str) -> set[str]:
    return set(MAPPED.findall(code_map(text)))


def required_paths(root: Path) -> set[str]:
    """What the map must name: every module, and for a package's __init__.py its folder instead."""
    required: set[str] = set()
    for package in PACKAGES:
        for module in (root / package).rglob("*.py"):
            relative = module.relative_to(root)
            if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
                continue
            if module.name == "__init__.py":
                required.add(relative.parent.as_posix() + "/")
            else:
                required.add(relative.as_posix())
    return required


def missing_from_map(root: Path, text: str) -> list[str]:
    return sorted(required_paths(root) - named_paths(text))


def named_but_absent(root: Path, text: str) -> list[str]:
    return sorted(path for path in named_paths(text) if not (root / path).exists())


def broken_links(document: Path) -> list[str]:
    broken = []
    for target in LINK.findall(document.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a web address, mailto:, or a place in the same page
        path = unquote(target.split("#", 1)[0])
        if not (document.parent / path).exists():
            broken.append(target)
    return broken


def test_every_module_is_in_the_code_map() -> None:
    missing = missing_from_map(ROOT, ARCHITECTURE.read_text(encoding="utf-8"))
    assert not missing, f"add a line for each to the code map in docs/architecture.md: {missing}"


def test_every_module_the_code_map_names_exists() -> None:
    absent = named_but_absent(ROOT, ARCHITECTURE.read_text(encoding="utf-8"))
    assert not absent, f"the code map in docs/architecture.md names what is not in the tree: {absent}"


def test_the_checks_see_a_deleted_line_and_a_stale_one() -> None:
    """The checks themselves can fail: drop a module's line or a package's, or name a module that is gone."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    already = set(missing_from_map(ROOT, text))
    required = sorted(required_paths(ROOT) - already)
    module = next(path for path in required if path.endswith(".py"))
    package = next(path for path in required if path.endswith("/") and path.count("/") > 1)
    for path in (module, package):
        without = "\n".join(line for line in text.splitlines() if f"`{path}`" not in line)
        assert set(missing_from_map(ROOT, without)) - already == {path}
    stale = text.replace(f"`{module}`", f"`{module}` `store/gone.py`", 1)
    assert "store/gone.py" in named_but_absent(ROOT, stale)


DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(document: Path) -> None:
    assert not broken_links(document), f"{document.name}: links to nothing: {broken_links(document)}"


def test_the_link_check_sees_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "there.md").write_text("x", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md) [ok](there.md#part) [web](https://example.org/x) [here](#top) [gone](not-there.md)",
        encoding="utf-8",
    )
    assert broken_links(page) == ["not-there.md"]
