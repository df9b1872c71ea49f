"""Every key of the app in one table: the bindings, the footer, the help screen and the command
palette are all made from it, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class Key:
    keys: str  # Textual key names, comma-separated
    action: str  # an action of the main screen
    description: str  # short, for the footer
    help: str  # one line, for the help screen and the command palette
    shown: str = ""  # how the help screen writes the keys (default: from ``keys``)
    footer: bool = True
    # How much the footer wants it: when the line is too short, the keys of the highest rank go first
    # (0: always shown).
    rank: int = 5

    @property
    def label(self) -> str:
        if self.shown:
            return self.shown
        names = {"slash": "/", "question_mark": "?", "backspace": "⌫", "shift+tab": "⇧tab"}
        return " / ".join(names.get(k, k) for k in self.keys.split(","))

    def binding(self) -> Binding:
        return Binding(self.keys, self.action, self.description, show=False, key_display=None)

    @property
    def footer_label(self) -> str:
        """The first key only, short: ``/``, ``⌫``, ``^r``."""
        first = self.label.split(" / ")[0]
        return first.replace("ctrl+", "^").replace("alt+right", "alt+→")


KEYS: tuple[Key, ...] = (
    Key(
        "slash",
        "focus_search",
        "Search",
        "Focus the search bar; enter runs the search, escape returns",
        rank=1,
    ),
    Key("a", "pane('abstract')", "Abstract", "Show the abstract of the open article", rank=2),
    Key(
        "r",
        "pane('references')",
        "Refs",
        "Show the references of the open article (the papers it cites)",
        rank=2,
    ),
    Key("c", "pane('cited_by')", "Cited by", "Show the citing articles of the open article", rank=2),
    Key("backspace,alt+left", "back", "Back", "Back to the previous article on the trail", rank=1),
    Key("alt+right", "forward", "Fwd", "Forward again along the trail", rank=6),
    Key(
        "tab", "cycle(1)", "Next pane", "Move focus: results → abstract → references → cited by", footer=False
    ),
    Key("shift+tab", "cycle(-1)", "Prev pane", "Move focus the other way", footer=False),
    Key("j", "cursor(1)", "Down", "Move down in a list", shown="j / ↓", footer=False),
    Key("k", "cursor(-1)", "Up", "Move up in a list", shown="k / ↑", footer=False),
    Key("f", "fetch", "Fetch", "Fetch the article and its links from PubMed and Europe PMC (online)", rank=3),
    Key(
        "F",
        "fetch_linked",
        "Fetch linked",
        "Also fetch the records of the stubs it links to (online)",
        footer=False,
    ),
    Key(
        "s", "star", "Star", "Star or unstar the article (the highlighted row, else the open article)", rank=2
    ),
    Key("t", "tag", "Tag", "Add a one-word tag to the article (a tag it has already is removed)", rank=4),
    Key("i", "screen('included')", "Incl", "Screening: mark the article included (again: undecided)", rank=3),
    Key("x", "screen('excluded')", "Excl", "Screening: mark the article excluded (again: undecided)", rank=3),
    Key("n", "note", "Note", "Write a short note on the article", rank=5),
    Key("y", "copy", "Copy", "Copy the citation, with its PMID and DOI, to the clipboard", rank=5),
    Key("o", "open_page", "Open", "Open the article's PubMed (or DOI) page in the web browser", rank=5),
    Key("e", "export", "Export", "Export this article, the starred or included ones, or the trail", rank=3),
    Key("m", "mesh", "MeSH", "Search the library by one of the open article's MeSH headings", rank=5),
    Key(
        "l",
        "pane('related')",
        "Related",
        "Show the articles most related to the open one, by co-citation and coupling (b switches)",
        rank=4,
    ),
    Key("g", "citation_map", "Map", "Show the citation map of the open article: two hops, by year", rank=4),
    Key(
        "S",
        "snowball",
        "Snowball",
        "Citation chasing: screen the candidates of the current round (the first from the included)",
        rank=5,
    ),
    Key(
        "ctrl+b", "snowball_article", "Snowball here", "Citation chasing from the open article", footer=False
    ),
    Key(
        "O",
        "order",
        "Order",
        "Order the results: by relevance, newest first, most cited first, highest RCR first",
        rank=4,
    ),
    Key(
        "ctrl+r",
        "reload",
        "Reload",
        "Reload now: show what other processes changed (the app also looks every second)",
        shown="ctrl+r",
        rank=6,
    ),
    Key("ctrl+p", "app.command_palette", "Palette", "Command palette: every action by name", rank=6),
    Key("question_mark", "help", "Help", "Show this help", rank=0),
    Key("q", "quit", "Quit", "Quit pmbrowse (where you were is kept for next time)", rank=0),
)

# Rows of the help screen that explain several keys at once, by their actions (so that every key
# fits on one screen at 120x40); each key's own help is still what the command palette shows.
HELP_ROWS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("pane('abstract')", "pane('references')", "pane('cited_by')", "pane('related')"),
        "Show the open article's abstract, references (the papers it cites), citing articles, or related "
        "articles (co-citation and coupling; b switches)",
    ),
    (("back", "forward"), "Back to the previous article on the trail; forward again"),
    (("cycle(1)", "cycle(-1)"), "Move focus: results → abstract → references → cited by, and back"),
    (("cursor(1)", "cursor(-1)"), "Move down / up in a list"),
    (
        ("fetch", "fetch_linked"),
        "Fetch the article and its links from PubMed and Europe PMC; F also the stubs it links to",
    ),
    (
        ("screen('included')", "screen('excluded')"),
        "Screening: mark the article included / excluded (again: undecided)",
    ),
    (
        ("snowball", "snowball_article"),
        "Citation chasing: screen the candidates of the current round (ctrl+b: from the open article)",
    ),
)

# Keys that are not bindings of ours but that the help screen explains.
OTHER_KEYS: tuple[tuple[str, str], ...] = (
    ("enter", "Open the highlighted result or link target; in the search bar, run the search"),
    ("escape", "Leave the search bar for the results"),
    ("mouse", "Click a row to open it; click a tab to show its pane"),
)

# What the help says of the keys that act on an article (a row of its own would widen the key column).
TARGET_HELP = (
    "f F s t i x n y o e act on the highlighted row of the focused list, else on the open article; "
    "a row the library no longer has is refused, never swapped for another article."
)

SEARCH_HELP = (
    'Search: words are ANDed; OR, NOT, ( ); "phrases"; exosom*; tags [ti] [ab] [tiab] [au] [ta] [dp] '
    "[pmid] [mh] [doi], e.g. Smith J[au], 2018:2020[dp]; filters starred, included, excluded, tag:NAME, "
    "is:stub. Start with pubmed: to search PubMed online (the hits are stored in the library)."
)
