"""``--executor ray`` on a real local Ray cluster: the same outputs as the local pool, the same
supervision, and no Ray process left behind."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.executors import Failed, Task, open_pool
from tests.conftest import ROOT, SAMPLES
from tests.test_executors import Pid, Sleep

CLI = [sys.executable, "-m", "pipelines.cli", "ingest"]
RAY_DAEMONS = ("raylet", "gcs_server")


def ray_processes() -> set[int]:
    """Ray's daemons now running (pids), read from /proc."""
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        if Path(cmdline).name in RAY_DAEMONS:
            found.add(int(proc.name))
    return found


def gone(before: set[int], seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while ray_processes() - before:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


@pytest.mark.slow
def test_ray_executor_gives_the_local_outputs(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    inputs = [str(SAMPLES / "xa-binh-thanh-2025.txt"),
              str(SAMPLES / "so-dan-toc-thai-nguyen-432-2025.txt"), str(empty)]
    before = ray_processes()
    local = subprocess.run([*CLI, *inputs, "--out", str(tmp_path / "local")],
                           capture_output=True, text=True, cwd=ROOT)
    ray = subprocess.run([*CLI, *inputs, "--out", str(tmp_path / "ray"), "--executor", "ray",
                          "--workers", "2"], capture_output=True, text=True, cwd=ROOT)
    assert local.returncode == 0 and ray.returncode == 0, ray.stderr
    for name in ("records.jsonl", "records.csv", "records.parquet", "documents.jsonl",
                 "text/xa-binh-thanh-2025.txt.txt"):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    assert gone(before), "Ray processes left behind"


@pytest.mark.slow
def test_ray_tasks_time_out_and_the_pool_goes_on():
    before = ray_processes()
    queue = [Task("hang", Sleep(60), 3.0), Task("a", Pid(), 60), Task("b", Sleep(0), 60)]
    done = {}
    with open_pool(2, "ctx", 1024, executor="ray") as pool:
        pool.run(lambda: queue.pop(0) if queue else None,
                 lambda task, outcome: done.__setitem__(task.key, outcome))
    assert done["hang"] == Failed("timed out after 3 s", timed_out=True)
    assert done["a"][1] == "ctx" and done["b"] == "slept 0"
    assert gone(before), "Ray processes left behind"
