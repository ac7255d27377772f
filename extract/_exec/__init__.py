"""Thin wrappers around external programs (LibreOffice), in the OCRmyPDF style."""
