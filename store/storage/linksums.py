"""The two sums over every link that tell whether both ends of every link agree (``pmbrowse check``,
``store.storage.verify``).

For every link (a, b), ``a << 32 | b`` and ``a * b`` are summed from the citing ends (a's references)
and from the cited ends (b's citing articles): the same when both ends agree, since a link missing at
one end changes both sums. Each end's part is a few sums over its id lists (``sum`` in C).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Sums:
    """The two sums over every link, from the citing ends and from the cited ends."""

    cites: list[int] = field(default_factory=lambda: [0, 0])
    cited: list[int] = field(default_factory=lambda: [0, 0])
    linked: list[int] = field(default_factory=list)  # the documents with links (some more than once)
    links: int = 0

    def add(self, doc_id: int, refs: list[int], cited_by: list[int], *, sign: int = 1) -> None:
        """Add one end's part of the sums (``sign`` -1: take back a part added before; ``linked`` is
        left as it is, and its reader leaves out the documents whose parts were taken back)."""
        if sign > 0 and (refs or cited_by):
            self.linked.append(doc_id)
        if refs:
            total = sum(refs)
            self.cites[0] += sign * ((len(refs) * doc_id << 32) + total)
            self.cites[1] += sign * doc_id * total
            self.links += sign * len(refs)
        if cited_by:
            total = sum(cited_by)
            self.cited[0] += sign * ((total << 32) + len(cited_by) * doc_id)
            self.cited[1] += sign * doc_id * total

    def merge(self, other: Sums) -> None:
        self.cites = [a + b for a, b in zip(self.cites, other.cites, strict=True)]
        self.cited = [a + b for a, b in zip(self.cited, other.cited, strict=True)]
        self.linked += other.linked
        self.links += other.links


@dataclass
class BaseLinks:
    """The sums over the base's link records (a ``basescan.LinkSink``), but for the documents whose
    links are counted from their whole state (``skip``: those a later layer changed otherwise)."""

    sums: Sums
    skip: set[int]

    def add(self, doc_id: int, refs: list[int], cited_by: list[int]) -> None:
        if doc_id not in self.skip:
            self.sums.add(doc_id, refs, cited_by)

    def part(self) -> Sums:  # (what a child sends back: its sums, not the set)
        return self.sums

    def merge(self, part: Sums) -> None:
        self.sums.merge(part)
