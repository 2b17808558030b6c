"""The daily roots of an instance's chains (bounded context `audit`, topic `hdnd.audit`).

Every envelope names the hash of the one before it in its stream (`Envelope.prev`,
contracts.chain), so rewriting one record breaks every link after it. Once a day each service
of each instance signs where its chains stand and publishes it: `audit.root` lists, for every
stream its outbox numbers, the last sequence and the hash of that envelope, and a root hash
over the list. The levels above keep the roots they receive (reporting's `audit_roots`), and a
report document prints a code over the roots it was built on, so a record changed later no
longer matches what was signed and handed up that day (`hdnd audit verify`).

The root is a hash over the sorted list, not a Merkle tree: the event carries the whole list,
so nobody needs a proof that one stream is in it, and anyone can recompute it with
`sha256sum` (`root_of`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from typing import ClassVar, Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contracts.envelope import CHAIN_HASH, Source, StreamPart

TOPIC: Final = "audit"  # the `Topics` property its events travel on

MAX_HEADS = 3_000
"""Streams one root lists at most; an instance with more publishes its day's roots in parts
(of about 256 KB: services.common.audit_roots). A province instance numbers one stream per
unit it records for, a few hundred."""


class StreamHead(BaseModel):
    """Where one stream stood: its last sequence and the hash of that envelope (its link)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stream: StreamPart = Field(max_length=200, examples=["meetings/lai-chau-1/03390"])
    sequence: int = Field(ge=1, le=2**53)
    hash: str = Field(pattern=CHAIN_HASH)

    @property
    def unit(self) -> str:
        """The unit whose events the stream numbers (its last part)."""
        return self.stream.rsplit("/", 1)[-1]


def root_of(heads: Iterable[StreamHead]) -> str:
    """SHA-256 (hex) of one line per head, `<stream> <sequence> <hash>\\n`, sorted by stream,
    in UTF-8: `printf '%s %s %s\\n' … | sort | sha256sum` gives the same."""
    lines = sorted(f"{h.stream} {h.sequence} {h.hash}\n" for h in heads)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


class AuditRoot(BaseModel):
    """`audit.root` v1: where the chains of one service instance stood when `day` (Vietnam
    time) had ended. The envelope's source is the instance's audit stream (`<service>-audit`,
    same instance), so its `streams` are those of `<service>/<instance>/…`; the envelope is
    itself chained, so each day's root names the one before."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str] = "audit.root"
    VERSION: ClassVar[int] = 1

    day: date = Field(description="The day (Vietnam time) this root closes.")
    as_of: AwareDatetime = Field(
        description="When the heads were read: the first sweep after the day ended, so a few"
        " events of the next day may be in them."
    )
    streams: list[StreamHead] = Field(max_length=MAX_HEADS)
    root: str = Field(pattern=CHAIN_HASH, description="root_of(streams).")
    part: int = Field(default=1, ge=1, le=1000)
    parts: int = Field(default=1, ge=1, le=1000)

    @model_validator(mode="after")
    def _root_matches(self) -> AuditRoot:
        if self.part > self.parts:
            raise ValueError(f"part {self.part} of {self.parts}")
        if root_of(self.streams) != self.root:
            raise ValueError("root is not the hash of the streams listed")
        return self


AUDIT_SUFFIX = "-audit"


def audit_service(service: str) -> str:
    """The source service of an instance's roots: its own stream, apart from its events'."""
    return f"{service}{AUDIT_SUFFIX}"


def data_service(audit: str) -> str | None:
    """The service whose streams a root of source service `audit` lists (None: not a root's)."""
    return audit.removesuffix(AUDIT_SUFFIX) if audit.endswith(AUDIT_SUFFIX) else None


def strangers(source: Source, root: AuditRoot) -> list[str]:
    """The streams `root`, published by `source`, lists that are not its own instance's: a
    root of `<service>-audit/<instance>` speaks only for `<service>/<instance>/…`."""
    service = data_service(source.service)
    own = f"{service}/{source.instance}/"
    return [h.stream for h in root.streams if service is None or not h.stream.startswith(own)]
