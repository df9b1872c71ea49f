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
from pathlib import Path

import pytest

from store.library import Library
from store.model import Article, Link, Origin
from store.search import SearchIndex

ORIGIN = Origin("test", "writer")

# Another process: five new records and a stub, each cited by ten new records (among the library's most
# cited now), committed;
# then it stops before updating the index (``ready`` written), as a writer does for a moment.
WRITER = """
import sys, time
from pathlib import Path
from store.library import Library
from store.model import Article, Link, Origin

path, ready = Path(sys.argv[1]), Path(sys.argv[2])

def held(*_args, **_kwargs):
    ready.write_text("committed")
    time.sleep(60)

Library._after_write = held
library = Library.open(path, demo=False)
origin = Origin("test", "writer")
with library.transaction() as changes:
    for n in range(5):
        changes.put_article(Article(pmid=f"90{n}", title="New cell study", year=2020), origin)
    for n in range(10):
        cites = [Link(pmid=f"90{k}") for k in range(5)] + [Link(pmid="999")]  # (999: a new stub)
        changes.put_article(Article(pmid=f"80{n}", title="Citing", year=2021, references=cites), origin)
"""


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
    ready = tmp_path / "ready"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(library.path), str(ready)])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert writer.poll() is None and time.monotonic() < deadline, "the writer did not commit"
            time.sleep(0.02)
        assert Library.open(library.path, demo=False).find("900") is not None  # (committed, not indexed)
        during = index.search(query, sort="cited", limit=5)
        pmids = [hit.pmid for hit in during.hits]
        assert len(pmids) == len(before.hits), pmids
        # The most cited the index holds, by the live counts: the same as before the commit, which
        # changed no count of theirs.
        assert pmids == [hit.pmid for hit in before.hits]
        assert during.total == before.total
    finally:
        writer.kill()
        writer.wait()
