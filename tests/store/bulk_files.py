"""Generated inputs for the bulk-import tests: PubMed XML files with reference lists, and large schema-2
libraries (which open converted to the current layout)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path

import orjson
import pytest

from store import fileformat


def pmid(i: int) -> str:
    return str(20_000_000 + i)


def pubmed_xml(path: Path, records: Iterable[tuple[int, list[int]]], *, broken: bool = False) -> Path:
    """A PubmedArticleSet: record ``i`` (PMID ``pmid(i)``) citing the records ``refs`` by PMID.
    ``broken``: the file is cut off before its end (its records parse, then it fails)."""
    parts = ['<?xml version="1.0" ?>\n<PubmedArticleSet>\n']
    for i, refs in records:
        references = "".join(
            f"<Reference><Citation>Cited {pmid(j)}. J Test. 2001;1:1.</Citation><ArticleIdList>"
            f'<ArticleId IdType="pubmed">{pmid(j)}</ArticleId></ArticleIdList></Reference>'
            for j in refs
        )
        parts.append(
            f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid(i)}</PMID>'
            f"<Article><Journal><JournalIssue><PubDate><Year>{1990 + i % 30}</Year></PubDate></JournalIssue>"
            f"<Title>Journal of Tests</Title></Journal><ArticleTitle>Record {i} on cells.</ArticleTitle>"
            f"<Abstract><AbstractText>Cells and more cells in record {i}.</AbstractText></Abstract>"
            f'<AuthorList CompleteYN="Y"><Author><LastName>Author{i % 97}</LastName>'
            "<Initials>A</Initials></Author></AuthorList></Article></MedlineCitation><PubmedData>"
            f'<ArticleIdList><ArticleId IdType="pubmed">{pmid(i)}</ArticleId>'
            f'<ArticleId IdType="doi">10.9999/t.{i}</ArticleId>'
            f"</ArticleIdList><ReferenceList>{references}</ReferenceList></PubmedData></PubmedArticle>\n"
        )
    text = "".join(parts) + ("" if broken else "</PubmedArticleSet>\n")
    if broken:
        text = text[: len(text) - 200]
    path.write_text(text, encoding="utf-8")
    return path


def cited(rng: random.Random, i: int, among: int, k: int) -> list[int]:
    """``k`` distinct records of ``1..among`` (fewer if there are not that many) other than ``i``."""
    pool = range(1, among + 1)
    return [j for j in rng.sample(pool, min(k, len(pool))) if j != i]


def v2_library(path: Path, n: int, refs: int = 5, seed: int = 1) -> None:
    """A library of ``n`` small records as schema 2 wrote it (links inside the documents), each citing
    ``refs`` older ones; opening it converts it (a stream: bounded memory)."""
    rng = random.Random(seed)
    cites = {i: sorted(set(rng.sample(range(1, i), min(refs, i - 1)))) for i in range(1, n + 1)}
    citing: dict[int, list[int]] = {}
    for i, targets in cites.items():
        for j in targets:
            citing.setdefault(j, []).append(i)
    with open(path, "wb") as fh:
        writer = fileformat.BaseWriter(fh, {"app": "pmbrowse", "schema": 2, "generation": "v2"})
        for i in range(1, n + 1):
            doc: dict[str, object] = {
                "pmid": pmid(i),
                "doi": f"10.9999/t.{i}",
                "title": f"Record {i}",
                "year": 1990 + i % 30,
            }
            if cites[i]:
                doc["references"] = cites[i]
                doc["link_sources"] = {"references": {"pubmed": cites[i]}}
            if i in citing:
                doc["cited_by"] = citing[i]
                doc["link_sources"] = {**doc.get("link_sources", {}), "cited_by": {"pubmed": citing[i]}}  # type: ignore[dict-item]
            writer.add(i, orjson.dumps(doc))
        writer.close()


def batch_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size (``Changes.size``) of each batch a bulk import writes, appended as it is written."""
    from store.changes import Changes

    sizes: list[int] = []
    flush = Changes.flush

    def counted(self: Changes) -> None:
        sizes.append(self.size())
        flush(self)

    monkeypatch.setattr(Changes, "flush", counted)
    return sizes
