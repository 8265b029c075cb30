"""The shape of the fastbp package, read from its source (nothing is imported).

* No import cycles between the modules of fastbp/.  Every import counts,
  inside functions too (a cycle is a cycle, even when a deferred import hides
  it at run time), except those under ``if TYPE_CHECKING:``.  An import names
  one module: ``from fastbp import x`` names ``fastbp.x`` when that is a
  module and the package ``fastbp`` otherwise (``fastbp/__init__.py``, which
  imports the submodules: ``from fastbp import __version__`` in a submodule
  closes a cycle).  Packages between the importer and the named module count
  too (``import fastbp.examples.worked_example`` from ``fastbp.cli`` runs
  ``fastbp/examples/__init__.py``); the importer's own parent packages do not
  (they are being imported already whenever it runs).
* No module longer than MAX_MODULE_LINES lines.
* No function or method longer than MAX_FUNCTION_LINES lines, counted from
  its ``def`` line to its last line, less its docstring (a numpydoc
  docstring of a public function documents, it does not add code to read).
"""
import ast
from collections import deque
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fastbp"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

pytestmark = pytest.mark.skipif(not PACKAGE.is_dir(), reason="fastbp/ sources not next to tests/")


# --------------------------------------------------------------------------
# Reading the package
# --------------------------------------------------------------------------
def modules_of(package_dir):
    """{dotted module name: path} for every .py file under ``package_dir``."""
    found = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test):
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def import_nodes(tree):
    """Every Import and ImportFrom node, at any depth, except the bodies of
    ``if TYPE_CHECKING:`` (their ``else:`` branches count)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))


def imported_modules(name, path, known):
    """[(module, line)] that module ``name`` (file ``path``) imports among
    the ``known`` module names."""
    is_package = path.name == "__init__.py"
    own_package = name if is_package else name.rpartition(".")[0]
    ancestors = set()
    parts = name.split(".")
    for i in range(1, len(parts) + (1 if is_package else 0)):
        ancestors.add(".".join(parts[:i]))

    def with_packages(target):
        """``target`` and the packages on its way that the importer is not in."""
        pieces = target.split(".")
        return [".".join(pieces[:i]) for i in range(1, len(pieces) + 1)
                if ".".join(pieces[:i]) not in ancestors or i == len(pieces)]

    out = []
    for node in import_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = own_package.split(".")
                base = base[:len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module
            targets = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in known else stem
                       for alias in node.names]
        for target in targets:
            # the deepest known module the dotted name reaches
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target:
                out += [(m, node.lineno) for m in with_packages(target) if m in known]
    return out


def import_graph(package_dir):
    """{module: {imported module: first line of the import}}."""
    modules = modules_of(package_dir)
    graph = {}
    for name, path in modules.items():
        edges = graph[name] = {}
        for target, line in imported_modules(name, path, modules):
            if target != name:  # e.g. a package's `from . import x` of a name it defines
                edges[target] = min(line, edges.get(target, line))
    return graph


def shortest_cycle_through(graph, start):
    """The shortest import path from ``start`` back to itself, or None."""
    parent = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph[node]):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [start, *reversed(path[:-1]), start] if node != start else [start, start]
            if nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return None


def import_cycles(graph):
    """The distinct shortest cycles through each module (rotated to start at
    their smallest name), sorted."""
    cycles = set()
    for start in graph:
        cycle = shortest_cycle_through(graph, start)
        if cycle:
            ring = cycle[:-1]
            i = ring.index(min(ring))
            ring = ring[i:] + ring[:i]
            cycles.add((*ring, ring[0]))
    return sorted(cycles)


def shown(path):
    """``path`` relative to the repository when it is in it."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def describe_cycle(graph, modules, cycle):
    """'a -(a.py:3)-> b -(b.py:7)-> a': each arrow is the import's file and line."""
    steps = [f"{a} -({shown(modules[a])}:{graph[a][b]})->" for a, b in zip(cycle, cycle[1:])]
    return " ".join(steps) + f" {cycle[-1]}"


def long_functions(path, limit):
    """[(qualified name, first line, length)] of the defs longer than ``limit``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qualname = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    length = child.end_lineno - child.lineno + 1
                    doc = child.body[0]
                    if (isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)
                            and isinstance(doc.value.value, str)):
                        length -= doc.end_lineno - doc.lineno + 1
                    if length > limit:
                        found.append((qualname, child.lineno, length))
                visit(child, qualname + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


# --------------------------------------------------------------------------
# The rules, on fastbp/
# --------------------------------------------------------------------------
def test_no_import_cycles():
    modules = modules_of(PACKAGE)
    graph = import_graph(PACKAGE)
    cycles = import_cycles(graph)
    assert not cycles, (f"{len(cycles)} import cycle(s) in fastbp/:\n  "
                        + "\n  ".join(describe_cycle(graph, modules, c) for c in cycles))


def test_modules_are_short():
    too_long = []
    for name, path in modules_of(PACKAGE).items():
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_MODULE_LINES:
            too_long.append(f"{name} ({shown(path)}): {n} lines")
    assert not too_long, (f"modules longer than {MAX_MODULE_LINES} lines:\n  "
                          + "\n  ".join(too_long))


def test_functions_are_short():
    too_long = []
    for name, path in modules_of(PACKAGE).items():
        for qualname, line, n in long_functions(path, MAX_FUNCTION_LINES):
            too_long.append(f"{name}.{qualname} ({shown(path)}:{line}): {n} lines")
    assert not too_long, (f"functions longer than {MAX_FUNCTION_LINES} lines:\n  "
                          + "\n  ".join(too_long))


def test_the_import_graph_is_read():
    """Not vacuous: the package's known imports are edges of the graph."""
    graph = import_graph(PACKAGE)
    assert "fastbp.network" in graph["fastbp"]
    assert sum(map(len, graph.values())) > len(graph)


# --------------------------------------------------------------------------
# The checker itself, on a made-up package
# --------------------------------------------------------------------------
def write_package(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_checker_finds_the_cycles_it_should(tmp_path):
    pkg = write_package(tmp_path, {
        "pkg/__init__.py": "from pkg import a, sub\nfrom pkg.b import f\n__version__ = '1'\n",
        # importing the package root for a name: a cycle through __init__
        "pkg/a.py": "def version():\n    from pkg import __version__\n    return __version__\n",
        # a relative import of a sibling module, inside a function
        "pkg/b.py": "import os\n\ndef f():\n    from . import c\n",
        "pkg/c.py": "from .b import f\n",
        # only for the type checker: not an edge
        "pkg/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n",
        "pkg/sub/__init__.py": "from . import e\n",
        "pkg/sub/e.py": "from .. import d\n",
    })
    graph = import_graph(pkg)
    assert graph["pkg.a"] == {"pkg": 2}
    assert graph["pkg.b"] == {"pkg.c": 4}
    assert graph["pkg.c"] == {"pkg.b": 1}
    assert graph["pkg.d"] == {}
    assert graph["pkg.sub"] == {"pkg.sub.e": 1}
    assert graph["pkg.sub.e"] == {"pkg.d": 1}
    assert import_cycles(graph) == [("pkg", "pkg.a", "pkg"), ("pkg.b", "pkg.c", "pkg.b")]
    text = describe_cycle(graph, modules_of(pkg), ("pkg", "pkg.a", "pkg"))
    assert text == f"pkg -({pkg / '__init__.py'}:1)-> pkg.a -({pkg / 'a.py'}:2)-> pkg"


def test_checker_counts_packages_on_the_way(tmp_path):
    pkg = write_package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/cli.py": "import pkg.ex.worked\n",
        "pkg/ex/__init__.py": "from pkg import cli\n",
        "pkg/ex/worked.py": "",
    })
    graph = import_graph(pkg)
    assert graph["pkg.cli"] == {"pkg.ex": 1, "pkg.ex.worked": 1}
    assert import_cycles(graph) == [("pkg.cli", "pkg.ex", "pkg.cli")]


def test_function_lengths(tmp_path):
    path = tmp_path / "m.py"
    body = "\n".join(f"    x{i} = {i}" for i in range(60))
    path.write_text(f'class A:\n    def short(self):\n        """Doc."""\n\n'
                    f"def long():\n    '''Doc\n\n    on three lines.'''\n{body}\n",
                    encoding="utf-8")
    assert long_functions(path, 60) == [("long", 5, 61)]  # the docstring is not counted
    assert long_functions(path, 61) == []
