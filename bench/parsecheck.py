"""The parsers' output, byte for byte: ``python -m bench.parsecheck write|check FILE.json [INPUT...]``.

A change meant to make parsing faster must not change one byte of what the parsers yield. ``write``
reads every input (by default: every sample under ``../shared/data`` a parser reads, this repository's
test inputs, and the bench's 10k-record PubMed XML file with reference lists and 100k-record file
without them, in this repository's ``bench/out``, when they are there: ``bench.imports.
parse_bench_files``) through the importer's event stream (``store.importer._events``, as an import
reads a file) and writes, per input, the SHA-256 of each event's orjson bytes (an error is an event
too: its message); ``check`` reads them again and names each input whose events differ, and the
first event that does. Large inputs are read a second time through the child process an import uses
(``_events_from_child``), whose events must be the same bytes.

Run ``write`` on the code before the change, ``check`` after it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson

from bench.imports import parse_bench_files
from store.errors import ParseError
from store.importer import PARALLEL_BYTES, _events, _events_from_child

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
FOLDERS = ("pubmed_xml", "medline_citationset_xml", "medline", "pmc_xml")


def default_inputs() -> list[Path]:
    found = [
        p for folder in FOLDERS if (SHARED / folder).is_dir() for p in sorted((SHARED / folder).iterdir())
    ]
    found += sorted(
        p for p in (ROOT / "tests" / "data").rglob("*") if p.is_file() and p.name != "parser_pins.json"
    )
    found += [ROOT / "store" / "demo" / "30992990.txt"]
    return found + parse_bench_files(write=False)  # (this repository's bench files, when made)


def digests(events: Iterator[tuple[str, object]]) -> list[str]:
    out: list[str] = []
    try:
        for event in events:
            out.append(hashlib.sha256(orjson.dumps(event, option=orjson.OPT_NON_STR_KEYS)).hexdigest()[:20])
    except (ParseError, OSError) as exc:
        out.append(f"error: {exc}")
    return out


def read(path: Path) -> dict[str, list[str]]:
    found = {"events": digests(_events(str(path), None))}
    if path.stat().st_size >= PARALLEL_BYTES:
        found["child"] = digests(_events_from_child(str(path), None))
    return found


def main(argv: list[str]) -> int:
    mode, record, *inputs = argv
    paths = [Path(p).resolve() for p in inputs] or default_inputs()
    if mode == "write":
        table = {str(p): read(p) for p in paths}
        Path(record).write_text(json.dumps(table, indent=0))
        print(f"{len(table)} inputs, {sum(len(v['events']) for v in table.values())} events -> {record}")
        return 0
    expected: dict[str, dict[str, list[str]]] = json.loads(Path(record).read_text())
    bad = 0
    for path in paths:
        want = expected.get(str(path))
        if want is None:
            print(f"{path}: not in {record}")
            bad += 1
            continue
        got = read(path)
        before = bad
        for way, events in got.items():
            reference = want["events"]
            if events != reference:
                first = next(
                    (i for i, (a, b) in enumerate(zip(events, reference, strict=False)) if a != b), None
                )
                where = f"event {first}" if first is not None else f"{len(events)} vs {len(reference)} events"
                print(f"{path} ({way}): DIFFERS at {where}")
                bad += 1
        print(f"{path}: {len(got['events'])} events{'' if bad > before else ', the same bytes'}", flush=True)
    print("identical" if not bad else f"{bad} differences")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
