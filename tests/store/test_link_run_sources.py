"""A run of links connected at once (``LinkEdits.connect_all``, an import's hot path) gives each link
the sources it came with, whatever the sources of the link before it (the run reuses what it made
shared for sources equal to the last link's)."""

from __future__ import annotations

from store.linkedits import LinkEdits
from store.storage.links import LinkState, empty, shared

SOURCES: list[list[str] | tuple[str, ...] | None] = [
    ["pubmed"],
    ["pubmed"],
    ["europepmc"],
    None,
    ["pubmed", "europepmc"],
    ("pubmed",),
    [],
    ["pubmed"],
    ["europepmc", "pubmed", "europepmc"],
    ["europepmc"],
]


def test_each_link_of_a_run_has_its_own_sources_on_both_ends() -> None:
    stored: dict[int, LinkState] = {}  # (documents 1-10 stored, without links: their ends are changes)

    def reader(doc_id: int) -> LinkState:
        return {rel: dict(targets) for rel, targets in stored.get(doc_id, empty()).items()}

    edits = LinkEdits(reader, fresh_from=100)
    targets = [*range(1, 6), *range(100 + 1, 100 + 6)]  # (stored documents, then new ones: both ends)
    run = list(zip(targets, SOURCES, strict=True))
    assert edits.connect_all(100, "references", run) == 2
    want = {target: shared(sources) if sources else () for target, sources in run}
    assert edits.state(100)["references"] == want
    for target, sources in run:
        back = edits.state(target)["cited_by"]
        assert back == {100: want[target]}, (target, sources)
