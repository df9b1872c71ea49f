"""The PRISMA 2020 flow diagram drawn: as text for a terminal (``flow_text``) and as SVG (``flow_svg``).

Both draw the same boxes from ``store.snowball.flow.Flow``: for each arm (databases and registers;
other methods: citation searching) a column of boxes down the stages — records identified, records
screened, reports sought for retrieval, reports assessed for eligibility — each with the box beside it
of what left the flow there (duplicates removed, records excluded, reports not retrieved, reports
excluded with their reasons), then the studies included. Unlike the official figure, the
other-methods arm has its records screened box too (pmbrowse screens citation searching's records by
title and abstract like any others). What is not final yet (records awaiting screening, conflicts,
reports awaiting full text) is said under the diagram, never folded into a box.

The text diagram needs no colour and fits the width it is given (60 columns at least): boxes of
``(width - 5) // 2`` cells (at most 38), texts wrapped inside them. Search names and reasons are the
reviewer's text: in SVG they are escaped as XML text, never markup.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape

from store.snowball.flow import Arm, Flow
from store.snowball.screening import one_line

Lines = list[str]


@dataclass(frozen=True, slots=True)
class Row:
    """One stage of an arm: the box on the way down, and the box of what left the flow there."""

    main: Lines
    side: Lines


def _reasons(reasons: dict[str, int]) -> Lines:
    ordered = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    return [f"  {one_line(why)} (n = {n})" for why, n in ordered]


def _later_stages(arm: Arm) -> list[Row]:
    return [
        Row([f"Records screened (n = {arm.screened})"], [f"Records excluded (n = {arm.excluded_total})"]),
        Row(
            [f"Reports sought for retrieval (n = {arm.sought})"],
            [f"Reports not retrieved (n = {arm.not_retrieved})"],
        ),
        Row(
            [f"Reports assessed for eligibility (n = {arm.assessed})"],
            [f"Reports excluded (n = {arm.reports_excluded_total})", *_reasons(arm.reports_excluded)],
        ),
    ]


def arms(done: Flow) -> list[tuple[str, list[Row]]]:
    """Each arm's title and rows of boxes."""
    databases = [f"Records identified from databases (n = {done.database_results})"]
    databases += [f"  {one_line(name)} (n = {n})" for name, n in done.searches]
    removed = ["Records removed before screening:", f"  Duplicate records (n = {done.duplicates})"]
    links = sum(r.round.identified for r in done.rounds)
    citations = [f"Records identified from citation searching (n = {done.citations_results})"]
    not_records = [
        f"Links followed from the seeds (n = {links}), in {len(done.rounds)} "
        f"round{'s' if len(done.rounds) != 1 else ''}",
        f"  naming no new record (n = {links - done.citations_results}): duplicates, articles "
        "screened or found before",
    ]
    database_rows = [Row(databases, removed), *_later_stages(done.databases)]
    citation_rows = [Row(citations, not_records), *_later_stages(done.citations)]
    return [
        ("Identification of new studies via databases and registers", database_rows),
        ("Identification of new studies via other methods", citation_rows),
    ]


def _n(n: int, singular: str, plural: str | None = None) -> str:
    """``1 record``, ``2 records``."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def _pending(conflicts: int, second: int) -> str:
    """``, 1 of them a conflict between screeners, 2 awaiting the second screener``."""
    parts = []
    if conflicts:
        parts.append(
            f"{conflicts} of them {'a conflict' if conflicts == 1 else 'conflicts'} between screeners"
        )
    if second:
        parts.append(f"{second} {'of them ' if not parts else ''}awaiting the second screener")
    return "".join(", " + part for part in parts)


def notes(done: Flow) -> Lines:
    """What is not final, and what the diagram leaves out, in sentences."""
    said: Lines = []
    for name, arm in (("databases", done.databases), ("citation searching", done.citations)):
        if arm.awaiting:
            pending = _pending(arm.conflicts, arm.awaiting_second)
            said.append(f"{name}: {_n(arm.awaiting, 'record')} awaiting title/abstract screening{pending}")
        if arm.awaiting_full_text:
            pending = _pending(arm.full_text_conflicts, arm.full_text_awaiting_second)
            said.append(
                f"{name}: {_n(arm.awaiting_full_text, 'report')} awaiting full-text assessment{pending}"
            )
    if seed_links := done.links_between_seeds:
        said.append(
            "1 link between seeds was not counted as a record"
            if seed_links == 1
            else f"{seed_links} links between seeds were not counted as records"
        )
    for search in done.pending:
        said.append(
            f"the database search {one_line(search.name)!r} (begun {search.imported}) did not finish "
            f"importing and counts nowhere: import its files again with --source {one_line(search.name)!r} "
            "to record it"
        )
    if done.outside:
        are = "article is" if done.outside == 1 else "articles are"
        said.append(
            f"{done.outside} screened {are} in neither arm (seeds given by hand, articles marked "
            "while browsing) and not counted"
        )
    return said


# Text ----------------------------------------------------------------------------------------------


def _wrap(lines: Lines, inner: int) -> Lines:
    """Lines wrapped to ``inner`` cells, a count ``(n = 12)`` never split."""
    wrapped: Lines = []
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        kept = line.replace("(n = ", "(n\u00a0=\u00a0")
        pieces = textwrap.wrap(kept, inner, subsequent_indent=" " * (indent + 2)) or [""]
        wrapped += [piece.replace("\u00a0", " ") for piece in pieces]
    return wrapped


def _box(lines: Lines, width: int) -> Lines:
    inner = width - 4
    body = _wrap(lines, inner)
    return [
        "┌" + "─" * (width - 2) + "┐",
        *(f"│ {line:<{inner}} │" for line in body),
        "└" + "─" * (width - 2) + "┘",
    ]


def _row(row: Row, width: int, arrow_down: bool) -> Lines:
    main, side = _box(row.main, width), _box(row.side, width)
    height = max(len(main), len(side))
    main += [" " * width] * (height - len(main))
    side += [" " * width] * (height - len(side))
    out: Lines = []
    for n in range(height):
        joint = " ──▶ " if n == 1 else "     "
        out.append((main[n] + joint + side[n]).rstrip())
    if arrow_down:
        middle = width // 2
        bottom = len(_box(row.main, width)) - 1
        out[bottom] = out[bottom][:middle] + "┬" + out[bottom][middle + 1 :]
        for n in range(bottom + 1, height):  # (beside a taller box of what left the flow)
            out[n] = " " * middle + "│" + out[n][middle + 1 :]
        out += [" " * middle + "│", " " * middle + "▼"]
    return out


def flow_text(done: Flow, width: int = 80) -> str:
    """The flow diagram as text ``width`` columns wide (60 at least)."""
    width = max(60, width)
    box = min(38, (width - 5) // 2)
    out: Lines = ["PRISMA 2020 flow diagram", ""]
    for title, rows in arms(done):
        out += [title, "─" * len(title)]
        for n, row in enumerate(rows):
            out += _row(row, box, arrow_down=n < len(rows) - 1)
        out.append("")
    out += ["Included", "────────"]
    out += _box([f"New studies included in review (n = {done.new_studies})"], box)
    said = notes(done)
    if said:
        out.append("")
        out += [line for note in said for line in textwrap.wrap(f"Note: {note}.", width)]
    return "\n".join(out) + "\n"


# SVG -----------------------------------------------------------------------------------------------

BOX_WIDTH = 240
GAP = 40
LINE = 16
PAD = 10
CHARS = 36  # characters a line of a box holds at the font size used
INDENT = 6  # the width of a space at that size, for indented lines


def xml_text(text: str) -> str:
    """Text as XML character data: escaped, and without the characters XML 1.0 cannot hold at all
    (control characters, lone surrogates)."""
    kept = "".join(
        c
        for c in text
        if (c >= " " or c in "\t") and not ("\ud800" <= c <= "\udfff") and c not in "\ufffe\uffff"
    )
    return escape(kept)


def _svg_box(x: int, y: int, lines: Lines, height: int) -> list[str]:
    """A box and its lines; a line's indent (a sub-line: a search, a reason) is an x offset, never
    leading spaces, which SVG renderers collapse."""
    parts = [f'<rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{height}" rx="4" class="box"/>']
    for n, line in enumerate(lines):
        text = line.lstrip(" ")
        left = x + PAD + INDENT * (len(line) - len(text))
        parts.append(f'<text x="{left}" y="{y + PAD + LINE * (n + 1) - 4}">{xml_text(text)}</text>')
    return parts


def flow_svg(done: Flow) -> str:
    """The flow diagram as an SVG document: both arms side by side, boxes and arrows, the numbers in them."""
    columns = [GAP, GAP + BOX_WIDTH + GAP, GAP + 2 * (BOX_WIDTH + GAP), GAP + 3 * (BOX_WIDTH + GAP)]
    parts: list[str] = []
    y = 60
    drawn = arms(done)
    wrapped = [[(_wrap(row.main, CHARS), _wrap(row.side, CHARS)) for row in rows] for _, rows in drawn]
    for arm, (title, _) in enumerate(drawn):
        x = columns[2 * arm]
        parts.append(f'<text x="{x}" y="40" class="title">{xml_text(title)}</text>')
    bottoms: list[int] = []
    for stage in range(max(len(rows) for rows in wrapped)):
        height = max(len(lines) for rows in wrapped for pair in rows[stage : stage + 1] for lines in pair)
        height = height * LINE + 2 * PAD
        for arm, rows in enumerate(wrapped):
            if stage >= len(rows):
                continue
            main, side = rows[stage]
            x = columns[2 * arm]
            parts += _svg_box(x, y, main, height)
            parts += _svg_box(columns[2 * arm + 1], y, side, height)
            middle = y + height // 2
            parts.append(_arrow(x + BOX_WIDTH, middle, columns[2 * arm + 1], middle))
            if stage:
                parts.append(_arrow(x + BOX_WIDTH // 2, y - GAP, x + BOX_WIDTH // 2, y))
        y += height + GAP
        bottoms.append(y)
    included_x = columns[1] + (columns[2] - columns[1]) // 2
    included = [f"New studies included in review (n = {done.new_studies})"]
    parts += _svg_box(included_x, y, _wrap(included, CHARS), 2 * LINE + 2 * PAD)
    for arm in range(len(wrapped)):
        parts.append(_arrow(columns[2 * arm] + BOX_WIDTH // 2, y - GAP, included_x + BOX_WIDTH // 2, y))
    y += 2 * LINE + 2 * PAD + GAP // 2
    for note in notes(done):
        for line in textwrap.wrap(f"Note: {note}.", 130):
            y += LINE
            parts.append(f'<text x="{GAP}" y="{y}" class="note">{xml_text(line)}</text>')
    width = columns[3] + BOX_WIDTH + GAP
    height = y + GAP
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">\n'
        "<title>PRISMA 2020 flow diagram</title>\n"
        '<defs><marker id="arrow" markerWidth="10" markerHeight="8" refX="9" refY="4" '
        'orient="auto"><path d="M0,0 L10,4 L0,8 z"/></marker></defs>\n'
        "<style>.box{fill:#fff;stroke:#000;stroke-width:1}.title{font-weight:bold;font-size:14px}"
        ".note{font-size:11px}line{stroke:#000;stroke-width:1;marker-end:url(#arrow)}</style>\n"
        f'<rect width="{width}" height="{height}" fill="#fff"/>\n'
    )
    return head + "\n".join(parts) + "\n</svg>\n"


def _arrow(x1: int, y1: int, x2: int, y2: int) -> str:
    return f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/>'
