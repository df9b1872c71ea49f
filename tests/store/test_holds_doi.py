"""A DOI key's candidate is told from its head's bytes when they say it plainly
(``holders._doi_held``), and the answer is always the one decoding the head gives: for heads as
``head_of`` writes them and for odd ones (escapes, other letters' cases, repeats, a title naming
"doi"), each asked for its own DOI's key and for others."""

from __future__ import annotations

import random

import orjson

from store.merge import doc_keys
from store.storage.holders import _doi_held, holds
from store.storage.meta import head_of

DOIS = [
    "10.1000/ABC.def",
    "10.1000/abc.def",
    "10.1038/nature12373",
    '10.1000/"quoted"',
    "10.1000/back\\slash",
    "10.1000/ÄÖ-non-ascii",
    "10.1000/ǅ",  # (a letter whose lower case is not ASCII's)
    "10.1000/x",
]
TITLES = ["A study", 'The "doi" field', 'doi":"10.1000/x', "doi", "Über alles"]


def _heads(rng: random.Random) -> list[bytes]:
    heads = []
    for doi in DOIS:
        for title in TITLES:
            doc = {"pmid": str(rng.randint(1, 10**8)), "doi": doi, "title": title, "year": 2001}
            if rng.random() < 0.5:
                del doc["pmid"]
            heads.append(head_of(doc))
    # (not as ``head_of`` writes them: a repeated key, a DOI not text, a DOI in an author's name)
    heads += [
        b'{"doi":"10.1000/A","doi":"10.1000/B"}',
        b'{"doi":"10.1000/A","title":"t","doi":"10.1000/B"}',
        b'{"doi":5,"title":"x"}',
        b'{"title":"x","authors":["\\"doi\\":\\"10.1000/x"]}',
        b'{"doi":"","title":"x"}',
        b'{"doi":"10.1000/\\u0041"}',
    ]
    return heads


def test_a_doi_key_is_told_as_decoding_the_head_tells_it() -> None:
    rng = random.Random(40)
    keys = [f"doi:{doi.lower()}" for doi in DOIS] + ["doi:10.1000/a", "doi:10.1000/b", "doi:"]
    told = 0
    for head in _heads(rng):
        for key in keys:
            doc = orjson.loads(head)
            keys_of = doc_keys(doc) if isinstance(doc.get("doi", ""), str) else None
            if keys_of is None:
                continue  # (a DOI that is not text: the decoding path's own concern, as before)
            assert holds(head, key) == (key in keys_of), (head, key)
            told += _doi_held(head, key) is not None
    assert told > 100  # (most plain heads are told from their bytes)
