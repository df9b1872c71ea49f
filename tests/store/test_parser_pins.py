"""What the parsers yield for every real sample and every test input, pinned byte for byte.

An import reads a file as events (``store.importer._events``: the format, each record's document,
what was skipped, or the error). For each input, ``parser_pins.json`` holds a digest of each event's
orjson bytes, as the parsers gave them before they were made faster (issue 18): a change meant only
to make parsing cheaper must leave every one of them as it is. Rewrite the pins only for a change
that means to change what is imported, and say so: ``python tests/store/test_parser_pins.py``.

Also here: the PubMed XML parser builds its documents directly, not through ``Article.to_doc``, so
each of them must be exactly what the schema (``store.model``) writes for the same article.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from store.errors import ParseError
from store.formats import PARSERS, detect_any
from store.formats.pubmed_xml import PubmedXmlParser
from store.importer import SNIFF_BYTES, _events, _events_from_child
from store.model import Article
from tests.conftest import DATA, ROOT, SHARED_DATA, shared

PINS = Path(__file__).resolve().parent.parent / "data" / "parser_pins.json"
SHARED_FOLDERS = ("pubmed_xml", "medline_citationset_xml", "medline")
OUR_FOLDERS = ("pubmed_xml", "medline", "references", "pages")


def inputs() -> dict[str, Path]:
    """Every input pinned, by its key in the pins: ``shared/FOLDER/NAME`` or a path in this repo."""
    found = {
        f"shared/{folder}/{p.name}": p
        for folder in SHARED_FOLDERS
        if (SHARED_DATA / folder).is_dir()
        for p in sorted((SHARED_DATA / folder).iterdir())
    }
    for folder in OUR_FOLDERS:
        found.update({str(p.relative_to(ROOT)): p for p in sorted((DATA / folder).iterdir())})
    return found


def events(path: Path) -> Iterator[tuple[str, object]]:
    """Reading ``path`` as an import does, or for a reference manager's file as ``pmbrowse snowball``
    does (``store.snowball.intake``: its parser's articles)."""
    parser = detect_any(path.read_bytes()[:SNIFF_BYTES])
    if parser is None or parser in PARSERS:
        yield from _events(str(path), None)
        return
    reader = parser()
    yield ("format", parser.name)
    yield from (("doc", a.to_doc()) for a in reader.parse(io.BytesIO(path.read_bytes()), str(path)))
    yield ("skipped", reader.skipped.counts)


def digests(key: str, path: Path) -> list[str]:
    """A digest of each event of reading ``path``; an error is its message."""
    found: list[str] = []
    try:
        for event in events(path):
            found.append(hashlib.sha256(orjson.dumps(event, option=orjson.OPT_NON_STR_KEYS)).hexdigest()[:20])
    except (ParseError, OSError) as exc:
        found.append("error: " + str(exc).replace(str(path), key))
    return found


def pinned() -> dict[str, list[str]]:
    if not PINS.exists():  # (while they are written; test_every_input_is_pinned fails meanwhile)
        return {}
    found: dict[str, list[str]] = json.loads(PINS.read_text(encoding="utf-8"))
    return found


@pytest.mark.parametrize("key", sorted(pinned()))
def test_the_parsers_yield_what_they_yielded(key: str) -> None:
    path = shared(key.split("/")[1]) / key.split("/", 2)[2] if key.startswith("shared/") else ROOT / key
    got, want = digests(key, path), pinned()[key]
    first = next(
        (i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), min(len(got), len(want))
    )
    assert got == want, f"{key}: event {first} differs ({len(got)} events, {len(want)} pinned)"


def test_every_input_is_pinned() -> None:
    """A sample added to the folders is pinned too (or this names it)."""
    assert sorted(set(inputs()) - set(pinned())) == []


def pubmed_xml_inputs() -> list[Path]:
    ours = [DATA / "pubmed_xml" / name for name in ("variants.xml", "baseline_style.xml")]
    return ours + [
        p for folder in ("pubmed_xml", "medline_citationset_xml") for p in sorted(shared(folder).iterdir())
    ]


def test_each_pubmed_xml_document_is_the_one_the_schema_writes() -> None:
    documents = 0
    for path in pubmed_xml_inputs():
        for event in _events(str(path), None):
            if event[0] == "doc":
                doc = event[1]
                schema_doc = Article.from_doc(doc).to_doc()
                assert orjson.dumps(schema_doc) == orjson.dumps(doc), (path, doc.get("pmid"))
                documents += 1
    assert documents > 600


def test_parse_gives_the_articles_of_the_documents() -> None:
    """``parse`` (for the online client and the tests) and ``parse_docs`` (for imports) agree."""
    data = (DATA / "pubmed_xml" / "variants.xml").read_bytes()
    articles = list(PubmedXmlParser().parse(io.BytesIO(data), "variants.xml"))
    docs = list(PubmedXmlParser().parse_docs(io.BytesIO(data), "variants.xml"))
    assert [a.to_doc() for a in articles] == docs and len(docs) == 2
    assert any(a.references for a in articles)


@pytest.mark.parametrize(
    "name",
    ["pubmed_xml/variants.xml", "pubmed_xml/truncated.xml", "medline/variants.txt", "pages/minimal.txt"],
)
def test_the_child_process_sends_what_the_parser_yields(name: str) -> None:
    """A large file is read in a child process that sends its events in batches (``_send``): the
    events the importer gets from it are the parser's own, error included, to the byte."""

    def read(events: Iterator[tuple[str, object]]) -> list[bytes]:
        try:
            return [orjson.dumps(event) for event in events]
        except ParseError as exc:
            return [str(exc).encode()]

    path = str(DATA / name)
    assert read(_events_from_child(path, None)) == read(_events(path, None))


def write_pins() -> None:
    """Rewrite the pins from what the parsers yield now (see the module docstring)."""
    table = {key: digests(key, path) for key, path in inputs().items()}
    PINS.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(table)} inputs pinned in {PINS}")


if __name__ == "__main__":
    write_pins()
