"""Synthetic but realistic libraries for the benchmark.

Each record has a title of 8-16 words and an abstract of ~250 words drawn from a Zipf-like vocabulary,
6 authors, a journal, a year, a DOI, 30 references and 20 citing articles. Links point at other
records of the same library by PMID (older records are cited by newer ones), so every link has a
target: the library is a closed citation graph like a real one around a topic.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

from store.model import AbstractSection, Article, Author, Link

SYLLABLES = [
    "ex",
    "o",
    "so",
    "me",
    "mes",
    "en",
    "chy",
    "mal",
    "stem",
    "cell",
    "ther",
    "a",
    "py",
    "gen",
    "ic",
    "ne",
    "ur",
    "al",
    "car",
    "di",
    "ac",
    "hep",
    "at",
    "re",
    "nal",
    "im",
    "mu",
    "no",
    "lo",
    "gy",
    "bi",
    "mark",
    "er",
    "pro",
    "tein",
    "ki",
    "nase",
    "path",
    "way",
    "sig",
    "nal",
    "ing",
    "tu",
    "mor",
]
SURNAMES = [
    "Smith",
    "Li",
    "Wang",
    "Zhang",
    "Chen",
    "Garcia",
    "Müller",
    "Kim",
    "Nguyen",
    "Rossi",
    "Silva",
    "Kowalski",
    "Novak",
    "Ivanova",
    "Tanaka",
    "Sato",
    "Cohen",
    "Dubois",
    "Jensen",
    "Ahmed",
    "Khan",
    "Gómez",
    "O'Brien",
    "de Ruiter",
    "van der Berg",
    "Papadopoulos",
    "Yilmaz",
    "Hansen",
    "Berg",
]
JOURNALS = [
    "Stem Cell Res Ther",
    "Int J Nanomedicine",
    "Biomark Res",
    "Front Immunol",
    "Nucleic Acids Res",
    "J Cell Biochem",
    "PLoS One",
    "Nat Commun",
    "Cell Rep",
    "J Biol Chem",
    "Sci Rep",
    "Cells",
]


class Vocabulary:
    """Pseudo-words with Zipf-distributed frequencies (the k-th word has weight 1/k)."""

    def __init__(self, rng: random.Random, size: int = 30_000) -> None:
        words: set[str] = set()
        while len(words) < size:
            words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
        self.words = sorted(words, key=lambda w: rng.random())
        self.cumulative = list(itertools.accumulate(1.0 / k for k in range(1, size + 1)))
        self.rng = rng

    def sample(self, n: int) -> list[str]:
        total = self.cumulative[-1]
        picks = [bisect.bisect(self.cumulative, self.rng.random() * total) for _ in range(n)]
        return [self.words[min(i, len(self.words) - 1)] for i in picks]

    def word(self, rank: int) -> str:
        return self.words[rank]


def pmid_of(i: int) -> str:
    return str(10_000_000 + i)


def _records(n: int, seed: int, refs: int) -> Iterator[tuple[int, Article, list[int], list[int]]]:
    """The records of a closed citation graph of ``n``, without their links: (index, the record, the
    records it cites, the records citing it). Each cites ``refs`` older records."""
    rng = random.Random(seed)
    vocab = Vocabulary(rng)
    cites = [rng.sample(range(i), min(refs, i)) for i in range(n)]
    cited_by: list[list[int]] = [[] for _ in range(n)]
    for j, targets in enumerate(cites):
        for i in targets:
            cited_by[i].append(j)
    for i in range(n):
        title = " ".join(vocab.sample(rng.randint(8, 16))).capitalize()
        abstract = " ".join(vocab.sample(250)).capitalize() + "."
        year = 1990 + i * 35 // max(n, 1)
        article = Article(
            pmid=pmid_of(i),
            doi=f"10.5555/bench.{i}",
            title=title,
            authors=[
                Author(rng.choice(SURNAMES), rng.choice("ABCDEFGHJKLMNPRST") + rng.choice(["", "A", "M"]))
                for _ in range(6)
            ],
            journal=rng.choice(JOURNALS),
            date=str(year),
            year=year,
            volume=str(rng.randint(1, 60)),
            issue=str(rng.randint(1, 12)),
            pages=f"{rng.randint(1, 900)}-{rng.randint(901, 999)}",
            abstract=[AbstractSection(abstract)],
            citation_count=len(cited_by[i]),
        )
        yield i, article, cites[i], cited_by[i]
        cites[i] = []  # (memory: what was handed out is not needed again)


def articles(n: int, seed: int = 1, refs: int = 30, citing: int = 20) -> Iterator[Article]:
    """``n`` records of a closed citation graph: each cites ``refs`` older records, and its page lists
    up to ``citing`` of the records that cite it (as an article page does)."""
    for _i, article, cites, cited_by in _records(n, seed, refs):
        article.references = [Link(pmid=pmid_of(j), sources=["pubmed"]) for j in cites]
        article.cited_by = [Link(pmid=pmid_of(j), sources=["pubmed"]) for j in cited_by[:citing]]
        yield article


def pubmed_xml(records: list[Article]) -> str:
    """A PubmedArticleSet like efetch returns, with ReferenceList, for the import benchmark."""
    out = ['<?xml version="1.0" ?>\n<PubmedArticleSet>\n']
    for a in records:
        authors = "".join(
            f"<Author><LastName>{escape(x.last)}</LastName><Initials>{x.initials}</Initials></Author>"
            for x in a.authors
        )
        references = "".join(
            f"<Reference><Citation>Reference {escape(r.pmid or '')}.</Citation><ArticleIdList>"
            f'<ArticleId IdType="pubmed">{r.pmid}</ArticleId></ArticleIdList></Reference>'
            for r in a.references
        )
        abstract = escape(a.abstract[0].text) if a.abstract else ""
        out.append(
            f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{a.pmid}</PMID>'
            f"<Article><Journal><JournalIssue><Volume>{a.volume}</Volume>"
            f"<Issue>{a.issue}</Issue><PubDate><Year>{a.year}</Year></PubDate></JournalIssue>"
            f"<Title>{escape(a.journal)}</Title><ISOAbbreviation>{escape(a.journal)}</ISOAbbreviation></Journal>"
            f"<ArticleTitle>{escape(a.title)}.</ArticleTitle><Pagination><MedlinePgn>{a.pages}</MedlinePgn>"
            f"</Pagination><Abstract><AbstractText>{abstract}</AbstractText></Abstract>"
            f'<AuthorList CompleteYN="Y">{authors}</AuthorList><Language>eng</Language></Article>'
            f'</MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType="pubmed">{a.pmid}</ArticleId>'
            f'<ArticleId IdType="doi">{a.doi}</ArticleId></ArticleIdList>'
            f"<ReferenceList>{references}</ReferenceList></PubmedData></PubmedArticle>\n"
        )
    out.append("</PubmedArticleSet>\n")
    return "".join(out)


def stored_docs(n: int, seed: int = 1, refs: int = 30) -> Iterator[tuple[int, dict[str, Any]]]:
    """The records of ``articles(n)`` as a library stores them (document ``i + 1`` is record ``i``;
    links as document ids, both ends), streamed in id order: a bulk load for large libraries, which
    would take an hour to import one link at a time. Every link is kept on both ends, as the library
    keeps them, so a record's ``cited_by`` lists all its citing records (a page lists only 20)."""
    for i, article, cites, cited_by in _records(n, seed, refs):
        doc = article.to_doc()
        doc["origins"] = [{"format": "bench", "location": "generated"}]
        if cites:
            doc["references"] = [j + 1 for j in cites]
        if cited_by:
            doc["cited_by"] = [j + 1 for j in cited_by]
        yield i + 1, doc
