"""Citation metrics of an article as the services that count them report them: NIH iCite and Europe PMC.

They are kept on the article's document, under ``metrics``, one record per source, each with the time
it was fetched (UTC, ISO 8601), so a reader knows whose number it is and how old:

    "metrics": {
      "icite": {"fetched": "2026-12-03T10:15:02Z", "citation_count": 17,
                "relative_citation_ratio": 2.18475199552701, "nih_percentile": 77.1, "apt": 0.75,
                "is_research_article": true, "is_clinical": true, "provisional": false,
                "cited_by_clin": ["32997821", "38615661", "35166373"],
                "citations_by_year": {"2020": 1, "2021": 1, "2022": 3}},
      "europepmc": {"fetched": "2026-12-03T10:15:09Z", "citation_count": 31}
    }

Field names are iCite's own (``relative_citation_ratio``, ``nih_percentile``...), except
``citations_by_year``: iCite's ``citedByPmidsByYear`` (one ``{PMID: year}`` per citing article) kept as a
count per year, which is what the year chart needs; the citing PMIDs themselves are links, stored as
links when a fetch or ``snowball --online`` asks for them (a famous article has tens of thousands, too
many to copy into one document). A value the service did not state (iCite has no RCR for an article
nobody cites yet) is left out, never stored as null. Europe PMC states only ``citation_count``: its
``citedByCount`` of a row, or the ``hitCount`` of an article's citation list.

Two records of one source are merged by ``store.merge.merge_metrics``: the newer fetch wins whole,
unless it states the very same values; then the held record stays, ``fetched`` included, so that
fetching again what has not changed changes nothing (``fetched`` is when these values were first
seen).

This module is the domain's: it knows nothing of HTTP (``store.online`` fetches, this describes).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

Doc = dict[str, Any]

ICITE, EUROPEPMC = "icite", "europepmc"
SOURCES = (ICITE, EUROPEPMC)
SOURCE_NAMES = {ICITE: "iCite", EUROPEPMC: "Europe PMC"}

FETCHED = "fetched"
COUNT, RCR, PERCENTILE, APT = "citation_count", "relative_citation_ratio", "nih_percentile", "apt"
RESEARCH, CLINICAL, PROVISIONAL = "is_research_article", "is_clinical", "provisional"
CITED_BY_CLIN, BY_YEAR = "cited_by_clin", "citations_by_year"

# What each field holds: a count, a number, a flag, a list of PMIDs, or counts per year.
_KINDS = {
    COUNT: "count",
    RCR: "number",
    PERCENTILE: "number",
    APT: "number",
    RESEARCH: "flag",
    CLINICAL: "flag",
    PROVISIONAL: "flag",
    CITED_BY_CLIN: "pmids",
    BY_YEAR: "years",
}
FIELDS = tuple(_KINDS)
# The fields each source may state.
SOURCE_FIELDS = {ICITE: FIELDS, EUROPEPMC: (COUNT,)}
MAX_COUNT = 1 << 40


def fetched_now() -> str:
    """The time stamp a record fetched now carries: UTC to the second, ``2026-12-03T10:15:02Z``."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def record(fields: Mapping[str, Any], fetched: str) -> Doc:
    """A source's metrics record: the stated ``fields`` (None values left out) and when they were fetched."""
    doc: Doc = {FETCHED: fetched}
    for key in FIELDS:
        value = fields.get(key)
        if value is not None:
            doc[key] = value
    return doc


# Checking a stored record -------------------------------------------------------------------------


def _valid(kind: str, value: object) -> bool:
    if kind == "count":
        return type(value) is int and 0 <= value <= MAX_COUNT
    if kind == "number":
        return type(value) in (int, float) and math.isfinite(value)  # type: ignore[arg-type]
    if kind == "flag":
        return type(value) is bool
    if kind == "pmids":
        return type(value) is list and all(type(p) is str and p.isascii() and p.isdigit() for p in value)
    # years: {"2020": 3, ...}
    return (
        type(value) is dict
        and all(type(y) is str and len(y) == 4 and y.isascii() and y.isdigit() for y in value)
        and all(type(n) is int and 0 <= n <= MAX_COUNT for n in value.values())
    )


def check_metrics(value: object) -> str:
    """What is wrong with a document's ``metrics``, or "" if nothing is (``store.schema`` asks)."""
    if type(value) is not dict:
        return "'metrics' is not an object of records by source"
    for source, found in value.items():
        if source not in SOURCES:
            return f"'metrics' has a record of an unknown source {source!r}"
        if type(found) is not dict or type(found.get(FETCHED)) is not str:
            return f"the {source} metrics record has no time it was fetched"
        for key, item in found.items():
            if key == FETCHED:
                continue
            if key not in SOURCE_FIELDS[source] or not _valid(_KINDS[key], item):
                return f"the {source} metrics record's {key!r} is not what that field holds"
    return ""


# Reading --------------------------------------------------------------------------------------


def _records(doc: Mapping[str, Any]) -> Mapping[str, Doc]:
    metrics = doc.get("metrics")
    return metrics if isinstance(metrics, dict) else {}


def icite(doc: Mapping[str, Any]) -> Doc:
    """The iCite record of an article document ({} when iCite was never asked)."""
    found = _records(doc).get(ICITE)
    return found if isinstance(found, dict) else {}


def rcr(doc: Mapping[str, Any]) -> float | None:
    value = icite(doc).get(RCR)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def flag(doc: Mapping[str, Any], key: str) -> bool | None:
    value = icite(doc).get(key)
    return value if isinstance(value, bool) else None


def reported_count(doc: Mapping[str, Any]) -> tuple[int, str] | None:
    """The citation count a service reports, and which: iCite's, else Europe PMC's (None: neither)."""
    records = _records(doc)
    for source in SOURCES:
        found = records.get(source)
        count = found.get(COUNT) if isinstance(found, dict) else None
        if type(count) is int:
            return count, source
    return None


def reported_counts(doc: Mapping[str, Any]) -> list[int]:
    """Every citation count a service reports for the article (none, one or two)."""
    records = _records(doc)
    found = [record.get(COUNT) for record in records.values() if isinstance(record, dict)]
    return [count for count in found if type(count) is int]


def citations_by_year(doc: Mapping[str, Any]) -> dict[int, int]:
    """iCite's citing articles per year ({} when not known)."""
    years = icite(doc).get(BY_YEAR)
    if not isinstance(years, dict):
        return {}
    return {int(year): n for year, n in sorted(years.items()) if type(n) is int}


def describe(metrics: Mapping[str, Any]) -> list[str]:
    """One line per source, for a terminal: ``iCite (2026-12-03): cited by 17 · RCR 2.18 · ...``."""
    lines: list[str] = []
    for source in SOURCES:
        found = metrics.get(source)
        if not isinstance(found, dict):
            continue
        parts: list[str] = []
        if COUNT in found:
            parts.append(f"cited by {found[COUNT]:,}")
        if RCR in found:
            parts.append(f"RCR {found[RCR]:.2f}" + (" (provisional)" if found.get(PROVISIONAL) else ""))
        if PERCENTILE in found:
            parts.append(f"NIH percentile {found[PERCENTILE]:g}")
        if APT in found:
            parts.append(f"APT {found[APT]:g}")
        if RESEARCH in found:
            parts.append("research article" if found[RESEARCH] else "not a research article")
        if found.get(CLINICAL):
            parts.append("clinical article")
        if found.get(CITED_BY_CLIN):
            n = len(found[CITED_BY_CLIN])
            parts.append(f"cited by {n} clinical article{'s' if n != 1 else ''}")
        when = str(found.get(FETCHED, ""))[:10]
        lines.append(f"{SOURCE_NAMES[source]} ({when}): " + (" · ".join(parts) or "no metrics stated"))
    return lines
