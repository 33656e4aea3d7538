"""An import's problems page with a huge ``?page=``: its last possible page, an empty one.

``/imports/<id>`` read ``?page=`` with ``request.args.get("page", type=int)`` and no bound, so
99999999999999999999 reached SQLite's driver as an OFFSET it refuses (OverflowError, a 500). Every page
view now reads it through ``casework.core.pagination.page_number``.
"""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("page", ["99999999999999999999", "2147483647", "-5", "\u00b2"])
def test_a_huge_page_of_an_imports_problems_is_an_empty_page(app, importer, world, page):
    job = importer.upload(
        "people", [["reference", "kind", "name", "date_of_birth"], ["P-1", "individual", "Jane Smith", "31/02/1984"]]
    )
    assert job.problem_count == 1
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = importer.client.get(f"/imports/{job.id}", query_string={"page": page})
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    shown_on_the_first_page = page in ("-5", "\u00b2")
    assert ("Date of birth must be a real date" in html) is shown_on_the_first_page
