"""The numbers of one round's candidates as one screener sees them, for the Snowball view's counts line.

(The review's PRISMA 2020 flow, both arms and both stages, is ``store.snowball.flow``; this is the
view's one-line summary of the round on screen.) What each number is (the fixed ones were counted
when the round ran; the others are read now, from the screener's decisions):

============================  ==================================================================
``identified``                links from the seeds to other articles, before deduplication (fixed)
``duplicates``                of those, links naming an article another link already named (fixed)
``already_screened``          distinct articles found that had a screening decision already (fixed)
``earlier_rounds``            distinct articles found that an earlier round had found (fixed)
``records``                   the round's new records: distinct, undecided, never found before
``screened``                  of the new records, those with a decision now
``included``, ``excluded``    of the new records, by decision now; ``excluded`` by reason
``sought``                    reports sought: the new records included, or marked not retrieved
``not_retrieved``             of those, the ones marked not retrieved (sought and not obtained: a
                              stub nobody tried to retrieve is not one)
``awaiting``                  new records not screened yet
============================  ==================================================================

``identified - duplicates = already_screened + earlier_rounds + records``. The total adds the rounds
up: no article is a new record of two rounds, so nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from store.snowball.screening import NOT_RETRIEVED
from store.snowball.state import Round


@dataclass(slots=True)
class Counts:
    identified: int = 0
    duplicates: int = 0
    already_screened: int = 0
    earlier_rounds: int = 0
    records: int = 0
    screened: int = 0
    included: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    sought: int = 0
    not_retrieved: int = 0
    awaiting: int = 0

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())

    def add(self, other: Counts) -> None:
        for name in (
            "identified",
            "duplicates",
            "already_screened",
            "earlier_rounds",
            "records",
            "screened",
            "included",
            "sought",
            "not_retrieved",
            "awaiting",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for why, n in other.excluded.items():
            self.excluded[why] = self.excluded.get(why, 0) + n

    def to_json(self) -> dict[str, Any]:
        return {
            "identified": self.identified,
            "duplicates": self.duplicates,
            "already_screened": self.already_screened,
            "earlier_rounds": self.earlier_rounds,
            "records": self.records,
            "screened": self.screened,
            "included": self.included,
            "excluded": dict(sorted(self.excluded.items())),
            "excluded_total": self.excluded_total,
            "sought": self.sought,
            "not_retrieved": self.not_retrieved,
            "awaiting": self.awaiting,
        }


def counts_of(
    stored: Round,
    new: Iterable[tuple[Sequence[str], bool]],
    decision: Callable[[Sequence[str]], str | None],
    why: Callable[[Sequence[str]], str],
) -> Counts:
    """The numbers of ``stored``: those fixed when it ran, and those of its new records (each given by
    its keys and whether the library knows it only as a stub) as screened now: ``decision`` says each
    one's (None: not yet), ``why`` an excluded one's reason. Whether a record is a stub says nothing
    of retrieval: only a not-retrieved decision counts as not retrieved."""
    counts = Counts(
        identified=stored.identified,
        duplicates=stored.duplicates,
        already_screened=stored.already_screened,
        earlier_rounds=stored.earlier,
    )
    for keys, _stub in new:
        counts.records += 1
        decided = decision(keys)
        if decided is None:
            counts.awaiting += 1
            continue
        counts.screened += 1
        if decided == "included":
            counts.included += 1
            counts.sought += 1
        elif decided == NOT_RETRIEVED:
            counts.sought += 1
            counts.not_retrieved += 1
        else:
            reason = why(keys)
            counts.excluded[reason] = counts.excluded.get(reason, 0) + 1
    return counts
