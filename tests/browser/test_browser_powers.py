"""axe on every page of the Crime and Policing Act 2026 powers and the PCC review, in the states the crawl
meets only once per URL pattern: each new kind of intervention, the review and extension forms, a breach
that is an offence, and the PCC review's forms with their error summaries. Reads only: the forms sent
here are refused (422) and write nothing."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.browser.conftest import LiveApp
from tests.browser.test_service import check_page
from tests.support.browser import assert_accessible

pytestmark = pytest.mark.browser


def _ids(live_app: LiveApp, statement: Any) -> list[int]:
    from casework.extensions import db

    with live_app.app.app_context():
        return list(db.session.scalars(statement))


def test_the_new_kinds_of_intervention_pass_axe(signed_in_as: Any, live_app: LiveApp) -> None:
    from casework.interventions.models import Intervention, InterventionKind

    kinds = (
        InterventionKind.respect_order,
        InterventionKind.youth_injunction,
        InterventionKind.dispersal,
        InterventionKind.closure_notice,
    )
    ids = _ids(live_app, sa.select(Intervention.id).where(Intervention.kind.in_(kinds)).order_by(Intervention.id))
    assert len(ids) == len(kinds), "the demo data shows each new kind"
    page, console = signed_in_as("officer")
    console.take()
    problems: list[str] = []
    for intervention_id in ids:
        problems += check_page(page, console, f"/interventions/{intervention_id}")
        problems += check_page(page, console, f"/interventions/{intervention_id}/breaches/new")
    case_id = _ids(live_app, sa.select(Intervention.case_id).where(Intervention.id == ids[0]))[0]
    for kind in ("respect_order", "youth_injunction", "housing_injunction", "closure_notice", "civil_injunction"):
        problems += check_page(page, console, f"/cases/{case_id}/interventions/new/{kind}")
    assert not problems, "\n".join(problems)


def test_a_refused_review_shows_its_error_summary_and_passes_axe(signed_in_as: Any, live_app: LiveApp) -> None:
    from casework.interventions.models import Intervention, InterventionKind

    (dispersal_id,) = _ids(live_app, sa.select(Intervention.id).where(Intervention.kind == InterventionKind.dispersal))
    page, console = signed_in_as("officer")
    page.goto(f"/interventions/{dispersal_id}")
    page.get_by_role("button", name="Record the review").click()
    page.locator(".govuk-error-summary").wait_for()
    assert "Select the outcome of the review" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    assert [error for error in console.take() if "status of 422" not in error] == []


def test_the_housing_injunction_passes_axe_for_the_police_partner(signed_in_as: Any, live_app: LiveApp) -> None:
    from casework.interventions.models import Intervention, InterventionKind

    ids = _ids(live_app, sa.select(Intervention.id).where(Intervention.kind == InterventionKind.housing_injunction))
    assert ids
    page, console = signed_in_as("partner")
    console.take()
    assert not check_page(page, console, f"/interventions/{ids[0]}")


def test_the_pcc_review_pages_pass_axe(signed_in_as: Any, live_app: LiveApp) -> None:
    from casework.community_triggers.pcc_review.models import PccReview

    (review,) = _ids(live_app, sa.select(PccReview.id))
    (application_id,) = _ids(live_app, sa.select(PccReview.application_id))
    page, console = signed_in_as("coordinator")
    console.take()
    problems = check_page(page, console, f"/case-reviews/{application_id}")
    assert "Police and Crime Commissioner review" in page.content()
    problems += check_page(page, console, f"/case-reviews/{application_id}/pcc-review")
    problems += check_page(page, console, f"/case-reviews/{application_id}/pcc-reviews/{review}/outcome")
    page.get_by_role("button", name="Record the decision").click()
    page.locator(".govuk-error-summary").wait_for()
    assert_accessible(page)
    assert [error for error in console.take() if "status of 422" not in error] == []
    assert not problems, "\n".join(problems)
