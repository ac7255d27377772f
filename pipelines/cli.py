"""The ``vnextract`` command line. Thin: parse options, call the library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from mapping.build import TemplateError
from mapping.catalog import CATALOG_DIR, CatalogError, catalog_files
from pipelines.audit import MAX_CROPS_PER_DOCUMENT, AuditError, audit
from pipelines.batch import DEFAULT_MEMORY_MB, DEFAULT_PAGE_TIMEOUT, DEFAULT_TIMEOUT
from pipelines.catalogs import ENV_CATALOGS, build_catalogs, catalog_dirs
from pipelines.ingest import ingest
from pipelines.paged import InputError
from pipelines.progress import BatchBar, summary_table
from pipelines.repair import RepairError, repair_file
from pipelines.review import ReviewError, apply_workbook, export_workbook
from pipelines.store import STORE_NAME

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Clean text and auditable indicator records from Vietnamese reports.")
console = Console(stderr=True, soft_wrap=True)
catalog_app = typer.Typer(no_args_is_help=True, help="Build indicator catalogs from templates.")
app.add_typer(catalog_app, name="catalog")
CatalogDirs = Annotated[list[Path] | None, typer.Option(
    "--catalogs", help=f"a folder of user catalogs (`vnextract catalog build`), used beside the "
    f"shipped ones; may be given more than once; default: the folders in ${ENV_CATALOGS} "
    "(':'-separated)")]


@app.command("ingest")
def ingest_command(
    paths: Annotated[list[Path], typer.Argument(help="files or folders to ingest")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder (and its store)")],
    catalog: Annotated[str | None, typer.Option(
        "--catalog", help="force a catalog (see `vnextract catalogs`)")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers",
        help="parallel workers: documents, or pages of one PDF (default: cores; with "
        "--executor ray: the cluster's CPUs)")] = None,
    timeout: Annotated[float, typer.Option(
        "--timeout", help="seconds one document may take to be read (a text dump, opening a "
        "PDF, reading its tables); past it the document gets an error")] = DEFAULT_TIMEOUT,
    page_timeout: Annotated[float, typer.Option(
        "--page-timeout", help="seconds one page of a PDF or image may take")
    ] = DEFAULT_PAGE_TIMEOUT,
    memory_limit: Annotated[int, typer.Option(
        "--memory-limit", help="MB of memory one worker may allocate (0: no limit)")
    ] = DEFAULT_MEMORY_MB,
    password: Annotated[str | None, typer.Option(
        "--password", help="password of encrypted PDFs")] = None,
    executor: Annotated[str, typer.Option(
        "--executor", help="local (a process pool on this machine) or ray (a Ray cluster)")
    ] = "local",
    ray_address: Annotated[str | None, typer.Option(
        "--ray-address", help="Ray cluster to join (HOST:PORT of `ray start --head`); "
        "default: a local cluster started for the run")] = None,
    catalogs: CatalogDirs = None,
) -> None:
    """Read reports into OUT/vnextract.duckdb and write records.jsonl/.csv/.parquet,
    documents.jsonl and text/ from it. A re-run skips inputs already read."""
    try:
        with BatchBar(console) as bar:
            statuses = ingest(paths, out, catalog, progress=bar, workers=workers,
                              timeout=timeout, page_timeout=page_timeout,
                              memory_mb=memory_limit or None, password=password,
                              executor=executor, ray_address=ray_address,
                              catalog_dirs=catalog_dirs(catalogs))
    except (KeyError, ValueError) as exc:  # CatalogError is a ValueError
        console.print(f"[red]error[/] {exc.args[0]}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        console.print(f"[yellow]interrupted[/]: the documents read so far are kept in "
                      f"{out / STORE_NAME}; run the same command again to go on")
        raise typer.Exit(130) from None
    if not statuses:
        console.print("[red]error[/] no input files")
        raise typer.Exit(1)
    console.print(summary_table(statuses))
    if all(s.status == "error" for s in statuses):
        raise typer.Exit(1)


@app.command("repair")
def repair_command(
    path: Annotated[Path, typer.Argument(
        help="text file (any encoding), PDF or image to repair; PDFs and images are read as "
        "ingest reads them")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="write the repaired text here (default: stdout)")] = None,
    explain: Annotated[Path | None, typer.Option(
        "--explain", help="write the list of changes here, as JSON")] = None,
    encoding: Annotated[str | None, typer.Option(
        "--encoding", help="force a reading: tcvn3, vni, viscii, cp1258, viqr, utf-8-mojibake, "
        "...")] = None,
    tone_style: Annotated[str | None, typer.Option(
        "--tone-style", help="put open-rhyme tones old (hòa) or new (hoà) style")] = None,
) -> None:
    """Repair encodings, OCR noise and lost or misread diacritics; write UTF-8 NFC, line for
    line (``--explain``: every change, with its reason and confidence)."""
    try:
        result = repair_file(path, out, explain, encoding=encoding, tone_style=tone_style)
    except RepairError as exc:
        console.print(f"[red]error[/] {exc}")
        raise typer.Exit(1) from None
    if out is not None:
        console.print(f"[green]ok[/] {path}: {len(result.changes)} changes, read as "
                      f"{result.read_as}")


@app.command("audit")
def audit_command(
    out: Annotated[Path, typer.Argument(help="an ingest's output folder (holding its store)")],
    max_crops: Annotated[int, typer.Option(
        "--max-crops", help="scanned rows shown as images, per document (worst first)")
    ] = MAX_CROPS_PER_DOCUMENT,
) -> None:
    """Write OUT/audit.html: one self-contained page (opens offline) with each document's
    pages, metadata and failed checks, every record to review with its reasons, raw text and
    scanned row, filters, and confidence against observed correctness."""
    try:
        result = audit(out, max_crops=max_crops)
    except AuditError as exc:
        console.print(f"[red]error[/] {exc}")
        raise typer.Exit(1) from None
    console.print(f"[green]ok[/] {result.path}: {result.documents} documents, "
                  f"{result.flagged} records to review, {result.crops} row images, "
                  f"{result.size / 1024:.0f} KiB")


@app.command("catalogs")
def catalogs_command(catalogs: CatalogDirs = None) -> None:
    """List the indicator catalogs: those shipped with vnextract, then the user catalogs, each
    with where it came from (``shipped`` or its file)."""
    try:
        found = catalog_files(extra=catalog_dirs(catalogs))
    except CatalogError as exc:
        console.print(f"[red]error[/] {exc}")
        raise typer.Exit(2) from None
    for catalog, path in found:
        origin = "shipped" if path.parent == CATALOG_DIR else str(path)
        typer.echo(f"{catalog.id}\t{len(catalog.entries)} entries\t{origin}\t"
                   f"{catalog.title[:70]}")


@catalog_app.command("build")
def catalog_build_command(
    template: Annotated[Path, typer.Argument(
        help="a blank template: text in any encoding, PDF (text layer or scan), Word, Excel, "
        "RTF, ODF")],
    catalog_id: Annotated[str, typer.Option(
        "--id", help="the catalog's id; a template with several appendices gives ID.pl1, "
        "ID.pl3.b2, ID.dm …")],
    catalogs: Annotated[Path | None, typer.Option(
        "--catalogs", help=f"the user catalog folder to write into (default: the first folder "
        f"in ${ENV_CATALOGS})")] = None,
    title: Annotated[str | None, typer.Option(
        "--title", help="the catalog's title (default: the template's heading)")] = None,
) -> None:
    """Build catalogs from a blank template (numbered rows: STT | Chỉ tiêu | Đơn vị tính …),
    the IDs and "Trong đó" parts as the shipped catalogs have them."""
    folders = [catalogs] if catalogs else [Path(d) for d in catalog_dirs()]
    if not folders:
        console.print(f"[red]error[/] no catalog folder: give --catalogs DIR or set "
                      f"{ENV_CATALOGS}")
        raise typer.Exit(2)
    try:
        written = build_catalogs(template, catalog_id, folders[0], title)
    except (InputError, TemplateError, CatalogError) as exc:
        console.print(f"[red]error[/] {exc}")
        raise typer.Exit(1) from None
    for catalog, path in written:
        parts = sum(1 for e in catalog.entries if e.label is None and e.parent)
        typer.echo(f"{catalog.id}\t{len(catalog.entries)} entries ({parts} \"Trong đó\" "
                   f"parts)\tperiods={','.join(catalog.periods) or '-'}\t{path}")


review_app = typer.Typer(no_args_is_help=True, help="The review workbook: export records to "
                         "Excel, apply the corrections reviewers wrote in it.")
app.add_typer(review_app, name="review")


@review_app.command("export")
def review_export_command(
    out: Annotated[Path, typer.Argument(help="output folder of `vnextract ingest`")],
    workbook: Annotated[Path | None, typer.Option(
        "--output", "-o", help="the workbook to write (default: OUT/review.xlsx)")] = None,
) -> None:
    """Write the review workbook: a sheet per catalog (and no-catalog), records to review
    highlighted with their reasons as comments, empty columns for the corrections."""
    workbook = workbook or out / "review.xlsx"
    try:
        exported = export_workbook(out, workbook)
    except ReviewError as exc:
        console.print(f"[red]error[/] {exc}")
        raise typer.Exit(2) from None
    sheets = ", ".join(f"{name} ({n})" for name, n in exported.sheets.items())
    console.print(f"[green]ok[/] {workbook}: {sum(exported.sheets.values())} records; {sheets}")
    if exported.orphaned:
        console.print(f"[yellow]note[/] {exported.orphaned} corrected records are no longer in "
                      f"the store (their inputs' content changed): their corrections are kept "
                      f"in the history, not applied")


@review_app.command("apply")
def review_apply_command(
    out: Annotated[Path, typer.Argument(help="output folder of `vnextract ingest`")],
    workbook: Annotated[Path, typer.Argument(help="a workbook of `vnextract review export`, "
                                                  "with corrections")],
    by: Annotated[str | None, typer.Option(
        "--by", help="who corrected, for rows whose 'corrected by' is empty")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="check the corrections, store nothing")] = False,
) -> None:
    """Check the corrections of a review workbook and store the valid ones, with who, when and
    where they were written, in OUT/vnextract.duckdb; write the outputs again. Exit 1 when a
    row is rejected (the valid ones are applied: mend the rest and apply again)."""
    try:
        result = apply_workbook(out, workbook, by, dry_run)
    except ReviewError as exc:
        console.print(f"[red]error[/] {exc}")
        raise typer.Exit(2) from None
    for message in result.rejected:
        console.print(f"[red]rejected[/] {message}")
    for name in result.skipped_sheets:
        console.print(f"[yellow]skipped[/] sheet {name!r}: no record_id and corrected value "
                      f"columns")
    records = len({r["record_id"] for r in result.applied})
    verb = "would apply" if dry_run else "applied"
    applied = len(result.applied)
    console.print(f"[green]{verb}[/] {applied} correction{'s' * (applied != 1)} to {records} "
                  f"record{'s' * (records != 1)}"
                  f"{f' (run {result.run})' if result.run else ''}; {result.unchanged} "
                  f"unchanged; {len(result.rejected)} rejected")
    if result.rejected:
        raise typer.Exit(1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
