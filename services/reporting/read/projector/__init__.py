"""The projector: folds the facts, the hierarchy changes and the sign-ins read from Kafka into
the unit × month projection. A record goes one way, down:

    handler.py      Projector, the one object BatchConsumer is given: a batch in, its letters
                    out, the rest to the working set
    reading.py      each record read once, in worker processes: decoded, signature checked,
                    turned into contributions (plain data)
    judging.py      each reading judged in order under the tree: trust rule, owners, placement
    fold.py         the pure fold: `place` (where a contribution counts), stream positions,
                    increments per unit and month and every ancestor
    working_set.py  the one write path: flushes of the pending fold, many batches per
                    transaction; a hierarchy change is a barrier flush
    changes.py      what a hierarchy change moves, inside that barrier's transaction
    store.py        the projection version's collections in MongoDB

See the README's "How exactly-once works".
"""
