"""C1 control characters (U+0080-U+009F) in untrusted text, never passed to the terminal as controls.

A reference list's citation text can hold one (``\\x9b``, CSI: ESC [ in one character); PubMed XML allows
it. A terminal that decodes UTF-8 before it reads control sequences (VTE, GNU screen) takes U+009B for
CSI, as it takes ESC [. The text the CLI and the app draw shows it as a mark (``tui.text.printable``);
JSON written by the CLI keeps the text as it is, the control escaped (``\\u009b``: the same string once
parsed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store.library import Library
from store.model import Article, Link, Origin
from tests.tui.helpers import make_app, ready, rows
from tui.cli import main
from tui.screens.main import MainScreen
from tui.widgets.links import LinkList

HOSTILE = "csi \x9b31m red and esc \x1b[31m red \x1b[0m end. J Evil. 2019;1:2"
CONTROLS = ("\x9b", "\x1b", "\x85", "\x7f")


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "c1.json"
    lib = Library.open(path, demo=False)
    with lib.transaction() as changes:
        changes.put_article(
            Article(
                pmid="7",
                title="Host \x85 article \x7f",
                journal="J Test",
                year=2020,
                references=[Link(title=HOSTILE), Link(pmid="8", title="Ref \x9b2J eight")],
            ),
            Origin("test"),
        )
        changes.put_article(
            Article(pmid="9", title="Citing \x9b31m", references=[Link(pmid="7")]), Origin("test")
        )
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ("show", "7", "--json"),
        ("show", "9", "--json"),
        ("search", "citing", "--json"),
    ],
)
def test_json_output_escapes_c1_controls(capsys, hostile: Path, args: tuple[str, ...]) -> None:
    out = _run(capsys, "--db", str(hostile), *args)
    assert not any(c in out for c in CONTROLS), repr(out)
    text = json.dumps(json.loads(out), ensure_ascii=False)  # the same data, the controls in it
    assert "\x9b" in text


def test_show_text_marks_c1_controls(capsys, hostile: Path) -> None:
    out = _run(capsys, "--db", str(hostile), "show", "7")
    assert not any(c in out for c in CONTROLS), repr(out)
    assert "csi �31m red and esc ␛[31m red ␛[0m end." in out


async def test_link_rows_mark_c1_controls(hostile: Path) -> None:
    app = make_app(hostile, "7")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        shown = rows(screen.query_one("#references-list", LinkList))
        assert not any(c in row for row in shown for c in CONTROLS), shown
        assert any("csi �31m red and esc ␛[31m red" in row for row in shown), shown
