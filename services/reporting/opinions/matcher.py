"""Similar voters' opinions across units: an index that suggests, and a grouping that proposes.

Pure: no I/O. The reporting service feeds the index from the events it consumes; the
workspace asks it while a secretary types; the standing committee's grouping starts from
`propose_groups`. Nothing here merges anything: it suggests, a person decides.

How a match is found and scored:

1. Both texts are normalised (`normalize.py`): syllables without diacritics, administrative
   formulas, function words and village names out, abbreviations and synonyms written one
   way, and the things each asks for (`lexicon.OBJECTS`) named.
2. Candidates come from a MinHash LSH index (datasketch) over the set of plain syllables
   (less unaccented function words): opinions sharing enough syllables with the query,
   without a scan of all of them.
3. Each candidate is scored by rapidfuzz's `token_set_ratio` on the plain keys (0–100: the
   words they share against the words each adds, so word order and a longer or shorter
   wording cost little), times the agreement of their objects: `0.4 + 0.6 × Dice(objects)`,
   0.7 when only one of them names a known object, 1 when neither does. Two opinions that
   say everything alike but ask for different things (a bridge, a cultural house) lose most
   of their score.
4. Suggestions are the top five at or above `SUGGEST_THRESHOLD`; groups join opinions at or
   above the stricter `GROUP_THRESHOLD`. Both were chosen on the labelled pairs in
   `tests/data/opinion_pairs.jsonl`; `quality.py` measures them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import groupby, islice
from operator import itemgetter

from datasketch import MinHash, MinHashLSH
from rapidfuzz import fuzz, process

from services.reporting.opinions.lexicon import AMBIGUOUS_PLAIN
from services.reporting.opinions.normalize import Key, Places, normalize

SUGGEST_THRESHOLD = 60.0  # precision and recall 0.90 on the labelled pairs (quality.py)
GROUP_THRESHOLD = 70.0  # precision 0.96: a group's members make the same request
MAX_SUGGESTIONS = 5
MIN_QUERY_SYLLABLES = 3  # fewer plain syllables say too little to suggest anything

OBJECT_WEIGHT = 0.6  # how much differing objects lower a score
UNKNOWN_OBJECTS = 0.5  # the agreement assumed when only one text names a known object

NUM_PERM = 64
LSH_BANDS = (32, 2)  # (bands, rows): candidates from a Jaccard of about 0.15 up


@dataclass(frozen=True, slots=True)
class Opinion:
    """One recorded opinion (ý kiến, kiến nghị của cử tri) and what a suggestion shows of it."""

    opinion_id: str
    text: str
    unit: str
    day: date
    status: str
    field: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An opinion similar to the query, with its score: 0–100, to a tenth, 100 for the same
    words (`similarity`)."""

    opinion: Opinion
    score: float


@dataclass(frozen=True, slots=True)
class Group:
    """Opinions proposed as one request raised in several units: each member scored at or
    above the group threshold against the centre, the opinion most like the others."""

    center: Opinion
    members: tuple[Suggestion, ...]  # the centre's neighbours, by score then id

    @property
    def opinions(self) -> tuple[Opinion, ...]:
        return (self.center, *(m.opinion for m in self.members))

    @property
    def units(self) -> frozenset[str]:
        return frozenset(o.unit for o in self.opinions)


def object_agreement(a: frozenset[str], b: frozenset[str]) -> float:
    """1 when two opinions ask for the same things, 0 when for different ones (Dice)."""
    if not a and not b:
        return 1.0  # nothing to tell them apart: the words alone decide
    if not a or not b:
        return UNKNOWN_OBJECTS
    return 2 * len(a & b) / (len(a) + len(b))


def _weigh(lexical: float, a: frozenset[str], b: frozenset[str]) -> float:
    return lexical * (1 - OBJECT_WEIGHT + OBJECT_WEIGHT * object_agreement(a, b))


def similarity(a: Key, b: Key) -> float:
    """The score of two normalised opinions, 0–100 (see the module's docstring)."""
    return _weigh(fuzz.token_set_ratio(a.plain_text, b.plain_text), a.objects, b.objects)


_PERMUTATIONS = MinHash(num_perm=NUM_PERM).permutations  # drawn once, not per sketch


def _minhash(key: Key) -> MinHash:
    """The sketch of a key's syllables, less the unaccented function words the plain key
    keeps for scoring ("cho", "de" …): in every other opinion, they would make everything a
    candidate."""
    shingles = {s for s in key.plain if s not in AMBIGUOUS_PLAIN} or set(key.plain)
    sketch = MinHash(num_perm=NUM_PERM, permutations=_PERMUTATIONS, scheme="affine32")
    sketch.update_batch([s.encode() for s in shingles])
    return sketch


# What the index compares: the plain key's set of syllables (sorted: `token_set_ratio` looks
# at nothing else) and the objects. Opinions worded alike share one (a province repeats a few
# hundred requests), so candidates and scores are per wording.
_Wording = tuple[str, frozenset[str]]


def _recent_first(opinion: Opinion) -> tuple[int, str]:
    return -opinion.day.toordinal(), opinion.opinion_id


@dataclass(frozen=True, slots=True)
class _Entry:
    opinion: Opinion
    key: Key

    @property
    def wording(self) -> _Wording:
        return " ".join(sorted(set(self.key.plain))), self.key.objects


class OpinionIndex:
    """The opinions of a province (or any set), searchable by similarity of their text.

    Not thread-safe; one writer. Memory and speed at 10k–1M opinions: `bench/opinions.py`.
    """

    def __init__(self, places: Places = "drop") -> None:
        self._places = places
        self._entries: dict[str, _Entry] = {}
        self._wordings: dict[_Wording, dict[str, None]] = {}  # ids in the order added
        self._lsh = MinHashLSH(num_perm=NUM_PERM, params=LSH_BANDS)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, opinion_id: object) -> bool:
        return opinion_id in self._entries

    def __iter__(self) -> Iterator[Opinion]:
        return (entry.opinion for entry in self._entries.values())

    @property
    def wordings(self) -> int:
        """How many distinct wordings (normalised keys) the opinions have."""
        return len(self._wordings)

    def get(self, opinion_id: str) -> Opinion | None:
        entry = self._entries.get(opinion_id)
        return entry.opinion if entry else None

    def key_of(self, opinion_id: str) -> Key:
        """The normalised key of an indexed opinion."""
        return self._entries[opinion_id].key

    def key(self, text: str) -> Key:
        """The normalised key of a text, as this index normalises."""
        return normalize(text, self._places)

    def add(self, opinion: Opinion, key: Key | None = None) -> None:
        """Index an opinion; one with the same id is replaced (events may come twice). `key`:
        its text's key, when normalised already (a rebuild does it in worker processes)."""
        old = self._entries.get(opinion.opinion_id)
        if old is not None and old.opinion.text == opinion.text:
            self._entries[opinion.opinion_id] = _Entry(opinion, old.key)
            return
        if old is not None:
            self.remove(opinion.opinion_id)
        entry = _Entry(opinion, key or self.key(opinion.text))
        self._entries[opinion.opinion_id] = entry
        ids = self._wordings.get(entry.wording)
        if ids is None:
            ids = self._wordings[entry.wording] = {}
            if entry.key.plain:
                self._lsh.insert(entry.wording, _minhash(entry.key), check_duplication=False)
        ids[opinion.opinion_id] = None

    def update(
        self,
        opinion_id: str,
        *,
        text: str | None = None,
        unit: str | None = None,
        day: date | None = None,
        status: str | None = None,
        field: str | None = None,
    ) -> Opinion:
        """Change what is given of an indexed opinion (a status when it is answered or
        resolved, a day when its meeting is corrected …); KeyError when it is not indexed."""
        old = self._entries[opinion_id].opinion
        changed = Opinion(
            opinion_id,
            old.text if text is None else text,
            old.unit if unit is None else unit,
            old.day if day is None else day,
            old.status if status is None else status,
            old.field if field is None else field,
        )
        self.add(changed)
        return changed

    def remove(self, opinion_id: str) -> bool:
        """Forget an opinion; False when it was not indexed."""
        entry = self._entries.pop(opinion_id, None)
        if entry is None:
            return False
        ids = self._wordings[entry.wording]
        del ids[opinion_id]
        if not ids:
            del self._wordings[entry.wording]
            if entry.key.plain:
                self._lsh.remove(entry.wording)
        return True

    def matches(
        self,
        key: Key,
        *,
        units: Collection[str] | None = None,
        threshold: float = SUGGEST_THRESHOLD,
        exclude: str | None = None,
    ) -> list[Suggestion]:
        """Every indexed opinion scoring at least `threshold` against `key`, best first
        (ties: the most recent day, then the id), in `units` when given."""
        return list(self._ranked(key, units, threshold, exclude, None))

    def _scored(self, key: Key, threshold: float) -> list[tuple[float, _Wording]]:
        """The indexed wordings scoring at least `threshold` against `key`, best first.

        Candidates are scored by objects first: a wording whose objects cap its score below
        the threshold (different things asked for: at most 40) is never handed to rapidfuzz,
        and the others need a lexical score of at least `threshold / factor`."""
        if not key.plain:
            return []
        by_objects: dict[frozenset[str], list[_Wording]] = {}
        for wording in self._lsh.query(_minhash(key)):
            by_objects.setdefault(wording[1], []).append(wording)
        scored = []
        for objects, wordings in by_objects.items():
            factor = _weigh(1.0, key.objects, objects)
            if 100 * factor < threshold:
                continue
            for _, lexical, at in process.extract(
                key.plain_text,
                [tokens for tokens, _ in wordings],
                scorer=fuzz.token_set_ratio,
                score_cutoff=min(100.0, threshold / factor),
                limit=None,
            ):
                if lexical * factor >= threshold:
                    scored.append((round(lexical * factor, 1), wordings[at]))
        scored.sort(key=lambda pair: -pair[0])
        return scored

    def _ranked(
        self,
        key: Key,
        units: Collection[str] | None,
        threshold: float,
        exclude: str | None,
        since: date | None,
    ) -> Iterator[Suggestion]:
        """`matches`, lazily: opinions are looked at one score at a time, best first, so the
        top five of a request recorded thousands of times cost a few of them."""
        for score, level in groupby(self._scored(key, threshold), itemgetter(0)):
            opinions = [
                self._entries[opinion_id].opinion
                for _, wording in level
                for opinion_id in self._wordings[wording]
                if opinion_id != exclude
            ]
            if units is not None:
                opinions = [o for o in opinions if o.unit in units]
            if since is not None:
                opinions = [o for o in opinions if o.day >= since]
            opinions.sort(key=_recent_first)
            yield from (Suggestion(o, score) for o in opinions)

    def groups(self, *, threshold: float = GROUP_THRESHOLD, min_units: int = 2) -> list[Group]:
        """The indexed opinions' groups: see `propose_groups`."""
        near = {  # each wording's neighbours, itself (at 100) among them
            wording: self._scored(self._entries[next(iter(ids))].key, threshold)
            for wording, ids in self._wordings.items()
            if wording[0]
        }
        degree = {w: sum(len(self._wordings[v]) for _, v in near[w]) - 1 for w in near}
        centres = sorted((-degree[w], opinion_id) for w in near for opinion_id in self._wordings[w])
        taken: set[str] = set()
        groups: list[Group] = []
        for _, centre_id in centres:
            if centre_id in taken:
                continue
            members = [
                Suggestion(self._entries[opinion_id].opinion, score)
                for score, wording in near[self._entries[centre_id].wording]
                for opinion_id in self._wordings[wording]
                if opinion_id != centre_id and opinion_id not in taken
            ]
            members.sort(key=lambda m: (-m.score, *_recent_first(m.opinion)))
            group = Group(self._entries[centre_id].opinion, tuple(members))
            if members and len(group.units) >= min_units:
                taken.add(centre_id)
                taken.update(m.opinion.opinion_id for m in members)
                groups.append(group)
        groups.sort(key=lambda g: (-len(g.members), g.center.opinion_id))
        return groups

    def similar_to(
        self, opinion_id: str, *, threshold: float = SUGGEST_THRESHOLD
    ) -> list[Suggestion]:
        """The indexed opinions like an indexed one (itself left out), best first."""
        key = self._entries[opinion_id].key
        return self.matches(key, threshold=threshold, exclude=opinion_id)

    def suggest(
        self,
        text: str,
        *,
        units: Collection[str] | None = None,
        limit: int = MAX_SUGGESTIONS,
        threshold: float = SUGGEST_THRESHOLD,
        exclude: str | None = None,
        since: date | None = None,
    ) -> list[Suggestion]:
        """Up to `limit` (at most five) recorded opinions like `text` as typed so far, in
        `units` when given (the caller's choice: her unit, its siblings, its parent) and raised
        on `since` or later (the term's first day), best first; none for a text of fewer than
        `MIN_QUERY_SYLLABLES` meaningful syllables. `exclude` leaves out the opinion being
        edited."""
        key = self.key(text)
        if len(key.plain) < MIN_QUERY_SYLLABLES:
            return []
        limit = max(0, min(limit, MAX_SUGGESTIONS))
        return list(islice(self._ranked(key, units, threshold, exclude, since), limit))


def propose_groups(
    opinions: Iterable[Opinion],
    *,
    threshold: float = GROUP_THRESHOLD,
    min_units: int = 2,
    places: Places = "drop",
) -> list[Group]:
    """Groups of opinions that make the same request, raised in at least `min_units` units.

    Star clustering, so that no chain of near matches drifts from one request to another:
    the opinion with the most neighbours (scores ≥ `threshold`; ties by id) becomes a centre
    and takes its neighbours not yet taken; then the next. Every member is directly like its
    centre. Neighbours are found once per wording, so a request recorded a thousand times
    costs one query. The result depends only on the set of opinions, not on their order:
    groups by size, then centre id; members by score, then the most recent.
    """
    index = OpinionIndex(places)
    for opinion in opinions:
        index.add(opinion)
    return index.groups(threshold=threshold, min_units=min_units)
