"""No import cycle anywhere in ``pssh``: every module's imports (those
inside functions too) are read with :mod:`ast`, and the graph they make must
have no cycle.

An import of ``a.b.c`` from module ``m`` is an edge to ``a.b.c`` and to each
package on the way (``a``, ``a.b``) that is not ``m``'s own package or one
of its parents: Python runs those packages' ``__init__`` first, and ``m``'s
own packages are already being imported when ``m`` runs. Imports under
``if TYPE_CHECKING:`` never run and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pssh

ROOT = Path(pssh.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(name: str, tree: ast.AST) -> set[str]:
    """Every ``pssh`` module ``name`` imports (absolute names)."""
    package = name if _is_package(name) else name.rpartition(".")[0]
    targets: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _type_checking_only(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            targets.add(base)
            # ``from package import module`` imports the module
            targets.update(
                f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES
            )
        stack.extend(ast.iter_child_nodes(node))
    edges = set()
    own = {package.rsplit(".", i)[0] for i in range(package.count(".") + 1)}
    for target in targets:
        parts = target.split(".")
        for i in range(1, len(parts) + 1):
            step = ".".join(parts[:i])
            if step in MODULES and step != name and (step == target or step not in own):
                edges.add(step)
    return edges


def import_graph() -> dict[str, set[str]]:
    return {
        name: _imported(name, ast.parse(path.read_text(), str(path)))
        for name, path in MODULES.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_in_pssh():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_walk_sees_imports_inside_functions_and_parent_packages():
    tree = ast.parse("def f():\n    from .native import single\n")
    assert "pssh.clients.native.single" in _imported("pssh.clients._x", tree)
    # a top-level module importing into a package runs the package's __init__ first
    tree = ast.parse("from .clients._host_keys import lookup\n")
    assert {"pssh.clients", "pssh.clients._host_keys"} <= _imported("pssh._x", tree)
    tree = ast.parse("import typing\nif typing.TYPE_CHECKING:\n    from . import single\n")
    assert _imported("pssh.clients.native._x", tree) == set()
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
