"""Personal data (dữ liệu cá nhân) an instance removed on a lawful request (bounded context
`privacy`, travelling on the reporting topic).

- `personal_data.erased`: `hdnd erase` replaced the free-text fields that named a person in this
  instance's documents with a marker. The event says how many and where (database, collection,
  document id, field), never what was erased or whom it named, so that a restore from a backup
  older than the erasure can erase the same fields again (see deploy/replay.py). It counts
  nothing in the figures.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.ids import ID_MAX_LENGTH, ID_PATTERN

TOPIC: Final = "reporting"  # the `Topics` property its events travel on

ERASED_MARKER = "[đã xóa theo yêu cầu]"
"""What an erased free-text field reads afterwards (removed on request)."""
FIELDS_PER_EVENT = 500  # ~100 KB of locations at most: far below a broker's message limit

Database = Literal["meetings", "oversight", "reporting"]
FieldPath = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.]+$")]


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ErasedField(_Event):
    """One free-text field replaced by the marker: where it is, not what it said."""

    database: Database
    collection: str = Field(min_length=1, max_length=64, pattern=r"^[a-z_]+$")
    document_id: str = Field(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)
    path: FieldPath = Field(description="Dotted path, array positions as numbers.")


class PersonalDataErased(_Event):
    """`personal_data.erased` v1: on `erased_on` this instance erased personal data of one
    person from the documents of the envelope's unit and below, on a request registered as
    `request_ref` (the office's register number, never a name)."""

    TYPE: ClassVar[str] = "personal_data.erased"
    VERSION: ClassVar[int] = 1

    erasure_id: str = Field(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)
    request_ref: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9./_-]+$"
    )
    erased_on: date
    documents: int = Field(ge=0, description="Documents changed.")
    fields: list[ErasedField] = Field(
        max_length=FIELDS_PER_EVENT,
        description="Fields replaced (a larger erasure sends more events).",
    )
    outbox_rows: int = Field(ge=0, description="Published outbox rows holding it, deleted.")


PRIVACY_EVENTS: tuple[type[BaseModel], ...] = (PersonalDataErased,)
