"""The flow as the PRISMA2020 R package's data template (``PRISMA.csv``), for its ``PRISMA_data`` /
``PRISMA_flowdiagram`` functions and its Shiny app (estech.shinyapps.io/prisma_flowdiagram).

The template is a CSV with the columns ``data,node,box,description,boxtext,tooltips,url,n``, one row
per field of the diagram; the package reads each field's ``n`` by its ``data`` name and takes the other
columns for the boxes' texts, tooltips and links. The rows below are the template's own, in its order,
with pmbrowse's numbers in ``n`` (``store.snowball.flow``):

- ``database_results``: every entry of the database searches; ``database_specific_results``:
  ``Name, n; Name, n`` per search; ``duplicates``; ``records_screened``, ``records_excluded``;
  ``dbr_sought_reports``, ``dbr_notretrieved_reports``, ``dbr_assessed``, ``dbr_excluded`` (reasons as
  ``Reason, n; Reason, n``);
- ``citations_results``: citation searching's records; ``other_sought_reports``,
  ``other_notretrieved_reports``, ``other_assessed``, ``other_excluded``;
- ``new_studies``, ``total_studies`` (and reports, the same: one report a study); registers, websites,
  organisations, automation tools, other removals and previous studies are 0 (pmbrowse has none).

A reason holding the template's separators (``,`` or ``;``) would be split by the package: those
characters become `` /`` in the cell. Title rows keep the template's ``0``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from store.snowball.flow import Flow
from store.snowball.screening import one_line

COLUMNS = ("data", "node", "box", "description", "boxtext", "tooltips", "url", "n")

# The template's rows without their n: (data, node, box, description, boxtext, tooltips, url).
TEMPLATE: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("NA", "node4", "prevstud", "Grey title box; Previous studies", "Previous studies",
     "Grey title box; Previous studies", "prevstud.html"),
    ("previous_studies", "node5", "box1", "Studies included in previous version of review",
     "Studies included in previous version of review", "Studies included in previous version of review",
     "previous_studies.html"),
    ("previous_reports", "NA", "box1", "Reports of studies included in previous version of review",
     "Reports of studies included in previous version of review", "NA", "previous_reports.html"),
    ("NA", "node6", "newstud", "Yellow title box; Identification of new studies via databases and registers",
     "Identification of new studies via databases and registers",
     "Yellow title box; Identification of new studies via databases and registers", "newstud.html"),
    ("database_results", "node7", "box2", "Records identified from: Databases", "Databases",
     "Records identified from: Databases and Registers", "database_results.html"),
    ("database_specific_results", "NA", "box2", "Records identified from: specific databases",
     "Specific Databases", "NA", "database_results.html"),
    ("register_results", "NA", "box2", "Records identified from: Registers", "Registers", "NA", "NA"),
    ("register_specific_results", "NA", "box2", "Records identified from: specific registers",
     "Specific Registers", "NA", "database_results.html"),
    ("NA", "node16", "othstud", "Grey title box; Identification of new studies via other methods",
     "Identification of new studies via other methods",
     "Grey title box; Identification of new studies via other methods", "othstud.html"),
    ("website_results", "node17", "box11", "Records identified from: Websites", "Websites",
     "Records identified from: Websites, Organisations and Citation Searching", "website_results.html"),
    ("organisation_results", "", "box11", "Records identified from: Organisations", "Organisations",
     "NA", "NA"),
    ("citations_results", "NA", "box11", "Records identified from: Citation searching", "Citation searching",
     "NA", "NA"),
    ("duplicates", "node8", "box3", "Duplicate records", "Duplicate records", "Duplicate records",
     "duplicates.html"),
    ("excluded_automatic", "NA", "box3", "Records marked as ineligible by automation tools",
     "Records marked as ineligible by automation tools", "NA", "NA"),
    ("excluded_other", "NA", "box3", "Records removed for other reasons", "Records removed for other reasons",
     "NA", "NA"),
    ("records_screened", "node9", "box4", "Records screened (databases and registers)", "Records screened",
     "Records screened (databases and registers)", "records_screened.html"),
    ("records_excluded", "node10", "box5", "Records excluded (databases and registers)", "Records excluded",
     "Records excluded (databases and registers)", "records_excluded.html"),
    ("dbr_sought_reports", "node11", "box6", "Reports sought for retrieval (databases and registers)",
     "Reports sought for retrieval", "Reports sought for retrieval (databases and registers)",
     "dbr_sought_reports.html"),
    ("dbr_notretrieved_reports", "node12", "box7", "Reports not retrieved (databases and registers)",
     "Reports not retrieved", "Reports not retrieved (databases and registers)",
     "dbr_notretrieved_reports.html"),
    ("other_sought_reports", "node18", "box12", "Reports sought for retrieval (other)",
     "Reports sought for retrieval", "Reports sought for retrieval (other)", "other_sought_reports.html"),
    ("other_notretrieved_reports", "node19", "box13", "Reports not retrieved (other)",
     "Reports not retrieved", "Reports not retrieved (other)", "other_notretrieved_reports.html"),
    ("dbr_assessed", "node13", "box8", "Reports assessed for eligibility (databases and registers)",
     "Reports assessed for eligibility", "Reports assessed for eligibility (databases and registers)",
     "dbr_assessed.html"),
    ("dbr_excluded", "node14", "box9",
     "Reports excluded (databases and registers): [separate reasons and numbers using ; e.g. Reason1, xxx; "
     "Reason2, xxx; Reason3, xxx]",
     "Reports excluded", "Reports excluded (databases and registers)", "dbrexcludedrecords.html"),
    ("other_assessed", "node20", "box14", "Reports assessed for eligibility (other)",
     "Reports assessed for eligibility", "Reports assessed for eligibility (other)", "other_assessed.html"),
    ("other_excluded", "node21", "box15",
     "Reports excluded (other): [separate reasons and numbers using ; e.g. Reason1, xxx; Reason2, xxx; "
     "Reason3, xxx]",
     "Reports excluded", "Reports excluded (other)", "other_excluded.html"),
    ("new_studies", "node15", "box10", "New studies included in review", "New studies included in review",
     "New studies included in review", "new_studies.html"),
    ("new_reports", "NA", "box10", "Reports of new included studies", "Reports of new included studies",
     "NA", "NA"),
    ("total_studies", "node22", "box16", "Total studies included in review",
     "Total studies included in review", "Total studies included in review", "total_studies.html"),
    ("total_reports", "NA", "box16", "Reports of total included studies", "Reports of total included studies",
     "NA", "NA"),
    ("identification", "node1", "identification", "Blue identification box", "Identification",
     "Blue identification box", "identification.html"),
    ("screening", "node2", "screening", "Blue screening box", "Screening", "Blue screening box",
     "screening.html"),
    ("included", "node3", "included", "Blue included box", "Included", "Blue included box", "included.html"),
)  # fmt: skip


def _cell_name(text: str) -> str:
    """A name inside a ``Name, n; Name, n`` cell: the template's separators made harmless, and one line of
    printable text (a search name or reason stored before names were cleaned may hold an escape)."""
    return one_line(text.replace(";", " /").replace(",", " /"))


def pairs(items: Iterable[tuple[str, int]]) -> str:
    """``Name, n; Name, n``; ``None, 0`` when there are none (an empty cell would get the template's
    placeholders, ``Reason1, xxx``...)."""
    return "; ".join(f"{_cell_name(name)}, {n}" for name, n in items) or "None, 0"


def values(done: Flow) -> dict[str, str]:
    """Each field of the template that pmbrowse counts -> its ``n``."""
    db, other = done.databases, done.citations
    n = {
        "database_results": done.database_results,
        "duplicates": done.duplicates,
        "records_screened": db.screened,
        "records_excluded": db.excluded_total,
        "dbr_sought_reports": db.sought,
        "dbr_notretrieved_reports": db.not_retrieved,
        "dbr_assessed": db.assessed,
        "citations_results": done.citations_results,
        "other_sought_reports": other.sought,
        "other_notretrieved_reports": other.not_retrieved,
        "other_assessed": other.assessed,
        "new_studies": done.new_studies,
        "new_reports": done.new_studies,
        "total_studies": done.new_studies,
        "total_reports": done.new_studies,
    }
    cells = {name: str(count) for name, count in n.items()}
    cells["database_specific_results"] = pairs(done.searches)
    cells["dbr_excluded"] = pairs(sorted(db.reports_excluded.items()))
    cells["other_excluded"] = pairs(sorted(other.reports_excluded.items()))
    return cells


def to_csv(done: Flow) -> str:
    """The template filled in with ``done``'s numbers."""
    counted = values(done)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in TEMPLATE:
        writer.writerow((*row, counted.get(row[0], "0")))
    return buffer.getvalue()
