"""A batch that never loses work: inputs → supervised jobs → the store → outputs.

Each input goes through small picklable jobs, run by supervised workers (``executors``): an
``OpenJob`` reads a text dump whole, or plans a PDF's or an image's pages; a ``PageTask`` reads
one page; a ``FinishJob`` repairs the merged document's text and reads its tables into records.
The main process merges the pages, and commits each finished document to the store at once
(``store``); the outputs are written from the store at the end (``outputs.export``).

A re-run on the same output folder skips an input whose content (SHA-256) and settings are
those the store read it with and that did not fail; anything else is read again and replaces
what the store held, so no record is ever duplicated. A run killed half-way keeps every
document it committed, and the next run ends with the outputs an uninterrupted run writes
(exports are ordered by the inputs' paths, never by when they finished).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import deque
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from stat import S_ISREG
from typing import Protocol

from extract.ocr import OcrEngine, TesseractEngine
from extract.pdf import PageJob, PageResult, read_page
from extract.types import Document, PageInfo
from mapping.catalog import get_catalog, load_catalogs
from pipelines.executors import Failed, Task, open_pool
from pipelines.ingest import DocumentStatus, expand_paths, ingest_document, plan_document
from pipelines.outputs import export, remove_partial_files
from pipelines.paged import InputError, PagePlan, display_name, sniff
from pipelines.records import IndicatorRecord
from pipelines.store import Committed, InputFile, Store

DEFAULT_TIMEOUT = 600.0  # seconds for one step of a document: a text dump, opening, matching
DEFAULT_PAGE_TIMEOUT = 180.0  # seconds for one page (a dense scan at 300 dpi takes ~30 s)
DEFAULT_MEMORY_MB = 4096  # what one worker may allocate beyond its start
ACTIVE_PER_WORKER = 2  # documents under way at once, per worker: bounds the memory of pages
HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class Context:
    """What every worker holds for the whole batch (sent once, when it starts)."""

    engine: OcrEngine | None
    catalog_id: str | None
    password: str | None
    catalog_dirs: tuple[str, ...] = ()  # user catalog folders, beside the shipped catalogs


@dataclass
class Outcome:
    """A finished document: its status, records and repaired text."""

    status: DocumentStatus
    records: list[dict] = field(default_factory=list)
    text: str | None = None


def error_outcome(name: str, message: str, kind: str | None) -> Outcome:
    return Outcome(DocumentStatus(source=name, kind=kind, status="error", message=message))


def finish(document: Document, context: Context) -> Outcome:
    records, status = ingest_document(document, context.catalog_id, context.catalog_dirs)
    return Outcome(status, [r.to_dict() for r in records], document.repaired_text)


@dataclass(frozen=True)
class OpenJob:
    """Open an input: a text dump is read whole (→ ``Outcome``); a PDF or an image is planned
    page by page (→ ``PagePlan``)."""

    path: Path

    def run(self, context: Context) -> Outcome | PagePlan:
        try:
            plan = plan_document(self.path, context.password)
            if isinstance(plan, Document):
                return finish(plan, context)
            return plan
        except InputError as exc:
            return error_outcome(display_name(self.path), str(exc), exc.kind)


@dataclass(frozen=True)
class PageTask:
    """Read one page of a PDF or an image."""

    job: PageJob

    def run(self, context: Context) -> PageResult:
        return read_page(self.job, context.engine or TesseractEngine())


@dataclass(frozen=True)
class FinishJob:
    """Repair a merged document's text and read its tables into records."""

    document: Document

    def run(self, context: Context) -> Outcome:
        return finish(self.document, context)


class BatchProgress(Protocol):
    """What a batch tells its caller as it goes (the CLI draws a progress bar from it)."""

    def started(self, documents: int, skipped: int) -> None: ...
    def pages_planned(self, pages: int) -> None: ...
    def page_done(self) -> None: ...
    def document_done(self, status: DocumentStatus) -> None: ...


@dataclass
class _Underway:
    """A document being read: its pages' plan and the results in so far."""

    input: InputFile
    started: float
    plan: PagePlan | None = None
    results: list[PageResult] = field(default_factory=list)
    pending: int = 0


class Scheduler:
    """Feeds the pool: pages and finishing steps of documents under way first (they hold
    memory), then new documents, at most ``ACTIVE_PER_WORKER`` per worker at once."""

    def __init__(self, inputs: list[InputFile], workers: int, timeout: float,
                 page_timeout: float, commit, progress: BatchProgress | None):
        self.waiting = deque(inputs)
        self.ready: deque[Task] = deque()
        self.underway: dict[str, _Underway] = {}
        self.max_underway = ACTIVE_PER_WORKER * workers
        self.timeout, self.page_timeout = timeout, page_timeout
        self.commit = commit
        self.progress = progress

    def next_task(self) -> Task | None:
        if self.ready:
            return self.ready.popleft()
        if self.waiting and len(self.underway) < self.max_underway:
            item = self.waiting.popleft()
            self.underway[item.key] = _Underway(item, time.monotonic())
            return Task(("open", item.key), OpenJob(item.path), self.timeout)
        return None

    def on_done(self, task: Task, outcome) -> None:
        step, key = task.key[0], task.key[1]
        doc = self.underway[key]
        if step == "page":
            if isinstance(outcome, Failed):
                hint = " (--page-timeout)" if outcome.timed_out else ""
                outcome = PageResult(task.key[2], "error", error=f"{outcome.message}{hint}")
            doc.results.append(outcome)
            doc.pending -= 1
            if self.progress:
                self.progress.page_done()
            if doc.pending == 0:
                self._merge(doc)
            return
        if isinstance(outcome, Failed):
            hint = " (--timeout)" if outcome.timed_out else ""
            what = {"open": "reading the document", "finish": "reading its tables"}[step]
            outcome = error_outcome(doc.input.name, f"{doc.input.path}: {what}: "
                                    f"{outcome.message}{hint}", _kind(doc))
        if isinstance(outcome, PagePlan):
            doc.plan = outcome
            doc.pending = len(outcome.jobs)
            if self.progress:
                self.progress.pages_planned(len(outcome.jobs) + len(outcome.decided))
            self.ready.extend(Task(("page", key, job.index), PageTask(job), self.page_timeout)
                              for job in outcome.jobs)
            if not outcome.jobs:
                self._merge(doc)
            return
        del self.underway[key]
        self.commit(doc.input, outcome, time.monotonic() - doc.started)

    def _merge(self, doc: _Underway) -> None:
        try:
            document = doc.plan.merge(doc.results)
        except InputError as exc:
            del self.underway[doc.input.key]
            self.commit(doc.input, error_outcome(doc.input.name, str(exc), exc.kind),
                        time.monotonic() - doc.started)
            return
        doc.results = []
        # finishing frees a document's pages: it goes before any other waiting work
        self.ready.appendleft(Task(("finish", doc.input.key), FinishJob(document),
                                   self.timeout))


def _kind(doc: _Underway) -> str | None:
    """What a document that failed was, for its status: from its plan, or its first bytes."""
    if doc.plan is not None:
        return doc.plan.kind
    try:
        return sniff(doc.input.path) or "text"
    except OSError:
        return None


def input_file(path: Path, known: dict[str, tuple]) -> InputFile:
    """An input's key and fingerprint. Its content is hashed only when its size or time
    changed since the store saw it (as ``make`` and ``git`` decide), so a re-run over a
    thousand unchanged files reads none of them."""
    key = os.fsencode(os.path.abspath(path)).decode("utf-8", "backslashreplace")
    name = display_name(path)
    try:
        stat = path.stat()
    except OSError:
        return InputFile(path, key, name, None, None, None)
    if not S_ISREG(stat.st_mode):
        return InputFile(path, key, name, None, None, None)
    size, mtime = stat.st_size, stat.st_mtime_ns
    stored = known.get(key)
    if stored and stored[0] == size and stored[1] == mtime and stored[2]:
        return InputFile(path, key, name, size, mtime, stored[2])
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(HASH_CHUNK):
                digest.update(chunk)
    except OSError:
        return InputFile(path, key, name, size, mtime, None)
    return InputFile(path, key, name, size, mtime, digest.hexdigest())


def record_identity(record: dict) -> tuple:
    """What a record is, across re-runs: a catalog row (and period) when it was matched, else
    the row as printed."""
    if record.get("indicator_id"):
        return ("row", record.get("catalog"), record["indicator_id"], record.get("period"))
    return ("printed", record.get("page"), record.get("row_label_raw"),
            record.get("description_raw"), record.get("period"))


def open_store(out_dir: Path) -> Store:
    """The store of ``out_dir``, with columns for the pipeline's statuses, pages, records."""
    return Store.open(out_dir, document=DocumentStatus, page=PageInfo, record=IndicatorRecord,
                      record_identity=record_identity)


def run_batch(paths: list[Path], out_dir: Path, catalog_id: str | None = None,
              progress: BatchProgress | None = None, engine: OcrEngine | None = None,
              workers: int | None = None, *, timeout: float = DEFAULT_TIMEOUT,
              page_timeout: float = DEFAULT_PAGE_TIMEOUT,
              memory_mb: int | None = DEFAULT_MEMORY_MB, password: str | None = None,
              executor: str = "local", ray_address: str | None = None,
              catalog_dirs: tuple[str, ...] = ()) -> list[DocumentStatus]:
    """Ingest ``paths`` into ``out_dir``: see the module's docstring. Returns each input's
    status (read now, or as the store holds it), in the order of the inputs."""
    # workers (a Ray cluster's too) may not share this process's working directory
    catalog_dirs = tuple(str(Path(d).resolve()) for d in catalog_dirs)
    # an unknown --catalog or a bad user catalog fails the whole run, before any work
    user_catalogs = [c.to_json() for c in load_catalogs(extra=catalog_dirs)[
        len(load_catalogs()):]]
    if catalog_id is not None:
        get_catalog(catalog_id, extra=catalog_dirs)
    out_dir = Path(out_dir)
    out_resolved = out_dir.resolve()
    files = [p for p in expand_paths(paths) if out_resolved not in p.resolve().parents]
    settings = json.dumps({"catalog": catalog_id, "vnextract": version("vnextract")} | (
        {"user_catalogs": hashlib.sha256(json.dumps(user_catalogs).encode()).hexdigest()}
        if user_catalogs else {}))  # a re-run reads again what a changed catalog may match
    remove_partial_files(out_dir)
    with open_store(out_dir) as store:
        known = store.known()
        inputs = list({f.key: f for f in (input_file(p, known) for p in files)}.values())
        todo = [f for f in inputs if not _unchanged(f, known.get(f.key), settings)]
        run = store.begin_run(settings, len(inputs))
        statuses: dict[str, DocumentStatus] = {}

        def commit(item: InputFile, outcome: Outcome, seconds: float) -> None:
            status = outcome.status
            store.commit(Committed(item, settings, status.to_dict(), outcome.records,
                                   status.pages, outcome.text, seconds), run)
            statuses[item.key] = status
            if progress:
                progress.document_done(status)

        if progress:
            progress.started(len(inputs), len(inputs) - len(todo))
        if todo:
            if executor == "local":  # workers start when there is work for them
                workers = workers or os.cpu_count() or 1
            os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one Tesseract thread per worker
            context = Context(engine, catalog_id, password, catalog_dirs)
            with open_pool(workers, context, memory_mb, executor, ray_address) as pool:
                scheduler = Scheduler(todo, pool.backend.workers, timeout, page_timeout,
                                      commit, progress)
                pool.run(scheduler.next_task, scheduler.on_done)
        stored = store.statuses([f.key for f in inputs if f.key not in statuses])
        fields = DocumentStatus.__dataclass_fields__
        statuses.update({key: DocumentStatus(**{k: v for k, v in data.items() if k in fields})
                         for key, data in stored.items()})
        out = [statuses[f.key] for f in inputs]
        store.end_run(run, len(todo), len(inputs) - len(todo),
                      sum(1 for s in out if s.status == "error"))
        export(store, out_dir)
    return out


def _unchanged(item: InputFile, stored: tuple | None, settings: str) -> bool:
    if stored is None or item.sha256 is None:
        return False
    _size, _mtime, sha256, stored_settings, status = stored
    return sha256 == item.sha256 and json.loads(stored_settings) == json.loads(settings) \
        and status == "ok"
