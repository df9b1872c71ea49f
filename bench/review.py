"""``python -m bench.review``: a review's two measured commands, as whole processes, beside baselines
measured in the same run (the machines are shared: read the ratios).

- **Import of a reference manager's file**: a generated RIS file of 10,000 entries (EndNote's shape:
  authors, title, journal, year, volume, pages, DOI, PMID in ``AN``, an abstract, keywords), imported
  by ``pmbrowse import FILE --source NAME`` into an empty library: entries a second (target ≥ 2,000).
  Baseline: ``rispy`` reading the same file alone in a fresh process (what parsing RIS costs).
- **The report**: ``pmbrowse snowball report`` (txt, and ``--format json|csv|svg``) on that library
  once every one of its 10,000 records has been screened by two screeners at title/abstract, the
  included ones at full text, a few conflicts resolved: seconds (target ≤ 1 s). Baseline:
  ``pmbrowse stats`` on the same library, a whole command that only starts and opens it.

The decisions are written by ``Marks`` itself in one transaction (as ``pmbrowse snowball include`` of
many articles does), so the marks file is the one a review makes.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path
from typing import Any

from bench.proc import OUT, Run, median, pmbrowse, python

FOLDER = OUT / "review"
ENTRIES = 10_000
WORDS = (
    *("mesenchymal", "stem", "cell", "exosome", "vesicle", "renal", "fibrosis", "injury", "repair"),
    *("macrophage", "polarization", "liver", "regeneration", "therapy", "trial", "outcome", "cohort"),
    *("inflammation", "signalling", "microRNA", "transfer", "model", "mice", "rat"),
)
JOURNALS = ("Stem Cell Res Ther", "Int J Nanomedicine", "Front Immunol", "J Am Soc Nephrol", "PLoS One")

RISPY_ALONE = """
import sys, rispy
with open(sys.argv[1], encoding="utf-8") as fh:
    print(len(rispy.load(fh)))
"""

SCREEN = """
import random, sys
from store.library import Library
from store.marks import Marks
from store.merge import doc_keys

path = sys.argv[1]
library = Library.open(path)
rng = random.Random(16)
keys = []
for doc_id in range(1, library.stats().records + library.stats().stubs + 1):
    doc = library.doc(doc_id)
    if doc is not None and not doc.get("stub") and doc.get("pmid", "").startswith("9"):
        keys.append(doc_keys(doc))
reasons = ["wrong population", "wrong intervention", "wrong outcome", "wrong study design"]
for screener in ("ann", "bob"):
    marks = Marks.open(path, screener=screener)
    with marks.transaction():
        for n, k in enumerate(keys):
            mine = rng.random() < 0.2 if screener == "ann" else (n % 5 == 0) != (rng.random() < 0.03)
            if mine:
                marks.set_screening(k, "included")
            else:
                marks.set_screening(k, "excluded", reason=rng.choice(reasons))
lead = Marks.open(path, screener="cat")
with lead.transaction():
    for n, k in enumerate(keys):
        if n % 5 == 0:
            lead.set_screening(k, "included", stage="full-text" if n % 10 else None, final=n % 10 == 0)
        if n % 97 == 0:
            lead.set_screening(k, "excluded", reason="duplicate publication", final=True)
print(len(keys))
"""


def ris_file(path: Path, entries: int = ENTRIES, seed: int = 16) -> None:
    """``entries`` RIS records as EndNote writes them, PMIDs from 90,000,001 (none in the demo)."""
    rng = random.Random(seed)
    lines: list[str] = []
    for n in range(entries):
        pmid = 90_000_001 + n
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize()
        lines += ["TY  - JOUR"]
        lines += [f"AU  - {rng.choice(WORDS).capitalize()}, {rng.choice('ABCDEFGHJKLM')}." for _ in range(4)]
        lines += [
            f"T1  - {title}",
            f"JO  - {rng.choice(JOURNALS)}",
            f"VL  - {rng.randint(1, 40)}",
            f"SP  - {rng.randint(1, 900)}",
            f"EP  - {rng.randint(901, 1800)}",
            f"PY  - {rng.randint(1995, 2025)}",
            f"DO  - 10.{rng.randint(1000, 9999)}/bench.{pmid}",
            f"AN  - {pmid}",
            "AB  - " + " ".join(rng.choice(WORDS) for _ in range(120)),
            f"KW  - {rng.choice(WORDS)}",
            f"KW  - {rng.choice(WORDS)}",
            "ER  - ",
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")


def _fresh(name: str) -> Path:
    folder = FOLDER / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder / "library.json"


def measure(runs: int) -> dict[str, Any]:
    FOLDER.mkdir(parents=True, exist_ok=True)
    source = FOLDER / "database.ris"
    ris_file(source)
    imports: list[Run] = []
    library = FOLDER / "import-0" / "library.json"
    for n in range(runs):
        library = _fresh(f"import-{n}")
        imports.append(pmbrowse(library, "import", str(source), "--source", "Bench 2026-12-01"))
    parsed = [python(RISPY_ALONE, str(source)) for _ in range(runs)]
    screened = int(python(SCREEN, str(library)).output.strip())
    stats = [pmbrowse(library, "stats") for _ in range(runs)]
    reports = {
        fmt: [pmbrowse(library, "snowball", "report", "--format", fmt) for _ in range(runs)]
        for fmt in ("txt", "json", "csv", "svg")
    }
    check = json.loads(reports["json"][0].output)
    import_s = median([r.seconds for r in imports])
    rispy_s = median([r.seconds for r in parsed])
    stats_s = median([r.seconds for r in stats])
    return {
        "entries": ENTRIES,
        "screened": screened,
        "records_screened": check["databases_and_registers"]["records_screened"],
        "import_seconds": import_s,
        "import_entries_per_second": ENTRIES / import_s,
        "import_peak_mb": median([r.max_rss_mb for r in imports]),
        "rispy_seconds": rispy_s,
        "rispy_entries_per_second": ENTRIES / rispy_s,
        "stats_seconds": stats_s,
        "report_seconds": {fmt: median([r.seconds for r in rs]) for fmt, rs in reports.items()},
        "report_peak_mb": {fmt: median([r.max_rss_mb for r in rs]) for fmt, rs in reports.items()},
    }


def table(found: dict[str, Any]) -> str:
    rows = [
        "| measure | pmbrowse | baseline (same run) | ratio |",
        "|---|---|---|---|",
        f"| import a RIS file of {found['entries']:,} entries (whole process, --source) | "
        f"{found['import_entries_per_second']:,.0f} entries/s ({found['import_seconds']:.2f} s, "
        f"{found['import_peak_mb']:.0f} MB) | rispy reading it alone "
        f"{found['rispy_entries_per_second']:,.0f} entries/s | "
        f"{found['import_seconds'] / found['rispy_seconds']:.1f}× the time |",
    ]
    for fmt, seconds in found["report_seconds"].items():
        rows.append(
            f"| `snowball report --format {fmt}`, {found['screened']:,} screened (whole process) | "
            f"{seconds:.2f} s ({found['report_peak_mb'][fmt]:.0f} MB) | `pmbrowse stats` "
            f"{found['stats_seconds']:.2f} s | {seconds / found['stats_seconds']:.2f} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each measure (the median is shown)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    found = measure(args.runs)
    (FOLDER / "results.json").write_text(json.dumps(found, indent=2) + "\n")
    print(json.dumps(found, indent=2) if args.json else table(found))


if __name__ == "__main__":
    main()
