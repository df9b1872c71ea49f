"""How far two screeners agree: percent agreement and Cohen's kappa, per stage.

For each stage, the articles both screeners decided (each one's latest decision at that stage that is
not taken back; resolutions are nobody's own decision and are left out) are the items. With ``n``
items, ``p_o`` is the share decided alike and ``p_e`` the agreement expected by chance from each
screener's own shares of each decision (included, excluded, and at full text not-retrieved):
``p_e = sum over decisions d of (A's share of d) * (B's share of d)``. Cohen's kappa is
``(p_o - p_e) / (1 - p_e)``; it is undefined (None) when ``p_e`` is 1 (both screeners gave one and
the same decision to every item), and with no items there is nothing to say (None).

Which two screeners: the two named, else the two *named* screeners with the most decisions at the
stage (ties broken by name), in the order of their names; the unnamed screener (decisions made
without a name: seeds given by hand, marks made while browsing) is never picked unless named in the
pair (``--screeners A unnamed``). With fewer than two named screeners there is no pair. (A review has
two; with more, name the pair.)

Agreement is on the decision (included, excluded, not-retrieved), as kappa is usually reported;
exclusions both made for different reasons count as agreed here, are counted apart
(``reasons_differ``), and are conflicts for the review (``store.snowball.screening``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from store.marks import Mark
from store.snowball.screening import STAGES, Decision, Stage


@dataclass(frozen=True, slots=True)
class Agreement:
    """Two screeners' agreement at one stage."""

    stage: Stage
    screeners: tuple[str, str] | None  # None: fewer than two screeners decided anything here
    items: int = 0
    agreed: int = 0
    expected: float = 0.0  # p_e
    only_one: int = 0  # articles one of the two decided and the other did not (yet)
    reasons_differ: int = 0  # of the agreed, both excluded for different reasons

    @property
    def percent(self) -> float | None:
        return 100.0 * self.agreed / self.items if self.items else None

    @property
    def kappa(self) -> float | None:
        if not self.items or self.expected >= 1.0:
            return None
        observed = self.agreed / self.items
        return (observed - self.expected) / (1.0 - self.expected)

    def to_json(self) -> dict[str, object]:
        return {
            "stage": self.stage,
            "screeners": list(self.screeners) if self.screeners else None,
            "items": self.items,
            "agreed": self.agreed,
            "percent_agreement": self.percent,
            "expected_agreement": self.expected if self.items else None,
            "kappa": self.kappa,
            "decided_by_one_only": self.only_one,
            "excluded_by_both_for_different_reasons": self.reasons_differ,
        }


def own_decisions(decisions: Iterable[Decision], stage: Stage) -> dict[str, Decision]:
    """Each screener's latest own decision at ``stage`` (resolutions and taken-back decisions left out)."""
    latest: dict[str, Decision] = {}
    for record in decisions:
        if record.stage == stage and not record.final:
            latest[record.screener] = record
    return {who: d for who, d in latest.items() if d.counts}


def busiest_pair(per_article: Iterable[dict[str, Decision]]) -> tuple[str, str] | None:
    """The two named screeners with the most decisions (ties: by name), in the order of their names."""
    counts = Counter(who for decided in per_article for who in decided if who)
    ranked = sorted(counts, key=lambda who: (-counts[who], who))
    if len(ranked) < 2:
        return None
    first, second = sorted(ranked[:2])
    return first, second


def agreement(marks: Iterable[Mark], stage: Stage, screeners: Sequence[str] | None = None) -> Agreement:
    """The agreement of two screeners at ``stage`` over the articles of ``marks``."""
    per_article = [own_decisions(m.decisions, stage) for m in marks]
    if screeners:
        if len(screeners) != 2 or screeners[0] == screeners[1]:
            raise ValueError("agreement is between two different screeners")
        pair: tuple[str, str] | None = (screeners[0], screeners[1])
    else:
        pair = busiest_pair(per_article)
    if pair is None:
        return Agreement(stage, None)
    a_counts: Counter[str] = Counter()
    b_counts: Counter[str] = Counter()
    items = agreed = only_one = reasons_differ = 0
    for decided in per_article:
        a, b = decided.get(pair[0]), decided.get(pair[1])
        if a is None or b is None:
            only_one += (a is None) != (b is None)
            continue
        items += 1
        agreed += a.decision == b.decision
        reasons_differ += a.decision == b.decision and bool(
            a.reason and b.reason and a.reason.casefold() != b.reason.casefold()
        )
        a_counts[a.decision] += 1
        b_counts[b.decision] += 1
    expected = sum(a_counts[d] * b_counts[d] for d in a_counts) / (items * items) if items else 0.0
    return Agreement(stage, pair, items, agreed, expected, only_one, reasons_differ)


def agreements(marks: Sequence[Mark], screeners: Sequence[str] | None = None) -> list[Agreement]:
    """``agreement`` at each stage."""
    return [agreement(marks, stage, screeners) for stage in STAGES]
