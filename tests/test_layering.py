"""The house keeps its plan (issue 15 item 1): no import cycle between modules, imports inside
functions included (they only hide a cycle), and no domain package imports the boundaries
(``web``, ``app``, ``cli``) that sit on top of it. Read from the source with ``ast``, so a cycle
fails here before it can surprise anyone at import time."""

from __future__ import annotations

import ast
from pathlib import Path

import peakguard

ROOT = Path(peakguard.__file__).parent
BOUNDARIES = ("peakguard.web", "peakguard.app", "peakguard.cli")
"""Modules that sit on top: only other boundaries (and the process's entry points) import them."""
TOP_LEVEL = {"app", "cli", "serve_cli", "gate", "background", "demo", "web"}
"""Top-level modules and packages that wire the app together and may use the boundaries."""


def module_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Every module of the package and the package modules it imports, anywhere in the file."""
    modules = {
        ".".join(f.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__"): f
        for f in root.rglob("*.py")
        if "migrations" not in f.parts
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets.add(node.module)
                targets.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_modules() -> None:
    assert cycles(module_graph()) == []


def test_no_domain_imports_the_web_app_or_cli() -> None:
    wrong = sorted(
        (module, target)
        for module, targets in module_graph().items()
        if module.partition(".")[2].split(".")[0] not in TOP_LEVEL | {""}
        for target in targets
        if any(target == b or target.startswith(b + ".") for b in BOUNDARIES)
    )
    assert wrong == []


def test_the_check_sees_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    package = tmp_path / "peakguard"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from peakguard import b\n")
    (package / "b.py").write_text("def f():\n    from peakguard.a import g\n")
    assert cycles(module_graph(package)) == [["peakguard.a", "peakguard.b"]]
