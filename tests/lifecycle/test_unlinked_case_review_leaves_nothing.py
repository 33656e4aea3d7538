"""A Case Review application linked to no case has a retention date of its own (its area's case period
after its last event). A withdrawn one, made on someone's behalf, whose applicant followed it on a
victim page (signed in by a texted code): once the date has passed, the retention run leaves nothing
of the applicant, the victim or what they said, in any column of any table (``scan_database``
reflects the schema). The applicant's page is anonymised by a ``records_anonymised`` receiver, after
the audit log may already have erased the values of the entries about the run's records
(``retention.send_records_anonymised``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import time_machine

from casework.extensions import db
from tests.lifecycle.planting import new_marker, scan_database

RECEIVED = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def test_an_unlinked_withdrawn_case_review_and_its_applicants_page_leave_nothing(world):
    from casework.accounts.models import Area, User
    from casework.community_triggers import services as case_reviews
    from casework.community_triggers.models import TriggerApplication
    from casework.core.db import commit
    from casework.data_protection.models import RetentionRun
    from casework.data_protection.tasks import apply_retention
    from casework.victims import services as victim_page
    from casework.victims.models import VictimAccess

    applicant, victim, said = new_marker("app"), new_marker("vic"), new_marker("txt")
    email, phone = f"{applicant.lower()}@example.org", "07700 900555"
    markers = [applicant, victim, said, "900555"]
    coordinator = db.session.get(User, world.coordinator.id)
    with time_machine.travel(RECEIVED, tick=False):
        application = case_reviews.register_application(
            coordinator,
            {
                "area": db.session.get(Area, world.area.id),
                "received_on": RECEIVED.date(),
                "channel": "email",
                "applicant": {"name": f"Zebedee {applicant}", "email": email, "phone": phone, "address": "1 High St"},
                "applicant_role": "on_behalf",
                "consent_given": True,
                "victim": {"name": f"Vic {victim}", "email": f"{victim.lower()}@example.org", "address": "2 Low St"},
                "description": f"Noise {said}",
                "cases": [],
                "complaints": [
                    {
                        "complainant_name": f"Vic {victim}",
                        "occurred_on": date(2027, 2, 1),
                        "reported_on": date(2027, 2, 1),
                        "agency": None,
                        "reported_to": f"Council {said}",
                        "reference": said,
                    }
                ],
            },
        )
        commit()
        victim_page.switch_on_for_applicant(
            coordinator, application, email=email, mobile=phone, contact_checked=True, contact_by="text"
        )
        victim_page.send_code(phone)
        commit()
        case_reviews.withdraw(coordinator, application, withdrawn_on=RECEIVED.date(), reason=f"Moved {said}")
        commit()
        application_id = application.id
    before = {found.split(":")[0] for found in scan_database(markers)}
    assert {"trigger_applications.applicant_name", "victim_accesses.mobile", "audit_values.changes"} <= before

    with time_machine.travel(RECEIVED + timedelta(days=7 * 366), tick=False):
        apply_retention()
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(TriggerApplication, application_id).anonymised_at is not None
    run = db.session.scalars(sa.select(RetentionRun)).one()
    assert run.counts.get(VictimAccess.__tablename__) == 1
    assert scan_database(markers) == []
