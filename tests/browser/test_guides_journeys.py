"""The journeys of ``flask --app casework docs screenshots`` still work: each guide's steps are followed in
Chromium on a fresh demo service, as the command does, writing to a temporary folder (never to
docs/guides/images/). A link a guide's journey follows that has gone from its page fails here.

tests/test_guides.py checks the guides against the journeys without a browser; this checks the journeys
against the service.
"""

from __future__ import annotations

import pytest
from PIL import Image

from casework.guides import MAX_HEIGHT, VIEWPORT, all_shots, demo_service, follow_journeys
from tests.support.browser import run_live_server

pytestmark = pytest.mark.browser


def test_every_guide_journey_can_be_followed_and_makes_its_images(browser, tmp_path) -> None:
    from celery import current_app as current_celery

    from casework.core.db import dispose_engines

    previous_celery = current_celery._get_current_object()
    app, password = demo_service(tmp_path / "service")
    base_url, stop = run_live_server(app)
    try:
        written = follow_journeys(browser, base_url, password, tmp_path / "images", echo=lambda _line: None)
    finally:
        stop()
        previous_celery.set_default()
        with app.app_context():
            dispose_engines()

    assert [path.name for path in written] == [shot.file_name for shot in all_shots()]
    for path in written:
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.mode == "P", f"{path.name} is not saved with a palette"
            assert image.width <= VIEWPORT["width"]
            assert image.height <= MAX_HEIGHT
