"""The footer tells its keys apart by identity, not by hash (``tui.widgets.footer``): a key's hash is
a Python call, and the footer's choice and layout hashed the table's keys at every layout and render
(1.1k calls at the app's first frame, measured by ``bench.startcalls``)."""

from __future__ import annotations

import pytest

import store.values
from tests.store.helpers import count_calls
from tui.keys import KEYS, SNOWBALL_KEYS
from tui.widgets.footer import footer_keys, footer_lines


@pytest.mark.parametrize("width", [57, 97, 131])
def test_the_footer_chooses_and_lays_out_its_keys_without_hashing_them(
    monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    hashed = count_calls(monkeypatch, store.values.Value, "__hash__")
    for keys, lines in ((KEYS, 1), (SNOWBALL_KEYS, 2)):
        chosen = footer_keys(width, keys, lines)
        laid = footer_lines(chosen, [k for k in keys if k.footer], width)
        assert chosen and 0 < len(laid) <= lines
        assert footer_keys(width, keys, lines) == chosen  # (the same, kept)
    assert hashed == [0]
