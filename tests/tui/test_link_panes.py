"""The link panes draw only what is on screen: an article with ten thousand citing articles opens with
the first screenful built, the rest built as it scrolls into view."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.library import Library
from tests.store.bulk_files import pmid
from tests.store.old_libraries import write_v2_docs
from tests.tui.helpers import make_app, ready
from tui.widgets.lists import LinkList

CITING = 10_000


@pytest.fixture(scope="module")
def famous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Record 1 cited by the 10,000 records after it (small ones: a schema-2 file, converted on open)."""
    path = tmp_path_factory.mktemp("famous") / "library.json"

    def docs():  # type: ignore[no-untyped-def]
        yield (
            1,
            {
                "pmid": pmid(1),
                "title": "The famous one",
                "year": 1990,
                "cited_by": list(range(2, CITING + 2)),
            },
        )
        for i in range(2, CITING + 2):
            yield i, {"pmid": pmid(i), "title": f"Citing {i}", "year": 2000 + i % 20, "references": [1]}

    write_v2_docs(path, docs())
    Library.open(path)  # (converted once, here)
    return path


async def test_an_article_with_ten_thousand_citing_ones_builds_one_screenful(famous: Path) -> None:
    app = make_app(famous, pmid(1))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await pilot.pause()
        citing = app.screen.query_one("#cited-by-list", LinkList)
        assert len(citing.ids) == CITING and citing.highlighted == 0
        built = len(citing._built)
        assert 0 < built <= LinkList.PAGE  # (the first page, not ten thousand rows)
        assert citing.row_text(0).startswith("● Citing 2")
        # Rows far down are built when they come into view, and the cursor keeps the place.
        await pilot.press("end")
        await pilot.pause()
        assert citing.highlighted == CITING - 1 and f"Citing {CITING + 1}" in citing.row_text(CITING - 1)
        assert len(citing._built) <= 2 * LinkList.PAGE
        await pilot.press("up", "enter")
        await pilot.pause()
        assert app.screen.reader.current == Library.open(famous).find(pmid(CITING))
