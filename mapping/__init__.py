"""Indicator catalogs (data files) and matching of document rows to canonical IDs."""
