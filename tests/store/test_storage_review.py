"""Defects a review of the storage code found, each reproduced first and seen red before its fix:
a segment whose footer says it is longer than the file, ``check``'s two-process scan failing in its
parent, ... (one test or more each, on libraries made by ``pmbrowse import``)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from store import importer
from store.importer import import_paths
from store.library import Library
from store.model import Article, Link, Origin
from tests.conftest import PAGES, ROOT
from tests.store.test_reliability import cli, one_line

XML = ROOT / "tests" / "data" / "pubmed_xml"


@pytest.fixture(autouse=True)
def _no_compaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))  # (the segments stay segments)


def _with_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[Path]]:
    """A library whose import left its batches as segments (not folded into the base)."""
    monkeypatch.setattr(importer, "FLUSH_AT", 2)
    lib = tmp_path / "library.json"
    library = Library.open(lib)
    import_paths(library, [XML / "variants.xml", PAGES / "zero_citations.txt"])
    library._storage.close()  # (not ``close``: that would fold the segments into the base)
    segments = sorted(lib.parent.glob("library.json.segments/*.seg"))
    assert segments
    return lib, segments


# A segment's footer ----------------------------------------------------------------------------------


@pytest.mark.parametrize("past", [1, 1 << 20, 0xFFFFFFFF - 12], ids=["a-byte", "a-mebibyte", "4-gib"])
def test_a_segment_whose_footer_says_it_is_longer_than_the_file_is_damaged_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, past: int
) -> None:
    """The footer's length is read from the file's end: one larger than what precedes it made a read
    at a negative offset ("Invalid argument") or of gigabytes (MemoryError), not "damaged"."""
    lib, segments = _with_segments(tmp_path, monkeypatch)
    raw = bytearray(segments[0].read_bytes())
    raw[-12:-8] = struct.pack("<I", min(len(raw) - 12 + past, 0xFFFFFFFF))
    segments[0].write_bytes(raw)
    for command in ("stats", "check"):
        result = cli(lib, command)
        assert result.returncode in (1, 3), result
        said = result.stderr if command == "stats" else result.stdout.splitlines()[0] + "\n"
        assert str(segments[0]) in one_line(said) and "damaged" in said, said


# A link list whose subject it shows to be another record -------------------------------------------


def test_a_link_list_that_shows_its_subject_to_be_another_record_keeps_every_link(tmp_path: Path) -> None:
    """As ``put_document`` does (test_merge.py): a link list learnt on its own (elink, Europe PMC) whose
    entry names the subject's DOI beside a PMID a stub holds merges the subject into that stub; the
    links after that entry are the merged record's, not connected to the document merged away."""
    from store.check import check

    path = tmp_path / "library.json"
    lib = Library.open(path, demo=False)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="5", title="Citing", references=[Link(pmid="1")]), Origin("pubmed"))
        changes.put_article(Article(doi="10.1000/x", title="By DOI"), Origin("ris"))
    stub = lib.find("1")
    with lib.transaction() as changes:
        subject = Link(doi="10.1000/x")
        links = [Link(pmid="8"), Link(pmid="1", doi="10.1000/x"), Link(pmid="9")]
        assert changes.put_links(subject, "references", links) == 2  # (8 and 9: not itself)
    for again in (lib, Library.open(path)):
        assert again.find("10.1000/x") == again.find("1") == stub and stub is not None
        assert [v.pmid for v in again.links(stub, "references")] == ["8", "9"]
        assert [v.pmid for v in again.links(stub, "cited_by")] == ["5"]
        assert again.stats().records == 2 and again.stats().links == 3
    lib.close()
    assert check(path).problems == []
