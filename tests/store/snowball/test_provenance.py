"""Provenance in every export format, read back by third-party parsers; without it, exports are as before."""

from __future__ import annotations

import csv
import io
import json

import bibtexparser
import rispy
from citeproc.source.json import CiteProcJSON

from store.export import EXPORTERS
from store.export.provenance import Provenance, ProvenanceTable
from store.export.table import COLUMNS, PROVENANCE_COLUMNS, CsvExporter
from store.model import Article, Author

ARTICLES = [
    Article(pmid="31000001", title="Backward one", authors=[Author("Smith", "J")], year=2019, journal="J A"),
    Article(doi="10.1000/x.2", title='=HYPERLINK("http://e") forward', year=2020, journal="J B"),
    Article(pmid="31000003", title="Not a candidate", year=2021),
]
TABLE = ProvenanceTable(
    [
        (["pmid:31000001"], Provenance(("30992990", "PMC11900796"), "backward", 1)),
        (["doi:10.1000/x.2"], Provenance(("10.5555/{seed}_%",), "both", 2)),
    ]
)
NOTE_1 = "pmbrowse snowball: round 1; direction backward; found via 30992990; PMC11900796"
NOTE_2 = "pmbrowse snowball: round 2; direction both; found via 10.5555/{seed}_%"


def test_csv_columns() -> None:
    text = CsvExporter(provenance=TABLE).dumps(ARTICLES)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [*COLUMNS, *PROVENANCE_COLUMNS]
    assert [(r["found_via"], r["direction"], r["round"]) for r in rows] == [
        ("30992990; PMC11900796", "backward", "1"),
        ("10.5555/{seed}_%", "both", "2"),
        ("", "", ""),
    ]
    assert rows[1]["title"].startswith("'=HYPERLINK")  # still neutralised


def test_ris_note() -> None:
    records = rispy.loads(EXPORTERS["ris"](provenance=TABLE).dumps(ARTICLES))
    assert [r.get("notes") for r in records] == [[NOTE_1], [NOTE_2], None]


def test_csl_json_note() -> None:
    items = json.loads(EXPORTERS["csl-json"](provenance=TABLE).dumps(ARTICLES))
    source = CiteProcJSON(items)
    notes = [str(source[item["id"].lower()].get("note", "")) for item in items]
    assert notes == [NOTE_1, NOTE_2, ""]


def test_bibtex_note() -> None:
    library = bibtexparser.parse_string(EXPORTERS["bibtex"](provenance=TABLE).dumps(ARTICLES))
    notes = [e.fields_dict["note"].value if "note" in e.fields_dict else None for e in library.entries]
    assert notes[0] == NOTE_1 and notes[2] is None
    assert notes[1] is not None and "round 2" in notes[1] and "\\%" in notes[1]  # escaped for LaTeX


def test_without_provenance_nothing_changes() -> None:
    for name, exporter in EXPORTERS.items():
        plain = exporter().dumps(ARTICLES)
        assert "pmbrowse snowball" not in plain and "found_via" not in plain, name
        assert (
            exporter(provenance=ProvenanceTable())
            .dumps(ARTICLES)
            .replace(",found_via,direction,round", "")
            .replace(",,,\n", "\n")
            == plain
        ), name
