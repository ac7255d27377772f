"""Monotonic alignment of a document's lines (or rows) to a catalog's entries.

The document follows its template's order, so we segment its lines with a Viterbi pass over
states BEFORE, entry 1 … entry N, AFTER. A line either continues the current entry or starts a
later one; starting a row costs ``start_cost``, jumping over catalog entries costs
``skip_cost`` each. A line's evidence for an entry is its printed label read through OCR
confusions (``mapping.labels``) plus how much of its text the entry's description explains
(IDF-weighted character trigrams of the folded text, robust to lost diacritics and OCR noise).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from mapping.catalog import Catalog, CatalogEntry
from mapping.labels import LabelReading, label_score, read_label
from normalize.fold import fold

DEFAULT_START_COST = 0.55
DEFAULT_SKIP_COST = 0.5
OUTSIDE_EMISSION = 0.1  # lines before/after the table: titles, headers, signatures
DEFAULT_IDLE_COST = 0.06  # a line that explains nothing costs a little inside an entry
LABEL_WEIGHT = 1.3
ENTER_LABEL_BONUS = 0.3  # a row that starts on the line printing its own label
TRONG_DO_BONUS = 0.3  # a child row that starts on a line showing the "Trong đó" cell
DESC_WEIGHT = 1.0
SECOND_VALUE_COST = 0.5  # a row that goes on over a second line printing a value
_VALUE = re.compile(r"^\d+(?:[.,]\d+)*%?$")


@dataclass
class AlignItem:
    """One emission unit: a line of text (lined dumps) or a whole row (tab rows)."""

    text: str  # text used for description matching (label removed)
    label: str | None = None  # printed label token, if the line starts with one
    unit: str | None = None  # unit cell when the layout gives it (tab rows)
    trong_do: bool = False  # the line starts with a "Trong đó" cell
    trong_do_at: str | None = None  # see ``extract.lined.LineParts.trong_do_at``


@dataclass
class EntryMatch:
    """The lines assigned to one catalog entry, and the evidence for it."""

    entry: CatalogEntry
    items: list[int]
    label_how: str = "none"  # exact / confusion / near / none
    label_printed: str | None = None
    desc_score: float = 0.0
    score: float = 0.0


@dataclass
class Alignment:
    catalog: Catalog
    matches: list[EntryMatch] = field(default_factory=list)
    outside: list[int] = field(default_factory=list)  # items assigned to BEFORE/AFTER
    score: float = 0.0


def trigrams(text: str) -> set[str]:
    folded = f" {fold(text)} "
    return {folded[i: i + 3] for i in range(len(folded) - 2)} - {"   "}


class CatalogProfile:
    """Trigram sets and IDF weights of one catalog, computed once."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.entries = catalog.entries
        # an entry's text is its description plus what its unit column prints (code books)
        self.grams = [trigrams(f"{e.description} {e.unit or ''}") for e in self.entries]
        df: dict[str, int] = {}
        for grams in self.grams:
            for g in grams:
                df[g] = df.get(g, 0) + 1
        n = len(self.entries)
        self.idf = {g: math.log(1 + n / c) for g, c in df.items()}
        self.unknown_weight = math.log(1 + n)  # a trigram no entry has: fully informative
        self.vocabulary = set(df)

        self.entry_weight = [sum(self.idf[g] for g in grams) or 1.0 for grams in self.grams]
        self.trong_do_rows = _trong_do_rows(self.entries)
        self.unit_words = {fold(w) for e in self.entries if e.unit and not e.codebook
                           for w in e.unit.split() if w.isalpha()} | {"%"}

    def value_line(self, item: AlignItem) -> bool:
        """Whether a line prints a value cell: a number right after one of the catalog's
        unit words (``Hồ sơ 196``, ``% 100``). OCR'd rows print their value on one line, so a
        row with two such lines is most likely two rows."""
        if item.unit is not None:  # cells layouts: one item is one row
            return False
        tokens = [t for t in re.split(r"[\s|]+", item.text) if t]
        return any(_VALUE.match(tok) and fold(prev) in self.unit_words
                   for prev, tok in zip(tokens, tokens[1:], strict=False))

    def desc_scores(self, text: str) -> list[float]:
        """Per entry: how much of ``text`` the entry explains (precision), tempered by how much
        of the entry the text covers (a short line inside a long description is weaker
        evidence than a line that is the whole description)."""
        grams = trigrams(text)
        if not grams:
            return [0.0] * len(self.entries)
        weights = {g: self.idf.get(g, self.unknown_weight) for g in grams}
        total = sum(weights.values())
        size_factor = min(1.0, len(grams) / 10)
        out = []
        for eg, ew in zip(self.grams, self.entry_weight, strict=True):
            shared = sum(weights[g] for g in grams & eg)
            precision = shared / total
            recall = min(1.0, shared / ew)
            out.append(size_factor * precision * (0.35 + 0.65 * recall))
        return out


def _trong_do_rows(entries: list[CatalogEntry]) -> dict[str, list[int]]:
    """Entries a "Trong đó" line may open, by where the cell shows (``AlignItem.trong_do_at``).

    A line of its own comes before its group (text layers list the merged cell first): it opens
    the first child. OCR prints the merged cell, centred on its group, beside the child rows at
    the group's middle: "Trong" beside the child just above the middle (the first of two, the
    second of three or four), "đó" beside the one below it."""
    groups: dict[str, list[int]] = {}
    for k, entry in enumerate(entries):
        head, _, tail = entry.row.rpartition(".")
        if head and len(tail) == 1 and tail.isalpha():
            groups.setdefault(head, []).append(k)
    out = {"open": [g[0] for g in groups.values()],
           "trong": [g[(len(g) + 1) // 2 - 1] for g in groups.values()],
           "do": [g[min(len(g) - 1, (len(g) + 1) // 2)] for g in groups.values()]}
    return out


def enter_bonus_matrix(profile: CatalogProfile, items: list[AlignItem]) -> list[dict[int, float]]:
    """Per item, the entries whose label it prints clearly (exact or through confusions)."""
    out: list[dict[int, float]] = []
    for item in items:
        bonus: dict[int, float] = {}
        if item.trong_do:
            for k in profile.trong_do_rows.get(item.trong_do_at or "open", ()):
                bonus[k] = TRONG_DO_BONUS
        if item.label:
            reading = read_label(item.label)
            for k, entry in enumerate(profile.entries):
                if label_score(reading, entry.row)[0] >= 0.85:
                    bonus[k] = ENTER_LABEL_BONUS
        out.append(bonus)
    return out


def emission_matrix(profile: CatalogProfile, items: list[AlignItem]) -> list[list[float]]:
    readings: list[LabelReading | None] = [read_label(i.label) if i.label else None
                                           for i in items]
    rows = []
    exact_rows = {e.row for e in profile.entries}
    for item, reading in zip(items, readings, strict=True):
        desc = profile.desc_scores(item.text)
        line = []
        for k, entry in enumerate(profile.entries):
            score = DESC_WEIGHT * desc[k] - DEFAULT_IDLE_COST
            if reading is not None:
                lscore, _ = label_score(reading, entry.row)
                if lscore:
                    score += LABEL_WEIGHT * lscore
                elif reading.dotted in exact_rows and "." in reading.printed.strip("."):
                    score -= 0.3  # a clean label naming another row
            if item.unit and entry.unit and fold(item.unit) == fold(entry.unit):
                score += 0.1
            line.append(score)
        rows.append(line)
    return rows


def align(catalog: Catalog, items: list[AlignItem], profile: CatalogProfile | None = None,
          start_cost: float = DEFAULT_START_COST,
          skip_cost: float = DEFAULT_SKIP_COST) -> Alignment:
    """Viterbi segmentation of ``items`` into catalog entries, in catalog order.

    Each entry state comes twice: before and after the row has passed a line that prints a
    value (``CatalogProfile.value_line``); going on over a second such line costs
    ``SECOND_VALUE_COST``, so two printed values are read as two rows."""
    profile = profile or CatalogProfile(catalog)
    n = len(profile.entries)
    if not items or not n:
        return Alignment(catalog, outside=list(range(len(items))))
    emit = emission_matrix(profile, items)
    bonus = enter_bonus_matrix(profile, items)
    valued = [profile.value_line(item) for item in items]
    neg = -1e18
    before, after = 0, n + 1
    leave_cost = 0.3
    # state k (0 = BEFORE, 1..n entries, n+1 = AFTER) with v = 0/1: index 2k + v
    size = 2 * (n + 2)
    score = [neg] * size
    score[2 * before] = OUTSIDE_EMISSION
    v0 = int(valued[0])
    for k in range(1, n + 1):
        score[2 * k + v0] = (emit[0][k - 1] + bonus[0].get(k - 1, 0.0) - start_cost
                             - min((k - 1) * skip_cost, 2.0))
    back: list[list[int]] = [[-1] * size]
    for t in range(1, len(items)):
        new = [neg] * size
        ptr = [-1] * size
        new[2 * before], ptr[2 * before] = score[2 * before] + OUTSIDE_EMISSION, 2 * before
        running, running_arg = neg, -1  # max over entry states j<k of score[j] + skip*j
        row = emit[t]
        row_bonus = bonus[t]
        v = int(valued[t])
        for k in range(1, n + 1):
            s0, s1 = score[2 * k], score[2 * k + 1]
            enter = (score[2 * before] - start_cost - min((k - 1) * skip_cost, 2.0)
                     + row_bonus.get(k - 1, 0.0))
            enter_from = 2 * before
            if running_arg > 0:
                via = running - skip_cost * (k - 1) - start_cost + row_bonus.get(k - 1, 0.0)
                if via > enter:
                    enter, enter_from = via, running_arg
            if v:  # this line prints a value: every way in ends in state (k, 1)
                options = ((s0, 2 * k), (s1 - SECOND_VALUE_COST, 2 * k + 1),
                           (enter, enter_from))
                best, arg = max(options, key=lambda o: o[0])
                new[2 * k + 1], ptr[2 * k + 1] = best + row[k - 1], arg
            else:
                if s0 >= enter:
                    new[2 * k], ptr[2 * k] = s0 + row[k - 1], 2 * k
                else:
                    new[2 * k], ptr[2 * k] = enter + row[k - 1], enter_from
                new[2 * k + 1], ptr[2 * k + 1] = s1 + row[k - 1], 2 * k + 1
            for j in (2 * k, 2 * k + 1):
                if score[j] + skip_cost * k > running:
                    running, running_arg = score[j] + skip_cost * k, j
        best_entry = max(range(2, 2 * n + 2), key=score.__getitem__)
        stay = max(score[2 * after], score[2 * after + 1])
        if stay >= score[best_entry] - leave_cost:
            arg = 2 * after if score[2 * after] >= score[2 * after + 1] else 2 * after + 1
            new[2 * after], ptr[2 * after] = stay + OUTSIDE_EMISSION, arg
        else:
            new[2 * after], ptr[2 * after] = (score[best_entry] - leave_cost + OUTSIDE_EMISSION,
                                              best_entry)
        back.append(ptr)
        score = new
    state = max(range(size), key=score.__getitem__)
    total = score[state]
    path = [0] * len(items)
    for t in range(len(items) - 1, -1, -1):
        path[t] = state // 2
        if t:
            state = back[t][state]
    return _collect(catalog, profile, items, path, emit, total)


def _collect(catalog, profile, items, path, emit, total) -> Alignment:
    result = Alignment(catalog, score=total)
    n = len(profile.entries)
    current: EntryMatch | None = None
    prev_state = None
    for t, state in enumerate(path):
        if state in (0, n + 1):
            result.outside.append(t)
            current, prev_state = None, state
            continue
        entry = profile.entries[state - 1]
        if current is None or state != prev_state:
            current = EntryMatch(entry=entry, items=[])
            result.matches.append(current)
        current.items.append(t)
        current.score += emit[t][state - 1]
        item = items[t]
        if item.label and current.label_how in ("none", "near"):
            lscore, how = label_score(read_label(item.label), entry.row)
            if how != "none" and (current.label_how == "none" or how != "near"):
                current.label_how, current.label_printed = how, item.label
            elif current.label_printed is None:
                current.label_printed = item.label
        prev_state = state
    for match in result.matches:
        text = " ".join(items[i].text for i in match.items)
        match.desc_score = profile.desc_scores(text)[profile.entries.index(match.entry)]
    return result

