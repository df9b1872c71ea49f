"""The document schema, written once (store.model): documents, their checks, and an article read from
the library, which does not hold its links."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import orjson
import pytest

from store.library import Library
from store.model import (
    ARTICLE_FIELDS,
    COUNT,
    FLAG,
    IDENT,
    LINKS,
    METRICS,
    RECORDS,
    SCHEMA,
    TEXT,
    TEXTS,
    YEAR,
    AbstractSection,
    Article,
    Author,
    Link,
    LinksNotHeldError,
    Origin,
)
from store.schema import check_document

FULL = Article(
    pmid="30992990",
    pmcid="PMC6468391",
    doi="10.1000/full",
    title="Every field",
    journal="J Test",
    journal_title="Journal of Tests",
    publisher="Tests Press",
    date="2019 Apr 16",
    volume="12",
    issue="3",
    pages="1-9",
    year=2019,
    authors=[
        Author("Li", "K", "Kai", "Jr", affiliations=["Lab"]),
        Author("The Group", collective=True),
    ],
    abstract=[AbstractSection("Why.", label="BACKGROUND"), AbstractSection("Plain.")],
    citation_count=7,
    affiliations=["Lab"],
    languages=["eng"],
    publication_types=["Journal Article"],
    mesh=["Exosomes"],
    keywords=["exosome"],
    grants=["R01 CA123456/CA/NCI NIH HHS/United States"],
    references=[Link(pmid="1", title="Cited", authors=["Wu X"], year=2001, sources=["page"])],
    cited_by=[Link(doi="10.1000/citing", sources=["europepmc"])],
    origins=[Origin("page", "a.txt")],
    metrics={"icite": {"fetched": "2026-01-01T00:00:00Z", "citation_count": 7}},
    stub=False,
)


def test_documents_hold_the_fields_in_the_declared_order_and_come_back_whole() -> None:
    doc = FULL.to_doc()
    # Every field is set, so every one but the false flag is stored, in the order declared.
    assert list(doc) == [f.name for f in ARTICLE_FIELDS if f.name != "stub"]
    assert doc["abstract"] == [{"label": "BACKGROUND", "text": "Why."}, {"text": "Plain."}]  # (label first)
    assert doc["authors"][1] == {"last": "The Group", "collective": True}
    assert doc["references"] == [
        {"pmid": "1", "title": "Cited", "authors": ["Wu X"], "year": 2001, "sources": ["page"]}
    ]
    assert Article.from_doc(orjson.loads(orjson.dumps(doc))) == FULL
    assert Article().to_doc() == {} and Article.from_doc({}) == Article()


def test_every_kind_of_field_is_declared_and_mapped() -> None:
    kinds = {IDENT, TEXT, TEXTS, YEAR, COUNT, FLAG, RECORDS, METRICS, LINKS}
    for schema in SCHEMA.values():
        names = [f.name for f in schema.fields]
        assert sorted(names) == sorted(f.name for f in dataclasses.fields(schema.cls))
        assert {f.kind for f in schema.fields} <= kinds
        assert all(f.item in SCHEMA for f in schema.fields if f.kind == RECORDS)


# A wrong value of each kind of field, and what the check says of it.
WRONG = {
    IDENT: (30992990, "is not text"),
    TEXT: (["a"], "is not text"),
    TEXTS: ("a", "is not a list of text"),
    YEAR: (10**15, "is not a year"),
    COUNT: (-1, "is not a count"),
    FLAG: ("yes", "is not true or false"),
    RECORDS: (["a"], "is not a list of objects"),
    LINKS: ([1, 2], "belongs in the links table"),
}


@pytest.mark.parametrize("field", [f for f in ARTICLE_FIELDS if f.kind != METRICS], ids=lambda f: f.name)
def test_every_field_of_a_stored_document_is_checked(field: object) -> None:
    name, kind = field.name, field.kind  # type: ignore[attr-defined]
    value, words = WRONG[kind]
    assert check_document({"title": "x", name: value}) == f"{name!r} {words}" + (
        ", not in a document" if kind == LINKS else ""
    )
    stored = {k: v for k, v in FULL.to_doc().items() if k not in ("references", "cited_by")}
    assert check_document(stored) == ""


@pytest.mark.parametrize(
    ("field", "record", "words"),
    [
        ("authors", {"last": 5}, "an author's 'last' is not text"),
        ("authors", {"last": "Li", "collective": "yes"}, "an author's 'collective' is not true or false"),
        ("authors", {"last": "Li", "affiliations": [1]}, "an author's 'affiliations' is not a list of text"),
        ("authors", {"last": "Li", "orcid": ["x"]}, "an author's 'orcid' is not text"),
        ("abstract", {"text": None}, "an abstract section's 'text' is not text"),
        ("origins", {"format": "page", "location": 3}, "an origin's 'location' is not text"),
    ],
)
def test_the_records_a_document_holds_are_checked_by_their_schema(
    field: str, record: object, words: str
) -> None:
    assert check_document({field: [record]}) == words
    assert check_document({"authors": [{"last": "Li", "orcid": "0000"}]}) == ""  # (a field not named: text)


def test_an_article_read_from_the_library_does_not_pass_for_one_without_links(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "library.json", demo=False)
    with lib.transaction() as changes:
        changes.put_article(FULL, Origin("page", "a.txt"))
    doc_id = lib.find("30992990")
    assert doc_id is not None
    article = lib.article(doc_id)
    for rel in ("references", "cited_by"):
        with pytest.raises(LinksNotHeldError, match=rf"library.links\({doc_id}, "):
            len(getattr(article, rel))
        with pytest.raises(LinksNotHeldError):
            list(getattr(article, rel))
        with pytest.raises(LinksNotHeldError):
            bool(getattr(article, rel))
    assert [v.pmid for v in lib.links(doc_id, "references")] == ["1"]  # (where they are)
    # Everything else is the article as it was put, and changing it and putting it back keeps the links.
    assert dataclasses.replace(article, references=[], cited_by=[]) == dataclasses.replace(
        FULL, references=[], cited_by=[]
    )
    assert "references" not in article.to_doc() and "cited_by" not in article.to_doc()
    with lib.transaction() as changes:
        changes.put_article(dataclasses.replace(article, title="Retitled"), Origin("page", "b.txt"))
    assert lib.get("30992990").title == "Retitled"  # type: ignore[union-attr]
    assert lib.link_counts(doc_id) == (1, 1)
    assert lib.get("30992990") == lib.article(doc_id)  # (equal, links not held on either)
