"""Runtime shared by every hdnd service: settings, logging, MongoDB, Kafka, outbox, consumers."""
