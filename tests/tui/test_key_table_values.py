"""The key table's ``Key``, a value class (``store.values``) rather than a frozen dataclass: the app
imports the table before its first frame, and making the dataclass took ~0.6 ms of that."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.store.helpers import count_calls
from tui.keys import KEYS, SNOWBALL_KEYS, Key


@dataclasses.dataclass(frozen=True, slots=True)
class _Key:  # (what ``Key`` was)
    keys: str
    action: str
    description: str
    help: str
    shown: str = ""
    footer: bool = True
    rank: int = 5


def test_a_key_behaves_as_the_frozen_dataclass_it_was() -> None:
    """Equal by its fields, hashed and printed so, defaults the same, never changed. Seen red with
    ``Key.__slots__`` in another order than ``__init__``'s arguments (the fields swapped)."""
    key = Key("slash", "focus_search", "Search", "Focus the search bar", rank=1)
    old = _Key("slash", "focus_search", "Search", "Focus the search bar", rank=1)
    for name in ("keys", "action", "description", "help", "shown", "footer", "rank"):
        assert getattr(key, name) == getattr(old, name), name
    assert hash(key) == hash(old) and repr(key) == repr(old).replace("_Key", "Key")
    assert key == Key("slash", "focus_search", "Search", "Focus the search bar", "", True, 1)
    assert key != Key("slash", "focus_search", "Search", "Focus the search bar", rank=2)
    assert len({*KEYS, *KEYS}) == len(set(KEYS))
    change: list[Any] = [lambda: setattr(key, "rank", 0), lambda: delattr(key, "help")]
    for attempt in change:
        with pytest.raises(dataclasses.FrozenInstanceError):
            attempt()


def test_every_key_of_the_tables_reads_as_before() -> None:
    """Each key of both tables, made again as the old dataclass from its fields, says the same label,
    footer label and binding."""
    for key in (*KEYS, *SNOWBALL_KEYS):
        old = _Key(key.keys, key.action, key.description, key.help, key.shown, key.footer, key.rank)
        assert repr(key) == repr(old).replace("_Key", "Key")
        assert key.binding().key == old.keys and key.label and key.footer_label


def test_a_table_of_keys_is_hashed_from_its_fields_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The footer's cache of the keys that fit is keyed by the whole table, hashed at every layout and
    render: a value's hash is made once (its fields cannot change). Without it, ``footer_keys(120)``
    took 32.5 µs against 3.8 (5.7 µs with the dataclass), measured 2026-12-06. Seen red with
    ``Value.__hash__`` hashing the fields at every ask."""
    import store.values

    read = count_calls(monkeypatch, store.values.Value, "_values")
    table = tuple(Key(f"f{n}", "quit", "Q", "Quit", rank=n) for n in range(20))
    first = hash(table)
    assert read[0] == 20
    assert hash(table) == first and read[0] == 20
    assert first == hash(tuple(_Key(f"f{n}", "quit", "Q", "Quit", rank=n) for n in range(20)))
