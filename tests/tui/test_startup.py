"""Start-up: what the first screen needs is all that is imported before it paints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.tui.helpers import make_app
from tui.screens.main import MainScreen

# Modules the first paint does without: the library and its storage, the search engine, the
# parsers, the online client, the exporters, and the subcommands.
LATER = (
    "store.library",
    "store.storage",
    "store.search",
    "tantivy",
    "store.formats",
    "store.importer",
    "lxml",
    "store.online",
    "httpx",
    "store.export",
    "tui.commands.importing",
    "tui.commands.searching",
)


def test_opening_the_app_imports_none_of_the_library_machinery() -> None:
    code = (
        "import json, sys; import tui.cli, tui.app; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({LATER!r}))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    ).stdout
    assert json.loads(out) == []


async def test_the_main_screen_is_the_first_screen(lib_path: Path) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(80, 24)):
        assert isinstance(app.screen, MainScreen) and len(app.screen_stack) == 1  # nothing under it
