"""The ``vnextract`` command line. Thin: parse options, call the library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from mapping.catalog import load_catalogs
from pipelines.ingest import ingest
from pipelines.repair import RepairError, repair_file

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Clean text and auditable indicator records from Vietnamese reports.")
console = Console(stderr=True, soft_wrap=True)


@app.command("ingest")
def ingest_command(
    paths: Annotated[list[Path], typer.Argument(help="files or folders to ingest")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder")],
    catalog: Annotated[str | None, typer.Option(
        "--catalog", help="force a catalog (see `vnextract catalogs`)")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers",
        help="parallel workers: documents, or pages of one PDF (default: cores)")] = None,
) -> None:
    """Read reports and write records.jsonl/.csv/.parquet, documents.jsonl and text/."""
    def report(status) -> None:
        if status.status == "ok":
            console.print(f"[green]ok[/] {status.source}: {status.records} records "
                          f"({status.needs_review} to review) {','.join(status.catalogs)}")
        else:
            console.print(f"[red]error[/] {status.source}: {status.message}")
    try:
        statuses = ingest(paths, out, catalog, progress=report, workers=workers)
    except KeyError as exc:
        console.print(f"[red]error[/] {exc.args[0]}")
        raise typer.Exit(2) from None
    if statuses and all(s.status == "error" for s in statuses):
        raise typer.Exit(1)
    if not statuses:
        console.print("[red]error[/] no input files")
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


@app.command("catalogs")
def catalogs_command() -> None:
    """List the indicator catalogs shipped with vnextract."""
    for catalog in load_catalogs():
        typer.echo(f"{catalog.id}\t{len(catalog.entries)} entries\t{catalog.title[:70]}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
