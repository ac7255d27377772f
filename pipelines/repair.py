"""``vnextract repair``: read a file's bytes, repair the text, write it and the explanation.

The I/O around :func:`normalize.repair.repair_text`: outputs are UTF-8 NFC and written
atomically; ``--explain`` is a JSON list with one object per change.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from normalize.repair import RepairResult, repair_text
from pipelines.outputs import write_text


class RepairError(Exception):
    """A file that cannot be repaired, with a message a user can act on."""


def explain(result: RepairResult) -> list[dict]:
    """The changes of ``result`` as JSON-ready objects, in the order they were applied.

    Each has ``line`` (1-based), ``start``/``end`` (0-based columns of the line as it was when
    the change was made), ``before``, ``after``, ``fix`` (which repair) and ``confidence``.
    """
    return [asdict(step) for step in result.steps]


def repair_file(path: Path, out: Path | None = None, explain_to: Path | None = None, *,
                encoding: str | None = None, tone_style: str | None = None) -> RepairResult:
    """Repair the file at ``path``; write the text to ``out`` (stdout when None) and, with
    ``explain_to``, the list of changes as JSON. Raises :class:`RepairError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RepairError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        result = repair_text(data, encoding=encoding, tone_style=tone_style)
    except (ValueError, LookupError) as exc:
        raise RepairError(f"{path}: {exc}") from None
    try:
        if explain_to is not None:
            write_text(explain_to, json.dumps(explain(result), ensure_ascii=False, indent=1)
                       + "\n")
        if out is not None:
            write_text(out, result.text)
        else:
            sys.stdout.write(result.text)
            sys.stdout.flush()
    except OSError as exc:
        raise RepairError(f"cannot write {exc.filename}: {exc.strerror or exc}") from None
    return result
