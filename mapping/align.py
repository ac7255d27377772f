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

import numpy as np

from mapping.catalog import Catalog, CatalogEntry
from mapping.labels import label_score, read_label
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
        # entry × trigram: the trigram's IDF where the entry has it
        self._column = {g: i for i, g in enumerate(sorted(df))}
        self._weights = np.zeros((n, len(self._column)))
        for k, grams in enumerate(self.grams):
            for g in grams:
                self._weights[k, self._column[g]] = self.idf[g]
        self._entry_weight = np.array([math.fsum(self.idf[g] for g in grams) or 1.0
                                       for grams in self.grams])
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

    def desc_scores(self, text: str) -> np.ndarray:
        """Per entry: how much of ``text`` the entry explains (precision), tempered by how much
        of the entry the text covers (a short line inside a long description is weaker
        evidence than a line that is the whole description)."""
        grams = trigrams(text)
        if not grams:
            return np.zeros(len(self.entries))
        # sorted columns and an exact sum: the same scores whatever the order of the set
        known = sorted(self._column[g] for g in grams if g in self._column)
        total = math.fsum(self.idf[g] for g in grams if g in self._column) + \
            self.unknown_weight * (len(grams) - len(known))
        size_factor = min(1.0, len(grams) / 10)
        shared = self._weights[:, known].sum(axis=1)
        precision = shared / total
        recall = np.minimum(1.0, shared / self._entry_weight)
        return size_factor * precision * (0.35 + 0.65 * recall)


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


def emission_matrix(profile: CatalogProfile, items: list[AlignItem]) -> np.ndarray:
    """Per item and entry: the evidence that the item belongs to the entry."""
    exact_rows = {e.row for e in profile.entries}
    folded_units = [fold(e.unit) if e.unit else None for e in profile.entries]
    rows = np.empty((len(items), len(profile.entries)))
    for t, item in enumerate(items):
        line = DESC_WEIGHT * profile.desc_scores(item.text) - DEFAULT_IDLE_COST
        if item.label:
            reading = read_label(item.label)
            other_row = reading.dotted in exact_rows and "." in reading.printed.strip(".")
            for k, entry in enumerate(profile.entries):
                lscore, _ = label_score(reading, entry.row)
                if lscore:
                    line[k] += LABEL_WEIGHT * lscore
                elif other_row:
                    line[k] -= 0.3  # a clean label naming another row
        if item.unit:
            unit = fold(item.unit)
            for k, entry_unit in enumerate(folded_units):
                if entry_unit == unit:
                    line[k] += 0.1
        rows[t] = line
    return rows


def align(catalog: Catalog, items: list[AlignItem], profile: CatalogProfile | None = None,
          start_cost: float = DEFAULT_START_COST,
          skip_cost: float = DEFAULT_SKIP_COST) -> Alignment:
    """Viterbi segmentation of ``items`` into catalog entries, in catalog order.

    Each entry state comes twice: before and after the row has passed a line that prints a
    value (``CatalogProfile.value_line``); going on over a second such line costs
    ``SECOND_VALUE_COST``, so two printed values are read as two rows. States are BEFORE,
    (entry k, v) for k = 1..n and v = 0/1, and AFTER; the pass runs over all entries at once.
    """
    profile = profile or CatalogProfile(catalog)
    n = len(profile.entries)
    if not items or not n:
        return Alignment(catalog, outside=list(range(len(items))))
    emit = emission_matrix(profile, items)
    bonus = np.zeros((len(items), n))
    for t, found in enumerate(enter_bonus_matrix(profile, items)):
        for k, b in found.items():
            bonus[t, k] = b
    valued = [profile.value_line(item) for item in items]
    neg = -1e18
    ks = np.arange(n)  # entry k + 1 is column k
    from_before = start_cost + np.minimum(ks * skip_cost, 2.0)
    # back pointers: for entry states, the state code it came from
    # (-1 BEFORE, 2j + v entry j's state, -2 AFTER); AFTER remembers its own
    s0 = np.full(n, neg)
    s1 = np.full(n, neg)
    first = emit[0] + bonus[0] - from_before
    if valued[0]:
        s1 = first
    else:
        s0 = first
    s_before, s_after = OUTSIDE_EMISSION, neg
    back0: list[np.ndarray] = [np.full(n, -1)]
    back1: list[np.ndarray] = [np.full(n, -1)]
    back_after: list[int] = [-2]
    leave_cost = 0.3
    codes0, codes1 = 2 * ks, 2 * ks + 1
    for t in range(1, len(items)):
        best = np.maximum(s0, s1)
        best_code = np.where(s1 > s0, codes1, codes0)
        # entering entry k from an earlier entry j < k skips the k - j - 1 between
        key = best + skip_cost * ks
        prefix = np.maximum.accumulate(key)
        rising = key > np.concatenate(([neg * 2], prefix[:-1]))
        arg = np.maximum.accumulate(np.where(rising, ks, 0))
        via = np.full(n, neg)
        via[1:] = prefix[:-1] - skip_cost * (ks[1:] - 1) - start_cost
        via_code = np.full(n, -1)
        via_code[1:] = best_code[arg[:-1]]
        enter = s_before - from_before
        enter_code = np.full(n, -1)
        better = via > enter
        enter = np.where(better, via, enter) + bonus[t]
        enter_code = np.where(better, via_code, enter_code)
        row = emit[t]
        if valued[t]:
            stay1 = s1 - SECOND_VALUE_COST
            pick = np.argmax(np.stack([s0, stay1, enter]), axis=0)
            new1 = np.choose(pick, [s0, stay1, enter]) + row
            ptr1 = np.choose(pick, [codes0, codes1, enter_code])
            new0, ptr0 = np.full(n, neg), np.full(n, -1)
        else:
            keep = s0 >= enter
            new0 = np.where(keep, s0, enter) + row
            ptr0 = np.where(keep, codes0, enter_code)
            new1, ptr1 = s1 + row, codes1.copy()
        top = int(np.argmax(best))
        if s_after >= best[top] - leave_cost:
            new_after, ptr_after = s_after + OUTSIDE_EMISSION, -2
        else:
            new_after, ptr_after = best[top] - leave_cost + OUTSIDE_EMISSION, int(best_code[top])
        s_before = s_before + OUTSIDE_EMISSION
        s0, s1, s_after = new0, new1, new_after
        back0.append(ptr0)
        back1.append(ptr1)
        back_after.append(ptr_after)
    finals = [(s_before, -1)] + [(float(s[k]), 2 * k + v) for k in range(n)
                                  for v, s in enumerate((s0, s1))] + [(s_after, -2)]
    total, state = max(finals, key=lambda f: f[0])  # the first of equals, as the order goes
    path = [0] * len(items)
    for t in range(len(items) - 1, -1, -1):
        path[t] = 0 if state == -1 else n + 1 if state == -2 else state // 2 + 1
        if t:
            if state == -1:
                state = -1
            elif state == -2:
                state = back_after[t]
            else:
                state = int((back1 if state % 2 else back0)[t][state // 2])
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
        match.desc_score = float(
            profile.desc_scores(text)[profile.entries.index(match.entry)])
    return result

