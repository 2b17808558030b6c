"""`make bench-opinions`: the opinion matcher's suggestion latency and indexing cost against
the number of opinions indexed, each size with a baseline measured in the same run.

Opinions are generated from the sample's texts (deploy/sample/texts.py) and the labelled
pairs (tests/data/opinion_pairs.jsonl), varied as secretaries write them: another village,
a formula before or a clause after, a word left out, no accents, a misplaced tone. Queries
are new opinions of the same kinds and, for typing, their first three to six words.

- indexing: opinions/s and resident memory added, as the index grows to each size;
- suggestions: p50/p99 of `OpinionIndex.suggest` (whole province, wall and CPU time; and
  limited to ten units, as the workspace asks), against the baseline: rapidfuzz's
  `process.extract` over every opinion's key (a linear scan in C++, the same scorer
  without the objects);
- found: how often the index's top score equals the best score of an exhaustive scan.

    python -m bench.opinions [--sizes 10000,100000,1000000] [--queries 300] [--baseline 50]
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path

from rapidfuzz import fuzz, process
from rich.table import Table

from bench.common import arguments, console, percentile, progress, ratio, ratio_text
from deploy.sample.texts import OPINIONS, VILLAGES
from services.reporting.opinions import (
    SUGGEST_THRESHOLD,
    Key,
    Opinion,
    OpinionIndex,
    similarity,
    unmark,
)

PAIRS = Path(__file__).parents[1] / "tests" / "data" / "opinion_pairs.jsonl"
MORE_VILLAGES = ("Đông Tiến", "Tân Lập", "Khe Lầy", "Bó Mới", "Cốc Phát", "Nà Lừa", "Pắc Nậm")
MARKERS = ("bản", "thôn", "xóm")
OPENINGS = ("", "", "Cử tri phản ánh: ", "Cử tri kiến nghị ", "Nhân dân đề nghị ")
CLOSINGS = ("", "", " Đề nghị các cấp quan tâm.", " Mùa mưa đi lại rất khó khăn.", " Đề nghị sớm.")
TONE_SWAPS = (("ủy", "uỷ"), ("óa", "oá"), ("ường", "uờng"), ("ữa", "ửa"))
UNITS = [f"{3000 + n:05d}" for n in range(200)]  # 200 communes of one province


def templates() -> list[str]:
    """The kinds of opinions: the sample's (with a village) and the labelled pairs' texts."""
    sample = [t for texts in OPINIONS.values() for t in texts]
    with PAIRS.open(encoding="utf-8") as lines:
        labelled = {t for line in lines for t in (json.loads(line)["a"], json.loads(line)["b"])}
    return sample * 20 + sorted(labelled)  # the sample's kinds are the common ones


def vary(rng: random.Random, template: str) -> str:
    """One secretary's wording of a kind of opinion."""
    village = rng.choice(VILLAGES + list(MORE_VILLAGES))
    text = template.format(v=village) if "{v}" in template else template
    text = rng.choice(OPENINGS) + text.rstrip(".") + "." + rng.choice(CLOSINGS)
    text = text.replace("bản ", f"{rng.choice(MARKERS)} ", 1)
    words = text.split()
    if len(words) > 8 and rng.random() < 0.3:
        del words[rng.randrange(2, len(words) - 1)]
    text = " ".join(words)
    for right, wrong in TONE_SWAPS:
        if rng.random() < 0.1:
            text = text.replace(right, wrong)
    return unmark(text).lower() if rng.random() < 0.1 else text


def generate(rng: random.Random, kinds: list[str], count: int, start: int) -> Iterator[Opinion]:
    first = date(2021, 7, 1)
    for n in range(start, start + count):
        yield Opinion(
            opinion_id=f"yk-{n}",
            text=vary(rng, rng.choice(kinds)),
            unit=rng.choice(UNITS),
            day=first + timedelta(days=rng.randrange(5 * 365)),
            status=rng.choice(("received", "forwarded", "answered", "resolved")),
            field="other",
        )


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def timed(calls: Iterator[object], cpu: list[float] | None = None) -> list[float]:
    """Milliseconds each call of the iterator took; its CPU time into `cpu` when given (on a
    shared machine the wall time also counts the other processes' turns)."""
    times: list[float] = []
    while True:
        started, used = time.perf_counter(), time.process_time()
        if next(calls, StopIteration) is StopIteration:
            return times
        times.append((time.perf_counter() - started) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - used) * 1000)


def exhaustive_best(key: Key, keys: Sequence[Key]) -> float | None:
    """The best score of any indexed opinion, every one scored (no LSH)."""
    hits = process.extract(
        key.plain_text, [k.plain_text for k in keys], scorer=fuzz.token_set_ratio,
        score_cutoff=SUGGEST_THRESHOLD, limit=None,
    )  # fmt: skip
    scores = [similarity(key, keys[at]) for _, _, at in hits]
    return max((round(s, 1) for s in scores if s >= SUGGEST_THRESHOLD), default=None)


def step(
    index: OpinionIndex, queries: list[str], baseline: int, rng: random.Random
) -> dict[str, float]:
    """Latencies (ms) of suggestions and of the baseline at the index's present size."""
    typing = [" ".join(q.split()[: rng.randint(3, 6)]) for q in queries]
    nearby = [set(rng.sample(UNITS, 10)) for _ in queries]
    cpu: list[float] = []
    full = timed((index.suggest(q) for q in queries), cpu)
    typed = timed(index.suggest(q) for q in typing)
    local = timed(index.suggest(q, units=u) for q, u in zip(queries, nearby, strict=True))
    keys = [index.key_of(o.opinion_id) for o in index]
    plains = [k.plain_text for k in keys]
    scans = timed(
        process.extract(
            index.key(q).plain_text, plains, scorer=fuzz.token_set_ratio, limit=5,
            score_cutoff=SUGGEST_THRESHOLD,
        )
        for q in queries[:baseline]
    )  # fmt: skip
    same = 0
    for q in queries[:baseline]:
        found = index.suggest(q)
        same += (found[0].score if found else None) == exhaustive_best(index.key(q), keys)
    return {
        "p50": percentile(full, 50),
        "p99": percentile(full, 99),
        "cpu_p50": percentile(cpu, 50),
        "cpu_p99": percentile(cpu, 99),
        "typing_p99": percentile(typed, 99),
        "units_p99": percentile(local, 99),
        "base_p50": percentile(scans, 50),
        "base_p99": percentile(scans, 99),
        "found_best": same / len(queries[:baseline]),
    }


MILLISECONDS = {
    "suggest p50": "p50", "suggest p99": "p99", "suggest CPU time p50": "cpu_p50",
    "suggest CPU time p99": "cpu_p99", "typing (3–6 words) p99": "typing_p99",
    "ten units p99": "units_p99", "baseline: linear scan p50": "base_p50",
    "baseline: linear scan p99": "base_p99",
}  # fmt: skip
ROWS: tuple[tuple[str, str, Callable[[float], str]], ...] = (
    ("opinions indexed", "size", "{:,.0f}".format),
    ("distinct wordings", "wordings", "{:,.0f}".format),
    ("indexing, opinions/s", "rate", "{:,.0f}".format),
    ("memory added, MiB", "memory", "+{:,.0f}".format),
    *((f"{label}, ms", name, "{:.1f}".format) for label, name in MILLISECONDS.items()),
    ("ratio (scan p50 / suggest p50)", "ratio", ratio_text),
    ("top score = exhaustive best", "found_best", "{:.0%}".format),
)


def run(sizes: Sequence[int], queries: int, baseline: int, seed: int = 23) -> Table:
    rng = random.Random(seed)
    kinds = templates()
    index = OpinionIndex()
    asked = [o.text for o in generate(rng, kinds, queries, start=-queries)]
    columns: list[dict[str, float]] = []
    with progress() as bar:
        for size in sorted(sizes):
            count = size - len(index)
            task = bar.add_task(f"index to {size:,}", total=count)
            memory = rss_mib()
            started = time.perf_counter()
            for n, opinion in enumerate(generate(rng, kinds, count, len(index))):
                index.add(opinion)
                if n % 5000 == 4999:
                    bar.advance(task, 5000)
            rate = count / (time.perf_counter() - started)
            bar.update(task, completed=count)
            m = {"size": size, "wordings": index.wordings, "rate": rate}
            m["memory"] = rss_mib() - memory
            m.update(step(index, asked, baseline, rng))
            m["ratio"] = ratio(m["base_p50"], m["p50"])
            columns.append(m)
    table = Table(
        title=f"opinion matcher, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}",
        title_justify="left",
        caption="memory added: resident memory grown while indexing up to that size",
        caption_justify="left",
    )
    table.add_column("")
    for m in columns:
        table.add_column(f"{m['size']:,.0f}", justify="right")
    for label, name, form in ROWS:
        table.add_row(label, *(form(m[name]) for m in columns))
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = arguments("bench.opinions", __doc__)
    parser.add_argument("--sizes", default="10000,100000", help="index sizes, comma-separated")
    parser.add_argument("--queries", type=int, default=300, help="suggestions timed per size")
    parser.add_argument("--baseline", type=int, default=50, help="linear scans timed per size")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if min(sizes) < 1 or args.queries < 1 or not 1 <= args.baseline <= args.queries:
        parser.error("sizes and queries must be positive, baseline at most queries")
    console.print(run(sizes, args.queries, args.baseline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
