"""Journeys in Chromium: upload a photo to an incident and preview it, download a document that is not
an image, print a case, and produce and serve a Community Protection Notice as a PDF. axe on each page
on the way (the crawl meets each URL pattern once)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.browser.conftest import LiveApp
from tests.support.browser import assert_accessible

pytestmark = pytest.mark.browser


def _one(live_app: LiveApp, statement: Any) -> Any:
    from casework.extensions import db

    with live_app.app.app_context():
        return db.session.scalar(statement)


def _noise_case(live_app: LiveApp) -> int:
    from casework.cases.models import Case

    return _one(live_app, sa.select(Case.id).where(Case.summary.startswith("Loud music and parties")))


def _photo_with_location(path: Path) -> Path:
    from PIL import Image

    image = Image.new("RGB", (300, 200), (30, 90, 160))
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (53.0, 14.0, 0.0), 3: "W", 4: (1.0, 17.0, 0.0)})
    image.save(path, "JPEG", exif=exif.tobytes())
    return path


def test_upload_a_photo_to_an_incident_and_preview_it(signed_in_as: Any, live_app: LiveApp, tmp_path: Path) -> None:
    from casework.core import storage, uploads
    from casework.documents.models import Document

    case_id = _noise_case(live_app)
    page, console = signed_in_as("officer")
    page.goto(f"/cases/{case_id}")
    assert_accessible(page)
    page.get_by_role("link", name="Add a document to the incident").first.click()
    page.wait_for_url(f"**/cases/{case_id}/documents/new?incident=*")
    assert_accessible(page)
    page.get_by_label("Upload a file").set_input_files(str(_photo_with_location(tmp_path / "IMG_0777.JPG")))
    page.get_by_label("Photo or video").check()
    page.get_by_label("Description (optional)").fill("The speakers, from the pavement")
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url(f"**/cases/{case_id}#documents")
    assert "IMG_0777.jpg added to the case" in page.content()
    assert "The photo's location was removed" in page.content()
    page.get_by_role("link", name="IMG_0777.jpg", exact=True).click()
    page.locator("img.app-document-preview__image").wait_for()
    width = page.eval_on_selector("img.app-document-preview__image", "img => img.complete && img.naturalWidth")
    assert width == 300  # the browser drew it from the sandboxed file response
    assert "Removed from the photo when it was uploaded" in page.content()
    assert_accessible(page)
    assert console.take() == []
    with live_app.app.app_context():
        from casework.extensions import db

        document = db.session.scalar(sa.select(Document).where(Document.filename == "IMG_0777.jpg"))
        assert not uploads.has_location(storage.read(document.stored_file))


def test_a_document_that_is_not_an_image_downloads(signed_in_as: Any, live_app: LiveApp) -> None:
    from casework.documents.models import Document, DocumentKind

    diary_id = _one(live_app, sa.select(Document.id).where(Document.kind == DocumentKind.diary_sheet))
    page, console = signed_in_as("officer")
    page.goto(f"/documents/{diary_id}")
    assert_accessible(page)
    assert page.locator("img.app-document-preview__image").count() == 0  # no preview for text
    with page.expect_download() as download:
        page.get_by_role("link", name="Download diary-sheet-station-road-stores.txt").click()
    assert download.value.suggested_filename == "diary-sheet-station-road-stores.txt"
    assert "Noise diary: Station Road Stores" in Path(download.value.path()).read_text()
    # The file endpoint also downloads anything that is not an image or a PDF, under a sandbox.
    response = page.request.get(f"/documents/{diary_id}/file")
    assert response.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert console.take() == []


def test_print_a_case(signed_in_as: Any, live_app: LiveApp) -> None:
    case_id = _noise_case(live_app)
    page, console = signed_in_as("officer")
    page.goto(f"/cases/{case_id}")
    page.get_by_role("link", name="Documents", exact=True).click()
    assert page.evaluate("location.hash") == "#documents"
    page.get_by_role("link", name="Print this case").click()
    page.wait_for_url(f"**/cases/{case_id}/print")
    assert page.get_by_role("button", name="Print this case").is_visible()  # JavaScript shows it
    page.emulate_media(media="print")
    assert not page.locator(".govuk-service-navigation").is_visible()
    assert not page.get_by_role("button", name="Print this case").is_visible()
    assert page.locator(".app-print-only").first.is_visible()
    page.emulate_media(media="screen")
    assert_accessible(page)
    assert console.take() == []


def test_produce_and_serve_a_cpn_as_a_pdf(signed_in_as: Any, live_app: LiveApp) -> None:
    from casework.accounts import services as accounts
    from casework.cases import services as cases
    from casework.core.db import commit
    from casework.core.time import today
    from casework.demo import DEMO_DOMAIN
    from casework.documents.models import Document, DocumentKind
    from casework.extensions import db
    from casework.interventions.models import Intervention
    from casework.interventions.services import create_intervention

    case_id = _noise_case(live_app)
    with live_app.app.app_context():
        officer = accounts.find_user_by_email(f"officer@{DEMO_DOMAIN}")
        case = cases.load_case_record(case_id)
        person, _ = cases.create_person(
            officer, name="Kim Browne", date_of_birth=date(1990, 1, 1), address="7 Station Road, Bolsover"
        )
        cases.add_party(officer, case, person.id, "perpetrator")
        on = today()
        create_intervention(
            officer,
            case,
            {
                "kind": "cpw",
                "subject_person_id": person.id,
                "issued_on": on - timedelta(days=30),
                "comply_by": on - timedelta(days=10),
                "prohibitions": "No amplified music after 11pm.",
            },
        )
        cpn, _ = create_intervention(
            officer,
            case,
            {
                "kind": "cpn",
                "subject_person_id": person.id,
                "issued_on": on,
                "prohibitions": "No amplified music audible outside after 11pm.",
            },
        )
        commit()
        cpn_id = cpn.id
    page, console = signed_in_as("officer")
    page.goto(f"/interventions/{cpn_id}")
    page.get_by_role("link", name="Produce and serve the community protection notice").click()
    page.wait_for_url(f"**/interventions/{cpn_id}/notice")
    assert_accessible(page)
    assert page.get_by_label("Who is it addressed to?").input_value() == "Kim Browne"
    page.get_by_label("The conduct").fill("Amplified music at night, heard in neighbouring homes.")
    page.get_by_label("Given to them in person").check()
    page.get_by_role("button", name="Preview the notice").click()
    page.locator("#preview").wait_for()
    letter = page.locator(".app-letter").inner_text()
    assert "Bolsover Community Safety Partnership" in letter
    assert "magistrates' court within 21 days" in letter
    assert "criminal offence" in letter
    assert_accessible(page)
    page.get_by_role("button", name="Record the service and keep the notice").click()
    page.wait_for_url(f"**/interventions/{cpn_id}")
    assert "Community Protection Notice served" in page.content()
    assert_accessible(page)
    page.get_by_role("link", name="See the notice that was served").click()
    page.wait_for_url("**/documents/*")
    assert "Served notice" in page.content()
    assert_accessible(page)
    href = page.get_by_role("link", name="Open the PDF in your browser").get_attribute("href")
    response = page.request.get(href)
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    assert response.body().startswith(b"%PDF-")
    with live_app.app.app_context():
        served = db.session.get(Intervention, cpn_id)
        assert served.served_at is not None
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Document.id)).where(
                    Document.intervention_id == cpn_id, Document.kind == DocumentKind.notice
                )
            )
            == 1
        )
    assert console.take() == []
