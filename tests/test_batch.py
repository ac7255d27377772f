"""The batch and its store, end to end: re-runs, kill -9, time limits, DuckDB queries."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pymupdf
import pytest

from pipelines.batch import record_identity
from pipelines.ingest import ingest
from pipelines.store import STORE_NAME, Committed, InputFile, Store, columns_of
from tests.conftest import ROOT, SAMPLES

CLI = [sys.executable, "-m", "pipelines.cli", "ingest"]
GOOD = SAMPLES / "xa-binh-thanh-2025.txt"
OUTPUTS = ("records.jsonl", "records.csv", "records.parquet", "documents.jsonl")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT)


def outputs(out: Path) -> dict[str, bytes]:
    files = [out / n for n in OUTPUTS] + sorted((out / "text").glob("*"))
    return {str(p.relative_to(out)): p.read_bytes() for p in files}


def copies(folder: Path, names: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / name for name in names]
    for path in paths:
        shutil.copy(GOOD, path)
    return paths


def test_rerun_skips_unchanged_inputs_and_never_duplicates(tmp_path):
    a, b = copies(tmp_path / "in", ["a.txt", "b.txt"])
    out = tmp_path / "out"
    first = run_cli(str(tmp_path / "in"), "--out", str(out))
    assert first.returncode == 0, first.stderr
    before = outputs(out)
    again = run_cli(str(tmp_path / "in"), "--out", str(out))
    assert "2 of 2 inputs unchanged since they were read: skipped" in again.stderr
    assert outputs(out) == before
    records = len(before["records.jsonl"].splitlines())
    assert records == 2 * 135
    b.write_text(GOOD.read_text(encoding="utf-8") + "\nGhi chú: bản sửa\n", encoding="utf-8")
    changed = run_cli(str(tmp_path / "in"), "--out", str(out))
    assert "1 of 2 inputs unchanged" in changed.stderr
    assert len((out / "records.jsonl").read_text().splitlines()) == records  # replaced
    with duckdb.connect(str(out / STORE_NAME), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 2
        assert con.execute("SELECT count(DISTINCT record_id) FROM records").fetchone()[0] \
            == records  # b's new content: new identities; a's kept
        assert con.execute("SELECT max(run), count(*) FROM runs").fetchone() == (3, 3)


def test_failed_inputs_are_read_again(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    late = folder / "late.txt"
    late.write_text("")
    out = tmp_path / "out"
    run_cli(str(GOOD), str(late), "--out", str(out))
    shutil.copy(GOOD, late)  # the file arrives whole
    second = run_cli(str(GOOD), str(late), "--out", str(out))
    assert "1 of 2 inputs unchanged" in second.stderr
    docs = [json.loads(x) for x in (out / "documents.jsonl").read_text().splitlines()]
    assert [d["status"] for d in docs] == ["ok", "ok"]


def test_kill_9_then_rerun_gives_the_outputs_of_an_uninterrupted_run(tmp_path):
    """Inputs run one at a time in path order; the empty one's error line says that the two
    before it are committed: the batch is killed there, while the next one is being read."""
    names = ["a.txt", "b.txt", "c-empty.txt", "d.txt", "e.txt"]
    inputs = copies(tmp_path / "in", [n for n in names if "empty" not in n])
    (tmp_path / "in" / "c-empty.txt").write_text("")
    whole = tmp_path / "whole"
    assert run_cli(str(tmp_path / "in"), "--out", str(whole), "--workers", "1").returncode == 0

    killed = tmp_path / "killed"
    proc = subprocess.Popen([*CLI, str(tmp_path / "in"), "--out", str(killed), "--workers",
                             "1"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "c-empty.txt" in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (killed / "records.jsonl").exists()  # killed before the outputs were written
    rerun = run_cli(str(tmp_path / "in"), "--out", str(killed), "--workers", "1")
    assert rerun.returncode == 0
    assert "2 of 5 inputs unchanged" in rerun.stderr  # a and b were kept; c failed: again
    assert outputs(killed) == outputs(whole)
    assert len(inputs) == 4


@dataclass
class Hangs:
    """An OCR engine that never answers (a hung Tesseract)."""

    name: str = "hangs"

    def recognize(self, image_png, lang="vie", digits=False):
        time.sleep(600)

    def recognize_regions(self, image, rects, lang="vie", digits=False):
        time.sleep(600)

    def recognize_page(self, image, lang="vie"):
        time.sleep(600)


def test_a_hung_page_times_out_and_the_batch_goes_on(tmp_path):
    scan = tmp_path / "scan.png"
    pix = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 600, 400), False)
    pix.clear_with(255)
    pix.save(scan)
    start = time.monotonic()
    statuses = ingest([scan, GOOD], tmp_path / "out", engine=Hangs(), workers=2,
                      page_timeout=3)
    assert time.monotonic() - start < 60
    by_name = {s.source: s for s in statuses}
    assert by_name["scan.png"].status == "error"
    assert "page 1: timed out after 3 s (--page-timeout)" in by_name["scan.png"].message
    assert by_name[GOOD.name].status == "ok" and by_name[GOOD.name].records == 135


@dataclass
class Status:
    source: str
    status: str
    records: int = 0
    quality: float | None = None
    value: float | int | None = None
    flagged: bool = False
    catalogs: list[str] = field(default_factory=list)


@dataclass
class StatusWithMeta(Status):
    title: str | None = None  # a field another engineer adds later


@dataclass
class Row:
    indicator_id: str | None
    value: float | None


def _item(key: str, sha: str) -> InputFile:
    return InputFile(Path(key), key, Path(key).name, 10, 1, sha)


def test_store_columns_follow_the_dataclasses_and_commits_replace(tmp_path):
    assert columns_of(Status) == {"source": "VARCHAR", "status": "VARCHAR", "records": "BIGINT",
                                  "quality": "DOUBLE", "value": "DOUBLE", "flagged": "BOOLEAN",
                                  "catalogs": "JSON"}
    identity = lambda r: (r["indicator_id"],)  # noqa: E731
    with Store.open(tmp_path, document=Status, page=Row, record=Row,
                    record_identity=identity) as store:
        run = store.begin_run("{}", 1)
        rows = [{"indicator_id": "x/1", "value": 1}, {"indicator_id": "x/1", "value": 2.5}]
        store.commit(Committed(_item("/a.txt", "aa"), "{}", {"source": "a.txt", "status": "ok",
                                                             "catalogs": ["x"]},
                               rows, [], "text", 0.1), run)
        store.commit(Committed(_item("/a.txt", "aa"), "{}", {"source": "a.txt", "status": "ok"},
                               rows, [], None, 0.1), run)
        ids = [r[0] for r in store.con.execute("SELECT record_id FROM records ORDER BY seq")
               .fetchall()]
        assert len(ids) == 2 and len(set(ids)) == 2  # the same identity twice: numbered
        assert store.record_ids("aa", rows) == ids  # stable
        assert store.record_ids("bb", rows)[0] != ids[0]  # another content: another identity
        assert list(store.record_lines()) == ['{"indicator_id": "x/1", "value": 1}',
                                              '{"indicator_id": "x/1", "value": 2.5}']
        assert list(store.texts()) == []  # the second commit replaced the first
    with Store.open(tmp_path, document=StatusWithMeta, page=Row, record=Row,
                    record_identity=identity) as store:
        store.commit(Committed(_item("/b.txt", "bb"), "{}", {"source": "b.txt", "status": "ok",
                                                             "title": "Báo cáo"},
                               [], [], None, 0.1), 2)
        assert store.con.execute("SELECT source, title FROM documents ORDER BY input")\
            .fetchall() == [("a.txt", None), ("b.txt", "Báo cáo")]


def test_record_identity_is_the_catalog_row_or_the_printed_row():
    matched = {"catalog": "tn2025.pl2", "indicator_id": "tn2025.pl2/1.1", "period": "2025",
               "page": 3, "line": 9}
    assert record_identity(matched) == record_identity({**matched, "page": 4, "line": 2})
    printed = {"indicator_id": None, "page": 1, "row_label_raw": "1.", "description_raw": "Cây",
               "period": None}
    assert record_identity(printed) != record_identity({**printed, "description_raw": "Km"})


def test_analyst_queries_the_store(tmp_path):
    out = tmp_path / "out"
    assert run_cli(str(GOOD), str(SAMPLES / "so-dan-toc-thai-nguyen-432-2025.txt"),
                   "--out", str(out)).returncode == 0
    rows = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    with duckdb.connect(str(out / STORE_NAME), read_only=True) as con:
        by_catalog = dict(con.execute(
            "SELECT catalog, count(*) FROM records WHERE catalog IS NOT NULL GROUP BY catalog")
            .fetchall())
        value = con.execute("SELECT value FROM records WHERE indicator_id = 'tn2025.pl2/6.1'")\
            .fetchone()[0]
        kinds = con.execute("SELECT source, kind, status FROM documents ORDER BY source")\
            .fetchall()
        pages = con.execute("SELECT input, number, source FROM pages ORDER BY input").fetchall()
    assert by_catalog == {c: sum(r["catalog"] == c for r in rows)
                          for c in ("tn2025.pl1", "tn2025.pl2")}
    assert value == pytest.approx(98.37)
    assert kinds == [("so-dan-toc-thai-nguyen-432-2025.txt", "text-ocr", "ok"),
                     ("xa-binh-thanh-2025.txt", "text", "ok")]
    assert [(Path(p[0]).name, p[1], p[2]) for p in pages] == [
        ("so-dan-toc-thai-nguyen-432-2025.txt", 1, "text"), ("xa-binh-thanh-2025.txt", 1, "text")]


def test_outputs_are_sorted_by_input_path_not_by_finish(tmp_path):
    paths = copies(tmp_path / "in", ["z.txt", "m.txt", "a.txt"])
    run_cli(*map(str, paths), "--out", str(tmp_path / "out"))
    docs = [json.loads(x)["source"] for x in
            (tmp_path / "out" / "documents.jsonl").read_text().splitlines()]
    assert docs == ["a.txt", "m.txt", "z.txt"]
    assert sorted(os.listdir(tmp_path / "out" / "text")) == ["a.txt.txt", "m.txt.txt",
                                                              "z.txt.txt"]


def test_a_folder_named_through_dot_dot_is_walked(tmp_path, monkeypatch):
    """``vnextract ingest ../shared/real/office``: the ``..`` of the path is no hidden folder;
    hidden files and folders inside the walked folder are still skipped."""
    from pipelines.ingest import expand_paths

    (tmp_path / "in" / ".cache").mkdir(parents=True)
    (tmp_path / "work").mkdir()
    for name in ("b.doc", "a.txt", ".hidden.txt", ".cache/c.txt"):
        (tmp_path / "in" / name).write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "work")
    assert expand_paths([Path("../in")]) == [Path("../in/a.txt"), Path("../in/b.doc")]
