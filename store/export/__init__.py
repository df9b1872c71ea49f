"""Export formats. Each module holds one ``Exporter``; ``EXPORTERS`` finds one by name.

Adding a format is adding a module here and its class to ``_FORMATS``. The walk through the citation
graph (a trail of visited articles, not a list of records) has its own writers in ``graph.py``.
"""

from __future__ import annotations

from store.export.base import Exporter
from store.export.bibtex import BibtexExporter
from store.export.csljson import CslJsonExporter
from store.export.medline import MedlineExporter
from store.export.ris import RisExporter
from store.export.table import CsvExporter

_FORMATS: tuple[type[Exporter], ...] = (
    BibtexExporter,
    RisExporter,
    MedlineExporter,
    CslJsonExporter,
    CsvExporter,
)
EXPORTERS: dict[str, type[Exporter]] = {cls.name: cls for cls in _FORMATS}


__all__ = ["EXPORTERS", "Exporter"]
