"""``pmbrowse import PATH...``: files or folders, with a progress bar on large imports."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from store.importer import import_paths
from tui.commands.base import EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_OK, Command, error, open_library
from tui.console import import_report, print_whole

# Show a progress bar for imports bigger than this (bytes on disk).
PROGRESS_THRESHOLD = 2_000_000


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for stdin")


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    library = open_library(args, err)
    progress: Progress | None = None
    if err.is_terminal:
        progress = Progress(
            TextColumn("importing"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[records]} records, {task.fields[rate]} records/s"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
    task_id = None

    def on_progress(done: int, total: int, records: int) -> None:
        nonlocal task_id
        if progress is None or total < PROGRESS_THRESHOLD:
            return
        if task_id is None:
            progress.start()
            task_id = progress.add_task("import", total=total, records=0, rate="-")
        elapsed = progress.tasks[0].elapsed or 0.0
        rate = f"{records / elapsed:,.0f}" if elapsed > 0.5 else "-"
        progress.update(task_id, completed=done, records=f"{records:,}", rate=rate)

    try:
        reports = import_paths(library, args.paths, progress=on_progress)
    finally:
        if progress is not None:
            progress.stop()
    # In a terminal the table fits its width (file names shortened from the left); into a pipe or a
    # file nothing is cut or wrapped, whatever the width.
    print_whole(out, import_report(reports, out.width if out.is_terminal else None))
    for report in reports:
        if report.rejected:
            error(err, f"{report.source}: {report.error}" if report.missing else f"rejected {report.error}")
    if any(r.rejected and not r.missing for r in reports):
        return EXIT_BAD_INPUT
    if any(r.missing for r in reports):
        return EXIT_NOT_FOUND
    return EXIT_OK


IMPORT = Command(
    "import", "import files or folders of articles (page, PubMed XML, MEDLINE, CSL-JSON)", configure, run
)
