"""What ``pmbrowse check`` (``store.storage.verify``) asks of a segment beyond its documents and link
changes: that its most-cited run (``store.storage.segment``) is its documents' order in the state it
completed, and that a link change's counts in its table are the change's (its documents' rows are
compared with them where they are decoded). Reads use the tables instead of what they stand for, and
the tables have no checksum. And what ``pmbrowse import`` asks of the segments before it writes
(``before_import``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from store.errors import LibraryFileError
from store.storage.indexwriter import cited_key
from store.storage.links import RELS
from store.storage.runs import Tally
from store.storage.segment import SegmentError
from store.storage.segmentids import check_all
from store.storage.snapshot import Segment, Snapshot
from store.storage.top import Top

REPAIR = "`pmbrowse repair` mends it"


def change_counts(record: Mapping[str, Any]) -> tuple[int, int]:
    """How a link change (decoded) changes its document's (references, citing) counts: what its
    segment's table keeps (``store.storage.links.Change.counts``: the targets it adds, less those it
    removes)."""
    removed = record.get("removed") or {}
    refs, cited = (len(record.get(rel) or ()) - len(removed.get(rel) or ()) for rel in RELS)
    return refs, cited


def check_runs(snap: Snapshot, problems: list[str], limit: int, whole: int) -> int:
    """Each segment's run (``store.storage.segment``): its checksum, its order, and its keys those of
    the documents it touches in the state it completed (the base and the segments up to it); and each
    segment's top (``store.storage.top``, ``check_top``) against that same state. One tally of every
    document (``limit``: the library's next id) is taken through the layers once, oldest first, each
    run and top compared when its segment is reached: each layer is read once (it was read again for
    each newer run: S^2/2 layers for S segments). And each segment's PMID column (``store.storage.pmids``)
    as ``SegmentFile.row`` compared it with each head ``pmbrowse check`` read before (a number that is
    not the head's answers a look-up wrongly under a good checksum: a writer's fault). The keys of the
    first ``whole`` segments alone are
    compared: after a segment left out (damaged, said already), the state each newer one completed
    cannot be told, and its run or top would be blamed for it. Returns how many tops were compared."""
    tally = Tally.whole(snap.index, limit)
    compared = 0
    for i, segment in enumerate(snap.segments):
        if wrong := getattr(segment, "pmid_wrong", None):  # (each head the walk read, compared: ``row``)
            doc_id, kept, found = wrong
            problems.append(
                f"the segment {segment.path} is damaged (its PMID column says document {doc_id} is PMID "
                f"{kept}, its head {f'PMID {found}' if found else 'no PMID the column keeps'}); {REPAIR}"
            )
        if i < whole:
            tally.segment(segment)
            if getattr(segment, "has_top", False):
                compared += 1
                if what := check_top(segment.top(), tally, limit, getattr(segment, "top_damage", "")):
                    problems.append(
                        f'the segment {segment.path} is damaged (its top, the first documents of "most '
                        f'cited first" as of the state it completes, {what}); {REPAIR}'
                    )
        if not segment.has_run:
            continue
        try:
            segment.load_run()
            found = [key for key, _doc_id in segment.run()]
        except SegmentError as exc:
            problems.append(f"the segment {exc}; {REPAIR}")
            continue
        except LibraryFileError as exc:
            problems.append(str(exc))
            continue
        if i < whole and found != tally.run(
            sorted({*segment.column("doc_ids"), *segment.column("link_ids")})
        ):
            problems.append(
                f"the segment {segment.path} is damaged (its most-cited order is not its documents' "
                f"order); {REPAIR}"
            )
    return compared


def check_top(top: Top | None, tally: Tally, limit: int, damage: str = "") -> str:
    """What is wrong with a segment's top (``store.storage.top``; None: it keeps one that does not read,
    ``damage`` saying why: ``SegmentFile.top_damage``) against ``tally``, a whole tally as of the state
    the segment completes ('' nothing): each document it holds with that state's values, and every
    document of that state whose key is at least its bound held (the app's first list is read from the
    newest top alone: a wrong one makes it wrong, and nothing else would say so). It costs one pass
    over the tally's count columns, each document whose count reaches the bound's keyed (the bound is
    high: few are)."""
    if top is None:
        return f"does not read: {damage or 'its checksum, its shape or its order is wrong'}"
    if top.next_id > limit:
        return f"names the next id {top.next_id}, past the library's {limit}"
    values = top.values()
    for doc_id, kept in values.items():
        found = tally.values(doc_id)
        if found is None:
            return f"holds document {doc_id}, which that state does not hold"
        if tuple(found) != kept:
            return (
                f"gives document {doc_id} the values {kept} (citing, cited by its source, year), not "
                f"{tuple(found)}"
            )
    bound = top.bound
    least = bound >> 48  # (a key at least the bound has a count at least this)
    held, cited, citation, year = tally.held, tally.cited, tally.citation, tally.year
    left_out = [
        doc_id
        for doc_id, count, reported in zip(range(len(held)), cited, citation, strict=False)
        if (count >= least or reported >= least)
        and held[doc_id]
        and doc_id not in values
        and cited_key(reported, max(count, 0), year[doc_id], doc_id) >= bound
    ]
    if left_out:
        shown = ", ".join(str(d) for d in left_out[:5]) + (" and more" if len(left_out) > 5 else "")
        return f"leaves out documents whose keys are at least its bound ({shown})"
    return ""


# The tables every import reads of every segment, whatever it imports: each record's identity keys are
# looked up in every segment (``key_hashes``), which layer holds a document is asked of every segment
# (``doc_ids``), and once committed, the search index's update counts each changed document's citing
# articles over every segment (``link_ids``).
READ_BY_EVERY_IMPORT = ("key_hashes", "doc_ids", "link_ids")


def before_import(segments: Sequence[Segment], limit: int) -> str:
    """The first damage found in what an import will read of the library's ``segments`` (those of the
    state it opened, whose tables, once read, are kept and not read again), in one line naming the
    segment and the table ('' none); ``limit``: the library's next id. What ``pmbrowse import`` asks
    before it writes, so that it never commits on top of damage it reads:

    - the tables every import reads of every segment (``READ_BY_EVERY_IMPORT``), each against its
      checksum: read here first, they are the import's own reads (kept in the segment), so this costs
      what the import costs anyway, not a second reading of the library;
    - a segment written before stop 26, whose tables have no checksums: every id below ``limit`` and
      in order (``check_all``: 150 ms a million ids), as before (a flipped bit in its ids made an
      import miss the document and merge onto an older version). None in a library written since:
      a merge or a fold writes its segments with checksums.

    The other tables (where each document, link change and head is, the counts, the flags, years and
    citations, the key table's ids, the most-cited run) are not read here: whatever an import reads of
    them, it reads before its commit, each checked against its checksum the first time
    (``SegmentFile.column``), and damage there stops it in one line with nothing committed. Damage in a
    part the import never reads is left as it is: the import commits beside it (its commit reads
    nothing of it and does not depend on it), ``pmbrowse check`` names it and ``pmbrowse repair`` mends
    it, and what would copy it refuses it in one line, changing nothing: a merge or a fold reads every
    table it copies against its checksum (the counts and the run it derives anew), and so does the
    journal made a segment at a command's end (which, as a courtesy of the command's end, is then left
    for later). The segments' sizes and footers were looked at when the library was opened. Before
    stop 29 every table of every segment was read here: 230-360 ms before each import at a million
    records (two segments of 1.4 and 1.5 GB), whatever it imported."""
    for segment in segments:
        try:
            if getattr(segment, "checksummed", False):
                for name in READ_BY_EVERY_IMPORT:
                    segment.column(name)
            else:
                check_all(segment, limit)
        except LibraryFileError as exc:
            return str(exc)
    return ""
