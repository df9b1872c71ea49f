"""What the search index holds: its schema, the analyzer both documents and queries go through, how a
library document becomes an index document, and what a hit carries back.

Text is tokenised by tantivy's simple tokenizer with lower-casing and ASCII folding (so "Gómez"
finds "Gomez"); query words go through the very same analyzer, so both sides always agree. There is
no stemming: ``cancer`` does not match ``cancers``, as with tagged terms in PubMed.

Bump ``INDEX_VERSION`` whenever what is indexed changes: indexes of another version are rebuilt.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from typing import Any

import orjson
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
    kept = _HEADINGS.made
    for term in headings:
        made = kept.get(term)
        for each in _HEADINGS.make(term) if made is None else made:
            terms[each] = None
    return list(terms)


# Longer strings (no heading is) are not kept: each would cost its kept terms' worth of memory.
MAX_CACHED = 200
# What the headings' kept terms may hold, counted as CPython lays them out (``sys.getsizeof``: a heading
# of Greek or mathematical letters costs two or four bytes a character; ~420 bytes a real heading:
# some 40,000 of them, the vocabulary of some 30,000 with its usual qualifiers). A count alone did not
# bound it: 16,384 hostile 200-character headings of many short words held 232 MB (stop 37).
HEADINGS_BUDGET = 16 << 20
_DICT_COST = 40  # an entry's share of the dict (its slot and index, the table a third empty), in bytes


def _terms_of(term: str) -> tuple[str, ...]:
    heading = mesh_heading(term)
    return tuple(word + HEADING_SEP + heading for word in analyze(heading))


class _KeptTerms:
    """MeSH headings repeat from record to record: each one's terms are made once and kept, within
    ``HEADINGS_BUDGET`` bytes (all let go when full: the vocabulary comes back within a few thousand
    records)."""

    def __init__(self, budget: int) -> None:
        self.made: dict[str, tuple[str, ...]] = {}
        self.budget = budget
        self.held = 0

    def make(self, term: str) -> tuple[str, ...]:
        made = _terms_of(term)
        if len(term) <= MAX_CACHED:
            cost = _DICT_COST + sys.getsizeof(term) + sys.getsizeof(made) + sum(map(sys.getsizeof, made))
            if self.held + cost > self.budget:
                self.made.clear()
                self.held = 0
            self.made[term] = made
            self.held += cost
        return made


_HEADINGS = _KeptTerms(HEADINGS_BUDGET)


def _author_terms(authors: list[dict[str, Any]]) -> tuple[list[str], list[str], list[str]]:
    words: list[str] = []
    lasts: list[str] = []
    fulls: list[str] = []
    for author in authors:
        get = author.get
        last, fore, initials = str(get("last", "")), get("fore", ""), get("initials", "")
        collective = bool(get("collective"))
        cached = (
            not collective
            and type(fore) is str
            and type(initials) is str
            and len(last) + len(fore) + len(initials) <= MAX_CACHED
        )
        parts = _one_author if cached else _author_parts
        word, its_lasts, its_fulls = parts(last, fore, initials, collective)
        words.append(word)
        lasts += its_lasts
        fulls += its_fulls
    return words, lasts, fulls


def _author_parts(
    last: str, fore: Any, initials: Any, collective: bool
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """One author's ``author`` text and its ``author_last`` and ``author_full`` terms."""
    word = " ".join(filter(None, (last, fore, initials)))
    if collective:
        return word, tuple(collective_keys(last)), ()
    key = author_key(last)
    lower = str(initials).lower()
    lasts: list[str] = []
    fulls: list[str] = []
    if key:
        lasts.append(key)
        if lower:
            fulls.append(f"{key} {lower}")
    if "_" in key:
        also = key.rsplit("_", 1)[1]  # "García-López M" is also found as "Lopez M"
        if also:
            lasts.append(also)
            if lower:
                fulls.append(f"{also} {lower}")
    return word, tuple(lasts), tuple(fulls)


# Names repeat from record to record, and a stub's authors (a reference's "Bruno S") most of all: each
# one's terms are made once. Not kept: a hostile file's long names (``MAX_CACHED``), nor a collective's
# (a 12-word consortium has 78 keys, ~10 KB: a full cache of them would hold ~700 MB; they are rare).
_one_author = functools.lru_cache(maxsize=65536)(_author_parts)


def index_fields(doc_id: int, doc: dict[str, Any], citing: int = 0) -> dict[str, Any]:
    """The fields of the index document of a library document, by name (a list: the field's values in
    order); ``citing``: how many articles of the library cite it (its links are kept apart from it).

    Most documents an import indexes are stubs (some three a record with reference lists), which have
    no abstract, MeSH, keywords or metrics: a field without a value is left out (it would hold no term,
    as an empty text holds none); the stored fields a hit reads are always given one."""
    get = doc.get
    fields: dict[str, Any] = {"doc_id": doc_id}
    pmid, pmcid, doi = get("pmid"), get("pmcid"), get("doi")
    if pmid:
        fields["pmid"] = pmid
    if pmcid:
        fields["pmcid"] = pmcid
    if doi:
        fields["doi"] = doi
        fields["doi_key"] = doi.lower()
    keys = identity_keys(pmid, pmcid, doi)
    if keys:
        fields["keys"] = keys
    fields["title"] = get("title", "")
    abstract = get("abstract")
    if abstract:
        fields["abstract"] = " ".join(s.get("text", "") for s in abstract)
    authors = get("authors") or []
    if authors:
        words, lasts, fulls = _author_terms(authors)
        fields["author"] = words
        if lasts:
            fields["author_last"] = lasts
        if fulls:
            fields["author_full"] = fulls
    journal, journal_title = get("journal", ""), get("journal_title", "")
    journals = [name for name in (journal, journal_title) if name]
    if len(journals) == 2 and journal == journal_title:
        del journals[1]
    if journals:
        fields["journal"] = journals
    mesh = get("mesh")
    if mesh:
        fields["mesh"] = mesh
        fields["mesh_words"] = mesh_word_terms(mesh)
    keywords = get("keywords")
    if keywords:
        fields["keywords"] = keywords
    fields["journal_name"] = journal or journal_title or ""
    if authors:
        first = authors[0]
        name = first.get("last", "")
        if first.get("initials") and not first.get("collective"):
            name += " " + first["initials"]
        fields["first_author"] = name
    fields["authors"] = len(authors)
    fields["year"] = int(get("year") or 0)
    # (most documents hold no citation metrics: an import's records and stubs never do)
    held = get("metrics")
    reported = metrics.reported_counts(doc) if held else ()
    fields["cited"] = max(int(get("citation_count") or 0), citing, *reported)
    fields["stub"] = 1 if get("stub") else 0
    fields["has_abstract"] = 1 if abstract else 0
    if held:
        _add_metrics(fields, doc)
    return fields


def index_document(doc_id: int, doc: dict[str, Any], citing: int = 0) -> Any:
    """The index document (a ``tantivy.Document``) of a library document: ``index_fields``."""
    return tantivy.Document.from_dict(index_fields(doc_id, doc, citing), SCHEMA)


def add_to(writer: Any, doc_id: int, doc: dict[str, Any], citing: int = 0) -> None:
    """Index a library document with ``writer`` (a ``tantivy.IndexWriter``): its fields given as one JSON
    text, which tantivy reads by the schema in one call, where building a ``tantivy.Document`` took a
    call a value (some 30 for a stub with six authors) and one more to add it. A document holding
    citation metrics (floats: JSON has no NaN) is added as a ``tantivy.Document``."""
    fields = index_fields(doc_id, doc, citing)
    if "has_metrics" in fields or "rcr" in fields or "percentile" in fields or "apt" in fields:
        writer.add_document(tantivy.Document.from_dict(fields, SCHEMA))
    else:
        writer.add_json(orjson.dumps(fields).decode())


def _add_metrics(fields: dict[str, Any], doc: dict[str, Any]) -> None:
    icite = metrics.icite(doc)
    for field, key in (("rcr", metrics.RCR), ("percentile", metrics.PERCENTILE), ("apt", metrics.APT)):
        value = icite.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            fields[field] = float(value)
    if icite.get(metrics.CLINICAL) is True:
        fields["clinical"] = 1
    if icite.get(metrics.RESEARCH) is True:
        fields["research"] = 1
    if doc.get("metrics"):
        fields["has_metrics"] = 1


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
