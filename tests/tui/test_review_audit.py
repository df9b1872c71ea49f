"""The findings of the command-line audit of the review (issue 16), each from its repro: every test here
failed before its fix. The numbers are the audit's."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from store.marks import Marks, marks_path
from store.snowball.state import SnowballFile, snowball_path
from tests.conftest import DATA, ROOT
from tests.store.helpers import count_calls
from tests.tui.helpers import run
from tests.tui.test_review_cli import DEMO, REFS, report
from tui.cli import main


@pytest.fixture
def db(capsys, lib_path: Path) -> tuple[str, str]:
    """The demo library with its article included by the unnamed screener and one round kept."""
    db = ("--db", str(lib_path))
    assert run(capsys, *db, "mark", DEMO, "--include")[0] == 0
    assert run(capsys, *db, "snowball")[0] == 0
    return db


def test_1_the_seeds_are_the_reviews_included_set_whoever_runs_the_round(capsys, lib_path: Path) -> None:
    db = ("--db", str(lib_path))
    assert run(capsys, *db, "mark", DEMO, "--include")[0] == 0
    code, out, err = run(capsys, *db, "snowball", "--preview", "--screener", "A")
    assert code == 0, err
    assert out.startswith("Preview of round 1 · both · 1 seed (included)")
    # Two screeners: 40078652 included by both is a seed; 40036306, by ann alone, is not yet; nor is
    # the demo article, which the unnamed screener alone included (title/abstract is two-screener now)
    # until someone resolves it.
    for who in ("ann", "bob"):
        assert run(capsys, *db, "snowball", "include", "40078652", "--screener", who)[0] == 0
    assert run(capsys, *db, "snowball", "include", "40036306", "--screener", "ann")[0] == 0
    for who in ("ann", "bob", "", "cat"):
        code, out, _ = run(capsys, *db, "snowball", "--preview", "--screener", who)
        assert code == 0 and out.startswith("Preview of round 1 · both · 1 seed (included)"), who
    code, out, _ = run(capsys, *db, "snowball", "resolve", DEMO, "--as", "included", "--screener", "cat")
    assert code == 0
    code, out, _ = run(capsys, *db, "snowball", "--preview", "--screener", "bob")
    assert out.startswith("Preview of round 1 · both · 2 seeds (included)")


def test_5_a_change_is_checked_against_the_screeners_own_decision(capsys, db) -> None:
    a, b = ("--screener", "A"), ("--screener", "B")
    assert run(capsys, *db, "snowball", "include", "40078652", *a)[0] == 0
    assert run(capsys, *db, "snowball", "exclude", "40078652", "--reason", "r", *b)[0] == 0
    before = marks_path(db[1]).read_bytes()
    code, out, err = run(capsys, *db, "snowball", "exclude", "40078652", "--reason", "r2", *a, "--unblind")
    assert code == 2 and out == ""
    assert (
        err == "pmbrowse: 40078652 is included: say --change to make it excluded (r2); nothing was changed\n"
    )
    assert marks_path(db[1]).read_bytes() == before
    # A's first decision on an article B excluded replaces nothing of A's.
    assert run(capsys, *db, "snowball", "exclude", "40036306", "--reason", "r", *b)[0] == 0
    code, out, err = run(capsys, *db, "snowball", "include", "40036306", *a, "--unblind")
    assert (code, out) == (0, "included 1 article, by A\n"), err
    # The unnamed screener likewise: their first decision, whatever the review's outcome is.
    assert run(capsys, *db, "snowball", "exclude", "39963133", "--reason", "r", *a)[0] == 0
    code, out, err = run(capsys, *db, "snowball", "include", "39963133")
    assert (code, out) == (0, "included 1 article\n"), err


def test_12_agreement_pairs_the_named_screeners_and_unnamed_is_no_name(capsys, db) -> None:
    # The unnamed screener has decided most (the seed, and four more); ann, bob and cat three each.
    for pmid in ("40078652", "40036306", "39963133", "39985030"):
        assert run(capsys, *db, "snowball", "exclude", pmid, "--reason", "x")[0] == 0
    for who in ("cat", "bob", "ann"):  # (a tie falls to the names' order, not to who came first)
        for pmid in ("40078652", "40036306", "39963133"):
            assert run(capsys, *db, "snowball", "include", pmid, "--screener", who)[0] == 0
    code, out, _ = run(capsys, *db, "snowball", "agreement", "--json")
    ta = json.loads(out)[0]
    assert (ta["screeners"], ta["items"], ta["agreed"]) == (["ann", "bob"], 3, 3)
    code, out, err = run(capsys, *db, "snowball", "agreement", "--screeners", "ann", "unnamed", "--json")
    assert code == 0 and json.loads(out)[0]["screeners"] == ["ann", ""] and err == ""
    code, _, err = run(capsys, *db, "snowball", "agreement", "--screeners", "ann", "Zed")
    assert code == 0 and err == "pmbrowse: warning: 'Zed' has made no screening decision here\n"
    before = marks_path(db[1]).read_bytes()
    code, _, err = run(capsys, *db, "snowball", "include", "39985030", "--screener", "Unnamed")
    assert code == 2 and "'unnamed' is how decisions made without a screener's name are shown" in err
    assert marks_path(db[1]).read_bytes() == before


def test_13_a_conflict_is_not_already_screened(capsys, lib_path: Path) -> None:
    db = ("--db", str(lib_path))
    assert run(capsys, *db, "mark", DEMO, "--include")[0] == 0
    assert run(capsys, *db, "snowball", "include", "40078652", "--screener", "ann")[0] == 0
    assert run(capsys, *db, "snowball", "exclude", "40078652", "--screener", "bob")[0] == 0
    code, _, err = run(capsys, *db, "snowball")
    assert code == 1 and err == (
        "pmbrowse: no seeds: no article is included by the review (1 article included by one screener "
        "awaits the second: in a two-screener review an article needs both, or a resolution: pmbrowse "
        "snowball resolve ID --as included)\n"
    )
    assert run(capsys, *db, "snowball", "resolve", DEMO, "--as", "included")[0] == 0
    code, out, _ = run(capsys, *db, "snowball")
    assert code == 0 and "0 already screened" in out and "10 new" in out
    flow = report(capsys, db)
    assert flow["citation_searching"]["records"] == 10 and flow["citation_searching"]["conflicts"] == 1
    assert Marks.open(db[1]).get(["pmid:40078652"]).screening is None


def test_2a_a_round_run_after_a_drop_takes_the_dropped_rounds_screened_records(capsys, db) -> None:
    assert run(capsys, *db, "snowball", "exclude", "40078652", "--reason", "wrong population")[0] == 0
    assert run(capsys, *db, "snowball", "include", "40045380")[0] == 0
    code, out, _ = run(capsys, *db, "snowball", "drop", "1", "--yes")
    assert code == 0 and out == (
        "dropped round 1: its 10 new records no longer count (the decisions on 2 of them stay in the "
        "marks, 1 of them included)\n"
    )
    code, out, _ = run(capsys, *db, "snowball")
    # 40045380, included, is a seed now; 40078652, excluded as round 1's record, is round 2's.
    assert code == 0 and out.startswith(
        "Round 2 · both · 2 seeds (included) · 9 links identified, 0 duplicates, 0 already screened, "
        "0 found by earlier rounds, 9 new"
    )
    flow = report(capsys, db)["citation_searching"]
    assert (flow["records"], flow["records_screened"], flow["records_excluded_by_reason"]) == (
        9,
        1,
        {"wrong population": 1},
    )


def test_2b_a_drop_gives_a_later_rounds_screened_candidates_to_it(capsys, lib_path: Path) -> None:
    db = ("--db", str(lib_path))
    assert run(capsys, *db, "mark", DEMO, "--include")[0] == 0
    assert run(capsys, *db, "snowball", "--direction", "back")[0] == 0
    assert run(capsys, *db, "snowball", "exclude", "PMC2676194", "--reason", "wrong population")[0] == 0
    assert run(capsys, *db, "snowball", "include", "PMC2800221")[0] == 0
    code, out, _ = run(capsys, *db, "snowball", "--direction", "both")
    assert "1 already screened, 3 found by earlier rounds, 5 new" in out  # PMC2676194, round 1's
    flow = report(capsys, db)["citation_searching"]
    assert (flow["records"], flow["records_screened"]) == (10, 2)
    code, _, err = run(capsys, *db, "snowball", "drop", "1")
    assert code == 2 and err.startswith("pmbrowse: dropping round 1 (")
    assert err.endswith(
        "back, 1 seed, 5 new records: 1 would leave the flow (1 with decisions, 1 of them included), "
        "4 would become a later round's) is asked first on a terminal; say --yes to drop it here\n"
    )
    code, out, _ = run(capsys, *db, "snowball", "drop", "1", "--yes")
    assert out == (
        "dropped round 1: 1 of its 5 new records no longer counts, 4 are a later round's now (the "
        "decisions on 1 of them stay in the marks, 1 of them included)\n"
    )
    # Round 2 took the four, the excluded one with its decision; PMC2800221, a seed of round 2, left.
    flow = report(capsys, db)["citation_searching"]
    assert (flow["records"], flow["records_screened"], flow["records_excluded"]) == (9, 1, 1)
    [kept] = json.loads(run(capsys, *db, "snowball", "rounds", "--json")[1])["rounds"]
    assert (
        kept["round"],
        kept["already_screened"],
        kept["found_by_earlier_rounds"],
        kept["new_records"],
    ) == (
        2,
        0,
        0,
        9,
    )


def test_16_drop_says_what_is_wrong_with_its_argument(capsys, db) -> None:
    assert run(capsys, *db, "snowball", "drop", "1", "--yes")[0] == 0
    cases = {
        ("1", "2"): (2, "snowball drop takes one round at a time, not 2: 1 2"),
        ("abc",): (2, "'abc' is not a round number: pmbrowse snowball drop N"),
        ("1",): (1, "round 1 was dropped on "),
        ("7",): (1, "there is no citation chasing round 7 (rounds kept: none)"),
    }
    for words, (status, said) in cases.items():
        code, _, err = run(capsys, *db, "snowball", "drop", *words, "--yes")
        assert code == status and err.startswith(f"pmbrowse: {said}"), (words, err)


MEDLINE = DATA / "medline" / "36987902.txt"


def test_3_a_reference_managers_record_only_fills_gaps_in_pubmeds(capsys, tmp_path: Path) -> None:
    db = ("--db", str(tmp_path / "library.json"))
    assert run(capsys, *db, "import", str(MEDLINE))[0] == 0
    before = json.loads(run(capsys, *db, "show", "36987902", "--json")[1])
    table = tmp_path / "c.csv"
    table.write_text("Title,Authors,Published Year,PMID,Keywords\nThird,Doe J,2021,36987902,burns\n")
    ris = tmp_path / "x.ris"
    ris.write_text("TY  - JOUR\nTI  - Other title\nAU  - Casbon, J. A.\nAN  - 36987902\nER  - \n")
    code, out, err = run(capsys, *db, "import", str(table), str(ris))
    assert code == 0, err
    assert (
        "2 entries of 2 matched articles already in the library; all were records from PubMed, whose "
        "fields were kept (the entries only filled gaps)"
    ) in out
    after = json.loads(run(capsys, *db, "show", "36987902", "--json")[1])
    for name in ("title", "authors", "year", "journal"):
        assert after[name] == before[name], name
    assert len(before["authors"]) == 7 and "burns" in after["keywords"]  # (a gap: filled)
    # A reference manager's record over another's, or over a stub, still states its fields.
    code, out, _ = run(capsys, *db, "import", str(REFS / "zotero.ris"))
    again = tmp_path / "again.ris"
    again.write_text(
        "TY  - JOUR\nTI  - Visualizing, retitled\nDO  - 10.1002/jcb.22733\nER  - \n", encoding="utf-8"
    )
    assert run(capsys, *db, "import", str(again))[0] == 0
    assert json.loads(run(capsys, *db, "show", "10.1002/jcb.22733", "--json")[1])["title"] == (
        "Visualizing, retitled"
    )


def test_7_a_search_is_recorded_only_when_all_its_files_import(capsys, db, tmp_path: Path) -> None:
    listed = tmp_path / "l.txt"
    listed.write_text("16403221\nnot-an-id\n")
    code, out, _ = run(capsys, *db, "import", "--source", "List", str(listed))
    assert code == 2 and "database search 'List' was not recorded: its file was rejected" in out
    assert SnowballFile.open(db[1]).load().searches == []
    assert run(capsys, *db, "import", "--source", "Scopus", str(REFS / "zotero.ris"))[0] == 0
    cut = tmp_path / "cut.ris"
    cut.write_bytes((REFS / "endnote.ris").read_bytes()[:300])
    code, out, _ = run(capsys, *db, "import", "--source", "Scopus", str(REFS / "endnote.ris"), str(cut))
    assert code == 2 and "database search 'Scopus' was not recorded: 1 of its 2 files was rejected" in out
    [kept] = SnowballFile.open(db[1]).load().searches
    assert (kept.name, kept.files, len(kept.entries)) == ("Scopus", [str(REFS / "zotero.ris")], 2)
    assert SnowballFile.open(db[1]).load().pending == []


def _library_files(db: tuple[str, str]) -> dict[str, bytes]:
    """The library's files (its lock left out), by name."""
    folder = Path(db[1]).parent
    return {
        p.name: p.read_bytes() for p in folder.glob("library.json*") if p.is_file() and "lock" not in p.name
    }


def test_7_killed_while_recording_the_search_neither_the_records_nor_the_search_are_in(
    capsys, db, tmp_path: Path
) -> None:
    """Issue 20: a reference file's records and the search they make are one commit. (Before, the
    records were committed first and the search noted as pending: killed here, the records were in.)"""
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from store.snowball import state
        def slow(self, search):
            open({str(tmp_path / "imported")!r}, "w").write("")
            time.sleep(30)  # killed here: the search being recorded, the library not committed
        state.SnowballState.add_search = slow
        from tui.cli import main
        main(["--db", {db[1]!r}, "import", "--source", "PubMed 2026-12-01", {str(REFS / "endnote.ris")!r}])
        """
    )
    before = _library_files(db)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "imported").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (tmp_path / "imported").exists()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    code, out, _ = run(capsys, *db, "show", "40078652", "--json")
    assert code == 0 and json.loads(out)["stub"] is True  # the records are not in (the round's stub is)
    state = SnowballFile.open(db[1]).load()
    assert state.searches == [] and state.pending == []
    assert _library_files(db) == before
    code, out, _ = run(capsys, *db, "import", "--source", "PubMed 2026-12-01", str(REFS / "endnote.ris"))
    assert code == 0 and "database search 'PubMed 2026-12-01': 2 records from 1 file" in out
    assert json.loads(run(capsys, *db, "show", "40078652", "--json")[1])["stub"] is False
    assert report(capsys, db)["identification"]["database_results"] == 2


def test_7_a_search_an_earlier_version_left_pending_is_named_and_the_same_import_completes_it(
    capsys, db
) -> None:
    """Earlier versions committed a reference file's records first and noted the search as pending: a
    snowball file killed in between holds the note, which the report names and the import completes."""
    from store.snowball.state import Search

    pending = Search("PubMed 2026-12-01", "2026-12-01T10:00:00Z", [str(REFS / "endnote.ris")])
    SnowballFile.open(db[1]).change(lambda state: state.begin_search(pending))
    code, out, err = run(capsys, *db, "snowball", "report")
    assert code == 0 and err.startswith("pmbrowse: warning: the database search 'PubMed 2026-12-01' (begun ")
    assert "did not finish importing and counts nowhere" in " ".join(out.split())
    flow = report(capsys, db)
    assert flow["identification"]["database_results"] == 0 and flow["unfinished_searches"][0]["files"] == [
        str(REFS / "endnote.ris")
    ]
    code, out, _ = run(capsys, *db, "import", "--source", "PubMed 2026-12-01", str(REFS / "endnote.ris"))
    assert code == 0 and "database search 'PubMed 2026-12-01': 2 records from 1 file" in out
    state = SnowballFile.open(db[1]).load()
    assert [s.name for s in state.searches] == ["PubMed 2026-12-01"] and state.pending == []
    assert report(capsys, db)["identification"]["database_results"] == 2


def test_14_import_errors_name_the_line_and_empty_files_are_refused_alike(capsys, db, tmp_path: Path) -> None:
    files = {
        "l.txt": (
            b"16403221\n30992990\nnot-an-id\n",
            "l.txt, line 3: 'not-an-id' is not a PMID, PMCID or DOI",
        ),
        "n.csv": (b"pmid,title\n16403221,A\x00B\n", "n.csv, line 2: a NUL byte: binary data, not a table"),
        "c.bib": (b"@comment{hello}\n", "c.bib: no records in it"),
        "e.ris": (b"", "e.ris: the file is empty (no records in it)"),
        "e.bib": (b"\n  \n", "e.bib: the file is empty (no records in it)"),
    }
    before = {p: p.read_bytes() for p in Path(db[1]).parent.glob("library.json*") if p.is_file()}
    for name, (content, said) in files.items():
        path = tmp_path / name
        path.write_bytes(content)
        code, _, err = run(capsys, *db, "import", str(path))
        assert code == 2 and err.startswith(f"pmbrowse: rejected {tmp_path}/{said}"), err
        assert err.count("\n") == 1
    after = {p: p.read_bytes() for p in Path(db[1]).parent.glob("library.json*") if p.is_file()}
    assert after == before
    # A table without identifiers is a reference manager's records, as RIS entries without them are.
    table = tmp_path / "titles.csv"
    table.write_text("Title,Authors,Year\nA chapter with no identifier,Smolders J,2011\n")
    code, out, err = run(capsys, *db, "import", str(table))
    assert code == 0, err
    assert "1 entry without a PMID, kept as it is; --resolve looks it up online:" in out


def test_10_one_is_singular(capsys, db) -> None:
    assert run(capsys, *db, "snowball", "include", "40078652")[0] == 0
    for pmid in ("40036306", "39963133", "39985030", "40045380"):
        assert run(capsys, *db, "snowball", "exclude", pmid)[0] == 0
    for doi in ("10.1089/scd.2011.0560", "10.1371/journal.pone.0033115", "10.1002/jcb.22733", "PMC2800221"):
        assert run(capsys, *db, "snowball", "exclude", doi)[0] == 0
    out = run(capsys, *db, "snowball", "report")[1]
    said = " ".join(out.split())
    assert "citation searching: 1 record awaiting title/abstract screening" in said
    assert "citation searching: 1 report awaiting full-text assessment" in said


def test_9_included_is_the_studies_included_never_the_reports_awaiting_full_text(capsys, db) -> None:
    def pmids(*options: str) -> dict[str, dict[str, str]]:
        code, out, err = run(capsys, *db, "export", "-f", "csv", *options)
        assert code == 0, err
        return {r["pmid"]: r for r in csv.DictReader(io.StringIO(out))}

    assert run(capsys, *db, "snowball", "include", "40078652", "40036306")[0] == 0
    code, _, err = run(capsys, *db, "export", "-f", "csv", "--included")
    assert (code, err) == (
        1,
        "pmbrowse: nothing to export: the selection is empty (--included is the studies included at full "
        "text; 3 records included at title/abstract: --included --stage title-abstract)\n",
    )
    assert run(capsys, *db, "snowball", "include", "40078652", "--stage", "full-text")[0] == 0
    [study] = pmids("--included").values()
    assert (study["pmid"], study["decision"], study["stage"]) == ("40078652", "included", "full-text")
    sought = pmids("--included", "--stage", "title-abstract")
    assert set(sought) == {DEMO, "40078652", "40036306"}
    assert {(r["decision"], r["stage"]) for r in sought.values()} == {("included", "title-abstract")}
    assert set(pmids("--round", "1", "--stage", "title-abstract")) == {"40078652", "40036306"}
    assert set(pmids("--round", "1", "--included")) == {"40078652"}
    # One screener's decision awaiting the second has no decision yet, and says so.
    assert run(capsys, *db, "snowball", "exclude", "40036306", "--reason", "r", "--screener", "ann")[0] == 0
    assert run(capsys, *db, "snowball", "exclude", "40036306", "--reason", "r", "--screener", "bob")[0] == 0
    rows = pmids("--screened")
    assert (rows[DEMO]["decision"], rows[DEMO]["stage"], rows[DEMO]["screener"]) == (
        "awaiting",
        "title-abstract",
        "unnamed",
    )
    assert (rows["40036306"]["decision"], rows["40036306"]["screener"]) == ("conflict", "unnamed; ann; bob")


def test_11_control_characters_are_refused_where_typed_and_never_reach_output(
    capsys, db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = tmp_path / "l.txt"
    listed.write_text("40078652\n")
    before = (snowball_path(db[1]).read_bytes(), marks_path(db[1]).read_bytes())
    typed = [
        ("import", "--source", "[bold]Evil\x1b[31m, db; x", str(listed)),
        ("snowball", "exclude", "40036306", "--reason", "wrong\x1b[2J population"),
        ("snowball", "resolve", "40036306", "--as", "excluded", "--reason", "a\x00b"),
        ("mark", "40036306", "--exclude", "--reason", "x\u202ey"),
        ("snowball", "include", "40036306", "--screener", "x\x1b[31my"),
        ("mark", "40036306", "--include", "--screener", "x\x07"),
    ]
    for args in typed:
        code, out, err = run(capsys, *db, *args)
        assert code == 2 and out == "" and err.count("\n") == 1 and "control character" in err, args
        assert "\x1b" not in err and "\x00" not in err and "\u202e" not in err
    monkeypatch.setenv("PMBROWSE_SCREENER", "ann\x1b]0;title\x07")
    code, _, err = run(capsys, *db, "snowball", "include", "40036306")
    assert code == 2 and err.startswith("pmbrowse: PMBROWSE_SCREENER: a screener's name holds a control")
    monkeypatch.delenv("PMBROWSE_SCREENER")
    assert (snowball_path(db[1]).read_bytes(), marks_path(db[1]).read_bytes()) == before
    assert (
        run(capsys, *db, "import", "--source", "[bold]Evil, db; x", str(listed))[0],
        run(capsys, *db, "snowball", "exclude", "40036306", "--reason", "wrong population")[0],
    ) == (0, 0)
    # Files written before names were checked: nothing reaches a report or an export raw.
    data = json.loads(snowball_path(db[1]).read_text())
    data["searches"]["1"]["name"] = "Evil\x1b[31m"
    snowball_path(db[1]).write_text(json.dumps(data))
    marks = json.loads(marks_path(db[1]).read_text())
    for mark in marks["marks"].values():
        for record in mark.get("decisions", ()):
            if record.get("reason"):
                record["reason"] = "wrong\x1b[2J population"
    marks_path(db[1]).write_text(json.dumps(marks))
    for fmt in ("txt", "csv", "svg", "json"):
        code, out, _ = run(capsys, *db, "snowball", "report", "--format", fmt)
        assert code == 0 and "\x1b" not in out and "Evil" in out, fmt
    for fmt in ("csv", "ris", "bibtex", "csl-json"):
        code, out, _ = run(capsys, *db, "export", "-f", fmt, "--screened")
        assert code == 0 and "\x1b" not in out and "population" in out, fmt
    for args in (("conflicts",), ("rounds",), ("agreement",), ("--preview",)):
        code, out, _ = run(capsys, *db, "snowball", *args)
        assert "\x1b" not in out, args
    code, out, _ = run(capsys, *db, "show", "40036306")
    assert code == 0 and "\x1b" not in out and "wrong␛[2J population" in out


def test_6_an_article_without_an_identifier_is_screened_by_a_search(capsys, db, tmp_path: Path) -> None:
    chapter = tmp_path / "chapter.ris"
    chapter.write_text(
        "TY  - CHAP\nTI  - Smolders J, Hupperts R: vitamin D\nAU  - Smolders, J\nPY  - 2011\nER  - \n"
    )
    assert run(capsys, *db, "import", str(chapter))[0] == 0
    code, _, err = run(capsys, *db, "snowball", "exclude", "Smolders J, Hupperts R", "--reason", "x")
    assert code == 2 and err == (
        "pmbrowse: 'Smolders J, Hupperts R' is not a PMID, PMCID or DOI; an article without one is named "
        "by a search: --from 'words of its title[ti]'\n"
    )
    code, out, _ = run(capsys, *db, "snowball", "exclude", "--from", "smolders[ti]", "--reason", "x")
    assert (code, out) == (0, "excluded 1 article: x\n")
    # A candidate known only by its citation text: the round's list says how to screen it.
    assert run(capsys, *db, "import", str(DATA / "pubmed_xml" / "variants.xml"))[0] == 0
    code, out, _ = run(capsys, *db, "snowball", "--ids", "1000102", "--direction", "back")
    assert code == 0
    row = out[out.index("A report with no identifiers") :]
    assert "no PMID, PMCID or DOI: screen it by a search, --from 'WORDS[ti]'" in row.splitlines()[1]
    code, out, _ = run(capsys, *db, "snowball", "exclude", "--from", "report identifiers", "--reason", "x")
    assert (code, out) == (0, "excluded 1 article: x\n")
    assert report(capsys, db)["citation_searching"]["records_excluded"] == 1


def test_16_svg_help_and_options_that_say_two_things(capsys, db) -> None:
    assert (
        run(capsys, *db, "snowball", "exclude", "40036306", "--stage", "full-text", "--reason", "why")[0] == 0
    )
    code, out, _ = run(capsys, *db, "snowball", "report", "--format", "svg")
    svg = ET.fromstring(out)
    texts = {t.text: float(t.get("x", 0)) for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert "  why (n = 1)" not in texts and texts["why (n = 1)"] > texts["Reports excluded (n = 1)"]
    code, out, _ = run(capsys, *db, "snowball", "report", "--json", "--format", "csv")
    assert code == 2
    with pytest.raises(SystemExit):
        main(["--db", db[1], "snowball", "drop", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: pmbrowse snowball drop N [--yes]\n") and "Remove round N" in out
    with pytest.raises(SystemExit):
        main(["--db", db[1], "snowball", "agreement", "--help"])
    assert capsys.readouterr().out.startswith("usage: pmbrowse snowball agreement [--screeners A B]")
    code, _, err = run(capsys, *db, "mark", "40078652", "--not-retrieved", "--stage", "title-abstract")
    assert code == 2 and "not-retrieved is a full-text decision" in err


def test_16_mark_replaces_a_different_decision_only_with_change_as_snowball_does(capsys, db) -> None:
    before = marks_path(db[1]).read_bytes()
    code, out, err = run(capsys, *db, "mark", DEMO, "--exclude", "--reason", "wrong design")
    assert (code, out) == (2, "") and err == (
        f"pmbrowse: {DEMO} is included, a seed of round 1: say --change to make it excluded (wrong design); "
        "nothing was changed\n"
    )
    assert marks_path(db[1]).read_bytes() == before
    code, out, _ = run(capsys, *db, "mark", DEMO, "--exclude", "--reason", "wrong design", "--change")
    assert code == 0 and "screening: excluded (wrong design) at title/abstract · was included" in out
    # Its first decision, or the one it has already, replaces nothing: no --change needed.
    assert run(capsys, *db, "mark", "40036306", "--include")[0] == 0
    assert run(capsys, *db, "mark", "40036306", "--include")[0] == 0
    code, _, err = run(capsys, *db, "mark", DEMO, "--star", "--change")
    assert code == 2 and "--change goes with --include" in err


def test_a_blind_screeners_list_says_whose_decisions_it_leaves_out(capsys, db) -> None:
    assert run(capsys, *db, "snowball", "include", "40036306", "40078652", "--screener", "ann")[0] == 0
    assert run(capsys, *db, "snowball", "include", "40036306", "--screener", "bob")[0] == 0
    assert run(capsys, *db, "snowball", "resolve", DEMO, "--as", "included", "--screener", "cat")[0] == 0
    code, out, _ = run(capsys, *db, "snowball", "--preview", "--screener", "ann")
    # 40078652 is ann's alone, awaiting bob: not "already screened" (the line above says 0 are).
    assert code == 0 and ", 0 already screened, " in out
    assert out.endswith("\n1 decided by ann already, not listed\n")
    code, out, _ = run(capsys, *db, "snowball", "--preview", "--screener", "bob")
    assert code == 0 and "40078652" in out and "not listed" not in out


def test_4_deciding_on_many_articles_reads_each_decision_once(
    capsys, lib_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One command deciding on n articles costs in proportion to n: the marks are indexed and their
    decision records read once, not again after every article (10,000 ids took 414 s; counted here,
    not timed)."""
    from store.snowball.screening import Decision

    n = 300
    medline = tmp_path / "many.txt"
    medline.write_text("".join(f"PMID- {20000000 + i}\nTI  - Article {i}\nDP  - 2020\n\n" for i in range(n)))
    db = ("--db", str(lib_path))
    assert run(capsys, *db, "import", str(medline))[0] == 0
    ids = [str(20000000 + i) for i in range(n)]
    assert run(capsys, *db, "snowball", "include", *ids)[0] == 0
    reads = count_calls(monkeypatch, Decision, "from_doc")  # (its class's, as the classmethod is)
    code, out, _ = run(capsys, *db, "snowball", "exclude", *ids, "--reason", "r", "--change")
    assert code == 0 and out.startswith(f"excluded {n} articles: r\n")
    assert 0 < reads[0] <= 2 * n  # (each mark's one record read once when the file is read; 45,000 before)
    assert len(Marks.open(db[1]).all()) == n


def test_9_ris_and_bibtex_keep_tags_notes_and_mesh_headings(capsys, db) -> None:
    import bibtexparser
    import rispy

    assert run(capsys, *db, "import", str(DATA / "pubmed_xml" / "variants.xml"))[0] == 0
    assert run(capsys, *db, "mark", "1000101", "--tag", "to-read", "--note", "Check figure 2")[0] == 0
    assert run(capsys, *db, "snowball", "exclude", "1000101", "--reason", "wrong population")[0] == 0
    headings = {"Aging/physiology", "Intestinal Mucosa/cytology/physiology"}
    for options, review in ((("--ids", "1000101"), False), (("--excluded",), True)):
        code, out, _ = run(capsys, *db, "export", "-f", "ris", *options)
        assert code == 0
        [record] = rispy.loads(out)
        assert {"to-read", *headings} <= set(record["keywords"])
        assert record["notes"][0] == "Check figure 2"
        code, out, _ = run(capsys, *db, "export", "-f", "bibtex", *options)
        assert code == 0
        [entry] = bibtexparser.parse_string(out).entries
        keywords = entry.fields_dict["keywords"].value
        assert all(word in keywords for word in ("to-read", *headings))
        assert entry.fields_dict["note"].value.startswith("Check figure 2")
        # An export of the review adds its decision to both.
        assert ("pmbrowse:excluded" in record["keywords"]) == review
        assert ("pmbrowse review: excluded at title/abstract (wrong population)" in out) == review
