"""Static files (our CSS and JavaScript, the GOV.UK Frontend build) served by WhiteNoise.

WhiteNoise answers in front of Flask, so a stylesheet never loads the signed-in user, opens a database
transaction or sends the session cookie again. Each file under ``casework/static`` is also served under
a fingerprinted name holding a hash of its content (``css/app.3f2a1b9c0d4e.css``), which
``url_for('static', filename='css/app.css')`` gives the pages: browsers keep those for a year
(``immutable``), and a changed file gets a new name. The plain names still answer (a JavaScript module
imports ``../govuk/govuk-frontend.min.js`` relatively) with a short cache, as do the GOV.UK images
under ``/assets``; the GOV.UK fonts carry their own hash in their names and are kept for a year too.

In development the files are read afresh on every request and not fingerprinted, so an edited
stylesheet shows on the next reload.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from flask import Flask
from whitenoise import WhiteNoise

#: How long browsers may keep a file under its plain name.
PLAIN_NAME_MAX_AGE = 3600
#: GOV.UK Frontend's own fingerprinted font names, e.g. ``bold-b542beb274-v2.woff2``.
GOVUK_HASHED_NAME = re.compile(r"-[0-9a-f]{10}-v\d+\.\w+$")
HASH_LENGTH = 12


def fingerprinted_name(name: str, content: bytes) -> str:
    digest = hashlib.sha256(content).hexdigest()[:HASH_LENGTH]
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"


def build_manifest(root: Path) -> dict[str, str]:
    """``{"css/app.css": "css/app.<hash>.css", ...}`` for every file under ``root``."""
    return {
        path.relative_to(root).as_posix(): fingerprinted_name(path.relative_to(root).as_posix(), path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def init_static(app: Flask, govuk_assets: Path) -> None:
    development = app.config["CASEWORK"]["ENV"] == "development"
    static_root = Path(app.static_folder or "")
    manifest = {} if development else build_manifest(static_root)
    hashed_urls = {f"/static/{hashed}" for hashed in manifest.values()}

    def is_immutable(_path: str, url: str) -> bool:
        return url in hashed_urls or bool(GOVUK_HASHED_NAME.search(url))

    def security_headers(headers: Any, _path: str, _url: str) -> None:
        headers["X-Content-Type-Options"] = "nosniff"

    files = WhiteNoise(
        app.wsgi_app,
        autorefresh=development,
        max_age=PLAIN_NAME_MAX_AGE,
        allow_all_origins=False,
        immutable_file_test=is_immutable,
        add_headers_function=security_headers,
    )
    files.add_files(static_root, prefix="static/")
    files.add_files(govuk_assets, prefix="assets/")
    for name, hashed in manifest.items():
        files.add_file_to_dictionary(f"/static/{hashed}", str(static_root / name))
    app.wsgi_app = files  # type: ignore[method-assign]
    app.extensions["casework_static_manifest"] = manifest

    @app.url_defaults
    def fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]
