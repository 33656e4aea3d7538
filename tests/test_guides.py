"""The per-role guides (docs/guides/) stay honest without running a browser.

Every image a guide shows is on disk and made by a journey of ``flask --app casework docs screenshots``
(casework/guides.py), and every image on disk is shown by a guide; every page a guide names (a path in
backticks, such as `/case-reviews/`) and every page a journey opens is a page of the service's URL map;
every link or button a journey selects is one the guide tells its reader to select (in bold);
each guide tells its reader the demo login its journey signs in with, and the guides are linked from the
README and from the index of docs/guides/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from casework.app import PROJECT_ROOT
from casework.demo import DEMO_DOMAIN, DEMO_USERS
from casework.guides import GUIDES_DIR, IMAGES_DIR, JOURNEYS, all_shots

ROLE_GUIDES = ("officer", "coordinator", "chair", "manager", "partner", "admin", "dpo")
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
PAGE = re.compile(r"`(/[^`\s]*)`")


def _guide(name: str) -> str:
    return (GUIDES_DIR / f"{name}.md").read_text()


@pytest.fixture(scope="module")
def url_map(tmp_path_factory):
    from casework import create_app
    from tests.conftest import test_settings

    folder = tmp_path_factory.mktemp("guides")
    app = create_app({**test_settings(f"sqlite:///{folder / 'unused.sqlite'}", folder), "INSTANCE_PATH": str(folder)})
    return app.url_map.bind("localhost")


def _is_a_page(url_map, path: str) -> bool:
    """``path`` (placeholders such as ``<id>`` read as 1) answers GET somewhere in the URL map."""
    concrete = re.sub(r"<[^>]+>", "1", path.split("?", 1)[0].split("#", 1)[0])
    try:
        url_map.match(concrete, method="GET")
    except RequestRedirect:  # /cases -> /cases/: still the page
        return True
    except (NotFound, MethodNotAllowed):
        return False
    return True


def test_there_is_one_guide_and_one_journey_per_role() -> None:
    assert tuple(journey.guide for journey in JOURNEYS) == ROLE_GUIDES
    for name in ROLE_GUIDES:
        assert (GUIDES_DIR / f"{name}.md").is_file(), f"docs/guides/{name}.md is missing"


def test_every_image_a_guide_shows_exists_and_is_made_by_the_screenshots_journeys() -> None:
    made = {shot.file_name for shot in all_shots()}
    assert len(made) == len(all_shots()), "two shots write the same file"
    shown: set[str] = set()
    for name in ("README", *ROLE_GUIDES):
        for alt, target in IMAGE.findall(_guide(name)):
            assert alt.strip(), f"docs/guides/{name}.md shows {target} without a text alternative"
            assert target.startswith("images/"), f"docs/guides/{name}.md shows {target} from outside images/"
            file_name = target.removeprefix("images/")
            assert (IMAGES_DIR / file_name).is_file(), (
                f"docs/guides/{name}.md shows {target}, which is missing: run `flask --app casework docs screenshots`"
            )
            assert file_name in made, (
                f"docs/guides/{name}.md shows {target}, which no journey makes (casework/guides.py)"
            )
            shown.add(file_name)
    assert made - shown == set(), f"screenshots no guide shows: {sorted(made - shown)}"
    on_disk = {path.name for path in IMAGES_DIR.iterdir()}
    assert on_disk == made, f"files in docs/guides/images/ that no journey makes: {sorted(on_disk - made)}"


def test_each_guide_shows_its_own_journeys_images() -> None:
    for journey in JOURNEYS:
        text = _guide(journey.guide)
        for shot in journey.shots:
            assert f"(images/{shot.file_name})" in text, f"{journey.guide}.md does not show {shot.file_name}"


def test_every_page_a_guide_names_or_a_journey_opens_is_a_page_of_the_service(url_map) -> None:
    for name in ("README", *ROLE_GUIDES):
        named = PAGE.findall(_guide(name))
        for path in named:
            assert _is_a_page(url_map, path), f"docs/guides/{name}.md names {path}, which is no page of the service"
    for journey in JOURNEYS:
        assert PAGE.findall(_guide(journey.guide)), f"docs/guides/{journey.guide}.md names no page"
        for shot in journey.shots:
            assert _is_a_page(url_map, shot.path), f"the journey of {journey.guide} opens {shot.path}, which is no page"


def test_each_guide_tells_its_reader_to_select_what_its_journey_clicks() -> None:
    for journey in JOURNEYS:
        text = " ".join(_guide(journey.guide).split())
        for shot in journey.shots:
            for label in shot.follow:
                assert f"**{label}**" in text, f"{journey.guide}.md never says to select **{label}** ({shot.name})"


def test_the_page_check_can_fail(url_map) -> None:
    assert _is_a_page(url_map, "/case-reviews/<id>")
    assert _is_a_page(url_map, "/cases")
    assert not _is_a_page(url_map, "/no-such-page")
    assert not _is_a_page(url_map, "/sign-out")  # a form's action, answered to POST only


def test_each_guide_names_the_demo_login_its_journey_uses() -> None:
    logins = {f"{local}@{DEMO_DOMAIN}": roles for local, _name, _agency, roles, _manager in DEMO_USERS}
    for journey in JOURNEYS:
        assert journey.login in logins, f"{journey.login} is not a demo user"
        assert journey.guide in logins[journey.login], f"{journey.login} does not hold the role {journey.guide}"
        assert f"`{journey.login}`" in _guide(journey.guide), f"{journey.guide}.md does not name {journey.login}"


def test_the_guides_are_linked_from_the_readme_and_their_index() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "(docs/guides/README.md)" in readme
    index = _guide("README")
    for name in ROLE_GUIDES:
        assert f"]({name}.md)" in index, f"docs/guides/README.md does not link {name}.md"
    development = (PROJECT_ROOT / "DEVELOPMENT.md").read_text()
    assert "flask --app casework docs screenshots" in development
    assert "flask --app casework docs screenshots" in readme


def test_the_images_are_small() -> None:
    from PIL import Image

    for path in IMAGES_DIR.glob("*.png"):
        assert path.stat().st_size < 120_000, f"{path.name} is {path.stat().st_size} bytes"
        with Image.open(path) as image:
            assert image.width <= 1000, f"{path.name} is {image.size}"
            assert image.height <= 900, f"{path.name} is {image.size}"


def test_images_dir_is_where_the_guides_are() -> None:
    assert Path(IMAGES_DIR).parent == GUIDES_DIR == PROJECT_ROOT / "docs" / "guides"
