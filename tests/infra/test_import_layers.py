"""Every import of app/ sits at the top of its module, and the modules import each other
without a cycle, in layers (docs/decisions.md, "Import layers").

- An `ast` walk of app/ finds any import inside a function, method or class body, and any
  module-level import below other code. An import moved into a function hid a cycle (chat
  communities and conversations, blocks and follows, the two seed modules); one that is
  needed goes in ALLOWED with the reason. There is none: the factory's imports are at the
  top of app/__init__.py too.
- `lint-imports` checks the contracts of pyproject.toml: the layers (cli, blueprints, web
  and openapi, services, documents, models, extensions; nothing imports upward), no cycle
  between the modules or packages of any package, documents touched only by services.
- grimp's graph of app/, which `lint-imports` reads, has no cycle at all: this also covers
  a package and its own modules (a blueprint package that imported its views at its end),
  which are not siblings for the contract."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "app").rglob("*.py"))

# "path:function" -> why the import must stay inside it.
ALLOWED: dict[str, str] = {}


def misplaced_imports(source: str, label: str) -> list[str]:
    """Imports not at the top of the module: inside a def or class, or after other code."""
    found = []

    def visit(node, scope: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(child, f"{scope}.{child.name}" if scope else child.name)
            elif isinstance(child, ast.Import | ast.ImportFrom) and scope:
                where = f"{label}:{scope}"
                if where not in ALLOWED:
                    found.append(f"{where}:{child.lineno}: {ast.unparse(child)}")
            else:
                visit(child, scope)

    tree = ast.parse(source)
    visit(tree, None)
    body = tree.body[1:] if tree.body and _is_docstring(tree.body[0]) else tree.body
    code_started = False
    for node in body:
        if not isinstance(node, ast.Import | ast.ImportFrom):
            code_started = True
        elif code_started:
            found.append(f"{label}:{node.lineno}: {ast.unparse(node)} (below other code)")
    return found


def _is_docstring(node) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def import_cycles(graph: grimp.ImportGraph) -> list[str]:
    """For each module importing one that leads back to it, that loop of modules."""
    cycles = set()
    for importer in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(importer):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                loop = [importer, *back]
                start = loop.index(min(loop[:-1]))
                cycles.add(" -> ".join(loop[start:-1] + loop[:start + 1]))
    return sorted(cycles)


def test_every_import_of_the_app_is_at_the_top_of_its_module():
    found = [line for path in FILES for line in misplaced_imports(path.read_text(), str(path.relative_to(ROOT)))]
    assert found == [], "\n".join(found)


def test_the_allow_list_is_short():
    assert len(ALLOWED) <= 5


def test_the_import_contracts_hold():
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "lint-imports is installed with requirements-dev.txt"
    result = subprocess.run([lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout, result.stdout


def test_no_module_of_the_app_imports_itself_back():
    graph = grimp.build_graph("app", cache_dir=None)
    assert len(graph.modules) > 100  # the whole app was read
    assert import_cycles(graph) == []


@pytest.mark.parametrize("source", [
    "def f():\n    import json\n",
    "def f():\n    from app.services import seed\n",
    "class A:\n    def m(self):\n        from flask import request\n",
    "class A:\n    import os\n",
    "def f():\n    def g():\n        import os\n",
    "async def f():\n    import os\n",
    "def f():\n    if True:\n        import os\n",
    '"""Doc."""\nimport os\n\nX = 1\nimport sys\n',
])
def test_the_check_finds_misplaced_imports(source):
    assert misplaced_imports(source, "example.py")


@pytest.mark.parametrize("source", [
    '"""Doc."""\n\nfrom __future__ import annotations\n\nimport os\nfrom app import models\n\nX = 1\n',
    "import os\n\n\ndef f():\n    return os.sep\n",
])
def test_the_check_allows_imports_at_the_top(source):
    assert misplaced_imports(source, "example.py") == []


def test_the_cycle_check_finds_a_package_importing_its_own_module_back():
    graph = grimp.ImportGraph()
    for module in ("app", "app.blueprints", "app.blueprints.users", "app.blueprints.users.routes", "app.services"):
        graph.add_module(module)
    graph.add_import(importer="app.blueprints.users", imported="app.blueprints.users.routes")
    graph.add_import(importer="app.blueprints.users.routes", imported="app.blueprints.users")
    graph.add_import(importer="app.blueprints.users.routes", imported="app.services")
    assert import_cycles(graph) == ["app.blueprints.users -> app.blueprints.users.routes -> app.blueprints.users"]
