"""Search: the PubMed-like query language, field tags, ranking, and the index kept with the library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store.importer import import_file
from store.library import Library
from store.model import AbstractSection, Article, Author, Link, Origin
from store.search import QuerySyntaxError, SearchIndex, parse_query
from store.search import compile as compile_module
from store.search.index import META, index_folder
from store.search.query import Filter, MatchAll, Op, Term
from tests.conftest import PAGES

ORIGIN = Origin("test", "here")


def _article(pmid: str, title: str, **kw: object) -> Article:
    return Article(pmid=pmid, title=title, **kw)  # type: ignore[arg-type]


CORPUS = [
    _article(
        "1",
        "Cancer stem cells in the colon",
        abstract=[AbstractSection("Stem-cell markers predict relapse in cancers of the colon.", "RESULTS")],
        authors=[Author("Smith", "JA"), Author("Gómez", "R")],
        journal="Gut",
        year=2018,
        mesh=["Colonic Neoplasms/pathology", "Neoplastic Stem Cells"],
        keywords=["relapse"],
        citation_count=40,
    ),
    _article(
        "2",
        "Cancers and their niches",
        abstract=[AbstractSection("A review of the stem cell niche in many cancers.")],
        authors=[Author("Smith", "B"), Author("de Ruiter", "P")],
        journal="Nat Rev Cancer",
        journal_title="Nature Reviews Cancer",
        year=2020,
        citation_count=5,
    ),
    _article(
        "3",
        "Exosomes carry microRNAs between cells",
        abstract=[AbstractSection("Exosomal transfer of miRNAs; exosome uptake by recipient cells.")],
        authors=[Author("Gomez", "M"), Author("Smithson", "K")],
        journal="Cell",
        year=2019,
        doi="10.1016/J.CELL.2019.01.001",
        citation_count=300,
        references=[Link(pmid="1"), Link(title="An exosome study with no identifiers", year=2001)],
    ),
    _article(
        "4",
        "Stem cell therapy for the heart",
        abstract=[AbstractSection("Cells derived from stem cells repair the heart.")],
        authors=[Author("Lee", "J")],
        journal="Circulation",
        year=2019,
    ),
]


@pytest.fixture
def corpus(lib_path: Path) -> Library:
    lib = Library.open(lib_path, demo=False)
    with lib.transaction() as changes:
        for article in CORPUS:
            changes.put_article(article, ORIGIN)
    return lib


def pmids(lib: Library, query: str, **kw: object) -> list[str | None]:
    index = SearchIndex.for_library(lib)
    return [h.pmid for h in index.search(query, **kw).hits]  # type: ignore[arg-type]


def test_terms_are_anded_and_operators_combine(corpus: Library) -> None:
    assert sorted(pmids(corpus, "stem cells")) == ["1", "4"]
    assert sorted(pmids(corpus, "exosomes OR heart")) == ["3", "4"]
    assert sorted(pmids(corpus, "stem NOT heart")) == ["1", "2"]
    assert sorted(pmids(corpus, "(exosomes OR heart) AND cells")) == ["3", "4"]
    # Left to right, as PubMed: (colon OR heart) AND therapy
    assert pmids(corpus, "colon OR heart AND therapy") == ["4"]


def test_phrases_and_hyphens(corpus: Library) -> None:
    # 1 has "Stem-cell markers" in its abstract: a hyphenated word is the phrase of its parts.
    assert sorted(pmids(corpus, '"stem cell"')) == ["1", "2", "4"]
    assert sorted(pmids(corpus, "stem-cell")) == ["1", "2", "4"]
    assert sorted(pmids(corpus, '"stem cell"[ti]')) == ["4"]  # 1's title says "stem cells"
    assert pmids(corpus, '"cells between"') == []


def test_tagged_terms_do_not_stem_but_wildcards_widen(corpus: Library) -> None:
    assert pmids(corpus, "cancer[ti]") == ["1"]
    assert pmids(corpus, "cancers[ti]") == ["2"]
    assert sorted(pmids(corpus, "cancer*[ti]")) == ["1", "2"]
    assert pmids(corpus, "exosom*") == ["3", None]  # the record, and a stub its references name
    assert pmids(corpus, "exosome[ti]") == [None]  # only the stub's title says "exosome"
    assert pmids(corpus, "exosome[ab]") == ["3"]
    assert sorted(pmids(corpus, "relapse[tiab]")) == ["1"]


def test_author_surnames_and_initials(corpus: Library) -> None:
    assert sorted(pmids(corpus, "Smith[au]")) == ["1", "2"]  # not Smithson
    assert pmids(corpus, "Smith J[au]") == ["1"]  # initials begin with J: "Smith JA"
    assert pmids(corpus, "Smith JA[au]") == ["1"]
    assert pmids(corpus, "Smith JB[au]") == []
    assert sorted(pmids(corpus, "Smith*[au]")) == ["1", "2", "3"]
    assert pmids(corpus, "de Ruiter P[au]") == ["2"]
    assert pmids(corpus, "niche Smith B[au]") == ["2"]  # an untagged word before the author
    # Accent-insensitive both ways.
    assert sorted(pmids(corpus, "Gomez[au]")) == ["1", "3"]
    assert sorted(pmids(corpus, "Gómez[au]")) == ["1", "3"]


def test_other_fields(corpus: Library) -> None:
    assert sorted(pmids(corpus, "2019[dp]")) == ["3", "4"]
    assert sorted(pmids(corpus, "2018:2019[dp]")) == ["1", "3", "4"]
    assert pmids(corpus, "Nat Rev Cancer[ta]") == ["2"]
    assert pmids(corpus, "Nature Reviews Cancer[journal]") == ["2"]
    assert pmids(corpus, "3[pmid]") == ["3"]
    assert pmids(corpus, "10.1016/j.cell.2019.01.001[doi]") == ["3"]
    assert pmids(corpus, "Neoplastic Stem Cells[mh]") == ["1"]
    assert pmids(corpus, "colonic neoplasms[mh]") == ["1"]
    assert pmids(corpus, "relapse") == ["1"]  # keywords are searched untagged


def test_relevance_ranking_and_sorts(corpus: Library) -> None:
    index = SearchIndex.for_library(corpus)
    hits = index.search("stem cell").hits
    assert hits[0].pmid == "4"  # the phrase in the title, boosted
    assert [h.pmid for h in index.search("stem cell", sort="date").hits] == ["2", "4", "1"]
    assert [h.pmid for h in index.search("", sort="cited").hits][:2] == ["3", "1"]
    # Equal scores are ordered newest first.
    tied = index.search("2018:2020[dp]").hits
    assert [h.year for h in tied] == sorted((h.year for h in tied), reverse=True)


def test_stubs_are_searchable_and_marked(corpus: Library) -> None:
    index = SearchIndex.for_library(corpus)
    hits = index.search("exosome study").hits
    assert len(hits) == 1 and hits[0].stub and hits[0].pmid is None and hits[0].year == 2001
    assert [h.pmid for h in index.search("is:stub").hits] == [None]
    assert sorted(h.pmid for h in index.search("is:full").hits) == ["1", "2", "3", "4"]  # type: ignore[type-var]


def test_hits_carry_what_a_result_row_shows(corpus: Library) -> None:
    hit = SearchIndex.for_library(corpus).search("exosomes").hits[0]
    assert hit.to_json() == {
        "pmid": "3",
        "pmcid": None,
        "doi": "10.1016/J.CELL.2019.01.001",
        "title": "Exosomes carry microRNAs between cells",
        "year": 2019,
        "journal": "Cell",
        "first_author": "Gomez M",
        "authors": 2,
        "cited": 300,
        "rcr": None,  # iCite's Relative Citation Ratio: not fetched for this one
        "score": hit.to_json()["score"],
        "stub": False,
    }
    assert isinstance(hit.score, float) and hit.score > 0


@pytest.mark.parametrize(
    ("query", "column", "words"),
    [
        ("(stem cell", 1, "never closed"),
        ("stem cell)", 10, "no '(' before it"),
        ('"stem cell', 1, "quote is never closed"),
        ("stem OR", 6, "OR has nothing after it"),
        ("AND stem", 1, "needs a search term before it"),
        ("stem[xx]", 5, "[xx] is not a field tag"),
        ("[ti]", 1, "no search term before it"),
        ("ste*m", 4, "wildcard * can only end a word"),
        ("()", 1, "empty parentheses"),
        ("tag:", 1, "needs a value"),
        ("is:weird", 1, "is:weird is not one of"),
    ],
)
def test_syntax_errors_point_at_the_problem(query: str, column: int, words: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert words in info.value.message
    assert info.value.position + 1 == column
    assert info.value.pointer().splitlines() == [query, " " * (column - 1) + "^"]


def test_bad_values_in_tags_are_errors(corpus: Library) -> None:
    index = SearchIndex.for_library(corpus)
    with pytest.raises(QuerySyntaxError, match="not a year"):
        index.search("recent[dp]")
    with pytest.raises(QuerySyntaxError, match="not a PMID"):
        index.search("abc[pmid]")


def test_query_tree_shapes() -> None:
    assert parse_query("") == MatchAll()
    assert parse_query("Smith JA[au]") == Term("Smith JA", "au", phrase=True, position=0)
    assert parse_query("Biomark Res[ta]") == Term("Biomark Res", "ta", phrase=True, position=0)
    assert parse_query("starred tag:to-read") == Op(
        "AND", Filter("mark", "starred", 0), Filter("tag", "to-read", 8)
    )
    node = parse_query("a OR b c")
    assert node == Op("AND", Op("OR", Term("a", position=0), Term("b", position=5)), Term("c", position=7))


def test_mark_filters_use_the_lookup(corpus: Library) -> None:
    index = SearchIndex.for_library(corpus)
    marked = {
        ("mark", "starred"): {"pmid:3"},
        ("tag", "review"): {"pmid:2", "pmid:1"},
        ("mark", "included"): {"pmid:1"},
    }

    def lookup(kind: str, value: str) -> set[str]:
        return marked.get((kind, value), set())

    assert [h.pmid for h in index.search("starred", marks=lookup).hits] == ["3"]
    by_date = index.search("tag:review cancer*[ti]", marks=lookup, sort="date")
    assert [h.pmid for h in by_date.hits] == ["2", "1"]
    unscreened = index.search("unscreened is:full", marks=lookup)
    assert sorted(str(h.pmid) for h in unscreened.hits) == ["2", "3", "4"]
    assert index.search("excluded", marks=lookup).hits == []


def test_the_index_follows_imports(corpus: Library) -> None:
    index = SearchIndex.for_library(corpus)
    assert index.search("periodontitis").total == 0
    import_file(corpus, PAGES.parent.parent.parent / "store" / "demo" / "30992990.txt")
    fresh = SearchIndex.open_if_fresh(corpus.path)
    assert fresh is not None  # updated in place by the write, no rebuild needed
    assert fresh.search("periodontitis").total == 1
    assert [h.pmid for h in fresh.search("30992990").hits] == ["30992990"]


def test_search_does_not_need_the_library_loaded(corpus: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    path = corpus.path
    assert SearchIndex.open_if_fresh(path) is not None
    # A library changed behind the index's back (another version, a crash between writes): stale.
    with monkeypatch.context() as m:
        m.setattr(Library, "_after_write", lambda *args: None)
        with corpus.transaction() as changes:
            changes.put_article(_article("77", "Behind the index's back"), ORIGIN)
    assert SearchIndex.open_if_fresh(path) is None
    rebuilt = SearchIndex.for_library(Library.open(path))
    assert rebuilt.search("exosomes").total == 1
    assert SearchIndex.open_if_fresh(path) is not None


def test_a_lost_or_broken_index_is_rebuilt(corpus: Library) -> None:
    folder = index_folder(corpus.path)
    (folder / META).write_text(json.dumps({"version": 999}))
    assert SearchIndex.open_if_fresh(corpus.path) is None
    with corpus.transaction() as changes:
        changes.put_article(_article("5", "A fifth article on exosomes"), ORIGIN)
    fresh = SearchIndex.open_if_fresh(corpus.path)
    assert fresh is not None and fresh.search("exosomes").total == 2


def test_merged_records_leave_one_index_entry(corpus: Library) -> None:
    with corpus.transaction() as changes:
        changes.put_article(
            _article("6", "Cites by DOI", references=[Link(doi="10.5555/x.1", title="Stubby")]), ORIGIN
        )
    with corpus.transaction() as changes:
        changes.put_article(
            _article("7", "Cites by PMID", references=[Link(pmid="8", title="Stubby")]), ORIGIN
        )
    assert SearchIndex.for_library(corpus).search("stubby").total == 2
    with corpus.transaction() as changes:
        changes.put_article(_article("8", "Stubby, in full", doi="10.5555/x.1"), ORIGIN)
    index = SearchIndex.open_if_fresh(corpus.path)
    assert index is not None
    assert [(h.pmid, h.stub) for h in index.search("stubby").hits] == [("8", False)]


def test_punctuation_words_do_not_empty_a_search(corpus: Library) -> None:
    assert sorted(pmids(corpus, "stem & cells")) == sorted(pmids(corpus, "stem cells"))
    assert pmids(corpus, "exosomes - cells") == pmids(corpus, "exosomes cells")
    with pytest.raises(QuerySyntaxError, match="nothing to search for"):
        SearchIndex.for_library(corpus).search("& -")


def test_short_last_words_of_an_author_are_initials_or_surname(corpus: Library) -> None:
    with corpus.transaction() as changes:
        changes.put_article(_article("9", "Dutch surnames", authors=[Author("Van Dam", "J")]), ORIGIN)
    assert pmids(corpus, "Van Dam[au]") == ["9"]
    assert pmids(corpus, '"Van Dam"[au]') == ["9"]
    assert pmids(corpus, "Van Dam J[au]") == ["9"]
    assert pmids(corpus, "Smith J[au]") == ["1"]


def test_regex_characters_in_wildcards_are_literal(corpus: Library) -> None:
    index = SearchIndex.for_library(corpus)
    assert index.search("10.1016/j.cell<2019>*[doi]").total == 0
    assert [h.pmid for h in index.search("10.1016/j.cell.2019*[doi]").hits] == ["3"]


def test_errors_in_tag_values_point_at_the_term(corpus: Library) -> None:
    index = SearchIndex.for_library(corpus)
    with pytest.raises(QuerySyntaxError) as info:
        index.search("stem AND 20x9[dp]")
    assert info.value.position == 9 and info.value.query == "stem AND 20x9[dp]"


def test_deep_nesting_is_a_syntax_error_not_a_crash() -> None:
    with pytest.raises(QuerySyntaxError, match="nest deeper"):
        parse_query("(" * 500 + "x" + ")" * 500)


def test_mesh_matches_the_words_of_one_heading(corpus: Library) -> None:
    with corpus.transaction() as changes:
        changes.put_article(
            _article("20", "Cultures", mesh=["Cells, Cultured", "Breast Neoplasms/*therapy", "Neoplasms"]),
            ORIGIN,
        )
    assert pmids(corpus, "cultured cells[mh]") == ["20"]  # any order, as in "Cells, Cultured"
    assert pmids(corpus, "cells cultured[mh:noexp]") == ["20"]
    assert sorted(pmids(corpus, "neoplasms[mh]")) == ["1", "20"]  # "Colonic Neoplasms", "Breast Neoplasms"
    assert sorted(pmids(corpus, "neoplas*[mh]")) == ["1", "20"]
    assert pmids(corpus, "stem cells[mh]") == ["1"]  # "Neoplastic Stem Cells"
    assert pmids(corpus, "pathology neoplastic[mh]") == []  # words of two headings are not one heading
    assert pmids(corpus, "therapy[mh]") == []  # a qualifier is not a heading...
    assert pmids(corpus, "Breast Neoplasms/therapy[mh]") == ["20"]  # ...but heading/qualifier is
    assert pmids(corpus, "cancer[mh]") == []


def test_headings_containing_a_word(corpus: Library) -> None:
    with corpus.transaction() as changes:
        changes.put_article(_article("21", "A", mesh=["Breast Neoplasms/therapy", "Cancer Vaccines"]), ORIGIN)
        changes.put_article(_article("22", "B", mesh=["Breast Neoplasms", "Neoplasms"]), ORIGIN)
    index = SearchIndex.for_library(corpus)
    # Most used first, then alphabetically; a word matches a heading's word that begins with it.
    assert index.headings_containing("neoplasm") == ["Breast Neoplasms", "Colonic Neoplasms", "Neoplasms"]
    assert index.headings_containing("NEOPLASMS", limit=1) == ["Breast Neoplasms"]
    assert index.headings_containing("cancer") == ["Cancer Vaccines"]
    assert index.headings_containing("stem cel") == ["Neoplastic Stem Cells"]
    assert index.headings_containing("heart") == []
    assert index.headings_containing("&") == []
    # Headings of a record that was replaced are no longer counted.
    with corpus.transaction() as changes:
        changes.put_article(_article("21", "A", mesh=["Neoplasms"]), ORIGIN)
    fresh = SearchIndex.for_library(corpus)
    assert fresh.headings_containing("cancer") == []
    assert fresh.headings_containing("neoplasms")[0] == "Neoplasms"


def test_collective_authors_are_found_by_name(corpus: Library) -> None:
    group = Author("Movement Disorder Group", collective=True)
    with corpus.transaction() as changes:
        changes.put_article(_article("30", "Tremor", authors=[Author("Lee", "K"), group]), ORIGIN)
    assert pmids(corpus, "Movement Disorder Group[au]") == ["30"]
    assert pmids(corpus, '"Movement Disorder Group"[au]') == ["30"]
    assert pmids(corpus, '"movement disorder"[au]') == ["30"]
    assert pmids(corpus, "Movement Disorder Group") == ["30"]
    assert pmids(corpus, '"Disorder Movement"[au]') == []


def test_a_bare_pmcid_finds_the_article(corpus: Library) -> None:
    with corpus.transaction() as changes:
        changes.put_article(_article("31", "Open access", pmcid="PMC4631030"), ORIGIN)
    assert pmids(corpus, "PMC4631030") == ["31"]
    assert pmids(corpus, "pmc4631030") == ["31"]
    assert pmids(corpus, "4631030") == []  # a bare number is a PMID, not a PMCID


def test_long_queries_do_not_crash(corpus: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    with corpus.transaction() as changes:
        for n in range(100, 400):
            changes.put_article(_article(str(n), f"Pasted paper {n}"), ORIGIN)
    index = SearchIndex.for_library(corpus)
    pasted = " OR ".join(str(n) for n in range(100, 10_100))
    # A set lookup, not 10,000 clauses: counted, not timed (a time bound failed at load ~15).
    terms = 0
    term = compile_module._Compiler.term

    def counted(self: object, node: Term) -> object:
        nonlocal terms
        terms += 1
        return term(self, node)  # type: ignore[arg-type]

    monkeypatch.setattr(compile_module._Compiler, "term", counted)
    assert index.search(pasted, limit=1000).total == 300
    assert terms <= 2
    monkeypatch.undo()
    tagged = " OR ".join(f"{n}[pmid]" for n in range(350, 1350))
    assert sorted(int(h.pmid or 0) for h in index.search(tagged, limit=100).hits) == list(range(350, 400))
    assert index.search("pasted " + " ".join(f"paper{n}" for n in range(1000))).total == 0
    assert index.search("pasted " + " ".join(f"NOT w{n}" for n in range(1000))).total == 300
    assert index.search(f"({pasted}) AND 1:2030[dp]").total == 0
    assert sorted(pmids(corpus, "1 OR 2 OR 3 OR 4 NOT 2")) == ["1", "3", "4"]
    alternating = " ".join(f"w{n} {('AND', 'OR')[n % 2]}" for n in range(1000)) + " x"
    with pytest.raises(QuerySyntaxError, match="group its parts with parentheses"):
        index.search(alternating)


def test_mesh_word_terms_of_repeated_and_overlong_headings() -> None:
    # Headings' terms are made once and kept (they repeat from record to record); a string longer than
    # any heading is not kept, and gives the same terms.
    from store.search.fields import HEADING_SEP, MAX_CACHED, mesh_word_terms

    long = "Cells " + "x" * MAX_CACHED + " Cultured/cytology"
    assert mesh_word_terms(["Stem Cells/cytology", "*Stem Cells", "Cells, Cultured"]) == [
        "stem" + HEADING_SEP + "Stem Cells",
        "cells" + HEADING_SEP + "Stem Cells",
        "cells" + HEADING_SEP + "Cells, Cultured",
        "cultured" + HEADING_SEP + "Cells, Cultured",
    ]
    heading = long.partition("/")[0]
    assert mesh_word_terms([long]) == [w + HEADING_SEP + heading for w in ("cells", "cultured")]
    assert mesh_word_terms([long, long]) == mesh_word_terms([long])
