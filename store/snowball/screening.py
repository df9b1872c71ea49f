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

**One screener or two, per stage.** A stage of the review is *two-screener* (``paired``) once two
different named screeners have recorded decisions at it (on any article; resolutions aside): the
review has two screeners there, and from then on every article at that stage needs both. The unnamed
screener (decisions made without a name) never makes a stage two-screener — a reviewer working alone,
or one who named themselves only sometimes, stays a one-screener review — but in a two-screener
stage their decision is one screener's vote like any other. Which stages are paired is read from the
whole marks file (``store.marks.Marks.paired``), never from one article.

**What the review makes of them** (``outcome``), at each stage, read in the order the records were
made:

1. a *resolution* (a final record: ``pmbrowse snowball resolve``) is the outcome. In a two-screener
   stage **a resolution stands until it is resolved again**: a screener's decision after it is refused
   (``store.snowball.review.screen``, ``Marks.set_screening``: ``Resolved``) and, in records made
   before that rule, ignored. In a one-screener stage a decision after it reopens the article (so a
   reviewer working alone can change a decision migrated from version 1, which is a resolution);
2. otherwise each screener's latest decision since the last resolution counts (one who took theirs
   back, ``undecided``, has none): decisions that differ make a *conflict*, which has no outcome until
   someone resolves it. Two exclusions for different reasons differ too (a reason is part of the
   decision; PRISMA counts reports excluded by reason), unless one of them gives none;
3. decisions that agree are the outcome — in a one-screener stage one screener's decision alone; **in
   a two-screener stage only the agreeing decisions of two screeners**: one screener's decision alone
   is *awaiting* the second (``Outcome.awaiting``), no outcome yet, counted apart in the report and
   never as screened.

So a reviewer working alone never meets a conflict, and every decision they make is the outcome; in
a two-screener review nothing is decided by one screener, and nothing resolved is undone by one.
Decisions made before pmbrowse recorded screeners (marks files of version 1) were migrated as final
records of the unnamed screener: they stand as resolutions.

**Screeners.** A screener is a name (``--screener NAME`` or ``PMBROWSE_SCREENER``); without one,
decisions are the unnamed screener's (``""``, shown as "unnamed", a name nobody else may take:
``check_screener``), which is what a reviewer working alone needs: the same screener whatever the
machine or login. **Blind** (the default for a named screener): a screener sees their own decisions
and the resolutions, never another screener's, until a resolution settles the article
(``Viewer.visible``). The report, conflicts and agreement read everyone's.

**An article's stage.** A full-text decision implies the record passed title-abstract screening (a
report is only assessed once it is sought), so an article with a full-text outcome and no
title-abstract one counts as included at title-abstract.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from store.errors import PmbrowseError

Stage = Literal["title-abstract", "full-text"]
TITLE_ABSTRACT: Stage = "title-abstract"
FULL_TEXT: Stage = "full-text"
STAGES: tuple[Stage, ...] = (TITLE_ABSTRACT, FULL_TEXT)
STAGE_NAMES = {TITLE_ABSTRACT: "title/abstract", FULL_TEXT: "full text"}

INCLUDED, EXCLUDED, NOT_RETRIEVED, UNDECIDED = "included", "excluded", "not-retrieved", "undecided"
DECISIONS = (INCLUDED, EXCLUDED, NOT_RETRIEVED, UNDECIDED)
CONFLICT, AWAITING = "conflict", "awaiting"  # (states of an article that has no outcome yet)
NO_REASON = "no reason given"
UNNAMED = "unnamed"  # how an unnamed screener ("") is shown


class Resolved(PmbrowseError):
    """A decision on an article a resolution settled, in a two-screener stage: refused (a resolution
    stands until it is resolved again); nothing was written."""


def screener_name(screener: str) -> str:
    return screener or UNNAMED


def one_line(text: str | None) -> str:
    """Text the reviewer typed, as stored: one line, spaces collapsed, control characters (an escape
    sequence pasted with it) left out. Reasons, screeners' names and search names."""
    kept = "".join(c for c in (text or "") if c.isprintable() or c.isspace())
    return " ".join(kept.split())


def control_character(text: str) -> str:
    """The first character of ``text`` that is neither printable nor a space (an escape, a NUL, a
    bidirectional override...), as Python writes it (``'\\x1b'``), or "". A name or reason holding one
    is refused where it is typed (the command line); ``one_line`` is for what was stored before."""
    return next((repr(c) for c in text if not (c.isprintable() or c.isspace())), "")


def clean_reason(reason: str | None) -> str:
    """A reason as stored (``one_line``: so ``wrong  design`` and ``wrong design`` are one)."""
    return one_line(reason)


def check_screener(name: str) -> str:
    """A screener's name as stored (``one_line``); ``unnamed`` is how decisions made without a name are
    shown, so no one may take it, and a name is plain text (ValueError for either)."""
    if bad := control_character(name):
        raise ValueError(f"a screener's name holds a control character ({bad}): type it as plain text")
    cleaned = one_line(name)
    if cleaned.casefold() == UNNAMED:
        raise ValueError(
            f"{UNNAMED!r} is how decisions made without a screener's name are shown: choose another name"
        )
    return cleaned


def check_stage(stage: str) -> Stage:
    for known in STAGES:
        if stage == known:
            return known
    raise ValueError(f"a screening stage is {' or '.join(STAGES)}, not {stage!r}")


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

    @property
    def vote(self) -> bool:
        """Whether it is a screener's own decision (not a resolution): what makes a stage two-screener."""
        return not self.final and bool(self.screener)

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
    decision was taken back, a conflict, or one screener's decision awaiting the second). ``by``: the
    screeners it is the decision of (the resolver, for a resolution); ``at``: when its latest record
    was made. ``votes``: each screener's latest decision since the last resolution (what a conflict is
    made of). ``awaiting``: decided by one screener in a two-screener stage.
    """

    decision: str | None = None
    reason: str = ""
    by: tuple[str, ...] = ()
    at: str = ""
    conflict: bool = False
    resolved: bool = False
    awaiting: bool = False
    votes: dict[str, Decision] = field(default_factory=dict)

    @property
    def pending(self) -> bool:
        """Decided by someone, with no outcome yet: a conflict, or awaiting the second screener."""
        return self.conflict or self.awaiting


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


def _reasons_differ(votes: Iterable[Decision]) -> bool:
    """Whether exclusions give different reasons (one given none differs from nobody)."""
    return len({v.reason.casefold() for v in votes if v.reason}) > 1


def _standing(records: Sequence[Decision], paired: bool) -> Decision | None:
    """The resolution that is the outcome at a stage (its records given), if one is."""
    resolution, after = _since_last_resolution(records)
    if resolution is None or not resolution.counts:
        return None
    return resolution if paired or not after else None


def outcome(decisions: Sequence[Decision], stage: Stage, paired: bool = False) -> Outcome:
    """The review's outcome at ``stage`` from an article's decision records, in the order they were made
    (``paired``: the stage is two-screener; see the module's docstring)."""
    records = [d for d in decisions if d.stage == stage]
    if not records:
        return NO_OUTCOME
    standing = _standing(records, paired)
    if standing is not None:
        return Outcome(standing.decision, standing.reason, (standing.screener,), standing.at, resolved=True)
    _, after = _since_last_resolution(records)
    votes = {who: d for who, d in _latest_by_screener(after).items() if d.counts}
    if not votes:
        return NO_OUTCOME
    kinds = {d.decision for d in votes.values()}
    latest = list(votes.values())[-1]
    if len(kinds) > 1 or _reasons_differ(votes.values()):
        return Outcome(None, "", tuple(votes), latest.at, conflict=True, votes=votes)
    if paired and len(votes) < 2:
        return Outcome(None, "", tuple(votes), latest.at, awaiting=True, votes=votes)
    reason = next((v.reason for v in reversed(votes.values()) if v.reason), "")
    return Outcome(latest.decision, reason, tuple(votes), latest.at, votes=votes)


def paired_stages(voters: Iterable[tuple[Stage, str]]) -> frozenset[Stage]:
    """The two-screener stages, from every (stage, named screener) of the review's own decisions."""
    seen: dict[Stage, set[str]] = {}
    for stage, screener in voters:
        seen.setdefault(stage, set()).add(screener)
    return frozenset(stage for stage, names in seen.items() if len(names) > 1)


@dataclass(frozen=True, slots=True)
class Status:
    """Where an article stands, as one screener sees it or as the review does: its decision at the
    latest stage that has one (``screening``: included, excluded, not-retrieved or None), that stage,
    and an exclusion's reason. ``awaiting``: for a viewer who sees the review's outcomes (the unnamed
    screener, ``--unblind``), one screener's decision at a later stage (or the only one) that awaits
    the second screener in a two-screener stage — recorded, but no outcome yet."""

    screening: str | None = None
    stage: Stage | None = None
    reason: str = ""
    conflict: bool = False
    awaiting: Decision | None = None


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking: a screener's name (``""``: the unnamed screener) and whether they are blind to the
    other screeners' decisions. ``blind=False`` (``--unblind``) sees the review's outcomes. ``paired``:
    the review's two-screener stages (``store.marks.Marks.paired``)."""

    screener: str = ""
    blind: bool = False
    paired: frozenset[Stage] = frozenset()

    def visible(self, decisions: Sequence[Decision], stage: Stage) -> tuple[str | None, str]:
        """The decision (and reason) this viewer sees at ``stage``."""
        if not self.blind:
            found = outcome(decisions, stage, stage in self.paired)
            return found.decision, found.reason
        records = [d for d in decisions if d.stage == stage]
        standing = _standing(records, stage in self.paired)
        if standing is not None and stage in self.paired:
            return standing.decision, standing.reason
        resolution, after = _since_last_resolution(records)
        own = _latest_by_screener(after).get(self.screener)
        if own is not None:
            return (own.decision, own.reason) if own.counts else (None, "")
        if resolution is not None and resolution.counts:
            return resolution.decision, resolution.reason
        return None, ""

    def own(self) -> Viewer:
        """This screener's own view (their decisions and the resolutions), blind or not: what a new
        decision of theirs would replace."""
        return Viewer(self.screener, True, self.paired)

    def review(self) -> Viewer:
        """The review's outcomes, whoever is looking."""
        return Viewer("", False, self.paired)

    def resolution(self, decisions: Sequence[Decision], stage: Stage) -> Decision | None:
        """The resolution that stands at ``stage`` in a two-screener stage (a decision there is refused)."""
        if stage not in self.paired:
            return None
        return _standing([d for d in decisions if d.stage == stage], True)

    def status(self, decisions: Sequence[Decision]) -> Status:
        """The decision this viewer sees at the latest stage where they see one (and, not blind, a
        decision awaiting the second screener at that stage or a later one)."""
        awaiting: Decision | None = None
        for stage in reversed(STAGES):
            decision, reason = self.visible(decisions, stage)
            if decision is not None:
                return Status(decision, stage, reason, awaiting=awaiting)
            if not self.blind and awaiting is None:
                found = outcome(decisions, stage, stage in self.paired)
                if found.awaiting:
                    awaiting = next(iter(found.votes.values()))
        conflict = not self.blind and any(outcome(decisions, s, s in self.paired).conflict for s in STAGES)
        return Status(conflict=conflict, awaiting=awaiting)


@dataclass(frozen=True, slots=True)
class Screened:
    """An article as the review counts it (PRISMA 2020): its outcome at each stage.

    ``title_abstract`` is implied ``included`` when the article has a full-text outcome and none of
    its own (a report is assessed only once it was sought)."""

    title_abstract: Outcome
    full_text: Outcome

    @classmethod
    def of(cls, decisions: Sequence[Decision], paired: Collection[Stage] = ()) -> Screened:
        ta = outcome(decisions, TITLE_ABSTRACT, TITLE_ABSTRACT in paired)
        ft = outcome(decisions, FULL_TEXT, FULL_TEXT in paired)
        if ta.decision is None and not ta.conflict and ft.decision is not None:
            ta = Outcome(INCLUDED, "", ft.by, ft.at, votes={})
        return cls(ta, ft)

    @property
    def last(self) -> tuple[Stage, Outcome] | None:
        """The latest stage with an outcome (or a conflict, or a decision awaiting the second
        screener), and that outcome."""
        if self.full_text.decision is not None or self.full_text.pending:
            return FULL_TEXT, self.full_text
        if self.title_abstract.decision is not None or self.title_abstract.pending:
            return TITLE_ABSTRACT, self.title_abstract
        return None

    @property
    def decided(self) -> bool:
        """Whether the review has an outcome for it at some stage (a conflict or a decision awaiting
        the second screener is none)."""
        return self.title_abstract.decision is not None or self.full_text.decision is not None

    def state(self) -> str:
        """One word for exports: included, excluded, not-retrieved, conflict, awaiting (one screener's
        decision in a two-screener stage), or undecided."""
        last = self.last
        if last is None:
            return UNDECIDED
        if last[1].conflict:
            return CONFLICT
        return AWAITING if last[1].awaiting else str(last[1].decision)
