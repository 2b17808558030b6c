"""What a record id may look like, wherever one is accepted: in an event, a request body or a path.

Ids are chosen by the writer (an office's own numbering, or a client's UUID) so that a resend is
idempotent; the pattern keeps them safe in URLs, logs and Kafka keys.
"""

from typing import Annotated
from uuid import uuid4

from pydantic import Field

ID_PATTERN = r"^[A-Za-z0-9._:-]+$"
ID_MAX_LENGTH = 64


def new_id() -> str:
    """An id for a record whose writer sent none."""
    return uuid4().hex


StableId = Annotated[
    str,
    Field(
        default_factory=new_id,
        min_length=1,
        max_length=ID_MAX_LENGTH,
        pattern=ID_PATTERN,
        description="Stable id; send your own to make a retried request idempotent.",
    ),
]
"""The id of a record an event creates (a meeting, a supervision, an opinion it itemises)."""
