"""``vnextract audit``: the audit page, opened in headless Chromium (Debian's chromium and
chromium-driver, driven by Selenium) with the network cut off, on a real batch ingested through
the CLI: seeds 001 (an OCR dump) and 002 (text) and a degraded scan of a generated report's
table page."""

from __future__ import annotations

import ast
import json
import re
import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path

import duckdb
import pymupdf
import pytest

from pipelines.audit import REASONS_PATH, RELIABILITY_PATH
from pipelines.records import HARD_REASONS
from tests.conftest import ROOT, SAMPLES
from tests.test_cli_ingest import OCR_SAMPLE, PDF_TEXT_SAMPLE, run_cli

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
REASON_CODE = re.compile(r"^[a-z]+(?:-[a-z0-9]+)+$")


def emitted_reason_codes() -> set[str]:
    """Every reason code the pipeline's code can put on a record: the string constants that
    extract/, mapping/ and pipelines/ append to (or remove from) a list of reasons or doubts,
    pass as a ``reasons`` argument, give a ``"reasons"`` key, loop over as ``reason`` or list
    in a ``*_REASONS`` set."""
    found: set[str] = set()
    for folder in ("extract", "mapping", "pipelines"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                sources: list[ast.AST] = []
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                        node.func.attr in ("append", "extend", "remove") and \
                        re.search(r"reason|doubt", ast.unparse(node.func.value)):
                    sources += node.args
                elif isinstance(node, ast.keyword) and "reason" in (node.arg or ""):
                    sources.append(node.value)
                elif isinstance(node, ast.Assign) and any(
                        "REASONS" in ast.unparse(t) for t in node.targets):
                    sources.append(node.value)
                elif isinstance(node, ast.Dict):
                    sources += [v for k, v in zip(node.keys, node.values, strict=True)
                                if isinstance(k, ast.Constant) and k.value == "reasons"]
                elif isinstance(node, ast.For) and "reason" in ast.unparse(node.target):
                    sources.append(node.iter)
                found |= {c.value for src in sources for c in ast.walk(src)
                          if isinstance(c, ast.Constant) and isinstance(c.value, str)
                          and REASON_CODE.match(c.value)}
    return found


def test_every_reason_code_the_code_emits_is_explained_in_vietnamese_and_english():
    codes = emitted_reason_codes()
    # the scan finds what it must: every hard reason, and reasons set outside records.py
    assert HARD_REASONS <= codes
    assert {"period-columns-uncertain", "value-cell-noise", "value-note-adjacent",
            "label-from-order", "arithmetic-consistent"} <= codes
    texts = json.loads(REASONS_PATH.read_text(encoding="utf-8"))
    assert sorted(codes - texts.keys()) == []  # a code the page could not explain
    assert sorted(texts.keys() - codes) == []  # an entry no code emits any more
    for code, text in texts.items():
        assert set(text) == {"vi", "en"}, code
        assert text["vi"].strip() and text["en"].strip(), code
        # Vietnamese, with its marks: not the English text again
        assert re.search(r"[ăâđêôơưáàảãạ]", text["vi"].lower()) and text["vi"] != text["en"]


def test_reliability_bins_come_from_the_calibration_bench():
    data = json.loads(RELIABILITY_PATH.read_text(encoding="utf-8"))
    assert data["records"] == sum(b["records"] for b in data["bins"]) > 1000
    assert "held-out" in data["sets"] and re.match(r"\d{4}-\d\d-\d\d$", data["measured"])
    for b in data["bins"]:
        assert 0 <= b["lo"] < b["hi"] <= 1 and 0 <= b["right"] <= 1
        assert b["lo"] <= b["confidence"] <= b["hi"]


def test_audit_of_a_folder_without_store_says_so(tmp_path):
    result = run_cli("audit", str(tmp_path))
    assert result.returncode == 1
    assert "holds no store (vnextract.duckdb)" in result.stderr
    assert "vnextract ingest" in result.stderr
    assert not (tmp_path / "audit.html").exists()


@pytest.fixture(scope="module")
def audited(tmp_path_factory) -> Path:
    """A batch of seed 001's OCR dump, seed 002's text and a scanned table page, ingested and
    audited
    through the CLI."""
    import random

    from bench.scans import scan_of
    from bench.synth import fill_catalog, render_pdf
    from mapping.catalog import get_catalog

    tmp = tmp_path_factory.mktemp("audit")
    catalog = get_catalog("tn2025.pl1")
    born = tmp / "born.pdf"
    # its rates printed as 135 %: each is out of range and off its numerator / denominator,
    # so the scan has rows to review whatever OCR makes of the rest
    rows = [replace(r, value=135, value_raw="135") if r.kind == "rate" else r
            for r in fill_catalog(catalog, random.Random(11))]
    render_pdf(rows, catalog, born)
    table_page = tmp / "bao-cao-phu-luc.pdf"
    with pymupdf.open(born) as src, pymupdf.open() as one:
        one.insert_pdf(src, from_page=1, to_page=1)  # the first page of the table
        one.save(table_page)
    inputs = tmp / "in"
    inputs.mkdir()
    shutil.copy(scan_of(table_page, 12), inputs / "bao-cao-phu-luc-scan.pdf")
    for name in (OCR_SAMPLE, PDF_TEXT_SAMPLE):
        shutil.copy(SAMPLES / f"{name}.txt", inputs)
    (inputs / "hong.pdf").write_bytes(b"%PDF-1.4\n1 0 obj broken")  # a damaged file
    out = tmp / "out"
    result = run_cli("ingest", str(inputs), "--out", str(out))
    assert result.returncode == 0, result.stderr
    result = run_cli("audit", str(out))
    assert result.returncode == 0, result.stderr
    assert "audit.html" in result.stderr
    return out


def _flagged(out: Path) -> list[tuple[str, str, list[str], str | None]]:
    """(record_id, source, reasons, catalog) of each record the store flags, worst first."""
    with duckdb.connect(str(out / "vnextract.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT record_id, source, reasons, catalog FROM records "
                           "WHERE needs_review ORDER BY confidence, input, seq").fetchall()
    return [(rid, source, json.loads(reasons), catalog) for rid, source, reasons, catalog in rows]


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("chromium and chromium-driver are not installed (make system-packages)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # no network: every host name fails to resolve, every request goes to a dead proxy
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,2000",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
                "--proxy-server=http://127.0.0.1:9", "--disable-background-networking"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _visible_ids(driver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('tr.record')].filter(r => !r.hidden)"
        ".map(r => r.dataset.recordId)")


def _choose(driver, select_id: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, select_id)).select_by_value(value)


@pytest.mark.slow
def test_audit_page_in_headless_chromium(audited, browser, tmp_path):
    from selenium.webdriver.common.by import By

    page = audited / "audit.html"
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)  # nothing to fetch
    flagged = _flagged(audited)
    sources = {source for _, source, _, _ in flagged}
    assert sources == {f"{OCR_SAMPLE}.txt", f"{PDF_TEXT_SAMPLE}.txt", "bao-cao-phu-luc-scan.pdf"}
    browser.get(page.as_uri())

    # every flagged record of the batch, worst first, with the same identities
    assert _visible_ids(browser) == [rid for rid, _, _, _ in flagged]
    assert browser.find_element(By.ID, "shown").text == str(len(flagged))

    # filter by document: the scan's records only
    scan_anchor = browser.execute_script(
        "return [...document.querySelectorAll('#filter-document option')]"
        ".find(o => o.text === 'bao-cao-phu-luc-scan.pdf').value")
    _choose(browser, "filter-document", scan_anchor)
    expected = [rid for rid, source, _, _ in flagged if source == "bao-cao-phu-luc-scan.pdf"]
    assert 0 < len(expected) < len(flagged)
    assert _visible_ids(browser) == expected
    assert browser.find_element(By.ID, "shown").text == str(len(expected))
    # the scan's rows carry a crop of the page image, decoded by the browser
    crops = browser.execute_script(
        "return [...document.querySelectorAll('tr.record:not([hidden]) img.crop')]"
        ".map(i => [i.src.slice(0, 23), i.naturalWidth, i.naturalHeight])")
    assert crops and all(src == "data:image/jpeg;base64," and w > 300 and 15 < h < 120
                         for src, w, h in crops)

    # then by reason, over the whole batch: the batch's most frequent reason
    _choose(browser, "filter-document", "")
    reason, _ = Counter(r for _, _, reasons, _ in flagged for r in reasons).most_common(1)[0]
    _choose(browser, "filter-reason", reason)
    expected = [rid for rid, _, reasons, _ in flagged if reason in reasons]
    assert _visible_ids(browser) == expected
    texts = json.loads(REASONS_PATH.read_text(encoding="utf-8"))[reason]
    row = browser.find_element(By.ID, f"r-{expected[0]}").text
    assert texts["vi"] in row and texts["en"] in row
    # by catalog: seed 002's Phụ lục II only
    _choose(browser, "filter-reason", "")
    _choose(browser, "filter-catalog", "tn2025.pl2")
    expected = [rid for rid, _, _, c in flagged if c == "tn2025.pl2"]
    assert 0 < len(expected) < len(flagged)
    assert _visible_ids(browser) == expected
    _choose(browser, "filter-catalog", "")
    assert len(_visible_ids(browser)) == len(flagged)

    # the two charts, drawn inline: reliability bins from the bench, the batch's histogram
    bins = browser.execute_script(
        "return document.querySelectorAll('svg#reliability rect.bin').length")
    reliability = json.loads(RELIABILITY_PATH.read_text(encoding="utf-8"))
    assert bins == len(reliability["bins"])
    assert browser.execute_script(
        "return document.querySelectorAll('svg#histogram rect.bin').length") == 10
    assert "bench/calibration.py" in browser.find_element(By.TAG_NAME, "body").text

    # each document: how its pages were read, its metadata
    scan = browser.find_element(By.CSS_SELECTOR, f"section#{scan_anchor}").get_attribute(
        "textContent")
    assert "ocr — no text layer over a page image" in scan
    seed = browser.execute_script(
        "return [...document.querySelectorAll('section.document')].find(s => "
        f"s.querySelector('h3').textContent === '{OCR_SAMPLE}.txt').textContent")
    assert "432/BC-SDT&TG" in seed and "2025-04-29" in seed
    # a file that could not be read: its error, in its failed checks
    broken = browser.find_element(By.CSS_SELECTOR, "section.document.error")
    assert broken.find_element(By.TAG_NAME, "h3").text == "hong.pdf"
    assert "error: " in broken.find_element(By.CSS_SELECTOR, "ul.checks").text
    assert "hong.pdf" in broken.find_element(By.CSS_SELECTOR, "ul.checks").text

    # nothing left the page: every resource it loaded is the file itself or inline data
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(name.startswith(("data:", "file:")) for name in resources), resources
    shot = tmp_path / "audit.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
