"""Every key of the app in one table: the bindings, the footer, the help screen and the command
palette are all made from it, so they cannot disagree."""

from __future__ import annotations

from textual.binding import Binding

from store.values import Value


class Key(Value):
    """One key of the table. (A value class, not a frozen dataclass: making one took ~0.6 ms of the
    app's start, before its first frame: ``store.values``.)"""

    __slots__ = ("keys", "action", "description", "help", "shown", "footer", "rank")  # noqa: RUF023 (in the fields' order)
    keys: str  # Textual key names, comma-separated
    action: str  # an action of the main screen
    description: str  # short, for the footer
    help: str  # one line, for the help screen and the command palette
    shown: str  # how the help screen writes the keys (default: from ``keys``)
    footer: bool
    # How much the footer wants it: when the line is too short, the keys of the highest rank go first
    # (0: always shown).
    rank: int

    def __init__(
        self,
        keys: str,
        action: str,
        description: str,
        help: str,
        shown: str = "",
        footer: bool = True,
        rank: int = 5,
    ) -> None:
        self._set(keys, action, description, help, shown, footer, rank)

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
        return first.replace("ctrl+", "^").replace("alt+right", "alt+→").replace("escape", "esc")


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
    Key(
        "i",
        "screen('included')",
        "Incl",
        "Screening: include the article, then on to the next to screen",
        rank=3,
    ),
    Key(
        "x",
        "screen('excluded')",
        "Excl",
        "Screening: exclude the article, saying why, then on to the next to screen",
        rank=3,
    ),
    Key("u", "screen('undecided')", "Undecide", "Screening: take the article's decision back", rank=6),
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
        ("screen('included')", "screen('excluded')", "screen('undecided')"),
        "Screening: include / exclude (asks why) / take the decision back; the cursor moves on to the next "
        "row to screen",
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
    "f F s t i x u n y o e act on the highlighted row of the focused list, else on the open article; "
    "a row the library no longer has is refused, never swapped for another article."
)

SEARCH_HELP = (
    'Search: words are ANDed; OR, NOT, ( ); "phrases"; exosom*; tags [ti] [ab] [tiab] [au] [ta] [dp] '
    "[pmid] [mh] [doi], e.g. Smith J[au], 2018:2020[dp]; filters starred, included, excluded, tag:NAME, "
    "is:stub. Start with pubmed: to search PubMed online (the hits are stored in the library)."
)

# The Snowball view's keys (``tui.screens.snowball``): its bindings, its key line (two lines, so that at
# 80 columns every key of a round — N F d L — stays on screen), its help and its palette commands.
SNOWBALL_KEYS: tuple[Key, ...] = (
    Key(
        "i",
        "screen('included')",
        "Incl",
        "Include the highlighted candidate, then on to the next to screen",
        rank=1,
    ),
    Key(
        "x",
        "screen('excluded')",
        "Excl",
        "Exclude the highlighted candidate, saying why, then on to the next to screen",
        rank=1,
    ),
    Key("u", "screen('undecided')", "Undecide", "Take the highlighted candidate's decision back", rank=2),
    Key(
        "r",
        "screen('not-retrieved')",
        "Not retr",
        "Full text: the report was sought and could not be obtained",
        rank=3,
    ),
    Key(
        "t",
        "stage",
        "Stage",
        "Switch the stage: title/abstract (a round's records) or full text (the reports sought)",
        rank=2,
    ),
    Key("enter", "open", "Open", "Open the highlighted candidate in the main view", shown="enter", rank=3),
    Key("N", "next_round", "Next round", "Run the next round from the included articles (kept)", rank=2),
    Key("d", "cycle_direction", "Dir", "Choose the next round's direction: back, forward, both", rank=2),
    Key(
        "L",
        "online_round",
        "Links",
        "Run the next round with the seeds' links fetched from iCite (online)",
        rank=2,
    ),
    Key("F", "fetch_stubs", "Fetch", "Fetch the records of the candidates that are stubs (online)", rank=2),
    Key("K", "keep", "Keep", "Keep the preview as a round (a preview counts nowhere until kept)", rank=3),
    Key("P", "flow", "Flow", "The review's PRISMA 2020 flow diagram", rank=2),
    Key(
        "b",
        "blind",
        "Blind",
        "Blind (your own decisions) or not (the review's decisions and its conflicts)",
        rank=4,
    ),
    Key(
        "c",
        "conflicts",
        "Conflicts",
        "List only the conflicts between screeners (the review's decisions shown), or every row again",
        rank=4,
    ),
    Key("a", "list_all", "All", "List every candidate, or only those still to screen", rank=5),
    Key(
        "left_square_bracket", "round(-1)", "Prev round", "Show the round before this one", shown="[", rank=6
    ),
    Key(
        "right_square_bracket", "round(1)", "Later round", "Show the round after this one", shown="]", rank=6
    ),
    Key("question_mark", "help", "Help", "Show the keys of the Snowball view", rank=0),
    Key("escape,q", "close", "Close", "Close the Snowball view", shown="escape / q", rank=0),
)

SNOWBALL_OTHER: tuple[tuple[str, str], ...] = (
    ("↑ ↓ j k", "Move; page up / page down, home / end"),
    ("ctrl+r", "Take in what other processes changed now (the app also looks every second)"),
    ("ctrl+p", "Command palette: every action of this view by name"),
)

SNOWBALL_HELP = (
    "i x u r decide the highlighted row, with the screener and stage in the title; the cursor then moves "
    "on to the next row still to screen (nothing left below: it stays). Pressing a decision a row has "
    "already changes nothing and says so; another decision replaces it and says what it was. Listed: "
    "the rows still to screen when the list was loaded (a decides the list shows all); rows screened "
    "before are counted above, not listed. Unblind (b), ! marks a conflict between screeners (c lists "
    "only them), and a decision on it resolves it."
)
