"""What a review knows of each exported article, in every export format, read back by third-party parsers;
without it, exports are as before. Issue 16 defects 10 and 15: no export carried the decision and how
the article was found together, and RIS and BibTeX dropped tags, notes and MeSH headings."""

from __future__ import annotations

import csv
import io
import json

import bibtexparser
import rispy
from citeproc.source.json import CiteProcJSON

from store.export import EXPORTERS
from store.export.metrics import METRIC_COLUMNS
from store.export.provenance import Provenance, ProvenanceTable
from store.export.table import COLUMNS, REVIEW_COLUMNS, CsvExporter
from store.marks import Marks
from store.model import Article, Author

ARTICLES = [
    Article(pmid="31000001", title="Backward one", authors=[Author("Smith", "J")], year=2019, journal="J A"),
    Article(doi="10.1000/x.2", title='=HYPERLINK("http://e") forward', year=2020, journal="J B"),
    Article(pmid="31000003", title="Not a candidate", year=2021, mesh=["Humans", "Exosomes/metabolism"]),
]
TABLE = ProvenanceTable(
    [
        (
            ["pmid:31000001"],
            Provenance(
                backward=("30992990", "PMC11900796"),
                round=1,
                searches=("PubMed 2026-12-01",),
                decision="excluded",
                stage="title-abstract",
                reason="wrong population",
                screener="alice; bob",
                decided_at="2026-12-01T10:00:00Z",
            ),
        ),
        (["doi:10.1000/x.2"], Provenance(("10.5555/{seed}_%",), ("31000009",), 2, decision="included")),
    ]
)
NOTE_1 = (
    "pmbrowse review: excluded at title/abstract (wrong population) by alice; bob on 2026-12-01T10:00:00Z; "
    "round 1; backward from 30992990; backward from PMC11900796; search PubMed 2026-12-01"
)
NOTE_2 = "pmbrowse review: included; round 2; backward from 10.5555/{seed}_%; forward from 31000009"


def test_csv_is_the_review_table() -> None:
    text = CsvExporter(provenance=TABLE).dumps(ARTICLES)
    rows = list(csv.DictReader(io.StringIO(text)))
    named = "pmid,pmcid,doi,title,year,round,found_via,decision,stage,reason,screener,decided_at"
    assert list(rows[0]) == [*REVIEW_COLUMNS, *METRIC_COLUMNS] and list(REVIEW_COLUMNS) == named.split(",")
    assert [(r["round"], r["found_via"], r["decision"], r["reason"], r["screener"]) for r in rows] == [
        (
            "1",
            "backward from 30992990; backward from PMC11900796; search PubMed 2026-12-01",
            "excluded",
            "wrong population",
            "alice; bob",
        ),
        ("2", "backward from 10.5555/{seed}_%; forward from 31000009", "included", "", ""),
        ("", "", "", "", ""),
    ]
    assert rows[0]["stage"] == "title-abstract" and rows[0]["decided_at"] == "2026-12-01T10:00:00Z"
    assert rows[1]["title"].startswith("'=HYPERLINK")  # still neutralised


def test_ris_note_and_keyword() -> None:
    records = rispy.loads(EXPORTERS["ris"](provenance=TABLE).dumps(ARTICLES))
    assert [r.get("notes") for r in records] == [[NOTE_1], [NOTE_2], None]
    assert [r.get("keywords") for r in records] == [
        ["pmbrowse:excluded"],
        ["pmbrowse:included"],
        ["Humans", "Exosomes/metabolism"],  # MeSH headings, as PubMed's RIS has them
    ]


def test_csl_json_note() -> None:
    items = json.loads(EXPORTERS["csl-json"](provenance=TABLE).dumps(ARTICLES))
    source = CiteProcJSON(items)
    notes = [str(source[item["id"].lower()].get("note", "")) for item in items]
    assert notes == [NOTE_1, NOTE_2, ""]


def test_bibtex_note_and_keywords() -> None:
    library = bibtexparser.parse_string(EXPORTERS["bibtex"](provenance=TABLE).dumps(ARTICLES))
    fields = [{k: f.value for k, f in e.fields_dict.items()} for e in library.entries]
    assert fields[0]["note"] == NOTE_1 and fields[0]["keywords"] == "pmbrowse:excluded"
    assert "round 2" in fields[1]["note"] and "\\%" in fields[1]["note"]  # escaped for LaTeX
    assert "note" not in fields[2] and fields[2]["keywords"] == "Humans, Exosomes/metabolism"


def test_tags_and_notes_go_where_each_format_keeps_them(lib_path) -> None:
    """Defect 15: RIS and BibTeX dropped tags, notes and MeSH headings."""
    marks = Marks.open(lib_path)
    marks.add_tag(["pmid:31000003"], "to-read")
    marks.set_note(["pmid:31000003"], "Cite in the introduction.\nPage 4.")
    [ris] = rispy.loads(EXPORTERS["ris"](marks=marks).dumps(ARTICLES[2:]))
    assert ris["keywords"] == ["Humans", "Exosomes/metabolism", "to-read"]
    assert ris["notes"] == ["Cite in the introduction. Page 4."]
    [bib] = bibtexparser.parse_string(EXPORTERS["bibtex"](marks=marks).dumps(ARTICLES[2:])).entries
    assert bib.fields_dict["keywords"].value == "Humans, Exosomes/metabolism, to-read"
    assert bib.fields_dict["note"].value == "Cite in the introduction. Page 4"
    [item] = json.loads(EXPORTERS["csl-json"](marks=marks).dumps(ARTICLES[2:]))
    assert item["note"] == "Cite in the introduction. Page 4"


def test_without_provenance_nothing_review_is_written() -> None:
    for name, exporter in EXPORTERS.items():
        plain = exporter().dumps(ARTICLES)
        assert "pmbrowse review" not in plain and "found_via" not in plain, name
    header = CsvExporter().dumps(ARTICLES).splitlines()[0]
    assert header == ",".join(COLUMNS + METRIC_COLUMNS)
