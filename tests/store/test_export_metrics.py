"""Citation metrics in the exports: CSV columns after every other (both tables), CSL-JSON under
``custom`` (read by citeproc-py and by pmbrowse's own importer), untrusted text neutralised."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from store.export.csljson import CslJsonExporter
from store.export.metrics import CSL_KEY, METRIC_COLUMNS
from store.export.provenance import Provenance, ProvenanceTable
from store.export.table import COLUMNS, REVIEW_COLUMNS, CsvExporter
from store.importer import import_file
from store.library import Library
from store.model import Article, Author
from tests.store.samples import EPMC, ICITE

ARTICLES = [
    Article(
        pmid="32162448",
        title="Gastric emptying",
        authors=[Author("Zhang", "YL")],
        journal="Paediatr Anaesth",
        year=2020,
        citation_count=20,
        metrics={"icite": ICITE, "europepmc": EPMC},
    ),
    Article(pmid="2", title="No metrics", year=2021),
    Article(
        pmid="3", title="Hostile", metrics={"europepmc": {"fetched": "=HYPERLINK(1)", "citation_count": 2}}
    ),
]


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_carries_every_metric_after_the_other_columns() -> None:
    table = rows(CsvExporter().dumps(ARTICLES))
    assert list(table[0]) == [*COLUMNS, *METRIC_COLUMNS]
    assert {k: table[0][k] for k in METRIC_COLUMNS} == {
        "rcr": "2.18475199552701",
        "rcr_provisional": "false",
        "nih_percentile": "77.1",
        "apt": "0.75",
        "citation_count_icite": "17",
        "is_research_article": "true",
        "is_clinical": "false",
        "cited_by_clinical": "3",
        "icite_fetched": "2026-12-03T10:15:02Z",
        "citation_count_europepmc": "31",
        "europepmc_fetched": "2026-12-04T08:00:00Z",
    }
    assert table[0]["citation_count"] == "20"  # the record's own, kept apart
    assert all(table[1][k] == "" for k in METRIC_COLUMNS)  # never asked: empty, not zero or false
    # A fetch time is text from the library file: neutralised like any other cell, unless --raw.
    assert table[2]["europepmc_fetched"] == "'=HYPERLINK(1)" and table[2]["citation_count_europepmc"] == "2"
    assert rows(CsvExporter(raw=True).dumps(ARTICLES))[2]["europepmc_fetched"] == "=HYPERLINK(1)"


def test_the_review_table_ends_with_them_too() -> None:
    found = ProvenanceTable([(list(ARTICLES[0].keys), Provenance(("30992990",), (), 1, decision="included"))])
    table = rows(CsvExporter(provenance=found).dumps(ARTICLES[:2]))
    assert list(table[0]) == [*REVIEW_COLUMNS, *METRIC_COLUMNS]
    assert (table[0]["decision"], table[0]["rcr"], table[0]["is_clinical"]) == (
        "included",
        "2.18475199552701",
        "false",
    )


def test_csl_json_keeps_them_under_custom_read_by_citeproc_and_by_the_importer(tmp_path: Path) -> None:
    text = CslJsonExporter().dumps(ARTICLES)
    items = json.loads(text)
    assert items[0]["custom"] == {CSL_KEY: {"icite": ICITE, "europepmc": EPMC}}
    assert "custom" not in items[1]
    with pytest.warns(UserWarning, match="unsupported: custom"):  # (citeproc-py predates CSL 1.0.2's custom)
        source = CiteProcJSON(items)  # a CSL processor takes the file and renders it
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    assert any("Gastric emptying" in str(entry) for entry in bibliography.bibliography())
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")
    library = Library.open(tmp_path / "lib.json", demo=False)
    report = import_file(library, path)
    assert not report.rejected and library.get("32162448") is not None


@pytest.mark.parametrize("exporter", [CsvExporter, CslJsonExporter])
def test_exporting_does_not_change_the_article(exporter: type[CsvExporter] | type[CslJsonExporter]) -> None:
    before = json.dumps(ARTICLES[0].metrics, sort_keys=True)
    items = exporter().dumps(ARTICLES[:1])
    assert items and json.dumps(ARTICLES[0].metrics, sort_keys=True) == before
