"""The app's first page (``tui.firstpage``: the storage and the search index opened, the first screenful
searched, before the app's first frame) reads the same whatever the library's size: opening reads the
base's header, the index's header and the journal (bounded by the compaction threshold), never the
records; the rows are the index's stored fields. Measured from outside, in a fresh process, as the
bytes its reads asked the kernel for (``/proc/self/io``'s ``rchar``: files mapped, as the document
index and tantivy's are, are not counted: their pages are touched, not read)."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.library import Library
from store.search import SearchIndex
from tests.store.bulk_files import v2_library
from tests.tui.helpers import json_of

FIRST_PAGE = """
import json, sys
from pathlib import Path

def read() -> int:
    with open("/proc/self/io", encoding="ascii") as io:
        return next(int(line.split()[1]) for line in io if line.startswith("rchar:"))

from store.search import SearchIndex
from store.session import Session
from tui import firstpage, listing
path = Path(sys.argv[1])
before = set(sys.modules)
start = read()
from store import earlyindex
earlyindex.begin(path)  # (as ``firstpage._work`` does first)
query = listing.first_query("", Session.load(path).query)
index = SearchIndex.open_with_counts(path)
results = listing.search(index, query, listing.order_for(query, None), firstpage.screenful(40), None)
read_bytes = read() - start
print(json.dumps({"bytes": read_bytes, "rows": len(results.hits), "total": results.total,
                  "modules": sorted(set(sys.modules) - before)}))
"""


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="the kernel's count of bytes read: Linux")
def test_the_first_page_reads_the_same_at_any_size(tmp_path: Path) -> None:
    """87 KB at 500 records and at 5,000. Seen red with opening reading the base whole to check its
    header (``store.storage.opening._read_base``: 153 KB against 1.4 MB)."""
    pages = []
    for n in (500, 5_000):
        path = tmp_path / f"lib{n}" / "library.json"
        path.parent.mkdir()
        v2_library(path, n)
        SearchIndex.for_library(Library.open(path))  # (converted, and its index made: as an import leaves it)
        pages.append(json_of(FIRST_PAGE, str(path)))
    small, large = pages
    assert small["rows"] == large["rows"] == 21 and large["total"] > 5 * small["total"]  # type: ignore[operator]
    assert small["modules"] == large["modules"]
    assert isinstance(small["bytes"], int) and isinstance(large["bytes"], int)
    assert large["bytes"] <= 1.2 * small["bytes"] + 4096, (small["bytes"], large["bytes"])
