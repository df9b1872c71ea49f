"""``pmbrowse related ID [--json] [--by cocitation|coupling|both] [--limit N] [--min-shared K]``."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console, Group, RenderableType
from rich.text import Text

from store.neighbourhood import MODES, GraphReader, Node, Related, related
from tui.commands.base import EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_OK, Command, article_of, error
from tui.text import json_text, literal, printable

MAX_LIMIT = 100_000


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", metavar="ID", help="a PMID, PMCID or DOI")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument(
        "--by",
        choices=MODES,
        default="both",
        help="co-citation (cited together), coupling (shared references) or both (default)",
    )
    p.add_argument("--limit", type=int, default=20, metavar="N", help="at most N articles (default 20)")
    p.add_argument(
        "--min-shared",
        type=int,
        default=None,
        metavar="K",
        help="only articles sharing at least K links (default: 2 when N articles do, else 1)",
    )


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    if not 1 <= args.limit <= MAX_LIMIT:
        error(err, f"--limit must be between 1 and {MAX_LIMIT:,} (got {args.limit})")
        return EXIT_BAD_INPUT
    if args.min_shared is not None and args.min_shared < 1:
        error(err, f"--min-shared must be at least 1 (got {args.min_shared})")
        return EXIT_BAD_INPUT
    library, doc_id = article_of(args, err)
    reader = GraphReader(library)
    rows = related(reader, doc_id, args.by, limit=args.limit, min_shared=args.min_shared)
    if args.json:
        sys.stdout.write(json_text([r.to_json() for r in rows]) + "\n")
    else:
        centre = reader.node(doc_id)
        assert centre is not None
        out.print(related_list(centre, rows, args.by))
    return EXIT_OK if rows else EXIT_NOT_FOUND


MODE_NAMES = {
    "cocitation": "co-citation",
    "coupling": "bibliographic coupling",
    "both": "co-citation and coupling",
}


def related_list(centre: Node, rows: list[Related], mode: str) -> RenderableType:
    """``Related to TITLE (PMID), by co-citation and coupling`` and a numbered row per article: its
    score, title, why, and byline."""
    header = Text("Related to ", style="bold")
    header.append_text(literal(centre.title or centre.label, style="bold"))
    header.append(f" ({printable(centre.label)}), by {MODE_NAMES[mode]}", style="bold")
    if not rows:
        why = {
            "cocitation": "no article in the library cites it together with another",
            "coupling": "no other article in the library lists any of its references",
            "both": "no article in the library cites it with another or shares its references",
        }[mode]
        hint = (
            f" Fetching its links (pmbrowse fetch {centre.ident} --links-depth 1) brings in more."
            if centre.ident
            else ""
        )
        return Group(header, literal(f"No related articles: {why}.{hint}", style="dim"))
    parts: list[RenderableType] = [header]
    for n, row in enumerate(rows, start=1):
        node = row.node
        line = Text(f"{n:>3}. ", style="dim")
        line.append(f"{row.score:.3f} ", style="bold")
        line.append("○ " if node.stub else "● ", style="dim" if node.stub else "green")
        line.append(printable(node.title or "(untitled)"))
        line.append("\n     " + row.why, style="cyan")
        meta = [
            node.first_author + (" et al" if node.authors > 1 else ""),
            node.journal,
            str(node.year or ""),
        ]
        meta.append(node.label)
        line.append("\n     " + printable(" · ".join(m for m in meta if m)), style="dim")
        parts.append(line)
    return Group(*parts)


RELATED = Command(
    "related",
    "articles related to one by co-citation and bibliographic coupling (offline, from the library)",
    configure,
    run,
)
