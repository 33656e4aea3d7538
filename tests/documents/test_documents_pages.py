"""Documents on a case: upload (to the case or an incident), checks by content, preview and download
with their headers, who may see and remove them, the case page's section, contents list and print
view. Files go through both stores (``file_store``)."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from casework.audit.models import AuditAction, AuditEntry
from casework.cases.models import Case, CaseAccess, Incident
from casework.core import storage, uploads
from casework.documents.models import Document, DocumentKind
from casework.extensions import db
from tests.documents.files import ISO6709, docx, nested_video, pdf, photo, video


@pytest.fixture
def incident(world):
    item = Incident(case_id=world.case.id, occurred_on=date(2026, 3, 2), description="Music until 3am")
    db.session.add(item)
    db.session.commit()
    return item


def _upload(client, case_id, content, filename, **fields):
    data = {"kind": "photo", "incident_id": "", "description": "", **fields}
    data["file"] = (io.BytesIO(content), filename)
    return client.post(f"/cases/{case_id}/documents/new", data=data, content_type="multipart/form-data")


def _documents():
    db.session.expire_all()
    return db.session.scalars(sa.select(Document).order_by(Document.id)).all()


def _nothing_written():
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(storage.StoredFile.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(storage.FileBlob)) == 0


def test_a_video_whose_boxes_nest_thousands_deep_is_an_answer_not_a_server_error(page_client, world, file_store):
    officer = page_client(world.officer)
    refused = _upload(officer, world.case.id, nested_video(5000, location=True), "deep.mp4", kind="evidence")
    assert refused.status_code == 422
    assert "could not be read to remove its location" in refused.text
    assert _documents() == []
    kept = _upload(officer, world.case.id, nested_video(5000), "deep.mp4", kind="evidence")
    assert kept.status_code == 302, kept.text
    assert len(_documents()) == 1


def test_a_video_is_kept_without_where_it_was_recorded(page_client, world, file_store):
    officer = page_client(world.officer)
    original = video(b"qt  ")
    response = _upload(officer, world.case.id, original, "IMG_0043.MOV", kind="evidence", description="The lads")
    assert response.status_code == 302, response.text
    [document] = _documents()
    assert document.content_type == "video/quicktime"
    assert document.location_removed
    kept = storage.read(document.stored_file)
    assert ISO6709 not in kept
    assert document.size == len(kept) == len(original)
    assert "The video&#39;s location was removed" in officer.get(response.headers["Location"]).text
    page = officer.get(f"/documents/{document.id}").text
    assert "Removed from the video when it was uploaded" in page


def test_a_photo_uploaded_to_an_incident_is_kept_without_its_location(page_client, world, incident, file_store):
    officer = page_client(world.officer)
    assert officer.get(f"/cases/{world.case.id}/documents/new?incident={incident.id}").status_code == 200
    original = photo(gps=True)
    assert uploads.has_location(original)
    response = _upload(
        officer, world.case.id, original, "IMG_0042.JPG", incident_id=str(incident.id), description="The van"
    )
    assert response.status_code == 302, response.text
    [document] = _documents()
    assert (document.kind, document.incident_id, document.filename) == (DocumentKind.photo, incident.id, "IMG_0042.jpg")
    assert document.content_type == "image/jpeg"
    assert document.location_removed
    assert document.stored_file.backend == file_store
    kept = storage.read(document.stored_file)
    assert not uploads.has_location(kept)
    assert document.size == len(kept)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.object_type == "documents"))
    assert entry.action == AuditAction.create
    assert entry.actor_id == world.officer.id
    page = officer.get(f"/cases/{world.case.id}").text
    assert "IMG_0042.jpg" in page
    assert "The incident of 2 March 2026" in page


def test_a_photo_without_a_location_is_kept_byte_for_byte(page_client, world):
    original = photo(gps=False)
    assert _upload(page_client(world.officer), world.case.id, original, "door.jpg").status_code == 302
    [document] = _documents()
    assert storage.read(document.stored_file) == original
    assert not document.location_removed


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"MZ\x90\x00" + b"\x00" * 200, "tool.exe", "must be one of"),
        (b"just some words", "statement.pdf", "ends in .pdf, but the file is not in that format (PDF)"),
        (b"\xff\xd8\xff\xe0 not really a jpeg", "photo.jpg", "not a valid JPEG image"),
        (b"", "empty.txt", "The selected file is empty"),
    ],
)
def test_files_are_checked_by_their_content_and_nothing_is_written(page_client, world, content, filename, message):
    response = _upload(page_client(world.officer), world.case.id, content, filename, kind="evidence")
    assert response.status_code == 422
    assert message in response.text
    _nothing_written()


def test_a_file_over_the_limit_is_refused(app, page_client, world):
    config = app.config["CASEWORK"]
    config["UPLOAD_MAX_MB"], limit = 1, config["UPLOAD_MAX_MB"]
    try:
        response = _upload(page_client(world.officer), world.case.id, b"a" * (1024 * 1024 + 1), "big.txt")
    finally:
        config["UPLOAD_MAX_MB"] = limit
    assert response.status_code == 422
    assert "smaller than 1 MB" in response.text
    _nothing_written()


def test_the_form_needs_a_file_and_a_kind_and_an_incident_of_this_case(page_client, world, incident):
    officer = page_client(world.officer)
    response = officer.post(
        f"/cases/{world.case.id}/documents/new", data={"kind": "photo"}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "Select a file" in response.text
    response = _upload(officer, world.case.id, pdf(), "a.pdf", kind="notice")
    assert response.status_code == 422
    assert "Select what kind of document this is" in response.text
    other_case = world.new_case(reference="BOL-2026-0050")
    elsewhere = Incident(case_id=other_case.id, occurred_on=date(2026, 3, 1), description="Elsewhere")
    db.session.add(elsewhere)
    db.session.commit()
    response = _upload(officer, world.case.id, pdf(), "a.pdf", kind="evidence", incident_id=str(elsewhere.id))
    assert response.status_code == 422
    assert "Select an incident on this case" in response.text
    _nothing_written()


def test_text_that_pretends_to_be_a_page_downloads_as_text(page_client, world):
    officer = page_client(world.officer)
    assert (
        _upload(officer, world.case.id, b"<script>alert(1)</script>", "diary.html", kind="diary_sheet").status_code
        == 302
    )
    [document] = _documents()
    assert (document.content_type, document.filename) == ("text/plain", "diary.html.txt")
    response = officer.get(f"/documents/{document.id}/file")
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("content", "filename", "inline"),
    [(photo(gps=False), "door.jpg", True), (pdf(), "letter.pdf", True), (docx(), "statement.docx", False)],
)
def test_images_and_pdfs_open_in_the_browser_under_a_sandbox_and_the_rest_download(
    page_client, world, content, filename, inline, file_store
):
    officer = page_client(world.officer)
    assert _upload(officer, world.case.id, content, filename, kind="evidence").status_code == 302
    [document] = _documents()
    for path, expect_inline in (
        (f"/documents/{document.id}/file", inline),
        (f"/documents/{document.id}/download", False),
    ):
        response = officer.get(path)
        assert response.status_code == 200
        assert response.data == content
        assert response.headers["Content-Type"].split(";")[0] == document.content_type
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        policy = response.headers["Content-Security-Policy"]
        assert "sandbox" in policy
        assert "default-src 'none'" in policy
        assert "script-src" not in policy
        # No other site frames a victim's photo or a letter (the preview is an <img>, not a frame).
        assert "frame-ancestors 'none'" in policy
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"] == "no-store"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("inline" if expect_inline else "attachment")
        assert filename in disposition
    views = db.session.scalars(
        sa.select(AuditEntry.summary).where(
            AuditEntry.object_type == "documents",
            AuditEntry.object_id == str(document.id),
            AuditEntry.action == AuditAction.view,
        )
    ).all()
    assert len(views) == 2
    assert all(filename in summary for summary in views)


def test_documents_follow_the_case_visibility(page_client, world, make):
    assert _upload(page_client(world.officer), world.case.id, pdf(), "a.pdf", kind="evidence").status_code == 302
    [document] = _documents()
    paths = [f"/documents/{document.id}", f"/documents/{document.id}/file", f"/documents/{document.id}/download"]
    # The police force the case is shared with sees it and may add to it.
    partner = page_client(world.partner)
    assert all(partner.get(path).status_code == 200 for path in paths)
    assert _upload(partner, world.case.id, pdf(), "police.pdf", kind="evidence").status_code == 302
    # An officer of an agency the case is not shared with does not know it exists.
    stranger = page_client(world.stranger)
    assert all(stranger.get(path).status_code == 404 for path in paths)
    assert stranger.get(f"/cases/{world.case.id}/documents/new").status_code == 404
    assert _upload(stranger, world.case.id, pdf(), "b.pdf", kind="evidence").status_code == 404
    # Restricted: only the named users.
    case = db.session.get(Case, world.case.id)
    case.is_restricted = True
    db.session.add(CaseAccess(case_id=case.id, user_id=world.officer.id))
    db.session.commit()
    assert all(page_client(world.colleague).get(path).status_code == 404 for path in paths)
    assert page_client(world.officer).get(paths[0]).status_code == 200
    # No view is recorded for a refusal.
    refused = db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.object_type == "documents", AuditEntry.actor_id.in_([world.stranger.id, world.colleague.id])
        )
    )
    assert refused == 0


def test_only_the_lead_agency_removes_a_document_with_a_reason(page_client, world, file_store):
    officer = page_client(world.officer)
    assert _upload(officer, world.case.id, pdf(), "wrong-case.pdf", kind="evidence").status_code == 302
    [document] = _documents()
    key = document.stored_file.key
    assert page_client(world.partner).get(f"/documents/{document.id}/remove").status_code == 403
    assert page_client(world.partner).post(f"/documents/{document.id}/remove", data={"reason": "x"}).status_code == 403
    assert page_client(world.stranger).post(f"/documents/{document.id}/remove", data={"reason": "x"}).status_code == 404
    assert "Remove this document" not in page_client(world.partner).get(f"/documents/{document.id}").text
    assert "Remove this document" in officer.get(f"/documents/{document.id}").text
    response = officer.post(f"/documents/{document.id}/remove", data={"reason": ""})
    assert response.status_code == 422
    assert "Enter why the document is being removed" in response.text
    response = officer.post(f"/documents/{document.id}/remove", data={"reason": "Added to the wrong case"})
    assert response.status_code == 302
    [document] = _documents()
    assert document.removed_at is not None
    assert document.removed_by_id == world.officer.id
    assert document.stored_file_id is None
    assert not storage.store_named(file_store).exists(key)
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.object_type == "documents", AuditEntry.action == AuditAction.delete)
    )
    assert entry.actor_id == world.officer.id
    assert "wrong-case.pdf" in entry.summary
    assert officer.get(f"/documents/{document.id}/download").status_code == 410
    page = officer.get(f"/cases/{world.case.id}").text
    assert "Removed" in page
    assert "Added to the wrong case" in page


def test_the_case_page_has_a_contents_list_whose_links_all_land(page_client, world):
    page = page_client(world.officer).get(f"/cases/{world.case.id}").text
    contents = page[page.index('aria-labelledby="contents-title"') :]
    contents = contents[: contents.index("</nav>")]
    anchors = re.findall(r'href="#([^"]+)"', contents)
    assert anchors == [
        "summary",
        "people",
        "ledger",
        "risk",
        "actions",
        "interventions",
        "documents",
        "victim-page",
        "timeline",
    ]
    for anchor in anchors:
        assert f'id="{anchor}"' in page, anchor
    assert f'href="/cases/{world.case.id}/print"' in page


def test_the_print_view_shows_the_case_without_ways_to_change_it(page_client, world, incident):
    officer = page_client(world.officer)
    response = officer.get(f"/cases/{world.case.id}/print")
    assert response.status_code == 200
    page = response.text
    assert "app-print-view" in page
    assert "Printed on" in page
    assert "Olive Officer" in page
    for link in ("Upload a document", "Record an incident", "Add a report", "Add an action", "Record a warning"):
        assert link not in page, link
    assert "Music until 3am" in page
    assert 'id="timeline"' in page
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.object_type == "cases").order_by(AuditEntry.id.desc()).limit(1)
    )
    assert entry.action == AuditAction.view
    assert entry.summary.startswith("Printed case")
    assert page_client(world.stranger).get(f"/cases/{world.case.id}/print").status_code == 404


def test_the_documents_section_is_one_statement_however_many_documents(page_client, world, count_queries):
    officer = page_client(world.officer)
    officer.get(f"/cases/{world.case.id}")
    with count_queries() as none:
        officer.get(f"/cases/{world.case.id}")
    for n in range(4):
        assert _upload(officer, world.case.id, pdf(), f"page-{n}.pdf", kind="evidence").status_code == 302
    with count_queries() as four:
        page = officer.get(f"/cases/{world.case.id}").text
    assert all(f"page-{n}.pdf" in page for n in range(4))
    import collections

    extra = collections.Counter(four.statements) - collections.Counter(none.statements)
    assert four.count == none.count, extra
    documents = [s for s in four.statements if "documents.id" in s]
    assert len(documents) == 1, documents
