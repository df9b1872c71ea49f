"""Recording screening decisions for many articles at once, and finding where screeners disagree.

**The review's rules** (decided for issue 16's audit, as a systematic-review tool must; the details
are in ``store.snowball.screening``):

- *One screener or two.* A stage is two-screener once two named screeners have decided at it; there
  an article's outcome needs the agreeing decisions of both (or a resolution): one screener's
  decision alone is *awaiting* the second, no outcome, never counted as screened. A reviewer working
  alone (or unnamed) decides alone. Two exclusions for different reasons are a conflict.
- *A resolution stands until it is resolved again*: in a two-screener stage a screener's decision on
  a resolved article is refused (``Resolved``), ``--change`` or not; only ``resolve`` changes it.
- *The seeds of a round are the review's included set, whoever runs it* (``store.snowball.seeds``):
  the same for every screener, blind or not; an article one screener alone included in a
  two-screener review is no seed until the second agrees or someone resolves it.
- *Already screened* (a round's count of what it does not take as its records) means the review has
  an outcome for it; a conflict, or a decision awaiting the second screener, is no outcome, so a
  round takes such an article as its record (``store.snowball.engine``).

``screen`` is what ``pmbrowse snowball include|exclude|not-retrieved|undecide|resolve`` and
``pmbrowse mark`` call: every decision of one command is one write of the marks file (all or none),
each decision with its reason in the same record (see ``store.snowball.screening``).

A decision never silently replaces a different one: ``screen`` refuses (``DecisionChange``, naming the
articles and what they are now, seeds of kept rounds said as such) unless ``change=True`` — so
``snowball exclude`` on an included seed says so instead of excluding it. What a decision would
replace is **the screener's own decision** (or the resolution they see), whether they look blind or
``--unblind``, named or not: another screener's decision is never replaced, only disagreed with (a
conflict), and a screener's first decision on an article replaces nothing. An exclusion for another
reason replaces an exclusion (the reason is part of the decision). Deciding what the screener has
decided already writes nothing.

In a two-screener stage (``store.snowball.screening``), an article a resolution settled is refused to
everyone but a new resolution, ``change`` or not (``Resolved``): **a resolution stands until it is
resolved again**, so one screener cannot overturn what the review settled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from store.errors import PmbrowseError
from store.marks import Mark, Marks
from store.snowball.screening import (
    EXCLUDED,
    NOT_RETRIEVED,
    STAGE_NAMES,
    STAGES,
    TITLE_ABSTRACT,
    UNDECIDED,
    Decision,
    Resolved,
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


def replaces(seen: str | None, seen_reason: str, decision: str | None, reason: str) -> bool:
    """Whether deciding ``decision`` (with ``reason``) replaces the decision ``seen`` (a different one,
    or an exclusion for another reason); taking a decision back replaces nothing."""
    if seen is None or decision in (None, UNDECIDED):
        return False
    if seen != decision:
        return True
    return (
        decision == EXCLUDED and bool(reason and seen_reason) and reason.casefold() != seen_reason.casefold()
    )


def describe(decision: str | None, reason: str = "") -> str:
    if decision is None or decision == UNDECIDED:
        return "undecided"
    return f"{decision} ({reason})" if reason else decision


AWAITING_SECOND = "awaiting the second screener"


def awaits_own(mark: Mark, screener: str) -> bool:
    """Whether the screener's own decision on the article is recorded and awaits the second screener
    (seen by a viewer who sees the review's outcomes: the unnamed screener, ``--unblind``)."""
    return mark.awaiting is not None and mark.awaiting.screener == screener


def standing_text(mark: Mark, screener: str) -> str:
    """Where an article stands for the marks' viewer, in words: ``excluded (r2) at title/abstract``;
    ``excluded (r2) at title/abstract by you, awaiting the second screener`` (a decision recorded that
    counts once the second screener decides); ``not screened``. What ``pmbrowse show``, ``pmbrowse
    mark`` and the app say, in the same words."""
    parts: list[str] = []
    if mark.screening and mark.stage:
        parts.append(f"{describe(mark.screening, mark.reason)} at {STAGE_NAMES[mark.stage]}")
    vote = mark.awaiting
    if vote is not None:
        who = "you" if vote.screener == screener else screener_name(vote.screener)
        parts.append(
            f"{describe(vote.decision, vote.reason)} at {STAGE_NAMES[vote.stage]} by {who}, {AWAITING_SECOND}"
        )
    return "; ".join(parts) or "not screened"


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
    ``change``, an article on which the screener's own decision is a different one is refused: then
    ``DecisionChange`` names every such article and nothing is written. An article a resolution
    settled in a two-screener stage is refused to all but a resolution (``Resolved``), unless the
    decision is the resolution's own (then nothing is written for it). ``state`` (the snowball file)
    lets the refusals say which articles are seeds of kept rounds.
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
        settled: list[str] = []
        plans: list[tuple[Target, Stage, int]] = []
        own = marks.viewer.own()
        for target in targets:
            mark = marks.get(target.keys)
            at: Stage = wanted or mark.stage or TITLE_ABSTRACT
            resolution = None if final else marks.viewer.resolution(mark.decisions, at)
            if resolution is not None:
                done.before[target.label] = describe(resolution.decision, resolution.reason)
                if replaces(resolution.decision, resolution.reason, decision, why) or decision is None:
                    settled.append(f"{target.label} was resolved as {vote_text(resolution)}")
                done.marks.append(mark)  # (its own decision already: nothing to write)
                continue
            seen, seen_reason = own.visible(mark.decisions, at)
            done.before[target.label] = describe(seen, seen_reason)
            if replaces(seen, seen_reason, decision, why) and not change and not final:
                seeds = seed_rounds(state, target.keys)
                seed = f", a seed of round {', '.join(map(str, seeds))}" if seeds else ""
                refused.append(f"{target.label} is {describe(seen, seen_reason)}{seed}")
            plans.append((target, at, len(mark.decisions)))
        if settled:
            shown = "; ".join(settled[:5]) + ("; ..." if len(settled) > 5 else "")
            raise Resolved(
                f"{shown}: in a two-screener review a resolution stands until it is resolved again "
                "(pmbrowse snowball resolve ID --as DECISION); nothing was changed"
            )
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
    paired = marks.paired
    for mark in marks.all():
        for stage in stages:
            result = outcome(mark.decisions, stage, stage in paired)
            if result.conflict:
                found.append(Conflict(mark.keys, stage, tuple(result.votes.values())))
    return found


def vote_text(vote: Decision) -> str:
    """``alice: excluded (wrong population)``"""
    return f"{screener_name(vote.screener)}: {describe(vote.decision, vote.reason)}"
