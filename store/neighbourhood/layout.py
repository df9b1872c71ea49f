"""The citation map: an article's two-hop neighbourhood laid out in columns and year bands.

Columns, left to right: the references of its references, its references, the article, its citing
articles, the articles citing those. Rows are bands of years, oldest at the top, shared by all
columns, so reading down any column goes forward in time and an article sits level with its
contemporaries in the other columns; undated articles come last. Within a year and a column, the most
connected article comes first.

"Connected" counts the map's edges at a node. The edges are those the map reads: every link of the
article and of its direct neighbours (so also links between two references, or from a citing article
to a reference). Links between two articles two hops away are not read (that would be one read per
article of the second hop's neighbours) and are not drawn. When a column would hold more than
``per_column`` articles, the most connected are kept (ties: the newer, then the lower id); the first
hop is trimmed before the second is gathered, so every article kept is linked to one that is shown.

Reads: the article, each direct neighbour, and each article kept in the outer columns (for its year
and title); see ``GraphReader``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from store.neighbourhood.nodes import GraphReader, Node, Totals

COLUMNS = (-2, -1, 0, 1, 2)
COLUMN_TITLES = {
    -2: "References of references",
    -1: "References",
    0: "This article",
    1: "Citing articles",
    2: "Citing the citing",
}
COLUMN_SHORT = {-2: "Refs of refs", -1: "Refs", 0: "Article", 1: "Citing", 2: "Citing those"}
PER_COLUMN = 150


@dataclass(frozen=True, slots=True)
class MapNode:
    node: Node
    column: int
    row: int
    weight: int  # edges of the map at this node

    @property
    def doc_id(self) -> int:
        return self.node.doc_id


@dataclass(frozen=True, slots=True)
class YearBand:
    year: int | None
    start: int
    height: int


@dataclass
class MapLayout:
    """Where each article of the neighbourhood goes: ``column`` in COLUMNS, ``row`` from 0 down."""

    centre: int
    nodes: dict[int, MapNode]
    columns: dict[int, list[int]]  # doc ids of each column, by row
    edges: set[tuple[int, int]]  # (citing, cited), both ends in the map
    bands: list[YearBand]
    height: int
    dropped: dict[int, int] = field(default_factory=dict)  # articles left out of each column
    _adjacent: dict[int, set[int]] = field(default_factory=dict, repr=False)
    _cells: dict[tuple[int, int], int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for citing, cited in self.edges:
            self._adjacent.setdefault(citing, set()).add(cited)
            self._adjacent.setdefault(cited, set()).add(citing)
        self._cells = {(n.column, n.row): n.doc_id for n in self.nodes.values()}

    def __len__(self) -> int:
        return len(self.nodes)

    def neighbours(self, doc_id: int) -> set[int]:
        """The articles the map links to ``doc_id`` (either way)."""
        return self._adjacent.get(doc_id, set())

    def at(self, column: int, row: int) -> int | None:
        """The article drawn in this cell, if any."""
        return self._cells.get((column, row))

    def band_at(self, row: int) -> YearBand | None:
        for band in self.bands:
            if band.start <= row < band.start + band.height:
                return band
        return None

    def step(self, doc_id: int, d_column: int, d_row: int) -> int:
        """The article to move to from ``doc_id``: the next one up or down its column (``d_row`` ±1),
        or the one nearest its row in the next non-empty column left or right (``d_column`` ±1)."""
        here = self.nodes[doc_id]
        if d_row:
            ids = self.columns[here.column]
            index = ids.index(doc_id) + d_row
            return ids[index] if 0 <= index < len(ids) else doc_id
        column = here.column + d_column
        while column in self.columns:
            ids = self.columns[column]
            if ids:
                return min(ids, key=lambda i: (abs(self.nodes[i].row - here.row), self.nodes[i].row))
            column += d_column
        return doc_id

    def to_json(self) -> dict[str, object]:
        return {
            "centre": self.centre,
            "nodes": [
                {
                    "id": n.doc_id,
                    "pmid": n.node.pmid,
                    "pmcid": n.node.pmcid,
                    "doi": n.node.doi,
                    "title": n.node.title,
                    "year": n.node.year,
                    "stub": n.node.stub,
                    "column": n.column,
                    "row": n.row,
                    "weight": n.weight,
                }
                for n in self.nodes.values()
            ],
            "edges": sorted(self.edges),
            "dropped": self.dropped,
        }


def _rank_key(node: Node | None, weight: int, doc_id: int) -> tuple[int, int, int]:
    year = node.year if node is not None and node.year is not None else -1
    return (-weight, -year, doc_id)


def layout_map(reader: GraphReader, doc_id: int, per_column: int = PER_COLUMN) -> MapLayout | None:
    """The map around ``doc_id`` (None when the library has no such document)."""
    reader.fresh()
    centre = reader.node(doc_id)
    if centre is None:
        return None
    side: dict[int, int] = {doc_id: 0}
    for i in centre.references:
        side.setdefault(i, -1)
    for i in centre.cited_by:
        side.setdefault(i, 1)  # (a reference that also cites it, a loop in the data, stays a reference)
    first = [i for i in side if i != doc_id]
    nodes: dict[int, Node] = {doc_id: centre}
    for i in first:
        node = reader.node(i)
        if node is None:
            del side[i]
        else:
            nodes[i] = node

    def outward(ids: Iterable[int]) -> tuple[Counter[int], Counter[int]]:
        """Second-hop candidates: (left, right), each with how many of ``ids`` link to it."""
        left: Counter[int] = Counter()
        right: Counter[int] = Counter()
        for i in ids:
            if side[i] == -1:
                left.update(j for j in nodes[i].references if j not in side)
            else:
                right.update(j for j in nodes[i].cited_by if j not in side)
        return left, right

    # Trim the first hop by its edges in the whole two-hop neighbourhood.
    hop1 = [i for i in side if i != doc_id]
    left, right = outward(hop1)
    around = set(side) | set(left) | set(right)
    weight1 = {i: sum(j in around for j in (*nodes[i].references, *nodes[i].cited_by)) for i in hop1}
    dropped: dict[int, int] = {}
    trimmed: list[int] = []
    for column in (-1, 1):
        ids = sorted((i for i in hop1 if side[i] == column), key=lambda i: _rank_key(nodes[i], weight1[i], i))
        if len(ids) > per_column:
            dropped[column] = len(ids) - per_column
            trimmed.extend(ids[per_column:])
    for i in trimmed:
        del side[i]
    hop1 = [i for i in side if i != doc_id]
    # The second hop, through the first hop that is kept.
    left, right = outward(hop1)
    for j in set(left) & set(right):  # reached both ways: the side it has more links to
        if left[j] >= right[j]:
            del right[j]
        else:
            del left[j]
    for column, counts in ((-2, left), (2, right)):
        ranked = sorted(counts, key=lambda j: (-counts[j], j))
        if len(ranked) > per_column:
            # The cut by links alone; ties at the cut go to the newer article (one read each).
            cut = counts[ranked[per_column - 1]]
            sure = [j for j in ranked if counts[j] > cut]
            tied = [j for j in ranked if counts[j] == cut]
            years = reader.totals_many(tied)  # (the years alone: no whole document read)

            def newer_first(j: int, years: dict[int, Totals] = years) -> tuple[int, int]:
                found = years.get(j)
                return (-(found.year or -1) if found is not None else 1, j)

            tied.sort(key=newer_first)
            kept = sure + tied[: per_column - len(sure)]
            dropped[column] = len(ranked) - len(kept)
        else:
            kept = ranked
        for j in kept:
            node = reader.node(j)
            if node is not None:
                side[j] = column
                nodes[j] = node
    # The edges the map knows: every link of the article and of its first hop, both ends shown.
    edges: set[tuple[int, int]] = set()
    for i in (doc_id, *hop1):
        node = nodes[i]
        edges.update((i, j) for j in node.references if j in side and j != i)
        edges.update((j, i) for j in node.cited_by if j in side and j != i)
    weight: Counter[int] = Counter()
    for a, b in edges:
        weight[a] += 1
        weight[b] += 1
    return _place(doc_id, side, nodes, edges, weight, dropped)


def _place(
    centre: int,
    side: dict[int, int],
    nodes: dict[int, Node],
    edges: set[tuple[int, int]],
    weight: Counter[int],
    dropped: dict[int, int],
) -> MapLayout:
    """Rows by year bands shared by all columns; in a band, the most connected first."""
    groups: dict[tuple[int, int | None], list[int]] = {}
    for i, column in side.items():
        groups.setdefault((column, nodes[i].year), []).append(i)
    years = sorted({year for _, year in groups if year is not None})
    bands: list[YearBand] = []
    placed: dict[int, MapNode] = {}
    columns: dict[int, list[int]] = {c: [] for c in COLUMNS}
    row = 0
    for year in (*years, None):
        height = max((len(groups.get((c, year), ())) for c in COLUMNS), default=0)
        if not height:
            continue
        bands.append(YearBand(year, row, height))
        for column in COLUMNS:
            ids = sorted(groups.get((column, year), ()), key=lambda i: (-weight[i], i))
            for k, i in enumerate(ids):
                placed[i] = MapNode(nodes[i], column, row + k, weight[i])
                columns[column].append(i)
        row += height
    return MapLayout(centre, placed, columns, edges, bands, row, dropped)


# Drawing --------------------------------------------------------------------------------------------

# Box-drawing junctions by (up, down, left, right).
_JUNCTION = {
    (True, True, True, True): "┼",
    (True, True, True, False): "┤",
    (True, True, False, True): "├",
    (True, True, False, False): "│",
    (True, False, True, True): "┴",
    (True, False, True, False): "┘",
    (True, False, False, True): "└",
    (True, False, False, False): "│",
    (False, True, True, True): "┬",
    (False, True, True, False): "┐",
    (False, True, False, True): "┌",
    (False, True, False, False): "│",
    (False, False, True, True): "─",
    (False, False, True, False): "─",
    (False, False, False, True): "─",
    (False, False, False, False): " ",
}

YEAR_WIDTH = 5  # "2019 "
GUTTER = 3

# What each piece of a drawn line is, for the renderer to style: plain strings, no Rich here.
Segment = tuple[str, str]


def cell_text(node: Node, width: int) -> str:
    """``● Smith Exosomes from…`` cut to ``width`` cells (● a full record, ○ a stub)."""
    mark = "○ " if node.stub else "● "
    who = node.first_author
    text = f"{mark}{who + ' ' if who else ''}{' '.join(node.title.split()) or node.label}"
    text = "".join(ch if ch.isprintable() else "�" for ch in text)
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


class MapGrid:
    """The map as lines of text, one row of the layout per line, drawn on demand (a view shows only
    the lines on screen, so a map of thousands of rows scrolls at once).

    Each line is a list of ``(text, kind)`` segments; kinds: ``year``, ``centre``, ``focus``,
    ``linked`` (an article linked to the focus), ``trail`` (visited), ``stub``, ``node``, ``edge``
    and ``space``. The edges of the focused article to the columns beside it are drawn in the gutters
    with box-drawing characters; articles it links to further away are marked ``linked``.
    """

    def __init__(self, layout: MapLayout, column_width: int = 24) -> None:
        self.layout = layout
        self.column_width = max(4, column_width)
        self._focus: int | None = None
        self._gutters: dict[int, tuple[set[int], set[int], int, int]] = {}
        self.focus = layout.centre

    @property
    def width(self) -> int:
        return YEAR_WIDTH + len(COLUMNS) * self.column_width + (len(COLUMNS) - 1) * GUTTER

    @property
    def focus(self) -> int:
        assert self._focus is not None
        return self._focus

    @focus.setter
    def focus(self, doc_id: int) -> None:
        if doc_id == self._focus or doc_id not in self.layout.nodes:
            return
        self._focus = doc_id
        layout = self.layout
        here = layout.nodes[doc_id]
        self._gutters = {}
        by_column: dict[int, set[int]] = {}
        for other in layout.neighbours(doc_id):
            node = layout.nodes[other]
            by_column.setdefault(node.column, set()).add(node.row)
        # Gutter g lies between COLUMNS[g] and COLUMNS[g + 1].
        for g in range(len(COLUMNS) - 1):
            left_column, right_column = COLUMNS[g], COLUMNS[g + 1]
            if here.column == left_column and right_column in by_column:
                left, right = {here.row}, by_column[right_column]
            elif here.column == right_column and left_column in by_column:
                left, right = by_column[left_column], {here.row}
            else:
                continue
            rows = left | right
            self._gutters[g] = (left, right, min(rows), max(rows))

    def x_of(self, column: int) -> int:
        """Where a column starts on a line."""
        return YEAR_WIDTH + COLUMNS.index(column) * (self.column_width + GUTTER)

    def header(self) -> list[Segment]:
        parts: list[Segment] = [(" " * YEAR_WIDTH, "space")]
        for k, column in enumerate(COLUMNS):
            count = len(self.layout.columns[column])
            more = self.layout.dropped.get(column, 0)
            number = f" ({count}{f'+{more}' if more else ''})" if column else ""
            label = COLUMN_TITLES[column] + number
            if len(label) > self.column_width:
                label = COLUMN_SHORT[column] + number
            if len(label) > self.column_width:
                label = COLUMN_SHORT[column]
            parts.append((label[: self.column_width].ljust(self.column_width), "header"))
            if k < len(COLUMNS) - 1:
                parts.append((" " * GUTTER, "space"))
        return parts

    def line(self, row: int, trail: Collection[int] = ()) -> list[Segment]:
        """Line ``row`` of the map (0 to ``layout.height - 1``)."""
        layout = self.layout
        band = layout.band_at(row)
        year = ""
        if band is not None and band.start == row:
            year = "n.d." if band.year is None else str(band.year)
        parts: list[Segment] = [(year.ljust(YEAR_WIDTH)[:YEAR_WIDTH], "year")]
        linked = layout.neighbours(self.focus)
        for k, column in enumerate(COLUMNS):
            doc_id = layout.at(column, row)
            if doc_id is None:
                parts.append((" " * self.column_width, "space"))
            else:
                node = layout.nodes[doc_id].node
                text = cell_text(node, self.column_width).ljust(self.column_width)
                if doc_id == self.focus:
                    kind = "focus"
                elif doc_id == layout.centre:
                    kind = "centre"
                elif doc_id in linked:
                    kind = "linked"
                elif doc_id in trail:
                    kind = "trail"
                else:
                    kind = "stub" if node.stub else "node"
                parts.append((text, kind))
            if k < len(COLUMNS) - 1:
                parts.append((self._gutter(k, row), "edge"))
        return parts

    def _gutter(self, g: int, row: int) -> str:
        found = self._gutters.get(g)
        if found is None:
            return " " * GUTTER
        left, right, lo, hi = found
        if not lo <= row <= hi:
            return " " * GUTTER
        on_left, on_right = row in left, row in right
        middle = _JUNCTION[(row > lo, row < hi, on_left, on_right)]
        return ("─" if on_left else " ") + middle + ("─" if on_right else " ")

    def text(self, trail: Collection[int] = ()) -> str:
        """The whole map as plain text (the header, then every line)."""
        lines = ["".join(t for t, _ in self.header()).rstrip()]
        lines.extend("".join(t for t, _ in self.line(r, trail)).rstrip() for r in range(self.layout.height))
        return "\n".join(lines) + "\n"


def to_text(layout: MapLayout, column_width: int = 24) -> str:
    """The map as text, focused on its article (its edges drawn), for ``pmbrowse map --format txt``."""
    return MapGrid(layout, column_width).text()


def to_dot(layout: MapLayout, name: str = "map") -> str:
    """The map as Graphviz DOT: columns as ranks left to right, arrows from the citing article."""
    from store.export.graph import dot_string, short_title

    out = [
        f"digraph {dot_string(name)} {{",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded", fontsize=10];',
    ]
    for column in COLUMNS:
        ids = layout.columns[column]
        if not ids:
            continue
        out.append("  { rank=same;")
        for i in ids:
            node = layout.nodes[i].node
            head = " ".join(p for p in (node.first_author, str(node.year or "")) if p) or node.label
            # The identifier is a line of its own, so the drawing says which article each box is.
            ident = chr(10) + node.label if node.pmid or node.pmcid or node.doi else ""
            text = head + chr(10) + short_title(node.title or node.label) + ident
            attributes = [f"label={dot_string(text)}"]
            if i == layout.centre:
                attributes.append('style="rounded,bold"')
            elif node.stub:
                attributes.append('style="rounded,dashed"')
            out.append(f"    n{i} [{', '.join(attributes)}];")
        out.append("  }")
    for citing, cited in sorted(layout.edges):
        a, b = layout.nodes[citing].column, layout.nodes[cited].column
        if a > b:  # the usual way: drawn from the cited (left) to the citing (right), arrow at the cited
            out.append(f"  n{cited} -> n{citing} [dir=back];")
        else:  # within a column, or against time: no constraint on the ranks
            out.append(f"  n{citing} -> n{cited} [constraint=false];")
    out.append("}")
    return "\n".join(out) + "\n"
