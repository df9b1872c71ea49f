"""Real records rendered as article pages, the way the seed page (store/demo/30992990.txt) is written.

The page parser's tests build pages from the shared sample files' MEDLINE records: one record is the
article, others are its citing articles and references, so every pagination, title and author shape
that real records hold goes through the parser.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Sequence
from pathlib import Path

from store.formats.medline import MedlineParser
from store.formats.pubmed_xml import PubmedXmlParser
from store.model import Article, Author, Link

# The page lists at most this many authors of a citing article or reference.
LINK_AUTHORS = 6


def real_records(folder: Path) -> list[Article]:
    """The records of the baseline file, the efetch samples and the MEDLINE text samples."""
    records: list[Article] = []
    for path in sorted((folder / "medline").glob("*.txt")):
        records.extend(MedlineParser().parse(io.BytesIO(path.read_bytes()), str(path)))
    paths = sorted((folder / "medline_citationset_xml").glob("*.xml.gz"))
    paths += sorted((folder / "pubmed_xml").glob("*.xml"))
    for path in paths:
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        records.extend(PubmedXmlParser().parse(io.BytesIO(data), str(path)))
    return records


def short_names(authors: Sequence[Author]) -> list[str]:
    """What a link row shows of the authors: personal names, short form, the first six."""
    return [a.name for a in authors if not a.collective][:LINK_AUTHORS]


def sentence(text: str) -> str:
    """A title as the page prints it: ending in a full stop unless it ends in one already (or ? !)."""
    return text if text.endswith((".", "?", "!")) else text + "."


def cite_tail(record: Article) -> str:
    """``Int J Nanomedicine. 2025; 20(3):2879-2899.``"""
    vip = record.volume
    if record.issue:
        vip += f"({record.issue})"
    if record.pages:
        vip += f":{record.pages}"
    tail = f"{record.journal}. {record.year}"
    return (f"{tail}; {vip}" if vip else tail) + "."


def ids_line(record: Article) -> str:
    """``PMID: 40078652 PMC: 11900796. DOI: 10.2147/IJN.S502192.`` (``PMID: 35000001.`` alone)."""
    rest = [
        f"{kind}: {value}." for kind, value in (("PMC", _pmc_number(record)), ("DOI", record.doi)) if value
    ]
    if not record.pmid:
        return " ".join(rest)
    return " ".join([f"PMID: {record.pmid}", *rest]) if rest else f"PMID: {record.pmid}."


def _pmc_number(record: Article) -> str:
    return (record.pmcid or "").removeprefix("PMC")


def citing_entry(record: Article) -> list[str]:
    lines = [
        sentence(record.title),
        "",
        " ".join(filter(None, [", ".join(short_names(record.authors)), cite_tail(record)])),
    ]
    if record.pmid or record.pmcid or record.doi:
        lines += ["", ids_line(record)]
    return [*lines, "", ""]


def reference_entry(number: int, record: Article) -> list[str]:
    names = ", ".join(short_names(record.authors))
    text = f"{names} . " if names else ""
    text += f"{sentence(record.title)} {cite_tail(record)}"
    for kind, value in (("PMID", record.pmid), ("PMC", _pmc_number(record)), ("DOI", record.doi)):
        if value:
            text += f" {kind}: {value}."
    return [f"{number}.", f"{text} View", ""]


def abstract_paragraphs(article: Article) -> list[str]:
    """Labelled sections run on in one paragraph (``BACKGROUND: ... METHODS: ...``); an unlabelled
    section is a paragraph of its own."""
    paragraphs: list[str] = []
    run_on = False
    for section in article.abstract:
        if section.label and run_on:
            paragraphs[-1] += f" {section.label.upper()}: {section.text}"
        elif section.label:
            paragraphs.append(f"{section.label.upper()}: {section.text}")
        else:
            paragraphs.append(section.text)
        run_on = bool(section.label)
    return paragraphs


def render_page(article: Article, citing: Sequence[Article], references: Sequence[Article]) -> str:
    lines = [f"» Articles » PMID: {article.pmid}", "", article.title, "", "Overview"]
    lines += [f"Journal {article.journal}"] if article.journal else []
    lines += [f"Date {article.date}"] if article.date else []
    lines += [f"PMID {article.pmid}"]
    lines += [f"PMC {article.pmcid}"] if article.pmcid else []
    lines += [f"DOI {article.doi}"] if article.doi else []
    lines += [f"Citations {len(citing)}", "Authors"]
    lines += [", ".join(a.name for a in article.authors) or "Soon will be listed here."]
    lines += ["Affiliations"]
    lines += [f"{i}. {text}" for i, text in enumerate(article.affiliations, 1)] or [
        "Soon will be listed here."
    ]
    lines += ["Abstract", ""]
    lines += [line for paragraph in abstract_paragraphs(article) for line in (paragraph, "")]
    if citing:
        lines += ["Citing Articles", ""]
        for record in citing:
            lines += citing_entry(record)
    if references:
        lines += ["References"]
        for number, record in enumerate(references, 1):
            lines += reference_entry(number, record)
    return "\n".join(lines) + "\n"


def as_link(record: Article) -> Link:
    """What a page can say of a record that it lists."""
    return Link(
        pmid=record.pmid,
        pmcid=record.pmcid,
        doi=record.doi,
        title=record.title,
        authors=short_names(record.authors),
        journal=record.journal,
        year=record.year,
        volume=record.volume,
        issue=record.issue,
        pages=record.pages,
        sources=["page"],
    )
