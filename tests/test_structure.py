"""The package's structure: no import cycle, and the layers of pyproject.toml's
``[tool.importlinter]`` hold.

The cycle check reads the sources with :mod:`ast`, imports inside functions included
(they run too, only later); an import under ``if TYPE_CHECKING:`` is left out, since it
never runs. ``from package import name`` depends on ``package.name`` where that is a
module, else on the package (its ``__init__``). Each check is also run on a copy of
the package with one offending import added, and must fail there.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "centrasia_crawler"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def modules(root: Path, package: str = PACKAGE) -> dict[str, Path]:
    """Every module of ``package`` under ``root``, by dotted name."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements under ``node`` that run, at any depth."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _type_checking(child):
            for other in child.orelse:
                yield from _imports_of(other)
        else:
            yield from _imports_of(child)


def _imports_of(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    yield from _imports(node)


#: The import statements that run, by source text: a copy of the package (and its
#: modules the tests read again) is parsed once.
_PARSED: dict[str, tuple[ast.Import | ast.ImportFrom, ...]] = {}


def imports_in(path: Path) -> tuple[ast.Import | ast.ImportFrom, ...]:
    """The import statements of ``path`` that run (:func:`_imports` of its syntax tree)."""
    text = path.read_text(encoding="utf-8")
    if text not in _PARSED:
        _PARSED[text] = tuple(_imports(ast.parse(text, str(path))))
    return _PARSED[text]


def import_graph(root: Path, package: str = PACKAGE) -> dict[str, set[str]]:
    """Which modules of ``package`` each of its modules imports."""
    known = modules(root, package)

    def owner(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        targets: set[str | None] = set()
        for node in imports_in(path):
            if isinstance(node, ast.Import):
                targets.update(owner(alias.name) for alias in node.names)
                continue
            base = node.module or ""
            if node.level:
                parent = here[: len(here) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.add(full if full in known else owner(base))
        graph[name] = {t for t in targets if t is not None and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _describe(graph: dict[str, set[str]], component: list[str]) -> str:
    inside = set(component)
    return "; ".join(f"{m} -> {', '.join(sorted(graph[m] & inside))}" for m in component)


def test_no_module_is_part_of_an_import_cycle() -> None:
    graph = import_graph(ROOT)
    assert len(graph) > 50, sorted(graph)  # the whole package was read
    assert "centrasia_crawler.archive.analysis" in graph["centrasia_crawler.archive.store"]
    found = cycles(graph)
    assert not found, "\n".join(_describe(graph, c) for c in found)


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_the_cycle_check_sees_imports_inside_functions_and_not_typing_ones(
    tmp_path: Path,
) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from pkg import b\n",
            "b.py": "def late():\n    from pkg.c import thing\n",
            "c.py": "import pkg.sub.d\nthing = 1\n",
            "sub/__init__.py": "",
            "sub/d.py": "from .. import a\n",
            "e.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import f\n",
            "f.py": "import pkg.e\n",
        },
    )
    graph = import_graph(root, "pkg")
    assert graph["pkg.b"] == {"pkg.c"}
    assert graph["pkg.e"] == set()
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c", "pkg.sub.d"]]


def _copy_package(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / PACKAGE, tmp_path / PACKAGE, ignore=shutil.ignore_patterns("__pycache__", "*.toml")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=where,
        env={"PYTHONPATH": str(where), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layers_hold() -> None:
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 3 kept, 0 broken." in done.stdout, done.stdout


LAYERS = "The command line and the Datasette plugin over the archive, over parsing"
CLI = "Nothing imports the command line"
ACYCLIC = "No two modules of one package import each other, even through others"


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("normalize/text.py", "from centrasia_crawler.archive import meta", LAYERS),
        ("archive/meta.py", "import centrasia_crawler.datasette_plugin", LAYERS),
        ("plot.py", "from centrasia_crawler.cli import common", CLI),
        ("archive/meta.py", "def _late():\n    import centrasia_crawler.archive.store", ACYCLIC),
    ],
    ids=["normalize-imports-archive", "archive-imports-plugin", "plot-imports-cli", "circle"],
)
def test_an_import_against_the_layers_fails_the_check(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    copy = _copy_package(tmp_path)
    path = copy / PACKAGE / module
    path.write_text(f"{path.read_text(encoding='utf-8')}\n{line}\n", encoding="utf-8")
    done = _lint_imports(copy)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{broken} BROKEN" in done.stdout, done.stdout
    assert "0 broken" not in done.stdout
    if broken == ACYCLIC:
        assert cycles(import_graph(copy)), "the ast graph misses the cycle lint-imports found"


def test_no_test_module_imports_another_or_conftest() -> None:
    """Tests share tests/helpers.py; a test module imported by another would run its
    tests twice over, and conftest.py is pytest's to load."""
    tests = ROOT / "tests"
    offending = []
    for path in sorted(tests.glob("*.py")):
        here = path.name.removesuffix(".py")
        for node in imports_in(path):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif node.level:
                names = [f"tests.{node.module or alias.name}" for alias in node.names]
            else:
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                module = name.split(".")[1] if name.startswith("tests.") else ""
                if module != here and (module.startswith("test_") or module == "conftest"):
                    offending.append(f"{path.name}:{node.lineno} imports {name}")
    assert not offending, "\n".join(offending)
