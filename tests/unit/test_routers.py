"""Routers never import routers: what two routers share (query types, the service they call,
the accessor of the app's service) lives in a module of its own, so a route can be read, moved
or removed without pulling another router's routes along."""

from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "services"
ROUTER_FACTORIES = {"APIRouter", "guarded_router"}


def _module(path: Path) -> str:
    parts = path.relative_to(SERVICES.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _builds_router(tree: ast.Module) -> bool:
    """Whether the module builds a router at its top level (`router = guarded_router(…)`)."""
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
            called = node.value.func
            name = called.id if isinstance(called, ast.Name) else getattr(called, "attr", "")
            if name in ROUTER_FACTORIES:
                return True
    return False


def _imported(tree: ast.Module) -> set[str]:
    """Every module the file may import: `from a.b import c` names a.b and a.b.c."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _trees() -> dict[str, ast.Module]:
    return {
        _module(path): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(SERVICES.rglob("*.py"))
    }


def test_the_walk_finds_the_routers() -> None:
    routers = {name for name, tree in _trees().items() if _builds_router(tree)}
    assert {
        "services.meetings.api",
        "services.oversight.api",
        "services.oversight.api_items",
        "services.reporting.read.api",
        "services.reporting.coordination.api",
        "services.reporting.document.api",
        "services.reporting.voter_opinions.documents",
    } <= routers


def test_no_router_imports_another_router() -> None:
    trees = _trees()
    routers = {name for name, tree in trees.items() if _builds_router(tree)}
    crossings = sorted(
        f"{name} imports {other}"
        for name in routers
        for other in _imported(trees[name]) & routers
        if other != name
    )
    assert not crossings, "move what they share into a module of its own:\n" + "\n".join(crossings)
