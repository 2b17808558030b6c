"""Quix Streams doing hdnd's roll-up (`bench.rollup`) into MongoDB, at-least-once.

Run by `bench.peers` in a process of its own (Quix owns its main thread and signals):

    python -m bench.quix_peer BOOTSTRAP TOPIC MONGODB_URI DATABASE EVENTS

A stateless StreamingDataFrame decodes each message with hdnd's contracts and computes its
increments; a BatchingSink merges each checkpoint's increments per document and writes them as
one unordered bulk of `$inc` upserts in a MongoDB transaction (the cheaper way, as hdnd does);
Quix commits offsets after the sink has flushed. Prints `progress N` lines while it runs and
`result <events> <seconds>` at the end (seconds from the first message to the last flush).
MongoDB's credentials, if any, come as JSON in HDND_BENCH_MONGODB_CREDENTIALS (not argv, which
every process on the machine may read).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from typing import Any

from pymongo import MongoClient
from quixstreams import Application
from quixstreams.sinks import BatchingSink, SinkBatch

from bench.rollup import Increments, increments_of, merge, upserts
from services.common.hierarchy import Hierarchy


class RollupSink(BatchingSink):  # type: ignore[misc]
    def __init__(self, uri: str, database: str, events: int) -> None:
        super().__init__()
        signed_in = json.loads(os.environ.get("HDND_BENCH_MONGODB_CREDENTIALS", "{}"))
        self.client: MongoClient[dict[str, Any]] = MongoClient(uri, **signed_in)
        self.collection = self.client[database]["unit_months"]
        self.events = events
        self.written = 0
        self.first: float | None = None
        self.last = 0.0

    def write(self, batch: SinkBatch) -> None:
        increments: Increments = {}
        for item in batch:
            merge(increments, item.value)
        with self.client.start_session() as session:
            session.with_transaction(
                lambda s: self.collection.bulk_write(upserts(increments), ordered=False, session=s)
            )
        self.written += batch.size
        self.last = time.perf_counter()
        print(f"progress {self.written}", flush=True)


def main(argv: list[str]) -> int:
    bootstrap, topic_name, uri, database, events = argv
    total = int(events)
    hierarchy = Hierarchy.load()
    sink = RollupSink(uri, database, total)
    with tempfile.TemporaryDirectory(prefix="hdnd-quix-") as state:
        app = Application(
            broker_address=bootstrap,
            consumer_group=f"{database}-quix",
            auto_offset_reset="earliest",
            processing_guarantee="at-least-once",
            commit_interval=1.0,
            state_dir=state,
            use_changelog_topics=False,
            auto_create_topics=False,
            # noida-db ignores fetch size limits; librdkafka refuses larger answers otherwise
            consumer_extra_config={"receive.message.max.bytes": 1_000_000_000},
        )
        topic = app.topic(topic_name, value_deserializer="bytes", key_deserializer="bytes")
        sdf = app.dataframe(topic)

        def rollup(raw: bytes) -> Increments:
            if sink.first is None:
                sink.first = time.perf_counter()
            return increments_of(hierarchy, raw)

        sdf = sdf.apply(rollup)
        sdf.sink(sink)
        app.run(count=total, timeout=600.0, collect=False)
    seconds = sink.last - (sink.first or sink.last)
    print(f"result {sink.written} {seconds:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
