"""Named mutations of the commit, journal, merge, link and index paths: each must turn its tests red.

Each mutation breaks one thing pmbrowse promises (a commit that writes nothing, a journal that skips its
fsync or its CRC check, a merge that keeps the old value, a link written on one end only, an index not
updated...). The script applies it to a copy of the tree, runs the tests chosen for it (a few files,
not the suite: the whole run stays within a few minutes on two cores), and expects them to fail. A
mutation the tests survive means a test is missing: the script fails, naming it.

A mutation is found by its function (``Class.method`` or ``function``) and a short text that must occur
exactly once in that function's source. When a refactor moves or changes that text, the script fails
loudly ("target not found") instead of silently testing nothing: update the mutation to the new code.

A mutation counts as caught only when pytest reports failed tests (exit status 1); a mutation that
breaks the import of the module (a syntax error, a collection error) is reported as broken, not caught.
The tests are run against the tree as it is (CI runs the suite first, so they pass unmutated; run with
``--baseline`` to check that here too).

    python .ci/mutations.py [--jobs 2] [--baseline] [--list] [NAME ...]
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutation:
    name: str
    breaks: str  # what the mutation breaks, in words
    path: str  # the file, from the repository's root
    function: str  # "Class.method" or "function": where ``old`` must occur, exactly once
    old: str
    new: str
    tests: tuple[str, ...]  # pytest arguments: files or node ids


LIBRARY_TESTS = ("tests/store/test_library.py", "tests/store/test_storage.py")

MUTATIONS = (
    Mutation(
        "commit-noop",
        "a unit of work's commit writes nothing (the commit happens, empty)",
        "store/changes.py",
        "Changes.commit",
        "self._lib.apply(changed, removed, links)",
        "self._lib.apply({}, set(), {})",
        ("tests/store/test_importer.py", *LIBRARY_TESTS),
    ),
    Mutation(
        "commit-drops-removals",
        "records merged into another are never removed",
        "store/changes.py",
        "Changes._batch",
        "removed = {d for d in self._removed",
        "removed = set() and {d for d in self._removed",
        ("tests/store/test_merge.py", *LIBRARY_TESTS),
    ),
    Mutation(
        "journal-no-fsync",
        "a journal commit is acknowledged before it is on disk",
        "store/storage/committer.py",
        "Committer._append",
        "os.fsync(fd)\n            durable = True",
        "durable = True",
        ("tests/store/test_crash_consistency.py::test_a_commit_is_on_disk_before_it_returns", *LIBRARY_TESTS),
    ),
    Mutation(
        "journal-no-crc",
        "a reader accepts a commit whose CRC does not match its lines",
        "store/journal.py",
        "_seal_problem",
        "if zlib.crc32(raw[commit_start:pos]) != crc:",
        "if False:",
        ("tests/store/test_crash_consistency.py", "tests/store/test_reliability.py"),
    ),
    Mutation(
        "journal-seal-not-checked",
        "a reader takes a commit whose seal's counts or next id do not add up",
        "store/journal.py",
        "_seal_problem",
        "problem = seal_problem(meta, into.last(), docs, links, bool(segments))",
        'problem = ""',
        ("tests/store/test_reliability.py",),
    ),
    Mutation(
        "damaged-journal-written",
        "a writer commits after damage in the journal (burying it) instead of refusing until repair",
        "store/storage/committer.py",
        "Committer.transaction",
        "if snap.damage:",
        "if False:",
        ("tests/store/test_reliability.py", "tests/store/test_crash_consistency.py"),
    ),
    Mutation(
        "index-not-checksummed",
        "a document index whose columns were damaged is trusted (a block read unchecked)",
        "store/indexblocks.py",
        "BlockCheck.rows",
        "if _group_crc(self._parts[group], b) != self._crcs[group * nb + b]:",
        "if False:",
        ("tests/store/test_index_blocks.py",),
    ),
    Mutation(
        "index-keys-not-checksummed",
        "a document index whose key table was damaged is trusted (a block read unchecked)",
        "store/indexblocks.py",
        "BlockCheck.keys",
        "if _key_crc(self._hashes, self._ids, b) != self._crcs[crc_at]:",
        "if False:",
        ("tests/store/test_index_blocks.py", "tests/store/test_reliability.py"),
    ),
    Mutation(
        "index-04-not-checksummed",
        "a document index written before the blocks (PMBIDX04) whose columns were damaged is trusted",
        "store/docindex.py",
        "DocIndex._parse",
        "elif crc32_released(m, view, body, end) != self._body[2]:",
        "elif False:",
        ("tests/store/test_index_blocks.py",),
    ),
    Mutation(
        "index-checked-later-not-checked",
        "a document index checked in a thread (the app's first list) is trusted however damaged",
        "store/docindex.py",
        "DocIndex.verify",
        "if not checking.matches():",
        "if False:",
        ("tests/store/test_index_check_later.py", "tests/store/test_read_concurrency.py"),
    ),
    Mutation(
        "base-read-unchecked",
        "a document is read where the index says without checking the base's line carries its id",
        "store/storage/snapshot.py",
        "Snapshot._base_read",
        'if not raw.startswith(prefix) or raw[-1:] not in (b",", b"\\n") or raw[-2:-1] != b"}":',
        "if False:",
        ("tests/store/test_reliability.py",),
    ),
    Mutation(
        "newest-segment-oldest-wins",
        "which segment holds a document is answered by the oldest segment writing it, not the newest",
        "store/storage/newest.py",
        "Newest._current",
        "numbers[doc_id] = number",
        "numbers[doc_id] = numbers[doc_id] or number",
        ("tests/store/test_lookup_layers.py",),
    ),
    Mutation(
        "newest-segment-table-stale",
        "a state's table of which segment holds each document is read after a batch was added to it",
        "store/storage/newest.py",
        "Newest.of",
        "if made is None or made.listed != segments:",
        "if made is None:",
        ("tests/store/test_lookup_layers.py", "tests/store/test_read_concurrency.py"),
    ),
    Mutation(
        "close-under-a-read",
        "a file is closed while a thread reads it: the read reads whatever file takes the freed number",
        "store/openfile.py",
        "OpenFile.close",
        "if not self._reading:",
        "if True:",
        ("tests/store/test_read_concurrency.py",),
    ),
    Mutation(
        "catch-up-in-place",
        "another process's commit is taken into the state threads are reading: half a commit is seen",
        "store/storage/reader.py",
        "Reader.catch_up",
        "new = successor(snap)",
        "new = snap",
        ("tests/store/test_read_concurrency.py",),
    ),
    Mutation(
        "journal-torn-tail-kept",
        "the next writer appends after a torn commit instead of cutting it off",
        "store/storage/committer.py",
        "Committer._append",
        "os.ftruncate(fd, journal.end)  #",
        "pass  #",
        ("tests/store/test_crash_consistency.py::test_a_torn_tail_is_ignored_and_cut_off",),
    ),
    Mutation(
        "journal-keys-not-indexed",
        "a journalled document cannot be found by its identifiers",
        "store/journal.py",
        "_take",
        "into.keys.setdefault(key, set()).add(doc_id)",
        "pass",
        LIBRARY_TESTS,
    ),
    Mutation(
        "journal-unsealed-commit-read",
        "a reader takes in the lines of a commit whose seal was never written (torn by a crash)",
        "store/journal.py",
        "replay",
        "    into.torn = commit_start < size",
        "    _take(into, at, pending, links, segments)\n    into.torn = commit_start < size",
        ("tests/store/test_crash_consistency.py",),
    ),
    Mutation(
        "write-lock-not-taken",
        "two writers commit at once",
        "store/storage/committer.py",
        "Committer.transaction",
        "write_lock(files.path, timeout)",
        "contextlib.nullcontext()",
        LIBRARY_TESTS,
    ),
    Mutation(
        "writer-not-caught-up",
        "a writer commits without first taking in what another process committed",
        "store/storage/committer.py",
        "Committer.transaction",
        "self.reader.catch_up()",
        "pass",
        (*LIBRARY_TESTS, "tests/store/test_crash_consistency.py"),
    ),
    Mutation(
        "failed-transaction-kept",
        "what a failed transaction staged is kept, and committed by the next one",
        "store/storage/committer.py",
        "Committer.transaction",
        "pending.clear()",
        "pass",
        (*LIBRARY_TESTS, "tests/store/test_importer.py", "tests/store/test_bulk_import.py"),
    ),
    Mutation(
        "merge-keeps-old",
        "an incoming full record does not replace what the library held",
        "store/merge.py",
        "merge_record",
        "if authoritative or key not in into:",
        "if key not in into:",
        ("tests/store/test_merge.py", "tests/store/test_library.py", "tests/store/test_importer.py"),
    ),
    Mutation(
        "merge-drops-origins",
        "a merged record forgets where the new record came from",
        "store/merge.py",
        "merge_record",
        "origins.append(origin)",
        "pass",
        ("tests/store/test_merge.py", "tests/store/test_library.py", "tests/store/test_importer.py"),
    ),
    Mutation(
        "metrics-older-wins",
        "an older fetch of citation metrics replaces a newer one",
        "store/merge.py",
        "merge_metrics",
        'str(record.get("fetched", "")) > str(held.get("fetched", ""))',
        'str(record.get("fetched", "")) < str(held.get("fetched", ""))',
        ("tests/store/test_citations.py", "tests/store/online/test_metrics.py"),
    ),
    Mutation(
        "link-one-end-only",
        "a link is written on the citing end only: the cited end never learns it",
        "store/linkedits.py",
        "LinkEdits.connect_all",
        "change.added.setdefault(inverse, {})",
        "{}",
        (*LIBRARY_TESTS, "tests/store/test_handover.py"),
    ),
    Mutation(
        "link-sources-not-joined",
        "a link seen again from another source keeps only the first source",
        "store/linkedits.py",
        "LinkEdits.connect_all",
        "now = joined(have, sources)",
        "now = have",
        (*LIBRARY_TESTS, "tests/store/test_importer.py"),
    ),
    Mutation(
        "link-store-write-dropped",
        "a commit's link changes are not written to the journal",
        "store/storage/committer.py",
        "Committer._commit_as",
        "links = [link_line(d, change.counts, change.encode()) for d, change in pending.links.items()]",
        "links = []",
        LIBRARY_TESTS,
    ),
    Mutation(
        "compaction-loses-keys",
        "after a compaction the base's documents cannot be found by their identifiers",
        "store/storage/fold.py",
        "_write_pairs",
        "pairs.extend(snap.index.pairs_except(_NotIn(owners, 0)))",
        "pass",
        ("tests/store/test_crash_consistency.py", *LIBRARY_TESTS),
    ),
    Mutation(
        "fold-share-one",
        "segments are folded into a new base when they hold as much as the base, not FOLD_SHARE (four) "
        "times it (files of one size imported one after another rewrite the library at the 2nd, 4th and 8th)",
        "store/storage/compactor.py",
        "fold_due",
        "sum(sizes) >= FOLD_SHARE * base_size",
        "sum(sizes) >= 1 * base_size",
        (
            "tests/store/test_fold_rule.py",
            "tests/store/test_tiering.py::test_a_file_imported_into_a_larger_library_does_not_rewrite_it",
        ),
    ),
    Mutation(
        "search-index-not-updated",
        "a commit's documents are not added to the search index, which still says it is fresh",
        "store/search/index.py",
        "SearchIndex.update",
        "add_to(writer, doc_id, doc, library.link_counts(doc_id)[1])",
        "pass",
        ("tests/store/test_search.py",),
    ),
    Mutation(
        "search-index-keeps-old",
        "a changed document is added to the search index beside its old version",
        "store/search/index.py",
        "SearchIndex.update",
        "if doc_id < first_new:",
        "if False:",
        ("tests/store/test_search.py",),
    ),
)


class TargetNotFound(Exception):
    pass


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.AST]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = prefix + node.name
            if not isinstance(node, ast.ClassDef):
                yield name, node
            yield from _functions(node, name + ".")


def mutated(source: str, mutation: Mutation) -> str:
    """``source`` with the mutation applied; ``TargetNotFound`` unless its text is in its function
    exactly once."""
    where = f"{mutation.name}: {mutation.path}: {mutation.function}"
    found = [node for name, node in _functions(ast.parse(source)) if name == mutation.function]
    if len(found) != 1:
        raise TargetNotFound(f"{where}: the function is not there (found {len(found)})")
    node = found[0]
    lines = source.splitlines(keepends=True)
    start, end = node.lineno - 1, node.end_lineno or node.lineno  # type: ignore[attr-defined]
    body = "".join(lines[start:end])
    count = body.count(mutation.old)
    if count != 1:
        raise TargetNotFound(f"{where}: {mutation.old!r} occurs {count} times in it, not once")
    result = "".join(lines[:start]) + body.replace(mutation.old, mutation.new) + "".join(lines[end:])
    try:
        ast.parse(result)
    except SyntaxError as exc:
        raise TargetNotFound(f"{where}: the mutated source does not parse: {exc}") from exc
    return result


def tracked_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    return [name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


def copy_tree(into: Path) -> Path:
    """A copy of the tree (tracked and new files, as they are now) with ``../shared`` beside it."""
    tree = into / "tree"
    for name in tracked_files():
        target = tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        (into / "shared").symlink_to(shared)
    return tree


def run_tests(tree: Path, tests: tuple[str, ...]) -> tuple[int, str]:
    # The copy comes first on the path (ahead of the editable install of the real tree), also for
    # the processes the tests start; no bytecode is written, so no stale .pyc outlives a mutation.
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts="]
    proc = subprocess.run([*command, *tests], cwd=tree, env=env, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


@dataclass
class Outcome:
    mutation: Mutation
    status: str  # "caught", "SURVIVED", "BROKEN"
    detail: str
    seconds: float


def verdict(status: int, output: str) -> tuple[str, str]:
    """What a mutated tree's test run says, and the line that says it. Caught only when pytest ran and
    reported a failed test: exit status 1 is also Python's when pytest is not there at all (`No module
    named pytest`, an install cut short), which once counted every mutation caught in 0 s."""
    failed = [line for line in output.splitlines() if line.startswith(("FAILED", "ERROR"))]
    if status == 1 and failed:
        return "caught", failed[0]
    if status == 0:
        return "SURVIVED", last_lines(output, 3)
    return "BROKEN", f"pytest exit status {status}\n" + last_lines(output)


def last_lines(text: str, n: int = 15) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines()[-n:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="run only these mutations")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--baseline", action="store_true", help="first check the tests pass unmutated")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.names or m.name in args.names]
    if unknown := set(args.names) - {m.name for m in MUTATIONS}:
        parser.error(f"no such mutation: {', '.join(sorted(unknown))}")
    if args.list:
        for m in chosen:
            print(f"{m.name:28} {m.path}: {m.function}: {m.breaks}")
        return 0
    # Every target is checked before anything runs: a refactor that moved one fails at once.
    sources = {m.path: (ROOT / m.path).read_text(encoding="utf-8") for m in chosen}
    problems = []
    for m in chosen:
        try:
            mutated(sources[m.path], m)
        except TargetNotFound as exc:
            problems.append(str(exc))
    if problems:
        print("mutations: target not found (update .ci/mutations.py to the code as it is now):")
        print("\n".join("  " + p for p in problems))
        return 1

    with tempfile.TemporaryDirectory(prefix="pmbrowse-mutations-") as tmp:
        pool: list[Path] = [copy_tree(Path(tmp) / f"w{i}") for i in range(max(1, args.jobs))]
        free = list(pool)
        lock = threading.Lock()

        if args.baseline:
            tests = tuple(sorted({t for m in chosen for t in m.tests}))
            status, output = run_tests(pool[0], tests)
            if status != 0:
                print("mutations: the chosen tests fail without any mutation:\n" + last_lines(output))
                return 1

        def run(m: Mutation) -> Outcome:
            with lock:
                tree = free.pop()
            path = tree / m.path
            started = time.monotonic()
            try:
                path.write_text(mutated(sources[m.path], m), encoding="utf-8")
                status, output = run_tests(tree, m.tests)
            finally:
                path.write_text(sources[m.path], encoding="utf-8")
                with lock:
                    free.append(tree)
            return Outcome(m, *verdict(status, output), seconds=time.monotonic() - started)

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=len(pool)) as executor:
            outcomes = []
            for outcome in executor.map(run, chosen):
                outcomes.append(outcome)
                m = outcome.mutation
                print(f"{outcome.status:9} {m.name:28} {outcome.seconds:5.1f} s  ({m.breaks})", flush=True)
                if outcome.detail:
                    indent = "    " if outcome.status == "caught" else ""
                    print(indent + outcome.detail, flush=True)
    bad = [o for o in outcomes if o.status != "caught"]
    took = time.monotonic() - started
    print(f"mutations: {len(outcomes) - len(bad)} of {len(outcomes)} caught in {took:.0f} s")
    if bad:
        names = ", ".join(o.mutation.name for o in bad)
        print(f"mutations the tests did not catch (a test is missing): {names}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
