"""No import circle among repro's modules, counting imports inside functions and under TYPE_CHECKING."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def module_files(src: Path = SRC, top: str = "repro") -> dict[str, tuple[Path, bool]]:
    """Every module of the package ``top`` under ``src``: dotted name -> (file, is a package)."""
    out: dict[str, tuple[Path, bool]] = {}
    for path in sorted((src / top).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


def ancestors(name: str) -> list[str]:
    """The packages above a dotted module name: ``a.b.c`` -> ``[a, a.b]``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def imported(name: str, path: Path, is_package: bool, modules: dict) -> set[str]:
    """The repro modules that ``name`` imports anywhere in its file (module level or inside functions)."""
    package = name if is_package else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                root = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*root, base] if base else root)
            # `from pkg import sub` imports the submodule; `from mod import name` imports mod.
            targets.update(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names)
    edges: set[str] = set()
    for target in targets & set(modules):
        # Importing a.b.c runs a/__init__ and a/b/__init__ too, except the packages the importer is in,
        # which Python has already begun to run (an explicit import from one of them still counts).
        edges.update(p for p in ancestors(target) if p not in ancestors(name))
        edges.add(target)
    return edges - {name}


def import_graph(src: Path = SRC, top: str = "repro") -> dict[str, set[str]]:
    """Module -> the repro modules it imports (directly, including its packages' ``__init__``)."""
    modules = module_files(src, top)
    return {name: imported(name, path, pkg, modules) for name, (path, pkg) in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (each an import circle), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; the graph is small enough for recursion
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_no_import_cycles_among_repro_modules() -> None:
    graph = import_graph()
    found = cycles(graph)
    detail = [f"{c}: " + "; ".join(f"{m} -> {sorted(graph[m] & set(c))}" for m in c) for c in found]
    assert not found, "import circles:\n" + "\n".join(detail)


def test_the_detector_sees_function_local_and_package_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "toy"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from toy.b import g\n")  # function-local
    (pkg / "b.py").write_text("from toy import a\n")  # `from package import module`
    (pkg / "sub" / "__init__.py").write_text("from toy.c import x\n")
    (pkg / "sub" / "leaf.py").write_text("y = 1\n")
    (pkg / "c.py").write_text("from toy.sub.leaf import y\n")  # runs toy/sub/__init__ too
    (pkg / "d.py").write_text("import toy.e\n")
    (pkg / "e.py").write_text("from . import d\n")  # relative
    graph = import_graph(tmp_path, "toy")
    assert cycles(graph) == [["toy.a", "toy.b"], ["toy.c", "toy.sub"], ["toy.d", "toy.e"]]
