"""The projector: folds the facts, the hierarchy changes and the sign-ins read from Kafka into
the unit × month projection (see each module's docstring, and the README's "How exactly-once
works")."""
