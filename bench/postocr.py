"""Benchmark: correcting the marks Tesseract ``vie`` drops or swaps (issue 9, item 5).

    python -m bench.postocr

Real pages: every page with a verified transcript in ``bench/data/real_transcripts``
(``<pdf-stem>.p<N>.txt``, see the README there) whose PDF is in ``../shared/real/scans``, rendered
at 300 dpi and read by plain ``tesseract -l vie`` (page segmentation 3, the command line's
default). The OCR text is repaired as ingest repairs OCR'd lines (``repair_text`` with every line
in ``ocr_lines``, with Tesseract's word confidences) and both are compared with the transcript.

Generated: held-out legal lines (``bench/data/heldout_legal.txt``, text the language model never
saw) with ``ERROR_RATE`` of their syllables given the mark errors ``vie`` makes on the real pages:
a tone dropped (most often on ``â ê ô ơ ư ă``: ``thống`` → ``thông``), a tone swapped for another
(``để`` → ``đễ``), a tone added to a bare syllable (``chi`` → ``chỉ``), ``đ`` read as ``d``. The
same lines unchanged, marked as OCR'd, measure what the correction breaks in correct text.

Word accuracy: the transcript's words (letter runs, lowercase) aligned with the output's on
their forms without marks (``difflib``); a word counts right when its aligned word is spelled
the same, marks included. A fix is a word wrong in the OCR text and right after; a break the
reverse.
"""

from __future__ import annotations

import difflib
import io
import os
import random
import re
import unicodedata
from pathlib import Path

from normalize.diacritics import load_model, strip_diacritics
from normalize.repair import repair_text

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPTS = ROOT / "bench" / "data" / "real_transcripts"
SCANS = ROOT.parent / "shared" / "real" / "scans"
HELDOUT_LEGAL = ROOT / "bench" / "data" / "heldout_legal.txt"
DPI = 300
GENERATED_LINES = 800
MIN_WORDS = 6
ERROR_RATE = 0.03
RANDOM_SEED = 20251204
# The kinds of mark error and how often each is drawn (the shares seen on the real pages).
ERROR_KINDS = {"tone dropped": 60, "tone swapped": 25, "tone added": 12, "đ read as d": 3}

_WORD = re.compile(r"[^\W\d_]+")
_TONES = "\u0301\u0300\u0309\u0303\u0323"
_SHAPED = frozenset("âêôơưă")
_PAGE = re.compile(r"(?P<stem>.+)\.p(?P<page>\d+)$")


def _words(text: str) -> list[str]:
    return [unicodedata.normalize("NFC", w).lower() for w in _WORD.findall(text)]


def _aligned(reference: list[str], output: list[str]) -> dict[int, str]:
    """Reference word index → the output word aligned with it (on forms without marks)."""
    matcher = difflib.SequenceMatcher(None, [strip_diacritics(w) for w in reference],
                                      [strip_diacritics(w) for w in output], autojunk=False)
    return {block.a + k: output[block.b + k] for block in matcher.get_matching_blocks()
            for k in range(block.size)}


def compare(reference: str, before: str, after: str) -> dict:
    """Word accuracy of ``before`` and ``after`` against ``reference``; fixes and breaks."""
    words = _words(reference)
    old, new = _aligned(words, _words(before)), _aligned(words, _words(after))
    right_before = [old.get(i) == w for i, w in enumerate(words)]
    right_after = [new.get(i) == w for i, w in enumerate(words)]
    return {
        "words": len(words),
        "right_before": sum(right_before),
        "right_after": sum(right_after),
        "fixes": sum(a and not b for b, a in zip(right_before, right_after, strict=True)),
        "breaks": sum(b and not a for b, a in zip(right_before, right_after, strict=True)),
        "broken": [(old.get(i), new.get(i), w) for i, w in enumerate(words)
                   if right_before[i] and not right_after[i]],
    }


def _add(total: dict, part: dict) -> None:
    for key, value in part.items():
        total[key] = total.get(key, 0 if isinstance(value, int) else []) + value


# --- real pages ---------------------------------------------------------------------------------


def ocr_page(pdf: Path, number: int) -> list[tuple[str, tuple[float, ...]]]:
    """Plain ``tesseract -l vie`` on one page at ``DPI``: its lines, each with its words'
    confidences (0-1)."""
    import pymupdf
    import pytesseract
    from PIL import Image

    with pymupdf.open(pdf) as document:
        pixmap = document[number - 1].get_pixmap(dpi=DPI, colorspace=pymupdf.csGRAY)
    image = Image.open(io.BytesIO(pixmap.tobytes("png")))
    data = pytesseract.image_to_data(image, lang="vie", output_type=pytesseract.Output.DICT)
    lines: dict[tuple[int, int, int], list[tuple[str, float]]] = {}
    for i, text in enumerate(data["text"]):
        if text.strip():
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            lines.setdefault(key, []).append((text, max(0.0, float(data["conf"][i])) / 100))
    return [(" ".join(w for w, _ in words), tuple(c for _, c in words))
            for words in lines.values()]


def real_pages() -> list[tuple[str, Path, int]]:
    """(name, PDF, page number) of every transcript whose PDF is present."""
    out = []
    for path in sorted(TRANSCRIPTS.glob("*.txt")):
        found = _PAGE.fullmatch(path.stem)
        pdf = SCANS / f"{found['stem']}.pdf" if found else None
        if pdf is not None and pdf.exists():
            out.append((path.stem, pdf, int(found["page"])))
    return out


def run_real() -> dict:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    pages, total = {}, {}
    for name, pdf, number in real_pages():
        lines = ocr_page(pdf, number)
        text = "\n".join(line for line, _ in lines)
        repaired = repair_text(text, ocr_lines={n: confidences for n, (_, confidences)
                                                in enumerate(lines, start=1)})
        reference = (TRANSCRIPTS / f"{name}.txt").read_text(encoding="utf-8")
        scored = compare(reference, text, repaired.text)
        scored["changes"] = sum(step.fix == "correct_ocr_marks" for step in repaired.steps)
        pages[name] = scored
        _add(total, scored)
    return {"pages": pages, "total": total}


# --- generated ----------------------------------------------------------------------------------


def _split_tone(word: str) -> tuple[str, str]:
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if c not in _TONES), "".join(
        c for c in decomposed if c in _TONES)


def _with_tone(bare: str, tone: str) -> str:
    """``bare`` (NFD, no tone) with ``tone`` on the vowel a tone sits on in Vietnamese (the last
    shaped vowel, else the vowel before a final consonant or the second of two end vowels)."""
    letters = unicodedata.normalize("NFC", bare)
    vowels = [i for i, c in enumerate(letters) if strip_diacritics(c).lower() in "aeiouy"]
    if not vowels or not tone:
        return letters
    shaped = [i for i in vowels if letters[i].lower() in _SHAPED]
    if shaped:
        at = shaped[-1]
    elif len(vowels) > 1 and vowels[-1] == len(letters) - 1 and not letters.lower().startswith(
            ("qu", "gi")):
        at = vowels[-2]
    else:
        at = vowels[-1]
    return unicodedata.normalize("NFC", letters[:at + 1] + tone + letters[at + 1:])


def vie_error(word: str, rng: random.Random) -> str:
    """``word`` with one mark error of the kinds ``vie`` makes (``word`` when none applies)."""
    bare, tone = _split_tone(word)
    kind = rng.choices(list(ERROR_KINDS), weights=list(ERROR_KINDS.values()))[0]
    if kind == "tone dropped" and tone:
        return unicodedata.normalize("NFC", bare)
    if kind == "tone swapped" and tone:
        return _with_tone(bare, rng.choice([t for t in _TONES if t != tone]))
    if kind == "tone added" and not tone:
        return _with_tone(bare, rng.choice(_TONES))
    if kind == "đ read as d" and "đ" in word.lower():
        return word.replace("đ", "d").replace("Đ", "D")
    return word


def generated_lines() -> list[str]:
    lines = [line for line in HELDOUT_LEGAL.read_text(encoding="utf-8").split("\n")
             if not line.startswith("### ") and len(line.split()) >= MIN_WORDS]
    return lines[:GENERATED_LINES]


def perturb(lines: list[str], rng: random.Random) -> list[str]:
    """The lines with ``ERROR_RATE`` of their marked or bare syllables given a ``vie`` error."""
    model = load_model()
    out = []
    for line in lines:
        def change(found: re.Match[str]) -> str:
            word = found.group()
            if strip_diacritics(word).lower() not in model.candidates or rng.random() >= (
                    ERROR_RATE):
                return word
            return vie_error(word, rng)
        out.append(_WORD.sub(change, line))
    return out


def run_generated() -> dict:
    lines = generated_lines()
    clean = "\n".join(lines)
    noisy = "\n".join(perturb(lines, random.Random(RANDOM_SEED)))
    every_line = dict.fromkeys(range(1, len(lines) + 1))
    result = compare(clean, noisy, repair_text(noisy, ocr_lines=every_line).text)
    unchanged = repair_text(clean, ocr_lines=every_line)
    result["clean_words"] = len(_words(clean))
    result["clean_changed"] = sum(step.fix == "correct_ocr_marks" for step in unchanged.steps)
    result["lines"] = len(lines)
    return result


def run() -> dict:
    load_model()
    return {"real": run_real(), "generated": run_generated()}


def markdown(result: dict) -> str:
    real, generated = result["real"], result["generated"]
    lines = [
        "Real pages: plain `tesseract -l vie` (300 dpi) against verified transcripts "
        "(`bench/data/real_transcripts`), before and after the post-correction (`repair_text` "
        "with Tesseract's word confidences, as ingest runs it on OCR'd lines):",
        "",
        "| page | words | `tesseract -l vie` | after correction | fixes | breaks |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rows = [*real["pages"].items(), ("**all**", real["total"])] if real["pages"] else []
    for name, row in rows:
        words = max(row["words"], 1)
        lines.append(f"| {name} | {row['words']} | {row['right_before'] / words:.2%} | "
                     f"{row['right_after'] / words:.2%} | {row['fixes']} | {row['breaks']} |")
    if not rows:
        lines.append("| (no transcript with its PDF: ../shared/real/scans absent) | | | | | |")
    broken = [f"`{before}` → `{after}` (printed `{right}`)"
              for before, after, right in real["total"].get("broken", [])]
    lines += ["", f"Correct words the correction made wrong: {', '.join(broken) or 'none'}."]
    words = max(generated["words"], 1)
    lines += [
        "",
        f"Generated: {generated['lines']} held-out legal lines, {ERROR_RATE:.0%} of syllables "
        "given a `vie` mark error (dropped, swapped or added tone, đ read as d), no OCR "
        f"confidences: word accuracy {generated['right_before'] / words:.2%} → "
        f"{generated['right_after'] / words:.2%} ({generated['fixes']} fixes, "
        f"{generated['breaks']} breaks). The same lines without errors, marked as OCR'd: "
        f"{generated['clean_changed']} of {generated['clean_words']:,} words changed.",
    ]
    return "\n".join(lines)


def main() -> None:
    print(markdown(run()))


if __name__ == "__main__":
    main()
