"""A link pane that is not shown reads no links: opening an article reads the links of the pane showing
(References or Cited by), and the other's when it is shown, in time for the frame that shows it. Its
tab's count is the library's, read either way; its cursor is kept as before; a change from another
process reaches it when it is shown."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual._compositor import Compositor

from store.library import Library
from store.model import Article, Link, Origin
from tests.store.bulk_files import pmid
from tests.store.old_libraries import write_v2_docs
from tests.tui.helpers import citing_shown, make_app, until
from tui.screens.main import MainScreen
from tui.widgets.links import LinkList
from tui.widgets.panes import PaneTabs

REFS, CITING = 40, 60


def _write(path: Path) -> Path:
    """Record 1 cites records 2..41 and is cited by records 42..101; record 102 cites record 2 alone."""
    refs, citing = range(2, REFS + 2), range(REFS + 2, REFS + CITING + 2)

    def docs() -> Iterator[tuple[int, dict[str, object]]]:
        yield 1, {"pmid": pmid(1), "title": "Both", "references": list(refs), "cited_by": list(citing)}
        for i in refs:
            yield i, {"pmid": pmid(i), "title": f"Cited {i}", "cited_by": [1] + [102] * (i == 2)}
        for i in citing:
            yield i, {"pmid": pmid(i), "title": f"Citing {i}", "year": 2000, "references": [1]}
        yield 102, {"pmid": pmid(102), "title": "Other", "year": 2001, "references": [2]}

    write_v2_docs(path, docs())
    Library.open(path)  # (converted once, here)
    return path


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("both") / "library.json")


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The relations whose links the library is asked for on the UI thread (``Library.link_ids``; the
    year chart's thread asks for both), in turn."""
    asked: list[str] = []
    link_ids = Library.link_ids

    def counting(self: Library, doc_id: int, rel: str) -> list[int]:
        if threading.current_thread() is threading.main_thread():
            asked.append(rel)
        return link_ids(self, doc_id, rel)

    monkeypatch.setattr(Library, "link_ids", counting)
    return asked


def _open(screen: MainScreen, doc: str) -> None:
    screen.open_doc(Library.open(screen.library_path).find(doc))  # type: ignore[arg-type]


async def test_the_hidden_pane_reads_its_links_when_shown(
    both: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Open with Cited by showing: References' links are not read, its tab counts them all the same;
    ``r`` reads them, before the first frame after it, which draws the rows."""
    app = make_app(both, pmid(1))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await citing_shown(pilot)
        references = screen.query_one("#references-list", LinkList)
        for doc in (pmid(102), pmid(1)):
            reads.clear()
            _open(screen, doc)
            await pilot.pause()
            assert reads == ["cited_by"], doc
        assert screen.query_one("#tabs", PaneTabs).labels["references"] == f"References ({REFS})"

        frames: list[tuple[int, int]] = []  # (the rows' height as the frame began, lines drawn in it)
        render_update, action_pane = Compositor.render_update, MainScreen.action_pane

        def frame(self: Compositor, *args: object, **kwargs: object) -> object:
            height, drawn = references.virtual_size.height, references.lines_drawn
            update = render_update(self, *args, **kwargs)  # type: ignore[arg-type]
            frames.append((height, references.lines_drawn - drawn))
            return update

        def pane(self: MainScreen, name: str, focus: bool = True) -> None:
            # The frames from ``r``'s action on: one the open above still had to draw (its year chart,
            # from a thread) may come after the pause, before ``r``; it is not the frame after ``r``.
            frames.clear()
            action_pane(self, name, focus)

        monkeypatch.setattr(Compositor, "render_update", frame)
        monkeypatch.setattr(MainScreen, "action_pane", pane)
        await pilot.press("r")
        await pilot.pause()
        assert reads[1:] == ["references"]
        # The first frame after ``r``: laid out for the rows (their scrollbar), a screenful of them drawn.
        assert frames and frames[0][0] == 2 * REFS and frames[0][1] >= 2 * 10
        assert references.row_text(0).startswith("● Cited 2") and len(references.ids) == REFS


async def test_a_hidden_pane_keeps_its_cursor(both: Path, reads: list[str]) -> None:
    """A pane read, then hidden and shown again, keeps its cursor and reads nothing again; one hidden
    at an open (another article) is read when shown, its cursor at the top."""
    app = make_app(both, pmid(1))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await citing_shown(pilot)
        references = screen.query_one("#references-list", LinkList)
        await pilot.press("r")
        await pilot.pause()
        references.move_to(30)
        await pilot.press("c")
        await pilot.pause()
        reads.clear()
        await pilot.press("r")
        await pilot.pause()
        assert reads == [] and references.highlighted == 30
        assert references.scroll_offset.y > 0

        await pilot.press("c")
        _open(screen, pmid(1))
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert references.highlighted == 0 and references.scroll_offset.y == 0


async def test_a_change_reaches_the_hidden_pane_when_shown(tmp_path: Path, reads: list[str]) -> None:
    """Another process adds a reference to the open article while References is hidden: Cited by, the
    pane showing, is read again at once; References when shown, the cursor on the row it was on."""
    path = _write(tmp_path / "library.json")
    app = make_app(path, pmid(1))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await citing_shown(pilot)
        references = screen.query_one("#references-list", LinkList)
        citing = screen.query_one("#cited-by-list", LinkList)
        await pilot.press("r")
        await pilot.pause()
        references.move_to(30)
        target, scrolled = references.ids[30], references.scroll_offset.y
        await pilot.press("c")
        await pilot.pause()
        reads.clear()
        for n in (1, 2):  # (two changes: the second finds References still to be read)
            with Library.open(path).transaction() as changes:  # (another process: a new citing article)
                changes.put_article(
                    Article(pmid=f"90{n}", title=f"New {n}", references=[Link(pmid=pmid(1))]), Origin("t")
                )
            assert await until(pilot, lambda n=n: len(citing.ids) == CITING + n)  # type: ignore[misc]
        assert reads.count("cited_by") >= 2 and "references" not in reads
        await pilot.press("r")
        await pilot.pause()
        assert reads.count("references") == 1
        assert references.highlighted == 30 and references.ids[30] == target
        top, height = references.scroll_offset.y, references.scrollable_content_region.height
        assert scrolled > 0 and top <= 2 * 30 < top + height  # (its row in view, as a reload hidden kept it)
