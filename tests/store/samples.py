"""Articles for the export tests: real ones (the demo page, the test pages, the demo library's stubs,
the shared MEDLINE samples) and hand-built ones for the edge cases every format must survive; and what
iCite and Europe PMC said of one (``Article.metrics``: the exports' and the app's metric tests)."""

from __future__ import annotations

import io
from pathlib import Path

from store.formats.page import PageParser
from store.library import Library
from store.model import AbstractSection, Article, Author
from tests.conftest import DATA, PAGES, SEED, SHARED_DATA

GOOD_PAGES = ("authors_present.txt", "minimal.txt", "zero_citations.txt")

# Every character LaTeX gives a meaning, ligatures, Greek, accents, capitals to protect.
NASTY_TITLE = (
    r"MSC-derived DNA & T cells: 50% of $x_1 {y} #2 ~ a^b \ β-catenin in Müller's "
    "cells -- a ``quoted'' review"
)

FETCHED = "2026-12-03T10:15:02Z"
ICITE = {
    "fetched": FETCHED,
    "citation_count": 17,
    "relative_citation_ratio": 2.18475199552701,
    "nih_percentile": 77.1,
    "apt": 0.75,
    "is_research_article": True,
    "is_clinical": False,
    "provisional": False,
    "cited_by_clin": ["32997821", "38615661", "35166373"],
    "citations_by_year": {"2020": 1, "2021": 4, "2022": 12},
}
EPMC = {"fetched": "2026-12-04T08:00:00Z", "citation_count": 31}


def page_articles() -> list[Article]:
    """The demo article and the test pages that parse."""
    found: list[Article] = []
    for path in (SEED, *(PAGES / name for name in GOOD_PAGES)):
        found.extend(PageParser().parse(io.BytesIO(path.read_bytes()), str(path)))
    return found


def library_stubs(tmp_path: Path) -> list[Article]:
    """The demo library's stubs: what links alone said about articles (short names, a year, no date)."""
    library = Library.open(tmp_path / "stubs.json")
    return [Article.from_stored(doc) for doc in (doc for _id, doc in library.iter_docs()) if doc.get("stub")]


def medline_files() -> list[Path]:
    """Real MEDLINE records: the MEDLINE parser's test files that parse, and the shared samples."""
    ours = [DATA / "medline" / name for name in ("34843274.txt", "36987902.txt", "variants.txt")]
    shared = SHARED_DATA / "medline"
    return [p for p in ours if p.exists()] + (sorted(shared.glob("*.txt")) if shared.is_dir() else [])


def pubmed_xml_articles() -> list[Article]:
    """Records from the PubMed XML parser's test files (structured abstracts, markup, groups)."""
    from store.formats.pubmed_xml import PubmedXmlParser

    found: list[Article] = []
    for name in ("variants.xml", "baseline_style.xml"):
        path = DATA / "pubmed_xml" / name
        found.extend(PubmedXmlParser().parse(io.BytesIO(path.read_bytes()), str(path)))
    return found


def edge_articles() -> list[Article]:
    """Hand-built records: special characters, a group author, a suffix, seasons, ranges, a stub."""
    full = Article(
        pmid="31000001",
        pmcid="PMC7000001",
        doi="10.1000/ab_c(2019)#1",
        title=NASTY_TITLE,
        authors=[
            Author("Müller", "HJ", fore="Hans-Jürgen", affiliations=["Charité – Universitätsmedizin Berlin"]),
            Author("COVID-19 Genomics UK (COG-UK) Consortium & Friends and Family", collective=True),
            Author("Smith", "JA", fore="John A", suffix="Jr"),
            Author("de Ruiter", "P"),
            Author("O'Brien", "T"),
            Author("Πάπας", "Γ", fore="Γιώργος"),
        ],
        affiliations=["Charité – Universitätsmedizin Berlin", "Unit of 100% {odd} names_ #1"],
        journal="J Stem Cells β",
        journal_title="Journal of Stem Cells & Regenerative β-Medicine",
        publisher="Wiley & Sons",
        date="2015 Nov-Dec",
        year=2015,
        volume="12",
        issue="3 Suppl",
        pages="1053-67",
        abstract=[
            AbstractSection(r"Costs rose 50% ($1,000) for C_2 & {x} #3 ~ 2^10 \ done.", label="BACKGROUND"),
            AbstractSection("Mesenchymal stromal cells (MSCs) and β-cells were compared.", label="METHODS"),
            AbstractSection("Café society saw naïve Ærø results; p < 0.05.", label="RESULTS"),
        ],
        keywords=["stem cells", "β-catenin", "exosomes, small"],
        mesh=["Humans", "Mesenchymal Stem Cells/cytology"],
        languages=["eng"],
        publication_types=["Journal Article", "Review"],
    )
    twin = Article(
        pmid="31000002",
        title="MSC exosomes, the sequel",
        authors=[Author("Müller", "K")],
        journal="J Stem Cells β",
        date="2015 Oct 3",
        year=2015,
        pages="R123-45",
    )
    season = Article(
        pmid="9000001",
        title="Seasonal rhythms of T cells in winter?",
        authors=[Author("Ng", "W", fore="Wei")],
        journal="Chronobiol Int",
        date="1998 Spring",
        year=1998,
        volume="15",
        pages="e33115",
        abstract=[AbstractSection("One plain paragraph with an em—dash and “quotes”.")],
    )
    days = Article(
        pmid="9000002",
        doi="10.1001/days.2000",
        title="A week in December",
        authors=[Author("Ødegård", "Å", fore="Åse")],
        journal="Lancet",
        date="2000 Dec 23-30",
        year=2000,
        volume="356",
        issue="9248",
        pages="2148-9",
    )
    stub = Article(
        doi="10.1038/s41467-024-00001-x",
        title="A citing article with only a DOI",
        authors=[Author.from_name("Zhang Y"), Author.from_name("World Health Organization")],
        journal="Nat Commun",
        year=2024,
        volume="15",
        stub=True,
    )
    return [full, twin, season, days, stub]
