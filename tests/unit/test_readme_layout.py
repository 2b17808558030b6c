"""The README's Layout names what the tree holds: every folder and module it names under a
top-level entry exists there, and every package of the services is named."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _layout() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    entries: dict[str, str] = {}
    current = None
    for line in block.splitlines():
        head = re.match(r"    (\S+/|docker-compose\.yml)\s", line)
        if head:
            current = head[1]
            entries[current] = ""
        if current:
            entries[current] += line + "\n"
    return entries


def _named(text: str) -> set[str]:
    """Folders (`read/`) and modules (`views.py`) a layout entry names."""
    return set(re.findall(r"(?<![\w./-])([a-z_]+/|[a-z_]+\.py)(?=[\s,;:)`]|$)", text))


def test_every_folder_and_module_named_exists_under_its_entry() -> None:
    missing = []
    for top, text in _layout().items():
        base = ROOT / top
        if not base.is_dir():
            continue
        present = {p.name + ("/" if p.is_dir() else "") for p in base.rglob("*")}
        own = top.rstrip("/").rsplit("/", 1)[-1] + "/"
        missing += [f"{top}{n}" for n in _named(text) - {own} if n not in present]
    assert missing == []


def test_every_package_of_the_services_is_named() -> None:
    layout = _layout()
    for top in ("services/reporting/", "services/common/", "contracts/"):
        named = _named(layout[top])
        packages = {p.name + "/" for p in (ROOT / top).iterdir() if (p / "__init__.py").is_file()}
        assert packages - named == set(), top
