"""Detect and repair Vietnamese legacy encodings and mojibake.

Vietnamese text reaches us broken in a handful of well-known ways: bytes in TCVN3 (ABC), VNI,
VISCII or Windows-1258; the Latin-1 look-alikes that copying from a ``.VnTime`` or VNI font
leaves (``B¸o c¸o``, ``Baùo caùo``); VIQR (``Vie^.t Nam``); UTF-8 read as Windows-1252
(``BÃ¡o cÃ¡o``); decomposed Unicode. Each repair is a small named function ``str -> str``:
:func:`compose_nfc`, :func:`fix_utf8_mojibake`, :func:`decode_tcvn3`, :func:`decode_vni`,
:func:`decode_viqr`.

Deciding *where* to apply them is separate. Every line is cut into whitespace-delimited chunks;
each chunk is scored under every reading by its words against the Vietnamese syllables of the
corpus (``data/syllables.txt``, :func:`word_value`), and a Viterbi pass picks the reading of each
run of chunks, paying :data:`DEFAULT_SWITCH_COST` to leave the text as it is. A run must also
show the reading's symptom (a TCVN3 symbol inside a word, a VNI modifier after a vowel, a
mojibake byte pair). Text that is already right therefore stays as it is, and a legacy paragraph
or phrase inside Unicode text is repaired on its own; a line next to a repaired line needs less
evidence to be read the same way.

Line breaks are kept exactly (a line ends at LF, CRLF, CR, U+2028 or a form feed, see
:mod:`normalize.lines`): line N of the output is line N of the input. Every change is a
:class:`Fix` (line, column span, fix name, before, after, confidence); :func:`replay` applies a
list of them again.

    >>> repair_encoding("Céng hßa x· héi chñ nghÜa ViÖt Nam").text
    'Cộng hòa xã hội chủ nghĩa Việt Nam'
    >>> repair_encoding("Có không? Được.").text
    'Có không? Được.'
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers the "sloppy-windows-1252" codec)
import numpy as np

from normalize.lines import MAX_TOKEN, count_breaks, join_lines, split_lines, windows

DATA_DIR = Path(__file__).parent / "data"
ENCODINGS_DIR = DATA_DIR / "encodings"
SYLLABLES_PATH = DATA_DIR / "syllables.txt"

#: Score a run of chunks must gain under another reading before we change it.
DEFAULT_SWITCH_COST = 1.5
#: Weight of log10(corpus count) in a syllable's score: breaks ties between valid readings.
DEFAULT_FREQUENCY_WEIGHT = 0.05
#: Cost of entering a reading that a neighbouring line was read with.
DEFAULT_CONTEXT_SWITCH_COST = 0.05
#: How many passes over a document that context gets to spread.
DEFAULT_CONTEXT_ROUNDS = 4
#: A line is read as VIQR on its own when this share of its words carry VIQR marks.
DEFAULT_VIQR_MIN_SHARE = 0.3
#: Share of words that end a sentence: the odds that an unescaped VIQR "." is a full stop.
SENTENCE_END_SHARE = 1 / 16

SLOPPY_1252 = "sloppy-windows-1252"
TONE_MARKS = "\u0301\u0300\u0309\u0303\u0323"

#: Names accepted by encode_legacy, decode_bytes and repair_encoding(encoding=...).
ENCODING_ALIASES = {
    "tcvn3": "tcvn3",
    "tcvn": "tcvn3",
    "abc": "tcvn3",
    "tcvn3-lookalike": "tcvn3-lookalike",
    "vni": "vni",
    "vni-windows": "vni",
    "vni-lookalike": "vni-lookalike",
    "viscii": "viscii",
    "vps": "vps",
    "cp1258": "cp1258",
    "windows-1258": "cp1258",
    "viqr": "viqr",
    "utf-8-mojibake": "utf-8-mojibake",
    "mojibake": "utf-8-mojibake",
    "utf-8-mojibake-2": "utf-8-mojibake-2",
    "nfd": "nfd",
    "nfc": "nfc",
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "windows-1252": "windows-1252",
    "cp1252": "windows-1252",
}
#: The single-byte Vietnamese encodings decode_bytes tries when a file is not UTF-8.
LEGACY_BYTE_ENCODINGS = ("tcvn3", "vni", "viscii", "cp1258")


# --- records --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fix:
    """One change: ``before`` at ``line`` (1-based), columns ``[start, end)`` became ``after``.

    Columns refer to the line as it was when this fix ran, so a list of fixes replays in order.
    ``reason`` says why in words, where the fix's name does not say enough.
    """

    line: int
    start: int
    end: int
    fix: str
    before: str
    after: str
    confidence: float
    reason: str = ""


@dataclass
class Repaired:
    text: str
    steps: list[Fix] = field(default_factory=list)


@dataclass
class Decoded:
    """Decoded bytes. ``encoding`` is the one detected (``"utf-8+tcvn3"`` for a mixed file)."""

    text: str
    encoding: str
    confidence: float
    steps: list[Fix] = field(default_factory=list)


# --- code tables (data/encodings/*.json) ---------------------------------------------------


@cache
def _table(name: str) -> dict:
    return json.loads((ENCODINGS_DIR / f"{name}.json").read_text(encoding="utf-8"))


@cache
def _tcvn3_lookalikes() -> dict[str, str]:
    """Look-alike character (the TCVN3 byte read as Latin-1) -> Unicode letter."""
    table = _table("tcvn3")["to_unicode"]
    return {chr(int(code, 16)): letter for code, letter in table.items()}


@cache
def _tcvn3_translation() -> dict[int, str]:
    return str.maketrans(_tcvn3_lookalikes())


@cache
def _tcvn3_case_lost() -> frozenset[str]:
    """Look-alikes of toned vowels: VN3 has them in lowercase only, so their case is lost."""
    return frozenset(char for char, letter in _tcvn3_lookalikes().items() if _tone_of(letter))


@cache
def _tcvn3_encoder() -> dict[str, int]:
    """Unicode letter -> TCVN3 byte; an uppercase toned vowel takes its lowercase code."""
    encoder = {letter: ord(char) for char, letter in _tcvn3_lookalikes().items()}
    for letter, code in list(encoder.items()):
        encoder.setdefault(letter.upper(), code)
    return encoder


@cache
def _vni_decoder() -> tuple[re.Pattern[str], dict[str, str]]:
    """Regex over VNI look-alike sequences (longest first) and sequence -> Unicode letter.

    A modifier typed in the other case than its base letter (``Aù``) reads as the base letter's
    case.
    """
    reverse = {form: letter for letter, form in _vni_encoder().items() if form != letter}
    for form, letter in list(reverse.items()):
        if len(form) == 2:
            reverse.setdefault(form[0] + form[1].swapcase(), letter)
    alternatives = sorted(reverse, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, alternatives))), reverse


@cache
def _vni_encoder() -> dict[str, str]:
    return dict(_table("vni")["from_unicode"])


@cache
def _single_byte_table(name: str) -> tuple[tuple[str, ...], dict[str, int]]:
    """Byte -> character for all 256 bytes of a code page whose letters take bytes of their
    own (VISCII, VPS), and Unicode letter -> byte."""
    table = _table(name)["to_unicode"]
    to_unicode = {int(code, 16): letter for code, letter in table.items()}
    decode = tuple(to_unicode.get(byte, chr(byte)) for byte in range(256))
    return decode, {letter: byte for byte, letter in to_unicode.items()}


class _Viqr(NamedTuple):
    shape: dict[str, str]  # "^" -> combining circumflex
    shape_bases: dict[str, str]  # "^" -> "aeoAEO"
    tone: dict[str, str]  # "'" -> combining acute
    marks: str
    d_bar: dict[str, str]  # "dd" -> "đ"
    escape: str
    from_unicode: dict[str, str]


@cache
def _viqr() -> _Viqr:
    table = _table("viqr")
    return _Viqr(
        table["shape_marks"],
        table["shape_bases"],
        table["tone_marks"],
        "".join(table["shape_marks"]) + "".join(table["tone_marks"]),
        table["d_bar"],
        table["escape"],
        table["from_unicode"],
    )


_VIQR_VOWELS = "aeiouyAEIOUY"
_VIQR_PUNCTUATION = ".?'"  # tone marks that are also punctuation
_VIQR_ESCAPE = re.compile(r"\\[(^+'`?~.\\]")
_VIQR_WORD_ESCAPE = re.compile(r"(?<=[^\W\d_])\\([(^+'`?~.\\dD])")  # an escape after a letter
_VIQR_ESCAPE_ANY = re.compile(r"\\([(^+'`?~.\\dD])")  # marks, and "d\d" (a literal "dd")
_LIST_ITEM = re.compile(r"[^\W\d_]{1,3}[).:]|[ivx]+\Z")  # "a)" "dd)" "b." "iv"
_LIST_MARKS = frozenset("AEIOUY")  # "I." "A." head a list, they are not "Ị" "Ạ" ("Y'" is Ý)


# --- characters -----------------------------------------------------------------------------


def _windows_1252_specials() -> str:
    return bytes(range(0x80, 0xA0)).decode(SLOPPY_1252)


_WINDOWS_1252_LETTERS = frozenset(c for c in _windows_1252_specials() if c.isalpha())
_WINDOWS_1252_RUN = re.compile("[\u0000-\u00ff" + re.escape(_windows_1252_specials()) + "]+")
# Symbols that legacy fonts and mojibake put inside words: everything in U+0080-U+00BF but the
# no-break space, × ÷, and the Windows-1252 specials but the punctuation correct text uses
# every day (quotes, dashes, ellipsis, bullet).
_EVERYDAY_PUNCTUATION = "\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u2022"
_GARBAGE = frozenset(
    bytes(range(0x80, 0xC0)).decode("latin-1") + "\u00d7\u00f7" + _windows_1252_specials()
) - frozenset("\u00a0" + _EVERYDAY_PUNCTUATION)
_WORD = re.compile("(?:[^\\W\\d_]|[" + re.escape("".join(sorted(_GARBAGE))) + "])+")
_CHUNK = re.compile(r"[^ \t\f\v]+")
_LATIN1_VIETNAMESE = frozenset("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
_ACRONYM = re.compile("[A-ZĐ]+")  # HĐND, QĐ, ĐVSN
_VIETNAMESE_LETTERS = re.compile(r"[a-zđăâêôơưA-ZĐĂÂÊÔƠƯ\u00c0-\u1ef9]+\Z")

# a UTF-8 lead byte followed by a continuation byte, both read as Windows-1252
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf" + re.escape(_windows_1252_specials()) + "]")
# the same, for the lead bytes of Latin-1 and Vietnamese letters only
_MOJIBAKE_SIGNATURE = re.compile(
    "[\u00c2-\u00c6\u00cc\u00cd][\u0080-\u009f\u00a1-\u00bf"
    + re.escape(_windows_1252_specials())
    + "]|\u00e1[\u00ba\u00bb]|\u00c3\u00a0"
)
_TCVN3_SYMPTOM_CHARS = (
    _GARBAGE | frozenset(c for c in map(chr, range(0xC0, 0x100)) if c.isalpha())
) - _LATIN1_VIETNAMESE
_VNI_SYMPTOM = re.compile("[aeiouyAEIOUYôöÔÖ][ùøûõïâáàåãäêéèúüëÙØÛÕÏÂÁÀÅÃÄÊÉÈÚÜË]|[ñÑöÖæÆîÎ]")
_MARKUP = re.compile(r"</?[A-Za-z][^<>]{0,30}>")
_VIQR_HINT = re.compile(r"[A-Za-z][(^+'`?~.\\]|(?<![a-z])(?:dd|DD|Dd)")


def _letters(text: str) -> str:
    return "".join(c for c in text if c.isalpha())


def _glued(text: str, start: int, end: int) -> bool:
    """A word stuck to digits (``a^2``, ``T¥16``) is a formula or noise, not a word."""
    return (start > 0 and text[start - 1].isdigit()) or (end < len(text) and text[end].isdigit())


def _has_unicode_letters(text: str) -> bool:
    """Letters no 8-bit font has (``ư``, ``đ``, ``ạ``): the text is Unicode."""
    return any(c.isalpha() and c not in _WINDOWS_1252_LETTERS for c in text if ord(c) > 0xFF)


@lru_cache(maxsize=1 << 16)
def _chunk_has_unicode_letters(chunk: str) -> bool:
    """:func:`_has_unicode_letters` of one chunk (chunks recur: cached)."""
    return _has_unicode_letters(chunk)


def _tone_of(letter: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", letter) if c in TONE_MARKS)


# --- syllables and scores -------------------------------------------------------------------

# Vowel nuclei of Vietnamese syllables, glides included ("oa", "uyê", "ươi").
_VOWEL_CLUSTERS = (
    "a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi oo ôi ơi ua uâ uê ui "
    "uô uơ uy ưa ưi ưu ươ yê iêu oai oao oay oeo uây uôi uya uyê uyu ươi ươu yêu"
).split()
_SYLLABLE_SHAPE = re.compile(
    r"(ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdđghklmnprstvx])?"
    "(" + "|".join(sorted(_VOWEL_CLUSTERS, key=len, reverse=True)) + ")"
    r"(ch|ng|nh|[cmnpt])?"
)
_SHAPED_VOWELS = "ăâêôơư"
_TONE_ON_EITHER = ("oa", "oe", "uy")  # hoà / hòa, thuý / thúy: both placements are in use
# Nuclei that end in a glide (i, y, o, u after the main vowel) close the syllable: no final
# consonant follows (no "aung", "oin"; VNI "thaùng" has the shape of no syllable).
_CLOSED_NUCLEI = frozenset(
    "ai ao au ay âu ây eo êu iu oi ôi ơi ui ưi ưu iêu oai oao oay oeo uây uôi uyu ươi ươu yêu"
    .split()
)


def _tone_places(nucleus: str, closed: bool) -> set[int]:
    """Where a tone may sit in a vowel nucleus, old and new placement rules alike."""
    shaped = [i for i, c in enumerate(nucleus) if c in _SHAPED_VOWELS]
    if shaped:
        return {shaped[-1]}  # người, muối, thuở, khuấy
    if closed or len(nucleus) == 1:
        return {len(nucleus) - 1}  # toán, huỳnh
    if len(nucleus) == 3:
        return {1}  # ngoái, khuỷu
    return {0, 1} if nucleus in _TONE_ON_EITHER else {0}  # mùa, hỏi; hoà, hòa


@lru_cache(maxsize=1 << 16)
def syllable_key(word: str) -> str | None:
    """Key of a word that has the shape of a Vietnamese syllable, else None.

    The key is the toneless lowercase letters followed by the tone mark, so both tone
    placements share a key and neither counts as an error; a tone anywhere else does:

        >>> syllable_key("hoà") == syllable_key("Hòa") == "hoa\\u0300"
        True
        >>> syllable_key("xaõ") is None, syllable_key("London") is None
        (True, True)
    """
    lower = unicodedata.normalize("NFC", word.lower())
    decomposed = unicodedata.normalize("NFD", lower)
    tones = [c for c in decomposed if c in TONE_MARKS]
    if len(tones) > 1:
        return None
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    shape = _SYLLABLE_SHAPE.fullmatch(base)
    if shape is None or (shape.group(3) and shape.group(2) in _CLOSED_NUCLEI):
        return None
    if tones:
        toned = [i for i, c in enumerate(lower) if _tone_of(c)]
        places = _tone_places(shape.group(2), bool(shape.group(3)))
        if len(toned) != 1 or toned[0] - shape.start(2) not in places:
            return None
    return base + "".join(tones)


@cache
def _inventory() -> tuple[dict[str, int], frozenset[str]]:
    """``data/syllables.txt`` (``syllable<TAB>count`` lines): key -> count, and the exact forms."""
    counts: dict[str, int] = {}
    forms = []
    for line in SYLLABLES_PATH.read_text(encoding="utf-8").splitlines():
        word, _, count = line.partition("\t")
        key = syllable_key(word)
        if key:
            counts[key] = counts.get(key, 0) + int(count or 1)
            forms.append(word)
    return counts, frozenset(forms)


def is_vietnamese_syllable(word: str) -> bool:
    """True for a syllable of the corpus inventory, whatever its case or tone placement."""
    key = syllable_key(word)
    return key is not None and key in _inventory()[0]


def _bad_case(word: str) -> bool:
    """Neither lower, upper nor title case: ``trÊn``, ``KÌm`` (not ``UBND``, ``Hà``, ``x``)."""
    return not (word.islower() or word.isupper() or len(word) == 1 or word[1:].islower())


@lru_cache(maxsize=1 << 18)
def word_value(word: str) -> float:
    """Score of one word under the syllable inventory.

    1 + :data:`DEFAULT_FREQUENCY_WEIGHT` x log10(corpus count) for a Vietnamese syllable (the
    small frequency term only breaks ties between two valid readings: TCVN3 ``vô`` is ``vụ``);
    0.5 for a word of Vietnamese shape we have not seen; 0 for an unknown ASCII word (English,
    ``UBND``), an acronym (``HĐND``), a lone letter (``đ`` for đồng) or a lone symbol; -1 for
    any other word with non-ASCII letters, or one whose case is neither lower, upper nor title
    (``trÊn``, ``vÒ``: look-alikes of TCVN3's ``trấn``, ``về``); -2 for a word with a legacy or
    mojibake symbol inside (``B¸o``, ``Viá»‡t``). A soft hyphen inside a word (TCVN3's ``ư``,
    but also a hyphenation hint in correct text) costs 1 and the rest of the word is scored
    without it.
    """
    if "\u00ad" in word.strip("\u00ad"):
        return word_value(word.replace("\u00ad", "")) - 1.0
    word = word.replace("\u00ad", "")
    if not any(c.isalpha() and c not in _GARBAGE for c in word):
        return 0.0
    if any(c in _GARBAGE for c in word):
        return -2.0
    if _bad_case(word):
        return -1.0
    key = syllable_key(word)
    count = _inventory()[0].get(key, 0) if key is not None else 0
    if count:
        return 1.0 + DEFAULT_FREQUENCY_WEIGHT * math.log10(count)
    if key is not None:
        return 0.5
    if word.isascii() or len(word) == 1 or _ACRONYM.fullmatch(word):
        return 0.0
    return -1.0


def text_value(text: str) -> float:
    """Sum of :func:`word_value` over the words of ``text``, -2 per mojibake signature.

    A signature is the UTF-8 lead byte of a Latin-1 or Vietnamese letter and a continuation
    byte, read as Windows-1252 (``"á»"``, ``"Ä‘"``, ``"Ã\\xa0"``); ``"giá…"`` or ``"và\\xa0"``
    is not one.
    """
    signatures = len(_MOJIBAKE_SIGNATURE.findall(text))
    return sum(word_value(w) for w in _WORD.findall(text)) - 2.0 * signatures


# --- the fixes ------------------------------------------------------------------------------


def compose_nfc(text: str) -> str:
    """Compose decomposed Unicode (NFD, Windows-1258 combining tones) into NFC.

    ``"Vie\\u0302\\u0323t"`` becomes ``"Việt"``. Both tone placements of already composed text
    are left alone: ``"hoà"`` stays ``"hoà"`` and ``"hòa"`` stays ``"hòa"``.
    """
    return unicodedata.normalize("NFC", text)


def fix_utf8_mojibake(text: str) -> str:
    """Undo UTF-8 read as Windows-1252/Latin-1, once or twice over (ftfy), when it helps.

    ``"BÃ¡o cÃ¡o"`` becomes ``"Báo cáo"``. ftfy's answer is kept only if it scores better
    against the syllable inventory, so correct text such as ``"Ông Tâm"``, or TCVN3 look-alikes
    that ftfy might misread, are never touched.
    """
    fixed = ftfy.fix_encoding(text)
    if fixed != text and text_value(fixed) > text_value(text):
        return fixed
    return text


def decode_tcvn3(text: str) -> str:
    """Read TCVN3 (ABC, ``.VnTime``) look-alike characters as the letters they stand for.

    ``"Thµnh phè"`` becomes ``"Thành phố"``. TCVN3 has no uppercase toned vowels, so their case
    is restored from each line's context (:func:`_restore_tcvn3_case`): ``"CéNG HßA"`` becomes
    ``"CỘNG HÒA"`` but ``"ñy ban"`` stays ``"ủy ban"``. A word with a letter no 8-bit font has
    (``"được"``) is not TCVN3 and is left alone; any other word is decoded -- the caller decides
    where the text is TCVN3, as correct ``"Báo"`` would become ``"Bỏo"``.
    """
    table = _tcvn3_translation()

    def decode_chunk(chunk: str) -> str:
        return chunk.translate(table)

    def decode_line(line: str) -> str:
        decoded = _CHUNK.sub(lambda m: _unless_unicode(m.group(), decode_chunk), line)
        return _restore_tcvn3_case(line, decoded)

    return "\n".join(map(decode_line, text.split("\n")))


def decode_vni(text: str) -> str:
    """Read VNI Windows look-alikes (base letter + modifier) as Unicode letters.

    ``"Vieät Nam"`` becomes ``"Việt Nam"``, ``"ñöôøng"`` becomes ``"đường"``. A word with a
    letter no 8-bit font has (``"cơ"``) is left alone; any other is decoded -- the caller
    decides where the text is VNI, as correct ``"cô"`` would become ``"cơ"``.
    """
    pattern, reverse = _vni_decoder()

    def decode_chunk(chunk: str) -> str:
        return pattern.sub(lambda m: reverse[m.group()], chunk)

    return _CHUNK.sub(lambda m: _unless_unicode(m.group(), decode_chunk), text)


def decode_viqr(text: str) -> str:
    """Read VIQR (RFC 1456) words as Vietnamese: ``"Vie^.t Nam"`` -> ``"Việt Nam"``.

    A word is converted only when its reading is Vietnamese, and a tone mark is only taken
    where the syllable has none yet, so ``"Có không? Được."`` is left alone. A word-final
    ``.``, ``?`` or ``'`` is read as a tone only if the syllable, tone placed just there, is in
    the inventory (``"ddi."`` -> ``"đi."``, ``"chu+a?"`` -> ``"chưa?"``, ``"I."`` stays);
    ``\\`` escapes a mark (``"ddi\\."`` -> ``"đi."``).
    """
    return _CHUNK.sub(lambda m: _viqr_chunk(m.group())[0], text)


def _unless_unicode(chunk: str, decode: Callable[[str], str]) -> str:
    """Decode a chunk of 8-bit look-alikes, but not one with a letter beyond Windows-1252."""
    return chunk if _chunk_has_unicode_letters(chunk) else decode(chunk)


def _utf8_mojibake_chunk(text: str) -> str:
    """Chunk-sized :func:`fix_utf8_mojibake` without the guard (the run scorer is the guard).

    A short chunk such as ``"má»›i"`` gives ftfy too little to go on, so each stretch of
    Windows-1252 characters is first read back as UTF-8 (at most twice); a character beyond
    Windows-1252 (``"ạ"`` in ``"Ä‘oạn"``) cannot be part of mojibake and ends a stretch.
    """
    if not _MOJIBAKE.search(text):
        return text
    fixed = _WINDOWS_1252_RUN.sub(lambda m: _utf8_from_1252(m.group()), text)
    return fixed if fixed != text else ftfy.fix_encoding(text)


def _utf8_from_1252(text: str) -> str:
    fixed = text
    for _ in range(2):
        if not _MOJIBAKE.search(fixed):
            break
        try:
            fixed = fixed.encode(SLOPPY_1252).decode("utf-8")
        except UnicodeError:
            break
    return fixed


def _utf8_mojibake_chunks(text: str) -> str:
    return _CHUNK.sub(lambda m: _utf8_mojibake_chunk(m.group()), text)


def _fix_utf8_mojibake_everywhere(text: str) -> str:
    """:func:`fix_utf8_mojibake` without the guard, then chunk by chunk (forced repair)."""
    return _utf8_mojibake_chunks(ftfy.fix_encoding(text))


# --- TCVN3 case -----------------------------------------------------------------------------


def _restore_tcvn3_case(lookalike: str, decoded: str) -> str:
    """Uppercase the toned vowels whose case TCVN3 lost, where the context is uppercase.

    The letters with a known case are the ASCII letters and ``Ă Â Ê Ô Ơ Ư Đ`` (and their
    lowercase). A line whose known letters are all uppercase, with a syllable among them (not
    only acronyms), is an ALL-CAPS heading. Otherwise a word is uppercased when its own known
    letters are all uppercase (at least two: ``"HòA"``), or when it has at most one and the
    nearest words on both sides are uppercase words; and a toned vowel before an uppercase
    letter of its word is uppercase (``"ủY"`` -> ``"ỦY"``). Markup such as ``<b>`` is not
    context. Everything else stays lowercase (``"ủy ban"``, ``"Số: 205/KH-UBND"``).
    """
    case_lost = _tcvn3_case_lost()
    lost = {i for i, c in enumerate(lookalike) if c in case_lost and decoded[i] != c}
    if not lost:
        return decoded
    context = _MARKUP.sub(lambda m: " " * len(m.group()), decoded)  # "<b>" is no lowercase
    known = [c for i, c in enumerate(context) if i not in lost and c.lower() != c.upper()]
    if all(c.isupper() for c in known) and _has_capital_syllable(context, lost):
        upper = sorted(lost)
    else:
        upper = _uppercase_in_context(context, lost)
    chars = list(decoded)
    for i in upper:
        chars[i] = chars[i].upper()
    return "".join(chars)


def _has_capital_syllable(decoded: str, lost: set[int]) -> bool:
    """A syllable in capitals (``NAM``, ``HòA``), not only acronyms (``KH-UBND``)."""
    for m in re.finditer(r"[^\W\d_]+", decoded):
        known = [c for i, c in enumerate(m.group(), m.start()) if i not in lost]
        if len(known) >= 2 and all(c.isupper() for c in known) and syllable_key(m.group()):
            return True
    return False


def _uppercase_in_context(decoded: str, lost: set[int]) -> list[int]:
    # per word: positions of its lost letters, its known-case letters, its last known capital
    words = []
    for m in re.finditer(r"[^\W\d_]+", decoded):
        span = range(m.start(), m.end())
        known = [i for i in span if i not in lost and decoded[i].lower() != decoded[i].upper()]
        last_capital = max((i for i in known if decoded[i].isupper()), default=-1)
        words.append(([i for i in span if i in lost], [decoded[i] for i in known], last_capital))

    def capitals(index: int) -> bool | None:
        """True/False for an upper/lowercase word with >= 2 known letters, None if unsure."""
        known = words[index][1]
        if any(c.islower() for c in known):
            return False
        return True if len(known) >= 2 else None

    def nearest(indexes: Iterable[int]) -> bool | None:
        return next((capitals(j) for j in indexes if capitals(j) is not None), None)

    upper: list[int] = []
    for index, (positions, _, last_capital) in enumerate(words):
        own = capitals(index)
        if positions and own is None:
            before = nearest(range(index - 1, -1, -1))
            after = nearest(range(index + 1, len(words)))
            own = bool(before and after)
        upper.extend(i for i in positions if own or i < last_capital)
    return upper


# --- VIQR -----------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def _viqr_chunk(
    chunk: str,
    lenient: bool = False,
    escaped: bool = True,
    final: str = "",
    continued: bool = False,
) -> tuple[str, Mapping[str, int]]:
    """Read one whitespace-delimited chunk; returns the text and how many words of each kind.

    The kinds (see :func:`_viqr_word`) are the evidence the line detector weighs. A mark belongs
    to a word only where it can mark the vowel before it (``"ng.Pha^`n"`` is two words, and so
    is ``"APU(Do`ng"``), and a capital after a small letter starts a word (``"NamNhi`n"``: no
    syllable has one, two words lost their space; so is ``"va`Chie^'n"``), and an escaped mark
    ends a word (``"Gregory\\.Ba?n"``: a sentence that lost its space). ``lenient`` reads
    foreign words too, ``escaped`` says the text escapes its literal marks, ``final`` which
    marks a foreign word may end in as a tone, ``continued`` that the next chunk starts with a
    small letter (see :func:`_viqr_word`).

    The counts have one more key, "final": the weak words read only through a word-final
    ``.``, ``?`` or ``'``, which may as well be punctuation (``ty.``). A pure function of its
    arguments, cached (most chunks of a long text recur); callers read the counts, never
    write them.
    """
    viqr = _viqr()
    out: list[str] = []
    kinds = {"none": 0, "escape": 0, "weak": 0, "strong": 0, "invalid": 0, "final": 0}
    if len(chunk) > MAX_TOKEN:  # a blob, no words
        return chunk, MappingProxyType(kinds)
    i, n = 0, len(chunk)
    while i < n:
        if not chunk[i].isalpha():
            out.append(chunk[i])
            i += 1
            continue
        j, last_letter = i, ""
        while j < n and (
            (chunk[j].isalpha() and not (chunk[j].isupper() and last_letter.islower()))
            or (j > i and _viqr_marks_vowel(chunk, j) and not _initials(chunk, i, j))
            or (chunk[j] == viqr.escape and chunk[j + 1 : j + 2] in (*viqr.marks, "\\", "d", "D"))
        ):
            if chunk[j] == viqr.escape:
                j += 2
                if chunk[j - 1] in viqr.marks:  # an escaped mark is punctuation: the word ends
                    break
                continue
            if chunk[j].isalpha():
                last_letter = chunk[j]
            j += 1
        word = chunk[i:j]
        text, kind = _viqr_word(
            word, _glued(chunk, i, j), lenient, escaped, final, continued and j == n
        )
        if kind == "escape" and j < n and chunk[j].isalpha():  # "version\.py" is no evidence
            kind = "weak"
        out.append(text)
        kinds[kind] += 1
        if kind == "weak" and word[-1] in _VIQR_PUNCTUATION and text[:-1] == word[:-2]:
            kinds["final"] += 1
        i = j
    return "".join(out), MappingProxyType(kinds)


def _initials(chunk: str, i: int, j: int) -> bool:
    """Is the "." at ``chunk[j]`` one of initials (``A.T.``, ``E.U.``), not a dot below?"""
    return (
        chunk[j] == "."
        and j == i + 1
        and chunk[i].isupper()
        and chunk[j + 1 : j + 2].isupper()
        and chunk[j + 2 : j + 3] in (".", "")
    )


def _viqr_marks_vowel(chunk: str, j: int) -> bool:
    """Is ``chunk[j]`` a VIQR mark that can sit where it is: a tone or a fitting shape mark
    right after a vowel, or a tone after a vowel and its shape mark (``a^```)?"""
    viqr = _viqr()
    mark, before = chunk[j], chunk[j - 1]
    if mark in viqr.tone:
        return before in _VIQR_VOWELS or (
            before in viqr.shape and j > 1 and chunk[j - 2] in viqr.shape_bases[before]
        )
    return mark in viqr.shape and before in viqr.shape_bases[mark]


def _viqr_word(
    word: str,
    glued: bool,
    lenient: bool = False,
    escaped: bool = True,
    final: str = "",
    continued: bool = False,
) -> tuple[str, str]:
    """Read one word of letters, marks and escapes; returns (text, kind).

    kind: "none" (unchanged); "escape" (only a word-final escape removed); "strong" (a syllable
    of the inventory read through a shape mark, a mark inside the word or ``dd``); "weak" (any
    other reading that is Vietnamese: a final tone, ``DD`` inside an acronym such as ``QDD`` ->
    ``QĐ``, a lone ``dd``, a shape mark on a misspelt syllable); "invalid" (left unchanged: the
    reading is not Vietnamese, or the word is stuck to digits like ``a^2``; a syllable before a
    footnote number, ``cuo^.c1``, is still read). An escape is no reading: it is removed from an
    invalid word too (``E\\.370`` -> ``E.370``, ``O\\'Hare`` -> ``O'Hare``), which shows only
    where the line or phrase is read as VIQR.

    ``lenient`` (a line already read as VIQR): a word that is no syllable is read all the same
    when a mark sits inside it (``Alge'rie`` -> ``Algérie``, ``Se'ne'gal`` -> ``Sénégal``,
    ``hyddro^`` -> ``hyđrô``), as VIQR text writes foreign names with the same marks -- but not
    an acronym, a possessive (``America's``), a name such as ``O'Neill`` or a word with a
    ``.`` inside (``Armgate.com``: VIQR would escape that dot, but a foreign word's full
    stop need not be).

    ``escaped``: the text escapes its literal marks, so a word-final ``.`` is a tone wherever
    the toned syllable has the shape of a syllable (``se.`` -> ``sẹ``). Otherwise it is a
    tone only where the toned syllable is likelier than the bare one ending a sentence
    (``Phu.`` is ``Phụ``, but ``co^ng ty.`` is ``công ty.``), or where the next chunk starts
    with a small letter (``continued``: ``ba. ta`u`` is ``bạ tàu``, a sentence does not end
    there). ``final`` (the marks a foreign word next to Vietnamese may end in, on a line
    without Unicode letters): in a text that escapes its literal marks, a lenient word's final
    ``'`` is a tone too (``Szabo'`` -> ``Szabó``: a quote would be ``\'``), as it is after a
    mark inside the word (``La'szlo'``); a final ``.`` or ``?`` is not (``Me'xico.``): no
    foreign word ends in a dot below or a hook.
    """
    viqr = _viqr()
    acronym = _letters(word).isupper() and len(_letters(word)) > 1
    lenient = lenient and _lenient_viqr_word(word)
    inner_d_bar = lenient and any(_viqr_marks_vowel(word, k) for k in range(1, len(word)))
    out: list[str] = []
    has_tone = has_shape = unambiguous = False
    final_tone: tuple[int, str, str] | None = None  # (index in out, untoned letter, mark)
    i, n = 0, len(word)
    while i < n:
        c = word[i]
        if c == viqr.escape and i + 1 < n:
            out.append(word[i + 1])
            i += 2
            continue
        if word[i : i + 2] in viqr.d_bar and (i == 0 or acronym or inner_d_bar):
            out.append(viqr.d_bar[word[i : i + 2]])
            unambiguous = unambiguous or i == 0
            i += 2
            continue
        shape = tone = ""
        j = i + 1
        while c in _VIQR_VOWELS and j < n and j <= i + 2:
            if not shape and word[j] in viqr.shape and c in viqr.shape_bases[word[j]]:
                shape = word[j]
            elif not tone and (not has_tone or lenient) and word[j] in viqr.tone:
                tone = word[j]
            else:
                break
            j += 1
        if not (shape or tone):
            out.append(c)
            has_tone = has_tone or bool(_tone_of(c))
            i += 1
            continue
        base = compose_nfc(c + viqr.shape.get(shape, ""))
        out.append(compose_nfc(base + viqr.tone.get(tone, "")))
        has_tone = has_tone or bool(tone)
        has_shape = has_shape or bool(shape)
        if shape or j < n or tone not in _VIQR_PUNCTUATION:  # "va`" is no punctuation
            unambiguous = True
        elif tone in _VIQR_PUNCTUATION:  # a word-final "." "?" "'" may be punctuation
            final_tone = (len(out) - 1, base, tone)
        i = j
    if final_tone is not None:
        index, base, tone = final_tone
        list_mark = tone == "." and _letters(word) in _LIST_MARKS
        toned = _letters("".join(out))
        foreign_tone = tone == "'" and (tone in final or unambiguous)  # no foreign ạ, ả
        if lenient and escaped and foreign_tone and not list_mark and not glued:
            unambiguous = True  # the text escapes a literal mark: a foreign word's final tone
        elif (
            list_mark
            or (syllable_key(toned) is None if escaped else toned.lower() not in _inventory()[1])
            or (
                tone == "."
                and not escaped
                and not continued
                and not _toned_likelier(toned, _letters(word))
            )
        ):
            out[index] = base + tone
    text = "".join(out)
    letters = _letters(text)
    if text == word:
        return word, "none"
    unescaped = _VIQR_ESCAPE_ANY.sub(r"\1", word)
    if text == unescaped:  # only escapes removed; stuck to digits (E\.370), no evidence
        return text, "escape" if word[-2:-1] == viqr.escape and not glued else "weak"
    if glued and not (len(letters) > 1 and is_vietnamese_syllable(letters)):
        return unescaped, "invalid"
    if letters == _letters(word):
        return text, "weak"
    if syllable_key(letters) is None:
        if (
            len(letters) == 1
            or (acronym and letters.isupper() and not has_tone)
            or (has_shape and _VIETNAMESE_LETTERS.match(letters))
            or (lenient and unambiguous and not glued)
        ):
            return text, "weak"
        return unescaped, "invalid"
    if unambiguous and not glued and is_vietnamese_syllable(letters):
        return text, "strong"
    return text, "weak"


def _lenient_viqr_word(word: str) -> bool:
    """May a foreign word be read as VIQR? Not an acronym (``B.I.G``), nor a word with a
    capital after a mark (``O'Day``), a possessive ``'s`` (``Molly's``) or a ``.`` between
    letters (``Armgate.com``, ``a.u.c``). A leading ``DD`` is one letter (``DDisulfua``)."""
    letters = _letters(word)
    if letters[:2] in ("DD", "Dd") and not letters.isupper():
        letters = letters[1:]
    return (
        len(letters) >= 3
        and not letters.isupper()
        and not _bad_case(letters)
        and not re.search(r"'s\Z|[^\W\d_]\.[^\W\d_]", word)
    )


def _toned_likelier(toned: str, bare: str) -> bool:
    """Is ``toned`` likelier than ``bare`` followed by a full stop? (corpus counts, and
    :data:`SENTENCE_END_SHARE` of words end a sentence)"""
    counts = _inventory()[0]
    toned_count = counts.get(syllable_key(toned) or "", 0)
    bare_count = counts.get(syllable_key(bare) or "", 0)
    return toned_count * (1.0 - SENTENCE_END_SHARE) >= bare_count * SENTENCE_END_SHARE


# --- where to apply the fixes ---------------------------------------------------------------


def _tcvn3_symptom(chunk: str) -> bool:
    """TCVN3 look-alikes show as symbols in words (``B¸o``), capitals inside them (``ViÖt``) or
    Latin-1 letters Vietnamese has not (``Së``); ``"véi"`` (OCR for với) shows none."""
    return any(c in _TCVN3_SYMPTOM_CHARS for c in chunk) or any(
        _bad_case(w) for w in _WORD.findall(chunk)
    )


def _vni_symptom(chunk: str) -> bool:
    """VNI look-alikes show as a vowel + modifier (``aù``, ``eä``) or as ``ñ ö æ î``."""
    return _VNI_SYMPTOM.search(chunk) is not None


def _mojibake_symptom(chunk: str) -> bool:
    return _MOJIBAKE_SIGNATURE.search(chunk) is not None


class _Reading(NamedTuple):
    fix: str
    decode: Callable[[str], str]  # applied to one chunk for scoring, to a run to repair it
    symptom: Callable[[str], bool]


_READINGS = (
    _Reading("decode_tcvn3", decode_tcvn3, _tcvn3_symptom),
    _Reading("decode_vni", decode_vni, _vni_symptom),
    _Reading("fix_utf8_mojibake", _utf8_mojibake_chunks, _mojibake_symptom),
)
_Run = tuple[int, int, int, float]  # start, end, reading (1-based index into _READINGS), gain


def _legacy_runs(line: str, context: int = 0) -> list[_Run]:
    """Runs of chunks better read another way.

    A Viterbi pass over the chunks: state 0 keeps the chunk, state k reads it with
    ``_READINGS[k - 1]`` and costs :func:`_switch_costs` to enter, so a reading must win
    clearly, and a mixed line switches only where the text changes. A run must also show the
    reading's symptom in a chunk that reads as syllables of the inventory -- OCR output such as
    ``"véi"`` reads well as TCVN3 ``"vội"`` but has no TCVN3 symbol in it, and its ``"S¢"``
    (Sở) reads as no syllable -- unless a neighbour line has that reading (``context``).
    """
    unicode_line = _has_unicode_letters(line)  # where run edges are trimmed (bridges count)
    # most words of a long text recur: a line none of whose distinct chunks reads better
    # another way is done without a pass over its chunks
    if not any(_chunk_gains(chunk, unicode_line) for chunk in set(_CHUNK.findall(line))):
        return []
    chunks = list(_CHUNK.finditer(line))
    emissions: list[list[float]] = []
    evidence: list[list[bool]] = []
    bridges: list[list[bool]] = []  # may a run's edge reach over the chunk (_trim_idle_edges)
    unicode_chunks: list[bool] = []
    changed: list[list[bool]] = []
    for m in chunks:
        row, shown, bridge, unicode_chunk, change = _chunk_readings(m.group(), unicode_line)
        emissions.append(list(row))
        evidence.append(list(shown))
        bridges.append(list(bridge))
        unicode_chunks.append(unicode_chunk)
        changed.append(list(change))
    if not any(max(row) > row[0] for row in emissions):
        return []
    path, enter = _viterbi(emissions, _switch_costs(line, context))
    if unicode_line:
        _trim_idle_edges(path, emissions, bridges, unicode_chunks)
        _add_plain_runs(path, emissions, bridges, unicode_chunks, evidence, changed)

    runs: list[tuple[int, int, int, float, bool]] = []
    for index, (m, state) in enumerate(zip(chunks, path, strict=True)):
        if state == 0:
            continue
        gain = emissions[index][state] - emissions[index][0]
        shown = evidence[index][state] or state == context
        if runs and runs[-1][2] == state and path[index - 1] == state:
            start, _, _, previous, shown_before = runs[-1]
            runs[-1] = (start, m.end(), state, previous + gain, shown_before or shown)
        else:
            runs.append((m.start(), m.end(), state, gain - enter[state], shown))
    return [run[:4] for run in runs if run[4]]


def _chunk_gains(chunk: str, unicode_line: bool) -> bool:
    """Whether some reading scores ``chunk`` above the chunk as it is."""
    row = _chunk_readings(chunk, unicode_line)[0]
    return max(row) > row[0]


@lru_cache(maxsize=1 << 16)
def _chunk_readings(chunk: str, unicode_line: bool) -> tuple[tuple, tuple, tuple, bool, tuple]:
    """One chunk under each reading: (emission row, evidence, bridges, whether it holds
    Unicode letters, which readings change it). A pure function of the chunk and of whether
    its line holds Unicode letters, so a word met again (most of a long text) costs nothing."""
    if len(chunk) > MAX_TOKEN:  # a blob, no words: no reading may take it
        none = (False,) * (len(_READINGS) + 1)
        return (0.0, *[-math.inf] * len(_READINGS)), none, none, False, none
    base = text_value(chunk)
    row, shown, bridge, change = [base], [False], [False], [False]
    unicode_chunk = unicode_line and _chunk_has_unicode_letters(chunk)
    for reading in _READINGS:
        decoded = reading.decode(chunk)
        value = _reading_value(chunk, decoded, base)
        row.append(value)
        differs = decoded != chunk
        symptom = (value > base or (unicode_line and differs)) and reading.symptom(chunk)
        shown.append(value > base and symptom and _all_valid(decoded, chunk))
        change.append(differs)
        if unicode_line and differs:
            # any UTF-8 read as Windows-1252 bridges, not only Vietnamese letters' (IPA)
            utf8 = reading.fix == "fix_utf8_mojibake" and bool(_MOJIBAKE.search(chunk))
            bridge.append(bool(symptom) or utf8)
        else:
            bridge.append(not differs and not unicode_chunk)
    return tuple(row), tuple(shown), tuple(bridge), unicode_chunk, tuple(change)


def _add_plain_runs(
    path: list[int],
    emissions: list[list[float]],
    bridges: list[list[bool]],
    unicode_chunks: list[bool],
    evidence: list[list[bool]],
    changed: list[list[bool]],
) -> None:
    """On a line with Unicode letters, also take the runs that win at the plain switch cost
    when every chunk they change shows the reading and reads as syllables of the inventory
    (``thaùng 11:`` after Unicode text: one VNI word gains less than twice the cost). Such a
    run holds nothing that correct Unicode text could be: each changed chunk has the
    reading's symptom and reads worse as it is."""
    shown = [(i, state) for i, row in enumerate(evidence) for state in range(1, len(row))]
    if all(path[i] == state for i, state in shown if evidence[i][state]):
        return  # every chunk that shows a reading is in its run already
    plain = _viterbi(emissions, (DEFAULT_SWITCH_COST,) * len(_READINGS))[0]
    _trim_idle_edges(plain, emissions, bridges, unicode_chunks)
    k, n = 0, len(plain)
    while k < n:
        state, end = plain[k], k
        while end < n and plain[end] == state:
            end += 1
        span = range(k, end)
        if (
            state
            and not any(path[i] for i in range(max(k - 1, 0), min(end + 1, n)))
            and any(changed[i][state] for i in span)
            and all(evidence[i][state] for i in span if changed[i][state])
        ):
            path[k:end] = [state] * (end - k)
        k = end


def _trim_idle_edges(
    path: list[int],
    emissions: list[list[float]],
    bridges: list[list[bool]],
    unicode_chunks: list[bool],
) -> None:
    """On a line with Unicode letters, a run ends where its reading stops gaining.

    Viterbi's ties stretch a run over the Unicode text next to it up to the first chunk that
    reads worse decoded, and decode on the way the chunks that read no better either way
    (``Rôma`` as VNI ``Rơma``, ``Jürgen`` as TCVN3 ``Jỹrgen``). So the chunks at a run's edge
    before its first (after its last) chunk that gains are left as they are, but for those
    reached from the gaining ones over ``bridges``: chunks that show the reading's symptom
    (``Peùrez`` before ``vaän ñoäng``, the list mark ``ñ)``; for mojibake any UTF-8 lead and
    continuation byte, ``/bÉ™ËˆrÊŒndi/``) and chunks that the reading leaves alone but for
    those with Unicode letters (``1895``, ``Trong``; not ``Đức``). An edge at the start or end
    of the line is no junction with other text, and is kept, unless Unicode text lies between
    it and the gaining chunks.
    """
    n = len(path)
    k = 0
    while k < n:
        state = path[k]
        end = k
        while end < n and path[end] == state:
            end += 1
        gaining = [i for i in range(k, end) if state and emissions[i][state] > emissions[i][0]]
        if gaining:
            first, last = gaining[0], gaining[-1]
            while first > k and bridges[first - 1][state]:
                first -= 1
            while last < end - 1 and bridges[last + 1][state]:
                last += 1
            if k > 0 or any(unicode_chunks[k:first]):
                path[k:first] = [0] * (first - k)
            if end < n or any(unicode_chunks[last + 1 : end]):
                path[last + 1 : end] = [0] * (end - last - 1)
        k = end


def _viterbi(emissions: list[list[float]], costs: tuple[float, ...]) -> tuple[list[int], tuple]:
    """Best state per chunk; entering state k costs ``costs[k - 1]``, leaving one a hair."""
    states = range(len(costs) + 1)
    enter = (0.0, *costs)

    def step(previous: int, state: int) -> float:
        if previous == state:
            return 0.0
        return enter[state] if state else 1e-9  # so that ties stay in a run

    score = [emissions[0][s] - enter[s] for s in states]
    back: list[list[int]] = []
    for row in emissions[1:]:
        pointers = [max(states, key=lambda p, s=s: (score[p] - step(p, s), p == s)) for s in states]
        score = [score[p] - step(p, s) + row[s] for s, p in zip(states, pointers, strict=True)]
        back.append(pointers)
    state = max(states, key=lambda s: score[s])
    path = [state]
    for pointers in reversed(back):
        state = pointers[state]
        path.append(state)
    return path[::-1], enter


def _reading_value(chunk: str, reading: str, base: float) -> float:
    """Score of a chunk read another way; a reading only earns credit for real words.

    A chunk without letters (``"×"``, ``"©"``) scores the same either way, and a reading that
    still has a bad word scores no better than the original: ``"µm"`` -> ``"àm"`` is no gain.
    """
    if reading == chunk or not any(c.isalpha() and c not in _GARBAGE for c in chunk):
        return base
    values = [word_value(w) for w in _WORD.findall(reading)]
    value = sum(values) - 2.0 * len(_MOJIBAKE_SIGNATURE.findall(reading))
    return min(value, base) if any(v < 0 for v in values) else value


def _all_valid(reading: str, chunk: str) -> bool:
    """Every word the reading changed is a syllable of the inventory, and none touches a digit
    (OCR noise such as ``"T¥16"`` is no evidence)."""
    old_words = set(_WORD.findall(chunk))
    new_words = [m for m in _WORD.finditer(reading) if m.group() not in old_words]
    return bool(new_words) and all(
        word_value(m.group()) >= 1.0 and not _glued(reading, m.start(), m.end())
        for m in new_words
    )


def _switch_costs(line: str, context: int = 0) -> tuple[float, ...]:
    """Cost of entering each reading on a line; ``context`` is a reading a neighbour line has.

    A line with letters no 8-bit font has is Unicode: a legacy run inside it must win twice as
    clearly, and a neighbour's reading lowers that only to the plain cost.
    """
    unicode_line = _has_unicode_letters(line)
    costs = [DEFAULT_SWITCH_COST * (2.0 if unicode_line else 1.0)] * len(_READINGS)
    if context:
        costs[context - 1] = DEFAULT_SWITCH_COST if unicode_line else DEFAULT_CONTEXT_SWITCH_COST
    return tuple(costs)


def _dominant(runs: list[_Run]) -> int:
    """The reading that covers most of a line (0: none)."""
    cover: dict[int, int] = {}
    for start, end, state, _ in runs:
        cover[state] = cover.get(state, 0) + end - start
    return max(cover, key=lambda state: cover[state]) if cover else 0


_VIETNAMESE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b")


@lru_cache(maxsize=1024)
def _not_viqr_letter(c: str) -> bool:
    """A letter VIQR text does not hold: a Vietnamese one, which VIQR writes in ASCII (``ư``,
    ``é``), or one of another script than Latin. Other Latin letters it keeps (``ō``, ``ð``)."""
    if c.isascii() or not c.isalpha():
        return False
    if _vietnamese_letter(c):
        return True
    return not unicodedata.name(c, "").startswith(("LATIN ", "MODIFIER LETTER "))


@lru_cache(maxsize=1024)
def _vietnamese_letter(c: str) -> bool:
    """``đ`` or a vowel with Vietnamese marks (``ư``, ``é``), not ``Ć``, which VIQR keeps."""
    if c in "đĐ":
        return True
    nfd = unicodedata.normalize("NFD", c)
    return (
        len(nfd) > 1 and nfd[0] in _VIQR_VOWELS and all(m in _VIETNAMESE_MARKS for m in nfd[1:])
    )


def _holds_non_viqr_letters(text: str) -> bool:
    """Vietnamese letters no 8-bit font has (``ư``, ``ạ``, ``đ``): Unicode text. A line with
    only the other Latin letters VIQR keeps (``Ćorluka``, ``Yoshirō``), or with letters of
    another script (a name in Cyrillic, IPA), may be VIQR: those letters only cut it in
    stretches (:func:`_ascii_stretches`)."""
    return not text.isascii() and any(ord(c) > 0xFF and _vietnamese_letter(c) for c in text)


def _viqr_line(
    line: str, in_context: bool, escaped: bool = False
) -> tuple[str, float] | None:
    """The VIQR reading of a line and its evidence, when the line reads as VIQR.

    On its own a line needs strong words or final escapes in :data:`DEFAULT_VIQR_MIN_SHARE` of
    its ASCII words (or in three of them and a tenth); next to a VIQR line, any word that reads
    as Vietnamese will do. Where the reading applies, foreign words with marks inside are read
    too (``lenient``). ``escaped``: the document escapes its literal marks, which settles a
    word-final ``.`` (:func:`_viqr_word`); so does an escape in the stretch itself, which also
    makes a foreign word's final ``'`` a tone anywhere in the stretch (``Andre'``), not only
    next to Vietnamese words.

    A line with Unicode letters is read only in its VIQR phrases (:func:`_viqr_phrases`): the
    Vietnamese around a VIQR phrase is not VIQR and its full stops are not escaped.
    """
    chunks = list(_CHUNK.finditer(line))
    stretches = _ascii_stretches(chunks)
    unicode_line = _holds_non_viqr_letters(line)
    flags = [escaped and not unicode_line] * len(chunks)
    own = [False] * len(chunks)  # the stretch escapes a literal mark itself
    for first, stop in stretches:
        if any(_VIQR_ESCAPE.search(m.group()) for m in chunks[first:stop]):
            flags[first:stop] = own[first:stop] = [True] * (stop - first)
    # a small word after a word-final "." says it is no full stop (dda(ng ba. ta`u), but not
    # a list mark ("ty. a)")
    continued = [
        m.group()[:1].islower() and not _LIST_ITEM.match(m.group()) for m in chunks[1:]
    ] + [False]
    strict = [
        _viqr_chunk(m.group(), False, flags[k], "", continued[k]) for k, m in enumerate(chunks)
    ]
    read = [kinds for _, kinds in strict]
    unescape_only: set[int] = set()
    evidence, passed = _viqr_evidence(chunks, read, in_context)
    if passed and not unicode_line:
        spans = stretches
    elif in_context or not unicode_line:
        return None
    else:
        if passed:  # mostly VIQR: its foreign words count as read
            read = [
                _viqr_chunk(m.group(), True, flags[k], "", continued[k])[1]
                for k, m in enumerate(chunks)
            ]
        spans, evidence = [], 0
        for first, stop in stretches:
            found_spans = []
            for start, end, found in _viqr_phrases(read[first:stop]):
                start = _phrase_start(chunks, strict, first + start, first + end)
                if start < first + end:
                    found_spans.append((start, first + end))
                    evidence += found
            if found_spans:  # the stretch's other escapes are VIQR's too (U\.S\., O\'Hare)
                covered = {k for start, end in found_spans for k in range(start, end)}
                found_spans += [
                    (k, k + 1) for k in range(first, stop)
                    if k not in covered and _VIQR_WORD_ESCAPE.search(chunks[k].group())
                ]
                unescape_only.update(k for k in range(first, stop) if k not in covered)
            spans += sorted(found_spans)
        if not spans:
            return None
    out, last = [], 0
    vietnamese = [bool(kinds["strong"] or kinds["weak"] or kinds["escape"]) for kinds in read]
    for first, stop in spans:
        for index in range(first, stop):
            m, (text, kinds) = chunks[index], strict[index]
            if index in unescape_only:
                text = _VIQR_WORD_ESCAPE.sub(r"\1", m.group())
            elif kinds["weak"] or kinds["invalid"] or kinds["none"]:  # lenient may differ
                final = ""
                if not unicode_line and (
                    own[index] or any(vietnamese[max(index - 2, 0) : index + 3])
                ):
                    final = "'"
                text = _viqr_chunk(m.group(), True, flags[index], final, continued[index])[0]
            out.append(line[last : m.start()] + text)
            last = m.end()
    out.append(line[last:])
    return "".join(out), evidence


def _phrase_start(
    chunks: list[re.Match[str]], strict: list[tuple[str, dict[str, int]]], start: int, end: int
) -> int:
    """Where a VIQR phrase after other text on a Unicode line starts: not at a chunk read only
    through a word-final ``.`` (the "final" count of :func:`_viqr_chunk`) that, unescaped, is
    likelier a full stop (``công ty. Thie^?m Tha`nh``: ``ty.`` ends the Unicode sentence; but
    ``Vu. Ke^' hoa.ch`` is ``Vụ Kế hoạch``), unless a small letter follows (``tỉnh  Phu.
    lu.c``): the text before it is not VIQR, and its full stops are not escaped.
    """
    while start < end and start > 0:
        kinds = strict[start][1]
        text = chunks[start].group()
        if not (0 < kinds["final"] == kinds["weak"]) or kinds["strong"] or kinds["escape"]:
            break
        if not text.rstrip(")]}\"'”’»").endswith("."):
            break
        if start + 1 < len(chunks) and chunks[start + 1].group()[:1].islower():
            break
        if _viqr_chunk(text, False, False)[1]["weak"]:
            break  # the toned syllable is likelier than a full stop
        start += 1
    return start


def _viqr_evidence(
    chunks: list[re.Match[str]], read: list[Mapping[str, int]], in_context: bool
) -> tuple[int, bool]:
    """The line rule of :func:`_viqr_line`: (evidence, whether the line reads as VIQR)."""
    evidence = sum(kinds["strong"] + kinds["escape"] for kinds in read)
    weak = sum(kinds["weak"] for kinds in read)
    words = sum(m.group().isascii() and bool(re.search(r"[A-Za-z]", m.group())) for m in chunks)
    if in_context:
        evidence += weak
    share = evidence / max(words, 1)
    passed = evidence > 0 and (
        in_context or share >= DEFAULT_VIQR_MIN_SHARE or (evidence >= 3 and share >= 0.1)
    )
    return evidence, passed


def _ascii_stretches(chunks: list[re.Match[str]]) -> list[tuple[int, int]]:
    """Index ranges of the runs of chunks without Vietnamese Unicode letters (``ư``, ``é``):
    VIQR writes those in ASCII, but keeps other letters as they are (``Zhōngguo'``, ``Ðu+'c``).
    """
    spans: list[tuple[int, int]] = []
    start = None
    for index, m in enumerate([*chunks, None]):
        foreign = m is None or any(map(_not_viqr_letter, m.group()))
        if foreign and start is not None:
            spans.append((start, index))
            start = None
        elif not foreign and start is None:
            start = index
    return spans


def _viqr_phrases(read: list[Mapping[str, int]]) -> list[tuple[int, int, float]]:
    """VIQR phrases in a stretch of ASCII chunks: (first, stop, evidence) for each.

    Each chunk scores 1 per strong word or escape, 0.5 per weak word, -1 per invalid word and
    -0.25 when it reads as nothing; a phrase is a run of chunks scoring at least 1 with a strong
    word or two weak ones in it (Kadane's scan: a run ends where its score drops below 0, and
    the scan goes on after the best phrase of a run, so that a second phrase a few foreign
    words later is found too).
    """
    phrases: list[tuple[int, int, float]] = []
    start = 0
    while start < len(read):
        total, best, best_end, strong, weak = 0.0, 0.0, start, 0, 0
        best_strong = best_weak = 0
        index = start
        while index < len(read):
            kinds = read[index]
            found = kinds["strong"] + kinds["escape"]
            changed = found + kinds["weak"] + kinds["invalid"]
            total += found + 0.5 * kinds["weak"] - kinds["invalid"] - (0.0 if changed else 0.25)
            strong += found
            weak += kinds["weak"]
            if total > best:
                best, best_end, best_strong, best_weak = total, index + 1, strong, weak
            if total < 0:
                break
            index += 1
        if best >= 1.0 and (best_strong or best_weak >= 2):
            phrases.append((start, best_end, best))
            start = best_end
        else:
            start = index + 1
    return phrases


def _confidence(gain: float) -> float:
    return round(1.0 - 2.0 ** -max(gain, 0.0), 3)


# --- repair_encoding and replay -------------------------------------------------------------


class _Line:
    """One line being repaired, with the fixes applied to it so far."""

    def __init__(self, number: int, text: str) -> None:
        self.number, self.text = number, text
        self.steps: list[Fix] = []

    def apply(self, name: str, start: int, end: int, after: str, confidence: float) -> None:
        before = self.text[start:end]
        if after != before:
            self.steps.append(Fix(self.number, start, end, name, before, after, confidence))
            self.text = self.text[:start] + after + self.text[end:]

    def replace(self, name: str, after: str, confidence: float) -> None:
        self.apply(name, 0, len(self.text), after, confidence)


def repair_encoding(text: str, encoding: str | None = None) -> Repaired:
    """Repair mojibake, TCVN3/VNI look-alikes, VIQR and NFD in ``text``, line by line.

    With ``encoding`` (``"tcvn3"``, ``"vni"``, ``"viqr"``, ``"utf-8-mojibake"``, ``"nfc"``) that
    reading is applied everywhere instead of being detected. Detection works line by line, but a
    line next to a line already read one way needs less evidence to be read the same way (legacy
    files are legacy throughout; a short line like ``"Sè "`` says little on its own). Correct
    text comes back unchanged but for NFC:

        >>> repair_encoding("Số 432/BC-SDT&TG: 16.807 và 98,37%").text
        'Số 432/BC-SDT&TG: 16.807 và 98,37%'
        >>> repair_encoding("Baùo caùo\\nBÃ¡o cÃ¡o").text
        'Báo cáo\\nBáo cáo'

    A line longer than :data:`~normalize.lines.MAX_WINDOW` is read in windows
    (:func:`~normalize.lines.windows`), each like a line of its own, so that a text without
    line breaks is read in the time of the same text with them.
    """
    contents, separators = split_lines(text)
    lines = [_Line(number, content[start:end])
             for number, content in enumerate(contents, start=1)
             for start, end in windows(content)]
    for line in lines:
        line.replace("compose_nfc", compose_nfc(line.text), 1.0)
    if encoding:
        _force(lines, _canonical(encoding))
    else:
        for line in lines:
            if _MOJIBAKE.search(line.text) and _WINDOWS_1252_RUN.fullmatch(line.text):
                fixed = fix_utf8_mojibake(line.text)
                gain = text_value(fixed) - text_value(line.text)
                line.replace("fix_utf8_mojibake", fixed, _confidence(gain))
        _repair_legacy_runs(lines)
        _repair_viqr(lines)
    return _join_windows(lines, separators)


def _join_windows(windows_read: list[_Line], separators: list[str]) -> Repaired:
    """The text of the windows, joined into their lines, and their fixes in line columns: a
    window's fixes run after those of the windows before it on its line, whose final text
    then precedes it."""
    parts: list[list[str]] = [[] for _ in range(len(separators) + 1)]
    lengths = [0] * len(parts)
    steps: list[Fix] = []
    for window in windows_read:
        index = window.number - 1
        offset = lengths[index]
        steps += [replace(step, start=step.start + offset, end=step.end + offset)
                  for step in window.steps] if offset else window.steps
        parts[index].append(window.text)
        lengths[index] += len(window.text)
    return Repaired(join_lines(["".join(line) for line in parts], separators), steps)


_FORCED: dict[str, tuple[str, Callable[[str], str]]] = {
    "tcvn3": ("decode_tcvn3", decode_tcvn3),
    "tcvn3-lookalike": ("decode_tcvn3", decode_tcvn3),
    "vni": ("decode_vni", decode_vni),
    "vni-lookalike": ("decode_vni", decode_vni),
    "viqr": ("decode_viqr", decode_viqr),
    "utf-8-mojibake": ("fix_utf8_mojibake", _fix_utf8_mojibake_everywhere),
    "utf-8-mojibake-2": ("fix_utf8_mojibake", _fix_utf8_mojibake_everywhere),
    "nfc": ("compose_nfc", compose_nfc),
}


def _force(lines: list[_Line], encoding: str) -> None:
    if encoding not in _FORCED:
        raise ValueError(f"cannot force {encoding!r} on text; use decode_bytes for bytes")
    name, fix = _FORCED[encoding]
    for line in lines:
        line.replace(name, compose_nfc(fix(line.text)), 1.0)


def _neighbours(lines: list[_Line]) -> dict[int, tuple[int, ...]]:
    """For each line with letters, the nearest lines with letters above and below."""
    lettered = [i for i, line in enumerate(lines) if re.search(r"[^\W\d_]", line.text)]
    return {
        i: tuple(lettered[k] for k in (position - 1, position + 1) if 0 <= k < len(lettered))
        for position, i in enumerate(lettered)
    }


def _repair_legacy_runs(lines: list[_Line]) -> None:
    runs = [[] if line.text.isascii() else _legacy_runs(line.text) for line in lines]
    labels = [_dominant(line_runs) for line_runs in runs]
    neighbours = _neighbours(lines)
    for _ in range(DEFAULT_CONTEXT_ROUNDS):
        relabelled = False
        for i, around in neighbours.items():
            if lines[i].text.isascii():
                continue
            for state in sorted({labels[j] for j in around} - {0, labels[i]}):
                found = _legacy_runs(lines[i].text, state)
                if _dominant(found) == state:
                    runs[i], labels[i], relabelled = found, state, True
                    break
        if not relabelled:
            break
    for i, line in enumerate(lines):
        reading = labels[i] or _neighbour_reading(lines, labels, neighbours.get(i, ()))
        if reading in _AMBIGUOUS_READINGS:
            runs[i] = _settle_ambiguous(line.text, runs[i], reading)
    for line, line_runs in zip(lines, runs, strict=True):
        offset = 0
        for start, end, state, gain in line_runs:
            reading = _READINGS[state - 1]
            start, end = start + offset, end + offset
            after = compose_nfc(reading.decode(line.text[start:end]))
            line.apply(reading.fix, start, end, after, _confidence(gain))
            offset += len(after) - (end - start)


_AMBIGUOUS_READINGS = (1, 2)  # TCVN3 and VNI: states whose chunks may read well both ways
LM_MARGIN = 0.5  # model log-units by which it must prefer decoding a chunk left as it was
LM_UNDO_MARGIN = 5.0  # ... and prefer keeping as it was a chunk decoded in a run
LM_WINDOW = 4  # chunks on each side of an ambiguous chunk that the model reads (order - 1 and more)


def _neighbour_reading(lines: list[_Line], labels: list[int], around: tuple[int, ...]) -> int:
    """A reading of a neighbour line, for a line without runs and without Unicode letters: a
    legacy file is legacy throughout, and a line such as ``"tái voi"`` (TCVN3 for tỏi voi)
    shows no symptom of its own."""
    found = {labels[j] for j in around} - {0}
    return found.pop() if len(found) == 1 else 0


@lru_cache(maxsize=1 << 16)
def _decoded_chunk(state: int, chunk: str) -> str:
    return _READINGS[state - 1].decode(chunk)


@lru_cache(maxsize=1 << 16)
def _chunk_valid(text: str) -> bool:
    if len(text) > MAX_TOKEN:
        return False
    words = _WORD.findall(text)
    return bool(words) and all(word_value(w) >= 1.0 for w in words)


def _settle_ambiguous(text: str, line_runs: list[_Run], state: int) -> list[_Run]:
    """Decide with the syllable language model the chunks that read as syllables both ways.

    On a line read as TCVN3 or VNI, a chunk such as ``"tái"`` (TCVN3 for tỏi) or ``"Hoà"`` (VNI
    for Hồ) is a valid syllable kept and decoded; the inventory's frequencies cannot tell
    which, the line's context can (``"tỏi voi"``, ``"dinh Long Hồ"``). Each such chunk, not in
    a run of another reading (and, on a line with Unicode letters, not cut off from the runs
    by Unicode text, :func:`_legacy_reach`), is scored both ways with :data:`LM_WINDOW`
    chunks on each side: a chunk the runs kept is decoded when the model prefers that by
    :data:`LM_MARGIN`, a chunk they decoded is kept only when it prefers that by
    :data:`LM_UNDO_MARGIN` (line starts cut from their sentence mislead it: ``"gỡ vướng
    mắc"`` reads as ``"gì vướng mắc"``).
    """
    if _has_unicode_letters(text) and not line_runs:
        return line_runs
    chunks = list(_CHUNK.finditer(text))
    chosen = [0] * len(chunks)
    other = [False] * len(chunks)
    for start, end, run_state, _ in line_runs:
        for k, m in enumerate(chunks):
            if m.start() >= start and m.end() <= end:
                chosen[k] = run_state
                other[k] = run_state != state
    reach = _legacy_reach(chunks, chosen) if _has_unicode_letters(text) else None
    ambiguous = [
        k for k, m in enumerate(chunks)
        if not other[k] and _chunk_valid(m.group()) and not _has_unicode_letters(m.group())
        and (reach is None or k in reach)
        and (decoded := _decoded_chunk(state, m.group())) != m.group() and _chunk_valid(decoded)
    ]
    if not ambiguous:
        return line_runs

    def piece(k: int) -> str:
        return _decoded_chunk(chosen[k], chunks[k].group()) if chosen[k] else chunks[k].group()

    variants = []
    for k in ambiguous:  # the chunk and LM_WINDOW chunks on each side, the rest as the runs say
        first, stop = max(k - LM_WINDOW, 0), min(k + LM_WINDOW + 1, len(chunks))
        before, after = [piece(j) for j in range(first, k)], [piece(j) for j in range(k + 1, stop)]
        for option in (chunks[k].group(), _decoded_chunk(state, chunks[k].group())):
            window = [*before, option, *after]
            variants.append(" ".join(window))
    scores = _lm_scores(variants)
    changed = False
    for index, k in enumerate(ambiguous):
        margin = scores[2 * index + 1] - scores[2 * index]
        if not chosen[k] and margin > LM_MARGIN:
            chosen[k], changed = state, True
        elif chosen[k] and margin < -LM_UNDO_MARGIN:
            chosen[k], changed = 0, True
    if not changed:
        return line_runs
    gains = {}
    for start, _, run_state, gain in line_runs:
        gains[(start, run_state)] = gain
    out: list[_Run] = []
    for k, m in enumerate(chunks):
        if not chosen[k]:
            continue
        if out and chosen[k - 1] == chosen[k] and out[-1][2] == chosen[k]:
            start, _, run_state, gain = out[-1]
            out[-1] = (start, m.end(), run_state, gain)
        else:
            out.append((m.start(), m.end(), chosen[k], gains.get((m.start(), chosen[k]), 1.0)))
    return out


def _legacy_reach(chunks: list[re.Match[str]], chosen: list[int]) -> set[int]:
    """The chunks of a Unicode line that a legacy run may reach: the runs and their
    neighbours up to the nearest chunk with Unicode letters. On ``ban đêm ngoài đèn hiệu``
    after a VNI run, ``ngoài`` (VNI ``ngồi``) is Unicode text and is not the model's to
    decode."""
    unicode_chunks = [_has_unicode_letters(m.group()) for m in chunks]
    reach: set[int] = set()
    for k, state in enumerate(chosen):
        if not state or k in reach:
            continue
        reach.add(k)
        for step in (-1, 1):
            j = k + step
            while 0 <= j < len(chunks) and not unicode_chunks[j]:
                reach.add(j)
                j += step
    return reach


def _lm_scores(texts: list[str]) -> list[float]:
    """Log-probability of each text under the syllable language model, ``<s>`` around it."""
    from normalize.diacritics import SENTENCE, context_tokens, load_model

    model = load_model()
    sentence = model.ids[SENTENCE]
    order = model.order
    histories: list[list[int]] = []
    words: list[int] = []
    owners: list[int] = []
    for index, text in enumerate(texts):
        ids = [sentence] * (order - 1) + [model.token_id(t) for t in context_tokens(text)]
        ids.append(sentence)
        for i in range(order - 1, len(ids)):
            histories.append(ids[i - order + 1 : i])
            words.append(ids[i])
            owners.append(index)
    context = [np.array(column, np.int64) for column in zip(*histories, strict=True)]
    scores = model.scores(context, np.array(words, np.int64))
    totals = np.zeros(len(texts))
    np.add.at(totals, np.array(owners), scores)
    return totals.tolist()


def _repair_viqr(lines: list[_Line]) -> None:
    hinted = [bool(_VIQR_HINT.search(line.text)) for line in lines]
    escaped = any(
        _VIQR_ESCAPE.search(line.text) and not _holds_non_viqr_letters(line.text)
        for line, hint in zip(lines, hinted, strict=True)
        if hint
    )
    found = [
        _viqr_line(line.text, False, escaped) if hint else None
        for line, hint in zip(lines, hinted, strict=True)
    ]
    neighbours = _neighbours(lines)
    for _ in range(DEFAULT_CONTEXT_ROUNDS):
        relabelled = False
        for i, around in neighbours.items():
            if (
                hinted[i]
                and found[i] is None
                and not _holds_non_viqr_letters(lines[i].text)
                and any(found[j] is not None for j in around)
            ):
                found[i] = _viqr_line(lines[i].text, True, escaped)
                relabelled = relabelled or found[i] is not None
        if not relabelled:
            break
    for line, reading in zip(lines, found, strict=True):
        if reading is not None:
            text, evidence = reading
            line.replace("decode_viqr", compose_nfc(text), _confidence(evidence))


def replay(text: str, steps: Iterable[Fix]) -> str:
    """Apply recorded fixes again, in order (each must find its ``before`` where it says)."""
    lines, separators = split_lines(text)
    for step in steps:
        line = lines[step.line - 1]
        if line[step.start : step.end] != step.before:
            raise ValueError(f"fix {step.fix} does not match line {step.line}")
        lines[step.line - 1] = line[: step.start] + step.after + line[step.end :]
    return join_lines(lines, separators)


# --- bytes ----------------------------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_STR_ONLY = ("tcvn3-lookalike", "vni-lookalike", "viqr", "utf-8-mojibake", "utf-8-mojibake-2",
             "nfd", "nfc")


def decode_bytes(data: bytes, encoding: str | None = None) -> Decoded:
    """Decode a legacy Vietnamese file, detecting its encoding unless ``encoding`` is given.

    Byte-order marks and UTF-16 are recognised first, then strict UTF-8 (unless it shows letters
    of other scripts, which legacy bytes can pass for); otherwise TCVN3, VNI, VISCII and
    Windows-1258 are each tried and the reading with the most Vietnamese syllables wins (a UTF-8
    line inside a legacy file stays UTF-8). Each decoded line is recorded as a
    ``decode_bytes:<encoding>`` fix whose ``before`` shows the bytes as Windows-1252. The text
    is then passed through :func:`repair_encoding`, whose fixes follow.

        >>> decode_bytes(b"B\\xb8o c\\xb8o").text
        'Báo cáo'
    """
    steps: list[Fix] = []
    if encoding is not None:
        name = _canonical(encoding)
        if name in _STR_ONLY:
            raise ValueError(f"{encoding!r} is a breakage of text; use repair_encoding")
        text, confidence = _decode_legacy(data, name), 1.0
    else:
        name, text, confidence = _detect(data, steps)
    repaired = repair_encoding(text)
    return Decoded(repaired.text, name, confidence, steps + repaired.steps)


def _detect(data: bytes, steps: list[Fix]) -> tuple[str, str, float]:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, data.decode(name, errors="replace"), 1.0
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        try:
            return utf16, data.decode(utf16), 0.9
        except UnicodeDecodeError:
            pass
    utf8 = _strict_utf8(data)
    if utf8 is None:
        utf8 = _utf8_cut_short(data)
        if utf8 is not None:  # the half character is dropped, and said
            lines, half = split_lines(utf8)[0], data[len(utf8.encode()):].decode(SLOPPY_1252)
            steps.append(Fix(len(lines), len(lines[-1]), len(lines[-1]) + len(half),
                             "decode_bytes:cut-short", half, "", 1.0))
    if utf8 is not None and not _foreign_letters(utf8):
        return "utf-8", utf8, 1.0 if data.isascii() else 0.99

    pieces = _BYTE_LINE_BREAK.split(data)  # lines and, between them, their separators
    lines, separators = pieces[::2], pieces[1::2]
    utf8_lines = [_strict_utf8(line) for line in lines]
    legacy = data if utf8 is not None else b"\n".join(
        line for line, line_utf8 in zip(lines, utf8_lines, strict=True) if line_utf8 is None
    )
    scores = {enc: text_value(_decode_legacy(legacy, enc)) for enc in LEGACY_BYTE_ENCODINGS}
    best, runner_up = sorted(scores, key=lambda enc: scores[enc], reverse=True)[:2]
    if utf8 is not None and text_value(utf8) >= scores[best]:
        return "utf-8", utf8, 0.9  # valid UTF-8 with letters of other scripts, and meant so
    if scores[best] > 0:
        confidence = _confidence(scores[best] - scores[runner_up])
    else:
        best, confidence = "windows-1252", 0.5
    out, utf8_used, number = [], False, 1
    for line, line_utf8 in zip(lines, utf8_lines, strict=True):
        decoded, lookalike = _decode_legacy(line, best), line.decode(SLOPPY_1252)
        if line_utf8 and not line.isascii() and text_value(line_utf8) > text_value(decoded):
            decoded, utf8_used = line_utf8, True  # a UTF-8 line in a legacy file
        elif decoded != lookalike:
            fix = f"decode_bytes:{best}"
            steps.append(Fix(number, 0, len(lookalike), fix, lookalike, decoded, confidence))
        out.append(decoded)
        number += 1 + count_breaks(decoded)  # a UTF-8 line may hold U+2028
    text = join_lines(out, [separator.decode("ascii") for separator in separators])
    return (f"utf-8+{best}" if utf8_used else best), text, confidence


_BYTE_LINE_BREAK = re.compile(rb"(\r\n|[\r\n\f])")  # the breaks of normalize.lines, as bytes


def _decode_legacy(data: bytes, encoding: str) -> str:
    """Bytes of one encoding -> NFC text."""
    if encoding == "tcvn3":
        return decode_tcvn3(data.decode(SLOPPY_1252))
    if encoding == "vni":
        return decode_vni(data.decode(SLOPPY_1252))
    if encoding in ("viscii", "vps"):
        decode, _ = _single_byte_table(encoding)
        return "".join(decode[byte] for byte in data)
    if encoding == "cp1258":
        return compose_nfc(data.decode("cp1258", errors="replace"))
    if encoding == "windows-1252":
        return data.decode(SLOPPY_1252)
    return data.decode(encoding, errors="replace")


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: the NUL high bytes of ASCII give away the order."""
    if len(data) < 4 or len(data) % 2:
        return None
    half = len(data) // 2
    even, odd = data[0::2].count(0) / half, data[1::2].count(0) / half
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def _foreign_letters(text: str) -> bool:
    """Characters of another script than Latin: legacy bytes can pass for UTF-8 (VISCII
    ``Người`` is ``Ng\u07f6i``), so such a text is checked against the legacy readings.

    Latin (Vietnamese included), combining marks, punctuation and symbols are not foreign.
    """
    return not text.isascii() and _FOREIGN_LETTER.search(text) is not None


_FOREIGN_LETTER = re.compile("[^\x00-\u024f\u0300-\u036f\u1e00-\u1eff\u2000-\u2bff]")


def _utf8_cut_short(data: bytes) -> str | None:
    """UTF-8 whose last character was cut in half (a truncated file, a fixed-size export):
    the text without the half character; None when anything else is wrong with it."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            return _strict_utf8(data[:exc.start])
    return None


def _strict_utf8(line: bytes) -> str | None:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return None


# --- encoding (the inverse, for tests and fixtures) -----------------------------------------


def _canonical(encoding: str) -> str:
    try:
        return ENCODING_ALIASES[encoding.lower().replace("_", "-")]
    except KeyError:
        raise ValueError(f"unknown encoding {encoding!r}") from None


def encode_legacy(text: str, encoding: str, errors: str = "strict") -> bytes | str:
    """Write Unicode ``text`` the broken way ``encoding`` names (the inverse of the repairs).

    bytes: ``tcvn3``, ``vni``, ``viscii``, ``cp1258``, ``utf-8``, ``utf-8-sig``, ``utf-16*``;
    str: ``tcvn3-lookalike``, ``vni-lookalike``, ``viqr``, ``utf-8-mojibake`` (UTF-8 read as
    Windows-1252), ``utf-8-mojibake-2`` (twice over), ``nfd``. A character the encoding cannot
    hold raises ``UnicodeEncodeError`` (``errors="replace"`` writes ``?``); look-alike strings
    keep such characters as they are.

        >>> encode_legacy("Báo cáo", "tcvn3-lookalike")
        'B¸o c¸o'
        >>> encode_legacy("Việt Nam", "vni-lookalike")
        'Vieät Nam'
        >>> encode_legacy("Việt Nam", "viqr")
        'Vie^.t Nam'
    """
    name = _canonical(encoding)
    text = compose_nfc(text)
    if name in ("tcvn3", "tcvn3-lookalike"):
        encoder = _tcvn3_encoder()
        lookalike = "".join(chr(encoder[c]) if c in encoder else c for c in text)
        return lookalike if name == "tcvn3-lookalike" else _tcvn3_bytes(text, lookalike, errors)
    if name in ("vni", "vni-lookalike"):
        lookalike = "".join(_vni_encoder().get(c, c) for c in text)
        return lookalike if name == "vni-lookalike" else _vni_bytes(text, errors)
    if name == "viscii":
        return _viscii_encode(text, errors)
    if name == "cp1258":
        return "".join(map(_cp1258_form, text)).encode("cp1258", errors=errors)
    if name == "viqr":
        return _encode_viqr(text)
    if name == "utf-8-mojibake":
        return text.encode("utf-8").decode(SLOPPY_1252)
    if name == "utf-8-mojibake-2":
        return encode_legacy(encode_legacy(text, name[:-2]), name[:-2])
    if name == "nfd":
        return unicodedata.normalize("NFD", text)
    if name == "nfc":
        return text
    return text.encode(name, errors=errors)


def _tcvn3_bytes(text: str, lookalike: str, errors: str) -> bytes:
    """Look-alike string -> bytes; a character of ``text`` that is itself a TCVN3 code (``×``
    is ì) cannot be written."""
    lookalikes = _tcvn3_lookalikes()
    out = bytearray()
    for i, (original, char) in enumerate(zip(text, lookalike, strict=True)):
        if original == char and lookalikes.get(char, char) != char:
            if errors == "strict":
                raise UnicodeEncodeError("tcvn3", text, i, i + 1, "collides with a TCVN3 code")
            out += b"?"
        elif ord(char) <= 0xFF:
            out.append(ord(char))
        else:
            out += char.encode(SLOPPY_1252, errors=errors)
    return bytes(out)


def _vni_bytes(text: str, errors: str) -> bytes:
    """Unicode -> VNI bytes; a character of ``text`` that is itself one of VNI's codes (``ö``
    is ư, ``ñ`` is đ, ``ï`` the dot below) cannot be written: the file would read it as VNI."""
    encoder, codes = _vni_encoder(), _vni_codes()
    out = bytearray()
    for i, c in enumerate(text):
        if c not in encoder and c in codes:
            if errors == "strict":
                raise UnicodeEncodeError("vni", text, i, i + 1, "collides with a VNI code")
            out += b"?"
        else:
            try:
                out += encoder.get(c, c).encode("cp1252", errors=errors)
            except UnicodeEncodeError as error:
                raise UnicodeEncodeError("vni", text, i, i + 1, error.reason) from None
    return bytes(out)


@cache
def _vni_codes() -> frozenset[str]:
    """The non-ASCII characters VNI writes Vietnamese letters with."""
    return frozenset(c for form in _vni_encoder().values() for c in form if not c.isascii())


def _viscii_encode(text: str, errors: str) -> bytes:
    _, encoder = _single_byte_table("viscii")
    taken = frozenset(encoder.values())
    out = bytearray()
    for i, c in enumerate(text):
        if c in encoder:
            out.append(encoder[c])
        elif c.isascii() and ord(c) not in taken:
            out.append(ord(c))
        elif errors == "strict":
            raise UnicodeEncodeError("viscii", text, i, i + 1, "not in VISCII")
        else:
            out += b"?"
    return bytes(out)


def _cp1258_form(char: str) -> str:
    """Windows-1258 holds base letters with shapes and five combining tones: split the tone off."""
    try:
        char.encode("cp1258")
        return char
    except UnicodeEncodeError:
        tone = _tone_of(char)
        if not tone:
            return char
        base = "".join(c for c in unicodedata.normalize("NFD", char) if c not in TONE_MARKS)
        return compose_nfc(base) + tone


def _encode_viqr(text: str) -> str:
    """Unicode -> VIQR, escaping a literal mark or ``dd`` the reader would take."""
    viqr = _viqr()
    out: list[str] = []
    vowel = ""  # the bare vowel just written, if any
    for i, c in enumerate(text):
        if vowel and (c in viqr.tone or vowel in viqr.shape_bases.get(c, "")):
            out.append(viqr.escape + c)
        elif c in "dD" and text[i + 1 : i + 2] in ("d", "D") and _reads_d_bar(text, i):
            out.append(c + viqr.escape)
        else:
            out.append(viqr.from_unicode.get(c, c))
        base = unicodedata.normalize("NFD", c)[:1] if c.isalpha() else ""
        vowel = base if base in _VIQR_VOWELS else ""
    return "".join(out)


def _reads_d_bar(text: str, i: int) -> bool:
    """Would the VIQR reader take ``text[i:i+2]`` for đ? (at a word start, or in an acronym)"""
    start = i
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    end = i
    while end < len(text) and text[end].isalpha():
        end += 1
    return start == i or (text[start:end].isupper() and end - start > 1)
