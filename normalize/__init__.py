"""Text normalization: encodings, OCR-noise repair, diacritics, Vietnamese numbers."""

from normalize.repair import repair_text

__all__ = ["repair_text"]
