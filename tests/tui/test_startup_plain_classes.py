"""Four classes the app's start makes are plain classes, not dataclasses: making a dataclass's methods
(``__init__``, ``__repr__``, ``__eq__``..., compiled from generated source) costs 0.3-0.4 ms of CPU each,
and the start makes some 30 of pmbrowse's (16 ms, measured 2026-12-05). ``FirstPage`` is made by the first
page's thread (``tui.firstpage``), ``Layout`` by ``store.schema``, which that thread imports, ``Session``
and ``Identifier`` by the first screen's modules (``store.session``, ``store.ids``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from store.ids import Identifier, parse_identifier
from store.schema import LIBRARY, MARKS, Layout
from store.session import Session
from store.trail import Trail
from tui.firstpage import FirstPage


def test_they_are_not_dataclasses() -> None:
    assert not dataclasses.is_dataclass(FirstPage)
    assert not dataclasses.is_dataclass(Layout)
    assert not dataclasses.is_dataclass(Session)
    assert not dataclasses.is_dataclass(Identifier)


def test_they_hold_what_they_held() -> None:
    page = FirstPage(Path("library.json"), "fetal growth")
    assert (page.path, page.query, page.order, page.opened, page.index, page.results) == (
        Path("library.json"),
        "fetal growth",
        "",
        False,
        None,
        None,
    )
    assert (LIBRARY.kind, LIBRARY.noun, LIBRARY.tables) == ("library", "library", ("articles", "links"))
    assert (MARKS.kind, MARKS.noun, MARKS.version) == ("marks", "marks file", 2)
    assert LIBRARY.new_data()["_meta"]
    assert (Session().query, Session().trail.to_json(), Session().pane) == ("", Trail().to_json(), "abstract")
    assert Session().trail is not Session().trail
    session = Session(query="q", pane="related")
    assert (session.query, session.pane) == ("q", "related")
    assert parse_identifier("PMC123") == Identifier("pmcid", "PMC123") != Identifier("pmid", "PMC123")
    assert len({Identifier("pmid", "1"), Identifier("pmid", "1")}) == 1
    assert parse_identifier("1") is not None and parse_identifier("1").key == "pmid:1"  # type: ignore[union-attr]
