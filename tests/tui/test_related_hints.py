"""What `related` suggests, and how it names articles without identifiers."""

from __future__ import annotations

from pathlib import Path

from store.library import Library
from store.model import Article, Link, Origin
from store.neighbourhood.nodes import node_of
from tui.cli import main


def test_the_fetch_hint_is_a_command_that_runs(lib_path: Path, capsys) -> None:
    lib = Library.open(lib_path)
    with lib.transaction() as changes:
        changes.put_article(Article(doi="10.9999/lonely.1", title="Only a DOI"), Origin("t"))
    assert main(["--db", str(lib_path), "related", "10.9999/lonely.1"]) == 1
    out = capsys.readouterr().out
    assert "pmbrowse fetch 10.9999/lonely.1 --links-depth 1" in " ".join(out.split())


def test_an_article_without_identifiers_is_not_named_by_its_internal_id(lib_path: Path) -> None:
    lib = Library.open(lib_path)
    with lib.transaction() as changes:
        changes.put_article(
            Article(
                pmid="1",
                title="Cites a book",
                references=[Link(title="A book with no identifier", year=1999)],
            ),
            Origin("t"),
        )
    target = lib.links(lib.find("1") or 0, "references")[0].target_id or 0
    node = node_of(target, lib.doc(target) or {})
    assert node.label == "no identifier" and node.ident is None


def test_the_related_pane_is_kept_for_next_time(lib_path: Path) -> None:
    from store.session import Session

    Library.open(lib_path)
    Session(pane="related").save(lib_path)
    assert Session.load(lib_path).pane == "related"
