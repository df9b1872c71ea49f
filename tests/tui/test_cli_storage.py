"""The command line and the journalled library: compaction by hand and when a command ends, notices."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from store.library import Library
from tests.conftest import PAGES, ROOT
from tests.store.old_libraries import write_v1_library


def _pmbrowse(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60
    )


def test_compact_folds_the_journal_into_the_library_file(lib_path: Path) -> None:
    Library.open(lib_path)
    result = _pmbrowse("--db", str(lib_path), "import", str(PAGES / "zero_citations.txt"))
    assert result.returncode == 0, result.stderr
    journal = lib_path.with_name("library.json.journal")
    assert b"1000002" in journal.read_bytes() and b"1000002" not in lib_path.read_bytes()
    result = _pmbrowse("--db", str(lib_path), "compact")
    assert result.returncode == 0 and "compacted" in result.stdout, result.stderr
    assert b"1000002" in lib_path.read_bytes() and b"1000002" not in journal.read_bytes()
    result = _pmbrowse("--db", str(lib_path), "compact")
    assert result.returncode == 0 and "nothing to do" in result.stdout
    assert Library.open(lib_path).get("1000002") is not None


def test_a_command_ending_with_a_long_journal_makes_it_a_segment(lib_path: Path) -> None:
    Library.open(lib_path)
    result = _pmbrowse("--db", str(lib_path), "import", str(PAGES / "authors_present.txt"))
    journal = lib_path.with_name("library.json.journal")
    assert result.returncode == 0 and b"1000003" in journal.read_bytes()  # short: journalled
    base = lib_path.read_bytes()
    env = {"PYTHONPATH": str(ROOT), "PMBROWSE_COMPACT_BYTES": "1", "PATH": "/usr/bin:/bin"}
    result = _pmbrowse("--db", str(lib_path), "import", str(PAGES / "zero_citations.txt"), env=env)
    assert result.returncode == 0, result.stderr
    # Made a segment when the command ended; the base is left as it is (the segment is smaller).
    assert b"1000002" not in journal.read_bytes() and b"1000003" not in journal.read_bytes()
    assert lib_path.read_bytes() == base
    (segment,) = lib_path.with_name("library.json.segments").iterdir()
    assert b"1000002" in segment.read_bytes() and b"1000003" in segment.read_bytes()
    assert _pmbrowse("--db", str(lib_path), "show", "1000002").returncode == 0


def test_compact_due_does_what_a_command_s_end_would(lib_path: Path) -> None:
    Library.open(lib_path)
    env = {"PYTHONPATH": str(ROOT), "PMBROWSE_COMPACT_BYTES": str(1 << 30), "PATH": "/usr/bin:/bin"}
    assert (
        _pmbrowse("--db", str(lib_path), "import", str(PAGES / "zero_citations.txt"), env=env).returncode == 0
    )
    result = _pmbrowse("--db", str(lib_path), "compact", "--due", env=env)
    assert result.returncode == 0 and "nothing due" in result.stdout, result.stderr
    base = lib_path.read_bytes()
    result = _pmbrowse("--db", str(lib_path), "compact", "--due", env={**env, "PMBROWSE_COMPACT_BYTES": "1"})
    assert result.returncode == 0 and "compacted" in result.stdout, result.stderr
    assert lib_path.read_bytes() == base  # (the journal made a segment, the base left as it is)
    assert b"1000002" in next(lib_path.with_name("library.json.segments").iterdir()).read_bytes()


def test_a_schema_1_library_is_converted_with_a_notice(lib_path: Path) -> None:
    write_v1_library(lib_path)
    result = _pmbrowse("--db", str(lib_path), "show", "100", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("\n") == 1 and "converted" in result.stderr
    assert '"pmid": "200"' in result.stdout
    assert _pmbrowse("--db", str(lib_path), "show", "100").stderr == ""


def test_marks_through_a_symlink_are_the_library_s_own(tmp_path: Path) -> None:
    real = tmp_path / "real" / "library.json"
    real.parent.mkdir()
    Library.open(real)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert _pmbrowse("--db", str(link), "mark", "30992990", "--star").returncode == 0
    for path in (link, real):
        result = _pmbrowse("--db", str(path), "search", "starred", "--json")
        assert result.returncode == 0 and '"30992990"' in result.stdout, (path, result.stdout, result.stderr)


def test_db_naming_a_folder_or_a_fifo_is_one_line(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    for path in (tmp_path, fifo):
        result = _pmbrowse("--db", str(path), "show", "30992990")
        assert (
            result.returncode == 3
            and result.stderr.count("\n") == 1
            and "not a library file" in result.stderr
        )


def test_export_csv_neutralises_formulas_and_raw_keeps_them(lib_path: Path) -> None:
    from store.model import Article, Origin

    lib = Library.open(lib_path)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="66", title='=HYPERLINK("http://evil.example/","x")'), Origin("t"))
    safe = _pmbrowse("--db", str(lib_path), "export", "-f", "csv", "--ids", "66")
    raw = _pmbrowse("--db", str(lib_path), "export", "-f", "csv", "--ids", "66", "--raw")
    assert safe.returncode == raw.returncode == 0, (safe.stderr, raw.stderr)
    assert "'=HYPERLINK" in safe.stdout and "'=HYPERLINK" not in raw.stdout and "=HYPERLINK" in raw.stdout
    wrong = _pmbrowse("--db", str(lib_path), "export", "-f", "ris", "--ids", "66", "--raw")
    assert wrong.returncode == 2 and "--raw is for --format csv" in wrong.stderr


def test_the_import_report_says_kept_as_text_not_skipped() -> None:
    from store.importer import FileReport
    from tui.console import _skipped_note

    report = FileReport(source="page.txt", format="page", added=1)
    report.skipped = {"entry kept as text, line 9": 1, "book records": 2}
    assert _skipped_note(report) == "; skipped 2 book records; 1 entry kept as text, line 9"
