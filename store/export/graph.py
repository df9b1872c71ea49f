"""The walk itself: the articles a user visited, in order, and the citations between them.

Built from the trail of library document ids the user followed; ids that no longer name a document
(a later import merged it away) are left out, and the same article twice in a row is one visit. Two
writers:

- an edge list (CSV ``source,target,relation``), articles named by their label (PMID, else PMCID, else
  DOI, else ``doc:<id>``): ``cites`` rows for each citation between visited articles (the citing
  article is the source), then ``visited_next`` rows for each step of the trail, in order;
- Graphviz DOT: one box per visited article (its visit numbers, first author and year, and the start
  of its title), solid arrows for citations, dashed grey arrows numbered by step for the trail.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TextIO

from store.export.citation import article_url
from store.library import Library
from store.model import Article

CITES = "cites"
VISITED_NEXT = "visited_next"
TITLE_WIDTH = 40


@dataclass
class Walk:
    """The visited articles (by document id, in order of first visit), the trail and the citations."""

    articles: dict[int, Article] = field(default_factory=dict)
    visits: dict[int, list[int]] = field(default_factory=dict)  # doc id -> its visit numbers, from 1
    steps: list[tuple[int, int]] = field(default_factory=list)  # (from, to), in trail order
    citations: list[tuple[int, int]] = field(default_factory=list)  # (citing, cited)

    @classmethod
    def from_trail(cls, trail: Sequence[int], library: Library) -> Walk:
        walk = cls()
        visited: list[int] = []
        for doc_id in trail:
            if library.doc(doc_id) is None or (visited and visited[-1] == doc_id):
                continue  # gone from the library, or the same article shown again
            if doc_id not in walk.articles:
                walk.articles[doc_id] = library.article(doc_id)
            if visited:
                walk.steps.append((visited[-1], doc_id))
            visited.append(doc_id)
            walk.visits.setdefault(doc_id, []).append(len(visited))
        for doc_id in walk.articles:
            for view in library.links(doc_id, "references"):
                if view.target_id in walk.articles:
                    walk.citations.append((doc_id, view.target_id))
        return walk

    def label(self, doc_id: int) -> str:
        article = self.articles[doc_id]
        return article.pmid or article.pmcid or article.doi or f"doc:{doc_id}"


def write_edge_list(walk: Walk, out: TextIO) -> None:
    """The walk as CSV rows ``source,target,relation``."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("source", "target", "relation"))
    for citing, cited in walk.citations:
        writer.writerow((walk.label(citing), walk.label(cited), CITES))
    for before, after in walk.steps:
        writer.writerow((walk.label(before), walk.label(after), VISITED_NEXT))


def dot_string(text: str) -> str:
    """A DOT double-quoted string holding ``text`` as it is (lines joined by DOT's ``\\n``)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "\\n".join(" ".join(line.split()) for line in escaped.splitlines()) + '"'


def short_title(title: str, width: int = TITLE_WIDTH) -> str:
    """The title cut at a word boundary to about ``width`` characters, with an ellipsis if cut."""
    title = " ".join(title.split())
    if len(title) <= width:
        return title
    cut = title[:width].rsplit(" ", 1)[0] if " " in title[:width] else title[:width]
    return cut.rstrip(" ,;:.-") + "…"


def node_label(walk: Walk, doc_id: int) -> str:
    """``1, 4. Li 2019`` over the start of the title."""
    article = walk.articles[doc_id]
    author = article.authors[0].last if article.authors else ""
    if len(article.authors) > 1:
        author += " et al."
    year = str(article.year) if article.year else ""
    head = " ".join(p for p in (author, year) if p) or walk.label(doc_id)
    visits = ", ".join(str(n) for n in walk.visits[doc_id])
    return f"{visits}. {head}\n{short_title(article.title)}"


def write_dot(walk: Walk, out: TextIO, name: str = "walk") -> None:
    """The walk as a Graphviz digraph."""
    out.write(f"digraph {dot_string(name)} {{\n")
    out.write("  rankdir=LR;\n")
    out.write('  node [shape=box, style="rounded", fontsize=10];\n')
    for doc_id in walk.articles:
        attributes = [f"label={dot_string(node_label(walk, doc_id))}"]
        article = walk.articles[doc_id]
        attributes.append(f"tooltip={dot_string(article.title or walk.label(doc_id))}")
        if url := article_url(article):
            attributes.append(f"URL={dot_string(url)}")
        if article.stub:
            attributes.append('style="rounded,dashed"')
        out.write(f"  n{doc_id} [{', '.join(attributes)}];\n")
    for citing, cited in walk.citations:
        out.write(f'  n{citing} -> n{cited} [style=solid, tooltip="cites"];\n')
    for step, (before, after) in enumerate(walk.steps, start=1):
        out.write(
            f'  n{before} -> n{after} [style=dashed, color=gray50, fontcolor=gray50, label="{step}", '
            'constraint=false, tooltip="visited next"];\n'
        )
    out.write("}\n")
