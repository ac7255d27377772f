"""Text normalization: encodings, OCR-noise repair, diacritics, Vietnamese numbers."""
