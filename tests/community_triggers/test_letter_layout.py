"""Letters that look like letters: the partnership's letterhead and the applicant's address, paragraphs
that wrap to the page, the pages' own font stack, and tagged, accessible PDFs (PDF/UA-1)."""

from __future__ import annotations

import copy
import io
import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from casework.community_triggers import letters, services
from casework.community_triggers.models import Letter, LetterKind
from casework.core.db import commit
from casework.documents import layout
from casework.documents.layout import letter_blocks
from casework.documents.models import Letterhead
from casework.extensions import db
from tests.community_triggers import test_pages_staff as pages
from tests.community_triggers.test_pages_staff import _register
from tests.documents.files import photo

world = pages.world
STATIC = Path(__file__).resolve().parents[2] / "casework" / "static"


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel("2026-03-20 10:00:00+00:00", tick=False):
        yield


def _acknowledged(world):
    application = _register(world)
    services.acknowledge(world.coordinator, application, acknowledged_on=date(2026, 3, 4), send_letter=True)
    commit()
    return application, db.session.scalar(sa.select(Letter).where(Letter.kind == LetterKind.acknowledgement))


def _letterhead(page_client, world, scope="BOL", **fields):
    values = {
        "name": "Bolsover Community Safety Partnership",
        "address": "The Arc\nHigh Street\nClowne\nS43 4JY",
        "contact": "01246 242424\nasb@bolsover.example",
        "logo_alt": "Bolsover District Council logo",
        "fixed_penalty_payment": "",
        "housing_and_legal_advice": "",
        **fields,
    }
    return page_client(world.admin).post(f"/admin/letterheads/{scope}", data=values, content_type="multipart/form-data")


# --- paragraphs -----------------------------------------------------------------------------------------


def test_hard_wrapped_text_flows_into_paragraphs_and_meant_line_breaks_stay():
    text = (
        "Thank you for your application for an anti-social behaviour (ASB) Case Review, which we received on\n"
        "2 March 2026. Your reference is BOL-CT-2026-0003.\n"
        "\n"
        "The review made these recommendations:\n"
        "\n"
        "1. Install noise monitoring equipment.\n"
        "   For: Bolsover District Council. To be done by 1 May 2026.\n"
        "2. Increase patrols.\n"
        "\n"
        "Yours sincerely,\n"
        "Cora Coordinator\n"
        "ASB Case Review coordinator"
    )
    first, heading, recommendations, signature = letter_blocks(text)
    assert first.lines == [
        "Thank you for your application for an anti-social behaviour (ASB) Case Review, which we received on "
        "2 March 2026. Your reference is BOL-CT-2026-0003."
    ]
    assert heading.lines == ["The review made these recommendations:"]
    assert recommendations.kind == "ordered"
    assert recommendations.items == [
        ["Install noise monitoring equipment.", "For: Bolsover District Council. To be done by 1 May 2026."],
        ["Increase patrols."],
    ]
    assert signature.lines == ["Yours sincerely,", "Cora Coordinator", "ASB Case Review coordinator"]


def _every_default_letter():
    for kind in LetterKind:
        context = letters.sample_context(kind)
        variants = [context]
        for path, value in (("decision.met", True), ("appeal.upheld", True), ("pcc_review.reconsider", True)):
            changed = copy.deepcopy(context)
            section, key = path.split(".")
            changed[section][key] = value
            variants.append(changed)
        no_recommendations = copy.deepcopy(context)
        no_recommendations["recommendations"] = []
        variants.append(no_recommendations)
        for variant in variants:
            yield kind, letters.render(*letters.DEFAULT_TEMPLATES[kind], variant)


def test_the_default_letters_are_not_hard_wrapped():
    """Every paragraph of every default letter is one line: the page, not the template, wraps it."""
    for kind, rendered in _every_default_letter():
        for block in letter_blocks(rendered.body):
            if block.kind == "paragraph":
                assert len(block.lines) == 1, (kind, block.lines)
        assert "\n\n\n" not in rendered.body, kind


# --- letterhead and address ------------------------------------------------------------------------------


def test_the_letter_has_the_areas_letterhead_and_the_applicants_address(page_client, world):
    application, letter = _acknowledged(world)
    client = page_client(world.coordinator)
    page = client.get(f"/case-reviews/{application.id}/letters/{letter.id}").text
    assert '<p class="app-letter__sender-name">Bolsover</p>' in page  # no letterhead yet: the area's name
    assert _letterhead(page_client, world).status_code == 302
    page = client.get(f"/case-reviews/{application.id}/letters/{letter.id}").text
    assert "Bolsover Community Safety Partnership" in page
    assert "The Arc<br>High Street<br>Clowne<br>S43 4JY" in page
    assert "Rita Resident<br>1 High Street" in page
    assert "Our reference: " + application.reference in page
    assert re.search(r'href="/static/css/letter(\.[0-9a-f]+)?\.css"', page)  # fingerprinted in production
    assert "white-space" not in page  # paragraphs, not preformatted lines
    assert page.count("<p>") >= 4


def test_an_areas_own_letterhead_wins_over_the_one_for_every_area(page_client, world):
    assert _letterhead(page_client, world, scope="all", name="Derbyshire Safer Communities").status_code == 302
    assert layout.letterhead_for(world.area).name == "Derbyshire Safer Communities"
    assert layout.letterhead_for(world.other_area).name == "Derbyshire Safer Communities"
    assert _letterhead(page_client, world, scope="BOL").status_code == 302
    assert layout.letterhead_for(world.area).name == "Bolsover Community Safety Partnership"
    assert layout.letterhead_for(world.other_area).name == "Derbyshire Safer Communities"


def test_the_letterhead_form_checks_its_values_and_the_logo(page_client, world):
    assert _letterhead(page_client, world, name="").status_code == 422
    response = page_client(world.admin).post(
        "/admin/letterheads/BOL",
        data={"name": "Bolsover CSP", "logo": (io.BytesIO(b"%PDF-1.7 not a logo"), "logo.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "The logo must be a PNG or JPEG image" in response.text
    assert db.session.scalar(sa.select(sa.func.count(Letterhead.id))) == 0
    assert page_client(world.admin).get("/admin/letterheads/NOPE").status_code == 404
    assert page_client(world.coordinator).get("/admin/letterheads/BOL").status_code == 403


def test_a_logo_is_kept_without_its_location_and_can_be_removed(page_client, world, file_store):
    from casework.core import storage, uploads

    response = page_client(world.admin).post(
        "/admin/letterheads/BOL",
        data={"name": "Bolsover CSP", "logo_alt": "Crest", "logo": (io.BytesIO(photo("PNG")), "crest.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    row = db.session.scalar(sa.select(Letterhead))
    assert row.logo.backend == file_store
    assert not uploads.has_location(storage.read(row.logo))
    assert layout.letterhead_for(world.area).logo_src.startswith("data:image/png;base64,")
    key = row.logo.key
    response = page_client(world.admin).post(
        "/admin/letterheads/BOL", data={"name": "Bolsover CSP", "remove_logo": "y"}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(Letterhead)).logo_stored_file_id is None
    assert not storage.store_named(file_store).exists(key)


# --- fonts ------------------------------------------------------------------------------------------------


def test_pages_and_letters_use_the_font_stack_for_services_not_on_gov_uk():
    frontend = (STATIC / "govuk" / "govuk-frontend.min.css").read_text()
    assert "GDS Transport" not in frontend
    assert "@font-face" not in frontend
    assert set(re.findall(r"font-family:([^;}]+)", frontend)) <= {"arial,sans-serif", "sans-serif"}
    assert not (STATIC / "govuk" / "assets" / "fonts").exists()
    letter_css = (STATIC / "css" / "letter.css").read_text()
    assert set(re.findall(r"font-family:\s*([^;]+);", letter_css)) == {"arial, sans-serif"}


# --- PDF --------------------------------------------------------------------------------------------------


def test_the_pdf_is_tagged_and_carries_the_letterhead_and_address(page_client, world):
    pypdf = pytest.importorskip("pypdf")
    if not layout.pdf_available():
        pytest.skip("WeasyPrint or the system Pango library is not installed")
    assert _letterhead(page_client, world).status_code == 302
    application, letter = _acknowledged(world)
    response = page_client(world.coordinator).get(f"/case-reviews/{application.id}/letters/{letter.id}.pdf")
    assert response.status_code == 200
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])  # tagged
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en-GB"
    assert reader.metadata.title == "Acknowledgement letter"
    assert b"pdfuaid" in root["/Metadata"].get_data()  # declares PDF/UA
    fonts = [font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()]
    assert fonts
    assert all(_embedded(font) for font in fonts)
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert "Bolsover Community Safety Partnership" in flat
    assert "Rita Resident" in flat
    assert "1 High Street" in flat
    assert "which we received on 2 March 2026" in flat


def _embedded(font) -> bool:
    """The font's program is in the PDF (PDF/UA needs every font embedded)."""
    descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font)["/FontDescriptor"]
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
