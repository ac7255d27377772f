"""Imported once by each worker host (the local fork server, each Ray actor): the pipeline's
modules and the 24 MB language model are loaded here, before any worker is forked from it, so
every worker shares them instead of loading its own."""

from __future__ import annotations

import pymupdf

from mapping.metadata import metadata_pipeline
from normalize.diacritics import load_model
from pipelines import batch  # noqa: F401 — the jobs' code, imported before the fork

load_model()
metadata_pipeline()
# MuPDF prints what it repairs in a damaged file; the page's error or status says it instead
pymupdf.TOOLS.mupdf_display_errors(False)
