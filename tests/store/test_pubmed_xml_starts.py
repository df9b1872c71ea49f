"""The PubMed XML reader asks lxml for the records' starts only (``pubmed_xml.parse_docs``: "end"
events make lxml hand every element's end to Python): a record is read when the next one starts, the
last when the file ends. What that changes (a damaged file's error can come before the record just
ended: nothing of such a file is ever imported), and what it does not (every document, in order;
what is skipped and counted; the error itself), beside ``test_parser_pins``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from store.errors import ParseError
from store.formats.pubmed_xml import PubmedXmlParser
from store.importer import import_file
from store.library import Library
from tests.conftest import DATA

XML = DATA / "pubmed_xml"


def read(data: bytes) -> tuple[list[str], ParseError | None, dict[str, int]]:
    """The PMIDs of the documents the parser yields, its error, and what it skipped."""
    parser = PubmedXmlParser()
    pmids: list[str] = []
    try:
        for doc in parser.parse_docs(io.BytesIO(data), "cut.xml"):
            pmids.append(doc["pmid"])
    except ParseError as exc:
        return pmids, exc, parser.skipped.counts
    return pmids, None, parser.skipped.counts


def test_a_file_cut_after_a_record_fails_before_that_record_is_read() -> None:
    data = (XML / "variants.xml").read_bytes()
    whole, error, _ = read(data)
    assert error is None and len(whole) == 2
    cut = data[: data.index(b"</PubmedArticle>") + len(b"</PubmedArticle>")]
    pmids, error, _ = read(cut)
    # (a pin of this reader, not a requirement: before, the first record, then the same error; an
    # import rejects the file either way)
    assert pmids == []
    assert error is not None and error.message.startswith("malformed XML: Premature end of data")
    assert error.line == cut.count(b"\n") + 1


def test_records_are_read_in_order_with_what_lies_between_them_counted() -> None:
    record = b"<PubmedArticle><MedlineCitation><PMID>%d</PMID></MedlineCitation></PubmedArticle>"
    data = b"".join(
        [
            b"<PubmedArticleSet><Other/>",
            record % 1,
            b"<!-- a comment --><Other/><PubmedBookArticle/>",
            record % 2,
            b"<DeleteCitation><PMID>5</PMID><PMID>6</PMID></DeleteCitation><Unknown>",
            record % 3,  # (inside an unknown element: not a record of the set)
            b"</Unknown>",
            record % 4,
            b"<Other/></PubmedArticleSet>",
        ]
    )
    pmids, error, skipped = read(data)
    assert error is None and pmids == ["1", "2", "4"]
    assert skipped == {
        "<Other> elements": 3,
        "book records": 1,
        "deleted citations": 2,
        "<Unknown> elements": 1,
    }


@pytest.mark.parametrize(
    "data",
    [
        b"<PubmedArticle><MedlineCitation><PMID>7</PMID></MedlineCitation></PubmedArticle>",
        b"<MedlineCitation><PMID>7</PMID></MedlineCitation>",
    ],
)
def test_a_file_of_one_record_is_read_at_its_end(data: bytes) -> None:
    pmids, error, skipped = read(data)
    assert (pmids, error, skipped) == (["7"], None, {})


def test_a_set_inside_the_set_is_counted_once() -> None:
    # (it raised its own event, and stayed in the tree when read: the next record's count of what lay
    # before it counted it again, 2)
    record = b"<PubmedArticle><MedlineCitation><PMID>%d</PMID></MedlineCitation></PubmedArticle>"
    data = b"<PubmedArticleSet><PubmedArticleSet>%s</PubmedArticleSet>%s%s</PubmedArticleSet>" % (
        record % 5,
        record % 1,
        record % 2,
    )
    pmids, error, skipped = read(data)
    assert (pmids, error, skipped) == (["1", "2"], None, {"<PubmedArticleSet> elements": 1})


def test_a_damaged_file_still_changes_nothing(empty_library: Library, tmp_path: Path) -> None:
    # (the importer's all-or-nothing, whatever the reader yields before the error: the reader before
    # 7eae27c yielded both records of this cut, this one the first)
    data = (XML / "variants.xml").read_bytes()
    path = tmp_path / "cut.xml"
    path.write_bytes(data[: data.rindex(b"</PubmedArticle>") + len(b"</PubmedArticle>")])
    report = import_file(empty_library, path)
    assert report.rejected and "Premature end of data" in report.error
    assert len(empty_library) == 0
