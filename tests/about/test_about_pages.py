"""The privacy notice and the accessibility statement: public, linked from every page's footer, and
filled in from the organisation settings (a placeholder in brackets where a setting is empty)."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from tests import conftest


@pytest.mark.parametrize("path", ["/privacy", "/accessibility"])
def test_the_pages_are_public_and_show_placeholders_for_what_is_not_set(client, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert "[the council or partnership that runs this service]" in page.text


def test_the_privacy_notice_names_the_law_the_rights_and_the_retention(client) -> None:
    text = client.get("/privacy").text
    for words in (
        "Anti-social Behaviour, Crime and Policing Act 2014",
        "Article 6(1)(e)",
        "Schedule 1 to the Data Protection Act 2018",
        "Information Commissioner",
        "6 years after the case or review is closed",
        "casework_session",
    ):
        assert words in text


def test_the_statement_follows_the_regulations(client) -> None:
    text = client.get("/accessibility").text
    for words in (
        "Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018",
        "Equality Advisory and Support Service",
        "partially compliant",
        "320 pixels",
    ):
        assert words in text


def test_the_settings_fill_the_pages(app: Flask, database_url: str, tmp_path, db_session) -> None:
    from casework import create_app

    configured = create_app(
        {
            **conftest.test_settings(database_url, tmp_path),
            "INSTANCE_PATH": str(tmp_path),
            "ORGANISATION_NAME": "Bolsover District Council",
            "ORGANISATION_ADDRESS": "The Arc, High Street, Clowne, S43 4JY",
            "CONTACT_EMAIL": "asb@bolsover.example",
            "CONTACT_PHONE": "01246 242424",
            "DATA_PROTECTION_EMAIL": "dpo@bolsover.example",
            "ACCESSIBILITY_TESTED_ON": "2026-11-30",
        }
    )
    configured.test_client_class = conftest.TestClient
    try:
        client = configured.test_client()
        privacy = client.get("/privacy").text
        statement = client.get("/accessibility").text
    finally:
        app.extensions["celery"].set_default()
    assert "Bolsover District Council runs this service (The Arc, High Street, Clowne, S43 4JY)" in privacy
    assert "dpo@bolsover.example" in privacy
    assert "[" not in privacy.split('id="main-content"')[1].split("</main>")[0]
    assert "asb@bolsover.example" in statement
    assert "01246 242424" in statement
    assert "last tested on 30 November 2026" in statement
    assert date(2026, 11, 30) == configured.config["CASEWORK"]["ACCESSIBILITY_TESTED_ON"]


@pytest.mark.parametrize("path", ["/case-review/", "/sign-in", "/privacy"])
def test_every_layout_links_both_pages_in_its_footer(client, path: str) -> None:
    footer = client.get(path).text.split('class="govuk-footer"')[1]
    assert 'href="/privacy"' in footer
    assert 'href="/accessibility"' in footer


def test_staff_pages_link_them_too(page_client, make) -> None:
    officer = make.user("officer")
    footer = page_client(officer).get("/").text.split('class="govuk-footer"')[1]
    assert 'href="/privacy"' in footer
    assert 'href="/accessibility"' in footer
