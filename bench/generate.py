"""Synthetic but realistic PubMed XML for the benchmark, written to files a user would import.

A ``Graph`` is a citation graph of ``n`` records in publication order. Each record has a title of
8-16 words and an abstract of ~250 words drawn from a Zipf-like vocabulary, 6 authors (the first with
an affiliation), a journal, a year, a DOI, MeSH headings, keywords, and a reference list as efetch
gives it: ``inside`` references to older records of the graph (by PMID, with their citation text),
``outside`` references to articles that are not in the graph (PMIDs from a shared pool, so each
becomes a stub cited by several records, as in a real library around a topic), and every tenth record
one reference known only by its citation text (a stub without identifiers). ``special`` records have
fixed counts: exactly so many references and so many citing records (the famous article; the
article the neighbourhood bench ranks around).

``write_files`` streams the graph's records into PubMed XML files of given sizes, one pass, without
holding them: a million records is about 6 GB of XML.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import itertools
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

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
    """The PMID of record ``i`` of a graph."""
    return str(10_000_000 + i)


OUTSIDE_PMID = 50_000_000  # the first PMID of articles cited from outside the graph
MESH = [
    "Humans",
    "Animals",
    "Mice",
    "Female",
    "Male",
    "Cell Differentiation",
    "Signal Transduction",
    "Mesenchymal Stem Cells/cytology",
    "Neoplasms/therapy",
    "Gene Expression Regulation",
    "Inflammation/immunology",
    "Biomarkers/blood",
    "Cohort Studies",
    "Risk Factors",
    "Treatment Outcome",
]


@dataclass(frozen=True)
class Special:
    """A record with exactly ``references`` references (older records) and ``citing`` citing records,
    all of them before record ``until`` (0: anywhere in the graph)."""

    index: int
    references: int
    citing: int
    until: int = 0


@dataclass(frozen=True)
class Graph:
    """The recipe of a generated citation graph (see the module's docstring)."""

    n: int
    seed: int = 1
    inside: int = 25
    outside: int = 5
    special: tuple[Special, ...] = field(default=())

    def key(self) -> str:
        """A short name of the recipe, for cache folders."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(f"{GENERATOR_VERSION}:{text}".encode()).hexdigest()[:12]


GENERATOR_VERSION = 7  # 7: PubMed XML files with outside and citation-only references, specials


def famous(n: int, citing: int = 10_000) -> Special:
    """An old record cited by ``citing`` records (all the later ones when the graph is smaller)."""
    return Special(index=40, references=25, citing=min(citing, n - 41), until=n)


def reference_lists(graph: Graph, rng: random.Random) -> list[list[int]]:
    """Each record's references to older records of the graph, specials' counts made exact."""
    n = graph.n
    cites = [rng.sample(range(i), min(graph.inside, i)) for i in range(n)]
    for special in graph.special:
        s = special.index
        cites[s] = rng.sample(range(s), min(special.references, s))
        until = special.until or n
        citers = set(rng.sample(range(s + 1, until), min(special.citing, until - s - 1)))
        for j in range(s + 1, n):
            if j in citers and s not in cites[j]:
                cites[j].append(s)
            elif j not in citers and s in cites[j]:
                cites[j].remove(s)
    return cites


@dataclass
class _Record:
    pmid: str
    title: str
    abstract: str
    authors: list[tuple[str, str]]
    journal: str
    year: int
    volume: int
    issue: int
    pages: str
    mesh: list[str]
    keywords: list[str]


def citation(r: _Record) -> str:
    """How a reference list cites a record (NLM style)."""
    last, initials = r.authors[0]
    return f"{last} {initials}, et al. {r.title}. {r.journal}. {r.year};{r.volume}({r.issue}):{r.pages}."


def records(graph: Graph) -> Iterator[tuple[_Record, list[str]]]:
    """The graph's records in order, each with its reference list as XML ``Reference`` elements."""
    rng = random.Random(graph.seed)
    vocab = Vocabulary(rng)
    n = graph.n
    cites = reference_lists(graph, rng)
    cited_text: dict[int, str] = {}  # citation text of records cited later (each kept until n)
    cited_at_all = {i for refs in cites for i in refs}
    outside_text: dict[int, str] = {}
    pool = max(1, n // 2)
    for i in range(n):
        year = 1990 + i * 35 // max(n, 1)
        record = _Record(
            pmid=pmid_of(i),
            title=" ".join(vocab.sample(rng.randint(8, 16))).capitalize(),
            abstract=" ".join(vocab.sample(250)).capitalize() + ".",
            authors=[
                (rng.choice(SURNAMES), rng.choice("ABCDEFGHJKLMNPRST") + rng.choice(["", "A", "M"]))
                for _ in range(6)
            ],
            journal=rng.choice(JOURNALS),
            year=year,
            volume=rng.randint(1, 60),
            issue=rng.randint(1, 12),
            pages=f"{rng.randint(1, 900)}-{rng.randint(901, 999)}",
            mesh=rng.sample(MESH, 5),
            keywords=vocab.sample(4),
        )
        refs = []
        for j in cites[i]:
            refs.append(_reference(cited_text[j], pmid_of(j)))
        for _ in range(graph.outside):
            k = rng.randrange(pool)
            if k not in outside_text:
                outside_text[k] = (
                    f"{rng.choice(SURNAMES)} {rng.choice('ABCDEFGHJKLMNPRST')}, et al. "
                    f"{' '.join(vocab.sample(rng.randint(6, 12))).capitalize()}. {rng.choice(JOURNALS)}. "
                    f"{rng.randint(1960, 2024)};{rng.randint(1, 60)}:{rng.randint(1, 999)}."
                )
            refs.append(_reference(outside_text[k], str(OUTSIDE_PMID + k)))
        if i % 10 == 9:
            refs.append(
                _reference(f"{rng.choice(SURNAMES)} {rng.choice('ABCDEFGH')}. Personal communication.", "")
            )
        if i in cited_at_all:
            cited_text[i] = citation(record)
        cites[i] = []  # (memory: not needed again)
        yield record, refs


def _reference(text: str, pmid: str) -> str:
    ids = f'<ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId></ArticleIdList>' if pmid else ""
    return f"<Reference><Citation>{escape(text)}</Citation>{ids}</Reference>"


def _article_xml(r: _Record, refs: list[str]) -> str:
    first, *rest = r.authors
    authors = [
        f'<Author ValidYN="Y"><LastName>{escape(first[0])}</LastName><Initials>{first[1]}</Initials>'
        f"<AffiliationInfo><Affiliation>Department of {escape(r.keywords[0].capitalize())}, "
        f"University of {escape(first[0])}.</Affiliation></AffiliationInfo></Author>"
    ]
    authors += [
        f'<Author ValidYN="Y"><LastName>{escape(last)}</LastName><Initials>{initials}</Initials></Author>'
        for last, initials in rest
    ]
    mesh = "".join(
        f'<MeshHeading><DescriptorName MajorTopicYN="N">{escape(m)}</DescriptorName></MeshHeading>'
        for m in r.mesh
    )
    keywords = "".join(f'<Keyword MajorTopicYN="N">{escape(k)}</Keyword>' for k in r.keywords)
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{r.pmid}</PMID>'
        f'<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Internet"><Volume>{r.volume}</Volume>'
        f"<Issue>{r.issue}</Issue><PubDate><Year>{r.year}</Year><Month>Mar</Month></PubDate></JournalIssue>"
        f"<Title>{escape(r.journal)}</Title><ISOAbbreviation>{escape(r.journal)}</ISOAbbreviation></Journal>"
        f"<ArticleTitle>{escape(r.title)}.</ArticleTitle><Pagination><MedlinePgn>{r.pages}</MedlinePgn>"
        f"</Pagination><Abstract><AbstractText>{escape(r.abstract)}</AbstractText></Abstract>"
        f'<AuthorList CompleteYN="Y">{"".join(authors)}</AuthorList><Language>eng</Language>'
        f'<PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType>'
        f"</PublicationTypeList></Article><MeshHeadingList>{mesh}</MeshHeadingList>"
        f'<KeywordList Owner="NOTNLM">{keywords}</KeywordList></MedlineCitation>'
        f'<PubmedData><ArticleIdList><ArticleId IdType="pubmed">{r.pmid}</ArticleId>'
        f'<ArticleId IdType="doi">10.5555/bench.{r.pmid}</ArticleId></ArticleIdList>'
        f"<ReferenceList>{''.join(refs)}</ReferenceList></PubmedData></PubmedArticle>\n"
    )


HEADER = '<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet>\n<PubmedArticleSet>\n'
FOOTER = "</PubmedArticleSet>\n"


def write_files(graph: Graph, cuts: Sequence[int], paths: Sequence[Path], *, references: bool = True) -> None:
    """Write records ``[cuts[k], cuts[k + 1])`` of ``graph`` to ``paths[k]`` as PubMed XML, in one pass
    (records outside the cuts are generated but written nowhere). Without ``references`` the files
    have no reference lists, as the yearly baseline files. Each file is written under a temporary name
    and renamed when whole, so that a cache never holds half a file."""
    assert len(cuts) == len(paths) + 1 and list(cuts) == sorted(cuts) and cuts[-1] <= graph.n
    partial = [path.with_name(path.name + ".partial") for path in paths]
    with contextlib.ExitStack() as stack:
        files = [stack.enter_context(open(p, "w", encoding="utf-8")) for p in partial]
        for f in files:
            f.write(HEADER)
        for i, (record, refs) in enumerate(records(graph)):
            if i >= cuts[-1]:
                break
            if i >= cuts[0]:
                files[bisect.bisect_right(cuts, i) - 1].write(
                    _article_xml(record, refs if references else [])
                )
        for f in files:
            f.write(FOOTER)
    for p, path in zip(partial, paths, strict=True):
        p.replace(path)


def sizes_of(text: str) -> list[int]:
    """``10k,100k,1M`` (or plain numbers) as record counts."""
    units = {"k": 1_000, "m": 1_000_000}
    out = []
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        scale = units.get(part[-1], 1)
        out.append(int(float(part.rstrip("km")) * scale))
    return out


def label(n: int) -> str:
    """10,000 -> 10k; 1,000,000 -> 1M."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"
