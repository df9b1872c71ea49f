"""Routes to the views beside the main screen: the citation map (``tui.screens.map``) and citation
chasing (``tui.screens.snowball``). This is the one place that opens them and takes back what they
return: an article to open (and, from citation chasing, marks that changed)."""

from __future__ import annotations

from tui.screens.main.parts import Part


class Views(Part):
    def citation_map(self) -> None:
        from tui.screens.map import MapScreen

        library, current = self.screen.library, self.screen.reader.current
        if library is None or current is None:
            self.say("Open an article first: the map is drawn around it.")
            return
        trail = [i for i in (library.lookup(k) for k in self.screen.trail.entries) if i is not None]
        self.app.push_screen(MapScreen(library, current, trail=trail), self._from_view)

    def snowball(self) -> None:
        """The Snowball view of the current round (the first from the included articles)."""
        library, marks = self.screen.library, self.screen.marking.marks
        if library is None or marks is None:
            self.say("The library is still loading; try again in a moment.")
            return
        from tui.screens.snowball import SnowballScreen

        screen = SnowballScreen(library, marks, wrote=self.screen.marking.wrote_elsewhere)
        self.app.push_screen(screen, self._from_snowball)

    def snowball_article(self) -> None:
        """A round from the open article alone."""
        library, marks, current = self.screen.library, self.screen.marking.marks, self.screen.reader.current
        if library is None or marks is None or current is None:
            self.say("Open an article first: it is the seed.")
            return
        from tui.screens.snowball import SnowballScreen

        screen = SnowballScreen(
            library,
            marks,
            seeds=[current],
            selection="open article",
            wrote=self.screen.marking.wrote_elsewhere,
        )
        self.app.push_screen(screen, self._from_snowball)

    def _from_snowball(self, doc_id: int | None) -> None:
        # The view screens articles in these marks: their rows are drawn again; what other processes
        # changed meanwhile is taken in too.
        if self.screen.marking.marks is not None:
            self.screen.marking.show_marks()
        self.screen.changes.reload(quiet=True)
        self._from_view(doc_id)

    def _from_view(self, doc_id: int | None) -> None:
        if doc_id is not None and doc_id != self.screen.reader.current:
            self.screen.reader.open(doc_id)
