"""A status code is a summary: a test that checks one also checks what it stands for (the
message or element the user sees, the redirect's Location, the row stored or left alone).
This walks the suite's source and names every test whose only assertions compare
`.status_code`."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

# Tests let through for now, each with the reason it may check only a status code. Empty:
# every test in the suite asserts what its status stands for; keep it that way.
ALLOWED: set[str] = set()


def _is_status(node: ast.expr) -> bool:
    if isinstance(node, ast.Tuple):
        return bool(node.elts) and all(_is_status(e) for e in node.elts)
    return isinstance(node, ast.Attribute) and node.attr == "status_code"


def _is_plain_value(node: ast.expr) -> bool:
    """A literal, a name or an expression of them: what a status is compared with."""
    return all(isinstance(n, (ast.Constant, ast.Name, ast.Tuple, ast.List, ast.Set, ast.IfExp, ast.BinOp,
                              ast.BoolOp, ast.UnaryOp, ast.Compare, ast.Load, ast.operator, ast.boolop,
                              ast.unaryop, ast.cmpop, ast.Attribute))
               and not (isinstance(n, ast.Attribute) and n.attr == "status_code")
               for n in ast.walk(node))


def _only_status(test: ast.expr) -> bool:
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return all(_only_status(value) for value in test.values)
    if not isinstance(test, ast.Compare):
        return False
    operands = [test.left, *test.comparators]
    return any(_is_status(o) for o in operands) and all(_is_status(o) or _is_plain_value(o) for o in operands)


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _checking_helpers(tree) -> set[str]:
    """The module's own functions (not tests) that assert more than a status: a call to one
    checks more. (Shared helpers such as `csrf_token` assert only that they could work.)"""
    return {node.name for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("test")
            and any(isinstance(n, ast.Assert) and not _only_status(n.test) for n in ast.walk(node))}


def _checks(name: str) -> bool:
    return name.startswith(("assert", "check", "verify")) or name in ("raises", "fail")


def _tests(tree):
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            yield from (n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def status_only_tests() -> set[str]:
    found = set()
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text(), str(path))
        helpers = _checking_helpers(tree)
        for test in _tests(tree):
            if not test.name.startswith("test"):
                continue
            asserts = [n for n in ast.walk(test) if isinstance(n, ast.Assert)]
            calls = {_called_name(n) for n in ast.walk(test) if isinstance(n, ast.Call)}
            if calls & helpers or any(_checks(c) for c in calls):
                continue
            if asserts and all(_only_status(a.test) for a in asserts):
                found.add(f"{path.relative_to(TESTS).as_posix()}::{test.name}")
    return found


def test_no_test_checks_only_a_status_code():
    flagged = sorted(status_only_tests() - ALLOWED)
    assert not flagged, "These tests check only a status code; assert what it stands for too:\n" + "\n".join(flagged)


def test_the_walk_sees_a_status_only_test_and_passes_one_that_checks_more():
    only = ast.parse("def test_a(client):\n    assert client.get('/').status_code in (200, 404)\n"
                     "    r = client.get('/x')\n    assert r.status_code == 302 and (r.status_code == 302)\n")
    more = ast.parse("def test_b(client):\n    r = client.get('/')\n"
                     "    assert r.status_code == 200 and 'Hello' in r.text\n")
    header = ast.parse("def test_c(client):\n    r = client.get('/')\n"
                       "    assert r.status_code == 302 and r.headers['Location'] == '/signin'\n")
    [a], [b], [c] = (list(_tests(t)) for t in (only, more, header))
    assert all(_only_status(n.test) for n in ast.walk(a) if isinstance(n, ast.Assert))
    assert not _only_status(next(n for n in ast.walk(b) if isinstance(n, ast.Assert)).test)
    assert not _only_status(next(n for n in ast.walk(c) if isinstance(n, ast.Assert)).test)
