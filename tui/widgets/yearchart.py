"""Bar charts of counts per year, drawn with block characters (no colour needed, any width).

``YearBars`` is a Rich renderable: vertical bars, one a year (or a span of years when there are more
years than columns), eighth blocks for the tops, the largest count on the axis and years under it.
``YearChart`` is a Static that shows the charts of ``store.neighbourhood.years``: an article's citing
articles and references per year, or a result set's publications per year.

An article's citing articles per year are the library's own, or iCite's when iCite knows more of them
(``CitationYears.per_year``); the chart says whose they are: ``Cited by, per year (iCite)`` and ``17 by
iCite, 5 here``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from store.neighbourhood.years import CitationYears, YearCounts

EIGHTHS = " ▁▂▃▄▅▆▇█"


class YearBars:
    """Vertical bars of ``counts`` (year, count), ``height`` rows tall, as wide as they are given."""

    def __init__(self, title: str | Text, counts: Sequence[tuple[int, int]], height: int = 4) -> None:
        self.title = title if isinstance(title, Text) else Text(title)
        self.counts = list(counts)
        self.height = max(1, height)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(20, options.max_width)

    def buckets(self, columns: int) -> list[tuple[int, int, int]]:
        """(first year, last year, count) per bar, years merged evenly so the bars fit ``columns``."""
        if not self.counts:
            return []
        per = max(1, math.ceil(len(self.counts) / max(1, columns)))
        out = []
        for k in range(0, len(self.counts), per):
            chunk = self.counts[k : k + per]
            out.append((chunk[0][0], chunk[-1][0], sum(n for _, n in chunk)))
        return out

    def lines(self, width: int) -> list[Text]:
        """The chart as lines of at most ``width`` cells."""
        lines = [self.title.copy()]
        lines[0].truncate(width, overflow="ellipsis")
        if not self.counts:
            lines.append(Text("  (none)", style="dim"))
            return lines
        top = max(n for _, n in self.counts)
        axis = max(len(str(top)), 1) + 1  # "12 " then the bars
        room = max(1, width - axis - 1)
        bars = self.buckets(room)
        cell = max(1, min(3, room // len(bars)))
        bar = cell - 1 if cell > 1 else 1
        peak = max(n for _, _, n in bars) or 1
        for r in range(self.height):
            label = str(peak) if r == 0 else ""
            line = Text(label.rjust(axis - 1) + " │", style="dim")
            for _, _, n in bars:
                eighths = round(n / peak * self.height * 8)
                if n and not eighths:
                    eighths = 1  # any count shows
                level = max(0, min(8, eighths - (self.height - 1 - r) * 8))
                line.append(EIGHTHS[level] * bar + " " * (cell - bar))
            lines.append(line)
        lines.append(Text(" " * (axis - 1) + " └" + "─" * (cell * len(bars)), style="dim"))
        # Years under the bars, where they fit without touching.
        labels = [" "] * (cell * len(bars) + 5)
        free = 0
        for k, (first, _last, _) in enumerate(bars):
            x = k * cell
            year = str(first)
            if x >= free and x + len(year) <= len(labels):
                labels[x : x + len(year)] = year
                free = x + len(year) + 2
        lines.append(Text(" " * (axis + 1) + "".join(labels).rstrip(), style="dim"))
        for line in lines:
            line.truncate(width)
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.lines(options.max_width)


def _by_icite(years: CitationYears) -> bool:
    """Whether the citing articles per year drawn are iCite's (it knows more than the library holds)."""
    return years.per_year_source == "icite"


def citation_chart(years: CitationYears, height: int = 4, references: bool = True) -> RenderableType:
    """The citing articles per year (with the source's total when it is known) above the references
    per year (``references`` False: the citing articles alone, for a compact header). The bars are
    iCite's counts when iCite knows more citing articles than the library holds, and the title says so."""
    citing = years.per_year
    if _by_icite(years):
        title = Text("Cited by, per year (iCite): ", style="bold")
        title.append(f"{citing.total} by iCite, {years.citing.total} in the library")
    else:
        title = Text("Cited by, per year: ", style="bold")
        title.append(f"{years.citing.total} in the library")
        if years.reported is not None:
            title.append(f", {years.reported} reported by the source")
        if years.citing.undated:
            title.append(f" ({years.citing.undated} undated)")
    refs = Text("References, per year: ", style="bold")
    refs.append(f"{years.references.total}")
    if years.references.undated:
        refs.append(f" ({years.references.undated} undated)")
    if not references:
        return YearBars(title, citing.series(), height)
    return Group(
        YearBars(title, citing.series(), height),
        Text(""),
        YearBars(refs, years.references.series(), height),
    )


class Sparkline:
    """One line: ``Cited by, per year  2016 ▁█▅ █ 2020  4 here, 189 reported`` (a bar a year, or a span
    of years when the line is short), for a header where a chart of several lines has no room.
    ``short`` is the label where the line is narrow (default: its first 8 letters)."""

    def __init__(
        self, label: str, counts: Sequence[tuple[int, int]], note: str = "", short: str = ""
    ) -> None:
        self.label = label
        self.counts = list(counts)
        self.note = note
        self.short = short or label[:8].rstrip()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(20, options.max_width)

    def line(self, width: int) -> Text:
        label = self.label
        if self.counts and width - len(label) - 12 < 8:
            label = self.short
        text = Text(label, style="bold")
        # (Spaces go outside the dim parts: Textual drops a space that starts a dim span.)
        if not self.counts:
            text.append("  ")
            text.append("none" + (f" · {self.note}" if self.note else ""), style="dim")
            text.truncate(width, overflow="ellipsis")
            return text
        first, last = str(self.counts[0][0]), str(self.counts[-1][0])
        note = f"  {self.note}" if self.note else ""
        room = width - len(label) - len(first) - len(last) - len(note) - 4
        if room < 4:  # no room for the note: bars first
            note = ""
            room = width - len(label) - len(first) - len(last) - 4
        bars = YearBars("", self.counts, 1).buckets(max(1, room))
        peak = max(n for *_, n in bars) or 1
        cells = "".join(EIGHTHS[max(1, round(n / peak * 8))] if n else " " for *_, n in bars)
        text.append("  ")
        text.append(first, style="dim")
        text.append(" " + cells)
        if last != first:  # (one year: its label once)
            text.append(" ")
            text.append(last, style="dim")
        if note:
            text.append("  ")
            text.append(note.lstrip(), style="dim")
        text.truncate(width, overflow="ellipsis")
        return text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.line(options.max_width)


def citation_sparkline(years: CitationYears) -> Sparkline:
    """The citing articles per year on one line, with how many the library holds and the source's total;
    iCite's counts when iCite knows more citing articles than the library holds, labelled so
    (``Cited by, per year (iCite)  2016 ▁█▅ 2020  17 by iCite, 5 here``)."""
    if _by_icite(years):
        note = f"{years.per_year.total} by iCite, {years.citing.total} here"
        return Sparkline("Cited by, per year (iCite)", years.per_year.series(), note, short="Cited/yr iCite")
    note = f"{years.citing.total} here"
    if years.reported is not None and years.reported != years.citing.total:
        note += f", {years.reported} reported"
    return Sparkline("Cited by, per year", years.citing.series(), note, short="Cited/yr")


def publications_sparkline(counts: YearCounts) -> Sparkline:
    """A result set's publications per year on one line (e.g. for the result list's border:
    ``results.border_subtitle = publications_sparkline(counts).line(width)``)."""
    note = f"{counts.total}" + (f", {counts.undated} undated" if counts.undated else "")
    return Sparkline("Per year", counts.series(), note)


def publications_chart(counts: YearCounts, height: int = 3) -> RenderableType:
    """A result set's publications per year."""
    title = Text("Publications per year: ", style="bold")
    title.append(f"{counts.total}")
    if counts.undated:
        title.append(f" ({counts.undated} undated)")
    return YearBars(title, counts.series(), height)


class YearChart(Static):
    """A Static showing a chart of counts per year; give it data with ``show_citations`` or
    ``show_publications`` (nothing is read from the library here)."""

    DEFAULT_CSS = """
    YearChart { height: auto; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self._one_line = False  # (a sparkline shown: one line at any width)

    def show_citations(self, years: CitationYears | None, height: int = 4, references: bool = True) -> None:
        self._one_line = False
        self.update(citation_chart(years, height, references) if years is not None else "")

    def show_publications(self, counts: YearCounts, height: int = 3) -> None:
        self._one_line = False
        self.update(publications_chart(counts, height))

    def show_sparkline(self, years: CitationYears | None) -> None:
        """The citing articles per year on one line (for the article's header). A sparkline in place of
        another is of its height: shown without the layout of the whole screen ``update`` asks for
        (~3,200 Python calls at each article opened, after its pane is painted, measured 2026-12-07)."""
        line = citation_sparkline(years) if years is not None else None
        steady, self._one_line = self._one_line and line is not None, line is not None
        self.update(line if line is not None else "", layout=not steady)
