"""Writing an export: any format (records or the walk) for chosen articles, to a file or a stream."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from store.atomicwrite import create_file, replace_file
from store.export import EXPORTERS
from store.export.graph import Walk, write_dot, write_edge_list
from store.export.provenance import ProvenanceTable
from store.export.table import CsvExporter
from store.library import Library
from store.marks import Marks

# Formats of the walk itself: the trail and the citation links between its articles.
WALK_FORMATS = ("edges", "dot")
FORMATS = (*EXPORTERS, *WALK_FORMATS)


@dataclass(frozen=True)
class Rendered:
    text: str
    written: int  # articles in the export
    skipped: int  # articles the format cannot hold (MEDLINE needs a PMID)


def render(
    library: Library,
    doc_ids: Sequence[int],
    fmt: str,
    marks: Marks | None = None,
    provenance: ProvenanceTable | None = None,
    *,
    raw: bool = False,
) -> Rendered:
    """The export of ``doc_ids`` in ``fmt``; for edges and dot, ``doc_ids`` is the trail in order.
    ``provenance`` (citation chasing) goes into the formats that have a place for it; ``raw`` (CSV)
    writes cells as they are, without neutralising those a spreadsheet would run as formulas."""
    buffer = io.StringIO()
    skipped = 0
    if fmt in WALK_FORMATS:
        walk = Walk.from_trail(doc_ids, library)
        (write_edge_list if fmt == "edges" else write_dot)(walk, buffer)
    elif fmt in EXPORTERS:
        exporter = (
            CsvExporter(marks=marks, provenance=provenance, raw=True)
            if raw and fmt == CsvExporter.name
            else EXPORTERS[fmt](marks=marks, provenance=provenance)
        )
        exporter.write([library.article(i) for i in doc_ids], buffer)
        skipped = exporter.skipped
    else:
        raise ValueError(f"no export format {fmt!r} (there are: {', '.join(FORMATS)})")
    return Rendered(buffer.getvalue(), len(doc_ids) - skipped, skipped)


PREFIX = "pmbrowse"


def default_export_path(folder: Path, label: str, extension: str) -> Path:
    """Where an export of the selection ``label`` (``store.selection.selection_label``) goes by default:
    ``pmbrowse-<label>.<extension>`` in ``folder``, or, when that name is taken, the first of
    ``pmbrowse-<label>-2.<extension>``, ``-3``... that is free. Two selections never share a default
    name, and a default name never names a file that is there: writing it with ``write_new_file``
    cannot overwrite anything (another process taking the name meanwhile makes it fail, not overwrite)."""
    stem = f"{PREFIX}-{label}" if label else PREFIX
    candidate = folder / f"{stem}.{extension}"
    n = 2
    while candidate.exists() or candidate.is_symlink():
        candidate = folder / f"{stem}-{n}.{extension}"
        n += 1
    return candidate


def write_new_file(text: str, path: Path) -> None:
    """Write ``path`` only if nothing is there: ``FileExistsError`` otherwise, leaving it as it was; the
    new file appears whole or not at all (``store.atomicwrite.create_file``)."""
    create_file(path, text.encode("utf-8"))


def write_file(text: str, path: Path) -> None:
    """Replace ``path`` atomically: a failed export leaves the old file as it was
    (``store.atomicwrite.replace_file``). A symbolic link is written through to its target and stays a
    link; a FIFO or a character device (``/dev/stdout``) is written into as a stream; a folder (``/``,
    ``.``, an existing directory) is an ``IsADirectoryError`` naming it, like any other path that cannot
    be written."""
    replace_file(path, text.encode("utf-8"))
