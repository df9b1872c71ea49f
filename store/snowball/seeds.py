"""Choosing the seeds of a round: ``included``, ``starred``, ``tag:T``, a query, or identifiers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from store.ids import Identifier, parse_identifier
from store.library import Library
from store.marks import Marks
from store.selection import SelectionError, by_ids, by_marks, by_query


@dataclass(slots=True)
class IdSeeds:
    """Identifiers given as seeds: those the library holds (document ids, in order) and those it does not."""

    found: list[int] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def by_selection(library: Library, marks: Marks, selection: str) -> list[int]:
    """The seeds a ``--from`` names: ``included``, ``starred``, ``tag:NAME``, else a query.

    ``included`` is **the review's included set, whoever runs the round**: the articles whose outcome
    is included (agreement of the screeners, or a resolution; ``store.snowball.screening``), never one
    blind screener's own decisions — so the same round has the same seeds for every screener, and an
    article one screener alone included in a two-screener review is not a seed until the second
    agrees or someone resolves it."""
    text = selection.strip()
    if not text:
        raise SelectionError("the selection is empty: say included, starred, tag:NAME or a query")
    if text == "included":
        return by_marks(library, marks, screening="included", review=True)
    if text == "starred":
        return by_marks(library, marks, starred=True)
    if text.startswith("tag:") and len(text) > 4 and " " not in text:
        return by_marks(library, marks, tag=text[4:])
    return by_query(library, text, marks)


def by_identifiers(library: Library, idents: Sequence[str]) -> IdSeeds:
    """Identifiers (any mix of PMIDs, PMCIDs, DOIs) as seeds; what is not one is a ``SelectionError``."""
    seeds = IdSeeds()
    seeds.found = by_ids(library, idents, missing=seeds.missing)
    return seeds


def describe_missing(missing: Sequence[str], library: Library) -> str:
    shown = ", ".join(str(_show(m)) for m in missing[:5]) + (", ..." if len(missing) > 5 else "")
    return f"not in the library: {shown} (in {library.path}; --online fetches them)"


def _show(text: str) -> Identifier | str:
    return parse_identifier(text) or text
