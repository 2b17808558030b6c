"""Vietnamese normalisation of voters' opinions (ý kiến, kiến nghị của cử tri) for matching.

An opinion becomes two keys of syllables (Vietnamese writes one syllable per space-separated
word, so a syllable is the natural token):

- `marked`: lowercase, with diacritics, the tone written as a digit after the syllable
  ("hóa" and "hoá" are both `hoa1`: the two placements of the tone mark that typists use);
- `plain`: without any diacritics, đ → d ("đường" → `duong`), so a secretary who types
  without accents still matches. It is computed from the unaccented letters alone: the plain
  key of a text equals the plain key of the same text typed without accents.

Both keys drop what every opinion says and what differs between communes for the same
request:

- the formulas of administrative Vietnamese (đề nghị, cử tri, phản ánh, xem xét, tạo điều
  kiện, các cấp …) and function words (các, của, cho …). The plain key drops only those whose
  unaccented form is not also a word that matters ("tai" is both "tại" and the "tái" of "tái
  định cư"; "do" both "do" and the "đỏ" of "sổ đỏ"), so its list is shorter;
- place and person names after their marker ("bản Nà Tăm", "thôn Đông Tiến", "xóm 5",
  "xã Mường Kim", "suối Nậm Mu", "ông Lò Văn Pánh"): the same request from two communes names
  two villages. A name is the capitalised syllables (or one number) right after the marker,
  within one clause; a marker without a name ("đường liên bản", "nhà văn hóa thôn") stays.
  Text typed all in lowercase keeps its names: nothing tells them apart. `places="keep"`
  leaves them in (the README compares both on the labelled pairs).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from services.reporting.opinions.lexicon import (
    AMBIGUOUS_PLAIN,
    OBJECTS,
    PLACE_MARKERS,
    SAME_MEANING,
    STOP_PHRASES,
)

Places = Literal["drop", "keep"]

# Combining tone marks (NFD) → the digit the marked key writes after the syllable.
_TONES = {"\u0301": "1", "\u0300": "2", "\u0309": "3", "\u0303": "4", "\u0323": "5"}
# Combining marks that change the vowel itself (â ă ê ô ơ ư): kept in `marked`.
_VOWEL_MARKS = {"\u0302", "\u0306", "\u031b"}

# Clauses end at punctuation: a name never runs across one.
_CLAUSE = re.compile(r"[.,;:!?()\[\]{}\"“”…/\\|\-–—]+")
_SYLLABLE = re.compile(r"[^\W_]+")


@functools.lru_cache(maxsize=1 << 16)  # a province's opinions use a few thousand syllables
def _decompose(syllable: str) -> tuple[str, str, str]:
    """(letters with vowel marks, tone digit or "", letters without any mark) of a syllable."""
    letters: list[str] = []
    plain: list[str] = []
    tone = ""
    for char in unicodedata.normalize("NFD", syllable):
        if char in _TONES:
            tone = _TONES[char]
        elif char in _VOWEL_MARKS:
            letters.append(char)
        elif unicodedata.combining(char):
            continue
        else:
            letters.append(char)
            plain.append("d" if char == "đ" else char)
    return unicodedata.normalize("NFC", "".join(letters)), tone, "".join(plain)


def unmark(text: str) -> str:
    """The text without diacritics (đ → d, Đ → D), as a typist without accents writes it."""
    out = [char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char)]
    return "".join(out).replace("đ", "d").replace("Đ", "D")


@dataclass(frozen=True, slots=True)
class Key:
    """An opinion's two matching keys (syllables), whether its typist used diacritics, and
    the things it asks for (classes of `lexicon.OBJECTS`)."""

    marked: tuple[str, ...]
    plain: tuple[str, ...]
    has_marks: bool
    objects: frozenset[str]

    @property
    def plain_text(self) -> str:
        return " ".join(self.plain)

    @property
    def marked_text(self) -> str:
        return " ".join(self.marked)


Words = tuple[str, ...]


def _marked(phrase: str) -> Words:
    return tuple(letters + tone for letters, tone, _ in map(_decompose, phrase.lower().split()))


def _plain(phrase: str) -> Words:
    return tuple(unmark(phrase).lower().split())


class _Phrases:
    """Phrases (syllable tuples) and what each stands for; the longest match wins."""

    def __init__(self, table: dict[Words, Words]) -> None:
        self.table = table
        sizes: dict[str, set[int]] = {}
        for phrase in table:
            sizes.setdefault(phrase[0], set()).add(len(phrase))
        self.sizes = {first: sorted(s, reverse=True) for first, s in sizes.items()}

    @classmethod
    def of(cls, pairs: Iterable[tuple[Words, Words]]) -> _Phrases:
        table: dict[Words, Words] = {}
        for phrase, meaning in pairs:
            table.setdefault(phrase, meaning)  # the first meaning of an ambiguous form
        return cls(table)

    def match(self, words: Sequence[str], at: int) -> int:
        """The length of the longest phrase starting at `words[at]`, or 0."""
        for size in self.sizes.get(words[at], ()):
            if at + size <= len(words) and tuple(words[at : at + size]) in self.table:
                return size
        return 0

    def replace(self, words: Sequence[str]) -> list[str]:
        """The words with each phrase replaced by what it stands for (the hot loop of
        indexing: kept plain)."""
        out: list[str] = []
        at = 0
        while at < len(words):
            size = self.match(words, at)
            if size:
                out.extend(self.table[tuple(words[at : at + size])])
                at += size
            else:
                out.append(words[at])
                at += 1
        return out

    def meanings(self, words: Sequence[str]) -> frozenset[str]:
        """What the phrases found in the words stand for, the longer of two overlapping ones
        winning wherever it starts ("xây nhà văn hóa" names a cultural house, not a home)."""
        found = sorted(
            (-size, at, self.table[tuple(words[at : at + size])])
            for at, word in enumerate(words)
            if word in self.sizes
            for size in self.sizes[word]
            if at + size <= len(words) and tuple(words[at : at + size]) in self.table
        )
        used: set[int] = set()
        out: set[str] = set()
        for negative, at, meaning in found:
            span = range(at, at - negative)
            if used.isdisjoint(span):
                used.update(span)
                out.update(meaning)
        return frozenset(out)


def _same_meaning(form: Callable[[str], Words]) -> _Phrases:
    return _Phrases.of(
        (form(variant), form(forms[0])) for forms in SAME_MEANING for variant in forms
    )


def _objects(form: Callable[[str], Words], min_size: int) -> _Phrases:
    return _Phrases.of(
        (form(phrase), (kind,) if kind else ())
        for kind, phrases in OBJECTS.items()
        for phrase in phrases
        if len(phrase.split()) >= min_size
    )


def _stops(phrases: Iterable[Words]) -> _Phrases:
    return _Phrases.of((phrase, ()) for phrase in phrases)


_MARKERS = _stops(map(_plain, PLACE_MARKERS))
_SAME_MEANING = {True: _same_meaning(_marked), False: _same_meaning(_plain)}
# Without accents one syllable names too many things ("cho": cho, chợ; "bo": bố, bò, bổ;
# "truong": trường, trưởng), so text typed without them names objects in phrases only.
_OBJECTS = {True: _objects(_marked, 1), False: _objects(_plain, 2)}
_MARKED_STOPS = _stops(map(_marked, STOP_PHRASES))
_PLAIN_STOPS = _stops(
    phrase
    for phrase in dict.fromkeys(map(_plain, STOP_PHRASES))
    if not (len(phrase) == 1 and phrase[0] in AMBIGUOUS_PLAIN)
)


def _without_names(clause: list[str]) -> list[str]:
    """The clause's syllables (original case) without the names that follow a marker."""
    lowered = [_decompose(s.lower())[2] for s in clause]
    kept: list[str] = []
    at = 0
    while at < len(clause):
        size = _MARKERS.match(lowered, at)
        if size:
            end = at + size
            if end < len(clause) and clause[end].isdigit():
                end += 1
            else:
                while end < len(clause) and clause[end][:1].isupper():
                    end += 1
            if end > at + size:
                at = end
                continue
        kept.append(clause[at])
        at += 1
    return kept


def syllables(text: str, places: Places = "drop") -> list[str]:
    """The text's syllables in their original case, NFC, names dropped unless kept."""
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    for clause in _CLAUSE.split(text):
        words = _SYLLABLE.findall(clause)
        out.extend(_without_names(words) if places == "drop" else words)
    return out


def objects_of(words: Sequence[str], marked: bool) -> frozenset[str]:
    """The classes of `lexicon.OBJECTS` named in a key's words (before stop words go)."""
    return _OBJECTS[marked].meanings(words)


def normalize(text: str, places: Places = "drop") -> Key:
    """The matching keys of an opinion as typed (see the module's docstring)."""
    marked: list[str] = []
    plain: list[str] = []
    for syllable in syllables(text, places):
        letters, tone, bare = _decompose(syllable.lower())
        marked.append(letters + tone)
        plain.append(bare)
    has_marks = any(m != p for m, p in zip(marked, plain, strict=True))
    marked = _SAME_MEANING[True].replace(marked)
    plain = _SAME_MEANING[False].replace(plain)
    return Key(
        marked=tuple(_MARKED_STOPS.replace(marked)),
        plain=tuple(_PLAIN_STOPS.replace(plain)),
        has_marks=has_marks,
        objects=objects_of(marked if has_marks else plain, marked=has_marks),
    )


def normalize_all(texts: Sequence[str], places: Places = "drop") -> list[Key]:
    """The keys of many texts (what a worker process is handed when an index is built)."""
    return [normalize(text, places) for text in texts]
