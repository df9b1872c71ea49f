"""Screening decisions: what one screener decided about an article at one stage, and what the review
makes of everyone's decisions.

A review screens in two stages (PRISMA 2020): **title-abstract** (is the record worth reading in
full?) and **full-text** (is the report eligible?). A screener's decision at a stage is one of

- ``included``;
- ``excluded``, with a reason (``wrong population``...; none given is counted as "no reason given");
- ``not-retrieved`` (full text only): the report was sought and could not be obtained;
- ``undecided``: an earlier decision taken back.

Each decision is one record, kept with the article's other marks (``store.marks``): its stage, the
decision, the reason, the screener, the time, and whether it is *final* (a resolution). A decision
and its reason are one record, written in one atomic write of the marks file, so they are never
apart. Records are never edited or removed: a new decision is a new record, so the marks hold the
whole history of who decided what when (an audit trail, as Covidence and Rayyan keep).

**What the review makes of them** (``outcome``), at each stage, read in the order the records were
made:

1. a *resolution* (a final record: ``pmbrowse snowball resolve``) is the outcome, until a screener
   decides again after it;
2. otherwise each screener's latest decision since the last resolution counts (one who took theirs
   back, ``undecided``, has none): if they agree, that is the outcome; if they differ, the article is
   a *conflict* and has no outcome until someone resolves it. One screener alone decides alone.

So a reviewer working alone never meets a conflict, and every decision they make is the outcome.
Decisions made before pmbrowse recorded screeners (marks files of version 1) were migrated as final
records of an unnamed screener: they stand as they were until someone decides again.

**Screeners.** A screener is a name (``--screener NAME`` or ``PMBROWSE_SCREENER``); without one,
decisions are the unnamed screener's (``""``, shown as "unnamed"), which is what a reviewer working
alone needs: the same screener whatever the machine or login. **Blind** (the default for a named
screener): a screener sees their own decisions and the resolutions, never another screener's, until
a resolution settles the article (``Viewer.visible``). The report, conflicts and agreement read
everyone's.

**An article's stage.** A full-text decision implies the record passed title-abstract screening (a
report is only assessed once it is sought), so an article with a full-text outcome and no
title-abstract one counts as included at title-abstract.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Stage = Literal["title-abstract", "full-text"]
TITLE_ABSTRACT: Stage = "title-abstract"
FULL_TEXT: Stage = "full-text"
STAGES: tuple[Stage, ...] = (TITLE_ABSTRACT, FULL_TEXT)
STAGE_NAMES = {TITLE_ABSTRACT: "title/abstract", FULL_TEXT: "full text"}

INCLUDED, EXCLUDED, NOT_RETRIEVED, UNDECIDED = "included", "excluded", "not-retrieved", "undecided"
DECISIONS = (INCLUDED, EXCLUDED, NOT_RETRIEVED, UNDECIDED)
NO_REASON = "no reason given"
UNNAMED = "unnamed"  # how an unnamed screener ("") is shown


def screener_name(screener: str) -> str:
    return screener or UNNAMED


def check_stage(stage: str) -> Stage:
    for known in STAGES:
        if stage == known:
            return known
    raise ValueError(f"a screening stage is {' or '.join(STAGES)}, not {stage!r}")


def clean_reason(reason: str | None) -> str:
    """A reason as stored: one line of text, spaces collapsed (so ``wrong  design`` and ``wrong design``
    are one), control characters (an escape sequence pasted with it) left out."""
    text = "".join(c for c in (reason or "") if c.isprintable() or c.isspace())
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Decision:
    """One screener's decision about one article at one stage (see the module's docstring)."""

    stage: Stage
    decision: str
    reason: str = ""
    screener: str = ""
    at: str = ""  # ISO 8601 UTC, to the second
    final: bool = False

    def __post_init__(self) -> None:
        check_stage(self.stage)
        if self.decision not in DECISIONS:
            raise ValueError(f"a screening decision is one of {', '.join(DECISIONS)}, not {self.decision!r}")
        if self.decision == NOT_RETRIEVED and self.stage != FULL_TEXT:
            raise ValueError("'not-retrieved' is a full-text decision: a report sought and not obtained")
        if self.reason and self.decision != EXCLUDED:
            raise ValueError("only an exclusion has a reason")

    @property
    def counts(self) -> bool:
        """Whether it is a decision (not one taken back)."""
        return self.decision != UNDECIDED

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"stage": self.stage, "decision": self.decision}
        if self.reason:
            doc["reason"] = self.reason
        doc["screener"] = self.screener
        doc["at"] = self.at
        if self.final:
            doc["final"] = True
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Decision:
        return cls(
            stage=check_stage(str(doc.get("stage", ""))),
            decision=str(doc.get("decision", "")),
            reason=str(doc.get("reason", "")),
            screener=str(doc.get("screener", "")),
            at=str(doc.get("at", "")),
            final=bool(doc.get("final", False)),
        )


def check_decision_doc(doc: object) -> str:
    """What is wrong with the types of a stored decision record, or "" (a damaged marks file is refused,
    not half read). Its values are checked when it is read (``Decision.from_doc`` raises ValueError)."""
    if type(doc) is not dict:
        return "a decision is not an object"
    for key in ("stage", "decision", "reason", "screener", "at"):
        if type(doc.get(key, "")) is not str:
            return f"a decision's {key!r} is not text"
    if type(doc.get("final", False)) is not bool:
        return "a decision's 'final' is not true or false"
    return ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the review makes of an article at one stage.

    ``decision``: included, excluded or not-retrieved; None when there is none (nobody decided, every
    decision was taken back, or a conflict). ``by``: the screeners it is the decision of (the
    resolver, for a resolution); ``at``: when its latest record was made. ``votes``: each screener's
    latest decision since the last resolution (what a conflict is made of).
    """

    decision: str | None = None
    reason: str = ""
    by: tuple[str, ...] = ()
    at: str = ""
    conflict: bool = False
    resolved: bool = False
    votes: dict[str, Decision] = field(default_factory=dict)


NO_OUTCOME = Outcome()


def _since_last_resolution(records: Sequence[Decision]) -> tuple[Decision | None, list[Decision]]:
    last = None
    for n, record in enumerate(records):
        if record.final:
            last = n
    if last is None:
        return None, list(records)
    return records[last], list(records[last + 1 :])


def _latest_by_screener(records: Iterable[Decision]) -> dict[str, Decision]:
    latest: dict[str, Decision] = {}
    for record in records:
        latest.pop(record.screener, None)  # (so the dict's order is the order of the latest records)
        latest[record.screener] = record
    return latest


def outcome(decisions: Sequence[Decision], stage: Stage) -> Outcome:
    """The review's outcome at ``stage`` from an article's decision records, in the order they were made."""
    records = [d for d in decisions if d.stage == stage]
    if not records:
        return NO_OUTCOME
    resolution, after = _since_last_resolution(records)
    if not after:
        assert resolution is not None
        if not resolution.counts:
            return NO_OUTCOME
        return Outcome(
            resolution.decision, resolution.reason, (resolution.screener,), resolution.at, resolved=True
        )
    votes = {who: d for who, d in _latest_by_screener(after).items() if d.counts}
    if not votes:
        return NO_OUTCOME
    kinds = {d.decision for d in votes.values()}
    latest = list(votes.values())[-1]
    if len(kinds) > 1:
        return Outcome(None, "", tuple(votes), latest.at, conflict=True, votes=votes)
    return Outcome(latest.decision, latest.reason, tuple(votes), latest.at, votes=votes)


@dataclass(frozen=True, slots=True)
class Status:
    """Where an article stands, as one screener sees it or as the review does: its decision at the
    latest stage that has one (``screening``: included, excluded, not-retrieved or None), that stage,
    and an exclusion's reason."""

    screening: str | None = None
    stage: Stage | None = None
    reason: str = ""
    conflict: bool = False


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking: a screener's name (``""``: the unnamed screener) and whether they are blind to the
    other screeners' decisions. ``blind=False`` (``--unblind``) sees the review's outcomes."""

    screener: str = ""
    blind: bool = False

    def visible(self, decisions: Sequence[Decision], stage: Stage) -> tuple[str | None, str]:
        """The decision (and reason) this viewer sees at ``stage``."""
        if not self.blind:
            found = outcome(decisions, stage)
            return found.decision, found.reason
        records = [d for d in decisions if d.stage == stage]
        resolution, after = _since_last_resolution(records)
        own = _latest_by_screener(after).get(self.screener)
        if own is not None:
            return (own.decision, own.reason) if own.counts else (None, "")
        if resolution is not None and resolution.counts:
            return resolution.decision, resolution.reason
        return None, ""

    def status(self, decisions: Sequence[Decision]) -> Status:
        """The decision this viewer sees at the latest stage where they see one."""
        for stage in reversed(STAGES):
            decision, reason = self.visible(decisions, stage)
            if decision is not None:
                return Status(decision, stage, reason)
        conflict = not self.blind and any(outcome(decisions, s).conflict for s in STAGES)
        return Status(conflict=conflict)


@dataclass(frozen=True, slots=True)
class Screened:
    """An article as the review counts it (PRISMA 2020): its outcome at each stage.

    ``title_abstract`` is implied ``included`` when the article has a full-text outcome and none of
    its own (a report is assessed only once it was sought)."""

    title_abstract: Outcome
    full_text: Outcome

    @classmethod
    def of(cls, decisions: Sequence[Decision]) -> Screened:
        ta, ft = outcome(decisions, TITLE_ABSTRACT), outcome(decisions, FULL_TEXT)
        if ta.decision is None and not ta.conflict and ft.decision is not None:
            ta = Outcome(INCLUDED, "", ft.by, ft.at, votes={})
        return cls(ta, ft)

    @property
    def last(self) -> tuple[Stage, Outcome] | None:
        """The latest stage with an outcome (or a conflict), and that outcome."""
        if self.full_text.decision is not None or self.full_text.conflict:
            return FULL_TEXT, self.full_text
        if self.title_abstract.decision is not None or self.title_abstract.conflict:
            return TITLE_ABSTRACT, self.title_abstract
        return None

    def state(self) -> str:
        """One word for exports: included, excluded, not-retrieved, conflict, or undecided."""
        last = self.last
        if last is None:
            return UNDECIDED
        return "conflict" if last[1].conflict else str(last[1].decision)
