"""Supervised workers: real worker processes, jobs that hang, crash, or eat memory."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass

from pipelines.executors import Failed, Task, death_message, open_pool


@dataclass(frozen=True)
class Sleep:
    seconds: float

    def run(self, context) -> str:
        time.sleep(self.seconds)
        return f"slept {self.seconds}"


@dataclass(frozen=True)
class Die:
    sig: int

    def run(self, context) -> str:
        os.kill(os.getpid(), self.sig)
        time.sleep(10)
        return "unreachable"


@dataclass(frozen=True)
class Allocate:
    megabytes: int

    def run(self, context) -> int:
        return len(bytearray(self.megabytes * 1024 * 1024))


@dataclass(frozen=True)
class Raise:
    def run(self, context) -> None:
        raise ValueError("bad cell")


@dataclass(frozen=True)
class Pid:
    def run(self, context) -> tuple[int, object]:
        return os.getpid(), context


def run_all(tasks: list[Task], workers: int = 2, memory_mb: int | None = None) -> dict:
    queue = list(tasks)
    done: dict = {}
    with open_pool(workers, context="ctx", memory_mb=memory_mb) as pool:
        pool.run(lambda: queue.pop(0) if queue else None,
                 lambda task, outcome: done.__setitem__(task.key, outcome))
    return done


def test_a_hung_job_is_killed_and_the_batch_goes_on():
    start = time.monotonic()
    done = run_all([Task("hang", Sleep(60), timeout=1.0), Task("a", Sleep(0.1), 30),
                    Task("b", Sleep(0.1), 30), Task("c", Pid(), 30)], workers=1)
    assert time.monotonic() - start < 30
    assert done["hang"] == Failed("timed out after 1 s", timed_out=True)
    assert done["a"] == "slept 0.1" and done["b"] == "slept 0.1"
    assert done["c"][1] == "ctx"  # the replacement worker has the batch's context too


def test_a_worker_that_dies_is_replaced():
    done = run_all([Task("kill", Die(signal.SIGKILL), 30), Task("segv", Die(signal.SIGSEGV), 30),
                    Task("after", Sleep(0), 30)], workers=1)
    assert done["kill"] == Failed("worker died of SIGKILL (killed: out of memory?)")
    assert done["segv"].message.startswith("worker died of SIGSEGV")
    assert done["after"] == "slept 0"


def test_memory_limit_and_exceptions_are_outcomes():
    done = run_all([Task("big", Allocate(2048), 30), Task("small", Allocate(16), 30),
                    Task("raise", Raise(), 30)], workers=1, memory_mb=256)
    assert done["big"].message.startswith("out of memory: needs more than the 256 MB")
    assert done["small"] == 16 * 1024 * 1024
    assert done["raise"] == Failed("ValueError: bad cell")


def test_jobs_spread_over_workers():
    done = run_all([Task(i, Pid(), 30) for i in range(6)], workers=2)
    assert len({pid for pid, _ in done.values()}) == 2


def test_death_messages():
    assert death_message(-signal.SIGKILL) == "worker died of SIGKILL (killed: out of memory?)"
    assert death_message(3) == "worker exited with code 3"
