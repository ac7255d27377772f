"""The batch's store: one DuckDB file, ``OUT/vnextract.duckdb``, written by the main process only.

Each finished document is committed at once, in one transaction, with its pages, records and
repaired text; a batch that is killed loses at most the documents still being read, and a
re-run skips what the store already holds. Every output file is a view of the store
(``pipelines.outputs.export``).

Tables (an analyst may query them with DuckDB directly; see the README):

- ``documents``: one row per input (``input`` is its absolute path), its content hash, the
  settings it was read with, and a column per field of the pipeline's document status;
- ``pages``: one row per page of each input (``input``, then the page's fields);
- ``records``: one row per record (``input``, ``seq`` — its place in the document —,
  ``record_id`` — a stable identity, see below —, then a column per record field);
- ``texts``: each input's repaired text; ``runs``: each run's settings and counts (an ingest, or
  a ``review apply``); ``meta``: the store's own bookkeeping;
- ``corrections``: reviewers' corrections (``pipelines.review``), one row per field set, keyed
  by ``record_id``, never touched by an ingest: the latest for a record's field is applied when
  records are exported, the older ones are kept as history.

The columns follow the dataclasses' fields (``str`` → VARCHAR, ``int`` → BIGINT, ``float`` →
DOUBLE, ``bool`` → BOOLEAN, anything else → JSON), and a field added to a dataclass becomes a
column the next time the store is opened: the store never needs to know them. Each row also
keeps, in ``data``, the exact JSON object the pipeline made, which the exports write out.

``record_id`` is a hash of the input's content hash and the record's identity (given by the
caller: for an indicator record its catalog, indicator and period), numbered when a document
holds the same identity twice. It survives re-runs and changes when the file's content does, so
a table of corrections keyed by it can never be applied to values read from another file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

STORE_NAME = "vnextract.duckdb"
# DuckDB's buffer pool may otherwise grow to most of the machine's memory as the store grows;
# past this it spills to disk, so the main process stays small however large the batch
STORE_MEMORY = "512MB"
FETCH_ROWS = 5000  # rows fetched at a time by the exports: memory stays flat as batches grow


# the corrections table (see the module's docstring); ``typed``: the cell as the reviewer left it
CORRECTION_COLUMNS = {
    "seq": "BIGINT", "record_id": "VARCHAR", "input": "VARCHAR", "field": "VARCHAR",
    "original": "JSON", "corrected": "JSON", "typed": "VARCHAR", "corrected_by": "VARCHAR",
    "corrected_at": "VARCHAR", "workbook": "VARCHAR", "sheet": "VARCHAR", "sheet_row": "BIGINT",
    "note": "VARCHAR", "run": "BIGINT", "applied_at": "VARCHAR",
}
# what an exported record adds to the pipeline's fields, with the store's types
REVIEW_FIELDS = {"record_id": "VARCHAR", "corrected": "BOOLEAN", "original": "JSON",
                 "corrected_by": "VARCHAR", "corrected_at": "VARCHAR"}


def with_corrections(record: dict, record_id: str,
                     fixes: dict[str, tuple[Any, str, str]] | None) -> dict:
    """The record as exported: its ``record_id``; where reviewers corrected it, the corrected
    fields, ``corrected`` true, the reading they replaced in ``original`` and the latest
    correction's reviewer and time.

    >>> r = with_corrections({"value": 80}, "ab", {"value": (8, "An", "2026-12-04T03:00Z")})
    >>> r["value"], r["corrected"], r["original"], r["corrected_by"]
    (8, True, {'value': 80}, 'An')
    """
    out = {**record, "record_id": record_id, "corrected": bool(fixes), "original": None,
           "corrected_by": None, "corrected_at": None}
    if fixes:
        out["original"] = {name: record.get(name) for name in fixes}
        for name, (value, _by, _at) in fixes.items():
            out[name] = value
        _value, out["corrected_by"], out["corrected_at"] = list(fixes.values())[-1]
    return out


@dataclass(frozen=True)
class InputFile:
    """An input as found on disk: its key in the store and what tells whether it changed."""

    path: Path
    key: str  # the absolute path, as text (bytes that are not UTF-8 shown as \\xNN)
    name: str  # the file name, as text
    size: int | None  # None: the input does not exist or is not a file
    mtime_ns: int | None
    sha256: str | None


@dataclass
class Committed:
    """One finished document, as the store takes it."""

    input: InputFile
    settings: str  # the settings (JSON) it was read with
    status: dict  # the document's status, as documents.jsonl prints it
    records: list[dict]
    pages: list[dict]
    text: str | None
    seconds: float


def sql_type(annotation: Any) -> str:
    """The DuckDB type of a dataclass field: ``float | int | None`` → DOUBLE, ``list[str]`` →
    JSON (Nones are left out: every column may be NULL)."""
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    options = set(typing.get_args(annotation)) if union else {annotation}
    options.discard(type(None))
    for kinds, name in (({bool}, "BOOLEAN"), ({int}, "BIGINT"), ({float}, "DOUBLE"),
                        ({float, int}, "DOUBLE"), ({str}, "VARCHAR")):
        if options == kinds:
            return name
    return "JSON"


def columns_of(cls: type) -> dict[str, str]:
    """Field name → DuckDB type, for each field of a dataclass, in field order."""
    hints = typing.get_type_hints(cls)
    return {f.name: sql_type(hints[f.name]) for f in dataclasses.fields(cls)}


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "JSON":
        return json.dumps(value, ensure_ascii=False)
    return value


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Store:
    """The DuckDB store of one output folder. Open it with ``Store.open(out_dir, ...)``."""

    KEYS = {  # the columns every table starts with, before the dataclass fields
        "documents": {"input": "VARCHAR", "content_sha256": "VARCHAR", "size": "BIGINT",
                      "mtime_ns": "BIGINT", "settings": "JSON", "run": "BIGINT",
                      "seconds": "DOUBLE"},
        "pages": {"input": "VARCHAR"},
        "records": {"input": "VARCHAR", "seq": "BIGINT", "record_id": "VARCHAR"},
    }

    def __init__(self, con: duckdb.DuckDBPyConnection, columns: dict[str, dict[str, str]],
                 record_identity: Callable[[dict], tuple]):
        self.con = con
        self.columns = columns  # table → the dataclass fields that are its columns
        self.record_identity = record_identity

    @classmethod
    def open(cls, out_dir: Path, *, document: type, page: type, record: type,
             record_identity: Callable[[dict], tuple]) -> Store:
        """The store in ``out_dir`` (made when missing), with columns for the fields of the
        ``document``, ``page`` and ``record`` dataclasses."""
        out_dir.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(out_dir / STORE_NAME), config={"memory_limit": STORE_MEMORY})
        columns = {"documents": columns_of(document), "pages": columns_of(page),
                   "records": columns_of(record)}
        for table, fields in columns.items():
            keys = cls.KEYS[table]
            con.execute(f"CREATE TABLE IF NOT EXISTS {table} ("
                        + ", ".join(f"{_quoted(k)} {t}" for k, t in keys.items())
                        + ", data JSON)")
            for name, kind in fields.items():
                if name not in keys:
                    con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS "
                                f"{_quoted(name)} {kind}")
        con.execute("CREATE TABLE IF NOT EXISTS texts (input VARCHAR, name VARCHAR, "
                    "text VARCHAR)")
        con.execute("CREATE TABLE IF NOT EXISTS runs (run BIGINT, started TIMESTAMP, "
                    "finished TIMESTAMP, settings JSON, inputs BIGINT, read BIGINT, "
                    "skipped BIGINT, errors BIGINT)")
        con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value BIGINT)")
        con.execute("CREATE TABLE IF NOT EXISTS corrections (" + ", ".join(
            f"{name} {kind}" for name, kind in CORRECTION_COLUMNS.items()) + ")")
        return cls(con, columns, record_identity)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what is there -------------------------------------------------------------------

    def known(self) -> dict[str, tuple]:
        """input → (size, mtime_ns, content hash, settings, status) of each stored document."""
        rows = self.con.execute("SELECT input, size, mtime_ns, content_sha256, settings, "
                                "status FROM documents").fetchall()
        return {row[0]: row[1:] for row in rows}

    def statuses(self, keys: list[str]) -> dict[str, dict]:
        """Stored documents' statuses, as documents.jsonl prints them, in one query."""
        rows = self.con.execute("SELECT input, data FROM documents WHERE input IN "
                                "(SELECT unnest(?::VARCHAR[]))", [keys]).fetchall()
        return {key: json.loads(data) for key, data in rows}

    # -- runs and commits ----------------------------------------------------------------

    def begin_run(self, settings: str, inputs: int) -> int:
        run = self.con.execute("SELECT coalesce(max(run), 0) + 1 FROM runs").fetchone()[0]
        self.con.execute("INSERT INTO runs (run, started, settings, inputs) VALUES "
                         "(?, now(), ?, ?)", [run, settings, inputs])
        return run

    def end_run(self, run: int, read: int, skipped: int, errors: int) -> None:
        self.con.execute("UPDATE runs SET finished = now(), read = ?, skipped = ?, errors = ? "
                         "WHERE run = ?", [read, skipped, errors, run])

    def commit(self, doc: Committed, run: int) -> None:
        """Replace whatever the store held for this input by ``doc``, in one transaction: a
        document is in the store whole, or not at all."""
        key = doc.input.key
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            for table in ("records", "pages", "texts", "documents"):
                con.execute(f"DELETE FROM {table} WHERE input = ?", [key])
            self._insert("documents", [[
                key, doc.input.sha256, doc.input.size, doc.input.mtime_ns, doc.settings, run,
                doc.seconds]], [doc.status])
            self._insert("pages", [[key] for _ in doc.pages], doc.pages)
            ids = self.record_ids(doc.input.sha256 or key, doc.records)
            self._insert("records", [[key, seq, rid] for seq, rid in enumerate(ids)],
                         doc.records)
            if doc.text is not None:
                con.execute("INSERT INTO texts VALUES (?, ?, ?)", [key, doc.input.name,
                                                                   doc.text])
            self._next_generation()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _next_generation(self) -> None:
        """The outputs are out of date (``outputs.export`` writes them again)."""
        self.con.execute("INSERT INTO meta SELECT 'generation', 0 WHERE NOT EXISTS "
                         "(SELECT 1 FROM meta WHERE key = 'generation')")
        self.con.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")

    def add_corrections(self, rows: list[dict]) -> None:
        """Append corrections (dicts with the columns of ``CORRECTION_COLUMNS`` but ``seq``,
        ``original`` and ``corrected`` as Python values), in one transaction."""
        if not rows:
            return
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            seq = con.execute("SELECT coalesce(max(seq), 0) FROM corrections").fetchone()[0]
            names = list(CORRECTION_COLUMNS)
            con.executemany(
                f"INSERT INTO corrections VALUES ({', '.join('?' * len(names))})",
                [[seq + i, *(json.dumps(row[n], ensure_ascii=False)
                             if CORRECTION_COLUMNS[n] == "JSON" else row[n] for n in names[1:])]
                 for i, row in enumerate(rows, 1)])
            self._next_generation()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def current_corrections(self) -> dict[str, dict[str, tuple[Any, str, str]]]:
        """record_id → field → (value, by, at) of the latest correction of each field, the
        fields in the order they were corrected."""
        out: dict[str, dict[str, tuple[Any, str, str]]] = {}
        for rid, name, value, by, at in self.con.execute(
                "SELECT record_id, field, corrected, corrected_by, corrected_at FROM corrections "
                "QUALIFY row_number() OVER (PARTITION BY record_id, field ORDER BY seq DESC) = 1 "
                "ORDER BY seq").fetchall():
            out.setdefault(rid, {})[name] = (json.loads(value), by, at)
        return out

    def reviewed_records(self, ids: list[str], inputs: list[str] | None = None
                         ) -> dict[str, tuple[str, dict]]:
        """record_id → (input, the record as exported: corrections applied) for the records
        ``ids``, and every record of ``inputs``."""
        current = self.current_corrections()
        rows = self.con.execute("SELECT record_id, input, data FROM records WHERE record_id IN "
                                "(SELECT unnest(?::VARCHAR[])) OR input IN "
                                "(SELECT unnest(?::VARCHAR[]))", [ids, inputs or []]).fetchall()
        return {rid: (key, with_corrections(json.loads(data), rid, current.get(rid)))
                for rid, key, data in rows}

    def _insert(self, table: str, keys: list[list], rows: list[dict]) -> None:
        if not rows:
            return
        fields = self.columns[table]
        names = [*self.KEYS[table], *(n for n in fields if n not in self.KEYS[table]), "data"]
        self.con.executemany(
            f"INSERT INTO {table} ({', '.join(map(_quoted, names))}) VALUES "
            f"({', '.join('?' * len(names))})",
            [[*key, *(_cell(row.get(n), fields[n]) for n in names[len(key):-1]),
              json.dumps(row, ensure_ascii=False)] for key, row in zip(keys, rows, strict=True)])

    def record_ids(self, content: str, records: list[dict]) -> list[str]:
        """Each record's stable identity within its input: see the module's docstring."""
        seen: dict[tuple, int] = {}
        out = []
        for record in records:
            identity = self.record_identity(record)
            seen[identity] = seen.get(identity, 0) + 1
            text = json.dumps([content, identity, seen[identity]], ensure_ascii=False)
            out.append(hashlib.sha256(text.encode()).hexdigest()[:24])
        return out

    # -- views, for the exports ----------------------------------------------------------

    def generation(self, key: str = "generation") -> int:
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else 0

    def set_exported(self, generation: int) -> None:
        self.con.execute("DELETE FROM meta WHERE key = 'exported'")
        self.con.execute("INSERT INTO meta VALUES ('exported', ?)", [generation])

    def rows(self, sql: str, size: int = FETCH_ROWS) -> Iterator[tuple]:
        """The rows of a query, fetched ``size`` at a time."""
        cursor = self.con.cursor()
        cursor.execute(sql)
        while batch := cursor.fetchmany(size):
            yield from batch
        cursor.close()

    def document_lines(self) -> Iterator[str]:
        """documents.jsonl, line by line, in the order of the inputs' paths."""
        return (row[0] for row in self.rows("SELECT data FROM documents ORDER BY input"))

    def record_lines(self) -> Iterator[str]:
        """records.jsonl, line by line: by input path, then in each document's order."""
        return (row[0] for row in self.rows("SELECT data FROM records ORDER BY input, seq"))

    def reviewed_lines(self) -> Iterator[str]:
        """records.jsonl, line by line, in ``record_lines``' order: each record with its
        ``record_id`` and its reviewers' corrections applied (``with_corrections``)."""
        current = self.current_corrections()
        for rid, data in self.rows("SELECT record_id, data FROM records ORDER BY input, seq"):
            yield json.dumps(with_corrections(json.loads(data), rid, current.get(rid)),
                             ensure_ascii=False)

    def texts(self) -> Iterator[tuple[str, str]]:
        """(file name, repaired text) of each input that has one, in path order."""
        return self.rows("SELECT name, text FROM texts ORDER BY input", size=20)
