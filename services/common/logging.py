"""structlog JSON lines with the fixed keys of shared/design.md ("Operations")."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

# Keys every line may carry; operators filter on them, so they never change name.
FIXED_KEYS = (
    "service",
    "unit",
    "event_type",
    "event_id",
    "correlation_id",
    "topic",
    "partition",
    "offset",
    "lag",
    "latency_ms",
)


def configure_logging(service: str, level: str = "info") -> structlog.stdlib.BoundLogger:
    """Route structlog and the stdlib (uvicorn, aiokafka, pymongo) through one JSON renderer."""
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # Libraries are chatty at info; keep their warnings.
    for noisy in ("aiokafka", "pymongo", "faststream", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
    structlog.contextvars.bind_contextvars(service=service)
    return get_logger()


def get_logger(**initial: Any) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(**initial)
    return logger
