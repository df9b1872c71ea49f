"""``pmbrowse mark ID [--star] [--tag T] [--include | --exclude [--reason R] | --unscreen] [--note TEXT]``:
marks from the shell.

Every change one command makes is one write of the marks file (``Marks.transaction``): killed half-way,
none of them is made. A screening decision is recorded with its stage, reason, screener and time (see
``store.snowball.screening``); as with ``pmbrowse snowball``, a decision that would replace a different
one is refused unless ``--change``, and a change says what the decision was.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from rich.console import Console
from rich.text import Text

from store.marks import Mark, Marks
from store.merge import doc_keys
from store.snowball.engine import label_of
from store.snowball.review import Target, describe, screen, standing_text
from store.snowball.screening import STAGE_NAMES, STAGES, screener_name
from store.snowball.state import SnowballFile
from tui.commands.base import (
    EXIT_OK,
    Command,
    UsageError,
    article_of,
)
from tui.text import literal, printable


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", metavar="ID", help="a PMID, PMCID or DOI in the library")
    star = p.add_mutually_exclusive_group()
    star.add_argument("--star", action="store_true", help="star it")
    star.add_argument("--unstar", action="store_true", help="remove the star")
    p.add_argument("--tag", action="append", default=[], metavar="TAG", help="add a tag (repeatable)")
    p.add_argument("--untag", action="append", default=[], metavar="TAG", help="remove a tag (repeatable)")
    screen_group = p.add_mutually_exclusive_group()
    screen_group.add_argument("--include", action="store_true", help="screening: included")
    screen_group.add_argument("--exclude", action="store_true", help="screening: excluded (see --reason)")
    screen_group.add_argument(
        "--not-retrieved", action="store_true", help="full-text screening: sought and not obtained"
    )
    screen_group.add_argument("--unscreen", action="store_true", help="screening: no decision")
    p.add_argument("--reason", metavar="TEXT", help="with --exclude: why")
    p.add_argument("--stage", choices=STAGES, help="the screening stage (default: where the article is)")
    p.add_argument("--change", action="store_true", help="replace a different decision")
    p.add_argument("--note", metavar="TEXT", help="set the note (an empty TEXT removes it)")
    p.add_argument(
        "--screener", metavar="NAME", help="who is screening (default: $PMBROWSE_SCREENER, else unnamed)"
    )


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    from tui.commands.review import plain_text

    if any(not tag.strip() for tag in [*args.tag, *args.untag]):
        raise UsageError("a tag cannot be empty")
    if args.reason is not None and not args.exclude:
        raise UsageError("--reason goes with --exclude")
    plain_text("--reason", args.reason)
    deciding = args.include or args.exclude or args.not_retrieved or args.unscreen
    if (args.stage or args.change) and not deciding:
        option = "--stage" if args.stage else "--change"
        raise UsageError(f"{option} goes with --include, --exclude, --not-retrieved or --unscreen")
    if args.not_retrieved and args.stage == "title-abstract":
        raise UsageError("not-retrieved is a full-text decision: a report sought and not obtained")
    library, doc_id = article_of(args, err)
    doc = library.doc(doc_id) or {}
    keys = doc_keys(doc)
    marks = Marks.open(library.path, screener=args.screener)
    state = SnowballFile.open(library.path).load() if deciding else None  # (a refusal names seeds)
    mark = marks.get(keys)
    before = describe(mark.screening, mark.reason)
    with marks.transaction():
        if args.star or args.unstar:
            mark = marks.set_star(keys, args.star)
        for tag in args.tag:
            mark = marks.add_tag(keys, tag)
        for tag in args.untag:
            mark = marks.remove_tag(keys, tag)
        if deciding:
            decision = (
                "included"
                if args.include
                else "excluded"
                if args.exclude
                else "not-retrieved"
                if args.not_retrieved
                else None
            )
            target = Target(label_of(doc), tuple(keys))
            done = screen(
                marks,
                [target],
                decision,
                reason=args.reason,
                stage=args.stage,
                change=args.change,
                state=state,
            )
            mark = done.marks[0]
        if args.note is not None:
            mark = marks.set_note(keys, args.note)
    out.print(
        describe_mark(library.article(doc_id).title, mark, before if deciding else None, marks.screener)
    )
    return EXIT_OK


def describe_mark(title: str, mark: Mark, before: str | None = None, screener: str = "") -> Text:
    """The article's title, then its marks spelt out (and what the decision was, when it changed);
    ``screener``: who is looking (their decision awaiting the second screener is said to be theirs)."""
    text = literal(title, style="bold")
    parts = ["★ starred" if mark.starred else "not starred"]
    if mark.screening:
        stage = f" at {STAGE_NAMES[mark.stage]}" if mark.stage else ""
        decided = f"screening: {describe(mark.screening, mark.reason)}{stage}"
        last = mark.decisions[-1] if mark.decisions else None
        if last is not None and last.screener:
            decided += f" (by {screener_name(last.screener)})"
        parts.append(decided)
        if mark.awaiting is not None:  # (a later stage's decision, recorded, not counted yet)
            parts.append("and " + standing_text(replace(mark, screening=None), screener))
    else:
        # (a decision awaiting the second screener is recorded: said so, not "not screened")
        said = standing_text(mark, screener)
        parts.append(said if mark.awaiting is None else f"screening: {said}")
    now = describe(mark.screening, mark.reason)
    if before is not None and before != now:
        parts.append(f"was {before}")
    if mark.tags:
        parts.append("tags: " + ", ".join(mark.tags))
    text.append("\n" + printable(" · ".join(parts)))
    if mark.note:
        text.append("\nnote: " + printable(mark.note), style="italic")
    return text


MARK = Command("mark", "star, tag, screen or annotate an article", configure, run)
