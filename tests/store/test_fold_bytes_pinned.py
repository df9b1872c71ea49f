"""A fold writes, byte for byte, the base and document index that stop 37's code wrote for the same
library (``store.storage.generation.Builder`` writes the records and heads added one by one in slices
since stop 38: the same bytes, the same CRC-32). The digests below were made by main 91b672b (stop 37's
last) running this same test's library; the index's header is compared without the base file's size and
modification time it names (the time differs from run to run)."""

from __future__ import annotations

import hashlib
import itertools
import secrets
import struct
from pathlib import Path
from typing import Any

import orjson
import pytest

from store.docindex import MAGIC, aligned
from store.indexblocks import tables_size
from store.library import Library
from store.model import Origin
from store.storage import generation

# (library.json, library.json.idx) after each step, as stop 37's code wrote them (the index without
# the blocks' tables stop 49 added)
PINNED = {
    "first": ("b61674023155f6f0", "6458f42849912bab"),
    "compacted": ("4fe445019e8c0a5e", "ca0ab19d9b3a2e53"),
    "again": ("ce06aa63db9f2178", "9b93c574859240df"),
}


def _docs(first: int, n: int, step: int, width: int) -> list[dict[str, Any]]:
    out = []
    for i in range(first, first + n):
        cites = [(i * step + j) % (first + n) + 1 for j in range(width)] if step else range(i - 5, i + 5)
        refs = [
            {"pmid": str(20_000_000 + j), "title": f"Cited {j}", "sources": ["pubmed"]}
            for j in cites
            if j > 0 and j != i
        ]
        out.append(
            {
                "pmid": str(20_000_000 + i),
                "title": f"Record {i}",
                "year": 1990 + i % 30,
                "authors": [{"last": f"A{i % 7}", "initials": "B"}],
                "journal": "J Tests",
                "abstract": [{"text": "cells " * (i % 50)}],
                "references": refs,
            }
        )
    return out


def _digests(path: Path) -> tuple[str, str]:
    index = path.with_name(path.name + ".idx").read_bytes()
    (n,) = struct.unpack_from("<I", index, 8)
    header = orjson.loads(index[16 : 16 + n])
    header.pop("base")
    body = index[aligned(16 + n) :]
    if index[:8] == MAGIC:  # (since stop 49, the blocks' tables before the heads: taken out, as before)
        del header["blocks"], header["blocks_crc"]
        heads_at = len(body) - header["heads"]
        body = body[: heads_at - tables_size(header["max_id"] + 1, header["keys"])] + body[heads_at:]
    rest = orjson.dumps(header, option=orjson.OPT_SORT_KEYS) + body
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16], hashlib.sha256(rest).hexdigest()[:16]


@pytest.mark.parametrize("run_bytes", [4 << 20, 2048], ids=["one-slice", "many-slices"])
def test_a_fold_writes_the_bytes_stop_37_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_bytes: int
) -> None:
    monkeypatch.setattr(generation, "RUN_BYTES", run_bytes)  # (slices of a few records: written on)
    count = itertools.count(1)
    monkeypatch.setattr(secrets, "token_hex", lambda n=8: f"{next(count):0{2 * n}x}")
    path = tmp_path / "library.json"
    lib = Library.open(path)
    origin = Origin("pubmed-xml", "/fixed/in.xml")
    made = {}
    with lib.transaction() as changes:
        for doc in _docs(1, 300, 0, 0):
            changes.put_document(doc, origin)
    made["first"] = _digests(path)
    # (batches written as segments, then folded: documents from segments, links composed)
    for name, (first, n, step, width, every) in {
        "compacted": (250, 400, 7, 6, 120),
        "again": (600, 500, 13, 8, 150),  # (and runs of the base's records copied)
    }.items():
        with lib.transaction() as changes:
            for k, doc in enumerate(_docs(first, n, step, width)):
                changes.put_document(doc, origin)
                if k % every == every - 1:
                    changes.flush()
        assert lib.compact()
        made[name] = _digests(path)
    lib.close()
    assert made == PINNED
