"""The code's shape, enforced like a lint: views read through their domain's queries.

Every view module of every domain (``casework/<domain>/views.py`` and ``casework/<domain>/views/*.py``)
is parsed; a view that builds a ``select(...)``, uses ``.query`` or touches ``db.session`` (other than
ending a failed transaction with ``db.session.rollback()``, which is how a view hands a service's errors
back to its form) fails here, so a new view cannot query directly without this test naming it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import casework

PACKAGE = Path(casework.__file__).parent

# Ending the request's transaction is the view's job (views commit, services never do).
ALLOWED_SESSION_CALLS = {"rollback"}


def view_modules() -> list[Path]:
    found = []
    for domain in sorted(p for p in PACKAGE.iterdir() if p.is_dir() and p.name not in {"core", "__pycache__"}):
        module = domain / "views.py"
        if module.exists():
            found.append(module)
        package = domain / "views"
        if package.is_dir():
            found.extend(sorted(package.glob("*.py")))
    return found


def _is_db_session(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "session"
        and isinstance(node.value, ast.Name)
        and node.value.id == "db"
    )


def direct_queries(source: str) -> list[str]:
    """Each place the module queries the database itself, as "line: what"."""
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_db_session(node.value):
            if node.attr not in ALLOWED_SESSION_CALLS:
                found.append(f"{node.lineno}: db.session.{node.attr}")
        elif isinstance(node, ast.Name) and node.id == "session" and isinstance(node.ctx, ast.Load):
            continue
        elif isinstance(node, ast.Call):
            called = node.func
            name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", None)
            if name == "select":
                found.append(f"{node.lineno}: select(...)")
        if isinstance(node, ast.Attribute) and node.attr == "query":
            found.append(f"{node.lineno}: .query")
        if isinstance(node, ast.ImportFrom) and node.module in {"sqlalchemy", "sqlalchemy.orm"}:
            for alias in node.names:
                if alias.name in {"select", "Session"}:
                    found.append(f"{node.lineno}: imports {alias.name} from {node.module}")
    return sorted(found, key=lambda line: int(line.split(":")[0]))


def test_the_walk_finds_the_view_modules():
    modules = {str(p.relative_to(PACKAGE)) for p in view_modules()}
    assert "cases/views/staff.py" in modules
    assert "community_triggers/views/staff.py" in modules
    assert "spreadsheets/views.py" in modules
    assert len(modules) >= 28


def test_the_walk_recognises_a_direct_query():
    source = (
        "import sqlalchemy as sa\n"
        "from casework.extensions import db\n"
        "def view():\n"
        "    db.session.scalars(sa.select(Case))\n"
        "    db.session.get(Case, 1)\n"
        "    Case.query.all()\n"
        "    db.session.rollback()\n"
    )
    assert direct_queries(source) == [
        "4: db.session.scalars",
        "4: select(...)",
        "5: db.session.get",
        "6: .query",
    ]


def test_no_view_queries_the_database_itself():
    offenders = {}
    for module in view_modules():
        found = direct_queries(module.read_text())
        if found:
            offenders[str(module.relative_to(PACKAGE))] = found
    assert offenders == {}, (
        "Views read through their domain's queries module (casework/<domain>/queries.py), and write "
        f"through its services: {offenders}"
    )
