"""Supervised workers: each job runs in a worker process under a time and a memory limit.

A job is a small picklable object with ``run(context)``; the worker sends its result back and
the main process merges (OCRmyPDF's model). ``concurrent.futures`` loses its whole pool when one
worker dies, and cannot stop a job that hangs; this pool watches each worker instead:

- a job past its time limit has its worker killed (with the worker's own children, such as a
  Tesseract or LibreOffice process), and gets a ``Failed`` outcome saying so;
- a worker that dies (the kernel's OOM killer, a segfault in a C library) is detected by its
  process sentinel, its job fails with the signal's meaning, and a new worker takes its place;
- each worker's address space is capped (``RLIMIT_AS``) at its size when it started plus
  ``memory_mb``, so a decompression bomb raises ``MemoryError`` in that worker, not the machine's
  OOM killer in someone else's.

Local workers are forked from a fork server that has imported the pipeline and loaded the
24 MB language model once (``pipelines.warm``): starting or replacing one costs a fork, not a
model load, and none of them inherits the main process's threads (DuckDB's).

The Ray backend runs the same jobs as Ray tasks (one CPU each) on a local or remote cluster;
the supervision (time limits, replacing a dead worker) is the same code.

    with open_pool(workers=2, context=ctx, memory_mb=4096) as pool:
        pool.run(next_task, on_done)
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol

MAX_JOBS_PER_WORKER = 200  # a worker is replaced after this many jobs: memory cannot creep
STARTUP_TIMEOUT = 300  # seconds for a worker to start (the first one starts the fork server)
READY = "ready"  # a worker's first message: jobs' time limits count from here
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Task:
    """A job to run, with the caller's handle for it and its time limit in seconds."""

    key: Any
    job: Any  # picklable, with ``run(context) -> result``
    timeout: float


@dataclass(frozen=True)
class Failed:
    """A job that did not return: timed out, its worker died, or it raised."""

    message: str
    timed_out: bool = False


class Backend(Protocol):
    """Workers in slots 0..n-1: start one, send it a job, wait for results, kill one."""

    workers: int

    def start(self, slot: int) -> None: ...
    def send(self, slot: int, job: Any) -> None: ...
    def wait(self, slots: list[int], timeout: float) -> list[tuple[int, Any]]: ...
    def kill(self, slot: int) -> None: ...
    def close(self) -> None: ...


class Pool:
    """Runs tasks on a backend's workers, enforcing each task's time limit."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self.jobs_done = [0] * backend.workers
        self.started = [False] * backend.workers

    def run(self, next_task: Callable[[], Task | None],
            on_done: Callable[[Task, Any], None]) -> None:
        """Feed idle workers with ``next_task()`` until it has nothing and no job is running;
        each outcome (the job's result, or ``Failed``) goes to ``on_done``, which may make new
        tasks ready. Outcomes arrive in the main process only."""
        running: dict[int, tuple[Task, float]] = {}  # slot → (task, deadline)
        while True:
            for slot in range(self.backend.workers):
                if slot in running:
                    continue
                task = next_task()
                if task is None:
                    break
                if not self.started[slot]:
                    self.backend.start(slot)
                    self.started[slot] = True
                self.backend.send(slot, task.job)
                running[slot] = (task, time.monotonic() + task.timeout)
            if not running:
                return
            now = time.monotonic()
            wait_for = max(0.0, min(deadline for _, deadline in running.values()) - now)
            for slot, outcome in self.backend.wait(list(running), wait_for):
                task, _ = running.pop(slot)
                if isinstance(outcome, Failed):  # the worker is gone
                    self.started[slot] = False
                else:
                    self._recycle(slot)
                on_done(task, outcome)
            now = time.monotonic()
            for slot, (task, deadline) in list(running.items()):
                if now >= deadline:
                    self.backend.kill(slot)
                    self.started[slot] = False
                    del running[slot]
                    on_done(task, Failed(f"timed out after {task.timeout:g} s", timed_out=True))

    def _recycle(self, slot: int) -> None:
        self.jobs_done[slot] += 1
        if self.jobs_done[slot] >= MAX_JOBS_PER_WORKER:
            self.backend.kill(slot)
            self.started[slot] = False
            self.jobs_done[slot] = 0


def limit_memory(memory_mb: int | None) -> None:
    """Cap this process's address space at its present size plus ``memory_mb`` (a worker's
    libraries and model are already mapped), and write no core files."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not memory_mb:
        return
    with open("/proc/self/statm") as fh:
        size = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = size + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_job(job: Any, context: Any, memory_mb: int | None) -> Any:
    """A job's result, or ``Failed`` with what it raised: a worker never dies of an exception."""
    try:
        return job.run(context)
    except MemoryError:
        return Failed(f"out of memory: needs more than the {memory_mb} MB a worker may use "
                      "(--memory-limit)")
    except Exception as exc:  # noqa: BLE001 — reported as the job's outcome
        return Failed(f"{type(exc).__name__}: {exc}")


def _die_with_parent() -> None:
    """Linux: this worker is killed when its parent (the fork server) goes, so a main process
    killed with ``kill -9`` leaves no worker running a hung job."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _local_worker(conn: Connection, context: Any, memory_mb: int | None) -> None:
    os.setsid()  # its own process group: a time-out kills the worker and its children
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides when to stop
    limit_memory(memory_mb)
    conn.send(READY)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(run_job(job, context, memory_mb))


def death_message(exitcode: int | None) -> str:
    """What a worker's exit code says, for a user: ``-9`` is most often the OOM killer."""
    if exitcode is not None and exitcode < 0:
        sig = signal.Signals(-exitcode)
        why = {signal.SIGKILL: " (killed: out of memory?)",
               signal.SIGSEGV: " (a crash in a library reading the file)",
               signal.SIGABRT: " (aborted by a library reading the file)"}.get(sig, "")
        return f"worker died of {sig.name}{why}"
    return f"worker exited with code {exitcode}"


class LocalBackend:
    """Worker processes on this machine, forked from a fork server with the model loaded."""

    def __init__(self, workers: int, context: Any, memory_mb: int | None):
        self.workers = workers
        self.context = context
        self.memory_mb = memory_mb
        self.mp = multiprocessing.get_context("forkserver")
        self.mp.set_forkserver_preload(["pipelines.warm"])
        self.procs: dict[int, multiprocessing.process.BaseProcess] = {}
        self.conns: dict[int, Connection] = {}

    def start(self, slot: int) -> None:
        parent, child = self.mp.Pipe()
        proc = self.mp.Process(target=_local_worker, args=(child, self.context, self.memory_mb),
                               daemon=True)
        proc.start()
        child.close()
        self.procs[slot], self.conns[slot] = proc, parent
        try:
            ready = parent.poll(STARTUP_TIMEOUT) and parent.recv() == READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.kill(slot)
            raise RuntimeError(f"a worker did not start within {STARTUP_TIMEOUT} s")

    def send(self, slot: int, job: Any) -> None:
        self.conns[slot].send(job)

    def wait(self, slots: list[int], timeout: float) -> list[tuple[int, Any]]:
        handles = {self.conns[s]: s for s in slots}
        handles.update({self.procs[s].sentinel: s for s in slots})
        out: dict[int, Any] = {}
        for handle in wait(list(handles), timeout):
            slot = handles[handle]
            if slot in out:
                continue
            conn = self.conns[slot]
            try:
                if conn.poll():
                    out[slot] = conn.recv()
                    continue
            except (EOFError, OSError):
                pass
            proc = self.procs[slot]
            proc.join(1)
            out[slot] = Failed(death_message(proc.exitcode))
            self._forget(slot)
        return list(out.items())

    def kill(self, slot: int) -> None:
        proc = self.procs.get(slot)
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()
        proc.join(5)
        self._forget(slot)

    def _forget(self, slot: int) -> None:
        self.conns.pop(slot).close()
        self.procs.pop(slot)

    def close(self) -> None:
        for slot in list(self.procs):
            self.kill(slot)


_memory_limited = False


def _ray_job(job: Any, context: Any, memory_mb: int | None) -> Any:
    """A job in a Ray worker process. Ray keeps its workers between tasks: the first task in
    one imports the pipeline, loads the model and caps the memory; the next find them done."""
    global _memory_limited
    from pipelines import warm  # noqa: F401 — loads the language model once per worker

    if not _memory_limited:
        limit_memory(memory_mb)
        _memory_limited = True
    return run_job(job, context, memory_mb)


class RayBackend:
    """Ray tasks on a cluster (``address``) or on a local one started here and stopped after;
    a slot is a task in flight, and killing it cancels the task by killing its worker.

    Every node must see the inputs at the same path (a shared or network file system) and have
    vnextract installed; results come back to this process, which alone writes the store."""

    def __init__(self, workers: int | None, context: Any, memory_mb: int | None,
                 address: str | None):
        import ray

        self.ray = ray
        self.owns_cluster = address is None and not ray.is_initialized()
        if not ray.is_initialized():
            ray.init(address=address, num_cpus=workers if address is None else None,
                     include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                     configure_logging=False)
        self.workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.task = ray.remote(num_cpus=1, max_retries=0)(_ray_job)
        self.context = ray.put(context)
        self.memory_mb = memory_mb
        self.refs: dict[int, Any] = {}

    def start(self, slot: int) -> None:
        pass  # Ray starts and keeps the worker processes

    def send(self, slot: int, job: Any) -> None:
        self.refs[slot] = self.task.remote(job, self.context, self.memory_mb)

    def wait(self, slots: list[int], timeout: float) -> list[tuple[int, Any]]:
        by_ref = {self.refs[s]: s for s in slots}
        ready, _ = self.ray.wait(list(by_ref), num_returns=1, timeout=timeout)
        if ready:  # collect every other result that is already in
            ready, _ = self.ray.wait(list(by_ref), num_returns=len(by_ref), timeout=0)
        out = []
        for ref in ready:
            slot = by_ref[ref]
            del self.refs[slot]
            try:
                out.append((slot, self.ray.get(ref)))
            except self.ray.exceptions.RayError as exc:
                out.append((slot, Failed(f"worker died: {type(exc).__name__}")))
        return out

    def kill(self, slot: int) -> None:
        ref = self.refs.pop(slot, None)
        if ref is not None:
            self.ray.cancel(ref, force=True)

    def close(self) -> None:
        for slot in list(self.refs):
            self.kill(slot)
        if self.owns_cluster:
            self.ray.shutdown()


@contextmanager
def open_pool(workers: int, context: Any, memory_mb: int | None, executor: str = "local",
              ray_address: str | None = None) -> Iterator[Pool]:
    """A pool of ``workers`` supervised workers (``executor``: ``local`` or ``ray``)."""
    if executor == "ray":
        backend: Backend = RayBackend(workers, context, memory_mb, ray_address)
    elif executor == "local":
        backend = LocalBackend(workers, context, memory_mb)
    else:
        raise ValueError(f"unknown executor {executor!r}: local or ray")
    try:
        yield Pool(backend)
    finally:
        backend.close()
