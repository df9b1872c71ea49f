"""The tables ``Changes._link`` asks of each link's key, on an import's hot path: a key this batch looked
up already (``_seen``) is not asked of the answers recalled from earlier batches (``HeldKeys.recalled``),
which hold none of this batch's keys (a probe of a large dict, once a link, for nothing)."""

from __future__ import annotations

from pathlib import Path

from store.library import Library
from store.model import Article, Link, Origin

ORIGIN = Origin("test", "probes")


class _Counted(dict[str, int | None]):
    """A dict counting the keys ``get`` was asked."""

    asked: list[str]

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.asked.append(key)
        return super().get(key, default)


def test_a_key_seen_in_this_batch_is_not_asked_of_the_recalled_answers(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "library.json", demo=False)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="1", title="One", year=2001), ORIGIN)
    with lib.transaction() as changes:
        recalled = _Counted()
        recalled.asked = []
        changes._held.recalled = recalled
        # PMID 1 is the library's: looked up at the first link (seen from then on), and named by the
        # next records' links again; PMID 2 is a stub this batch makes (its own key: not asked either).
        for pmid in ("3", "4", "5"):
            refs = [Link(pmid="1"), Link(pmid="2")]
            changes.put_article(Article(pmid=pmid, title=pmid, year=2003, references=refs), ORIGIN)
        # (the first link's two: ``_link``'s, and ``HeldKeys.get``'s as the key is asked; none after)
        assert recalled.asked.count("pmid:1") == 2
    lib.close()
