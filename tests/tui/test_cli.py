"""The ``pmbrowse`` command line: output, JSON, exit codes, and where the library lives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from store.library import Library
from tests.conftest import PAGES, SEED
from tests.tui.helpers import run


def test_show_json_has_every_field(capsys, lib_path: Path) -> None:
    code, out, err = run(capsys, "--db", str(lib_path), "show", "30992990", "--json")
    assert err == f"pmbrowse: created a new library at {lib_path}, with the demo article\n"
    code, out, err = run(capsys, "--db", str(lib_path), "show", "30992990", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    for key in (
        "pmid",
        "pmcid",
        "doi",
        "title",
        "authors",
        "journal",
        "publisher",
        "date",
        "year",
        "citation_count",
        "abstract",
        "stub",
        "references",
        "cited_by",
    ):
        assert key in data
    assert data["pmid"] == "30992990" and data["year"] == 2019 and data["citation_count"] == 189
    assert data["date"] == "2019 Apr 18" and data["publisher"] == "Biomed Central" and data["stub"] is False
    assert data["abstract"].startswith("Mesenchymal stem/stromal cells (MSCs)")
    assert len(data["references"]) == 5 and len(data["cited_by"]) == 5
    link = data["cited_by"][0]
    assert {k: link[k] for k in ("pmid", "pmcid", "doi", "year", "journal", "in_library")} == {
        "pmid": "40078652",
        "pmcid": "PMC11900796",
        "doi": "10.2147/IJN.S502192",
        "year": 2025,
        "journal": "Int J Nanomedicine",
        "in_library": False,
    }
    assert link["authors"][0] == "Li K" and link["title"].startswith("Human Umbilical Cord")


@pytest.mark.parametrize(
    "ident", ["PMC11900796", "pmc11900796", "10.2147/ijn.s502192", "https://doi.org/10.2147/IJN.S502192"]
)
def test_show_finds_by_any_identifier(capsys, lib_path: Path, ident: str) -> None:
    code, out, _ = run(capsys, "show", ident, "--json", "--db", str(lib_path))
    assert code == 0
    data = json.loads(out)
    assert data["pmid"] == "40078652" and data["stub"] is True
    assert [(x["pmid"], x["in_library"]) for x in data["references"]] == [("30992990", True)]


def test_show_text_renders_untrusted_text_literally(capsys, lib_path: Path, tmp_path: Path) -> None:
    page = tmp_path / "markup.txt"
    page.write_text(
        "» Articles » PMID: 123\n\n[bold]Not bold[/bold] and [/ a \\ slash \x1b[31mred\n\n"
        "Abstract\n\n[link=x]abstract[/link]\n",
        encoding="utf-8",
    )
    assert run(capsys, "--db", str(lib_path), "import", str(page))[0] == 0
    code, out, _ = run(capsys, "--db", str(lib_path), "show", "123")
    assert code == 0
    assert "[bold]Not bold[/bold] and [/ a \\ slash" in out
    assert "[link=x]abstract[/link]" in out
    assert "\x1b" not in out and "␛[31mred" in out  # shown, not obeyed


def test_exit_codes_and_one_line_errors(capsys, lib_path: Path) -> None:
    Library.open(lib_path)
    code, _, err = run(capsys, "--db", str(lib_path), "show", "99999999")
    assert code == 1 and err.count("\n") == 1 and "no article with PMID 99999999" in err
    code, _, err = run(capsys, "--db", str(lib_path), "show", "not-an-id")
    assert code == 2 and err.count("\n") == 1 and "is not a PMID, PMCID or DOI" in err
    code, _, err = run(capsys, "--db", str(lib_path), "show")
    assert code == 2 and err.startswith("pmbrowse: ")
    code, out, err = run(capsys, "--db", str(lib_path), "import", str(PAGES / "cut_reference.txt"))
    assert code == 2 and "rejected" in out
    assert err.count("\n") == 1 and "cut_reference.txt, line 9: reference 2 is cut off" in err
    code, _, err = run(capsys, "--db", str(lib_path), "import", "/no/such/file.txt")
    assert code == 1 and "no such file" in err


def test_import_reports_per_file(capsys, lib_path: Path) -> None:
    Library.open(lib_path, demo=False)
    code, out, _ = run(capsys, "--db", str(lib_path), "import", str(SEED), str(PAGES / "zero_citations.txt"))
    assert code == 0
    rows = [line for line in out.splitlines() if "│ page " in line]
    assert len(rows) == 2
    assert [c.strip() for c in rows[0].split("│")[3:7]] == ["1", "0", "0", "10"]
    code, out, _ = run(capsys, "--db", str(lib_path), "import", str(SEED))
    rows = [line for line in out.splitlines() if "│ page " in line]
    assert [c.strip() for c in rows[0].split("│")[3:7]] == ["0", "0", "1", "0"]


def test_import_from_stdin(lib_path: Path) -> None:
    Library.open(lib_path, demo=False)
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "--db", str(lib_path), "import", "-"],
        input=(PAGES / "zero_citations.txt").read_bytes(),
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert Library.open(lib_path).get("1000002") is not None


def test_stats(capsys, lib_path: Path) -> None:
    code, out, _ = run(capsys, "--db", str(lib_path), "stats")
    assert code == 0
    assert [line.split("│")[1:3] for line in out.splitlines() if "│" in line] == [
        [" records ", "  1 "],
        [" stubs   ", " 10 "],
        [" links   ", " 10 "],
    ]


def test_library_location_env_and_default(capsys, tmp_path: Path, monkeypatch) -> None:
    env_lib = tmp_path / "env" / "lib.json"
    monkeypatch.setenv("PMBROWSE_DB", str(env_lib))
    assert run(capsys, "stats")[0] == 0 and env_lib.exists()
    flag_lib = tmp_path / "flag.json"
    assert run(capsys, "stats", "--db", str(flag_lib))[0] == 0 and flag_lib.exists()
    monkeypatch.delenv("PMBROWSE_DB")
    assert run(capsys, "stats")[0] == 0
    assert (Path(os.environ["XDG_DATA_HOME"]) / "pmbrowse" / "library.json").exists()


def test_a_corrupt_library_is_reported_not_replaced(capsys, lib_path: Path) -> None:
    lib_path.write_text("{ this is not json")
    code, _, err = run(capsys, "--db", str(lib_path), "stats")
    assert code == 3 and err.count("\n") == 1 and "invalid JSON at line 1" in err and str(lib_path) in err
    assert lib_path.read_text() == "{ this is not json"


def test_console_script_is_installed(lib_path: Path) -> None:
    script = Path(sys.executable).parent / "pmbrowse"
    if not script.exists():
        pytest.skip("pmbrowse is not installed in this environment")
    proc = subprocess.run(
        [str(script), "--db", str(lib_path), "show", "30992990", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and json.loads(proc.stdout)["pmid"] == "30992990"


def pmbrowse_in_a_pipe(lib_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", "--db", str(lib_path), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_without_a_terminal_a_query_is_printed_never_refused(capsys, lib_path: Path) -> None:
    """In a pipe (a process of its own, once), and in this process, whose output is no terminal either."""
    db = ("--db", str(lib_path))
    code, searched, _ = run(capsys, *db, "search", "status")
    assert code == 0 and "status" in searched.lower()  # (the demo has hits)
    proc = pmbrowse_in_a_pipe(lib_path, "status")
    assert (proc.returncode, proc.stdout) == (0, searched)
    assert proc.stderr == "pmbrowse: searched for 'status'; did you mean the command 'pmbrowse stats'?\n"
    assert run(capsys, *db, "--", "status") == (0, searched, "")  # after --, a query: no note
    article = run(capsys, *db, "30992990")  # an identifier: the article, as show prints it
    assert article[:2] == run(capsys, *db, "show", "30992990")[:2] and article[0] == 0
    code, out, err = run(capsys, *db)  # nothing to print: the app itself needs a terminal
    assert code == 2 and out == "" and "the app needs a terminal" in err


def test_fetch_refuses_what_is_not_an_identifier(capsys, lib_path: Path) -> None:
    code, _, err = run(capsys, "--db", str(lib_path), "fetch", "notanid")
    assert code == 2 and "'notanid': not a PMID, PMCID or DOI" in err
