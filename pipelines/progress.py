"""What a batch shows a person: a progress bar while it runs, a summary table at the end.

The bar (documents done of all, pages and documents per second, time left) is drawn only on a
terminal; a batch whose output goes to a file or a pipe prints its error lines and the summary.
"""

from __future__ import annotations

import time
from collections import defaultdict

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from pipelines.ingest import DocumentStatus


class BatchBar:
    """A ``BatchProgress`` drawn with rich; a context manager around the batch."""

    def __init__(self, console: Console):
        self.console = console
        self.bar = Progress(
            TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rates]}"), TimeElapsedColumn(), TextColumn("left"),
            TimeRemainingColumn(), console=console, disable=not console.is_terminal,
            transient=True)
        self.task = self.bar.add_task("documents", total=None, rates="")
        self.start = time.monotonic()
        self.pages = 0
        self.documents = 0
        self.skipped = 0

    def __enter__(self) -> BatchBar:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def started(self, documents: int, skipped: int) -> None:
        self.skipped = skipped
        self.bar.update(self.task, total=documents, completed=skipped)
        if skipped:
            self.console.print(f"{skipped} of {documents} inputs unchanged since they were "
                               "read: skipped")

    def pages_planned(self, pages: int) -> None:
        pass  # the bar counts documents; pages show in the rate

    def page_done(self) -> None:
        self.pages += 1
        self._rates()

    def document_done(self, status: DocumentStatus) -> None:
        self.documents += 1
        self.bar.advance(self.task)
        self._rates()
        if status.status == "error":
            self.console.print(f"[red]error[/] {status.source}: {status.message}")

    def _rates(self) -> None:
        seconds = max(time.monotonic() - self.start, 1e-6)
        self.bar.update(self.task, rates=f"{self.documents / seconds:.2f} docs/s "
                        f"{self.pages / seconds:.1f} pages/s")


def summary_table(statuses: list[DocumentStatus]) -> Table:
    """Per kind of input: documents, ok, errors, records, records to review."""
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for status in statuses:
        row = rows[status.kind or "unknown"]
        row[0] += 1
        row[1 if status.status == "ok" else 2] += 1
        row[3] += status.records
        row[4] += status.needs_review
    table = Table(title="vnextract ingest")
    for name in ("kind", "documents", "ok", "error", "records", "to review"):
        table.add_column(name, justify="left" if name == "kind" else "right")
    for kind in sorted(rows):
        table.add_row(kind, *map(str, rows[kind]))
    if len(rows) > 1:
        table.add_row("all", *(str(sum(r[i] for r in rows.values())) for i in range(5)),
                      style="bold")
    return table
