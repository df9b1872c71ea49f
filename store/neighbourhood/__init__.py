"""An article's neighbourhood in the citation graph, computed from the library on demand.

- ``nodes``: ``GraphReader``, which reads the few documents a computation needs (memoised until the
  library changes) as small ``Node`` records;
- ``related``: co-citation and bibliographic coupling, ranked by Salton's cosine;
- ``years``: citing articles, references and publications per year;
- ``layout``: the two-hop citation map as rows and columns, and its text and DOT renderings.

Nothing here imports Textual or Rich: the app and the command line draw what these compute.
"""

from __future__ import annotations

from store.neighbourhood.layout import MapLayout, MapNode, layout_map
from store.neighbourhood.nodes import GraphReader, Node
from store.neighbourhood.related import MODES, Related, related
from store.neighbourhood.years import CitationYears, YearCounts, citation_years, publications_per_year

__all__ = [
    "MODES",
    "CitationYears",
    "GraphReader",
    "MapLayout",
    "MapNode",
    "Node",
    "Related",
    "YearCounts",
    "citation_years",
    "layout_map",
    "publications_per_year",
    "related",
]
