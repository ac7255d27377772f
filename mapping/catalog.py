"""Indicator catalogs: the canonical rows of each template appendix, loaded from data files.

A catalog is generated from a template by ``vnextract catalog build`` (``make catalogs`` runs it
over the templates in data/samples) and stored as ``mapping/catalogs/<catalog id>.json``, or in
a user catalog folder for a user's own template; nothing here is typed by hand.

ID scheme: ``<catalog>/<row>``, where row is the printed STT without its trailing dot
(``tn2025.pl1/3.2.1``); unnumbered rows under "Trong đó" take the parent row plus ``.a``, ``.b``,
``.c`` in printed order (``tn2025.pl1/3.2.1.a``).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from normalize.fold import fold

CATALOG_DIR = Path(__file__).parent / "catalogs"


@dataclass(frozen=True)
class CatalogEntry:
    """One canonical indicator row of a template."""

    id: str
    row: str  # printed STT without trailing dot, or parent + ".a" for "Trong đó" rows
    label: str | None  # the label as the template prints it ("1.2.1.", "6.2"), None if none
    parent: str | None
    description: str
    unit: str | None
    codebook: dict[str, str] | None  # {"0": "Không", "1": "Có"} when the unit column is one
    kind: str
    numerator: str | None = None
    denominator: str | None = None
    responsible: str | None = None  # Danh mục: the body that reports the target
    order: int = 0

    @property
    def folded(self) -> str:
        return fold(self.description)


@dataclass(frozen=True)
class Constraint:
    """An arithmetic relation between entries that the values must satisfy."""

    kind: str  # "parts_le_total": sum(parts) <= total
    parts: tuple[str, ...]
    total: str


@dataclass
class Catalog:
    id: str
    title: str
    source: str
    audience: str
    periods: list[str] = field(default_factory=list)  # per-year tables: "2021" ... "2025-03-31"
    entries: list[CatalogEntry] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_id = {e.id: e for e in self.entries}

    def get(self, entry_id: str) -> CatalogEntry | None:
        return self._by_id.get(entry_id)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "audience": self.audience,
            "periods": self.periods,
            "entries": [asdict(e) for e in self.entries],
            "constraints": [asdict(c) for c in self.constraints],
        }

    @classmethod
    def from_json(cls, data: dict) -> Catalog:
        return cls(
            id=data["id"],
            title=data["title"],
            source=data["source"],
            audience=data["audience"],
            periods=list(data.get("periods", [])),
            entries=[CatalogEntry(**e) for e in data["entries"]],
            constraints=[
                Constraint(kind=c["kind"], parts=tuple(c["parts"]), total=c["total"])
                for c in data.get("constraints", [])
            ],
        )


def _natural_key(path: Path) -> list:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path.stem)]


class CatalogError(ValueError):
    """A user catalog folder that cannot be used: missing, a bad file, an id taken twice."""


@lru_cache(maxsize=512)
def _read_catalog(path: str, _mtime_ns: int) -> Catalog:
    """One catalog file, read again only when it changes (a rebuilt user catalog)."""
    try:
        return Catalog.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CatalogError(f"{path}: not a vnextract catalog ({exc})") from exc


def catalog_files(directory: str | None = None, extra: tuple[str, ...] = ()
                  ) -> list[tuple[Catalog, Path]]:
    """Each catalog with the file it came from: the shipped ones (or ``directory``'s), then
    those of the user catalog folders ``extra`` (``vnextract catalog build``). An id found
    twice is a ``CatalogError``: a user catalog never silently replaces another."""
    found: list[tuple[Catalog, Path]] = []
    where: dict[str, Path] = {}
    for base in (Path(directory) if directory else CATALOG_DIR, *map(Path, extra)):
        if not base.is_dir():
            raise CatalogError(f"catalog folder {base} does not exist")
        for path in sorted(base.glob("*.json"), key=_natural_key):
            catalog = _read_catalog(str(path), path.stat().st_mtime_ns)
            if catalog.id in where:
                raise CatalogError(
                    f"catalog id {catalog.id!r} of {path} is taken by {where[catalog.id]}: "
                    "build the template again under another --id")
            where[catalog.id] = path
            found.append((catalog, path))
    return found


def load_catalogs(directory: str | None = None, extra: tuple[str, ...] = ()
                  ) -> tuple[Catalog, ...]:
    """All catalogs shipped with the package (or found in ``directory``), then those of the
    user catalog folders ``extra``, in a stable order."""
    return tuple(catalog for catalog, _ in catalog_files(directory, extra))


def get_catalog(catalog_id: str, directory: str | None = None,
                extra: tuple[str, ...] = ()) -> Catalog:
    catalogs = load_catalogs(directory, extra)
    for catalog in catalogs:
        if catalog.id == catalog_id:
            return catalog
    known = ", ".join(c.id for c in catalogs)
    raise KeyError(f"unknown catalog {catalog_id!r}; known catalogs: {known}")
