"""Batch ingest at scale (issue 11): documents per minute, peak memory of the whole process tree
at 100 and 1,000 documents, a no-op re-run, Ray against the local pool, and the hostile folder
against its good files alone. Every run is the CLI a user types, in a subprocess.

The mixed batch is made from a few reports rendered by ``bench/synth.py`` (one per catalog,
cached in ``bench/out/batch``), each input made distinct (its own "Số: N/BC" line, its own PDF
title): 60 % text dumps (every fourth in TCVN3 bytes), 39 % born-digital PDFs, 1 % scans (the
appendix's first page, degraded at 200 dpi, as an image-only PDF). Scans are few because OCR is
slow on 2 cores. Office files: 4 % Word files written with python-docx (the report's lines as
paragraphs, every other one typed in TCVN3 under a ``.VnTime`` font) and 1 % real legacy files
(Word 97, Excel 97, RTF from ``tests/data/office``, converted by LibreOffice).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import pymupdf

from bench import synth
from bench.hostile import make_hostile
from mapping.catalog import load_catalogs
from normalize.encodings import SLOPPY_1252, encode_legacy

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "out" / "batch"
SIZES = tuple(int(n) for n in os.environ.get("BENCH_BATCH_SIZES", "100,1000").split(","))
RAY_SIZE = min(SIZES)  # Ray against the local pool on the smallest batch
SCAN_EVERY, PDF_SHARE = 100, 0.39  # per 100: 1 scan, 39 PDFs, 4 Word, 1 legacy Office, texts
DOCX_SLOTS, LEGACY_SLOT = range(40, 44), 44
LEGACY = sorted((ROOT / "tests" / "data" / "office").iterdir())
GOOD_TEXT = ROOT / "data" / "samples" / "xa-binh-thanh-2025.txt"  # seed 002


def _bases() -> list[tuple[Path, str]]:
    """One rendered report per catalog: (its PDF, its text layer as a text dump)."""
    out = []
    for n, catalog in enumerate(load_catalogs()):
        doc = synth.generate(catalog.id, 500 + n, CACHE, ocr=False)
        with pymupdf.open(doc.pdf) as pdf:
            out.append((doc.pdf, "\n".join(page.get_text() for page in pdf)))
    return out


def _scan(pdf: Path, path: Path, rng: random.Random) -> None:
    """The appendix's first page (page 2: page 1 is the report's prose), scanned at 200 dpi."""
    with pymupdf.open(pdf) as doc:
        page = doc[1 if doc.page_count > 1 else 0]
        gray = synth.degrade(synth.render_page(page, 200), rng)
        rect = page.rect
    png = cv2.imencode(".png", gray)[1].tobytes()
    with pymupdf.open() as out:
        out.new_page(width=rect.width, height=rect.height).insert_image(rect, stream=png)
        out.save(path, deflate=True)


def make_batch(folder: Path, size: int) -> dict[str, int]:
    """``size`` distinct inputs in ``folder``; returns how many of each kind."""
    folder.mkdir(parents=True, exist_ok=True)
    bases = _bases()
    rng = random.Random(size)
    counts = {"text": 0, "pdf": 0, "scan": 0, "office": 0}
    for i in range(size):
        pdf, text = bases[i % len(bases)]
        slot = (i * 37) % SCAN_EVERY  # 37 is prime to 100: the kinds interleave
        if slot == SCAN_EVERY - 1:
            _scan(pdf, folder / f"{i:04d}-scan.pdf", rng)
            counts["scan"] += 1
        elif slot < PDF_SHARE * SCAN_EVERY:
            with pymupdf.open(pdf) as doc:
                doc.set_metadata({"title": f"Báo cáo số {i}/BC"})
                doc.save(folder / f"{i:04d}.pdf")
            counts["pdf"] += 1
        elif slot in DOCX_SLOTS:
            _docx(f"Số: {i}/BC-UBND\n{text}", folder / f"{i:04d}.docx", legacy=i % 2 == 0)
            counts["office"] += 1
        elif slot == LEGACY_SLOT:
            source = LEGACY[(i // SCAN_EVERY) % len(LEGACY)]
            shutil.copy(source, folder / f"{i:04d}{source.suffix}")
            counts["office"] += 1
        else:
            body = f"Số: {i}/BC-UBND\n{text}"
            data = encode_legacy(body, "tcvn3", errors="replace") if i % 4 == 0 \
                else body.encode("utf-8")
            (folder / f"{i:04d}.txt").write_bytes(data)
            counts["text"] += 1
    return counts


def _docx(text: str, path: Path, legacy: bool) -> None:
    """The report as a Word file, a paragraph per line; ``legacy``: typed in TCVN3 bytes under
    a ``.VnTime`` font, as Word 97 users wrote them."""
    import docx

    document = docx.Document()
    for line in text.splitlines():
        run = document.add_paragraph().add_run(
            encode_legacy(line, "tcvn3", errors="replace").decode(SLOPPY_1252)
            if legacy else line)
        if legacy:
            run.font.name = ".VnTime"
    document.save(path)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(proc.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _pss_mb(pids: list[int]) -> float:
    """Proportional set size of the processes together: pages shared by forked workers (the
    language model) count once, split among them."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def run_cli(args: list[str]) -> tuple[float, float, str]:
    """(seconds, peak PSS of the process tree in MB, stderr) of one ``vnextract ingest``."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "ingest", *args],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    peak = [0.0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _pss_mb(_descendants(proc.pid)))
            time.sleep(0.25)

    sampler = threading.Thread(target=sample)
    sampler.start()
    stderr = proc.communicate()[1]
    sampler.join()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"vnextract ingest failed: {stderr[-2000:]}")
    return time.perf_counter() - start, peak[0], stderr


def _pages(out: Path) -> int:
    import duckdb

    with duckdb.connect(str(out / "vnextract.duckdb"), read_only=True) as con:
        return con.execute("SELECT count(*) FROM pages").fetchone()[0]


def run() -> dict:
    result: dict = {"sizes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for size in SIZES:
            folder, out = tmp / f"in{size}", tmp / f"out{size}"
            start = time.perf_counter()
            counts = make_batch(folder, size)
            made = time.perf_counter() - start
            seconds, peak, _ = run_cli([str(folder), "--out", str(out)])
            noop, noop_peak, _ = run_cli([str(folder), "--out", str(out)])
            result["sizes"][size] = {
                "mix": counts, "generation_s": made, "seconds": seconds, "peak_mb": peak,
                "docs_per_min": size / seconds * 60, "pages": _pages(out),
                "records": sum(1 for _ in (out / "records.jsonl").open()),
                "noop_s": noop, "noop_peak_mb": noop_peak}
            if size == RAY_SIZE:
                local = result["sizes"][size]["seconds"]
                ray, ray_peak, _ = run_cli([str(folder), "--out", str(tmp / "ray"),
                                            "--executor", "ray"])
                same = all((tmp / "ray" / n).read_bytes() == (out / n).read_bytes()
                           for n in ("records.jsonl", "documents.jsonl"))
                result["ray"] = {"size": size, "local_s": local, "ray_s": ray,
                                 "ray_peak_mb": ray_peak, "speedup": local / ray, "same": same}
            shutil.rmtree(folder)
        result["hostile"] = _hostile(tmp)
    return result


def _hostile(tmp: Path) -> dict:
    folder = tmp / "hostile"
    expect = make_hostile(folder, GOOD_TEXT)
    shutil.copy(GOOD_TEXT, folder / "seed-002.txt")
    files = len(os.listdir(folder))
    good = tmp / "good"
    good.mkdir()
    for path in folder.iterdir():  # the same good files, in a folder of their own
        name = os.fsencode(path.name).decode("utf-8", "backslashreplace")
        if expect.get(name, "ok") == "ok":
            shutil.copy(path, good / f"good-{len(os.listdir(good))}{path.suffix}")
    good_s, _, _ = run_cli([str(good), "--out", str(tmp / "good-out")])
    all_s, peak, stderr = run_cli([str(folder), "--out", str(tmp / "hostile-out")])
    (folder / "one-line.txt").unlink()
    rest_s, _, _ = run_cli([str(folder), "--out", str(tmp / "rest-out")])
    return {"files": files, "good_files": len(os.listdir(good)),
            "good_s": good_s, "all_s": all_s, "ratio": all_s / good_s, "peak_mb": peak,
            "without_one_line_s": rest_s, "ratio_without_one_line": rest_s / good_s,
            "one_line_timed_out": "one-line.txt" in stderr and "timed out" in stderr}


def markdown(result: dict) -> str:
    lines = ["| documents | mix (text / PDF / scan / Office) | pages | records | time | documents "
             "per minute | peak memory (PSS, process tree) | no-op re-run |",
             "|---|---|---|---|---|---|---|---|"]
    for size, r in result["sizes"].items():
        mix = r["mix"]
        lines.append(f"| {size} | {mix['text']} / {mix['pdf']} / {mix['scan']} / "
                     f"{mix['office']} | {r['pages']} | {r['records']} | {r['seconds']:.0f} s | "
                     f"{r['docs_per_min']:.0f} | "
                     f"{r['peak_mb']:.0f} MB | {r['noop_s']:.1f} s |")
    out = "\n".join(lines) + "\n"
    if "ray" in result:
        ray = result["ray"]
        out += (f"\nRay (`--executor ray`, a local cluster started by the run) on the "
                f"{ray['size']}-document batch: {ray['ray_s']:.0f} s against {ray['local_s']:.0f}"
                f" s for the local pool: speed-up ×{ray['speedup']:.2f} (on one 2-core machine "
                f"Ray only adds its start-up and scheduling; it pays across machines). Outputs "
                f"identical to the local run: {'yes' if ray['same'] else 'NO'}. Peak memory "
                f"{ray['ray_peak_mb']:.0f} MB.\n")
    h = result["hostile"]
    out += (f"\nHostile folder ({h['files']} files, seed 002 among them; default limits): "
            f"{h['all_s']:.0f} s against {h['good_s']:.0f} s for its "
            f"{h['good_files']} good files alone: ×{h['ratio']:.2f} (target ≤ ×2). The 5 MB "
            f"one-line dump {'timed out' if h['one_line_timed_out'] else 'was read'}; without "
            f"it: {h['without_one_line_s']:.0f} s, ×{h['ratio_without_one_line']:.2f}. "
            f"Peak memory {h['peak_mb']:.0f} MB.\n")
    return out


if __name__ == "__main__":
    print(markdown(run()))
