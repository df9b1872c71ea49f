"""``pmbrowse mark ID [--star] [--tag T] [--include | --exclude] [--note TEXT]``: marks from the shell."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.text import Text

from store.marks import Mark, Marks
from store.merge import doc_keys
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
    screen = p.add_mutually_exclusive_group()
    screen.add_argument("--include", action="store_true", help="screening: included")
    screen.add_argument("--exclude", action="store_true", help="screening: excluded")
    screen.add_argument("--unscreen", action="store_true", help="screening: no decision")
    p.add_argument("--note", metavar="TEXT", help="set the note (an empty TEXT removes it)")


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    library, doc_id = article_of(args, err)
    keys = doc_keys(library.doc(doc_id) or {})
    marks = Marks.open(library.path)
    mark = marks.get(keys)
    if args.star or args.unstar:
        mark = marks.set_star(keys, args.star)
    if any(not tag.strip() for tag in [*args.tag, *args.untag]):
        raise UsageError("a tag cannot be empty")
    for tag in args.tag:
        mark = marks.add_tag(keys, tag)
    for tag in args.untag:
        mark = marks.remove_tag(keys, tag)
    if args.include or args.exclude or args.unscreen:
        mark = marks.set_screening(keys, "included" if args.include else "excluded" if args.exclude else None)
    if args.note is not None:
        mark = marks.set_note(keys, args.note)
    out.print(describe(library.article(doc_id).title, mark))
    return EXIT_OK


def describe(title: str, mark: Mark) -> Text:
    text = literal(title, style="bold")
    parts = ["★ starred" if mark.starred else "not starred"]
    parts.append(f"screening: {mark.screening}" if mark.screening else "not screened")
    if mark.tags:
        parts.append("tags: " + ", ".join(mark.tags))
    text.append("\n" + printable(" · ".join(parts)))
    if mark.note:
        text.append("\nnote: " + printable(mark.note), style="italic")
    return text


MARK = Command("mark", "star, tag, screen or annotate an article", configure, run)
