"""Related articles: co-citation and bibliographic coupling, ranked by Salton's cosine.

For the open article X and any other article Y of the library (full records and stubs alike):

- **co-citation** ``cc(X, Y)``: how many articles of the library cite both X and Y (Small, 1973);
- **bibliographic coupling** ``bc(X, Y)``: how many references X and Y both list (Kessler, 1963).

Both are exact counts over the library's links. Raw counts favour articles with long lists, so rows
are ranked by Salton's cosine, the shared count over the geometric mean of the two totals:

- ``cocitation``: ``cc / sqrt(|cited_by X| * |cited_by Y|)``;
- ``coupling``: ``bc / sqrt(|references X| * |references Y|)``;
- ``both``: the cosine of the two articles' links taken together (references and citing articles as
  one set of neighbours), ``(cc + bc) / sqrt((|cited_by X| + |references X|) * (|cited_by Y| +
  |references Y|))``. One number on one scale, so an article that is both co-cited with X and shares
  its references ranks above one that does only one of them as much.

Every score is between 0 and 1 (1: the same neighbours). Ties go to the larger shared count, then
to the newer article, then to the lower document id, so the order is stable.

One shared link is weak evidence, and the cosine favours it: an article cited once in the library, by
one of X's 200 citing articles, scores 1/sqrt(200) = 0.071, above a classic co-cited with X 20 times
out of its 500 citations (0.063). So when at least ``limit`` articles share two or more links with X,
those sharing only one are left out of the ranking (``min_shared=1`` keeps them); with fewer, every
article sharing a link is ranked. The counts shown are exact either way.

Cost: the counts need the link lists of X's neighbours (one read each); the cosine needs each
candidate's totals (one read each, memoised by ``GraphReader``). For the top ``limit`` rows, candidates
are read in order of their shared count and the reading stops once no unread candidate can reach the
last kept score: with shared count ``s`` a candidate's cosine is at most ``sqrt(s / n_X)``, since its
own total is at least ``s``. So the top rows are exact without reading every candidate; leaving out
the articles that share one link only also leaves out most of the reading (they are most of the
candidates).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from store.neighbourhood.nodes import GraphReader, Node

MODES = ("cocitation", "coupling", "both")
CHUNK = 256  # candidates looked at in one pass over the storage


@dataclass(frozen=True, slots=True)
class Related:
    """One related article: its counts, its score in the ranking's mode, and how it is linked to X."""

    node: Node
    cocitation: int  # articles in the library citing both
    coupling: int  # references both list
    score: float  # the cosine of the mode ranked by
    cites_it: bool = False  # Y is among X's citing articles (it cites X)
    cited_by_it: bool = False  # Y is among X's references (X cites it)

    @property
    def why(self) -> str:
        """``co-cited 7× · shares 12 references · cites it``"""
        parts = []
        if self.cocitation:
            parts.append(f"co-cited {self.cocitation}×")
        if self.coupling:
            parts.append(f"shares {self.coupling} reference{'s' if self.coupling != 1 else ''}")
        if self.cited_by_it:
            parts.append("cited by it")
        if self.cites_it:
            parts.append("cites it")
        return " · ".join(parts)

    def to_json(self) -> dict[str, object]:
        n = self.node
        return {
            "pmid": n.pmid,
            "pmcid": n.pmcid,
            "doi": n.doi,
            "title": n.title,
            "year": n.year,
            "journal": n.journal,
            "first_author": n.first_author,
            "stub": n.stub,
            "cocitation": self.cocitation,
            "coupling": self.coupling,
            "score": round(self.score, 6),
            "why": self.why,
        }


@dataclass(frozen=True, slots=True)
class SharedCounts:
    """The exact co-citation and coupling counts of every article sharing a neighbour with X."""

    centre: Node
    cocitation: Counter[int]
    coupling: Counter[int]


def shared_counts(reader: GraphReader, doc_id: int) -> SharedCounts | None:
    """Count, for every other document, the articles citing both and the references both list."""
    reader.fresh()
    centre = reader.node(doc_id)
    if centre is None:
        return None
    cocitation: Counter[int] = Counter()
    for citing in centre.cited_by:
        cocitation.update(reader.link_ids(citing, "references"))
    coupling: Counter[int] = Counter()
    for reference in centre.references:
        coupling.update(reader.link_ids(reference, "cited_by"))
    cocitation.pop(doc_id, None)
    coupling.pop(doc_id, None)
    return SharedCounts(centre, cocitation, coupling)


def _total(references: int, cited_by: int, mode: str) -> int:
    if mode == "cocitation":
        return cited_by
    if mode == "coupling":
        return references
    return cited_by + references


def cosine(shared: int, total_x: int, total_y: int) -> float:
    """Salton's cosine; 0 when either article has no links of the kind."""
    # A document's own list may lack a link its neighbour holds (an inconsistent library): the shared
    # count is never more than the total it is a part of.
    total_y = max(total_y, shared)
    if shared <= 0 or total_x <= 0:
        return 0.0
    return shared / math.sqrt(total_x * total_y)


def related(
    reader: GraphReader,
    doc_id: int,
    mode: str = "both",
    limit: int | None = 20,
    min_shared: int | None = None,
) -> list[Related]:
    """The articles most related to ``doc_id`` by ``mode`` (see the module docstring), best first.

    ``min_shared``: the fewest shared links a row needs. None (the default) is 2 when at least
    ``limit`` articles share two or more, else 1: see the module docstring. ``limit`` None ranks every
    candidate (reading each one). An unknown document has none.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    counts = shared_counts(reader, doc_id)
    if counts is None:
        return []
    centre = counts.centre
    if mode == "cocitation":
        shared: Counter[int] = counts.cocitation
    elif mode == "coupling":
        shared = counts.coupling
    else:
        shared = counts.cocitation + counts.coupling
    total_x = _total(len(centre.references), len(centre.cited_by), mode)
    if min_shared is None:
        strong = sum(1 for n in shared.values() if n >= 2)
        min_shared = 2 if limit is not None and strong >= limit else 1
    # Candidates by shared count, most first (then by id, for a stable order of reading).
    order = sorted(
        ((candidate, n) for candidate, n in shared.items() if n >= min_shared),
        key=lambda item: (-item[1], item[0]),
    )
    # A min-heap of the best rows so far: (score, shared count, year, -id), the worst kept row first.
    heap: list[tuple[float, int, int, int]] = []
    bound = max(total_x, 1)
    for at in range(0, len(order), CHUNK):
        chunk = order[at : at + CHUNK]
        if limit is not None and len(heap) >= limit and math.sqrt(chunk[0][1] / bound) < heap[0][0]:
            break  # no candidate from here on can reach the kept rows
        totals = reader.totals_many([candidate for candidate, _ in chunk])
        for candidate, count in chunk:
            found = totals.get(candidate)
            if found is None:
                continue
            if mode == "cocitation":
                total_y = found.cited_by
            elif mode == "coupling":
                total_y = found.references
            else:
                total_y = found.cited_by + found.references
            score = cosine(count, bound, total_y)
            key = (score, count, -1 if found.year is None else found.year, -candidate)
            if limit is None or len(heap) < limit:
                heapq.heappush(heap, key)
            elif key > heap[0]:
                heapq.heapreplace(heap, key)
    references, citing = set(centre.references), set(centre.cited_by)
    rows: list[Related] = []
    for key in sorted(heap, reverse=True):
        candidate = -key[3]
        node = reader.node(candidate)
        if node is None:
            continue
        rows.append(
            Related(
                node=node,
                cocitation=counts.cocitation.get(candidate, 0),
                coupling=counts.coupling.get(candidate, 0),
                score=key[0],
                cites_it=candidate in citing,
                cited_by_it=candidate in references,
            )
        )
    return rows


def related_ids(rows: Iterable[Related]) -> list[int]:
    return [r.node.doc_id for r in rows]
