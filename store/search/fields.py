"""What the search index holds: its schema, the analyzer both documents and queries go through, how a
library document becomes an index document, and what a hit carries back.

Text is tokenised by tantivy's simple tokenizer with lower-casing and ASCII folding (so "Gómez"
finds "Gomez"); query words go through the very same analyzer, so both sides always agree. There is
no stemming: ``cancer`` does not match ``cancers``, as with tagged terms in PubMed.

Bump ``INDEX_VERSION`` whenever what is indexed changes: indexes of another version are rebuilt.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import tantivy

from store import metrics
from store.ids import identity_keys

# 2: MeSH headings by word (``mesh_words``), collective authors in ``author_last``; 3: citation metrics
# (``rcr``, ``percentile``, ``apt``, ``clinical``, ``research``, ``has_metrics``; ``cited`` counts them)
INDEX_VERSION = 3
FOLDED = "pmbrowse_folded"
# Joins a folded word and the MeSH heading it is part of in one ``mesh_words`` term: "neoplasms\x1fBreast
# Neoplasms". A control character, so it never occurs in a heading and sorts before every letter.
HEADING_SEP = "\x1f"
# A collective author is found by any run of its words; names longer than this are cut (a long
# consortium name would otherwise make hundreds of terms).
MAX_COLLECTIVE_WORDS = 12


def _analyzer() -> Any:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(80))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


ANALYZER = _analyzer()


def analyze(text: str) -> list[str]:
    """The tokens the index holds for ``text``."""
    tokens: list[str] = ANALYZER.analyze(text)
    return tokens


def _schema() -> Any:
    b = tantivy.SchemaBuilder()
    b.add_integer_field("doc_id", stored=True, indexed=True, fast=True)
    for name in ("pmid", "pmcid", "doi"):
        b.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
    b.add_text_field("doi_key", tokenizer_name="raw", index_option="basic")
    b.add_text_field("keys", tokenizer_name="raw", index_option="basic")
    b.add_text_field("title", stored=True, tokenizer_name=FOLDED)
    for name in ("abstract", "author", "journal", "mesh", "keywords"):
        b.add_text_field(name, tokenizer_name=FOLDED)
    b.add_text_field("author_last", tokenizer_name="raw", index_option="basic")
    b.add_text_field("author_full", tokenizer_name="raw", index_option="basic")
    b.add_text_field("mesh_words", tokenizer_name="raw", index_option="basic")
    b.add_text_field("journal_name", stored=True, tokenizer_name="raw", index_option="basic")
    b.add_text_field("first_author", stored=True, tokenizer_name="raw", index_option="basic")
    b.add_integer_field("authors", stored=True)
    b.add_integer_field("year", stored=True, indexed=True, fast=True)
    b.add_integer_field("cited", stored=True, indexed=True, fast=True)
    b.add_integer_field("stub", stored=True, indexed=True, fast=True)
    b.add_integer_field("has_abstract", indexed=True)
    # Citation metrics (``store.metrics``): only records that have the number hold the field.
    b.add_float_field("rcr", stored=True, indexed=True, fast=True)
    b.add_float_field("percentile", indexed=True, fast=True)
    b.add_float_field("apt", indexed=True, fast=True)
    b.add_integer_field("clinical", indexed=True)
    b.add_integer_field("research", indexed=True)
    b.add_integer_field("has_metrics", indexed=True)
    return b.build()


SCHEMA = _schema()


@functools.lru_cache(maxsize=65536)
def author_key(last: str) -> str:
    """``García-López`` -> ``garcia_lopez``: a surname as one searchable token (surnames repeat a lot)."""
    return "_".join(analyze(last))


def collective_keys(name: str) -> list[str]:
    """``Movement Disorder Group`` -> every run of its words as one key (``movement_disorder_group``,
    ``disorder_group``, ``movement``...), so ``Name[au]``, ``"Name"[au]`` and ``Group[au]`` all find it."""
    words = analyze(name)[:MAX_COLLECTIVE_WORDS]
    return list(
        dict.fromkeys("_".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1))
    )


def mesh_heading(term: str) -> str:
    """``Mesenchymal Stem Cells/cytology`` -> ``Mesenchymal Stem Cells``: the descriptor, without its
    qualifier or a major-topic star."""
    return " ".join(term.partition("/")[0].replace("*", "").split())


def mesh_word_terms(headings: list[str]) -> list[str]:
    """The ``mesh_words`` terms of a record's headings: one per (folded word, heading)."""
    terms: dict[str, None] = {}
    for term in headings:
        for made in _heading_terms(term) if len(term) <= MAX_CACHED else _terms_of(term):
            terms[made] = None
    return list(terms)


# MeSH headings repeat from record to record (a vocabulary of some 30,000): each one's terms are made
# once. Longer strings (no heading is) are not kept: a hostile file could fill the cache with them.
MAX_CACHED = 200


def _terms_of(term: str) -> tuple[str, ...]:
    heading = mesh_heading(term)
    return tuple(word + HEADING_SEP + heading for word in analyze(heading))


_heading_terms = functools.lru_cache(maxsize=16384)(_terms_of)


def _author_terms(doc: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    words: list[str] = []
    lasts: list[str] = []
    fulls: list[str] = []
    for author in doc.get("authors", []):
        last = str(author.get("last", ""))
        words.append(" ".join(filter(None, (last, author.get("fore", ""), author.get("initials", "")))))
        if author.get("collective"):
            lasts.extend(collective_keys(last))
            continue
        key = author_key(last)
        initials = str(author.get("initials", "")).lower()
        if key:
            lasts.append(key)
            if initials:
                fulls.append(f"{key} {initials}")
        if "_" in key:
            also = key.rsplit("_", 1)[1]  # "García-López M" is also found as "Lopez M"
            if also:
                lasts.append(also)
                if initials:
                    fulls.append(f"{also} {initials}")
    return words, lasts, fulls


def index_document(doc_id: int, doc: dict[str, Any], citing: int = 0) -> Any:
    """The index document of a library document; ``citing``: how many articles of the library cite it
    (its links are kept apart from it)."""
    d = tantivy.Document()
    d.add_integer("doc_id", doc_id)
    for name in ("pmid", "pmcid", "doi"):
        if doc.get(name):
            d.add_text(name, doc[name])
    if doc.get("doi"):
        d.add_text("doi_key", doc["doi"].lower())
    for key in identity_keys(doc.get("pmid"), doc.get("pmcid"), doc.get("doi")):
        d.add_text("keys", key)
    d.add_text("title", doc.get("title", ""))
    d.add_text("abstract", " ".join(s.get("text", "") for s in doc.get("abstract", [])))
    words, lasts, fulls = _author_terms(doc)
    for w in words:
        d.add_text("author", w)
    for w in lasts:
        d.add_text("author_last", w)
    for w in fulls:
        d.add_text("author_full", w)
    for journal in {doc.get("journal", ""), doc.get("journal_title", "")} - {""}:
        d.add_text("journal", journal)
    for term in doc.get("mesh", []):
        d.add_text("mesh", term)
    for term in mesh_word_terms(doc.get("mesh", [])):
        d.add_text("mesh_words", term)
    for term in doc.get("keywords", []):
        d.add_text("keywords", term)
    authors = doc.get("authors", [])
    d.add_text("journal_name", doc.get("journal") or doc.get("journal_title") or "")
    if authors:
        first = authors[0]
        name = first.get("last", "")
        if first.get("initials") and not first.get("collective"):
            name += " " + first["initials"]
        d.add_text("first_author", name)
    d.add_integer("authors", len(authors))
    d.add_integer("year", int(doc.get("year") or 0))
    # (most documents hold no citation metrics: an import's records and stubs never do)
    held = doc.get("metrics")
    reported = metrics.reported_counts(doc) if held else ()
    d.add_integer("cited", max(int(doc.get("citation_count") or 0), citing, *reported))
    d.add_integer("stub", 1 if doc.get("stub") else 0)
    d.add_integer("has_abstract", 1 if doc.get("abstract") else 0)
    if held:
        _add_metrics(d, doc)
    return d


def _add_metrics(d: Any, doc: dict[str, Any]) -> None:
    icite = metrics.icite(doc)
    for field, key in (("rcr", metrics.RCR), ("percentile", metrics.PERCENTILE), ("apt", metrics.APT)):
        value = icite.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            d.add_float(field, float(value))
    if icite.get(metrics.CLINICAL) is True:
        d.add_integer("clinical", 1)
    if icite.get(metrics.RESEARCH) is True:
        d.add_integer("research", 1)
    if doc.get("metrics"):
        d.add_integer("has_metrics", 1)


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result, with what a result row shows (read from the index, not the library)."""

    doc_id: int
    score: float | None
    pmid: str | None
    pmcid: str | None
    doi: str | None
    title: str
    year: int | None
    journal: str
    first_author: str
    authors: int
    stub: bool
    cited: int
    rcr: float | None = None  # iCite's Relative Citation Ratio, when known

    def to_json(self) -> dict[str, object]:
        return {
            "pmid": self.pmid,
            "pmcid": self.pmcid,
            "doi": self.doi,
            "title": self.title,
            "year": self.year,
            "journal": self.journal,
            "first_author": self.first_author,
            "authors": self.authors,
            "cited": self.cited,
            "rcr": self.rcr,
            "score": None if self.score is None else round(self.score, 4),
            "stub": self.stub,
        }


@dataclass(frozen=True, slots=True)
class Results:
    hits: list[Hit]
    total: int


def _first(fields: dict[str, list[Any]], name: str, default: Any = None) -> Any:
    values = fields.get(name)
    return values[0] if values else default


def hit_from_fields(fields: dict[str, list[Any]], score: float | None) -> Hit:
    year = int(_first(fields, "year", 0))
    return Hit(
        doc_id=int(_first(fields, "doc_id")),
        score=score,
        pmid=_first(fields, "pmid"),
        pmcid=_first(fields, "pmcid"),
        doi=_first(fields, "doi"),
        title=_first(fields, "title", ""),
        year=year or None,
        journal=_first(fields, "journal_name", ""),
        first_author=_first(fields, "first_author", ""),
        authors=int(_first(fields, "authors", 0)),
        stub=bool(_first(fields, "stub", 0)),
        cited=int(_first(fields, "cited", 0)),
        rcr=_first(fields, "rcr"),
    )
