"""How exports carry an article's citation metrics (``store.metrics``): CSV columns and a CSL-JSON key.

**CSV** (``METRIC_COLUMNS``, after every other column of either table): one column a number, empty where
the service stated none (an article iCite was never asked about has every iCite column empty):

- ``rcr``: iCite's Relative Citation Ratio; ``rcr_provisional``: ``true`` when iCite calls it provisional
  (an article of the last two years), ``false`` when not;
- ``nih_percentile``, ``apt`` (approximate potential to translate): iCite's;
- ``citation_count_icite``: iCite's citation count;
- ``is_research_article``, ``is_clinical``: iCite's flags, ``true`` or ``false``;
- ``cited_by_clinical``: how many clinical articles cite it (iCite's ``cited_by_clin``, counted);
- ``icite_fetched``: when iCite's numbers were fetched (UTC, ``2026-12-03T10:15:02Z``);
- ``citation_count_europepmc``, ``europepmc_fetched``: Europe PMC's count and when it was fetched.

The table's own ``citation_count`` stays the record's (an article page's "Cited by"): each number keeps
whose it is. iCite's citing articles per year are left out of the CSV (a column a year would not fit).

**CSL-JSON** has no field for citation metrics. CSL 1.0.2 keeps such data under ``custom`` ("additional
information that does not have a designated CSL JSON field", as key-value pairs), so the metrics go
there, under ``pmbrowse-citation-metrics``, exactly as the library keeps them: one record per source
with the time it was fetched (``{"icite": {"fetched": ..., "relative_citation_ratio": 2.18, ...},
"europepmc": {...}}``; iCite's citing articles per year as ``citations_by_year``). Processors that do not
know the key leave it alone.
"""

from __future__ import annotations

import copy
from typing import Any

from store import metrics as m
from store.model import Article

CSL_KEY = "pmbrowse-citation-metrics"

# (column, source, field of the source's record) in the order written
_CELLS = (
    ("rcr", m.ICITE, m.RCR),
    ("rcr_provisional", m.ICITE, m.PROVISIONAL),
    ("nih_percentile", m.ICITE, m.PERCENTILE),
    ("apt", m.ICITE, m.APT),
    ("citation_count_icite", m.ICITE, m.COUNT),
    ("is_research_article", m.ICITE, m.RESEARCH),
    ("is_clinical", m.ICITE, m.CLINICAL),
    ("cited_by_clinical", m.ICITE, m.CITED_BY_CLIN),
    ("icite_fetched", m.ICITE, m.FETCHED),
    ("citation_count_europepmc", m.EUROPEPMC, m.COUNT),
    ("europepmc_fetched", m.EUROPEPMC, m.FETCHED),
)
METRIC_COLUMNS = tuple(column for column, _source, _field in _CELLS)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # (cited_by_clin: the citing clinical articles, counted)
        return str(len(value))
    return str(value)  # (an int, a float in full, or the time fetched)


def metric_cells(article: Article) -> list[str]:
    """The ``METRIC_COLUMNS`` cells of one article."""
    records = article.metrics
    cells: list[str] = []
    for _column, source, field in _CELLS:
        record = records.get(source)
        cells.append(_cell(record.get(field) if isinstance(record, dict) else None))
    return cells


def csl_custom(article: Article) -> dict[str, Any]:
    """The CSL-JSON ``custom`` entries of one article: its metrics under ``CSL_KEY`` ({} without any)."""
    if not article.metrics:
        return {}
    return {CSL_KEY: copy.deepcopy(article.metrics)}
