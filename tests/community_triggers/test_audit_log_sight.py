"""The audit log is no side door to a withheld applicant or a hidden case (casework/audit/visibility.py).

A reader of the log who also works on cases (an officer who is also an administrator) sees the values
recorded about the records they may see. The world of ``test_applicant_sight``: Amy's application is
linked to a restricted case; Sam applied on behalf of Rhona, the victim of that case. Both are withheld
from an officer not named on the case, and from the police, everywhere the application is shown; the
log's pages, walked through their own links, must not show them either: not in an entry's summary
("... emailed to amy.applicant@example.org"), nor in the values recorded about the application and the
records of its review. And an entry they may read about a case they see does not name another case they
may not see ("Linked case BOL-2026-0002 to BOL-2026-0001").
"""

from __future__ import annotations

from typing import Any

import pytest

from casework.cases.services import link_cases
from casework.core.db import commit
from casework.extensions import db
from tests.audit.test_values_withheld import walk
from tests.community_triggers.test_applicant_sight import MARKERS, ORDINARY, REFERENCES, RESTRICTED, _text, _told
from tests.community_triggers.test_applicant_sight import world as world  # the fixture, shared

HIDDEN_CASE_HOLDER = "a case you cannot see, held by BDC"


def start_urls(world: Any) -> list[str]:
    urls = ["/admin/audit"]
    for object_type, object_id in (
        ("trigger_applications", world.amy.id),
        ("trigger_applications", world.sam.id),
        ("cases", world.ordinary.id),
    ):
        urls.append(f"/admin/audit?object_type={object_type}&object_id={object_id}")
    urls.extend(
        f"/admin/audit?object_type={object_type}"
        for object_type in ("trigger_applications", "trigger_letters", "trigger_meetings", "trigger_decisions")
    )
    return urls


@pytest.fixture
def linked(world: Any, ct: Any) -> Any:
    """The coordinator, named on the restricted case, links the ordinary case to it."""
    link_cases(ct.coordinator, db.session.merge(world.ordinary), world.restricted.id)
    commit()
    return world


@pytest.mark.parametrize("agency", ["council", "police"])
def test_the_log_withholds_what_the_application_withholds(linked, ct, make, page_client, agency):
    world = linked
    # An officer who is also an administrator (the data protection officer is one of those the
    # application's details are not withheld from: casework/community_triggers/applicants.py).
    reader = make.user(
        ["officer", "admin"], agency=ct.council if agency == "council" else ct.police, email=f"admin@{agency}.example"
    )
    pages = walk(page_client(reader), start_urls(world), limit=400)
    for url, html in pages.items():
        text = _text_of(html)
        leaked = [marker for marker in [*MARKERS, *REFERENCES, *world.text] if _told(marker, text)]
        assert not leaked, f"{url} shows {leaked}"
        assert RESTRICTED not in html, url
    if agency == "council":
        # The reader sees the ordinary case, so its entries' values: the link is there, its other end is not.
        about_case = "".join(html for url, html in pages.items() if f"object_id={world.ordinary.id}" in url)
        assert f"Linked case {ORDINARY} to {HIDDEN_CASE_HOLDER}" in about_case


def test_those_who_run_the_review_read_the_values(linked, ct, make, page_client):
    """Not a vacuous pass: a coordinator who reads the log sees the applicant in the entries."""
    world = linked
    reader = make.user(["coordinator", "admin"], agency=ct.council, email="coordinator.admin@council.example")
    db.session.commit()
    html = page_client(reader).get(f"/admin/audit?object_type=trigger_applications&object_id={world.amy.id}")
    text = _text_of(html.get_data(as_text=True))
    assert any(_told(marker, text) for marker in MARKERS)


def _text_of(html: str) -> str:
    class Page:
        mimetype = "text/html"
        headers: dict[str, str] = {}

        def get_data(self, as_text: bool = False) -> str:
            return html

    return _text(Page())
