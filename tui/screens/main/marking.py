"""Marks and screening: the marks as this app read them, which article a key acts on, and recording a
star, a tag, a screening decision or a note.

This is the one place where both are decided:

- **The target** (``target``): the highlighted row of the focused list, else the open article. A
  highlighted row the library cannot find (another process changed it a moment ago) is refused with a
  message naming it (``row_article``), never swapped for another article. Every key that acts on an
  article (f F s t i x n y o e) finds it here.
- **Recording** (``record``): every mark and every screening decision is written through it; the rows
  and the header show the result, and the app's own write is not taken for another process's.
  ``decide`` is where a screening decision is made (a reason or a screener would be asked for there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from store.errors import PmbrowseError
from tui.screens.main.parts import Part
from tui.text import describe_article, literal, not_saved
from tui.widgets.lists import ArticleRows, article_lists

if TYPE_CHECKING:
    from store.marks import Mark, Marks, MarksVersion, Screening
    from store.search.index import MarkLookup
    from tui.screens.main.screen import MainScreen

# A change to one article's marks: (the marks, its identity keys) -> its marks after.
Change = Callable[["Marks", list[str]], "Mark"]


def _kept(into: list[Mark], mark: Mark) -> Mark:
    into.append(mark)
    return mark


class Marking(Part):
    """The marks, the target rule and the mark keys (see the module docstring)."""

    def __init__(self, screen: MainScreen) -> None:
        super().__init__(screen)
        self.marks: Marks | None = None
        self.seen: MarksVersion | None = None  # the marks file as this app last read or wrote it

    def take(self, marks: Marks, seen: MarksVersion | None) -> None:
        """Use these marks (read at the start, or again after another process changed them)."""
        self.marks, self.seen = marks, seen
        # Who the screening keys record decisions for, under the result list (a named screener only:
        # a reviewer working alone is the unnamed screener and needs no reminder).
        screener = f"screener {marks.screener}" + (" (blind)" if marks.viewer.blind else "")
        self.screen.results.border_subtitle = literal(screener) if marks.screener else None

    def wrote_elsewhere(self, before: MarksVersion | None) -> None:
        """Another view of this app (the Snowball view, which shares these marks) wrote the marks
        file, which was ``before`` just before: if that is the file as this app last saw it, the file
        as written is this app's, not a change to take in (the rows are redrawn when that view
        closes: ``tui.screens.main.views``); if another process had changed it meanwhile (the write
        merged its change in), the watcher still takes that in at its next look."""
        if self.marks is not None and before == self.seen:
            self.seen = self.marks.version()

    def mark_of(self, keys: list[str]) -> Mark | None:
        return self.marks.get(keys) if self.marks is not None and keys else None

    def search_filter(self) -> MarkLookup | None:
        """What the search's filters (starred, included, tag:NAME) look marks up with."""
        return self.marks.search_filter if self.marks is not None else None

    def show_marks(self) -> None:
        """Show the marks in place: the rows keep their highlight, the header is redrawn."""
        for article_list in article_lists(self.screen):
            article_list.redraw()
        self.screen.reader.show_header()

    # The target ------------------------------------------------------------------------------------

    def target(self) -> int | None:
        """The article an action is for: the highlighted row of the focused list, else the open one.
        None, said, when there is none."""
        highlighted = self.highlighted_row()
        if highlighted is not None:
            return self.row_article(*highlighted)
        library, current = self.screen.library, self.screen.reader.current
        if library is None:
            self.say("The library is still loading; try again in a moment.")
            return None
        if current is None or library.doc(current) is None:
            self.say("Open or highlight an article first.")
            return None
        return current

    def highlighted_row(self) -> tuple[ArticleRows, int] | None:
        """The focused list and its highlighted row, when that row shows an article."""
        self.screen.settle()  # (the result list's highlight on the article just opened)
        focused = self.screen.focused
        row = focused.highlighted if isinstance(focused, ArticleRows) else None
        if isinstance(focused, ArticleRows) and row is not None and focused.keys_at(row):
            return focused, row
        return None

    def row_article(self, rows: ArticleRows, index: int, opening: bool = False) -> int | None:
        """The article a row shows, found by its identity (document ids change with merges); or None,
        said in a message naming the row. Never another article.

        A row the library does not have (yet: another process just added it) makes the app reload;
        when ``opening`` it, the article opens as soon as the reload has it."""
        keys = rows.keys_at(index)
        if not keys:
            return None  # a row of guidance, not an article
        library = self.screen.library
        if library is None:
            self.say("The library is still loading; try again in a moment.")
            return None
        doc_id = library.find_keys(keys)
        if doc_id is None:
            then = "it opens when the library is read again" if opening else "try again in a moment"
            self.say(
                f"{rows.describe(index)} is not in the library as this app last read it: reloading; {then}.",
                severity="warning",
            )
            self.screen.changes.reload(quiet=True, then_open=keys if opening else [])
        return doc_id

    def target_keys(self) -> list[str] | None:
        """The target's identity keys (None when there is no target or the marks are not read)."""
        doc_id = self.target()
        library = self.screen.library
        doc = library.doc(doc_id) if library is not None and doc_id is not None else None
        if doc is None or self.marks is None:
            return None
        from store.merge import doc_keys

        return doc_keys(doc)

    def target_named(self) -> tuple[list[str], str] | None:
        """The target's identity keys, and how a dialog names it (its title and identifier)."""
        doc_id = self.target()
        library = self.screen.library
        doc = library.doc(doc_id) if library is not None and doc_id is not None else None
        if doc is None or self.marks is None:
            return None
        from store.merge import doc_keys
        from store.model import Article

        return doc_keys(doc), describe_article(Article.from_stored(doc, doc_id))

    # Recording -------------------------------------------------------------------------------------

    def record(self, change: Change, keys: list[str] | None = None) -> None:
        """Apply a change to the target article's marks (``keys``: the article a dialog was opened
        for); the rows and the header show the result (a notice each time would cover the list being
        screened). A failed write is a notice."""
        keys = keys or self.target_keys()
        if not keys or self.marks is None:
            return
        try:
            change(self.marks, keys)
        except (PmbrowseError, OSError, ValueError) as exc:
            self.say(not_saved("mark", exc), severity="error")
            return
        self.seen = self.marks.version()
        self.show_marks()

    def star(self) -> None:
        self.record(lambda m, k: m.toggle_star(k))

    def decide(self, decision: Screening | None) -> None:
        """Screening (``i``, ``x``, ``u``): the target included, excluded with a reason asked for, or
        taken back to undecided, by the app's screener, at the stage of the decision it has (else
        title/abstract); the rules (never a silent undo, the cursor rule) are
        ``tui.screens.screening``'s."""
        target = self.target_named()
        if target is None or self.marks is None:
            return
        keys, named = target
        from tui.screens.screening import ask_reason, unchanged

        mark = self.marks.get(keys)
        seen, reason = mark.screening, mark.reason
        if decision != "excluded" and (same := unchanged(decision, seen)):
            self.say(same)
            return
        rows = self.highlighted_row()
        ask_reason(
            self.screen,
            decision,
            named,
            self.reasons,
            reason if seen == "excluded" else "",
            lambda why: self._decided(keys, named, decision, why, rows),
        )

    def _decided(
        self,
        keys: list[str],
        named: str,
        decision: Screening | None,
        why: str,
        rows: tuple[ArticleRows, int] | None,
    ) -> None:
        """Record the decision the key (and the reason dialog) asked for, then apply the cursor rule on
        the list the key was pressed in."""
        from tui.screens.screening import NOTHING_BELOW, changed, next_to_screen, unchanged

        if self.marks is None:
            return
        before = self.marks.get(keys)
        seen, reason = before.screening, before.reason
        if same := unchanged(decision, seen, reason, why):
            self.say(same)
            return
        done: list[Mark] = []
        self.record(lambda m, k: _kept(done, m.set_screening(k, decision, reason=why or None)), keys)
        if not done:
            return  # (the write failed, and said so)
        from store.snowball.review import awaits_own, standing_text

        screener = self.marks.screener
        said = changed(named, seen, reason, decision, why)
        if decision is not None and done[0].screening is None and awaits_own(done[0], screener):
            # (recorded, with no outcome yet: the row shows no mark, so the decision is said at once)
            said = f"{said}: " if said else ""
            said += f"{named}: {standing_text(done[0], screener)}"
        if said:
            self.say(said)
        if decision is None or rows is None:
            return
        article_list, row = rows
        if article_list.highlighted != row:
            return  # (the list moved meanwhile: another search, a reload)
        following = next_to_screen(
            row,
            article_list.row_count,
            lambda n: (
                (m := self.mark_of(article_list.keys_at(n))) is not None
                and m.screening is None
                and not awaits_own(m, screener)
            ),
        )
        if following is None:
            self.say(NOTHING_BELOW)
        else:
            article_list.move_to(following)

    def reasons(self) -> list[str]:
        """The reasons the dialog offers: the review's (``store.snowball.state``), then every one
        given so far."""
        from store.snowball.state import SnowballFile

        given = self.marks.reasons() if self.marks is not None else []
        try:
            return SnowballFile.open(self.screen.library_path).load().offered_reasons(given)
        except PmbrowseError:
            from store.snowball.state import DEFAULT_REASONS

            return [*DEFAULT_REASONS, *given]

    def tag(self) -> None:
        target = self.target_named()
        if target is None or self.marks is None:
            return
        keys, named = target

        def done(tag: str | None) -> None:
            if not tag or not tag.strip():
                return

            def change(marks: Marks, keys: list[str]) -> Mark:
                return (
                    marks.remove_tag(keys, tag) if marks.get(keys).has_tag(tag) else marks.add_tag(keys, tag)
                )

            self.record(change, keys)  # the article the dialog named, whatever is highlighted now

        from tui.screens.prompt import PromptScreen  # (not before the first paint: see screen.py)

        known = ", ".join(self.marks.tags()[:8])
        prompt = f"Tag {named}: one word (a tag it has already is removed)"
        self.app.push_screen(PromptScreen(prompt, placeholder=known), done)

    def note(self) -> None:
        target = self.target_named()
        if target is None or self.marks is None:
            return
        keys, named = target

        def done(text: str | None) -> None:
            if text is not None:
                self.record(lambda m, k: m.set_note(k, text), keys)

        from tui.screens.prompt import PromptScreen

        prompt = f"Note on {named} (empty removes it)"
        self.app.push_screen(PromptScreen(prompt, value=self.marks.get(keys).note), done)
