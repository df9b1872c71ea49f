"""What the app's start pays for in ``store``: the first page's thread (``tui.firstpage``) imports the
search index and the storage, and opens and searches them, before the app has drawn anything."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from store.docindex import key_hash
from store.model import SCHEMA, Article, Author
from store.search.query import Compare, Filter, MatchAll, Op, Term, parse_query
from tests.tui.helpers import imported_by

FIRST_PAGE = """
import sys
from pathlib import Path
from store.search import SearchIndex
from tui import listing
index = SearchIndex.open_with_counts(Path(sys.argv[1]))
query = listing.first_query("", "")
results = listing.search(index, query, listing.order_for(query, None), 21, None)
assert results.hits"""


def test_the_first_page_imports_no_hash(demo_path: Path) -> None:
    """``hashlib`` (OpenSSL's bindings, ~1.4 ms) is imported at the first key looked up, which the
    first page does not do. Seen red with ``store.docindex`` importing it at the top."""
    assert imported_by(FIRST_PAGE, ("hashlib", "_hashlib"), str(demo_path)) == []


def test_a_key_hash_is_blake2b_s_first_eight_bytes() -> None:
    """(The hash imported at its first use is the one the index files were written with.)"""
    import hashlib

    want = int.from_bytes(hashlib.blake2b(b"pmid:1", digest_size=8).digest(), "little")
    assert key_hash("pmid:1") == want == key_hash("pmid:1")


def test_a_record_s_document_functions_are_made_at_their_first_use() -> None:
    """``Schema``'s generated ``to_doc`` / ``from_doc`` are compiled at the first call, not at import,
    and then are what every later call runs. Seen red with them compiled in ``Schema.__init__``: the
    first assertion failed."""
    code = "from store.model import SCHEMA; print(SCHEMA['Origin'].to_doc.__name__)"
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "_first_to_doc"
    author = Author(last="Ng", initials="A")
    assert Author.from_doc(author.to_doc()) == author
    assert SCHEMA["Author"].to_doc.__name__ == "to_doc" and SCHEMA["Author"].from_doc.__name__ == "from_doc"
    assert Article.from_doc(Article(title="t", authors=[author]).to_doc()).authors == [author]


@dataclasses.dataclass(frozen=True, slots=True)
class _Term:  # (what ``Term`` was: the value classes behave as it did)
    text: str
    field: str | None = None
    phrase: bool = False
    wildcard: bool = False
    position: int = 0


def test_the_query_tree_s_nodes_behave_as_the_frozen_dataclasses_they_were() -> None:
    """Equal by their fields and type, hashed so, printed so, never changed. Seen red with
    ``Value.__eq__`` comparing the first field only, and with ``__setattr__`` not refusing."""
    term = Term("cancer", "ti", position=3)
    old = _Term("cancer", "ti", position=3)
    assert term == Term("cancer", "ti", False, False, 3) and hash(term) == hash(old)
    assert repr(term) == repr(old).replace("_Term", "Term")
    assert term != Term("cancer", "ti", position=4) and term != Term("cancer", "ab", position=3)
    assert term != old and Filter("tag", "x") != Term("tag", "x")
    assert Compare("rcr", ">", 2.0) == Compare("rcr", ">", 2.0) and MatchAll() == MatchAll()
    assert repr(MatchAll()) == "MatchAll()" and hash(MatchAll()) == hash(())
    assert len({Op("AND", term, MatchAll()), Op("AND", term, MatchAll())}) == 1
    change: list[Any] = [lambda: setattr(term, "text", "x"), lambda: delattr(term, "field")]
    for attempt in change:
        with pytest.raises(dataclasses.FrozenInstanceError):
            attempt()
    with pytest.raises(AttributeError):
        term.__dict__  # noqa: B018 (slots: no dict)
    assert parse_query("cancer[ti] AND rcr>2") == Op(
        "AND", Term("cancer", "ti", position=0), Compare("rcr", ">", 2.0, position=15)
    )
