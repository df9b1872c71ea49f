"""Screening decisions: one record per decision with its reason, stage, screener and time; what the review
makes of two screeners' decisions; blindness; agreement; the migration of version 1 files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store.marks import Marks, marks_path
from store.snowball.agreement import agreement
from store.snowball.review import DecisionChange, Target, conflicts, screen
from store.snowball.screening import Decision, Resolved, Screened, Viewer, outcome
from store.snowball.state import SnowballFile, snowball_path

TA, FT = "title-abstract", "full-text"


def d(decision: str, who: str = "", *, reason: str = "", stage: str = TA, final: bool = False) -> Decision:
    return Decision(stage, decision, reason, who, "2026-12-01T00:00:00Z", final)  # type: ignore[arg-type]


def test_the_outcome_of_one_and_of_two_screeners() -> None:
    # Alone: the latest decision is the outcome; taken back, there is none.
    assert outcome([d("included"), d("excluded", reason="wrong design")], TA).decision == "excluded"
    assert outcome([d("included"), d("undecided")], TA).decision is None
    # Two who agree; two who differ: a conflict, with each one's latest vote.
    agreed = outcome([d("excluded", "ann", reason="x"), d("excluded", "bob", reason="X")], TA)
    assert (agreed.decision, agreed.reason, agreed.by, agreed.conflict) == (
        "excluded",
        "X",
        ("ann", "bob"),
        False,
    )
    # One reason given, the other none: that reason.
    assert outcome([d("excluded", "ann", reason="x"), d("excluded", "bob")], TA).reason == "x"
    split = outcome(
        [d("included", "ann"), d("excluded", "bob"), d("included", "bob"), d("excluded", "ann")], TA
    )
    assert split.conflict and split.decision is None
    assert {who: v.decision for who, v in split.votes.items()} == {"bob": "included", "ann": "excluded"}
    # A resolution settles it; in a one-screener stage, until someone decides again after it.
    resolved = [
        d("included", "ann"),
        d("excluded", "bob"),
        d("excluded", "cat", reason="wrong population", final=True),
    ]
    settled = outcome(resolved, TA)
    assert (settled.decision, settled.reason, settled.by, settled.resolved) == (
        "excluded",
        "wrong population",
        ("cat",),
        True,
    )
    assert outcome([*resolved, d("included", "ann")], TA).decision == "included"
    # Stages are apart; a full-text outcome implies the record was included at title/abstract.
    only_full_text = Screened.of([d("not-retrieved", stage=FT)])
    assert only_full_text.title_abstract.decision == "included" and only_full_text.state() == "not-retrieved"
    assert Screened.of([d("excluded", "ann"), d("included", "bob")]).state() == "conflict"


def test_defect_8_two_exclusions_for_different_reasons_are_a_conflict(lib_path: Path) -> None:
    """Audit 8: both screeners excluded for different reasons; the later reason won silently, and
    neither conflicts nor agreement said so."""
    votes = [d("excluded", "ann", reason="wrong population"), d("excluded", "bob", reason="wrong design")]
    found = outcome(votes, TA)
    assert found.conflict and found.decision is None
    ann, bob = Marks.open(lib_path, screener="ann"), Marks.open(lib_path, screener="bob")
    ann.set_screening(["pmid:1"], "excluded", reason="wrong population", stage=FT)
    bob.set_screening(["pmid:1"], "excluded", reason="wrong design", stage=FT)
    [conflict] = conflicts(Marks.open(lib_path))
    assert [(v.screener, v.reason) for v in conflict.votes] == [
        ("ann", "wrong population"),
        ("bob", "wrong design"),
    ]
    both = agreement(Marks.open(lib_path).all(), FT)
    assert (both.items, both.agreed, both.reasons_differ) == (1, 1, 1)


def test_item_17_in_a_two_screener_review_one_screener_decides_nothing_alone(lib_path: Path) -> None:
    """Audit 17: a decision by one screener counted as final in a two-screener review, and after a
    resolution one screener with --change overturned it alone. Now a stage where two named screeners
    decide is two-screener: an outcome needs both (or a resolution), and a resolution stands until it
    is resolved again."""
    pairs = [d("included", "ann")]
    assert outcome(pairs, TA, paired=True).decision is None and outcome(pairs, TA, paired=True).awaiting
    assert outcome(pairs, TA).decision == "included"  # (alone, one decides)
    both = [*pairs, d("included", "bob")]
    assert outcome(both, TA, paired=True).decision == "included"
    ann, bob = Marks.open(lib_path, screener="ann"), Marks.open(lib_path, screener="bob")
    ann.set_screening(["pmid:1"], "included")
    assert Marks.open(lib_path).paired == frozenset()  # one named screener: one-screener review
    assert Screened.of(Marks.open(lib_path).get(["pmid:1"]).decisions).state() == "included"
    bob.set_screening(["pmid:2"], "excluded")  # bob's first decision: the stage has two screeners now
    review = Marks.open(lib_path)
    assert review.paired == frozenset({TA}) and review.get(["pmid:1"]).screening is None
    assert Screened.of(review.get(["pmid:1"]).decisions, review.paired).state() == "awaiting"
    assert Marks.open(lib_path, screener="ann").get(["pmid:1"]).screening == "included"  # (her own)
    # The unnamed screener (seeds given by hand, marks made while browsing) never makes a stage
    # two-screener, and in a two-screener stage is one screener among others.
    Marks.open(lib_path, screener="").set_screening(["pmid:3"], "included", stage=FT)
    Marks.open(lib_path, screener="ann").set_screening(["pmid:3"], "included", stage=FT)
    assert Marks.open(lib_path).paired == frozenset({TA})
    # A resolution stands until it is resolved again: one screener's decision after it is refused,
    # --change or not; another resolution is not.
    bob.set_screening(["pmid:1"], "excluded")
    Marks.open(lib_path, screener="cat").set_screening(["pmid:1"], "included", final=True)
    before = marks_path(lib_path).read_bytes()
    with pytest.raises(Resolved, match=r"^1 was resolved at title/abstract as included by cat"):
        Marks.open(lib_path, screener="bob").set_screening(["pmid:1"], "excluded")
    targets = [Target("2", ("pmid:2",)), Target("1", ("pmid:1",))]
    bob = Marks.open(lib_path, screener="bob")
    with pytest.raises(Resolved, match=r"^1 was resolved as cat: included: in a two-screener review"):
        screen(bob, targets, "excluded", change=True)
    assert marks_path(lib_path).read_bytes() == before  # (not even pmid:2)
    assert screen(bob, [targets[1]], "included").changed == []  # the resolution's own decision
    screen(Marks.open(lib_path, screener="dan"), [targets[1]], "excluded", final=True)
    assert Marks.open(lib_path).get(["pmid:1"]).screening == "excluded"
    # Records made after a resolution before this rule are ignored by the outcome.
    old = [d("included", "ann"), d("excluded", "bob"), d("excluded", "cat", final=True), d("included", "ann")]
    assert outcome(old, TA, paired=True).decision == "excluded"


def test_a_decision_is_checked() -> None:
    with pytest.raises(ValueError, match="full-text"):
        d("not-retrieved")
    with pytest.raises(ValueError, match="only an exclusion"):
        d("included", reason="why")
    with pytest.raises(ValueError, match="stage"):
        Decision("abstract", "included")  # type: ignore[arg-type]


def test_a_blind_screener_sees_their_own_decisions_and_resolutions() -> None:
    records = [d("included", "ann"), d("excluded", "bob", reason="wrong design")]
    assert Viewer("ann", blind=True).visible(records, TA) == ("included", "")
    assert Viewer("bob", blind=True).visible(records, TA) == ("excluded", "wrong design")
    assert Viewer("cat", blind=True).visible(records, TA) == (None, "")
    assert Viewer("cat", blind=False).visible(records, TA) == (None, "")  # a conflict: no outcome
    resolved = [*records, d("excluded", "cat", reason="wrong design", final=True)]
    assert Viewer("ann", blind=True).visible(resolved, TA) == ("excluded", "wrong design")


def test_decisions_and_their_reasons_are_one_record_in_one_write(lib_path: Path) -> None:
    ann = Marks.open(lib_path, screener="ann")
    ann.set_screening(["pmid:1"], "excluded", reason="  wrong   population ")
    data = json.loads(marks_path(lib_path).read_text())
    [record] = data["marks"]["1"]["decisions"]
    assert record["decision"] == "excluded" and record["reason"] == "wrong population"
    assert record["screener"] == "ann" and record["stage"] == TA and record["at"].endswith("Z")
    # The same decision again adds nothing; another reason is a new record.
    ann.set_screening(["pmid:1"], "excluded", reason="wrong population")
    ann.set_screening(["pmid:1"], "excluded", reason="wrong design")
    assert [r.reason for r in Marks.open(lib_path).get(["pmid:1"]).decisions] == [
        "wrong population",
        "wrong design",
    ]
    with pytest.raises(ValueError, match="only an exclusion"):
        ann.set_screening(["pmid:1"], "included", reason="x")


def test_a_named_screener_is_blind_by_default(lib_path: Path) -> None:
    Marks.open(lib_path, screener="ann").set_screening(["pmid:1"], "included")
    Marks.open(lib_path, screener="bob").set_screening(["pmid:1"], "excluded")
    assert Marks.open(lib_path, screener="ann").get(["pmid:1"]).screening == "included"
    assert Marks.open(lib_path, screener="bob").get(["pmid:1"]).screening == "excluded"
    assert Marks.open(lib_path, screener="cat").get(["pmid:1"]).screening is None
    unblind = Marks.open(lib_path, screener="ann", blind=False).get(["pmid:1"])
    assert unblind.screening is None  # a conflict
    assert [(c.stage, [v.screener for v in c.votes]) for c in conflicts(Marks.open(lib_path))] == [
        (TA, ["ann", "bob"])
    ]
    # The screener's name comes from the environment too.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PMBROWSE_SCREENER", "bob")
        assert Marks.open(lib_path).get(["pmid:1"]).screening == "excluded"
    Marks.open(lib_path, screener="cat").set_screening(
        ["pmid:1"], "excluded", reason="wrong design", final=True
    )
    assert conflicts(Marks.open(lib_path)) == []
    assert Marks.open(lib_path, screener="ann").get(["pmid:1"]).reason == "wrong design"


def test_screen_never_replaces_a_decision_silently(lib_path: Path) -> None:
    marks = Marks.open(lib_path)
    marks.set_screening(["pmid:1"], "included")
    before = marks_path(lib_path).read_bytes()
    targets = [Target("2", ("pmid:2",)), Target("1", ("pmid:1",))]
    with pytest.raises(DecisionChange, match=r"^1 is included: say --change to make it excluded \(wrong\)"):
        screen(marks, targets, "excluded", reason="wrong")
    assert marks_path(lib_path).read_bytes() == before  # not even the undecided one was written
    done = screen(marks, targets, "excluded", reason="wrong", change=True)
    assert done.changed == ["2", "1"] and done.before == {"2": "undecided", "1": "included"}
    assert screen(marks, targets, "excluded", reason="wrong").changed == []  # what they are already
    assert screen(marks, targets, None).changed == ["2", "1"]  # taking back is no replacement


def test_agreement_and_kappa_against_a_hand_computation(lib_path: Path) -> None:
    """Ten articles, two screeners. Title/abstract: both include 1-3, both exclude 4-7, ann includes
    and bob excludes 8-9, ann excludes and bob includes 10. p_o = 7/10; ann includes 5 of 10, bob 4 of
    10; p_e = 0.5 * 0.4 + 0.5 * 0.6 = 0.5; kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4."""
    ann, bob = Marks.open(lib_path, screener="ann"), Marks.open(lib_path, screener="bob")
    plan = {1: "ii", 2: "ii", 3: "ii", 4: "xx", 5: "xx", 6: "xx", 7: "xx", 8: "ix", 9: "ix", 10: "xi"}
    word = {"i": "included", "x": "excluded"}
    with ann.transaction():
        for n, pair in plan.items():
            ann.set_screening([f"pmid:{n}"], word[pair[0]])  # type: ignore[arg-type]
    with bob.transaction():
        for n, pair in plan.items():
            bob.set_screening([f"pmid:{n}"], word[pair[1]])  # type: ignore[arg-type]
    bob.set_screening(["pmid:11"], "included")  # decided by one only: not an item
    found = agreement(Marks.open(lib_path).all(), TA)
    assert (found.screeners, found.items, found.agreed, found.only_one) == (("ann", "bob"), 10, 7, 1)
    assert found.percent == pytest.approx(70.0) and found.expected == pytest.approx(0.5)
    assert found.kappa == pytest.approx(0.4)
    # A resolution is nobody's own decision: it changes no one's vote.
    Marks.open(lib_path, screener="ann").set_screening(["pmid:8"], "included", final=True)
    assert agreement(Marks.open(lib_path).all(), TA).kappa == pytest.approx(0.4)
    nothing = agreement(Marks.open(lib_path).all(), FT)
    assert nothing.screeners is None and nothing.kappa is None and nothing.percent is None
    alike = agreement(Marks.open(lib_path).all(), TA, ["ann", "bob"])
    assert alike.items == 10
    with pytest.raises(ValueError):
        agreement([], TA, ["ann", "ann"])


V1_MARKS = {
    "_meta": {"1": {"app": "pmbrowse", "schema": 1, "kind": "marks"}},
    "marks": {
        "1": {"keys": ["pmid:1"], "screening": "excluded", "updated": "2026-01-01T00:00:00Z"},
        "2": {"keys": ["pmid:2"], "screening": "included", "starred": True, "tags": ["a"], "note": "n"},
        "3": {"keys": ["pmid:3"], "starred": True},
    },
}
V1_SNOWBALL = {
    "_meta": {"1": {"app": "pmbrowse", "schema": 1, "kind": "snowball"}},
    "reasons": {"1": {"reason": "wrong population"}, "2": {"reason": "animal study"}},
    "exclusions": {
        "1": {"keys": ["pmid:1"], "reason": "animal study"},
        "2": {"keys": ["pmid:2"], "reason": "wrong population"},  # excluded once, included since
        "3": {"keys": ["pmid:4"], "reason": "wrong design"},  # excluded once, unmarked since
    },
    "rounds": {},
}


def test_version_1_files_are_migrated_once_losing_nothing(lib_path: Path) -> None:
    marks_path(lib_path).write_text(json.dumps(V1_MARKS))
    snowball_path(lib_path).write_text(json.dumps(V1_SNOWBALL))
    marks = Marks.open(lib_path)
    one, two, three = (marks.get([f"pmid:{n}"]) for n in (1, 2, 3))
    assert (one.screening, one.decisions[0].final, one.decisions[0].at) == (
        "excluded",
        True,
        "2026-01-01T00:00:00Z",
    )
    assert (two.screening, two.starred, two.tags, two.note) == ("included", True, ("a",), "n")
    assert three.starred and not three.decisions
    file = SnowballFile.open(lib_path)
    assert file.move_reasons(marks) == 3
    assert marks.get(["pmid:1"]).reason == "animal study" and marks.get(["pmid:1"]).screening == "excluded"
    two = marks.get(["pmid:2"])
    assert two.screening == "included" and [(r.decision, r.reason) for r in two.decisions] == [
        ("excluded", "wrong population"),
        ("included", ""),
    ]
    four = marks.get(["pmid:4"])
    assert four.screening is None and four.decisions[0].reason == "wrong design"
    state = file.load()
    assert state.exclusions == [] and state.reasons == ["wrong population", "animal study"]
    saved = json.loads(marks_path(lib_path).read_text())
    assert saved["_meta"]["1"]["schema"] == 2 and "screening" not in json.dumps(saved["marks"])
    assert json.loads(snowball_path(lib_path).read_text())["_meta"]["1"]["schema"] == 2
    # Killed between the two writes: the marks hold the reasons and the snowball file still lists them.
    # Moving them again changes no mark.
    snowball_path(lib_path).write_text(json.dumps(V1_SNOWBALL))
    before = marks_path(lib_path).read_bytes()
    assert SnowballFile.open(lib_path).move_reasons(Marks.open(lib_path)) == 3
    assert marks_path(lib_path).read_bytes() == before
    assert sorted(marks.reasons()) == ["animal study", "wrong design", "wrong population"]


def test_a_damaged_decision_is_refused_by_name(lib_path: Path) -> None:
    bad = {
        "_meta": {"1": {"app": "pmbrowse", "schema": 2, "kind": "marks"}},
        "marks": {"7": {"keys": ["pmid:1"], "decisions": [{"stage": "title-abstract", "decision": "maybe"}]}},
    }
    marks_path(lib_path).write_text(json.dumps(bad))
    from store.errors import LibraryFileError

    with pytest.raises(LibraryFileError, match=r"mark 7: a screening decision is one of"):
        Marks.open(lib_path)


def test_a_reason_is_one_line_of_text(lib_path: Path) -> None:
    marks = Marks.open(lib_path)
    mark = marks.set_screening(["pmid:1"], "excluded", reason="[bold]wrong[/]\x1b[31m \n population\x07")
    assert mark.reason == "[bold]wrong[/][31m population"
