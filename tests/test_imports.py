"""The import graph of etl/ (read with `ast`, imports inside functions included): no cycles, and layers only import
downward, so a lower layer can be used (and tested) without the layers above it."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "etl"
# Lower number = lower layer; a module may import its own layer or lower ones. The longest matching prefix wins.
LAYERS = {
    "etl": 0,  # the package itself (its version); not a prefix for modules outside this table
    "etl.catalog": 0, "etl.io": 0, "etl.table_specs": 0, "etl.bundled": 0, "etl.resources": 0, "etl.synth": 0,
    "etl.config": 1,
    "etl.spark": 2, "etl.commits": 2, "etl.connect_sql": 2, "etl.tables": 2, "etl.metastore": 2, "etl.progress": 2, "etl.runs": 2, "etl.heartbeat": 2, "etl.preflight": 2,
    "etl.presets": 2,
    "etl.bronze": 3, "etl.models": 3,
    "etl.silver": 4,
    "etl.gold": 5,
    "etl.pipeline": 6, "etl.export": 6, "etl.housekeeping": 6, "etl.report": 6,
    "etl.cli": 7, "etl.notebook_defaults": 7, "etl.packaging": 7,
}
# Exceptions to the layering (importer, imported), each with its reason; there are none. Keep it that way: move the
# shared fact down (usually into etl.catalog or etl.config) instead of adding one.
ALLOWED_UPWARD: set[tuple[str, str]] = set()

# Import edges the cycle test may ignore (importer, imported); there are none.
ALLOWED_CYCLE_EDGES: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def etl_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / PACKAGE).rglob("*.py"))}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The etl module `name` refers to: itself, or the closest enclosing module (etl.a.b.CONSTANT -> etl.a.b)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every etl module `name` imports, at top level or inside functions (relative imports resolved)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            # `from etl.x import y` imports the module etl.x.y when there is one, else a name defined in etl.x.
            targets = [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                resolved = _resolve(target, modules)
                if resolved is not None and resolved != name:
                    found.add(resolved)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = etl_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def layer(module: str) -> int:
    if module == PACKAGE:
        return LAYERS[PACKAGE]
    parts = module.split(".")
    for n in range(len(parts), 1, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYERS:
            return LAYERS[prefix]
    raise KeyError(module)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_graph_sees_lazy_imports():
    graph = import_graph()
    assert "etl.config" in graph and "etl.tables" in graph
    assert "etl.spark" in graph["etl.cli.common"]  # imported inside a function there


def test_every_module_has_a_layer():
    unplaced = [m for m in etl_modules() if _safe_layer(m) is None]
    assert not unplaced, f"add these to LAYERS: {unplaced}"


def _safe_layer(module: str) -> int | None:
    try:
        return layer(module)
    except KeyError:
        return None


def test_no_import_cycles():
    graph = {a: {b for b in targets if (a, b) not in ALLOWED_CYCLE_EDGES} for a, targets in import_graph().items()}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_layers_only_import_downward():
    graph = import_graph()
    upward = {(a, b) for a, targets in graph.items() for b in targets if layer(b) > layer(a)}
    new = sorted(upward - ALLOWED_UPWARD)
    assert not new, "upward imports: " + ", ".join(f"{a} -> {b}" for a, b in new)
    fixed = sorted(ALLOWED_UPWARD - upward)
    if fixed:  # a reminder, not a failure, so fixing an import and deleting its entry need not land together
        warnings.warn("no longer imported, delete from ALLOWED_UPWARD: "
                      + ", ".join(f"{a} -> {b}" for a, b in fixed), stacklevel=1)


def test_library_code_never_imports_the_cli():
    graph = import_graph()
    offenders = sorted(a for a, targets in graph.items()
                       if not a.startswith("etl.cli") and any(t.startswith("etl.cli") for t in targets))
    assert not offenders, f"library modules importing etl.cli: {offenders}"
