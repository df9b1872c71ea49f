"""A hand-built citation graph where every number of a round is known (see test_counts.py).

Seeds S1, S2, S3 are PMIDs 1, 2, 3, marked included. References (→ cites):

    S1 → 10 11 12 2      S2 → 11 13 30      S3 → 10 11
    E(20) → 1 2 40       F(21) → 3          G(22) → 1 10       A(10) → 30

Full records: 1 2 3 10 13 20 21 22 (with years: 10 2018, 13 2020, 20 2019, 21 2021, 22 2017);
stubs (known from links only): 11 12 30 40. 12 was excluded before any round.
"""

from __future__ import annotations

from pathlib import Path

from store.library import Library
from store.marks import Marks
from store.model import AbstractSection, Article, Link, Origin

REFERENCES = {
    "1": ["10", "11", "12", "2"],
    "2": ["11", "13", "30"],
    "3": ["10", "11"],
    "20": ["1", "2", "40"],
    "21": ["3"],
    "22": ["1", "10"],
    "10": ["30"],
    "13": [],
}
YEARS = {"1": 2015, "2": 2016, "3": 2016, "10": 2018, "13": 2020, "20": 2019, "21": 2021, "22": 2017}
SEEDS = ("1", "2", "3")


def build(path: Path) -> tuple[Library, Marks]:
    library = Library.open(path, demo=False)
    with library.transaction() as changes:
        for pmid, refs in REFERENCES.items():
            article = Article(
                pmid=pmid,
                title=f"Article {pmid}",
                year=YEARS[pmid],
                journal="J Test",
                abstract=[AbstractSection(f"The abstract of {pmid}.")],
                references=[Link(pmid=r, title=f"Article {r}") for r in refs],
            )
            changes.put_article(article, Origin("test"))
    marks = Marks.open(path)
    for pmid in SEEDS:
        marks.set_screening([f"pmid:{pmid}"], "included")
    marks.set_screening(["pmid:12"], "excluded")
    return library, marks


def ids(library: Library, *pmids: str) -> list[int]:
    found = [library.find(p) for p in pmids]
    assert None not in found
    return [f for f in found if f is not None]
