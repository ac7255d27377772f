"""Bytes → pages, lines and tables with provenance (text dumps, PDF text layers, OCR)."""
