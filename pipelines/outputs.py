"""The ingest outputs, each a view of the store, written atomically: a file appears whole or
not at all. Records are written a few thousand at a time, so memory stays flat however large
the batch. pandas and pyarrow are imported when records are written, not before: a re-run with
nothing to write does not pay for them."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.records import RECORD_FIELDS
from pipelines.store import FETCH_ROWS, REVIEW_FIELDS, Store

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

ARROW_TYPES = {"VARCHAR": "string", "BIGINT": "int64", "DOUBLE": "float64", "BOOLEAN": "bool_",
               "JSON": "string"}  # the store's column types → pyarrow's type constructors
# an exported record: the pipeline's fields, then its identity and its reviewers' corrections
EXPORT_FIELDS = (*RECORD_FIELDS, *REVIEW_FIELDS)


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


def remove_partial_files(out_dir: Path) -> None:
    """Temporaries left by a run that was killed while writing (``kill -9``)."""
    for folder in (out_dir, out_dir / "text"):
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def write_lines(path: Path, lines: Iterable[str]) -> None:
    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8") as fh:
            for line in lines:
                fh.write(line + "\n")
    _atomic(path, write)


def write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    write_lines(path, (json.dumps(row, ensure_ascii=False) for row in rows))


def write_text(path: Path, text: str) -> None:
    _atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def records_frame(records: list[dict]) -> pd.DataFrame:
    """Records as a flat table: reasons joined by ``;``, the box as ``x0 y0 x1 y1``, any other
    structured field (a list, a table of cells) as JSON text."""
    import pandas as pd

    frame = pd.DataFrame(records, columns=list(EXPORT_FIELDS))
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    frame["reasons"] = frame["reasons"].apply(lambda r: ";".join(r) if isinstance(r, list) else r)
    frame["bbox"] = frame["bbox"].apply(
        lambda b: " ".join(f"{x:g}" for x in b) if isinstance(b, list) else None)
    for name in frame.columns:
        if frame[name].map(lambda v: isinstance(v, list | dict)).any():
            frame[name] = frame[name].map(
                lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v)
    return frame


def _chunks(items: Iterable[str], size: int) -> Iterable[list[str]]:
    items = iter(items)
    while chunk := list(islice(items, size)):
        yield chunk


def records_schema(columns: dict[str, str]) -> pa.Schema:
    """The Parquet columns: the store's column types (a field it does not know: text)."""
    import pyarrow as pa

    columns = {**columns, **REVIEW_FIELDS}
    return pa.schema([(name, getattr(pa, ARROW_TYPES.get(columns.get(name, "JSON"),
                                                         "string"))())
                      for name in EXPORT_FIELDS])


def write_records(out_dir: Path, lines: Iterable[str], schema: pa.Schema) -> None:
    """records.jsonl, records.csv and records.parquet in one pass over the records, each
    replaced atomically once all three are whole."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = ("records.jsonl", "records.csv", "records.parquet")
    tmps = {}
    for name in names:
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".tmp")
        os.close(fd)
        tmps[name] = Path(tmp)
    try:
        with tmps["records.jsonl"].open("w", encoding="utf-8") as jsonl, \
                tmps["records.csv"].open("w", encoding="utf-8", newline="") as csv, \
                pq.ParquetWriter(tmps["records.parquet"], schema) as parquet:
            header = True
            for chunk in _chunks(lines, FETCH_ROWS):
                jsonl.writelines(line + "\n" for line in chunk)
                frame = records_frame([json.loads(line) for line in chunk])
                frame.to_csv(csv, index=False, header=header)
                parquet.write_table(pa.Table.from_pandas(frame, schema, preserve_index=False))
                header = False
            if header:  # no record: the files still have their columns
                frame = records_frame([])
                frame.to_csv(csv, index=False)
                parquet.write_table(pa.Table.from_pandas(frame, schema, preserve_index=False))
        for name in names:
            os.replace(tmps[name], out_dir / name)
    finally:
        for tmp in tmps.values():
            tmp.unlink(missing_ok=True)


def export(store: Store, out_dir: Path) -> None:
    """Write every output from the store: records.{jsonl,csv,parquet} (reviewers' corrections
    applied), documents.jsonl and text/. Skipped when nothing was committed or corrected since
    the last export and the files are there (a re-run with nothing to do)."""
    generation = store.generation()
    outputs = [out_dir / n for n in ("records.jsonl", "records.csv", "records.parquet",
                                     "documents.jsonl")]
    if generation == store.generation("exported") and all(p.exists() for p in outputs):
        return
    write_records(out_dir, store.reviewed_lines(), records_schema(store.columns["records"]))
    write_lines(out_dir / "documents.jsonl", store.document_lines())
    for name, text in store.texts():
        write_text(out_dir / "text" / f"{name}.txt", text)
    store.set_exported(generation)
