"""The CSL-JSON parser: recognising the format, its errors, and the round trip through our exporter."""

from __future__ import annotations

import io
import json
from pathlib import Path

import orjson
import pytest

from store.errors import ParseError
from store.export.citation import full_pages, given_name, is_literal, keyword_list, pubdate
from store.export.csljson import CslJsonExporter
from store.formats.csljson import CslJsonParser
from store.library import Library
from store.model import AbstractSection, Article, Origin
from store.names import initials_in, initials_of
from tests.conftest import SHARED_DATA
from tests.store.samples import edge_articles, library_stubs, page_articles, pubmed_xml_articles


def parse(text: str) -> list[Article]:
    return list(CslJsonParser().parse(io.BytesIO(text.encode("utf-8")), "items.json"))


def csl_view(article: Article) -> dict[str, object]:
    """Everything a CSL-JSON item carries of an article, in the form it carries it."""
    date = pubdate(article)
    return {
        "ids": (article.pmid, article.pmcid, article.doi),
        "title": " ".join(article.title.split()),
        "authors": [
            (a.last, is_literal(a), "" if is_literal(a) else given_name(a), a.suffix) for a in article.authors
        ],
        "journal": (article.journal, article.journal_title, article.publisher),
        "date": (date.text() if date else "", article.year),
        "vip": (article.volume, article.issue, full_pages(article.pages)),
        "abstract": article.abstract,
        "keywords": keyword_list(article.keywords),
    }


def test_round_trip_through_our_exporter(tmp_path: Path) -> None:
    articles = [*page_articles(), *library_stubs(tmp_path), *edge_articles()]
    back = parse(CslJsonExporter().dumps(articles))
    assert len(back) == len(articles)
    for original, again in zip(articles, back, strict=True):
        assert csl_view(again) == csl_view(original), original.label
    full = back[-5]
    assert full.authors[0].fore == "Hans-Jürgen" and full.authors[0].initials == "HJ"
    assert full.authors[1].collective and full.authors[3].initials == "P"
    assert full.date == "2015 Nov-Dec" and full.pages == "1053-1067"
    assert full.keywords == ["stem cells", "β-catenin", "exosomes, small"]
    assert [a.date for a in back[-3:-1]] == ["1998 Spring", "2000 Dec 23-30"]


def test_pubmed_xml_records_round_trip() -> None:
    originals = pubmed_xml_articles()
    back = parse(CslJsonExporter().dumps(originals))
    assert [csl_view(a) for a in back] == [csl_view(a) for a in originals]


def test_round_trip_into_a_fresh_library(tmp_path: Path) -> None:
    articles = edge_articles()
    path = tmp_path / "items.json"
    path.write_text(CslJsonExporter().dumps(articles), encoding="utf-8")
    library = Library.open(tmp_path / "library.json", demo=False)
    with library.transaction() as changes, path.open("rb") as stream:
        for article in CslJsonParser().parse(stream, str(path)):
            changes.put_article(article, Origin(CslJsonParser.name, str(path)))
    reopened = Library.open(tmp_path / "library.json")
    for original in articles:
        stored = reopened.get(original.label)
        assert stored is not None and not stored.stub
        assert csl_view(stored) == csl_view(original)


def test_sniff() -> None:
    assert CslJsonParser.sniff(b'[{"id": "x", "type": "article-journal", "title": "T"}]')
    assert CslJsonParser.sniff(b'\xef\xbb\xbf  [\n  {\n    "type": "book",\n    "id": 1')  # cut off: a head
    assert CslJsonParser.sniff(b'{"title": "One item", "type": "article"}')
    assert not CslJsonParser.sniff(b'{"header": {"type": "esearch"}, "esearchresult": {"idlist": []}}')
    assert not CslJsonParser.sniff(b'[{"id": 1, "type": "unknown-thing"}]')
    assert not CslJsonParser.sniff(b"PMID- 123\nTI  - x")
    assert not CslJsonParser.sniff(b"\xc2\xbb Articles \xc2\xbb PMID: 1")


def test_sniff_leaves_other_services_json_alone() -> None:
    folders = [SHARED_DATA / f for f in ("esearch_json", "esummary_json", "europepmc_json")]
    files = [p for folder in folders if folder.is_dir() for p in sorted(folder.iterdir())]
    if not files:
        pytest.skip("../shared/data is not available")
    for path in files:
        assert not CslJsonParser.sniff(path.read_bytes()[:8192]), path.name


def test_malformed_json_names_the_line() -> None:
    with pytest.raises(ParseError) as caught:
        parse('[\n  {"type": "article", "title": "A"},\n  {"type": "article" "title": "B"}\n]')
    assert caught.value.line == 3 and "items.json, line 3" in str(caught.value)


def test_an_item_that_is_not_an_object_names_the_record() -> None:
    with pytest.raises(ParseError) as caught:
        parse('[{"type": "article", "title": "A"}, "just text"]')
    assert caught.value.record == "2" and "not a JSON string" in str(caught.value)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ('{"type": "article", "title": ["A"]}', "'title' should be text"),
        ('{"type": "article", "title": "A", "author": {"family": "X"}}', "'author' should be an array"),
        ('{"type": "article", "title": "A", "author": ["X Y"]}', "an author should be a JSON object"),
        ('{"type": "article", "title": "A", "issued": {"date-parts": [[2019, 13]]}}', "no such month"),
        ('{"type": "article", "title": "A", "issued": {"date-parts": [["spring"]]}}', "should be a number"),
        ('{"type": "article", "title": "A", "PMID": "abc"}', "PMID 'abc' is not a valid PMID"),
    ],
)
def test_wrong_field_types_name_the_record(item: str, message: str) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        parse(f'[{{"type": "article", "title": "fine"}}, {item}]')
    assert caught.value.record == "2"


def test_a_top_level_that_is_neither_array_nor_object() -> None:
    with pytest.raises(ParseError, match="found a JSON string"):
        parse('"article"')


def test_foreign_csl_json() -> None:
    """CSL as other tools write it: numbers for text, particles, a literal date, Zotero's journal key."""
    text = json.dumps(
        {
            "id": "http://zotero.org/users/1/items/ABCD",
            "type": "article-journal",
            "title": "Über alles.",
            "author": [
                {"family": "Beethoven", "given": "Ludwig", "non-dropping-particle": "van"},
                {"given": "Madonna"},
                {"family": "Curie", "given": "M.-S."},
            ],
            "issued": {"raw": "1999 Dec-2000 Jan"},
            "journalAbbreviation": "Music J",
            "container-title": "The Music Journal",
            "volume": 7,
            "page": 12,
            "PMID": 123,
            "DOI": "https://doi.org/10.1000/XYZ",
            "abstract": "First paragraph.\n\nOBJECTIVE: To test.",
            "keyword": "alpha; beta, gamma",
            "language": "en",
        }
    )
    (article,) = parse(text)
    assert article.title == "Über alles"
    assert [(a.last, a.fore, a.initials) for a in article.authors] == [
        ("van Beethoven", "Ludwig", "L"),
        ("Madonna", "", ""),
        ("Curie", "", "MS"),
    ]
    assert (article.date, article.year) == ("1999 Dec-2000 Jan", 1999)
    assert (article.journal, article.journal_title) == ("Music J", "The Music Journal")
    assert (article.volume, article.pages, article.pmid, article.doi) == ("7", "12", "123", "10.1000/XYZ")
    assert article.abstract == [
        AbstractSection("First paragraph."),
        AbstractSection("To test.", label="OBJECTIVE"),
    ]
    assert article.keywords == ["alpha", "beta, gamma"] and article.languages == ["en"]


def test_dates_and_empty_items() -> None:
    items = [
        {"type": "article", "title": "Season", "issued": {"date-parts": [[1998]], "season": "Winter"}},
        {"type": "article", "title": "Season number", "issued": {"date-parts": [[1998, 22]]}},
        {"type": "article", "title": "Empty date", "issued": {"date-parts": [[""]]}},
        {"type": "article", "title": "Odd date", "issued": {"literal": "Summer-Fall  2001"}},
        {"type": "article", "id": "nothing-to-know-it-by"},
    ]
    parser = CslJsonParser()
    found = list(parser.parse(io.BytesIO(json.dumps(items).encode()), "x.json"))
    assert [(a.date, a.year) for a in found] == [
        ("1998 Winter", 1998),
        ("1998 Summer", 1998),
        ("", None),
        ("Summer-Fall 2001", 2001),
    ]
    assert parser.skipped.counts == {"item without title or identifier": 1}


def test_names() -> None:
    assert initials_of("Peter J A") == "PJA"
    assert initials_of("Jean-Pierre") == "JP"
    assert initials_of("Åse") == "Å"
    assert [initials_in(t) for t in ("JA", "J. A.", "M.-S.", "T C", "Ø", "Jo", "Harry", "ABCDE", "")] == [
        "JA",
        "JA",
        "MS",
        "TC",
        "Ø",
        None,
        None,
        None,
        None,
    ]


def storable(article: Article) -> bytes:
    """What the library writes must encode: no lone surrogates, no integers over 64 bits."""
    return orjson.dumps(article.to_doc())


def test_a_lone_surrogate_is_replaced_not_stored() -> None:
    (article,) = parse('[{"type": "article", "title": "x\\ud800y", "author": [{"literal": "\\udfffG"}]}]')
    assert article.title == "x\ufffdy" and article.authors[0].last == "\ufffdG"
    storable(article)
    # A surrogate pair is one character, and stays it.
    (pair,) = parse('{"type": "article", "title": "smile \\ud83d\\ude00"}')
    assert pair.title == "smile \U0001f600"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            '[{"type": "article", "title": "A", "issued": {"date-parts": [[18446744073709551617]]}}]',
            "0 to 9999",
        ),
        ('[{"type": "article", "title": "A", "issued": {"date-parts": [[2019, -1]]}}]', "0 to 9999"),
        ('[{"type": "article", "title": "A", "issued": {"date-parts": [["٢٠١٩"]]}}]', "should be a number"),
        ("[" * 1000 + "]" * 1000, "nest too deeply"),
        ('[{"type": "article", "title": "A", "volume": ' + "9" * 5000 + "}]", "not CSL-JSON"),
    ],
)
def test_hostile_json_is_one_clear_error(text: str, words: str) -> None:
    with pytest.raises(ParseError, match=words) as caught:
        parse(text)
    assert "\n" not in str(caught.value) and str(caught.value).startswith("items.json")


def test_non_ascii_digits_are_not_identifiers() -> None:
    with pytest.raises(ParseError, match="not a valid PMID"):
        parse('[{"type": "article", "title": "A", "PMID": "٣٠٩٩٢٩٩٠"}]')
