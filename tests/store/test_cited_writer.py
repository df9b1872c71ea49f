""" "Most cited first" while another process writes the library: a full page.

The ranking reads the library's live counts (``store.storage.citations``), which see another process's
commit at once, while the index it pages through gets that commit's documents only when the writer
has updated it after committing. In between, the most cited documents may be ones the index does not
hold yet: the page is the most cited documents the index holds, as many as asked for.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from store.library import Library
from store.model import Article, Link, Origin
from store.search import SearchIndex

ORIGIN = Origin("test", "writer")

# The start of another process's script (argv: the library's path, a file to write once committed): the
# library opened, its commit held after the commit point, before the index is updated, for a minute.
HELD_AFTER_ITS_COMMIT = """
import sys, time
from pathlib import Path
from store.library import Library
from store.model import Article, Origin

path, ready = Path(sys.argv[1]), Path(sys.argv[2])

def held(*_args, **_kwargs):
    ready.write_text("committed")
    time.sleep(60)

Library._after_write = held
library = Library.open(path, demo=False)
"""


@contextmanager
def committed_by(script: str, library: Path, ready: Path) -> Iterator[None]:
    """``script`` (``HELD_AFTER_ITS_COMMIT`` and what it commits) run in another process until it has
    committed (``ready`` written), held there while the block runs, then killed."""
    writer = subprocess.Popen([sys.executable, "-c", script, str(library), str(ready)])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert writer.poll() is None and time.monotonic() < deadline, "the writer did not commit"
            time.sleep(0.02)
        yield
    finally:
        writer.kill()
        writer.wait()


# Another process: five new records and a stub, each cited by ten new records (among the library's most
# cited now), committed;
# then it stops before updating the index (``ready`` written), as a writer does for a moment.
WRITER = (
    HELD_AFTER_ITS_COMMIT
    + """
from store.model import Link
origin = Origin("test", "writer")
with library.transaction() as changes:
    for n in range(5):
        changes.put_article(Article(pmid=f"90{n}", title="New cell study", year=2020), origin)
    for n in range(10):
        cites = [Link(pmid=f"90{k}") for k in range(5)] + [Link(pmid="999")]  # (999: a new stub)
        changes.put_article(Article(pmid=f"80{n}", title="Citing", year=2021, references=cites), origin)
"""
)


def _library(path: Path) -> Library:
    library = Library.open(path, demo=False)
    with library.transaction() as changes:
        for n in range(20):
            cites = [Link(pmid=f"1{k:02}") for k in range(n % 4)]  # (1..3 times cited: an order to keep)
            changes.put_article(
                Article(pmid=f"1{n:02}", title="Cell study", year=2000, references=cites), ORIGIN
            )
        stubs = [Link(pmid=f"30{n}") for n in range(7)]
        changes.put_article(Article(pmid="200", title="Stub citer", references=stubs), ORIGIN)
    return library


@pytest.mark.parametrize("query", ["", "is:full", "is:stub", "cell", "cell walked"])
def test_most_cited_gives_a_full_page_while_another_process_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    if query == "cell walked":  # (a query with many hits: the library's order walked, a chunk at a time)
        monkeypatch.setattr("store.search.cited.FETCH_ALL", 0)
        monkeypatch.setattr("store.search.cited.CHUNK", 2)
        query = "cell"
    library = _library(tmp_path / "library.json")
    index = SearchIndex.for_library(library)
    before = index.search(query, sort="cited", limit=5)
    assert len(before.hits) == min(5, before.total) and before.hits
    with committed_by(WRITER, library.path, tmp_path / "ready"):
        assert Library.open(library.path, demo=False).find("900") is not None  # (committed, not indexed)
        during = index.search(query, sort="cited", limit=5)
        pmids = [hit.pmid for hit in during.hits]
        assert len(pmids) == len(before.hits), pmids
        # The most cited the index holds, by the live counts: the same as before the commit, which
        # changed no count of theirs.
        assert pmids == [hit.pmid for hit in before.hits]
        assert during.total == before.total


# Another process: each record with a DOI only ("Cell study", cited the most) is found to be the record
# with its PMID ("Cell paper", cited least), given both: the two are merged, the DOI's document removed;
# committed, then it stops before updating the index.
MERGER = (
    HELD_AFTER_ITS_COMMIT
    + """
with library.transaction() as changes:
    for n in range(6):
        changes.put_article(
            Article(pmid=f"5{n:02}", doi=f"10.1000/{n}", title="Cell paper", year=2001),
            Origin("test", "merger"),
        )
"""
)


def _merged_library(path: Path) -> Library:
    """Six records with a PMID (never cited) and six with a DOI (cited 4 to 9 times), each pair one
    article; and a dozen others cited 0 to 3 times: all match "cell"."""
    library = Library.open(path, demo=False)
    with library.transaction() as changes:
        for n in range(6):
            changes.put_article(Article(pmid=f"5{n:02}", title="Cell paper", year=2001), ORIGIN)
        for n in range(6):
            changes.put_article(Article(doi=f"10.1000/{n}", title="Cell study", year=2001), ORIGIN)
        for n in range(12):
            cites = [Link(pmid=f"1{k:02}") for k in range(n % 4)]
            cites += [Link(doi=f"10.1000/{k}") for k in range(6) if n < 4 + k]
            changes.put_article(
                Article(pmid=f"1{n:02}", title="Cell study", year=2000, references=cites), ORIGIN
            )
    return library


@pytest.mark.parametrize("walked", [False, True])
def test_most_cited_of_a_query_gives_a_full_page_while_another_process_removes_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, walked: bool
) -> None:
    """A query's hits fetched (up to ``FETCH_ALL``) or the order walked, while documents the other
    process removed (merged into others) are still in the index, until it updates it. Fetched, they
    were ranked by the counts as the search had last read them (the other process's commit not read):
    six of the page of eight were documents gone from the library (listed in the app, where opening one
    says it is no longer in the library), the records they were merged into were ranked by their old
    counts, and the total counted the removed."""
    if walked:
        monkeypatch.setattr("store.search.cited.FETCH_ALL", 0)
        monkeypatch.setattr("store.search.cited.CHUNK", 2)
    library = _merged_library(tmp_path / "library.json")
    index = SearchIndex.for_library(library)
    before = index.search("cell", sort="cited", limit=8)
    assert before.total == 24 and len(before.hits) == 8
    with committed_by(MERGER, library.path, tmp_path / "ready"):
        now = Library.open(library.path, demo=False)
        assert now.find("10.1000/0") == now.find("500")  # (merged, committed; not indexed)
        during = index.search("cell", sort="cited", limit=8)
        pmids = [hit.pmid for hit in during.hits]
        assert len(pmids) == 8, pmids
        assert all(now.doc(hit.doc_id) is not None for hit in during.hits)
        # By the counts as of the commit: each PMID's record took its DOI's citations.
        assert pmids == ["505", "100", "504", "503", "502", "101", "501", "500"]
        if not walked:  # (walked, the total is the index's count: the hits are never all read)
            assert during.total == 18  # (24 less the six removed)
