"""Getting an article out of the app: its citation to the clipboard (``y``), its page in the web browser
(``o``), and the export dialog (``e``: this article, the starred or included ones, or the trail).

Each acts on the target the marks part chooses (``Marking.target``). The export dialog remembers the
article it named as "this article", so the file holds that one whatever is highlighted meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.screens.main.parts import Part
from tui.text import citation_text, describe_article, shorten_left

if TYPE_CHECKING:
    from tui.screens.export import ExportRequest
    from tui.screens.main.screen import MainScreen

TOAST_CELLS = 40  # what a line of a notification holds at 80 columns


class Exporting(Part):
    def __init__(self, screen: MainScreen) -> None:
        super().__init__(screen)
        self.target: int | None = None  # the article the export dialog calls "this article"

    def copy(self) -> None:
        doc_id = self.screen.marking.target()
        library = self.screen.library
        if library is None or doc_id is None:
            return
        text = citation_text(library.article(doc_id))
        # An OSC 52 escape: the terminal puts it on the clipboard, over SSH too.
        self.app.copy_to_clipboard(text)
        self.say(text, title="Copied to the clipboard")

    def open_page(self) -> None:
        doc_id = self.screen.marking.target()
        library = self.screen.library
        if library is None or doc_id is None:
            return
        from store.export.citation import article_url

        url = article_url(library.article(doc_id))
        if not url:
            self.say("This article has no identifier to open.", severity="warning")
            return
        self.app.open_url(url)
        self.app.copy_to_clipboard(url)
        self.say(f"{url} (also copied, for terminals that cannot open a browser)", title="Opening")

    def export(self) -> None:
        """Open the export dialog on the target (the highlighted row, or a refusal naming it; with no
        row highlighted, the open article if any)."""
        library, marking = self.screen.library, self.screen.marking
        if library is None:
            self.say("The library is still loading.")
            return
        highlighted = marking.highlighted_row()
        if highlighted is not None:
            target = marking.row_article(*highlighted)
            if target is None:
                return
        else:
            current = self.screen.reader.current
            target = current if current is not None and library.doc(current) else None
        self.target = target
        label = describe_article(library.article(target)) if target is not None else None
        from store.selection import selection_label
        from store.snowball.engine import label_of
        from tui.screens.export import ExportScreen, export_folder

        doc = library.doc(target) if target is not None else None
        names = {
            "article": selection_label(article=label_of(doc)) if doc is not None else "article",
            "starred": selection_label(starred=True),
            "included": selection_label(decisions=["included"]),
            "trail": selection_label(trail=True),
        }
        self.app.push_screen(ExportScreen(export_folder(), label, self.write, names))

    def write(self, request: ExportRequest) -> str:
        """Do the export the dialog asks for; return why it failed ("" when it did not)."""
        library, marks = self.screen.library, self.screen.marking.marks
        if library is None or marks is None:
            return "The library is not loaded."
        from store.export.write import render, write_file, write_new_file
        from store.selection import by_marks, by_trail

        if request.what == "article":
            doc_ids = [self.target] if self.target is not None else []
        elif request.what == "trail":
            doc_ids = by_trail(library, self.screen.session)
        elif request.what == "starred":
            doc_ids = by_marks(library, marks, starred=True)
        else:
            doc_ids = by_marks(library, marks, screening="included")
        if not doc_ids:
            return "Nothing to export: that selection is empty."
        try:
            rendered = render(library, doc_ids, request.format, marks)
            (write_file if request.replace else write_new_file)(rendered.text, request.path)
        except FileExistsError:
            return f"{request.path.name} appeared meanwhile: Export again replaces it, or edit the name."
        except OSError as exc:
            return f"Could not write {request.path}: {exc.strerror or exc}"
        n = rendered.written
        left_out = f" ({rendered.skipped} left out: the format needs a PMID)" if rendered.skipped else ""
        # The path on a line of its own, shortened from the left: a toast is narrow, and a path split
        # mid-word is hard to read.
        where = shorten_left(str(request.path), TOAST_CELLS)
        self.say(f"{n} article{'s' if n != 1 else ''}{left_out} to\n{where}", title="Exported")
        return ""
