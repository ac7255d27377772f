"""Document metadata from page 1: kind, number, date and place, issuing body, trích yếu, signer.

A Vietnamese administrative document prints these in fixed places (Nghị định 30/2020/NĐ-CP):
the issuing body at the top left (its parent body above it), the national motto at the right,
``Số: 432/BC-SDT&TG`` under the body, ``Thái Nguyên, ngày 29 tháng 4 năm 2025`` under the
motto, the kind (``BÁO CÁO``) centred with the trích yếu below it (or ``V/v …`` under the
number of a công văn), and at the end of the body the signer's authority, title and name.

The reader is a pure function of the document's lines (:func:`read_metadata`). Anchors are found
by a blank spaCy pipeline ("xx", with our own tokenizer: no model, nothing downloaded) whose
EntityRuler patterns are data files (``mapping/data/metadata/patterns.jsonl``). Patterns match
each token's accent-free NORM with one edit allowed on longer words, so the same patterns read a
text layer, OCR'd text with its noise (``ngay``, ``thang``, ``nom``) and repaired dumps. Each
field keeps its confidence and the line it was read from; a field the page does not print stays
empty (``None``): a draft's ``Số:   /2025/TT-BGDĐT`` has no number.

    >>> meta = read_metadata([Line("Số: 12/BC-UBND Hà Nội, ngày 05 tháng 3 năm 2024", 1, 1)])
    >>> meta.number.value, meta.date.value, meta.place.value
    ('12/BC-UBND', '2024-03-05', 'Hà Nội')
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from extract.types import Line, Signature
from normalize.diacritics import is_vietnamese_syllable
from normalize.fold import fold

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

DATA = Path(__file__).parent / "data" / "metadata"
HEADER_LINES = 40  # the header of page 1 is read from its first lines
PLACE_SCORE = 95  # an OCR'd place this near a known one is it (``Bình Thành`` is no ``Bình Thuận``)
# An OCR'd figure read below this is not print: a number or day written in by hand at
# registration (Tesseract reads them 0.16–0.57 on real scans, printed figures 0.85–0.97)
ILLEGIBLE_FIGURE = 0.6
LOST_WORD = 0.3  # an OCR'd word of letters read below this: a stamp's or a pen stroke's scraps
PLAUSIBLE_WORD = 0.9  # below this, an OCR'd token must also look like a word to be kept
SIGNATURE_WINDOW = 14  # lines after the signer's title in which the name is looked for
_TOKEN = re.compile(r"\d+|[^\W\d_]+|[^\w\s]")
# OCR of digits: letters that stand for them in a number (``0I`` = 01, ``l6`` = 16)
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1",
                                   "|": "1", "]": "1", "i": "1", "!": "1", "Z": "2", "z": "2",
                                   "S": "5", "s": "5", "$": "5", "B": "8", "g": "9", "q": "9",
                                   "@": "2", "{": "1", "(": "1"})
# a signature stamp's lines: an e-mail address, a time of day, a web address
_STAMP_LINE = re.compile(r"@\S*\.(?:vn|com|net|org)\b|\.gov\b|\.vn\b|\d{1,2}:\d{2}:\d{2}")
_SIGNATURE_HINT = re.compile(r"\b(?:noi|not|nai) nh|(?:^| )(?:tm|kt|tl|tuq) [a-z]")
MAX_SIGNATURE_HINTS = 5  # windows tried for the signature block, first first
_STAMP_TIME = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?")


@dataclass
class MetaField:
    """One field: its value (``None`` when the document does not print it), how sure the
    reader is, and the page and line it was read from."""

    value: str | None = None
    confidence: float = 1.0  # for an empty field: how sure we are that it is absent
    page: int | None = None
    line: int | None = None

    def to_dict(self) -> dict:
        return {"value": self.value, "confidence": round(self.confidence, 3), "page": self.page,
                "line": self.line}


FIELDS = ("doc_type", "number", "date", "place", "issuer", "issuer_parent", "summary", "signer",
          "signer_title", "signed_by", "signing_body", "signed_at")


@dataclass
class DocumentMetadata:
    """What a person cites a document by. ``signed_by`` / ``signing_body`` / ``signed_at`` come
    from a digital-signature stamp (``Ký bởi: … Cơ quan: … Thời gian ký: …``) when present."""

    doc_type: MetaField = field(default_factory=MetaField)
    number: MetaField = field(default_factory=MetaField)
    date: MetaField = field(default_factory=MetaField)  # ISO yyyy-mm-dd
    place: MetaField = field(default_factory=MetaField)
    issuer: MetaField = field(default_factory=MetaField)
    issuer_parent: MetaField = field(default_factory=MetaField)
    summary: MetaField = field(default_factory=MetaField)
    signer: MetaField = field(default_factory=MetaField)
    signer_title: MetaField = field(default_factory=MetaField)  # ``KT. CHỦ TỊCH / PHÓ CHỦ TỊCH``
    signed_by: MetaField = field(default_factory=MetaField)
    signing_body: MetaField = field(default_factory=MetaField)
    signed_at: MetaField = field(default_factory=MetaField)  # ISO date and time

    def to_dict(self) -> dict:
        return {name: getattr(self, name).to_dict() for name in FIELDS}


# --- the spaCy pipeline ------------------------------------------------------------------------

class _Tokenizer:
    """Runs of letters, runs of digits and single marks: ``ngày23`` → ``ngày 23``,
    ``432/BC-SDT&TG`` → ``432 / BC - SDT & TG`` (OCR glues the handwritten day to ``ngày``)."""

    def __init__(self, vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        from spacy.tokens import Doc

        words, spaces = [], []
        for match in _TOKEN.finditer(text):
            words.append(match.group())
            spaces.append(match.end() < len(text) and text[match.end()].isspace())
        return Doc(self.vocab, words=words, spaces=spaces)


def _fold_norm(doc: Doc) -> Doc:
    """NORM = the token without case or marks (``Hạnh`` → ``hanh``), what patterns match."""
    for token in doc:
        token.norm_ = fold(token.text) or token.text
    return doc


@cache
def metadata_pipeline() -> Language:
    """The blank pipeline: our tokenizer, the NORM folding, and the EntityRuler with the
    patterns shipped in ``mapping/data/metadata/patterns.jsonl``. spaCy is imported here, the
    first time metadata is read (a second to import: a no-op re-run never pays it)."""
    import spacy
    from spacy.language import Language

    if "vn_fold_norm" not in Language.factories:
        Language.component("vn_fold_norm", func=_fold_norm)
    nlp = spacy.blank("xx")
    nlp.tokenizer = _Tokenizer(nlp.vocab)
    nlp.add_pipe("vn_fold_norm")
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    with (DATA / "patterns.jsonl").open(encoding="utf-8") as f:
        ruler.add_patterns([json.loads(line) for line in f if line.strip()])
    return nlp


@dataclass(frozen=True)
class DocKind:
    name: str
    code: str | None  # the kind's code in the number (``BC`` in ``23/BC-UBND``)


@cache
def doc_kinds() -> dict[str, DocKind]:
    kinds = {}
    with (DATA / "doc_types.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                kinds[row["name"]] = DocKind(row["name"], row["code"])
    return kinds


@cache
def places() -> dict[str, str]:
    """Folded name → printed name of the provinces and centrally-run cities."""
    text = (DATA / "places.txt").read_text(encoding="utf-8")
    names = [x.strip() for x in text.splitlines() if x.strip() and not x.startswith("#")]
    return {fold(name): name for name in names}


@dataclass(frozen=True)
class _Span:
    label: str
    start: int  # character offsets in the line
    end: int
    kind: str = ""  # the pattern's id (a DOC_TYPE's name, an AGENCY head)


@dataclass
class _Read:
    """A line as the ruler read it."""

    line: Line
    text: str
    spans: list[_Span]

    def first(self, label: str) -> _Span | None:
        return next((s for s in self.spans if s.label == label), None)

    def has(self, label: str) -> bool:
        return self.first(label) is not None


MAX_LINE = 2000
READ_CHARS = 4 * MAX_LINE  # what is read of a line before its spaces are squeezed


def _read_lines(lines: list[Line]) -> list[_Read]:
    texts = [_clean(legible_text(line)) for line in lines]
    out = []
    for line, text, doc in zip(lines, texts, metadata_pipeline().pipe(texts), strict=True):
        spans = [_Span(e.label_, e.start_char, e.end_char, e.ent_id_) for e in doc.ents]
        out.append(_Read(line, text, spans))
    return out


def legible_text(line: Line) -> str:
    """The line's printed words: on an OCR'd line, the figures and words Tesseract could
    hardly read (``ILLEGIBLE_FIGURE``, ``LOST_WORD``) and the unsure tokens that are no word
    (``^``, ``k4``, ``.^A``: specks, pen strokes, a stamp's edge) are left out. What is
    written in by hand is no print: the number of ``Số: 23 /BC-UBND`` read ``22`` at 0.42
    goes, and with it the number, which the page does not print. A text layer's or a dump's
    line is kept whole.

    >>> legible_text(Line("Số: 22 /BC-UBND", 1, 1, word_confidences=(0.97, 0.42, 0.92)))
    'Số: /BC-UBND'
    """
    words = line.text.split()
    confidences = line.word_confidences
    if confidences is None or len(confidences) != len(words):
        return line.text
    kept = []
    for word, confidence in zip(words, confidences, strict=True):
        glued = _GLUED_DATE_WORD.match(word)
        if glued:  # ``ngày⁄{5``: the printed word stays, the handwritten day is judged alone
            kept.append(glued.group(1))
            word = glued.group(2)
        if _printed(word, confidence):
            kept.append(word)
    return " ".join(kept)


# a date word and what OCR glued to it, which no Vietnamese letter starts (``ngày0B``)
_GLUED = r"(ngày|tháng|năm)(?=[^\s,.;:a-zàáâãèéêìíòóôõùúýăđĩũơưạ-ỹ])(\S+)"
_GLUED_DATE_WORD = re.compile(_GLUED + "$", re.I)


def _printed(word: str, confidence: float) -> bool:
    """An OCR'd token worth keeping: letters, or a code with letters (``3588/QĐ-BGDĐT``,
    typed in one piece: Tesseract is unsure of codes, not of their print), read above
    ``LOST_WORD`` (a misspelt word is still the word); a figure above ``ILLEGIBLE_FIGURE``;
    below ``PLAUSIBLE_WORD`` only a number, a code or a dash."""
    core = word.strip(".,;:!?()[]\"'“”_|—")
    code = re.fullmatch(r"[\w&]+(?:[/-][\w&]+)+", core)
    if core and (all(unicodedata.category(ch) in ("Lu", "Ll") for ch in core) or code and
                 re.search(r"[^\W\d_]", core)):
        return confidence >= LOST_WORD
    return confidence >= ILLEGIBLE_FIGURE and (confidence >= PLAUSIBLE_WORD or core in ("-", "–")
                                               or bool(code or re.fullmatch(r"\d+(?:[.,]\d+)*",
                                                                            core)))


def _clean(text: str) -> str:
    """Markdown and HTML emphasis of converted documents out, spaces squeezed, NFC; cut to
    ``MAX_LINE`` characters (a header line is short: a 5 MB one-line dump is not read whole)."""
    text = text[:READ_CHARS]
    text = re.sub(r"</?[biu]>|\*\*|__|^#+\s*", "", unicodedata.normalize("NFC", text))
    # OCR glues what follows to a date word (``ngày0B``, ``thángØŸ``): apart, the word anchors
    text = re.sub(r"\b" + _GLUED, r"\1 \2", text, flags=re.I)
    text = re.sub(r"(?<!\S)[_|]+(?=\w)", "", text)  # a rule's end read before a word: ``_CỘNG``
    return " ".join(text.split())[:MAX_LINE]


# --- the fields --------------------------------------------------------------------------------

def read_metadata(lines: list[Line], signatures: Sequence[Signature] = ()) -> DocumentMetadata:
    """Metadata from a document's lines (all pages: the header is read on the first page,
    the signature block wherever the body ends).

    >>> lines = ["ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    ...          "TỈNH QUẢNG NGÃI Độc lập - Tự do - Hạnh phúc", "CHỈ THỊ",
    ...          "Về việc triển khai sử dụng hóa đơn điện tử", "Thực hiện Nghị định số 123"]
    >>> meta = read_metadata([Line(t, 1, i + 1) for i, t in enumerate(lines)])
    >>> meta.issuer.value, meta.doc_type.value, meta.number.value
    ('ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI', 'Chỉ thị', None)
    >>> meta.summary.value
    'Về việc triển khai sử dụng hóa đơn điện tử'
    """
    meta = DocumentMetadata()
    if not lines:
        return meta
    first_page = min(line.page for line in lines)
    head = [line for line in lines if line.page == first_page][:HEADER_LINES]
    read = _read_lines(head)
    quality = _text_quality(head)
    # number and date are printed above the title, and above the body in any case
    body_at = next((i for i, r in enumerate(read) if i and _body_starts(r.text)), len(read))
    title_at = next((i for i, r in enumerate(read[:body_at]) if _title_span(r)), None)
    above = read[:title_at if title_at is not None else body_at]
    number_at = next((i for i, r in enumerate(above) if _number_anchor(r)), None)
    date_at = next((i for i, r in enumerate(above) if r.has("DATE")), None)
    if number_at is not None:
        _read_number(read[number_at], meta, quality)
    if date_at is not None:
        _read_date(read[date_at], meta, quality)
    if _written_in(read, number_at, date_at, meta):
        # empty, and only half sure the page prints none: it holds them in handwriting
        for name, at in (("number", number_at), ("date", date_at)):
            at = next(i for i in (at, number_at, date_at) if i is not None)
            setattr(meta, name, _field(None, 0.5, read[at]))
    top = min(x for x in (number_at, date_at, title_at, len(read)) if x is not None)
    # the issuer's block ends above the title, or on the number's line (OCR joins them)
    _read_issuer(read[:top + (top in (number_at, date_at))], meta, quality)
    after = max(x for x in (number_at, date_at, -1) if x is not None)
    _read_kind_and_summary(read, after, title_at, meta, quality)
    _read_stamp(read, meta)
    _read_signatures(signatures, meta)
    _read_signer(lines, meta, quality)
    return meta


def _written_in(read: list[_Read], number_at: int | None, date_at: int | None,
                meta: DocumentMetadata) -> bool:
    """On a scan, whether the number and date were written in at registration, by hand,
    into the blanks the typed document leaves (``Số:    /BC-UBND``, ``ngày    tháng``): the
    number stands apart from its code (``Số: 22 /BC-UBND``) or was not legible as print, or
    the day was not. Both are given in the one act, so one written in means both were, and
    neither is print, whatever OCR made of the handwriting."""
    lines = [read[at] for at in (number_at, date_at) if at is not None]
    if not lines or all(r.line.word_confidences is None for r in lines):
        return False  # a text layer or a dump says what its text says
    if date_at is not None and meta.date.value is None:
        return True
    if number_at is None:
        return False
    r = read[number_at]
    anchor = _number_anchor(r)
    return anchor is not None and bool(re.match(r"\s*(?:\S+\s+)?/", r.text[anchor.end:]))


def _read_signatures(signatures: Sequence[Signature], meta: DocumentMetadata) -> None:
    """The stamp fields from the digital signatures the PDF reader took out of the body text
    (``extract.signature``), where the lines held no stamp: the first signature is the
    document's (later ones countersign appendices)."""
    if not signatures:
        return
    first = min(signatures, key=lambda s: s.page)
    for name, value in (("signed_by", first.signer), ("signing_body", first.organisation),
                        ("signed_at", first.signed_at)):
        if value and getattr(meta, name).value is None:
            setattr(meta, name, MetaField(value, 0.95, first.page, None))


def _text_quality(lines: list[Line]) -> float:
    """How much the header's words can be trusted: OCR confidence where there is one, and the
    share of words that are written as Vietnamese syllables."""
    words = [w for line in lines for w in re.findall(r"[^\W\d_]+", line.text)]
    if not words:
        return 0.5
    good = sum(is_vietnamese_syllable(w.lower()) for w in words) / len(words)
    confidences = [line.confidence for line in lines if line.confidence is not None]
    ocr = sum(confidences) / len(confidences) if confidences else 1.0
    return max(0.3, min(1.0, 0.4 + 0.6 * good)) * (0.7 + 0.3 * ocr)


def _field(value: str | None, confidence: float, r: _Read) -> MetaField:
    return MetaField(value, max(0.0, min(1.0, confidence)), r.line.page, r.line.number)


def _number_anchor(r: _Read) -> _Span | None:
    """``Số:`` at the start of a line (or after the issuer's words on a joined OCR line),
    followed by something with a slash: the document's number, not a ``số`` in the text."""
    for span in r.spans:
        if span.label == "SO" and "/" in r.text[span.end:span.end + 30] and (
                span.start == 0 or r.text[:span.start].isupper()):
            return span
    return None


_NUMBER = re.compile(r"^\s*([0-9A-Za-z@{(|\]!$]{0,6}?)\s*((?:/\s*\d{4}\s*)?/\s*[A-ZĐa-zđ][\w&.\-]*"
                     r"(?:\s*-\s*[\w&.]+)*)")


def _read_number(r: _Read, meta: DocumentMetadata, quality: float) -> None:
    anchor = _number_anchor(r)
    assert anchor is not None
    date = r.first("DATE")
    end = len(r.text)
    if date is not None and date.start > anchor.end:
        end = _place_start(r.text, anchor.end, date.start)
    segment = r.text[anchor.end:end]
    match = _NUMBER.match(segment)
    if not match:
        meta.number = _field(None, 0.5, r)
        return
    digits_raw, code = match.group(1), re.sub(r"\s+", "", match.group(2))
    # Tesseract reads a Đ twice, the second time as Icelandic Ð (``QĐÐ-BGDĐT``)
    code = code.rstrip(".-").replace("ĐÐ", "Đ").replace("Ð", "Đ")
    digits = digits_raw.translate(_DIGIT_LOOKALIKES)
    if not digits_raw:  # ``Số:   /2025/TT-BGDĐT``: a draft or a number written in later
        meta.number = _field(None, 0.9 * quality, r)
        return
    confidence = quality
    ocr = r.line.word_confidences is not None
    if not digits.isdigit() or ocr and digits != digits_raw:
        # not a number, or an OCR'd one with letters for digits (``0B``): handwriting
        meta.number = _field(None, 0.4, r)
        return
    if digits != digits_raw:
        confidence *= 0.7
    word_conf = _word_confidence(r.line, digits_raw)
    if word_conf is not None:
        confidence *= word_conf
    meta.number = _field(digits + code, 0.97 * confidence, r)


def _word_confidence(line: Line, word: str) -> float | None:
    """OCR confidence of the word that holds ``word``, when the line was OCR'd."""
    if line.word_confidences is None:
        return None
    for w, c in zip(line.text.split(), line.word_confidences, strict=False):
        if word in w:
            return c
    return None


def _place_start(text: str, lo: int, date_start: int) -> int:
    """Where the place before ``ngày`` begins on a line joined with the number: after the
    number's code (the first space after a slash)."""
    slash = text.find("/", lo, date_start)
    if slash < 0:
        return date_start
    space = re.compile(r"\s(?=[^\s/-]*[^\W\d_])").search(text, slash, date_start)
    while space and text[space.start() - 1] in "-/":
        space = re.compile(r"\s").search(text, space.end(), date_start)
    return space.start() if space else date_start


def _read_date(r: _Read, meta: DocumentMetadata, quality: float) -> None:
    span = r.first("DATE")
    assert span is not None
    doc = metadata_pipeline()(r.text[span.start:span.end])
    parts: list[list[str]] = [[]]
    for token in list(doc)[1:]:
        if token.norm_ in ("thang", "nam", "nom", "nim", "num", "mam", "wm", "ndm") or (
                len(parts) == 1 and fuzz.ratio(token.norm_, "thang") >= 80):
            parts.append([])
        else:
            parts[-1].append(token.text)
    confidence = quality
    ocr = r.line.word_confidences is not None
    values = []
    for part in parts[:3]:
        raw = "".join(part)
        digits = raw.translate(_DIGIT_LOOKALIKES)
        if digits != raw:
            confidence *= 0.7
        # an OCR'd day with letters for digits (``ngày 0B``) is handwriting, not print
        values.append(int(digits) if digits.isdigit() and not (ocr and digits != raw) else None)
    place_from = r.text.rfind("/", 0, span.start)
    place_from = _place_start(r.text, place_from, span.start) if place_from >= 0 else 0
    place = r.text[place_from:span.start].strip(" ,.")
    if place:
        _read_place(place, r, meta, quality)
    if len(values) == 3 and all(v is not None for v in values):
        day, month, year = values
        if 1 <= day <= 31 and 1 <= month <= 12 and 1945 <= year <= 2100:
            word_conf = _word_confidence(r.line, str(day))
            if word_conf is not None:
                confidence *= word_conf
            meta.date = _field(f"{year:04d}-{month:02d}-{day:02d}", 0.97 * confidence, r)
            return
        meta.date = _field(None, 0.3, r)
        return
    # ``ngày   tháng 11 năm 2024``: the day is written in at signing and not in the text
    meta.date = _field(None, 0.8 * quality, r)


def _read_place(place: str, r: _Read, meta: DocumentMetadata, quality: float) -> None:
    place = re.sub(r"^[^\w]+", "", place)
    if not place or len(place) > 40:
        return
    words = place.split()
    known = None
    for n in range(min(4, len(words)), 0, -1):  # OCR noise before the place: its last words
        known = process.extractOne(fold(" ".join(words[-n:])), list(places()),
                                   scorer=fuzz.ratio, score_cutoff=PLACE_SCORE)
        if known is not None:
            break
    if known is not None:
        meta.place = _field(places()[known[0]], (0.9 + 0.08 * (known[1] == 100)) * quality, r)
    else:
        meta.place = _field(place, 0.8 * quality, r)


def _is_caps(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 2 and sum(ch.isupper() for ch in letters) >= 0.8 * len(letters)


def _without(r: _Read, labels: tuple[str, ...]) -> str:
    """The line's text with the spans of ``labels`` cut out."""
    text = r.text
    for span in sorted((s for s in r.spans if s.label in labels), key=lambda s: -s.start):
        text = text[:span.start] + " " + text[span.end:]
    return " ".join(text.split())


def _rejoin_letters(text: str) -> str:
    """OCR splits letter-spaced capitals (``BỘ GI ÁO DỤC V À ĐÀO T ẠO``): two pieces are
    joined where together they spell one syllable and one of them cannot stand alone
    (``ĐÀO TẠO`` stays two words)."""
    words = text.split()
    out: list[str] = []
    for word in words:
        if out:
            joined = (out[-1] + word).lower()
            alone = [len(w) == 1 or not is_vietnamese_syllable(w.lower()) for w in (out[-1], word)]
            vowel_start = fold(word[:1]) in "aeiouy"
            if is_vietnamese_syllable(joined) and (any(alone) or vowel_start):
                out[-1] += word
                continue
        out.append(word)
    return " ".join(out)


def _agency_head(text: str) -> str | None:
    """The agency word a line of the issuer block starts with (``SỞ``, ``UBND``, ``PHÒNG``), in
    the canonical spelling; OCR's ``SỐ`` for ``SỞ`` is read as ``SỞ``."""
    doc = metadata_pipeline()(text)
    if doc.ents and doc.ents[0].label_ == "AGENCY" and doc.ents[0].start == 0:
        return doc.ents[0].ent_id_
    return None


def _read_issuer(read: list[_Read], meta: DocumentMetadata, quality: float) -> None:
    """The caps lines of the top-left block, above ``Số:``: the motto and the stamps cut out;
    a line that starts a new agency (``SỞ …`` under ``UBND TỈNH …``) starts the issuer, and
    what is above it is the parent body."""
    block: list[tuple[str, _Read]] = []
    for r in read:
        if r.has("STAMP") or _STAMP_LINE.search(r.text):
            block = []  # a signature stamp's lines: the issuer's block starts after them
            continue
        text = _without(r, ("QUOC_HIEU", "TIEU_NGU", "DATE", "SO", "DRAFT"))
        anchor = _number_anchor(r)
        if anchor is not None:
            text = _without(_Read(r.line, r.text[:anchor.start], []), ())
        text = re.sub(r"[-_—–=.]{2,}", " ", text).strip(" -_—–=*|")
        if not text or not _is_caps(text) or r.has("DOC_TYPE") and len(text.split()) <= 3:
            if block and (r.has("SO") or r.has("DATE")):
                break
            continue
        block.append((_rejoin_letters(text), r))
    if not block:
        return
    split = max((i for i, (text, _) in enumerate(block) if i and _agency_head(text)), default=0)
    issuer = _canonical_words(_canonical_head(" ".join(t for t, _ in block[split:])))
    confidence = quality * (0.97 if _agency_head(issuer) else 0.8)
    meta.issuer = _field(issuer, confidence, block[split][1])
    if split:
        parent = _canonical_words(_canonical_head(" ".join(t for t, _ in block[:split])))
        # a body is named in two words at least (``CHÍNH PHỦ``, ``UBND TỈNH …``): a lone
        # token above the issuer (``TW``) is a speck or a stamp's scrap, not a parent
        if len(parent.split()) >= 2 or _agency_head(parent):
            meta.issuer_parent = _field(parent, confidence * 0.97, block[0][1])


def _canonical_words(text: str) -> str:
    """Place names and administrative units spelled as they are known, whatever marks OCR or
    the repair left on them: ``TINH QUANG NGAI`` / ``TĨNH QUẢNG NGÃI`` → ``TỈNH QUẢNG NGÃI``
    (the longest known phrase wins; capitals stay capitals)."""
    words = text.split()
    known = _known_phrases()
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(5, len(words) - i), 0, -1):
            spelled = known.get(fold(" ".join(words[i:i + n])))
            if spelled is not None and " ".join(words[i:i + n]).replace(" ", "").isalpha():
                caps = _is_caps(" ".join(words[i:i + n]))
                out.append(spelled.upper() if caps else spelled)
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return " ".join(out)


@cache
def _known_phrases() -> dict[str, str]:
    phrases = dict(places())
    with (DATA / "admin_units.txt").open(encoding="utf-8") as f:
        phrases.update({fold(x.strip()): x.strip() for x in f
                        if x.strip() and not x.startswith("#")})
    return phrases


def _canonical_head(text: str) -> str:
    """``SỐ DÂN TỘC`` → ``SỞ DÂN TỘC``: the first word spelled as the agency word it folds to
    (OCR and diacritic repair confuse ``sở`` with ``số``)."""
    first, _, rest = text.partition(" ")
    if fold(first) == "so" and first.upper() != "SỞ":
        return f"{'SỞ' if first.isupper() else 'Sở'} {rest}".strip()
    return text


_SUMMARY_STOP = re.compile(r"^(kinh gui|can cu|thuc hien|theo de nghi|ngay \d|trong |de |nham |"
                           r"phan (thu|[ivx\d])|chuong [ivx\d]|dieu \d|noi nhan)")
_HEADING = re.compile(r"^([IVX]+|\d+(\.\d+)*|[a-zđ])[.)]\s")


def _title_span(r: _Read) -> _Span | None:
    """A title line: the kind in capitals and (almost) nothing else (``BÁO CÁO``)."""
    span = r.first("DOC_TYPE")
    if span is None or not _is_caps(r.text[span.start:span.end]):
        return None
    rest = _without(r, ("DOC_TYPE",))
    return span if len(re.findall(r"[^\W\d_]+", rest)) <= 1 else None


def _body_starts(text: str) -> bool:
    """A line that starts the body (``Căn cứ …``, ``Kính gửi:``, ``I. …``), not the trích yếu."""
    return bool(text[:1].isalpha() and _SUMMARY_STOP.match(fold(text) + " ")
                or _HEADING.match(text))


def _read_kind_and_summary(read: list[_Read], after: int, title_at: int | None,
                           meta: DocumentMetadata, quality: float) -> None:
    """The kind is the title line (``BÁO CÁO``) under the number and date; the trích yếu is the
    lines under it, up to ``Kính gửi``, ``Căn cứ``, a rule or the body. A công văn prints no
    kind: its ``V/v …`` under the number is the trích yếu. The kind's code in the number
    (``/BC-``) confirms it, or stands in for it."""
    code_kind = _kind_from_number(meta.number.value)
    if title_at is not None:
        span = _title_span(read[title_at])
        assert span is not None
        agree = code_kind is None or code_kind == span.kind
        confidence = quality * (0.98 if code_kind == span.kind else 0.9 if agree else 0.6)
        meta.doc_type = _field(span.kind, confidence, read[title_at])
    vv_at = next((i for i, r in enumerate(read) if r.has("VV")), None)
    if title_at is None:
        if vv_at is not None or (meta.number.value and code_kind is None and re.search(
                r"/[A-ZĐ]+-", meta.number.value or "")):
            meta.doc_type = _field("Công văn", quality * (0.9 if vv_at is not None else 0.6),
                                   read[vv_at if vv_at is not None else after])
        elif code_kind is not None:
            meta.doc_type = _field(code_kind, quality * 0.75, read[max(after, 0)])
    start = title_at if title_at is not None else vv_at
    if start is None:
        return
    parts: list[str] = []
    first = read[start]
    if title_at is None:  # V/v: the summary starts on that line, in the left column
        span = first.first("VV")
        assert span is not None
        parts.append(first.text[span.start:])
    right = _right_margin(read)
    for r in read[start + 1:start + 8]:
        text = r.text.strip()
        opening = re.search(r"\bVề việc\b", text)
        if not parts and opening:  # a stamp's scraps in the left column, beside the summary
            text = text[opening.start():]
        if not text:
            if parts and title_at is not None and _blank_ends(read, r):
                break
            continue
        if _body_starts(text) or r.has("KINH_GUI") or r.has("SIGN_AUTH") or \
                re.fullmatch(r"[-_—–=.*\s]+", text) or (_is_caps(text) and parts) or \
                text[:1] in "-+•" or (title_at is None and text[:1].isupper() and parts and
                                      not text.startswith(("V/v", "V/V"))) or (
                parts and _justified(r.line, right)):
            break
        parts.append(text)
    if parts:
        summary = " ".join(" ".join(parts).split())
        meta.summary = _field(summary, quality * 0.9, first)


JUSTIFIED_SLACK = 0.02  # share of the text's width: a line ending this near the margin is prose


def _right_margin(read: list[_Read]) -> tuple[float, float] | None:
    """(left, right) edges of the page's text, from the lines' boxes (None without boxes)."""
    boxes = [r.line.bbox for r in read if r.line.bbox is not None and r.text]
    if len(boxes) < 3:
        return None
    return min(b[0] for b in boxes), max(b[2] for b in boxes)


def _justified(line: Line, edges: tuple[float, float] | None) -> bool:
    """A line that runs to the right margin: a justified paragraph of the body, not a
    centred line of the trích yếu (which ends well inside it)."""
    if edges is None or line.bbox is None:
        return False
    left, right = edges
    return line.bbox[2] >= right - JUSTIFIED_SLACK * (right - left)


def _blank_ends(read: list[_Read], blank: _Read) -> bool:
    """A blank line ends the trích yếu when a paragraph of the body follows it (text dumps
    put a blank line between every line, so one alone is no end)."""
    i = read.index(blank)
    following = next((r for r in read[i + 1:] if r.text.strip()), None)
    return following is None or len(following.text) > 90


def _kind_from_number(number: str | None) -> str | None:
    """``23/BC-UBND`` → ``Báo cáo``; ``299/UBND-TTHC`` → None (no kind code)."""
    if not number:
        return None
    for part in re.split(r"[/-]", number)[1:]:
        for kind in doc_kinds().values():
            if kind.code and fold(part) == fold(kind.code):
                return kind.name
    return None


_STAMP_KEY = re.compile(r"(ky boi|nguoi ky|co quan|thoi gian ky|email)\s*:", re.I)


def _read_stamp(read: list[_Read], meta: DocumentMetadata) -> None:
    """The digital-signature stamp: ``Ký bởi:`` / ``Người ký:`` (who signed), ``Cơ quan:``
    (the signing body), ``Thời gian ký:`` (when). Its lines may share a line with another
    stamp's (``TRUNG TÂM CÔNG BÁO Cơ quan: …``) or wrap (``Ký bởi: Ủy ban nhân dân`` /
    ``tỉnh Quảng Ngãi``); a wrapped line carries no key of its own."""
    start = next((i for i, r in enumerate(read) if r.has("STAMP")), None)
    if start is None:
        return
    found: dict[str, tuple[str, _Read]] = {}
    key = None
    for r in read[start:start + 8]:
        folded = _fold_keep(r.text)
        keys = list(_STAMP_KEY.finditer(folded))
        if not keys:
            if key in ("ky boi", "nguoi ky", "thoi gian ky") and r.text[:1].islower() or \
                    key == "thoi gian ky" and re.match(r"\d{1,2}:\d{2}", r.text):
                text, first = found[key]
                found[key] = (f"{text} {r.text}", first)
            elif found:
                key = None
            continue
        for k, match in enumerate(keys):
            end = keys[k + 1].start() if k + 1 < len(keys) else len(r.text)
            key = match.group(1).lower()
            found.setdefault(key, (r.text[match.end():end].strip(), r))
    for name, keys in (("signed_by", ("ky boi", "nguoi ky")), ("signing_body", ("co quan",))):
        hit = next((found[k] for k in keys if k in found and found[k][0]), None)
        if hit:
            setattr(meta, name, _field(hit[0], 0.9, hit[1]))
    if "thoi gian ky" in found:
        text, r = found["thoi gian ky"]
        match = _STAMP_TIME.search(text)
        if match:
            d, mo, y, h, mi, sec = match.groups()
            meta.signed_at = _field(f"{y}-{int(mo):02d}-{int(d):02d}T{int(h):02d}:{mi}:"
                                    f"{sec or '00'}", 0.9, r)


def _fold_keep(text: str) -> str:
    """``text`` without marks or ``đ``, same length and case: offsets stay the text's."""
    return "".join(fold(ch) if ch.isalpha() and fold(ch) else ch for ch in text)


def _read_signer(lines: list[Line], meta: DocumentMetadata, quality: float) -> None:
    """The signature block at the end of the body: its authority and title lines (``TM. ỦY BAN
    NHÂN DÂN`` / ``KT. CHỦ TỊCH`` / ``PHÓ CHỦ TỊCH``), then the signer's name below the space
    left for the signature. The first block after ``Nơi nhận`` (or the first with an
    authority) is the document's; blocks of appendices that follow are not read."""
    # the ruler reads only the lines around the first ``Nơi nhận`` or authority (``KT.``):
    # running it over a whole report would cost seconds
    hints = [i for i, line in enumerate(lines)
             if _SIGNATURE_HINT.search(fold(line.text[:READ_CHARS]))]  # as _clean reads
    for at in hints[:MAX_SIGNATURE_HINTS]:
        if _read_signature_block(_read_lines(lines[max(0, at - 3):at + 3 * SIGNATURE_WINDOW]),
                                 meta, quality):
            return


def _read_signature_block(read: list[_Read], meta: DocumentMetadata, quality: float) -> bool:
    """The block's title lines and the name under them, in one window of lines; False when
    the window holds no signature block."""
    start = next((i for i, r in enumerate(read) if r.has("NOI_NHAN")), None)
    candidates = range(max(0, (start or 0) - 3), len(read))
    title_lines: list[tuple[str, _Read]] = []
    last = None
    for i in candidates:
        r = read[i]
        span = r.first("SIGN_AUTH") or (r.first("SIGN_TITLE") if start is not None or title_lines
                                        else None)
        if span is None:
            if title_lines and i - last > 2:
                break
            continue
        text = r.text[span.start:].strip()
        if not _is_caps(text) or len(text.split()) > 8:
            continue
        title_lines.append((_canonical_title(text), r))
        last = i
    if not title_lines:
        return False
    meta.signer_title = _field(" / ".join(t for t, _ in title_lines), quality * 0.9,
                               title_lines[0][1])
    for r in read[last + 1:last + 1 + SIGNATURE_WINDOW]:
        name = _person_name(r.text)
        if name:
            meta.signer = _field(name, quality * 0.85, r)
            break
    return True


def _canonical_title(text: str) -> str:
    """``KT. GIAM POC`` → ``KT. GIÁM ĐỐC``: the title after the authority, spelled as the
    known title it is nearest to (the authority's body, ``TM. ỦY BAN NHÂN DÂN``, is kept)."""
    authority, _, title = text.rpartition(". ")
    if authority and fold(authority) == "tm":
        return text
    known = process.extractOne(fold(title), {t: fold(t) for t in signer_titles()},
                               scorer=fuzz.ratio, score_cutoff=75)
    title = known[2] if known else title
    return f"{authority}. {title}" if authority else title


@cache
def signer_titles() -> list[str]:
    """Signers' titles (``PHÓ CHỦ TỊCH``): the ids of the SIGN_TITLE patterns."""
    with (DATA / "patterns.jsonl").open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [row["id"] for row in rows if row["label"] == "SIGN_TITLE"]


_NAME = re.compile(r"((?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]+|[A-ZĐÀ-Ỹ]{2,})(?: (?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]*|"
                   r"[A-ZĐÀ-Ỹ]{2,})){1,4})\s*$")


def _person_name(text: str) -> str | None:
    """A line's trailing run of 2–5 capitalised syllables (``Nguyễn Thị Loan``): the signer's
    name, possibly after a recipient of the left column on the same OCR line."""
    text = _clean(text)
    match = _NAME.search(text)
    if not match:
        return None
    name = match.group(1)
    words = name.split()
    if not all(is_vietnamese_syllable(w.lower()) for w in words) or _is_caps(name) and any(
            fold(name).startswith(p) for p in ("pho ", "chu tich", "giam doc", "kt", "tm")):
        return None
    if fold(name) in ("noi nhan", "nhu tren", "luu vt") or text.startswith(("-", "+")) and \
            len(words) == len(text.lstrip("-+ ").split()):
        return None
    return name
