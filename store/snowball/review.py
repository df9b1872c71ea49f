"""Recording screening decisions for many articles at once, and finding where screeners disagree.

``screen`` is what ``pmbrowse snowball include|exclude|not-retrieved|undecide|resolve`` and
``pmbrowse mark`` call: every decision of one command is one write of the marks file (all or none),
each decision with its reason in the same record (see ``store.snowball.screening``).

A decision never silently replaces a different one: ``screen`` refuses (``DecisionChange``, naming the
articles and what they are now, seeds of kept rounds said as such) unless ``change=True`` — so
``snowball exclude`` on an included seed says so instead of excluding it. Deciding what the screener
already sees is no change and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from store.errors import PmbrowseError
from store.marks import Mark, Marks
from store.snowball.screening import (
    EXCLUDED,
    NOT_RETRIEVED,
    STAGES,
    TITLE_ABSTRACT,
    UNDECIDED,
    Decision,
    Stage,
    check_stage,
    clean_reason,
    outcome,
    screener_name,
)
from store.snowball.state import SnowballState


class DecisionChange(PmbrowseError):
    """Decisions that would replace different ones, refused; nothing was written."""


@dataclass(frozen=True, slots=True)
class Target:
    """An article to screen: how to name it (its PMID, else PMCID, else DOI) and its identity keys."""

    label: str
    keys: tuple[str, ...]


@dataclass(slots=True)
class Screening:
    """What one ``screen`` did: each article's mark after it, and which ones it changed."""

    marks: list[Mark] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # labels of the articles whose decision changed
    before: dict[str, str] = field(default_factory=dict)  # label -> what the screener saw before


def seed_rounds(state: SnowballState | None, keys: Sequence[str]) -> list[int]:
    """The kept rounds the article was a seed of."""
    if state is None:
        return []
    wanted = set(keys)
    return [r.number for r in state.rounds if any(wanted & set(seed.keys) for seed in r.seeds)]


def describe(decision: str | None, reason: str = "") -> str:
    if decision is None or decision == UNDECIDED:
        return "undecided"
    return f"{decision} ({reason})" if reason else decision


def screen(
    marks: Marks,
    targets: Sequence[Target],
    decision: str | None,
    *,
    reason: str | None = None,
    stage: str | None = None,
    final: bool = False,
    change: bool = False,
    state: SnowballState | None = None,
) -> Screening:
    """Record ``decision`` (None: undecided) on every target, by the marks' screener, in one write.

    ``stage``: title-abstract or full-text (default: the stage each article's current decision is at,
    else title-abstract; not-retrieved is always full text). ``final``: a resolution. Without
    ``change``, an article on which the screener sees a different decision is refused: then
    ``DecisionChange`` names every such article and nothing is written. ``state`` (the snowball file)
    lets the refusal say which articles are seeds of kept rounds.
    """
    why = clean_reason(reason)
    if why and decision != EXCLUDED:
        raise ValueError("only an exclusion has a reason (--reason goes with exclude)")
    wanted: Stage | None = check_stage(stage) if stage else None
    if decision == NOT_RETRIEVED:
        wanted = "full-text"
    done = Screening()
    with marks.transaction():
        refused: list[str] = []
        plans: list[tuple[Target, Stage, int]] = []
        for target in targets:
            mark = marks.get(target.keys)
            at: Stage = wanted or mark.stage or TITLE_ABSTRACT
            seen, seen_reason = marks.viewer.visible(mark.decisions, at)
            done.before[target.label] = describe(seen, seen_reason)
            replaces = seen is not None and decision not in (None, UNDECIDED) and seen != decision
            if replaces and not change and not final:
                seeds = seed_rounds(state, target.keys)
                seed = f", a seed of round {', '.join(map(str, seeds))}" if seeds else ""
                refused.append(f"{target.label} is {describe(seen, seen_reason)}{seed}")
            plans.append((target, at, len(mark.decisions)))
        if refused:
            shown = "; ".join(refused[:5]) + ("; ..." if len(refused) > 5 else "")
            what = describe(decision, why)
            raise DecisionChange(
                f"{shown}: say --change to make {'it' if len(refused) == 1 else 'them'} {what}; "
                "nothing was changed"
            )
        kind = None if decision in (None, UNDECIDED) else decision
        for target, at, records in plans:
            mark = marks.set_screening(target.keys, kind, reason=why, stage=at, final=final)  # type: ignore[arg-type]
            done.marks.append(mark)
            if len(mark.decisions) > records:
                done.changed.append(target.label)
    return done


@dataclass(frozen=True, slots=True)
class Conflict:
    """An article on which screeners disagree at a stage, with each one's latest decision."""

    keys: tuple[str, ...]
    stage: Stage
    votes: tuple[Decision, ...]


def conflicts(marks: Marks, stages: Sequence[Stage] = STAGES) -> list[Conflict]:
    """Every unresolved disagreement, in the order the articles were first marked."""
    found: list[Conflict] = []
    for mark in marks.all():
        for stage in stages:
            result = outcome(mark.decisions, stage)
            if result.conflict:
                found.append(Conflict(mark.keys, stage, tuple(result.votes.values())))
    return found


def vote_text(vote: Decision) -> str:
    """``alice: excluded (wrong population)``"""
    return f"{screener_name(vote.screener)}: {describe(vote.decision, vote.reason)}"
