#!/usr/bin/env python3
"""Where a web worker's memory goes: resident memory after each group of imports, after create_app()
and after the first pages, then what each library a worker loads only on first use would add.

    .venv/bin/python bench/memory.py

Each step imports what create_app() would import next, in its order, so each line is what that step
adds. Run in a fresh process (it is one): what was imported before is not counted again. Results go in
docs/performance.md ("Memory").
"""

from __future__ import annotations

import base64
import importlib
import os
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STEPS = [
    ("Flask, Werkzeug, Jinja", ["flask"]),
    ("SQLAlchemy (ORM)", ["sqlalchemy.orm", "flask_sqlalchemy"]),
    ("forms, schemas, sign-in (WTForms, marshmallow, webargs, Flask-Login)", ["flask_wtf", "webargs", "flask_login"]),
    ("Flask-Limiter, Flask-Mailman", ["flask_limiter", "flask_mailman"]),
    ("Celery and kombu", ["celery", "kombu.transport.virtual"]),
    ("holidays (bank holidays for working days)", ["holidays"]),
    ("argon2, WhiteNoise, apispec", ["argon2", "whitenoise", "apispec"]),
]


#: Libraries a worker loads only when it first needs them, never at start (``create_app()``), with
#: what needs them; ``tests/core/test_worker_imports.py`` holds the app to it. The last rows of the table
#: say what each would add.
LOADED_ON_FIRST_USE = {
    "flask_migrate": "migrations (casework/core/migrations.py)",
    "alembic": "migrations",
    "mako": "migrations",
    "pygments": "migrations",
    "weasyprint": "letters as PDF",
    "openpyxl": "spreadsheet imports and exports",
    "notifications_python_client": "text messages through GOV.UK Notify",
    "zxcvbn": "setting a password",
    "segno": "the second factor's set-up page (its QR code)",
    "cryptography": "the second factor's secret, sealed (signing in with a code, setting one up)",
    "icalendar": "the deadline calendar feed",
    "PIL": "uploaded pictures and the demo's",
    "psycopg": "PostgreSQL (never loaded on the SQLite default)",
}


def rss_mb() -> float:
    for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    previous = rss_mb()
    print("| step | adds MB | resident MB |")
    print("|---|---:|---:|")
    print(f"| Python 3.11, nothing imported | | {previous:.1f} |")
    for label, modules in STEPS:
        for module in modules:
            importlib.import_module(module)
        now = rss_mb()
        print(f"| {label} | {now - previous:+.1f} | {now:.1f} |")
        previous = now
    from casework import create_app

    with tempfile.TemporaryDirectory(prefix="casework-memory-") as instance:
        app = create_app(
            {
                "ENV": "production",
                "SECRET_KEY": secrets.token_hex(32),
                "DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
                "INSTANCE_PATH": instance,
                "DATABASE_URL": f"sqlite:///{instance}/casework.sqlite",
                "BROKER_URL": "memory://",
            }
        )
        now = rss_mb()
        print(f"| casework: create_app() (its modules, models, views) | {now - previous:+.1f} | {now:.1f} |")
        previous = now
        loaded = sorted(LOADED_ON_FIRST_USE.keys() & sys.modules.keys())
        from flask_migrate import upgrade

        with app.app_context():
            upgrade()  # as ``flask db upgrade`` does; a web worker never imports Flask-Migrate
        now = rss_mb()
        print(f"| Flask-Migrate, Alembic, Mako, Pygments (migrations only) | {now - previous:+.1f} | {now:.1f} |")
        previous = now
        client = app.test_client()
        for path in ("/sign-in", "/case-review/apply", "/statistics"):
            client.get(path)
        now = rss_mb()
        print(f"| the first pages (templates compiled, caches filled) | {now - previous:+.1f} | {now:.1f} |")
        previous = now
        for module, needed_by in LOADED_ON_FIRST_USE.items():
            if module in sys.modules:
                continue  # measured already: the migrations' libraries above, PIL with WeasyPrint
            importlib.import_module(module)
            now = rss_mb()
            print(f"| on first use, for {needed_by}: {module} | {now - previous:+.1f} | {now:.1f} |")
            previous = now
    print(f"\nLibraries loaded on first use that create_app() imported: {loaded or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
