"""Dead letters rendered for the terminal: the table `hdnd dlq list` prints and the view of
one letter `hdnd dlq show` prints."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.json import JSON
from rich.table import Table
from rich.text import Text

from contracts.timezone import VIETNAM_TZ
from deploy.dlq import REDRIVEN_FROM, Letter, Listing
from services.common.mongo import Document


def _local(moment: datetime) -> str:
    return moment.astimezone(VIETNAM_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _event(letter: Letter) -> str:
    if letter.event_type is None:
        return "-"
    version = f" v{letter.event_version}" if letter.event_version is not None else ""
    unit = f" · {letter.unit}" if letter.unit else ""
    return f"{letter.event_type}{version}{unit}"


def _state(marker: Document | None) -> Text:
    if marker is None:
        return Text("pending", style="yellow")
    if marker.get("state") == "redriven":
        return Text(f"re-driven → {marker['to_partition']}:{marker['to_offset']}", style="green")
    return Text("re-driving, or interrupted", style="red")


def letters_table(listing: Listing, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("id", "time (ICT)", "from topic/partition@offset", "reason", "event", "size"):
        table.add_column(column, overflow="fold", no_wrap=column in ("id", "size"))
    table.add_column("state")
    for letter in listing.letters:
        origin = letter.origin
        source = f"{origin[0]}/{origin[1]}@{origin[2]}" if origin else "?"
        again = letter.header(REDRIVEN_FROM)
        table.add_row(
            str(letter.id),
            _local(letter.at),
            source + (f"\n(re-drive of {again})" if again else ""),
            letter.reason,
            _event(letter),
            f"{len(letter.value)} B",
            _state(listing.redriven.get(letter.id)),
        )
    return table


def letter_view(letter: Letter, marker: Document | None) -> RenderableType:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    origin = letter.origin
    for name, value in (
        ("id", str(letter.id)),
        ("dead-lettered", f"{_local(letter.at)} ICT"),
        ("reason", letter.reason),
        ("from", f"{origin[0]} partition {origin[1]} offset {origin[2]}" if origin else "?"),
        ("by service", letter.header("dlq-service") or "?"),
        ("key", letter.key.decode(errors="replace") if letter.key is not None else "(none)"),
        ("event", _event(letter)),
        ("size", f"{len(letter.value)} bytes"),
    ):
        facts.add_row(name, value)
    facts.add_row("state", _state(marker))
    headers = Table("header", "value", title="headers", title_justify="left")
    for k, v in letter.headers:
        headers.add_row(k, v.decode(errors="replace"))
    return Group(facts, headers, Text("value", style="bold"), _body(letter.value))


def _body(value: bytes, limit: int = 4096) -> RenderableType:
    """Pretty JSON when it parses; else a hex dump with the printable bytes beside it."""
    try:
        return JSON(value.decode(), ensure_ascii=False)
    except (ValueError, UnicodeDecodeError):
        pass
    lines = []
    for start in range(0, min(len(value), limit), 16):
        chunk = value[start : start + 16]
        printable = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{start:08x}  {chunk.hex(' '):<47}  {printable}")
    if len(value) > limit:
        lines.append(f"… {len(value) - limit} more bytes")
    return Text("\n".join(lines) or "(empty)")
