"""A web or Celery worker starts without the libraries only a few requests or tasks need.

Each of them (``bench/memory.py``'s ``LOADED_ON_FIRST_USE``: the migrations' Alembic, WeasyPrint, zxcvbn,
psycopg on the SQLite default...) is imported where it is used, so a worker holds its memory only once it
has needed it: close to 90 MB on the SQLite default that a worker would otherwise hold from the start
(docs/performance.md, "Memory"). One import at the top of any module the app or a task module loads
would undo it for every worker, so each kind of worker is started here in a fresh interpreter, from its
entry point, and its modules are read.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from bench.memory import LOADED_ON_FIRST_USE
from casework.app import PROJECT_ROOT
from casework.core import data_keys

#: What gunicorn's worker imports, and what a Celery worker imports (its app, then every task module).
START = {
    "web": "import casework.wsgi",
    "celery": "import casework.tasks.worker as worker; worker.app.loader.import_default_modules()",
}


@pytest.mark.parametrize("worker", sorted(START))
def test_a_worker_starts_without_the_libraries_loaded_on_first_use(worker: str, tmp_path: Path) -> None:
    # Without the developer's own settings; nor FLASK_RUN_FROM_CLI, under which Flask-Migrate is set up at once.
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("CASEWORK_", "FLASK_"))} | {
        "CASEWORK_ENV": "production",
        "CASEWORK_SECRET_KEY": secrets.token_hex(32),
        "CASEWORK_DATA_KEY": data_keys.new_key(),
        "CASEWORK_INSTANCE_PATH": str(tmp_path),
        "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path}/casework.sqlite",
        "CASEWORK_BROKER_URL": "memory://",
    }
    script = f"import json, sys; {START[worker]}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded = {name.partition(".")[0] for name in json.loads(result.stdout.splitlines()[-1])}
    # The modules listed are the worker's: the libraries it needs are among them.
    assert {"casework", "flask", "sqlalchemy", "celery"} <= loaded
    assert sorted(LOADED_ON_FIRST_USE.keys() & loaded) == []
