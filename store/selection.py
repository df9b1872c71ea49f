"""Choosing articles to export or list: by query, identifiers, marks, or the trail walked."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from store.ids import parse_identifier
from store.library import Library
from store.marks import Marks, Screening
from store.search import SearchIndex
from store.session import Session

# An export of a query takes every hit, up to this many.
QUERY_LIMIT = 1_000_000


class SelectionError(ValueError):
    """A selection that names something the library does not hold; the message says what."""


def by_query(library: Library, query: str, marks: Marks | None = None) -> list[int]:
    index = SearchIndex.for_library(library)
    filters = marks.search_filter if marks is not None else None
    hits = index.search(query, limit=QUERY_LIMIT, marks=filters).hits
    return [h.doc_id for h in hits]


def by_ids(library: Library, idents: Iterable[str], missing: list[str] | None = None) -> list[int]:
    """The articles named by identifiers (any mix of PMIDs, PMCIDs, DOIs), in order, each once.

    Text that is not an identifier is a ``SelectionError``; so is an identifier the library does not
    hold, unless ``missing`` is given: then it is added there, as written, for the caller to deal with
    (``pmbrowse snowball --ids --online`` fetches such seeds)."""
    found: list[int] = []
    for text in idents:
        ident = parse_identifier(text)
        if ident is None:
            raise SelectionError(f"{text!r} is not a PMID, PMCID or DOI")
        doc_id = library.find(ident)
        if doc_id is None:
            if missing is None:
                raise SelectionError(f"no article with {ident} in {library.path}")
            missing.append(text)
            continue
        found.append(doc_id)
    return _unique(found)


def by_marks(
    library: Library,
    marks: Marks,
    *,
    starred: bool | None = None,
    tag: str | None = None,
    screening: Screening | None = None,
    review: bool = False,
) -> list[int]:
    """Marked articles that are in the library, in the order they were marked. ``screening``: the
    decision the marks' screener sees, or with ``review`` the review's outcome, whoever asks."""
    viewer = marks.viewer.review() if review else None
    keys = marks.keys_matching(starred=starred, tag=tag, screening=screening, viewer=viewer)
    ordered = [k for m in marks.all() for k in m.keys if k in keys]
    return _unique(doc_id for key in ordered if (doc_id := library.lookup(key)) is not None)


def by_trail(library: Library, session: Session | None = None) -> list[int]:
    """The articles of the saved trail, in the order they were walked."""
    session = session or Session.load(library.path)
    return [doc_id for key in session.trail.entries if (doc_id := library.lookup(key)) is not None]


def _slug(text: str, limit: int = 40) -> str:
    """Lower-case letters and digits, ``-`` between runs: a file name part on every system."""
    words = re.findall(
        r"[a-z0-9]+", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    )
    return "-".join(words)[:limit].strip("-")


def selection_label(
    *,
    query: str = "",
    ids: Sequence[str] = (),
    article: str = "",
    starred: bool = False,
    tag: str = "",
    trail: bool = False,
    decisions: Sequence[str] = (),
    round_number: int | None = None,
) -> str:
    """A short name of a selection, for a file name (``store.export.write.default_export_path``):
    ``pmid-30992990`` (one article: its label), ``starred``, ``tag-review``, ``trail``,
    ``round-2-included``, ``included-excluded``, ``search-exosome-therapy``, ``ids-30992990-and-2-more``."""
    if article:
        return _slug(article if not article.isdigit() else f"pmid {article}")
    if round_number is not None or decisions:
        parts = [f"round-{round_number}"] if round_number is not None else []
        return "-".join([*parts, *decisions])
    if starred:
        return "starred"
    if tag:
        return _slug(f"tag {tag}") or "tag"
    if trail:
        return "trail"
    if ids:
        more = f" and {len(ids) - 1} more" if len(ids) > 1 else ""
        return _slug(f"ids {ids[0]}{more}", 60) or "ids"
    if query:
        return _slug(f"search {query}") or "search"
    return "export"


def _unique(ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(ids))
