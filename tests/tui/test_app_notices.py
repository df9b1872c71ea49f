"""What opening the library says (a conversion, a rebuilt index, damage) is said in the app too, in a
notification, as the commands print it on stderr; literally (a path may hold brackets)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from store.library import Library
from tests.tui.helpers import make_app, ready


def notices(app: Any) -> list[tuple[str, bool]]:
    return [(n.message, n.markup) for n in app._notifications]


def _damaged_index(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "library.json"
    Library.open(path).close()
    with open(f"{path}.idx", "r+b") as index:
        index.seek(100)
        index.write(b"XXXX")
    return path


async def test_a_rebuilt_index_is_said_in_the_app(tmp_path: Path) -> None:
    """Seen red before: the index rebuilt (by the search index's opening of the storage, before the
    library is read) and nothing said in the app."""
    path = _damaged_index(tmp_path / "[red]lib")
    app = make_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        said = [(m, markup) for m, markup in notices(app) if "it was rebuilt" in m]
    assert said, notices(app)
    message, markup = said[0]
    assert not markup and f"{path}.idx is damaged" in message
    assert len(said) == 1  # (said once, whichever part of the app opened the library first)


async def test_a_library_without_anything_to_say_says_nothing(tmp_path: Path) -> None:
    path = tmp_path / "library.json"
    Library.open(path).close()
    app = make_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
    assert not [m for m, _ in notices(app) if "rebuilt" in m or "converted" in m or "damaged" in m]
