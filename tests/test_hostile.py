"""A folder of hostile inputs beside good ones: every input gets a status a user can act on,
and the good files' records are those they give alone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.hostile import make_hostile
from tests.conftest import ROOT, SAMPLES

CLI = [sys.executable, "-m", "pipelines.cli", "ingest"]
GOOD = SAMPLES / "xa-binh-thanh-2025.txt"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT)


def documents(out: Path) -> dict[str, dict]:
    return {d["source"]: d for d in map(json.loads,
                                         (out / "documents.jsonl").read_text().splitlines())}


def records(out: Path) -> dict[str, list[dict]]:
    by_source: dict[str, list[dict]] = {}
    for line in (out / "records.jsonl").read_text().splitlines():
        record = json.loads(line)
        record.pop("record_id")  # an identity of the file's content: another file, another id
        by_source.setdefault(record.pop("source"), []).append(record)
    return by_source


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("hostile")
    return folder, make_hostile(folder, GOOD)


@pytest.mark.slow
def test_every_hostile_input_gets_a_status_and_good_files_their_records(hostile, tmp_path):
    folder, expect = hostile
    out = tmp_path / "out"
    result = run_cli(str(folder), "--out", str(out), "--timeout", "10", "--page-timeout", "20")
    assert result.returncode == 0, result.stderr
    docs = documents(out)
    assert set(docs) == set(expect)
    for name, outcome in expect.items():
        doc = docs[name]
        if outcome == "ok":
            assert doc["status"] == "ok" and doc["records"] > 100, (name, doc["message"])
        elif outcome == "ok-or-timeout":  # slow until repair is linear-time
            assert doc["status"] == "ok" or "timed out after 10 s (--timeout)" in doc["message"]
        else:
            assert doc["status"] == "error" and outcome in doc["message"], (name, doc)
            assert doc["message"].startswith(str(folder / name))
    assert docs["nul-bytes.txt"]["encoding_fixes"] >= 1
    assert docs["blank-300-pages.pdf"]["kind"] == "pdf"
    assert "to review" in result.stderr  # the summary table

    alone = tmp_path / "alone"
    shutil.copy(GOOD, tmp_path / GOOD.name)
    assert run_cli(str(folder / "report.pdf"), str(tmp_path / GOOD.name), "--out",
                   str(alone)).returncode == 0
    good = records(alone)
    got = records(out)
    for name in ("nul-bytes.txt", "report-really-text.pdf", "b\\xe1o-c\\xe1o-cp1258-name.txt"):
        assert got[name] == good[GOOD.name], name
    assert got["scan-really-pdf.txt"] == got["report.pdf"] == good["report.pdf"]
    assert (out / "text" / "b\\xe1o-c\\xe1o-cp1258-name.txt.txt").is_file()


@pytest.mark.slow
def test_encrypted_pdf_opens_with_its_password(hostile, tmp_path):
    folder, _ = hostile
    wrong = run_cli(str(folder / "encrypted.pdf"), "--out", str(tmp_path / "w"),
                    "--password", "sai")
    assert wrong.returncode == 1 and "does not open it" in wrong.stderr
    right = run_cli(str(folder / "encrypted.pdf"), str(folder / "report.pdf"),
                    "--out", str(tmp_path / "r"), "--password", "mật-khẩu")
    assert right.returncode == 0, right.stderr
    got = records(tmp_path / "r")
    assert len(got["encrypted.pdf"]) > 100 and got["encrypted.pdf"] == got["report.pdf"]
