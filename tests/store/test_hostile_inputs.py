"""Fuzzing the parsers with a fixed seed: real sample files, mutated, must be read or refused in one line.

The promise (README, Formats): an input either imports, or is rejected with one line naming the file
and the line or record, never a traceback. At the parser level that is: ``parse`` yields articles a
library can store (their text encodes as UTF-8, their numbers fit, their identifiers are ASCII), or
raises ``ParseError`` whose message is a single line. Any other exception is a failure.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import orjson
import pytest

from store.errors import ParseError
from store.export.csljson import CslJsonExporter
from store.formats import detect
from store.model import Article
from tests.conftest import SEED, SHARED_DATA
from tests.store.page_render import real_records, render_page

SEED_NUMBER = 20261130
MUTATIONS_PER_FILE = 150
# Bytes that have broken parsers before: other scripts' digits, a lone surrogate's escape, a huge
# number, control characters, markup, a stray header.
NASTY = [
    "٣٠٩٩٢٩٩٠".encode(),
    b"\\ud800",
    b"9" * 30,
    b"\x00",
    b"\r",
    b"\xff\xfe",
    b"[/bold]",
    b"; discussion 1791",
    b"<!ENTITY x 'y'>",
    b"PMID- ",
    b"References\n",
    "é".encode(),
]


def _samples() -> list[tuple[str, bytes]]:
    found = [("seed page", SEED.read_bytes())]
    article = _article_from(SEED.read_bytes())
    found.append(("csl-json", CslJsonExporter().dumps([article]).encode()))
    if SHARED_DATA.is_dir():
        for name in ("medline/biopython__pubmed_result2.txt", "pubmed_xml/metapub__34843274.xml"):
            found.append((name, (SHARED_DATA / name).read_bytes()))
        # A page of real records (long pagination forms among them), and them as CSL-JSON.
        records = [r for r in real_records(SHARED_DATA) if r.journal == "J Cataract Refract Surg"][:8]
        found.append(("rendered page", render_page(records[0], records[1:4], records[4:]).encode()))
        found.append(("real csl-json", CslJsonExporter().dumps(records).encode()))
    return found


def _article_from(data: bytes) -> Article:
    parser = detect(data[:4096])
    assert parser is not None
    return next(iter(parser().parse(io.BytesIO(data), "sample")))


def _mutations(rng: random.Random) -> list[Callable[[bytes], bytes]]:
    def cut(data: bytes) -> bytes:
        return data[: rng.randrange(len(data))]

    def delete(data: bytes) -> bytes:
        i = rng.randrange(len(data))
        return data[:i] + data[i + rng.randrange(1, 40) :]

    def insert(data: bytes) -> bytes:
        i = rng.randrange(len(data))
        return data[:i] + rng.choice(NASTY) + data[i:]

    def duplicate_line(data: bytes) -> bytes:
        lines = data.split(b"\n")
        i = rng.randrange(len(lines))
        return b"\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])

    def swap_lines(data: bytes) -> bytes:
        lines = data.split(b"\n")
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines)

    def other_digits(data: bytes) -> bytes:
        text = data.decode("utf-8", errors="replace")
        return "".join(
            chr(0x0660 + int(c)) if c.isdigit() and rng.random() < 0.2 else c for c in text
        ).encode()

    return [cut, delete, insert, duplicate_line, swap_lines, other_digits]


def _storable(article: Article) -> None:
    orjson.dumps(article.to_doc())  # no lone surrogates, no integers over 64 bits
    for value in (article.pmid, article.pmcid, str(article.year or "")):
        assert value is None or value.isascii(), value


@pytest.mark.parametrize(("name", "data"), _samples(), ids=lambda v: v if isinstance(v, str) else "")
def test_mutated_files_are_read_or_refused_in_one_line(name: str, data: bytes) -> None:
    rng = random.Random(f"{SEED_NUMBER}-{name}")
    mutations = _mutations(rng)
    outcomes = {"read": 0, "refused": 0, "not recognised": 0}
    for _ in range(MUTATIONS_PER_FILE):
        mutated = data
        for _step in range(rng.randrange(1, 4)):
            mutated = rng.choice(mutations)(mutated) or b" "
        parser = detect(mutated[:8192])
        if parser is None:
            outcomes["not recognised"] += 1  # the importer refuses it in one line as no known format
            continue
        try:
            for article in parser().parse(io.BytesIO(mutated), "mutated.txt"):
                _storable(article)
            outcomes["read"] += 1
        except ParseError as exc:
            assert "\n" not in str(exc) and str(exc).startswith("mutated.txt"), repr(str(exc))
            outcomes["refused"] += 1
    assert sum(outcomes.values()) == MUTATIONS_PER_FILE


def test_pubmed_xml_dates_in_other_digits_do_not_crash() -> None:
    from store.formats.pubmed_xml import PubmedXmlParser

    xml = (
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        "<Journal><JournalIssue><PubDate><Year>2019</Year><Month>²</Month><Day>٣</Day></PubDate>"
        "</JournalIssue></Journal><ArticleTitle>T</ArticleTitle></Article></MedlineCitation>"
        "</PubmedArticle></PubmedArticleSet>"
    )
    (article,) = PubmedXmlParser().parse(io.BytesIO(xml.encode()), "dates.xml")
    assert article.year == 2019 and article.date == "2019 ² ٣"


def test_online_answers_in_other_digits_do_not_crash() -> None:
    import httpx

    from store.online.europepmc import _year
    from store.online.http import _retry_after

    assert _year("²⁰¹⁹") is None and _year("٢٠١٩") is None and _year("2019") == 2019
    # Header bytes are read as Latin-1, where 0xB2 is "²", a digit to str.isdigit.
    assert _retry_after(httpx.Response(429, headers=[(b"Retry-After", b"\xb2")])) is None
    assert _retry_after(httpx.Response(429, headers={"Retry-After": "3"})) == 3.0
