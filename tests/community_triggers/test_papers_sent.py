"""The day the papers went to the panel is recorded on the meeting (``papers_sent_on``), on its page or
through the API: the step "papers to the panel" (2 working days before the meeting, by default) is then
done on that day. Before, its sending was not recorded: the step closed only when the meeting was entered
as held, after its due day, so the partnership report counted it missed every time and its reminder could
not be cleared.
"""

from __future__ import annotations

from datetime import date

from casework.community_triggers.services import decision, review
from casework.core.time import london_day
from casework.extensions import db
from casework.reminders.models import DeadlineStatus
from casework.reports.queries import compute_report
from tests.community_triggers.test_deadlines_done_on_the_recorded_day import _apply, _at, _rows
from tests.conftest import csrf_headers
from tests.interventions.world import World, world  # noqa: F401


def _arranged(api_client, world: World):  # noqa: F811
    """An application decided on Tuesday 21 April 2026, its meeting on Thursday 30 April: the papers are
    due on Tuesday 28 April."""
    application = _apply(api_client, world)
    decision.decide_threshold(
        world.coordinator,
        application,
        met=True,
        basis="discretionary",
        reasons="Persistent",
        decided_on=date(2026, 4, 21),
    )
    meeting = review.arrange_meeting(
        world.coordinator, application, scheduled_on=date(2026, 4, 30), chair=world.chair, arranged_on=date(2026, 4, 22)
    )
    db.session.commit()
    return application, meeting


def test_papers_recorded_as_sent_close_their_step_on_that_day_and_count_as_met(api_client, world: World):  # noqa: F811
    with _at(2026, 4, 22, 9, 0):
        application, meeting = _arranged(api_client, world)
        url = f"/api/v1/triggers/{application.id}/meetings/{meeting.id}"
        assert _rows(application.id)["papers_to_panel"].due_on == date(2026, 4, 28)
    with _at(2026, 4, 29, 9, 0):  # sent on the Monday, recorded on the Wednesday
        answer = api_client(world.coordinator).patch(url, json={"papers_sent_on": "2026-04-27"})
        assert answer.status_code == 200, answer.json
        assert answer.json["papers_sent_on"] == "2026-04-27"
    row = _rows(application.id)["papers_to_panel"]
    assert row.status == DeadlineStatus.done
    assert london_day(row.completed_at) == date(2026, 4, 27)
    with _at(2026, 6, 1, 9, 0):
        figures = compute_report([application.area_id], date(2026, 4, 1), date(2026, 4, 30))
    papers = figures["areas"][application.area_id]["case_review"]
    assert papers["deadlines_met"] >= 1
    shown = api_client(world.coordinator).get(f"/api/v1/triggers/{application.id}").json
    assert [m["papers_sent_on"] for m in shown["meetings"]] == ["2026-04-27"]


def test_papers_may_be_recorded_after_the_meeting_until_the_review_is_complete(api_client, world: World):  # noqa: F811
    with _at(2026, 5, 1, 9, 0):
        application, meeting = _arranged(api_client, world)
        review.record_outcome(world.chair, meeting, held_on=date(2026, 4, 30), minutes="Discussed", victim_invited=True)
        db.session.commit()
        url = f"/api/v1/triggers/{application.id}/meetings/{meeting.id}"
        answer = api_client(world.coordinator).patch(url, json={"papers_sent_on": "2026-04-28"})
        assert answer.status_code == 200, answer.json
    row = _rows(application.id)["papers_to_panel"]
    assert (row.status, london_day(row.completed_at)) == (DeadlineStatus.done, date(2026, 4, 28))


def test_a_day_the_papers_cannot_have_been_sent_is_refused_and_nothing_is_written(api_client, world: World):  # noqa: F811
    with _at(2026, 5, 1, 9, 0):
        application, meeting = _arranged(api_client, world)
        review.record_outcome(world.chair, meeting, held_on=date(2026, 4, 30), minutes="Discussed", victim_invited=True)
        db.session.commit()
        url = f"/api/v1/triggers/{application.id}/meetings/{meeting.id}"
        version = db.session.get(type(meeting), meeting.id).version
        for day, message in (
            ("2026-05-02", "future"),
            ("2026-04-20", "before the threshold decision"),
            ("2026-05-01", "after the meeting was held"),
            ("20260428", "date"),
        ):
            answer = api_client(world.coordinator).patch(url, json={"papers_sent_on": day})
            assert answer.status_code == 422, (day, answer.json)
            assert message in " ".join(answer.json["errors"]["papers_sent_on"]).lower(), answer.json
    db.session.expire_all()
    stored = db.session.get(type(meeting), meeting.id)
    assert (stored.papers_sent_on, stored.version) == (None, version)


def test_the_meeting_page_records_the_day_the_papers_were_sent(api_client, page_client, app, world: World):  # noqa: F811
    with _at(2026, 4, 29, 9, 0):
        application, meeting = _arranged(api_client, world)
        client = page_client(world.coordinator)
        path = f"/case-reviews/{application.id}/meetings/{meeting.id}"
        page = client.get(path).get_data(as_text=True)
        assert 'name="papers_sent_on-day"' in page
        assert "Not recorded" in page
        version = db.session.get(type(meeting), meeting.id).version
        saved = client.post(
            path,
            data={
                "agenda": "",
                "location": "Town hall",
                "papers_sent_on-day": "27",
                "papers_sent_on-month": "4",
                "papers_sent_on-year": "2026",
                "version": str(version),
            },
            headers=csrf_headers(client, app),
        )
        assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
        assert "27 April 2026" in client.get(path).get_data(as_text=True)
    row = _rows(application.id)["papers_to_panel"]
    assert (row.status, london_day(row.completed_at)) == (DeadlineStatus.done, date(2026, 4, 27))


def test_the_meeting_page_records_the_papers_day_after_the_meeting_until_the_review_is_complete(
    api_client,
    page_client,
    app,
    world: World,  # noqa: F811
):
    """Once the meeting is held its arrangements are settled, but the papers' day may still be entered on
    the page (it was shown only before the meeting, so afterwards only the API could record it)."""
    with _at(2026, 5, 1, 9, 0):
        application, meeting = _arranged(api_client, world)
        review.record_outcome(world.chair, meeting, held_on=date(2026, 4, 30), minutes="Discussed", victim_invited=True)
        db.session.commit()
        client = page_client(world.coordinator)
        path = f"/case-reviews/{application.id}/meetings/{meeting.id}"
        page = client.get(path).get_data(as_text=True)
        assert 'name="papers_sent_on-day"' in page
        assert 'name="agenda"' not in page  # the arrangements are no longer offered
        version = db.session.get(type(meeting), meeting.id).version

        def post(day: str, month: str, year: str):
            return client.post(
                path,
                data={
                    "papers_sent_on-day": day,
                    "papers_sent_on-month": month,
                    "papers_sent_on-year": year,
                    "version": str(version),
                },
                headers=csrf_headers(client, app),
            )

        for parts, message in (
            (("", "", ""), "Enter the date the papers were sent to the panel"),
            (("1", "5", "2026"), "after the meeting was held"),
        ):
            refused = post(*parts)
            assert refused.status_code == 422
            assert message in refused.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(type(meeting), meeting.id).papers_sent_on is None
        saved = post("28", "4", "2026")
        assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
        assert "28 April 2026" in client.get(path).get_data(as_text=True)
    row = _rows(application.id)["papers_to_panel"]
    assert (row.status, london_day(row.completed_at)) == (DeadlineStatus.done, date(2026, 4, 28))
