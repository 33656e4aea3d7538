"""The code's shape, enforced like a lint: views read through their domain's queries.

Every view module of every domain (``casework/<domain>/views.py`` and ``casework/<domain>/views/*.py``)
is parsed; a view that builds a ``select(...)``, uses ``.query`` or touches ``db.session`` (other than
ending a failed transaction with ``db.session.rollback()``, which is how a view hands a service's errors
back to its form) fails here, so a new view cannot query directly without this test naming it.
"""

from __future__ import annotations

import ast
import re
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


# --- one date field and one way of putting a service's errors on a form (casework.core.forms) ---------

ERROR_HELPER = re.compile(r"^_?(show|apply|put|place|set)_\w*errors?$")


def _names(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _assigns_errors(body: list[ast.stmt]) -> bool:
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Attribute) and t.attr in {"errors", "form_errors"} for t in node.targets
        ):
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"extend", "append"}
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr in {"errors", "form_errors"}
        ):
            return True
    return False


def second_date_fields_and_error_helpers(source: str) -> list[str]:
    """Date field classes, service-error helpers, and loops placing a service's errors by hand."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            bases = [_names(base) for base in node.bases]
            named_as_a_date = node.name.endswith(("Date", "DateField", "DateInput"))
            if (named_as_a_date and bases) or any(b.endswith(("DateField", "DateInput")) for b in bases):
                found.append(f"{node.lineno}: class {node.name}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and ERROR_HELPER.match(node.name):
            found.append(f"{node.lineno}: def {node.name}")
        elif (
            isinstance(node, ast.For)
            and isinstance(node.iter, ast.Call)
            and _names(node.iter.func) == "items"
            and isinstance(node.iter.func, ast.Attribute)
            and _names(node.iter.func.value) == "errors"
            and _assigns_errors(node.body)
        ):
            found.append(f"{node.lineno}: a service's errors placed by hand")
    return found


def test_the_walk_recognises_a_second_date_field_or_error_helper():
    source = (
        "class DateInput(Form):\n    pass\n"
        "class AskedDate(GovukDateField):\n    pass\n"
        "def show_domain_error(form, error):\n    pass\n"
        "def apply_domain_errors(form, error):\n    pass\n"
        "def view(form, error):\n"
        "    for name, messages in error.errors.items():\n"
        "        form._fields[name].errors = messages\n"
        "class DateRange:\n    pass\n"
        "def error_items(form):\n    pass\n"
    )
    assert second_date_fields_and_error_helpers(source) == [
        "1: class DateInput",
        "3: class AskedDate",
        "5: def show_domain_error",
        "7: def apply_domain_errors",
        "10: a service's errors placed by hand",
    ]


def test_one_date_field_and_one_error_helper_outside_core():
    offenders = {}
    for module in sorted(PACKAGE.rglob("*.py")):
        relative = module.relative_to(PACKAGE)
        if relative.parts[0] == "core":
            continue
        found = second_date_fields_and_error_helpers(module.read_text())
        if found:
            offenders[str(relative)] = found
    assert offenders == {}, (
        "Dates are casework.core.forms.GovukDateField (what=, invalid_message=, required=, planned= say how it "
        f"reads) and a service's errors go on a form with casework.core.forms.show_service_errors: {offenders}"
    )


def aliases_made_directly(source: str) -> list[str]:
    """``aliased(...)`` calls (however imported): aliases are made with ``casework.core.db.shared_alias``,
    which readies them for the threads that share them."""
    return [
        f"{node.lineno}: aliased"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "aliased")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "aliased")
        )
    ]


def test_the_walk_recognises_an_alias_made_directly():
    source = "a = aliased(User)\nb = sa.orm.aliased(Case, name='x')\nc = shared_alias(User)\n"
    assert aliases_made_directly(source) == ["1: aliased", "2: aliased"]


def test_every_alias_is_made_ready_to_be_shared_between_threads():
    offenders = {}
    for module in sorted(PACKAGE.rglob("*.py")):
        relative = module.relative_to(PACKAGE)
        if relative == Path("core/db.py"):
            continue
        found = aliases_made_directly(module.read_text())
        if found:
            offenders[str(relative)] = found
    assert offenders == {}, (
        "Make aliases with casework.core.db.shared_alias: SQLAlchemy readies an alias's columns on first use, "
        f"without a lock, and a statement built in two threads at once can lose its alias: {offenders}"
    )
