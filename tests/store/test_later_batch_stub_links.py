"""A later batch's links to the stubs an earlier batch of the same import made are connected on the
import's hot path (``Changes._link``), found plain from the stubs' flags, as links to records are:
before stop 35 each went through ``Changes._target`` (a second round of key look-ups, then the flags
read again), once for every such link. In one big file most links are of this kind after its first
batch (the references of the records name the same cited articles batch after batch)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

import store.importer as importer
from store.changes import Changes
from store.importer import import_paths
from store.library import Library
from tests.store.bulk_files import pubmed_xml
from tests.store.helpers import count_calls

STUBS = 40  # cited articles no record of the file is: each becomes a stub, in the first batch


def _library(tmp_path: Path, name: str, links_at: int, monkeypatch: pytest.MonkeyPatch) -> Library:
    rng = random.Random(5)
    # 120 records, each citing 5 of the same 40 articles the file does not hold.
    records = [(i, [1000 + j for j in rng.sample(range(STUBS), 5)]) for i in range(1, 121)]
    xml = pubmed_xml(tmp_path / f"{name}.xml", records)
    monkeypatch.setattr(importer, "LINKS_AT", links_at, raising=False)
    lib = Library.open(tmp_path / f"{name}.json", demo=False)
    (report,) = import_paths(lib, [str(xml)])
    assert report.records == 120 and report.stubs == STUBS
    return lib


def _contents(lib: Library) -> list[Any]:
    # (but for where each record came from: the two files' paths)
    return [
        (doc_id, {k: v for k, v in doc.items() if k != "origins"}, lib.link_state(doc_id))
        for doc_id, doc in lib.iter_docs()
    ]


def test_links_to_an_earlier_batchs_stubs_take_the_hot_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_calls(monkeypatch, Changes, "_target")
    batched = _library(tmp_path, "batched", 100, monkeypatch)  # (a batch written every 100 links)
    # Once for each stub made (its first link), none for the 560 later links to the stubs, held or
    # written by an earlier batch, which have nothing to add to them.
    assert calls[0] == STUBS
    calls[0] = 0
    whole = _library(tmp_path, "whole", 1_000_000, monkeypatch)
    assert calls[0] == STUBS
    assert _contents(batched) == _contents(whole)
