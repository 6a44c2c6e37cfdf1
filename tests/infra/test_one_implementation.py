"""Each feature has one implementation: nothing in the app chooses a code path by database
dialect or by how the binds are laid out, and no second store (SQLite, mongomock) is left."""

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
BRANCHES = re.compile(r"sqlite|mongomock|same_database|dialect\.name", re.IGNORECASE)


def test_no_code_path_chooses_by_store():
    found = [
        f"{path.relative_to(APP.parent)}:{number}: {line.strip()}"
        for path in sorted(APP.rglob("*"))
        if path.is_file() and path.suffix in (".py", ".html", ".js", ".sql")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BRANCHES.search(line)
    ]
    assert found == []
