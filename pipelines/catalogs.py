"""User catalogs: where they are kept, and building one from a blank template.

``vnextract catalog build TEMPLATE --id ID`` reads the template as ingest reads any input (a
text dump in any encoding, a PDF's text layer or its scan, Word, Excel, RTF, ODF), repairs its
text as ingest does, and writes ``mapping.build``'s catalogs as JSON into a user catalog folder;
``make catalogs`` is the same command over the templates in data/samples, into the shipped
folder. ``ingest`` and ``catalogs`` then use the user folders beside the shipped catalogs.

Where the user catalogs are: the ``--catalogs DIR`` options when given (the environment is then
not read), else the folders listed in ``VNEXTRACT_CATALOGS`` (separated as PATH is, ``:``).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from mapping.build import TemplateError, catalogs_from_template
from mapping.catalog import Catalog, CatalogError, load_catalogs
from pipelines.ingest import read_document
from pipelines.textmap import repair_document

ENV_CATALOGS = "VNEXTRACT_CATALOGS"


def catalog_dirs(options: list[Path] | None = None) -> tuple[str, ...]:
    """The user catalog folders: ``options`` (``--catalogs``) when given, else those named by
    ``VNEXTRACT_CATALOGS``.

    >>> catalog_dirs([Path("my-catalogs")])
    ('my-catalogs',)
    """
    if options:
        return tuple(str(p) for p in options)
    return tuple(p for p in os.environ.get(ENV_CATALOGS, "").split(os.pathsep) if p)


def build_catalogs(template: Path, catalog_id: str, out_dir: Path,
                   title: str | None = None) -> list[tuple[Catalog, Path]]:
    """Read ``template``, build its catalogs and write them into ``out_dir`` (created when
    missing); a rebuild under the same id replaces the catalogs that id made before. An id a
    shipped catalog holds is refused (``CatalogError``), unless that catalog was made from this
    same template (``make catalogs``). ``TemplateError`` for a template with no numbered rows,
    ``InputError`` for one that cannot be read."""
    document = read_document(template)
    repaired = repair_document(document)
    lines = [replace(line, text=text) for line, text in
             zip(document.lines, repaired.lines, strict=True)]
    try:
        catalogs = catalogs_from_template(lines, catalog_id, template.name, title)
    except TemplateError as exc:
        raise TemplateError(f"{template}: {exc}") from None
    shipped = {c.id: c.source for c in load_catalogs()}
    if taken := [c.id for c in catalogs if shipped.get(c.id, c.source) != c.source]:
        raise CatalogError(f"the shipped catalogs already hold {', '.join(taken)}: choose "
                           "another --id")
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.json"):
        if old.stem == catalog_id or old.stem.startswith(f"{catalog_id}."):
            old.unlink()
    written = []
    for catalog in catalogs:
        path = out_dir / f"{catalog.id}.json"
        _write_atomic(path, json.dumps(catalog.to_json(), ensure_ascii=False, indent=1) + "\n")
        written.append((catalog, path))
    return written


def _write_atomic(path: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp",
                                     delete=False) as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)

