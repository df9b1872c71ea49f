"""``pmbrowse show ID [--json]`` and ``pmbrowse stats``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from rich.console import Console

from store.library import Library
from store.metrics import reported_count
from store.model import Article
from tui.commands.base import (
    EXIT_OK,
    Command,
    article_of,
    open_library,
)
from tui.console import render_article, stats_table, visible_decisions
from tui.text import json_text

if TYPE_CHECKING:
    from store.marks import Mark, Marks


def configure_show(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", metavar="ID", help="a PMID, PMCID or DOI")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--screener",
        metavar="NAME",
        help="whose decisions to show (default: $PMBROWSE_SCREENER, else unnamed)",
    )


def run_show(args: argparse.Namespace, out: Console, err: Console) -> int:
    from store.marks import Marks

    library, doc_id = article_of(args, err)
    marks = Marks.open(library.path, screener=args.screener)
    if args.json:
        data = article_json(library, doc_id, marks)
        sys.stdout.write(json_text(data) + "\n")
    else:
        out.print(render_article(library, doc_id, marks))
    return EXIT_OK


def marks_json(mark: Mark, marks: Marks) -> dict[str, object]:
    """The marks as ``show --json`` gives them (the decisions this screener may see)."""
    return {
        "starred": mark.starred,
        "tags": list(mark.tags),
        "note": mark.note,
        "screening": mark.screening,
        "stage": mark.stage,
        "reason": mark.reason,
        "decisions": [d.to_doc() for d in visible_decisions(mark, marks.viewer)],
    }


def article_json(library: Library, doc_id: int, marks: Marks | None = None) -> dict[str, object]:
    article = library.article(doc_id)
    extra: dict[str, object] = {}
    if marks is not None:
        extra["marks"] = marks_json(marks.get(article.keys), marks)
    return {
        "pmid": article.pmid,
        "pmcid": article.pmcid,
        "doi": article.doi,
        "title": article.title,
        "authors": [a.name for a in article.authors],
        "affiliations": article.affiliations,
        "journal": article.journal,
        "journal_title": article.journal_title,
        "publisher": article.publisher,
        "date": article.date,
        "year": article.year,
        "volume": article.volume,
        "issue": article.issue,
        "pages": article.pages,
        **_citation_count(article),
        "abstract": article.abstract_text,
        "abstract_sections": [{"label": s.label, "text": s.text} for s in article.abstract],
        "languages": article.languages,
        "publication_types": article.publication_types,
        "mesh": article.mesh,
        "keywords": article.keywords,
        "stub": article.stub,
        "origins": [o.to_doc() for o in article.origins],
        "metrics": article.metrics,
        "references": [v.to_json() for v in library.links(doc_id, "references")],
        "cited_by": [v.to_json() for v in library.links(doc_id, "cited_by")],
        **extra,
    }


def _citation_count(article: Article) -> dict[str, object]:
    """The citation count and whose it is: the record's own (an article page's "Cited by"), else the
    one iCite reports, else Europe PMC's (``store.metrics``); null when none says."""
    if article.citation_count is not None:
        return {"citation_count": article.citation_count, "citation_count_source": "record"}
    reported = reported_count({"metrics": article.metrics})
    if reported is None:
        return {"citation_count": None, "citation_count_source": None}
    return {"citation_count": reported[0], "citation_count_source": reported[1]}


def configure_stats(p: argparse.ArgumentParser) -> None:
    pass


def run_stats(args: argparse.Namespace, out: Console, err: Console) -> int:
    library = open_library(args, err)
    out.print(stats_table(library, library.stats()))
    return EXIT_OK


SHOW = Command("show", "show one article and its links", configure_show, run_show)
STATS = Command("stats", "count records, stubs and links", configure_stats, run_stats)
