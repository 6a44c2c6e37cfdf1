"""DreamDot uses only what the libraries it depends on document: no private name (one that
starts with `_` and is not a dunder) of another package, the standard library included.

An `ast` walk of app/ and the modules the app runs with (config.py, wsgi.py,
gunicorn.conf.py) finds:
- imports of a private module or name of another package (`from x import _y`, `x._y`);
- attribute access to a private name that DreamDot's own code does not define
  (`connection._cursor_execute`, `Document._get_collection()`, `self._get_user()` in a
  subclass of a library's class), and `getattr`/`setattr`/`hasattr`/`delattr` with one;
and, on the loaded classes, a private method or attribute that overrides one of a library's
base class (`SQLAlchemy._make_engine`).

A private name DreamDot defines itself (`_state`, `self._listener`) is its own to use. A
documented underscore name of a library would go in ALLOWED with the reason; there is none."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pkgutil
import textwrap
from pathlib import Path

import pytest

import app

ROOT = Path(__file__).resolve().parents[2]
OWN_PACKAGES = ("app", "config", "wsgi", "gunicorn_conf")
FILES = sorted((ROOT / "app").rglob("*.py")) + [ROOT / "config.py", ROOT / "wsgi.py", ROOT / "gunicorn.conf.py"]

# "package: name" -> why it is allowed (a library documents this underscore name).
ALLOWED: dict[str, str] = {}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def own_names(trees) -> set[str]:
    """Every name DreamDot's own code defines: functions, classes, variables, attributes it
    sets on its own objects (`self.x`, `cls.x`), `__slots__` entries and import aliases."""
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                  and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                names.add(node.attr)
            elif isinstance(node, ast.alias) and node.asname:
                names.add(node.asname)
            elif isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets):
                names.update(c.value for c in ast.walk(node.value)
                             if isinstance(c, ast.Constant) and isinstance(c.value, str))
    return names


def violations_in(tree: ast.AST, own: set[str], label: str) -> list[str]:
    found = []

    def report(node, what):
        if what.split(" ", 1)[-1] not in ALLOWED:
            found.append(f"{label}:{node.lineno}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] not in OWN_PACKAGES and any(is_private(p) for p in parts):
                    report(node, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            package = node.module.split(".")[0]
            if package in OWN_PACKAGES:
                continue
            if any(is_private(p) for p in node.module.split(".")):
                report(node, f"from {node.module} import")
            for alias in node.names:
                if is_private(alias.name):
                    report(node, f"from {node.module} import {alias.name}")
        elif isinstance(node, ast.Attribute) and is_private(node.attr) and node.attr not in own:
            report(node, f"attribute {ast.unparse(node)}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "hasattr", "delattr") and len(node.args) > 1
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
              and is_private(node.args[1].value) and node.args[1].value not in own):
            report(node, f"{node.func.id}(..., {node.args[1].value!r})")
    return found


def check_sources(sources: dict[str, str]) -> list[str]:
    trees = {label: ast.parse(source) for label, source in sources.items()}
    own = own_names(trees.values())
    return [found for label, tree in trees.items() for found in violations_in(tree, own, label)]


def _is_own(cls) -> bool:
    return cls.__module__.split(".")[0] in OWN_PACKAGES


def body_names(cls) -> set[str]:
    """The names a class statement itself defines (methods, class attributes), not those
    its metaclass adds."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):
        return set()
    names = set()
    for node in tree.body[0].body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def overridden_private_names(module) -> list[str]:
    """Private names a class of `module` defines over a library base class's."""
    return [line for _, cls in inspect.getmembers(module, inspect.isclass)
            if cls.__module__ == module.__name__ for line in private_overrides(cls)]


def private_overrides(cls) -> list[str]:
    found = []
    for name in sorted(filter(is_private, body_names(cls))):
        for base in cls.__mro__[1:]:
            if not _is_own(base) and name in vars(base):
                found.append(f"{cls.__module__}.{cls.__qualname__}.{name} overrides {base.__module__}."
                             f"{base.__qualname__}.{name}")
    return found


def app_modules():
    yield app
    for info in pkgutil.walk_packages(app.__path__, "app."):
        yield importlib.import_module(info.name)
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module


def test_the_app_uses_no_private_name_of_another_package():
    found = check_sources({str(path.relative_to(ROOT)): path.read_text() for path in FILES})
    assert found == [], "\n".join(found)


def test_no_class_of_the_app_overrides_a_library_private_name():
    found = [line for module in app_modules() for line in overridden_private_names(module)]
    assert found == [], "\n".join(found)


def test_the_allow_list_is_short():
    assert len(ALLOWED) <= 5


@pytest.mark.parametrize("source", [
    "from sqlalchemy.orm.attributes import _x\n",
    "import gevent._private\n",
    "from psycopg._struct import pack\n",
    "def f(connection):\n    return connection._cursor_execute(None)\n",
    "from app.documents import Message\nMessage._get_collection()\n",
    "import sys\nsys._getframe()\n",
    "class L:\n    def atoms(self):\n        return self._get_user()\n",
    "def f(x):\n    return getattr(x, '_sa_instance_state')\n",
])
def test_the_check_finds_private_names(source):
    assert check_sources({"example.py": source})


@pytest.mark.parametrize("source", [
    "class A:\n    def __init__(self):\n        self._n = 1\n    def f(self):\n        return self._n\n",
    "def _helper():\n    pass\n\nimport app.x as m\nm._helper()\n",
    "class A:\n    __slots__ = ('_v',)\n\ndef f(a):\n    return a._v\n",
    "x = object()\nx.__class__\n",
])
def test_the_check_allows_own_private_names_and_dunders(source):
    assert check_sources({"example.py": source}) == []


def test_the_override_check_finds_a_private_override():
    from flask_sqlalchemy import SQLAlchemy

    class Ours(SQLAlchemy):
        def _make_engine(self, bind_key, options, app):
            return super()._make_engine(bind_key, options, app)

        def _own_helper(self):
            return None

    assert [line.rsplit(".", 1)[-1] for line in private_overrides(Ours)] == ["_make_engine"]
