"""docs/architecture.md's bounds stay complete: every requirement of pyproject.toml (the dependencies
and the test extra) is named, in backticks, in its "Bounds" and "Exact pins" paragraphs: the
lowest-versions table, the floors listed after it, or the pins (pytest-xdist was missing for a stop)."""

from __future__ import annotations

import re

from tests.test_docs import ARCHITECTURE
from tests.test_pins import requirements

NAME = re.compile(r"[A-Za-z0-9_.\-]+")


def bounds_section(text: str) -> str:
    """From the "**Bounds.**" paragraph up to the next one that is not about versions ("**Platforms")."""
    start = text.index("**Bounds.**")
    return text[start : text.index("**Platforms", start)]


def unnamed(section: str, requirements: list[str]) -> list[str]:
    """The requirements' names that the section does not name in backticks (`name`)."""
    named = set(re.findall(r"`([A-Za-z0-9_.\-]+)`", section))
    names = [found.group(0) for found in map(NAME.match, requirements) if found is not None]
    return [name for name in names if name not in named]


def test_every_requirement_is_named_where_the_bounds_are_explained() -> None:
    missing = unnamed(bounds_section(ARCHITECTURE.read_text(encoding="utf-8")), requirements())
    assert not missing, f"say in docs/architecture.md (Bounds) why these lower bounds: {missing}"


def test_the_check_sees_a_requirement_the_section_leaves_out() -> None:
    section = "**Bounds.** | `pytest` | 8.2 | what pytest-asyncio needs |"
    assert unnamed(section, ["pytest>=8.2,<9", "pytest-xdist>=3.6.1,<4"]) == ["pytest-xdist"]
