"""What an import keeps for its whole file grows with the file by its records' identity keys alone
(``FileReport.keys``, the entries ``import --source`` records): packed, not tuples of strings."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from store.importer import FileReport, import_file
from store.library import Library

RECORDS = 20_000


def _keys(i: int) -> tuple[str, ...]:
    # (as ``doc_keys`` makes them: new strings for each record)
    return (f"pmid:{30_000_000 + i}", f"doi:10.1016/j.jclinepi.2019.{i:06d}")


def test_a_reports_keys_cost_tens_of_bytes_a_record() -> None:
    report = FileReport("big.xml")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(RECORDS):
            report.keys.append(_keys(i))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # (a list of tuples of strings: some 230 bytes a record; packed: some 70)
    assert held / RECORDS <= 100, f"{held / RECORDS:.0f} bytes a record"
    assert len(report.keys) == RECORDS
    assert report.keys[0] == _keys(0) and report.keys[-1] == _keys(RECORDS - 1)
    assert list(report.keys)[1234] == _keys(1234)


def test_the_keys_read_back_as_they_were_given() -> None:
    given = [("pmid:1",), ("pmid:2", "doi:10.1/é\x00x", "pmcid:pmc3"), (), ("title:a|b",)]
    report = FileReport("x")
    for keys in given:
        report.keys.append(keys)
    assert list(report.keys) == given
    assert report.keys == given and report.keys[1:3] == given[1:3]
    assert [report.keys[i] for i in range(-4, 4)] == given + given
    entries: list[tuple[str, ...]] = [("pmid:0",)]
    entries += report.keys  # (how ``import --source`` takes them)
    assert entries == [("pmid:0",), *given]


def test_an_imported_files_report_lists_its_records_keys_in_order(tmp_path: Path) -> None:
    nbib = tmp_path / "two.nbib"
    nbib.write_text("PMID- 111\nTI  - First.\nDP  - 2020\n\nPMID- 222\nTI  - Second.\nDP  - 2021\n")
    library = Library.open(tmp_path / "library.json", demo=False)
    report = import_file(library, nbib)
    assert report.records == 2
    assert report.keys == [("pmid:111",), ("pmid:222",)]
