"""Atomic writers for the ingest outputs: a file appears whole or not at all."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from pipelines.records import RECORD_FIELDS


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    _atomic(path, write)


def write_text(path: Path, text: str) -> None:
    _atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def records_frame(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=list(RECORD_FIELDS))
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    frame["reasons"] = frame["reasons"].apply(lambda r: ";".join(r) if isinstance(r, list) else r)
    frame["bbox"] = frame["bbox"].apply(
        lambda b: " ".join(f"{x:g}" for x in b) if isinstance(b, list) else None)
    # a generic row's cells: one JSON text ([{"header": …, "text": …}, …]), null otherwise
    frame["cells"] = frame["cells"].apply(
        lambda c: json.dumps(c, ensure_ascii=False) if isinstance(c, list) else None)
    return frame


def write_tables(out_dir: Path, records: list[dict]) -> None:
    """records.jsonl, records.csv and records.parquet, each written atomically."""
    write_jsonl(out_dir / "records.jsonl", records)
    frame = records_frame(records)
    _atomic(out_dir / "records.csv", lambda tmp: frame.to_csv(tmp, index=False))
    _atomic(out_dir / "records.parquet", lambda tmp: frame.to_parquet(tmp, index=False))
