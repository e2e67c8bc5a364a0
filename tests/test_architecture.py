"""The direction of imports between the project's packages, read from the source.

Every ``.py`` file of the packages below is parsed (nothing is imported), imports inside
functions included, since a lazy import still ties two modules together:

- ``rules`` is the pure domain core: the standard library and rapidfuzz, nothing else;
- ``policy`` is below ``scoring`` and ``audit``; ``scoring`` is below ``audit``;
- no import cycle among the project's modules.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("rules", "policy", "scoring", "whatif", "audit", "common", "config")

# package -> the top-level names it must not import
FORBIDDEN = {
    "rules": {"django", "celery", "policy", "scoring", "whatif", "audit", "common", "config"},
    "policy": {"scoring", "whatif", "audit"},
    "scoring": {"whatif", "audit"},
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted
    path: str  # its file, relative to the project
    line: int
    target: str  # the imported module, dotted

    def __str__(self) -> str:
        return f"{self.path}:{self.line} ({self.source}) imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_files() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _resolve(node: ast.ImportFrom, source: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = source.split(".") if is_package else source.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(source: str, path: Path, known: set[str]) -> list[Import]:
    """Every import in the file, wherever it stands; ``from a import b`` names the
    module ``a.b`` when that is one of the project's modules, else ``a``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    relative = str(path.relative_to(ROOT))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(source, relative, node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, source, is_package)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append(Import(source, relative, node.lineno, candidate if candidate in known else base))
    return found


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    files = project_files()
    known = set(files)
    return [i for source, path in files.items() for i in imports_of(source, path, known)]


def test_the_packages_are_found(imports):
    """A guard for the tests below: they read the real tree."""
    sources = {i.source.split(".")[0] for i in imports}
    assert set(PACKAGES) <= sources
    assert any(i.target == "scoring.models" for i in imports)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_does_not_import_what_is_above_it(imports, package):
    forbidden = FORBIDDEN[package]
    mine = [i for i in imports if i.source.split(".")[0] == package]
    offending = {str(i): None for i in mine if i.target.split(".")[0] in forbidden}  # each line once
    assert not offending, f"{package} must not import from {', '.join(sorted(forbidden))}:\n" + "\n".join(offending)


def find_cycle(edges: dict[str, dict[str, Import]]) -> list[Import] | None:
    """One import cycle of the graph, as the imports that make it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[Import] = []

    def visit(node: str) -> list[Import] | None:
        state[node] = 1
        for target, how in sorted(edges.get(node, {}).items()):
            if state.get(target) == 1:
                start = next(k for k, step in enumerate(path) if step.source == target) if target != node else len(path)
                return path[start:] + [how]
            if target not in state:
                path.append(how)
                cycle = visit(target)
                if cycle:
                    return cycle
                path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_no_import_cycle_among_the_project_modules(imports):
    known = set(project_files())
    edges: dict[str, dict[str, Import]] = {}
    for i in imports:
        if i.target in known and i.target != i.source:
            edges.setdefault(i.source, {}).setdefault(i.target, i)
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle:\n" + "\n".join(str(step) for step in cycle)


def test_the_cycle_finder_reports_the_imports_of_a_cycle():
    def step(a, b):
        return Import(a, f"{a}.py", 1, b)

    edges = {"a": {"b": step("a", "b")}, "b": {"c": step("b", "c")}, "c": {"a": step("c", "a")}, "d": {}}
    assert [(s.source, s.target) for s in find_cycle(edges)] == [("a", "b"), ("b", "c"), ("c", "a")]
    assert find_cycle({"a": {"b": step("a", "b")}, "b": {}}) is None
