"""The audit log shows an entry's recorded values only to a reader who may see the record it is about
(casework/audit/visibility.py): an administrator sees who did what to which case or person, and when,
never what was recorded about them; a data protection officer likewise; a reader who also works on
cases sees the values of the cases and people they may see, and no others."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from casework.audit.models import AuditAction, AuditEntry
from casework.audit.services import move_personal_values
from casework.extensions import db

#: Planted in the restricted case's and its person's values: none may reach a reader who cannot see them.
MARKERS = {
    "case summary": "Zqx-case-summary-Hate-motivated",
    "case location": "Zqx-case-location-Carr-Vale",
    "changed summary": "Zqx-case-changed-summary",
    "note": "Zqx-note-text",
    "incident": "Zqx-incident-description",
    "person name": "Zqx Person-Name",
    "person address": "Zqx-person-address-12-Hill-Top",
    "person email": "zqx.person@example.net",
    "person phone": "07000 900111",
}
#: What a reader who cannot see the record reads instead of its values.
WITHHELD = "Withheld: you cannot see this record"


@pytest.fixture
def scene(make, api_client):
    """A restricted Bolsover case shared with the police and named to Olive and Nina, with a victim only on
    it; its creation, a change, a note, an incident and views, all through the API."""
    bol = make.area("BOL", "Bolsover")
    bdc = make.agency("BDC", areas=[bol])
    police = make.agency("DERPOL", areas=[bol], kind="police")
    olive = make.user("officer", agency=bdc, email="olive@bdc.example", name="Olive Officer")
    readers = {
        "admin": make.user("admin", agency=bdc, email="admin@bdc.example", name="Ada Admin"),
        "dpo": make.user("dpo", agency=bdc, email="dpo@bdc.example", name="Dana Protection"),
        # Reads the log and works on the police's cases, but is not named on the restricted one.
        "not named": make.user(["admin", "officer"], agency=police, email="pat@police.example", name="Pat Police"),
    }
    # Reads the log and is named on the case.
    nina = make.user(["admin", "officer"], agency=bdc, email="nina@bdc.example", name="Nina Named")
    officer = api_client(olive)
    person = officer.post(
        "/api/v1/people",
        json={
            "name": MARKERS["person name"],
            "address": MARKERS["person address"],
            "email": MARKERS["person email"],
            "phone": MARKERS["person phone"],
        },
    )
    assert person.status_code == 201, person.json
    person_id = person.json["id"]
    case = officer.post(
        "/api/v1/cases",
        json={
            "area_code": "BOL",
            "category": "personal",
            "summary": MARKERS["case summary"],
            "location": MARKERS["case location"],
            "is_restricted": True,
            "shared_with": ["DERPOL"],
            "named_user_emails": [olive.email, nina.email],
            "parties": [{"person_id": person_id, "role": "victim"}],
        },
    )
    assert case.status_code == 201, case.json
    case_id = case.json["id"]
    changed = officer.patch(
        f"/api/v1/cases/{case_id}", json={"version": case.json["version"], "summary": MARKERS["changed summary"]}
    )
    assert changed.status_code == 200, changed.json
    note = officer.post(f"/api/v1/cases/{case_id}/notes", json={"text": MARKERS["note"]})
    assert note.status_code == 201, note.json
    incident = officer.post(
        f"/api/v1/cases/{case_id}/incidents",
        json={"occurred_on": dt.date.today().isoformat(), "description": MARKERS["incident"]},
    )
    assert incident.status_code == 201, incident.json
    assert officer.get(f"/api/v1/cases/{case_id}").status_code == 200
    assert officer.get(f"/api/v1/people/{person_id}").status_code == 200
    # Entries whose summaries and values quote the person and the records on the case (as a more
    # precise view, or a change of a note's or an incident's text, would).
    planted = [
        ("people", person_id, f"Viewed {MARKERS['person name']} at {MARKERS['person address']}", None),
        ("case_notes", note.json["id"], "Changed a note", {"text": ["", MARKERS["note"]]}),
        ("incidents", incident.json["id"], "Changed an incident", {"description": ["", MARKERS["incident"]]}),
    ]
    for object_type, object_id, summary, changes in planted:
        db.session.add(
            AuditEntry(
                actor_id=olive.id,
                action=AuditAction.view if changes is None else AuditAction.update,
                object_type=object_type,
                object_id=str(object_id),
                summary=summary,
                changes=changes,
                ip_address="192.0.2.77",
            )
        )
    db.session.commit()
    return SimpleNamespace(case_id=case_id, person_id=person_id, readers=readers, nina=nina, olive=olive)


def walk(client, start: list[str], limit: int = 200) -> dict[str, str]:
    """Every audit-log page reachable from ``start`` through the log's own links (records, pages,
    filters), each page's HTML by its URL."""
    seen: dict[str, str] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.get_data(as_text=True)
        seen[url] = html
        for href in re.findall(r'href="([^"]+)"', html):
            target = unescape(href)
            if urlsplit(target).path == "/admin/audit" and target not in seen:
                queue.append(target)
    return seen


def start_urls(scene) -> list[str]:
    record_filters = [
        f"object_type=cases&object_id={scene.case_id}",
        f"object_type=people&object_id={scene.person_id}",
        "object_type=case_notes",
        "object_type=incidents",
        "object_type=case_parties",
        "object_type=cases",
        "object_type=people",
        "user=olive@bdc.example",
    ]
    urls = ["/admin/audit"]
    for filters in record_filters:
        urls.append(f"/admin/audit?{filters}")
        urls.extend(f"/admin/audit?{filters}&action={action.value}" for action in AuditAction)
    return urls


@pytest.mark.parametrize("reader", ["admin", "dpo", "not named"])
def test_a_reader_who_cannot_see_the_records_never_reads_their_values(page_client, scene, reader):
    pages = walk(page_client(scene.readers[reader]), start_urls(scene))
    everything = "\n".join(pages.values())
    for what, marker in MARKERS.items():
        for url, html in pages.items():
            assert marker not in html, f"{what} shown to {reader} at {url}"
    assert "192.0.2.77" not in everything
    # Who did what to which record, and when, is still there.
    about_case = pages[f"/admin/audit?object_type=cases&object_id={scene.case_id}&action=create"]
    assert "Olive Officer (olive@bdc.example)" in about_case
    assert f"Created: Cases, ID {scene.case_id}" in about_case
    assert WITHHELD in about_case
    about_person = pages[f"/admin/audit?object_type=people&object_id={scene.person_id}"]
    assert f"Viewed: People, ID {scene.person_id}" in about_person
    assert WITHHELD in about_person


def test_a_reader_named_on_the_case_reads_its_values(page_client, scene):
    client = page_client(scene.nina)
    created = client.get(f"/admin/audit?object_type=cases&object_id={scene.case_id}&action=create")
    html = created.get_data(as_text=True)
    assert MARKERS["case summary"] in html
    assert MARKERS["case location"] in html
    assert re.search(r"Is restricted</th>\s*<td[^>]*></td>\s*<td[^>]*>Yes</td>", html)
    assert WITHHELD not in html
    html = client.get(f"/admin/audit?object_type=cases&object_id={scene.case_id}&action=update").get_data(as_text=True)
    assert MARKERS["changed summary"] in html
    html = client.get(f"/admin/audit?object_type=people&object_id={scene.person_id}").get_data(as_text=True)
    for what in ("person name", "person address", "person phone"):
        assert MARKERS[what] in html, what
    assert "192.0.2.77" in html
    assert MARKERS["note"] in client.get("/admin/audit?object_type=case_notes").get_data(as_text=True)
    assert MARKERS["incident"] in client.get("/admin/audit?object_type=incidents").get_data(as_text=True)


def test_values_moved_to_a_person_the_reader_cannot_see_are_withheld(page_client, make, scene):
    """A merge moves a person's values to another: the reader must be able to see both."""
    seen = make.user(["admin", "officer"], agency=scene.nina.agency, email="sam@bdc.example")
    move_personal_values(("people", scene.person_id), ("people", 999999))
    db.session.commit()
    html = page_client(seen).get(f"/admin/audit?object_type=people&object_id={scene.person_id}").get_data(as_text=True)
    assert MARKERS["person address"] not in html
    assert WITHHELD in html


def test_an_admin_still_reads_the_values_of_the_set_up(page_client, scene, make):
    from casework.accounts.services import update_agency

    agency = scene.olive.agency
    update_agency(scene.readers["admin"], agency, name="Bolsover District Council (renamed)")
    db.session.commit()
    html = (
        page_client(scene.readers["admin"])
        .get(f"/admin/audit?object_type=agencies&object_id={agency.id}")
        .get_data(as_text=True)
    )
    assert "Bolsover District Council (renamed)" in html
    assert WITHHELD not in html


def test_a_page_resolves_what_its_reader_may_see_in_two_statements(page_client, scene, count_queries):
    """One for the records the entries are about, one for the cases their texts name (whatever the
    number of entries)."""
    client = page_client(scene.nina)
    client.get("/admin/audit")
    with count_queries() as counter:
        assert client.get("/admin/audit").status_code == 200
    resolving = [s for s in counter.statements if "case_access" in s]
    assert len(resolving) == 2, resolving


def test_a_kind_of_record_nobody_mapped_is_withheld_and_the_set_up_is_for_administrators(page_client, scene):
    for object_type in ("outbox_emails", "no_such_table", "users"):
        db.session.add(
            AuditEntry(
                actor_id=scene.olive.id,
                action=AuditAction.update,
                object_type=object_type,
                object_id="1",
                summary=f"Zqx-{object_type}",
                changes={"body": ["", f"Zqx-{object_type}-body"]},
            )
        )
    db.session.commit()
    nina = page_client(scene.nina).get("/admin/audit").get_data(as_text=True)
    assert "Zqx-outbox_emails" not in nina
    assert "Zqx-no_such_table" not in nina
    assert "Zqx-users-body" in nina  # Nina administers: the set-up is hers to see
    dpo = page_client(scene.readers["dpo"]).get("/admin/audit").get_data(as_text=True)
    assert "Zqx-users" not in dpo  # the DPO does not administer the set-up
    assert "Changed: Users, ID 1" in dpo
