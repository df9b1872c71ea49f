"""Text for the terminal: untrusted text made safe, and the short lines that describe an article.

Rich ``Text`` never parses markup, so ``[bold]`` or ``[/`` shows as typed; but it passes most
control characters through, so an ANSI escape in a title could restyle or move the cursor. Control
characters are shown as their Unicode "control pictures" instead (ESC becomes ``␛``).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from rich.style import StyleType
from rich.text import Text

from store import metrics as m
from store.errors import os_reason

if TYPE_CHECKING:
    from collections.abc import Mapping

    from store.model import Article


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What a reference list's citation text has and a title has not: a year with volume or pages after it
# (``2017 May;44(5):1718-33``, ``2016;72:1051``), or a list of authors with initials at its start.
_CITATION_TAIL = re.compile(r"\b(1[89]|20)\d\d\b[^;:]{0,12}[;:]\s*\d|\b\d+\s*\(\d+\)\s*:\s*\d")
_AUTHOR_LIST = re.compile(r"^(\S+ [A-Z]{1,3}\.?,\s*){2}|^\S+ [A-Z]{1,3}\.?,? et al")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "␡" if code == 0x7F else "�"


def printable(text: str) -> str:
    """``text`` with control characters (other than newline and tab) made visible."""
    return _CONTROL.sub(_picture, text)


def not_saved(what: str, exc: Exception) -> str:
    """What the app says when a mark or a decision could not be written (a full disk, a read-only
    folder): the reason and the file, not Python's "[Errno 28] ... : '...'", and that the marks are as
    they were (the marks file is written whole or not at all: ``store.atomicwrite``)."""
    why = os_reason(exc) if isinstance(exc, OSError) else str(exc)
    return printable(f"The {what} was not saved: {why}; the marks are as they were")


# DEL and the C1 controls (U+0080-U+009F) as JSON escapes. ``json.dumps`` escapes only C0 controls; the
# others it writes as they are, and a terminal that decodes UTF-8 before it reads control sequences
# (VTE, GNU screen) takes U+009B for CSI (ESC [), U+009D for OSC, and so on.
_JSON_CONTROLS = {code: f"\\u{code:04x}" for code in range(0x7F, 0xA0)}


def json_text(data: object) -> str:
    """``data`` as indented JSON for a terminal or a file: text as it is (not ASCII-escaped), every
    control character escaped, so the same data once parsed and nothing a terminal obeys."""
    # (A control character can only be inside a string literal, where a \u escape means it.)
    return json.dumps(data, ensure_ascii=False, indent=2).translate(_JSON_CONTROLS)


def literal(text: str, style: StyleType = "") -> Text:
    """A Rich ``Text`` that shows ``text`` exactly as it is, markup and escapes included."""
    return Text(printable(text), style=style)


def volume_issue_pages(article: Article) -> str:
    """``3(1):12``"""
    vip = article.volume
    if article.issue:
        vip += f"({article.issue})"
    if article.pages:
        vip += f":{article.pages}"
    return vip


def citation_line(article: Article) -> str:
    """``Biomark Res · 2019 Apr 18 · 3(1):12``"""
    vip = volume_issue_pages(article)
    when = article.date or (str(article.year) if article.year else "")
    return " · ".join(p for p in (article.journal or article.journal_title, when, vip) if p)


def id_line(pmid: str | None, pmcid: str | None, doi: str | None) -> str:
    """``PMID 30992990   PMCID PMC123   DOI 10.1/x``"""
    parts = [f"PMID {pmid}" if pmid else "", f"PMCID {pmcid}" if pmcid else "", f"DOI {doi}" if doi else ""]
    return "   ".join(p for p in parts if p)


def citation_text(article: Article) -> str:
    """A citation to paste: ``Li K, Gu X, et al. Title. Journal. 2025;20:2879-99. doi:... PMID: ...``"""
    names = [a.name for a in article.authors]
    authors = ", ".join(names[:3]) + (", et al" if len(names) > 3 else "")
    title = article.title + ("" if article.title.endswith(("?", "!", ".")) else ".")
    where = article.journal or article.journal_title
    when = str(article.year or "")
    vip = volume_issue_pages(article)
    source = f"{where}. {when}" + (f";{vip}" if vip else "") + "." if where else (f"{when}." if when else "")
    parts = [f"{authors}." if authors else "", title, source]
    if article.doi:
        parts.append(f"doi:{article.doi}.")
    if article.pmid:
        parts.append(f"PMID: {article.pmid}.")
    if article.pmcid:
        parts.append(f"{article.pmcid}.")
    return " ".join(p for p in parts if p)


def byline(first_author: str, more_authors: bool, journal: str, year: int | None) -> str:
    """``Li K et al. · Int J Nanomedicine · 2025``"""
    author = first_author + (" et al." if first_author and more_authors else "")
    return " · ".join(part for part in (author, journal, str(year or "")) if part)


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells at a word boundary where it can be, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > width // 2 else cut).rstrip(" ,.;:") + "…"


def describe(title: str, pmid: str | None, pmcid: str | None, doi: str | None) -> str:
    """How a message names an article: ``“Exosomes from mesenchymal…” (PMID 30992990)``."""
    name = f"“{shorten(title, 50)}”" if title else "An untitled article"
    ident = f"PMID {pmid}" if pmid else (pmcid or (f"DOI {doi}" if doi else ""))
    return f"{name} ({ident})" if ident else name


def describe_article(article: Article) -> str:
    return describe(article.title, article.pmid, article.pmcid, article.doi)


def reads_as_citation(title: str) -> bool:
    """Whether a stub's "title" is really a reference list's citation text (authors, title, journal,
    year, volume and pages run together), which a row shows as a citation, not as a title."""
    return bool(_CITATION_TAIL.search(title) or _AUTHOR_LIST.search(title))


def unique(values: list[str]) -> list[str]:
    """``values`` without repeats, in their first order."""
    return list(dict.fromkeys(v for v in values if v))


# Citation metrics ------------------------------------------------------------------------------------
# What each service reported (``store.metrics``), said with whose number it is and when it was fetched.
# The numbers are checked when the library is read; the fetch time is text and goes through
# ``printable`` like any other text from the file.


def _fetched(record: Mapping[str, object]) -> str:
    """The day a record was fetched: ``2026-12-03``."""
    return printable(str(record.get(m.FETCHED, "")))[:10]


def _rcr(record: Mapping[str, object]) -> str:
    value = record.get(m.RCR)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return ""
    return f"RCR {value:.2f}" + (" provisional" if record.get(m.PROVISIONAL) is True else "")


HEADER_WIDTH = 80


def metrics_header(article: Article, citing_in_library: int) -> Text:
    """The header's one line of citation numbers, whose they are and when they were fetched:
    ``RCR 2.18 · cited by 17 (iCite, 2026-12-03) · 5 known here``. The count is the one ``show --json``
    calls ``citation_count``: the record's own (an article page's "Cited by"), else iCite's, else Europe
    PMC's; the RCR is iCite's (named apart when the count is not). Without either:
    ``Cited by 5 known here``. It fits ``HEADER_WIDTH``: where it would not, the RCR's date and then the
    count's are left out (the Details under the abstract hold every metric with its date)."""
    records = article.metrics
    icite = m.icite({"metrics": records})
    # (the number, whose it is, the day it was fetched)
    parts: list[tuple[str, str, str]] = []
    count: tuple[str, str, str] | None = None
    if article.citation_count is not None:
        count = (f"cited by {article.citation_count:,}", "its source", "")
    else:
        for source in m.SOURCES:
            record = records.get(source)
            if isinstance(record, dict) and type(record.get(m.COUNT)) is int:
                count = (f"cited by {record[m.COUNT]:,}", m.SOURCE_NAMES[source], _fetched(record))
                break
    if rcr := _rcr(icite):
        from_icite = count is not None and count[1] == m.SOURCE_NAMES[m.ICITE]
        parts.append((rcr, "", "") if from_icite else (rcr, m.SOURCE_NAMES[m.ICITE], _fetched(icite)))
    if count is not None:
        parts += [count, (f"{citing_in_library:,} known here", "", "")]
    else:
        parts.append((f"cited by {citing_in_library:,} known here", "", ""))
    line = _header_line(parts)
    for n in range(len(parts)):  # too long: the dates go, the RCR's first
        if line.cell_len <= HEADER_WIDTH:
            break
        parts[n] = (parts[n][0], parts[n][1], "")
        line = _header_line(parts)
    return line


def _header_line(parts: list[tuple[str, str, str]]) -> Text:
    line = Text()
    for n, (number, whose, when) in enumerate(parts):
        if n:
            line.append(" · ")
        line.append(number[:1].upper() + number[1:] if n == 0 else number, style="bold")
        if whose:
            # (The space goes outside the dim part: Textual drops a space that starts a dim span.)
            line.append(" ")
            line.append(f"({whose}, {when})" if when else f"({whose})", style="dim")
    return line


def metric_lines(records: Mapping[str, object]) -> list[str]:
    """Every metric, a line per source, with the day it was fetched: ``iCite, fetched 2026-12-03: cited
    by 17 · RCR 2.18 · NIH percentile 77.1 · APT 0.75 · research article · clinical article · cited by
    3 clinical articles · citing articles per year: 2020 1, 2021 1, 2022 3`` (the Details)."""
    lines: list[str] = []
    for source in m.SOURCES:
        record = records.get(source)
        if not isinstance(record, dict):
            continue
        said: list[str] = []
        if type(record.get(m.COUNT)) is int:
            said.append(f"cited by {record[m.COUNT]:,}")
        if rcr := _rcr(record):
            said.append(rcr.replace(" provisional", " (provisional: the last two years, still moving)"))
        for key, name in ((m.PERCENTILE, "NIH percentile"), (m.APT, "APT")):
            value = record.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                said.append(f"{name} {value:g}")
        for key, yes, no in (
            (m.RESEARCH, "research article", "not a research article"),
            (m.CLINICAL, "clinical article", "not a clinical article"),
        ):
            if isinstance(record.get(key), bool):
                said.append(yes if record[key] else no)
        clinical = record.get(m.CITED_BY_CLIN)
        if isinstance(clinical, list):
            said.append(f"cited by {len(clinical)} clinical article{'s' if len(clinical) != 1 else ''}")
        years = m.citations_by_year({"metrics": {m.ICITE: record}}) if source == m.ICITE else {}
        if years:
            said.append("citing articles per year: " + ", ".join(f"{y} {n}" for y, n in years.items()))
        lines.append(
            f"{m.SOURCE_NAMES[source]}, fetched {_fetched(record)}: " + (" · ".join(said) or "no numbers")
        )
    return lines


def details(article: Article) -> list[tuple[str, list[str]]]:
    """What the record holds beyond its citation and abstract, as (heading, values), empty ones left
    out: citation metrics, MeSH headings, keywords, publication types, languages, grants, affiliations."""
    affiliations = unique([*article.affiliations, *(a for au in article.authors for a in au.affiliations)])
    fields = [
        ("Citation metrics", metric_lines(article.metrics)),
        ("MeSH", unique(article.mesh)),
        ("Keywords", unique(article.keywords)),
        ("Publication types", unique(article.publication_types)),
        ("Language", unique(article.languages)),
        ("Grants", unique(article.grants)),
        ("Affiliations", affiliations),
    ]
    return [(name, values) for name, values in fields if values]


def details_text(article: Article, mesh_hint: str = "") -> Text:
    """The Details section: ``Details``, then a line a field of ``details`` (affiliations a line each);
    empty when the record has none. ``mesh_hint`` follows the MeSH headings (the app's key for them)."""
    text = Text()
    fields = details(article)
    if not fields:
        return text
    text.append("Details", style="bold underline")
    for name, values in fields:
        if name in ("Affiliations", "Citation metrics"):  # (a line each)
            text.append(f"\n{name}:", style="bold")
            for value in values:
                text.append("\n  · " + printable(value))
            continue
        text.append(f"\n{name}: ", style="bold")
        text.append(printable(" · ".join(values)))
        if name == "MeSH" and mesh_hint:
            text.append(f"  ({mesh_hint})", style="dim")
    return text


def mesh_query(heading: str) -> str:
    """The search for one MeSH heading: its descriptor (without the ``/qualifier``), quoted."""
    descriptor = heading.split("/", 1)[0].lstrip("*").replace('"', " ").strip()
    return f'"{descriptor}"[mh]'


def shorten_left(name: str, width: int) -> str:
    """A path cut from the left to ``width`` cells, at a folder boundary where it can be:
    ``…/medline16n0902.xml.gz`` (the file's own name is what tells files apart)."""
    if len(name) <= width:
        return name
    tail = name[len(name) - (width - 1) :]
    slash = tail.find("/")
    if 0 <= slash < len(tail) // 3:  # (a folder boundary, unless it would drop most of what fits)
        tail = tail[slash:]
    return "…" + tail
