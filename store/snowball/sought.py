"""The reports sought for retrieval: what the full-text stage of a review screens (the Snowball view's
full-text stage lists them).

They are the flow's (``store.snowball.flow``): the records of both arms — every distinct article of the
database searches, then the new records of the kept rounds that no search found — whose title/abstract
outcome is *included* (the review's: agreement or a resolution; ``store.snowball.screening.Screened``,
so an article with a full-text outcome was sought too). Each comes with where it was found, so a
full-text screener sees it; the order is the flow's (the searches in file order, then the rounds as
they ranked their candidates).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from store.library import Library
from store.merge import doc_keys
from store.snowball.engine import label_of
from store.snowball.flow import database_entries
from store.snowball.screening import INCLUDED, Decision, Screened, Stage
from store.snowball.state import Candidate, SnowballState


@dataclass(frozen=True, slots=True)
class Sought:
    """A report sought: its candidate record (a database record is one of round 0, with no seeds), the
    library's document (None: not in the library now), and how it was found (``search PubMed
    2026-12-01``, ``round 2``)."""

    candidate: Candidate
    doc_id: int | None
    found: str


def reports_sought(
    library: Library,
    state: SnowballState,
    screenings: Iterable[tuple[Sequence[str], Sequence[Decision]]],
    paired: Collection[Stage] = (),
) -> list[Sought]:
    """Every report the review seeks now, in the flow's order (see the module's docstring);
    ``screenings``: every article's decision records (``Marks.screenings``, read beforehand, so that
    this can run in a thread while the marks change); ``paired``: the two-screener stages
    (``Marks.paired``), where one screener's inclusion alone awaits the second and is sought by no one
    yet, as the flow counts it."""
    outcomes: dict[str, Screened] = {}
    for keys, records in screenings:
        screened = Screened.of(records, paired)
        for key in keys:
            outcomes.setdefault(key, screened)

    def sought(keys: tuple[str, ...]) -> bool:
        screened = next((outcomes[k] for k in keys if k in outcomes), None)
        return screened is not None and screened.title_abstract.decision == INCLUDED

    found: list[Sought] = []
    searched: dict[int | str, str] = {}
    for search in state.searches:
        for keys in search.entries:
            if not keys:
                continue
            doc_id = library.find_keys(keys)
            searched.setdefault(doc_id if doc_id is not None else keys[0], search.name)
    for identity, keys in database_entries(library, state.searches).items():
        if sought(keys):
            doc_id = identity if isinstance(identity, int) else None
            doc = library.doc(doc_id) if doc_id is not None else None
            wider = tuple(doc_keys(doc)) if doc is not None else keys
            label = label_of(doc) if doc is not None else keys[0].partition(":")[2]
            found.append(Sought(Candidate(wider, label), doc_id, f"search {searched[identity]}"))
    counted: set[int | str] = set(searched)
    for stored in state.rounds:
        for candidate in stored.new:
            if not candidate.keys:
                continue
            doc_id = library.find_keys(candidate.keys)
            met: int | str = doc_id if doc_id is not None else candidate.keys[0]
            if met in counted:
                continue
            counted.add(met)
            if sought(candidate.keys):
                found.append(Sought(candidate, doc_id, f"round {stored.number}"))
    return found


__all__ = ["Sought", "reports_sought"]
