"""A case quoted in what a tasking meeting wrote about another: the discussion, the decisions and the
nomination note are read by every agency that may see the case they are about, and a chair who sees
more may name there a case some of them may not see. Each reader sees such a reference as "a case you
cannot see, held by <agency>", as the audit log shows it, on the agenda, the item's page, the minutes
and their PDF, and in the form of a chair who may not see it; that chair saving the item keeps the
reference they did not change."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from casework.core.time import today
from casework.extensions import db
from casework.tasking import services
from casework.tasking.models import TaskingAgendaItem

#: The council's own case (not shared with the police), quoted in the texts about the shared case.
HIDDEN = "BOL-2026-0002"
SHOWN_AS = "a case you cannot see, held by BDC"


@pytest.fixture
def meeting(world, make):
    """A meeting of the council and the police discussing the council's case shared with the police,
    its texts naming the council's case the police may not see."""
    world.new_case(reference=HIDDEN)
    series = services.create_series(
        world.coordinator,
        area=world.area,
        name="Bolsover ASB tasking",
        interval_days=7,
        agencies=[world.council, world.police],
    )
    meeting = services.schedule_meeting(world.coordinator, series, today() + timedelta(days=3))
    item = services.nominate(world.officer, world.case, f"The same family as {HIDDEN}")
    services.record_item(
        world.coordinator,
        meeting,
        item,
        discussion=f"Linked to {HIDDEN} (the brother's flat); BOL-2026-0001 quiet since",
        decisions=f"Council to review {HIDDEN}",
    )
    db.session.commit()
    return meeting


def _item(meeting) -> TaskingAgendaItem:
    return db.session.scalar(sa.select(TaskingAgendaItem).where(TaskingAgendaItem.meeting_id == meeting.id))


def test_every_page_of_the_meeting_names_a_quoted_case_only_to_those_who_may_see_it(world, make, meeting, page_client):
    from casework.documents import layout

    item = _item(meeting)
    police_chair = make.user("coordinator", agency=world.police, name="Pam Police")
    pages = {
        "agenda": f"/tasking/meetings/{meeting.id}",
        "item": f"/tasking/items/{item.id}",
        "draft minutes": f"/tasking/meetings/{meeting.id}/minutes",
    }
    # The chair's draft, read by a police chair; then the published minutes by the police partner.
    shown = {name: page_client(police_chair).get(path).get_data(as_text=True) for name, path in pages.items()}
    services.publish_minutes(world.coordinator, meeting)
    db.session.commit()
    partner = page_client(world.partner)
    shown.update({f"{name}, partner": partner.get(path).get_data(as_text=True) for name, path in pages.items()})
    if layout.pdf_available():
        from pypdf import PdfReader

        answer = partner.get(f"/tasking/meetings/{meeting.id}/minutes.pdf")
        reader = PdfReader(io.BytesIO(answer.data))
        shown["minutes PDF"] = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert {name: HIDDEN in text for name, text in shown.items()} == dict.fromkeys(shown, False)
    for name in ("agenda", "item", "draft minutes", "minutes PDF"):
        if name in shown:
            assert SHOWN_AS in shown[name], name
    assert "BOL-2026-0001 quiet since" in shown["item, partner"]
    # The council, which may see it, reads it as it was written.
    council = page_client(world.officer)
    assert f"Linked to {HIDDEN}" in council.get(pages["item"]).get_data(as_text=True)
    assert f"Council to review {HIDDEN}" in council.get(pages["draft minutes"]).get_data(as_text=True)


def test_a_chair_who_may_not_see_the_quoted_case_keeps_it_when_saving(world, make, meeting, page_client):
    item = _item(meeting)
    police_chair = page_client(make.user("coordinator", agency=world.police, name="Pam Police"))
    form = police_chair.get(f"/tasking/items/{item.id}").get_data(as_text=True)
    assert HIDDEN not in form
    discussion = f"Linked to {SHOWN_AS} (the brother's flat); BOL-2026-0001 quiet since"
    assert discussion.replace("'", "&#39;") in form
    # Only the decisions change: the discussion comes back as the form showed it, and stays as written.
    saved = police_chair.post(f"/tasking/items/{item.id}", data={"discussion": discussion, "decisions": "Patrols"})
    assert saved.status_code == 302
    db.session.refresh(item)
    assert item.discussion == f"Linked to {HIDDEN} (the brother's flat); BOL-2026-0001 quiet since"
    assert item.decisions == "Patrols"
