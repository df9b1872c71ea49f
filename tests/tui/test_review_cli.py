"""A review from the command line: decisions with reasons in one write, rounds the reviewer controls,
two screeners, and the PRISMA 2020 report in every format. Each defect of issue 16 named here had its
test fail before its fix."""

from __future__ import annotations

import csv
import errno
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
from store.wholefile import WholeFileStorage
from tests.conftest import DATA, ROOT
from tests.store.snowball.graph import build
from tests.tui.helpers import run
from tui.commands.base import LEFT_AS_IT_WAS

DEMO = "30992990"
# The references files' records on tubular microvesicles (one without identifiers), excluded by a search.
EXCLUDE_TUBULAR = (
    "snowball",
    "exclude",
    "--from",
    "microvesicles tubular[ti]",
    "--reason",
    "wrong population",
)


@pytest.fixture
def demo(capsys, lib_path: Path) -> tuple[str, str]:
    """The demo library with its article included and one round kept."""
    db = ("--db", str(lib_path))
    assert run(capsys, *db, "mark", DEMO, "--include")[0] == 0
    assert run(capsys, *db, "snowball")[0] == 0
    return db


def report(capsys, db: tuple[str, str]) -> dict:
    code, out, err = run(capsys, *db, "snowball", "report", "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_defect_7_an_old_reason_never_comes_back(capsys, demo) -> None:
    db = demo
    assert run(capsys, *db, "snowball", "exclude", "40036306", "--reason", "wrong population")[0] == 0
    assert run(capsys, *db, "mark", "40036306", "--include", "--change")[0] == 0
    code, out, _ = run(capsys, *db, "mark", "40036306", "--exclude", "--change")
    assert code == 0 and "screening: excluded at title/abstract · was included" in out
    assert report(capsys, db)["citation_searching"]["records_excluded_by_reason"] == {"no reason given": 1}
    # The history keeps every decision, with its reason.
    mark = Marks.open(db[1]).get(["pmid:40036306"])
    assert [(r.decision, r.reason) for r in mark.decisions] == [
        ("excluded", "wrong population"),
        ("included", ""),
        ("excluded", ""),
    ]


def test_defect_8_excluding_an_included_seed_is_refused_unless_changed(capsys, demo) -> None:
    db = demo
    before = marks_path(db[1]).read_bytes()
    code, out, err = run(capsys, *db, "snowball", "exclude", "40036306", DEMO, "--reason", "wrong design")
    assert code == 2 and out == ""
    assert err == (
        f"pmbrowse: {DEMO} is included, a seed of round 1: say --change to make it excluded (wrong design); "
        "nothing was changed\n"
    )
    assert marks_path(db[1]).read_bytes() == before  # not even 40036306
    code, out, _ = run(
        capsys, *db, "snowball", "exclude", "40036306", DEMO, "--reason", "wrong design", "--change"
    )
    assert code == 0 and out == f"excluded 2 articles: wrong design\n{DEMO} was included\n"


def test_a_decision_and_its_reason_commit_together_or_not_at_all(tmp_path: Path, capsys, demo) -> None:
    """Issue 20.2: ``snowball exclude`` killed mid-way left marks excluded without their reasons (the
    reasons were a second file). Now the marks file is written once: killed after that write, every
    article is excluded with its reason; killed before it, none is."""
    db = demo
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from store import wholefile
        real = wholefile.WholeFileStorage._flush
        def slow(self):
            real(self)
            open({str(tmp_path / "wrote")!r}, "a").write(self.path.name + "\\n")
            time.sleep(30)  # killed here, after the first write of any file
        wholefile.WholeFileStorage._flush = slow
        from tui.cli import main
        main(["--db", {db[1]!r}, "snowball", "exclude", "40036306", "40078652", "39963133",
              "--reason", "wrong population"])
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "wrote").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (tmp_path / "wrote").exists()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    marks = Marks.open(db[1])
    states = [
        (marks.get([f"pmid:{p}"]).screening, marks.get([f"pmid:{p}"]).reason)
        for p in ("40036306", "40078652", "39963133")
    ]
    assert states == [("excluded", "wrong population")] * 3


def test_a_full_disk_changes_nothing_or_everything(capsys, demo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 20.2: on a full disk, ``snowball exclude`` and a multi-change ``mark`` exited "No space left"
    *after* changing the marks file (the disk had room for one small write, not for the next)."""
    db = demo
    real = WholeFileStorage._flush
    flushes: list[str] = []

    def full_after_one(self: WholeFileStorage) -> None:
        flushes.append(self.path.name)
        if len(flushes) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
        real(self)

    monkeypatch.setattr(WholeFileStorage, "_flush", full_after_one)
    code, _, err = run(capsys, *db, "snowball", "exclude", "40036306", "40078652", "--reason", "wrong design")
    assert code == 0, err
    marks = Marks.open(db[1])
    for pmid in ("40036306", "40078652"):
        assert (marks.get([f"pmid:{pmid}"]).screening, marks.get([f"pmid:{pmid}"]).reason) == (
            "excluded",
            "wrong design",
        )
    flushes.clear()
    code, _, err = run(capsys, *db, "mark", "39963133", "--star", "--tag", "t", "--exclude", "--note", "n")
    assert code == 0, err
    mark = Marks.open(db[1]).get(["pmid:39963133"])
    assert (mark.starred, mark.tags, mark.screening, mark.note) == (True, ("t",), "excluded", "n")

    # No room at all: exit 3, one line, neither file changed.
    files = {p: p.read_bytes() for p in (marks_path(db[1]), snowball_path(db[1]))}
    flushes.append("full")
    code, out, err = run(capsys, *db, "snowball", "exclude", "39985030", "--reason", "x")
    assert code == 3 and out == "" and err.count("\n") == 1
    assert err == f"pmbrowse: No space left on device ({marks_path(db[1])}); {LEFT_AS_IT_WAS}\n"
    code, _, err = run(capsys, *db, "mark", "39985030", "--star", "--tag", "t", "--exclude", "--note", "n")
    assert code == 3 and "No space left on device" in err
    assert {p: p.read_bytes() for p in files} == files


def test_a_mark_with_several_changes_is_one_write(capsys, demo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 20.1: ``mark ID --star --tag T --include --note N`` wrote the file once per change."""
    writes: list[str] = []
    real = WholeFileStorage._flush

    def counting(self: WholeFileStorage) -> None:
        writes.append(self.path.name)
        real(self)

    monkeypatch.setattr(WholeFileStorage, "_flush", counting)
    code, out, _ = run(
        capsys, *demo, "mark", "40036306", "--star", "--tag", "a", "--tag", "b", "--exclude", "--reason",
        "wrong design", "--note", "see page 4",
    )  # fmt: skip
    assert code == 0 and writes == ["library.marks.json"]
    assert "★ starred · screening: excluded (wrong design) at title/abstract" in out


def test_defects_12_13_16_seed_links_are_said_tables_are_whole_counts_are_singular(
    capsys, lib_path: Path
) -> None:
    build(lib_path)  # seeds 1 2 3 included; 1 cites 2: links between seeds
    db = ("--db", str(lib_path))
    code, out, _ = run(capsys, *db, "snowball", "--direction", "forward")
    # Forward: S1 is cited by 20 and 22, S2 by 20 again and by S1 (a link between seeds), S3 by 21.
    assert code == 0 and out.startswith(
        "Round 1 · forward · 3 seeds (included) · 4 links identified, 1 duplicate, 0 already screened"
    )
    assert "(1 link between seeds, not counted)" in out
    state = report(capsys, db)
    assert state["identification"]["citation_links_between_seeds"] == 1
    code, out, _ = run(capsys, *db, "snowball", "report")
    assert "Note: 1 link between seeds was not counted as a record." in out
    # Into a pipe, a long title stays on one line of the table (it was wrapped at ~94 columns).
    long_title = "A title of a hundred and twenty characters " * 3
    from store.library import Library
    from store.model import Article, Origin

    library = Library.open(lib_path)
    with library.transaction() as changes:
        changes.put_article(Article(pmid="99", title=long_title.strip(), references=[]), Origin("test"))
        from store.model import Link

        changes.put_links(Link(pmid="1"), "cited_by", [Link(pmid="99")])
    code, out, _ = run(capsys, *db, "snowball", "--direction", "forward", "--preview")
    assert code == 0 and any(long_title.strip() in line for line in out.splitlines())


def test_defect_16_one_deleted_citation(capsys, lib_path: Path) -> None:
    code, out, _ = run(
        capsys, "--db", str(lib_path), "import", str(DATA / "pubmed_xml" / "baseline_style.xml")
    )
    assert code == 0 and "skipped 1 deleted citation" in out and "1 deleted citations" not in out


def test_rounds_drop_and_preview(capsys, lib_path: Path) -> None:
    build(lib_path)
    db = ("--db", str(lib_path))
    # A preview counts nowhere.
    code, out, _ = run(capsys, *db, "snowball", "--preview")
    assert code == 0 and out.startswith("Preview of round 1") and "not kept: it counts nowhere" in out
    assert not snowball_path(lib_path).exists()
    code, _, err = run(capsys, *db, "snowball", "report")
    assert code == 1 and "nothing to report yet" in err
    # Two rounds: back, then forward from the same seeds (what the first found is "earlier" there).
    assert run(capsys, *db, "snowball", "--direction", "back")[0] == 0
    assert run(capsys, *db, "snowball", "--direction", "forward")[0] == 0
    code, out, _ = run(capsys, *db, "snowball", "rounds", "--json")
    rounds = json.loads(out)["rounds"]
    assert [(r["round"], r["direction"], r["new_records"]) for r in rounds] == [
        (1, "back", 4),
        (2, "forward", 3),
    ]
    # Drop asks on a terminal; here it wants --yes.
    code, _, err = run(capsys, *db, "snowball", "drop", "1")
    assert code == 2 and "say --yes" in err
    code, _, err = run(capsys, *db, "snowball", "drop", "7", "--yes")
    assert code == 1 and "no citation chasing round 7 (rounds kept: 1, 2)" in err
    code, out, _ = run(capsys, *db, "snowball", "drop", "1", "--yes")
    assert code == 0 and out == "dropped round 1: its 4 new records no longer count\n"
    state = SnowballFile.open(lib_path).load()
    assert [r.number for r in state.rounds] == [2] and state.dropped[0].number == 1
    flow = report(capsys, db)
    assert flow["identification"]["citations_results"] == 3
    # The next round is 3: a dropped round's number is never given again.
    assert run(capsys, *db, "snowball", "--direction", "back")[0] == 0
    assert [r.number for r in SnowballFile.open(lib_path).load().rounds] == [2, 3]
    code, out, _ = run(capsys, *db, "snowball", "rounds")
    assert "round 1 (" in out and "was dropped on" in out


def test_two_screeners_conflicts_resolution_and_agreement(capsys, demo) -> None:
    db = demo
    ann, bob = ("--screener", "ann"), ("--screener", "bob")
    assert run(capsys, *db, "snowball", "include", "40036306", "40078652", *ann)[0] == 0
    assert run(capsys, *db, "snowball", "include", "40036306", *bob)[0] == 0
    code, out, _ = run(capsys, *db, "snowball", "exclude", "40078652", "--reason", "wrong outcome", *bob)
    assert code == 0 and out == "excluded 1 article: wrong outcome, by bob\n"  # blind: ann's unseen
    code, out, _ = run(capsys, *db, "snowball", "conflicts", "--json")
    [conflict] = json.loads(out)
    assert conflict["article"] == "40078652" and conflict["stage"] == "title-abstract"
    assert [(v["screener"], v["decision"]) for v in conflict["decisions"]] == [
        ("ann", "included"),
        ("bob", "excluded"),
    ]
    code, out, _ = run(capsys, *db, "snowball", "conflicts")
    assert "1 conflict" in out and "ann: included; bob: excluded (wrong outcome)" in out
    code, out, _ = run(capsys, *db, "snowball", "agreement", "--json")
    ta = json.loads(out)[0]
    assert (ta["screeners"], ta["items"], ta["agreed"], ta["percent_agreement"]) == (
        ["ann", "bob"],
        2,
        1,
        50.0,
    )
    # p_e: ann includes 2/2, bob 1/2: 1 * 0.5 + 0 * 0.5 = 0.5; kappa (0.5 - 0.5) / 0.5 = 0.
    assert ta["kappa"] == 0.0
    code, out, _ = run(
        capsys,
        *db,
        "snowball",
        "resolve",
        "40078652",
        "--as",
        "excluded",
        "--reason",
        "wrong outcome",
        "--screener",
        "cat",
    )
    assert code == 0 and out == "resolved 1 article: excluded (wrong outcome), by cat\n"
    assert json.loads(run(capsys, *db, "snowball", "conflicts", "--json")[1]) == []
    mark = Marks.open(db[1], screener="ann").get(["pmid:40078652"])
    assert (mark.screening, mark.reason, mark.decisions[-1].screener, mark.decisions[-1].final) == (
        "excluded",
        "wrong outcome",
        "cat",
        True,
    )


def test_the_report_in_every_format(capsys, demo, tmp_path: Path) -> None:
    db = demo
    run(capsys, *db, "snowball", "exclude", "40036306", "--reason", "wrong population, adults")
    run(capsys, *db, "snowball", "include", "40078652", "39963133")
    run(capsys, *db, "snowball", "include", "40078652", "--stage", "full-text")
    run(capsys, *db, "snowball", "not-retrieved", "39963133")
    code, out, _ = run(capsys, *db, "snowball", "report", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["data", "node", "box", "description", "boxtext", "tooltips", "url", "n"]
    n = {r["data"]: r["n"] for r in rows if r["data"] != "NA"}
    assert (n["citations_results"], n["other_sought_reports"], n["other_notretrieved_reports"]) == (
        "10",
        "2",
        "1",
    )
    assert (n["other_assessed"], n["new_studies"], n["total_studies"], n["database_results"]) == (
        "1",
        "1",
        "1",
        "0",
    )
    assert n["other_excluded"] == "None, 0" and n["database_specific_results"] == "None, 0"
    target = tmp_path / "flow.svg"
    code, _, err = run(capsys, *db, "snowball", "report", "--format", "svg", "-o", str(target))
    assert code == 0 and "wrote the PRISMA 2020 flow (svg)" in err
    svg = ET.parse(target).getroot()
    texts = [t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    joined = " ".join(t.strip() for t in texts)
    assert "Reports not retrieved (n = 1)" in joined and "New studies included in review (n = 1)" in joined
    code, out, _ = run(capsys, *db, "snowball", "report", "--format", "txt")
    assert "Reports not retrieved (n = 1)" in out and "wrong population" not in out  # (title/abstract)


REFS = DATA / "references"


def test_database_searches_form_the_other_arm_of_the_flow(capsys, demo) -> None:
    db = demo  # the demo article included, round 1 kept (its 10 links)
    code, out, err = run(
        capsys,
        *db,
        "import",
        str(REFS / "endnote.ris"),
        str(REFS / "covidence.csv"),
        "--source",
        "PubMed 2026-12-01",
    )
    assert code == 0, err
    assert "database search 'PubMed 2026-12-01': 3 records from 2 files" in out
    assert "1 entry without a PMID, kept as it is; --resolve looks it up online:" in out
    assert f"{REFS / 'endnote.ris'} record 2: Mesenchymal stem cell-derived microvesicles" in out
    code, out, _ = run(capsys, *db, "import", str(REFS / "zotero.ris"), "--source", "Embase 2026-12-01")
    assert code == 0
    # The same search imported again replaces itself: nothing counted twice.
    code, out, _ = run(capsys, *db, "import", str(REFS / "zotero.ris"), "--source", "Embase 2026-12-01")
    assert "(it replaces the search of that name imported before)" in out
    flow = report(capsys, db)
    ident = flow["identification"]
    assert ident["databases"] == [
        {"name": "PubMed 2026-12-01", "records": 3},
        {"name": "Embase 2026-12-01", "records": 2},
    ]
    assert (ident["database_results"], ident["duplicates"]) == (5, 1)  # Li is in both PubMed files
    # Round 1 met 40078652, 40036306 and 10.1002/jcb.22733 too: they count in the databases arm.
    assert flow["rounds"][0]["found_by_database_searches"] == 3 and ident["citations_results"] == 7
    assert flow["databases_and_registers"]["records"] == 4
    # Screening both arms, both stages.
    db_records = ["40078652", "40036306", "10.1002/jcb.22733"]
    assert run(capsys, *db, "snowball", "include", *db_records[:2])[0] == 0
    assert run(capsys, *db, "snowball", "exclude", db_records[2], "--reason", "wrong population")[0] == 0
    assert run(capsys, *db, "snowball", "include", "40078652", "--stage", "full-text")[0] == 0
    assert (
        run(
            capsys,
            *db,
            "snowball",
            "exclude",
            "40036306",
            "--stage",
            "full-text",
            "--reason",
            "wrong outcome",
        )[0]
        == 0
    )
    code, out, _ = run(capsys, *db, "snowball", "report", "--format", "csv")
    n = {r["data"]: r["n"] for r in csv.DictReader(io.StringIO(out)) if r["data"] != "NA"}
    assert {k: n[k] for k in ("database_results", "duplicates", "records_screened", "records_excluded")} == {
        "database_results": "5",
        "duplicates": "1",
        "records_screened": "3",
        "records_excluded": "1",
    }
    assert (n["dbr_sought_reports"], n["dbr_assessed"], n["dbr_excluded"], n["new_studies"]) == (
        "2",
        "2",
        "wrong outcome, 1",
        "1",
    )
    assert n["database_specific_results"] == "PubMed 2026-12-01, 3; Embase 2026-12-01, 2"
    assert n["citations_results"] == "7"


def test_import_resolve_online(capsys, lib_path: Path, server, monkeypatch: pytest.MonkeyPatch) -> None:
    from store.online import idconv
    from store.online.ratelimit import RateLimiter
    from tests.store.snowball.test_intake import ecitmatch_route, idconv_route

    monkeypatch.setenv("PMBROWSE_EUTILS_URL", server.eutils_url)
    monkeypatch.setenv("PMBROWSE_IDCONV_URL", server.url + "/idconv/")
    monkeypatch.setattr(idconv, "shared_limiter", lambda service, rate: RateLimiter(1000))
    monkeypatch.setattr("store.online.session.shared_limiter", lambda service, rate: RateLimiter(1000))
    server.route("idconv/", idconv_route)
    server.route("eutils/ecitmatch.cgi", ecitmatch_route)
    db = ("--db", str(lib_path))
    code, out, err = run(
        capsys, *db, "import", str(REFS / "seeds.txt"), str(REFS / "endnote.ris"), "--resolve"
    )
    assert code == 0, err
    assert "2 entries given a PMID online" in out and "without a PMID" not in out
    code, out, err = run(capsys, *db, "import", str(DATA / "pubmed_xml" / "baseline_style.xml"), "--resolve")
    assert code == 2 and "--resolve looks up the entries of RIS, BibTeX, CSV or identifier lists" in err


def test_defect_10_exports_carry_the_decision_and_how_it_was_found(capsys, demo) -> None:
    db = demo
    run(capsys, *db, "snowball", "exclude", "40036306", "--reason", "wrong population")
    run(capsys, *db, "snowball", "include", "40078652", "--screener", "ann")
    code, out, err = run(
        capsys,
        *db,
        "export",
        "-f",
        "csv",
        "--round",
        "1",
        "--included",
        "--excluded",
        "--stage",
        "title-abstract",
    )
    assert code == 0, err  # (--round N --included was refused)
    rows = {r["pmid"]: r for r in csv.DictReader(io.StringIO(out))}
    assert set(rows) == {"40036306", "40078652"}
    assert (
        rows["40036306"]["reason"] == "wrong population"
        and rows["40036306"]["found_via"] == f"forward from {DEMO}"
    )
    assert (rows["40078652"]["decision"], rows["40078652"]["screener"], rows["40078652"]["round"]) == (
        "included",
        "ann",
        "1",
    )
    # Every article included at title/abstract, provenance and decision together (the seed too).
    code, out, _ = run(capsys, *db, "export", "-f", "ris", "--included", "--stage", "title-abstract")
    import rispy

    records = {r["accession_number"]: r for r in rispy.loads(out)}
    assert set(records) == {DEMO, "40078652"}
    assert records["40078652"]["notes"] == [
        f"pmbrowse review: included at title/abstract by ann on {rows['40078652']['decided_at']}; round 1; "
        f"forward from {DEMO}"
    ]
    assert "pmbrowse:included" in records[DEMO]["keywords"]
    code, _, err = run(capsys, *db, "export", "-f", "csv", "--included", "--starred")
    assert code == 2 and "these combine" in err
    code, out, _ = run(capsys, *db, "export", "-f", "csv", "--round", "1", "--screened")
    assert {r["pmid"] for r in csv.DictReader(io.StringIO(out))} == {"40036306", "40078652"}


def test_defect_9_a_default_export_name_names_its_selection_and_never_overwrites(tmp_path: Path) -> None:
    from store.export.write import default_export_path, write_new_file
    from store.selection import selection_label

    labels = {
        selection_label(article="30992990"),
        selection_label(article="10.1186/s13287-025-04228-2"),
        selection_label(starred=True),
        selection_label(tag="To read"),
        selection_label(trail=True),
        selection_label(decisions=["included"]),
        selection_label(round_number=2, decisions=["included"]),
        selection_label(query="exosom* AND 2019:2025[dp]"),
        selection_label(ids=["30992990", "40078652", "40036306"]),
    }
    assert labels == {
        "pmid-30992990",
        "10-1186-s13287-025-04228-2",
        "starred",
        "tag-to-read",
        "trail",
        "included",
        "round-2-included",
        "search-exosom-and-2019-2025-dp",
        "ids-30992990-and-2-more",
    }
    first = default_export_path(tmp_path, "included", "ris")
    assert first == tmp_path / "pmbrowse-included.ris"
    write_new_file("one", first)
    second = default_export_path(tmp_path, "included", "ris")
    assert second == tmp_path / "pmbrowse-included-2.ris"
    with pytest.raises(FileExistsError):
        write_new_file("two", first)
    assert first.read_text() == "one" and not list(tmp_path.glob(".*.tmp"))


def test_defect_15_show_prints_marks_and_the_map_names_its_articles(capsys, demo, tmp_path: Path) -> None:
    db = demo
    run(capsys, *db, "mark", "40036306", "--star", "--tag", "to-read", "--note", "Check figure 2")
    run(capsys, *db, "snowball", "exclude", "40036306", "--reason", "wrong population")
    code, out, _ = run(capsys, *db, "show", "40036306")
    assert code == 0
    assert "Marks: ★ starred · excluded (wrong population) at title/abstract · #to-read" in out
    assert "Note: Check figure 2" in out and "unnamed  title/abstract  excluded (wrong population)" in out
    code, out, _ = run(capsys, *db, "show", "40036306", "--json")
    marks = json.loads(out)["marks"]
    assert (marks["starred"], marks["tags"], marks["screening"], marks["reason"]) == (
        True,
        ["to-read"],
        "excluded",
        "wrong population",
    )
    assert [d["decision"] for d in marks["decisions"]] == ["excluded"]
    # Blind: another named screener sees none of it.
    code, out, _ = run(capsys, *db, "show", "40036306", "--json", "--screener", "bob")
    assert json.loads(out)["marks"]["screening"] is None and json.loads(out)["marks"]["decisions"] == []
    code, out, _ = run(capsys, *db, "map", DEMO, "--format", "dot")
    assert code == 0 and "\\nPMID 40036306" in out and "\\nPMID 30992990" in out


def test_decisions_for_the_articles_a_search_finds(capsys, demo) -> None:
    """Records imported without an identifier are screened by a search for them."""
    db = demo
    run(capsys, *db, "import", str(REFS / "endnote.ris"))
    code, out, err = run(capsys, *db, *EXCLUDE_TUBULAR)
    assert code == 0, err
    assert out == "excluded 2 articles: wrong population\n"  # the record without ids, and the DOI stub
    code, _, err = run(capsys, *db, "snowball", "exclude", "--from", "nothing-like-this", "--reason", "x")
    assert code == 1 and "selects no article" in err
    code, _, err = run(capsys, *db, "snowball", "include", "40078652", "--from", "x")
    assert code == 2 and "not both" in err


def test_drop_asks_on_a_terminal(capsys, demo, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from rich.console import Console

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = iter(["n", "yes"])
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    monkeypatch.setattr(builtins, "input", lambda *prompt: next(answers))
    code, out, err = run(capsys, *demo, "snowball", "drop", "1")
    assert code == 0 and "Drop round 1 (" in err and "nothing was dropped" in err
    assert [r.number for r in SnowballFile.open(demo[1]).load().rounds] == [1]
    code, out, _ = run(capsys, *demo, "snowball", "drop", "1")
    assert code == 0 and out.startswith("dropped round 1: its 10 new records no longer count")
    assert SnowballFile.open(demo[1]).load().rounds == []
