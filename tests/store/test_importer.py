"""The importer: records merged as they are read, large files parsed in a child process, and a file
that fails half-way still changing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from tests.conftest import DATA, PAGES, SEED

GOOD = [str(SEED), str(DATA / "pubmed_xml" / "variants.xml"), str(DATA / "medline" / "variants.txt")]
TRUNCATED = str(DATA / "pubmed_xml" / "truncated.xml")


def _library(path: Path) -> Library:
    return Library.open(path, demo=False)


@pytest.mark.parametrize("parallel", [False, True], ids=["in-process", "child-process"])
def test_child_process_parsing_gives_the_same_library(tmp_path: Path, monkeypatch, parallel: bool) -> None:
    inline = _library(tmp_path / "inline.json")
    reports_inline = import_paths(inline, GOOD)
    monkeypatch.setattr(importer, "PARALLEL_BYTES", 1 if parallel else 10**12)
    other = _library(tmp_path / "other.json")
    reports = import_paths(other, GOOD)
    assert [(r.format, r.added, r.merged, r.unchanged, r.stubs, r.skipped) for r in reports] == [
        (r.format, r.added, r.merged, r.unchanged, r.stubs, r.skipped) for r in reports_inline
    ]
    strip = lambda docs: {k: {f: v for f, v in d.items() if f != "origins"} for k, d in docs.items()}  # noqa: E731
    assert strip(dict(other.iter_docs())) == strip(dict(inline.iter_docs()))


@pytest.mark.parametrize("parallel", [False, True], ids=["in-process", "child-process"])
def test_a_file_failing_half_way_changes_nothing(tmp_path: Path, monkeypatch, parallel: bool) -> None:
    monkeypatch.setattr(importer, "PARALLEL_BYTES", 1 if parallel else 10**12)
    path = tmp_path / "lib.json"
    library = Library.open(path)
    reports = import_paths(
        library, [str(PAGES / "zero_citations.txt"), TRUNCATED, str(PAGES / "authors_present.txt")]
    )
    assert [r.rejected for r in reports] == [False, True, False]
    assert "truncated.xml, line" in reports[1].error and "malformed XML" in reports[1].error
    # Its complete first record was read and merged before the break, and is gone again.
    assert library.get("1000601") is None and library.get("1000602") is None
    assert library.get("1000002") is not None and library.get("1000003") is not None
    assert (reports[0].added, reports[2].added) == (1, 1)
    fresh = Library.open(path)
    assert fresh.get("1000601") is None and fresh.get("1000003") is not None


def test_a_truncated_file_alone_leaves_the_file_byte_identical(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(importer, "PARALLEL_BYTES", 1)
    path = tmp_path / "lib.json"
    Library.open(path)
    before = path.read_bytes()
    report = import_paths(Library.open(path), [TRUNCATED])[0]
    assert report.rejected and path.read_bytes() == before


def test_progress_counts_bytes_and_records(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(importer, "PARALLEL_BYTES", 1)
    seen: list[tuple[int, int, int]] = []
    import_paths(_library(tmp_path / "lib.json"), GOOD, progress=lambda *a: seen.append(a))
    total = sum(Path(p).stat().st_size for p in GOOD)
    assert seen[-1] == (total, total, 1 + 2 + 3)


def test_standard_input_survives_a_restart(tmp_path: Path, monkeypatch) -> None:
    import io
    import sys
    import types

    data = (PAGES / "zero_citations.txt").read_bytes()
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=io.BytesIO(data)))
    library = _library(tmp_path / "lib.json")
    reports = import_paths(library, ["-", TRUNCATED])  # the second file fails after merging a record
    assert [r.rejected for r in reports] == [False, True]
    assert reports[0].added == 1 and library.get("1000002") is not None
    assert library.get("1000002").origins[0].location == "stdin"  # type: ignore[union-attr]


@pytest.mark.parametrize("parallel", [False, True], ids=["in-process", "child-process"])
def test_a_damaged_gzip_file_is_rejected_with_a_message(tmp_path: Path, monkeypatch, parallel: bool) -> None:
    import gzip

    monkeypatch.setattr(importer, "PARALLEL_BYTES", 1 if parallel else 10**12)
    good = gzip.compress((DATA / "pubmed_xml" / "variants.xml").read_bytes())
    damaged = tmp_path / "damaged.xml.gz"
    damaged.write_bytes(good[:40] + bytes(200) + good[240:])
    report = import_paths(_library(tmp_path / "lib.json"), [str(damaged)])[0]
    assert report.rejected and "damaged.xml.gz" in report.error
